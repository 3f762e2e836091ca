// SPDX-License-Identifier: MIT
#include "controller/core/readback.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

bool readback_pf_unreachable(const struct host_pf *pf)
{
	return pf->probed && pf->unreachable;
}

bool readback_names(const char *text, const char *pci)
{
	size_t n = strlen(pci);

	/* Whole addresses only: 0000:0c:00.1 is in 10000:0c:00.1 too. */
	for (const char *at = strstr(text, pci); at; at = strstr(at + 1, pci))
		if ((at == text || !isxdigit((unsigned char)at[-1])) &&
		    !isalnum((unsigned char)at[n]))
			return true;
	return false;
}

/* The plan's problem that names the VF (plan.c words each with it). */
static const char *problem_of(const struct plan *plan, const char *pci)
{
	for (size_t i = 0; i < plan->nproblems; i++)
		if (readback_names(plan->problems[i], pci))
			return plan->problems[i];
	return NULL;
}

enum readback_state readback_vf(const struct plan *plan,
				const struct plan_vf *pv, char *why, size_t len)
{
	const char *problem;

	why[0] = '\0';
	if (pv && pv->have_actual)
		return READBACK_KNOWN;
	if (pv && readback_pf_unreachable(pv->pf)) {
		snprintf(why, len, "PF %s: firmware not reachable: %s",
			 pv->pf->pci, pv->pf->unreachable_why);
		return READBACK_ERROR;
	}
	if (pv && pv->pf->probed && !pv->pf->supported) {
		snprintf(why, len, "PF %s: no VHCA_ICM_CTRL (%s)", pv->pf->pci,
			 pv->pf->unsupported_why[0] ? pv->pf->unsupported_why
						    : "not supported");
		return READBACK_UNSUPPORTED;
	}
	if (!pv || !pv->in_scope || !pv->pf->probed) {
		snprintf(why, len, "not read");
		return READBACK_NOT_READ;
	}
	/* In scope on a PF that answered, yet not read: its read failed. */
	problem = problem_of(plan, pv->vf->pci);
	snprintf(why, len, "%s",
		 problem ? problem : "the firmware read failed");
	return READBACK_ERROR;
}

size_t readback_pf_errors(const struct plan *plan, const struct host_pf *pf)
{
	char why[8];
	size_t n = 0;

	for (size_t i = 0; i < plan->nvfs; i++)
		n += plan->vfs[i].pf == pf &&
		     readback_vf(plan, &plan->vfs[i], why, sizeof(why)) ==
			     READBACK_ERROR;
	return n;
}
