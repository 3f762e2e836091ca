/* SPDX-License-Identifier: MIT */
/*
 * Caps host.admission: scale lowered at a VM's start rise back toward the
 * policy's cap once the memory split has room again (another VM stopped,
 * the reserve lowered): apply and plan do it, the daemon's reconcile too.
 *
 * The rule, deterministic and without flapping:
 *  - only on a split that is all known (every PF answered, the PFs' and
 *    idle VFs' pages known, every huge page pool's demand known, no whole
 *    PF passed through): room that is not known is not spent;
 *  - the room is the headroom the run leaves; the scaled VMs take from it
 *    in the order they started (the journal's start time, then name);
 *  - a VM takes all it lacks when the room holds it, else as much as the
 *    room holds, but only when that is at least RESCALE_MIN_RAISE: the
 *    headroom moving by a few pages (firmware page counters) does not
 *    rewrite caps at every run;
 *  - its VFs rise by the same share of what scaling took from each (scale
 *    cut them in proportion), to whole 4 KiB pages, never above the
 *    policy's cap; a VM whose caps all reach the policy's is no longer
 *    scaled;
 *  - caps only rise here, and the headroom after a rise is still >= 0:
 *    the next run finds less room, never a reason to lower them (only a
 *    VM's start scales caps down).
 */
#ifndef ICMQUOTA_RESCALE_H
#define ICMQUOTA_RESCALE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/core/host.h"
#include "controller/core/plan.h"
#include "controller/core/split.h"
#include "controller/core/state.h"
#include "policy/policy.h"

/* The smallest partial rise (bytes, a VM's VFs summed): 1 GiB, well
 * above what the firmware's own page counters drift by between runs. */
#define RESCALE_MIN_RAISE (1ull << 30)

/* One scaled VM after rescale_raise. */
struct rescale_vm {
	const char *name; /* the plan's VM facts' name */
	uint64_t from;	  /* its scaled VF caps summed, before this run */
	uint64_t to;	  /* after */
	uint64_t policy;  /* what the policy asks for them, summed */
	bool restored;	  /* every cap at the policy's: no longer scaled */
};

struct rescale {
	struct rescale_vm *vms; /* scaled VMs of the plan, in start order */
	size_t nvms;
	size_t raised; /* of them, raised this run (restored included) */
	/* Why nothing was raised although a VM is scaled and the headroom
	 * is above 0 ("" otherwise): the split is not all known. */
	char held_why[256];
};

/*
 * Raise the scaled VMs' caps in plan (read back, writes marked) by the
 * rule above, then split_compute the plan again into split. vms: the
 * running set the split was computed on. Errors: out of memory only.
 */
int rescale_raise(const struct host *host, const struct policy *policy,
		  const struct state *state, struct plan *plan,
		  const struct vm_facts *vms, size_t nvms, struct split *split,
		  struct rescale *out, struct iq_err *err);
/*
 * After the writes: each raised VM's journal entry (its caps summed; no
 * longer scaled when restored), unless a write of its failed (plan).
 */
void rescale_record(const struct rescale *rs, const struct plan *plan,
		    struct state *state);
void rescale_free(struct rescale *rs);

#endif
