/* SPDX-License-Identifier: MIT */
/*
 * What happens to caps when a VM starts or stops, and what apply does:
 * shared by the CLI (vm start/stop, apply), the libvirt hook and the
 * Cloud Hypervisor path, so they all behave the same.
 */
#ifndef ICMQUOTA_LIFECYCLE_H
#define ICMQUOTA_LIFECYCLE_H

#include <stdbool.h>

#include "controller/core/admission.h"
#include "controller/core/plan.h"
#include "controller/core/rescale.h"
#include "controller/core/session.h"
#include "controller/sources/vm_list.h"
#include "controller/core/split.h"

struct lifecycle_result {
	struct vm_facts *running; /* the running set the plan was built on */
	size_t nrunning;
	struct plan plan;
	struct split split;
	struct admission adm;
	/* apply, plan: scaled caps raised back as room allows (rescale.h) */
	struct rescale rescale;
	unsigned unsupported_vfs; /* VFs of the VM on PFs without ICM ctrl */
	size_t mismatches;	  /* verify: journalled caps that differ */
	/* verify: the VM's VFs the journal holds no cap for (nothing capped
	 * them at prepare or start begin); the first one named. */
	size_t uncapped;
	char uncapped_pci[PCI_ADDR_LEN];
	/* apply: journal VMs a source did not list but could not confirm
	 * gone (kept running, caps kept); the first one named. */
	size_t kept;
	char kept_first[4400];
};

/*
 * Admission, then the VM's VF caps (only the writes needed), then the
 * journal. A refusal (IQ_EREFUSED) changes nothing. Needs a session with
 * lock, policy, state and firmware.
 */
int lifecycle_vm_start(struct session *s, const struct vm_facts *vm,
		       const char *origin, struct lifecycle_result *r,
		       struct iq_err *err);
/*
 * The VM's VFs back to the idle cap (except any another running VM
 * holds), its journal entry closed. vm may be NULL (then name is looked
 * up in the journal); a VM that never started is fine.
 */
int lifecycle_vm_stop(struct session *s, const struct vm_facts *vm,
		      const char *name, struct lifecycle_result *r,
		      struct iq_err *err);
/*
 * A VM found running (libvirtd restarted): its caps programmed as the
 * policy says and the journal updated, without admission (it runs
 * already; refusing it would change nothing).
 */
int lifecycle_vm_reconcile(struct session *s, const struct vm_facts *vm,
			   const char *origin, struct lifecycle_result *r,
			   struct iq_err *err);
/*
 * Read the VM's caps back: count the journalled ones that differ
 * (mismatches) and the VFs no cap was journalled for (uncapped); no
 * writes.
 */
int lifecycle_vm_verify(struct session *s, const struct vm_facts *vm,
			struct lifecycle_result *r, struct iq_err *err);
/* Which VMMs' running VMs a source listed (apply --libvirt-xml, ...). */
enum lifecycle_sources {
	LIFECYCLE_SRC_LIBVIRT = 1 << 0,
	LIFECYCLE_SRC_CH = 1 << 1,
};

/*
 * The sources were read before the lock (a source may wait on libvirt,
 * and a hook holding the lock must never wait on us): what the journal
 * learnt while we waited for the lock is newer than them. before: the
 * journal as read just before the sources; s->state: as read under the
 * lock. A VM of a covered VMM journalled meanwhile was started meanwhile:
 * it is added to vms (its journalled facts); a VM that left the journal
 * meanwhile was stopped meanwhile: it is taken out of vms. Returns how many
 * VMs changed (for a note), or -1 with err set.
 */
int lifecycle_merge_meanwhile(const struct state *before,
			      const struct session *s, unsigned sources,
			      struct vm_list *vms, struct iq_err *err);

/* What lifecycle_apply does with the caps, and which split it reports. */
enum lifecycle_mode {
	LIFECYCLE_SHOW,	 /* read back only; the split of the caps in force
			    (status, metrics, top) */
	LIFECYCLE_PLAN,	 /* read back only; the split an apply would leave */
	LIFECYCLE_APPLY, /* write; the split it leaves */
};

/*
 * Every VF to its desired cap. The running VMs: vms (what the sources
 * listed; NULL: none) plus the journal's VMs of every VMM the sources did
 * not cover (sources 0: the journal's VMs only); the journal follows. A
 * journal VM of a covered VMM that vms does not list is asked about
 * (vm_ch_confirmed_gone) unless vms holds its socket's answer already,
 * which is recorded there otherwise. mode says
 * whether anything is written. What cannot be done (a journal VM's VF
 * gone, a PF out of reach, a failed read or write) is listed in
 * r->plan.problems while everything else is capped; the caller reports
 * them and exits non-zero.
 */
int lifecycle_apply(struct session *s, struct vm_list *vms, unsigned sources,
		    enum lifecycle_mode mode, struct lifecycle_result *r,
		    struct iq_err *err);

/*
 * The VFs of one PF (pf_pci) to their desired caps, the journal's VMs
 * taken as the running set: what a VF uevent (sriov_numvfs written, a
 * driver rebind) needs, without touching the other PFs' firmware. The
 * journal records the PF's VFs; its VM list is left as it is.
 */
int lifecycle_reconcile_pf(struct session *s, const char *pf_pci,
			   struct lifecycle_result *r, struct iq_err *err);

void lifecycle_result_free(struct lifecycle_result *r);

#endif
