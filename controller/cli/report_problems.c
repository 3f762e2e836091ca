// SPDX-License-Identifier: MIT
/* The problems of a partial result (status, metrics), one line each. */
#include "controller/cli/report.h"

#include "controller/core/readback.h"

size_t report_problems(const struct run_ctx *ctx, const char *cmd,
		       const struct host *host, const struct plan *plan)
{
	size_t n = 0;
	char why[600];

	for (size_t p = 0; p < host->npfs; p++) {
		const struct host_pf *pf = &host->pfs[p];

		if (!readback_pf_unreachable(pf))
			continue;
		run_note(ctx,
			 "%s: PF %s: firmware not reachable (%s): its %zu VF%s "
			 "shown as unknown",
			 cmd, pf->pci, pf->unreachable_why, pf->nvfs,
			 pf->nvfs == 1 ? "" : "s");
		n++;
	}
	for (size_t i = 0; i < plan->nvfs; i++) {
		const struct plan_vf *pv = &plan->vfs[i];

		if (readback_pf_unreachable(pv->pf) ||
		    readback_vf(plan, pv, why, sizeof(why)) != READBACK_ERROR)
			continue;
		run_note(ctx, "%s: %s", cmd, why);
		n++;
	}
	/* The rest (a journal VM's device gone): as apply words them. */
	for (size_t i = 0; i < plan->nproblems; i++) {
		bool told = false;

		/* An unreachable PF's own line above says it for its VFs. */
		for (size_t p = 0; p < host->npfs && !told; p++)
			told = readback_pf_unreachable(&host->pfs[p]) &&
			       readback_names(plan->problems[i],
					      host->pfs[p].pci);
		for (size_t v = 0; v < plan->nvfs && !told; v++)
			told = readback_vf(plan, &plan->vfs[v], why,
					   sizeof(why)) == READBACK_ERROR &&
			       readback_names(plan->problems[i],
					      plan->vfs[v].vf->pci);
		if (told)
			continue;
		run_note(ctx, "%s: %s", cmd, plan->problems[i]);
		n++;
	}
	return n;
}

size_t report_overcommit_host(const struct run_ctx *ctx, const char *cmd,
			      const struct policy *policy,
			      const struct split *split)
{
	bool warn_only = policy->admission == POLICY_ADMIT_WARN;
	char what[2048];

	if (!split_overcommit_describe(split, what, sizeof(what)))
		return 0;
	run_note(ctx, "%s: %s%s", cmd, warn_only ? "warning: " : "", what);
	return warn_only ? 0 : 1;
}
