// SPDX-License-Identifier: MIT
#include "controller/daemon/host_notes.h"

#include <string.h>

#include "lib/size.h"

/* FNV-1a over the problem lines (each ended by a newline): a change of
 * any line is a new set. 0 means none. */
static uint64_t problems_digest(const struct plan *plan)
{
	uint64_t h = 14695981039346656037ull;

	if (!plan->nproblems)
		return 0;
	for (size_t i = 0; i < plan->nproblems; i++) {
		for (const char *c = plan->problems[i]; *c; c++)
			h = (h ^ (unsigned char)*c) * 1099511628211ull;
		h = (h ^ '\n') * 1099511628211ull;
	}
	return h ? h : 1;
}

static unsigned say_problems(struct host_notes *said, const struct run_ctx *ctx,
			     const struct plan *plan)
{
	uint64_t now = problems_digest(plan);

	if (now == said->problems)
		return 0;
	said->problems = now;
	if (!now) {
		run_note(ctx, "daemon: the problems said before are gone");
		return 1;
	}
	for (size_t i = 0; i < plan->nproblems; i++)
		run_note(ctx, "daemon: problem: %s", plan->problems[i]);
	return (unsigned)plan->nproblems;
}

static unsigned say_overcommit(struct host_notes *said,
			       const struct run_ctx *ctx,
			       const struct policy *policy,
			       const struct split *split)
{
	const uint64_t key[4] = {split->reserve, split->vf_caps,
				 split->vm_nonhuge, split->hugepage_pools};
	bool warn = policy->admission == POLICY_ADMIT_WARN;
	char what[2048], headroom[32];

	if (!split_overcommit_describe(split, what, sizeof(what))) {
		if (!said->over)
			return 0;
		said->over = false;
		size_format_signed(split->headroom, headroom, sizeof(headroom));
		run_note(ctx,
			 "daemon: the host is no longer overcommitted "
			 "(headroom %s)",
			 headroom);
		return 1;
	}
	if (said->over && said->over_warn == warn &&
	    !memcmp(said->over_key, key, sizeof(key)))
		return 0;
	said->over = true;
	said->over_warn = warn;
	memcpy(said->over_key, key, sizeof(key));
	run_note(ctx, "daemon: %s%s", warn ? "warning: " : "", what);
	return 1;
}

unsigned host_notes_say(struct host_notes *said, const struct run_ctx *ctx,
			const struct policy *policy,
			const struct lifecycle_result *r)
{
	return say_problems(said, ctx, &r->plan) +
	       say_overcommit(said, ctx, policy, &r->split);
}
