/* SPDX-License-Identifier: MIT */
/*
 * The policy against this host: what only a host can tell (policy/ stays
 * pure, facts in). `policy validate` and `policy set` run it when there is
 * a host to judge by: --root, or this machine when it has a ConnectX PF.
 *
 * Error or warning by what the policy would do:
 *   error    host.reserve >= MemTotal: no VM fits (strict refuses every
 *            start, scale shrinks every cap to min_vf_cap, warn warns on
 *            every start);
 *            a devices rule naming a VF of a ConnectX PF here: device
 *            rules key on PFs, so it never applies and the VF gets the
 *            other rules' caps, silently above what was meant;
 *   warning  a devices rule naming an address with no device here, or a
 *            device that is not a ConnectX PF with SR-IOV (a GPU, a NIC
 *            without VFs): it does nothing on this host, and a policy
 *            shared by hosts may rightly name other hosts' PFs.
 */
#ifndef ICMQUOTA_POLICY_HOST_H
#define ICMQUOTA_POLICY_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "controller/core/host.h"
#include "lib/err.h"
#include "policy/policy.h"

struct policy_finding {
	bool error; /* false: a warning */
	/* "FILE:LINE:COL: devices.PCI: ..." (errors), "FILE:LINE:COL:
	 * warning: ..." (warnings), as the other policy messages. */
	char msg[1024];
};

struct policy_findings {
	struct policy_finding *v;
	size_t n;
	size_t nerrors;
};

/*
 * Check policy against host (discovered, memory read; no firmware
 * needed). Findings are added to f; returns IQ_OK, or IQ_EENV when out of
 * memory. The caller prints them and exits 1 when f->nerrors.
 */
int policy_host_check(const struct policy *policy, struct host *host,
		      struct policy_findings *f, struct iq_err *err);

void policy_findings_free(struct policy_findings *f);

#endif
