/* SPDX-License-Identifier: MIT */
/*
 * Why a VF of a read-back plan has no values (cap, current, high-water),
 * for the views that show every VF (status, metrics, top): unknown is
 * shown as unknown, with the reason, and an error is told from a PF that
 * cannot cap at all.
 */
#ifndef ICMQUOTA_READBACK_H
#define ICMQUOTA_READBACK_H

#include <stdbool.h>
#include <stddef.h>

#include "controller/core/plan.h"

enum readback_state {
	READBACK_KNOWN,	      /* read back: the values are there */
	READBACK_UNSUPPORTED, /* its PF has no VHCA_ICM_CTRL: nothing to read */
	READBACK_ERROR,	      /* its PF's firmware did not answer, or the
			       * read failed: a partial result */
	READBACK_NOT_READ,    /* not in the plan's scope */
};

/*
 * The VF's state, and in why (len bytes, "" when known) the reason:
 * "PF P: firmware not reachable: ERROR", "PF P: no VHCA_ICM_CTRL (WHY)",
 * or the plan's problem that names the VF (its read failed). pv may be
 * NULL (no plan row): not read.
 */
enum readback_state readback_vf(const struct plan *plan,
				const struct plan_vf *pv, char *why,
				size_t len);

/* text names the PCI address pci (a whole address, not a part of one). */
bool readback_names(const char *text, const char *pci);

/* A PF whose firmware channel did not open or answer this run. */
bool readback_pf_unreachable(const struct host_pf *pf);

/* VFs of pf in the READBACK_ERROR state (their values unknown). */
size_t readback_pf_errors(const struct plan *plan, const struct host_pf *pf);

#endif
