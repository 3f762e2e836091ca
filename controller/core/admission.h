/* SPDX-License-Identifier: MIT */
/*
 * Admission: whether a VM starting fits the memory split (split.h), per
 * host.admission (strict, scale, warn), and what was done to make it fit.
 */
#ifndef ICMQUOTA_ADMISSION_H
#define ICMQUOTA_ADMISSION_H

#include <stdbool.h>
#include <stdint.h>

#include "controller/core/host.h"
#include "controller/core/plan.h"
#include "controller/core/split.h"
#include "lib/err.h"
#include "policy/policy.h"

struct admission {
	bool admitted;
	bool scaled;		     /* caps of the VM were lowered */
	uint64_t scaled_from;	     /* the VM's caps before, summed */
	uint64_t scaled_to;	     /* after */
	uint64_t scaled_short;	     /* how short the host was before */
	uint64_t released_hugepages; /* count, hugepages: manage */
	char message[1536];	     /* one line: what was done, warnings */
};

/*
 * Admit the VM starting (vm) per host.admission: strict refuses when the
 * headroom is negative; scale lowers this VM's caps in the plan toward
 * min_vf_cap (proportionally, never below; then all at min_vf_cap) and
 * refuses only when even that does not fit, quoting the split at
 * min_vf_cap; warn admits and says so. A whole ConnectX PF among the
 * VM's devices (plan->others) cannot be capped: strict refuses the VM,
 * scale and warn admit it with a warning in adm->message. A VM whose huge
 * pages its pool cannot serve (struct split_huge: short or unknown, in a
 * size the VM uses) is refused by strict and scale (lower caps do not
 * help), with one line naming the VM, the size, the demand, the pool,
 * its free pages, the surplus allowed and the fix; warn admits it and
 * says so. With hugepages: manage, free huge pages (never those the
 * running VMs' demand needs: split_huge.spare) may be released first (the
 * pool sizes under host->root are written). A refusal is IQ_EREFUSED
 * with the message naming the VM, the shortfall and the policy knob. A
 * VF on a PF without VHCA_ICM_CTRL runs UNCAPPED and is charged its PF's
 * total ICM (MemTotal when unknown) whatever vf_cap or scale say: when it
 * is the VM's own, the refusal says so and advises what can help (a
 * firmware update, another PF's VF, room for the whole PF's ICM, warn)
 * instead of a vf_cap; another VM's is named as what stopping makes room.
 */
int split_admit(struct host *host, const struct policy *policy,
		struct plan *plan, const struct vm_facts *vms, size_t nvms,
		const struct vm_facts *vm, struct split *split,
		struct admission *adm, struct iq_err *err);

#endif
