// SPDX-License-Identifier: MIT
/*
 * What only the whole policy can tell, main file and drop-ins merged:
 * every vms rule names a class that is defined, and min_vf_cap is not
 * above vf_cap. policy_parse runs it on a file alone, the drop-in loader
 * (load.c) on the merged result. With it policy_file(), the file a
 * position came from, which its messages name.
 */
#include "lib/size.h"
#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_class_name(const void *a, const void *b)
{
	const struct policy_class *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

const char *policy_file(const struct policy *policy, struct policy_pos pos)
{
	if (!pos.line)
		return "(built-in)";
	if (pos.file < policy->nfiles)
		return policy->files[pos.file];
	return policy->path;
}

/* Checks that need the merged whole: class references, min <= vf_cap. */
int policy_check(struct policy *policy, struct iq_err *err)
{
	const struct policy_class **sorted;
	char have[64], limit[64];

	/* Sorted once, looked up by bsearch: O((classes + rules) log n). */
	sorted = calloc(policy->nclasses + 1, sizeof(*sorted));
	if (!sorted)
		return iq_fail(err, IQ_EENV, "%s: out of memory", policy->path);
	for (size_t i = 0; i < policy->nclasses; i++)
		sorted[i] = &policy->classes[i];
	qsort(sorted, policy->nclasses, sizeof(*sorted), cmp_class_name);
	for (size_t i = 0; i < policy->nvms; i++) {
		const struct policy_vm_rule *rule = &policy->vms[i];
		struct policy_pos pos = rule->class_pos;
		struct policy_class key;
		const struct policy_class *want = &key;

		if (!rule->class_name[0])
			continue;
		snprintf(key.name, sizeof(key.name), "%s", rule->class_name);
		if (bsearch(&want, sorted, policy->nclasses, sizeof(*sorted),
			    cmp_class_name))
			continue;
		free(sorted);
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%u:%u: vms[%zu].class: unknown class '%s' "
			       "(define it under classes:, e.g. %s: { vf_cap: "
			       "4GiB })",
			       policy_file(policy, pos), pos.line, pos.col, i,
			       rule->class_name, rule->class_name);
	}
	free(sorted);
	if (policy->min_vf_cap.bytes <= policy->vf_cap.bytes)
		return IQ_OK;
	if (!policy->min_vf_cap.set) {
		/*
		 * The built-in floor is only a default: a smaller vf_cap
		 * written in the file lowers it (scaling never goes below
		 * the cap a VM gets anyway).
		 */
		policy->min_vf_cap.bytes = policy->vf_cap.bytes;
		return IQ_OK;
	}
	size_format(policy->min_vf_cap.bytes, have, sizeof(have));
	size_format(policy->vf_cap.bytes, limit, sizeof(limit));
	return iq_fail(err, IQ_EREFUSED,
		       "%s:%u:%u: defaults.min_vf_cap: %s is above "
		       "defaults.vf_cap (%s%s); lower it to at most %s",
		       policy_file(policy, policy->min_vf_cap.pos),
		       policy->min_vf_cap.pos.line, policy->min_vf_cap.pos.col,
		       have, limit, policy->vf_cap.set ? "" : ", built-in",
		       limit);
}
