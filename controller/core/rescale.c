// SPDX-License-Identifier: MIT
#include "controller/core/rescale.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One scaled VM while raising: its journal entry and its facts. */
struct scaled_vm {
	const struct state_vm *svm;
	const struct vm_facts *vm; /* the running set's, as the plan's */
};

static int by_start(const void *a, const void *b)
{
	const struct scaled_vm *x = a, *y = b;

	if (x->svm->started != y->svm->started)
		return x->svm->started < y->svm->started ? -1 : 1;
	return strcmp(x->vm->name, y->vm->name);
}

/* Why the room the split shows is not all known (NULL: it is). */
static const char *unknown_room(const struct split *sp, char *buf, size_t len)
{
	if (sp->unreachable_pfs)
		snprintf(buf, len, "PF %s did not answer", sp->unreachable_pf);
	else if (sp->pf_fw_unknown)
		snprintf(buf, len, "the PF firmware pages are unknown (%s)",
			 sp->pf_fw_why);
	else if (sp->idle_vf_unknown)
		snprintf(buf, len, "what %u idle VF%s hold is unknown (%s)",
			 sp->idle_vf_unknown,
			 sp->idle_vf_unknown == 1 ? "" : "s", sp->idle_vf_why);
	else if (sp->huge_unknown)
		snprintf(buf, len,
			 "whether %u huge page size%s can serve the VMs is "
			 "unknown",
			 sp->huge_unknown, sp->huge_unknown == 1 ? "" : "s");
	else if (sp->uncapped_pfs)
		snprintf(buf, len, "a whole PF passed through is uncapped (%s)",
			 sp->uncapped_pf_why);
	else
		return NULL;
	return buf;
}

/* What the policy's cap counts for in bytes: an unlimited one as the
 * split charges it (the PF's total ICM, else MemTotal). */
static uint64_t target_bytes(const struct plan_vf *pv, uint64_t mem_total)
{
	if (pv->decision.cap_bytes != IQ_UNLIMITED)
		return pv->decision.cap_bytes;
	return split_total_icm_known(pv->pf) ? pv->pf->total_icm_bytes
					     : mem_total;
}

/* A VF of vm whose cap this run can raise (read back, capped PF). */
static bool raisable(const struct plan_vf *pv, const struct vm_facts *vm)
{
	return pv->vm == vm && pv->in_scope && pv->pf->supported &&
	       !pv->pf->unreachable && pv->have_actual;
}

/*
 * The VM's caps summed now and as the policy asks; what they lack.
 * *all: every VF of it on a capped PF can be raised this run (a VF whose
 * read failed keeps the VM scaled).
 */
static uint64_t lacking(const struct plan *plan, const struct vm_facts *vm,
			uint64_t mem_total, struct rescale_vm *out, bool *all)
{
	uint64_t lack = 0;

	*all = true;
	for (size_t i = 0; i < plan->nvfs; i++) {
		const struct plan_vf *pv = &plan->vfs[i];
		uint64_t target;

		if (pv->vm == vm && pv->pf->supported && !raisable(pv, vm))
			*all = false;
		if (!raisable(pv, vm))
			continue;
		target = target_bytes(pv, mem_total);
		out->from += pv->desired_bytes;
		out->policy += target;
		if (pv->desired_bytes < target)
			lack += target - pv->desired_bytes;
	}
	return lack;
}

/* Raise the VM's caps by room in all (room < lack: each VF by its share
 * of it, whole pages), or to the policy's caps (room >= lack). */
static uint64_t raise_vm(struct plan *plan, const struct vm_facts *vm,
			 uint64_t mem_total, uint64_t lack, uint64_t room)
{
	uint64_t raised = 0;

	for (size_t i = 0; i < plan->nvfs; i++) {
		struct plan_vf *pv = &plan->vfs[i];
		uint64_t target, now = pv->desired_bytes, by;

		if (!raisable(pv, vm))
			continue;
		target = target_bytes(pv, mem_total);
		if (now >= target)
			continue;
		if (room >= lack) {
			plan_set_desired(plan, pv, pv->decision.cap_bytes);
			pv->scaled = false;
			pv->raised_from = now;
			raised += target - now;
			continue;
		}
		by = (uint64_t)((unsigned __int128)(target - now) * room /
				lack);
		by = by / ICM_PAGE_BYTES * ICM_PAGE_BYTES;
		if (!by)
			continue;
		plan_set_desired(plan, pv, now + by);
		pv->raised_from = now;
		raised += by;
	}
	return raised;
}

int rescale_raise(const struct host *host, const struct policy *policy,
		  const struct state *state, struct plan *plan,
		  const struct vm_facts *vms, size_t nvms, struct split *split,
		  struct rescale *out, struct iq_err *err)
{
	struct scaled_vm *order;
	size_t n = 0;
	uint64_t room;
	char why[sizeof(out->held_why)];

	memset(out, 0, sizeof(*out));
	order = calloc(state->nvms ? state->nvms : 1, sizeof(*order));
	out->vms = calloc(state->nvms ? state->nvms : 1, sizeof(*out->vms));
	if (!order || !out->vms) {
		free(order);
		rescale_free(out);
		return iq_fail(err, IQ_EENV, "out of memory");
	}
	for (size_t i = 0; i < state->nvms; i++) {
		if (!state->vms[i].scale.scaled)
			continue;
		for (size_t j = 0; j < nvms; j++)
			if (!strcmp(vms[j].name, state->vms[i].facts.name)) {
				order[n].svm = &state->vms[i];
				order[n++].vm = &vms[j];
				break;
			}
	}
	qsort(order, n, sizeof(*order), by_start);
	room = split->headroom > 0 ? (uint64_t)split->headroom : 0;
	if (n && room && unknown_room(split, why, sizeof(why))) {
		snprintf(out->held_why, sizeof(out->held_why),
			 "the split is not all known: %s", why);
		room = 0;
	}
	for (size_t k = 0; k < n; k++) {
		struct rescale_vm *rv = &out->vms[out->nvms++];
		uint64_t lack, raised = 0;
		bool all;

		rv->name = order[k].vm->name;
		lack = lacking(plan, order[k].vm, split->mem_total, rv, &all);
		if (lack && (room >= lack || room >= RESCALE_MIN_RAISE))
			raised = raise_vm(plan, order[k].vm, split->mem_total,
					  lack, room);
		room -= raised < room ? raised : room;
		rv->to = rv->from + raised;
		rv->restored = all && raised == lack;
		out->raised += raised > 0;
	}
	free(order);
	if (out->raised)
		split_compute(host, policy, plan, vms, nvms, split);
	return IQ_OK;
}

/* Every raised VF of the VM was written (or needed no write). */
static bool vm_written(const struct plan *plan, const char *name)
{
	for (size_t i = 0; i < plan->nvfs; i++) {
		const struct plan_vf *pv = &plan->vfs[i];

		if (pv->vm && pv->raised_from && !strcmp(pv->vm->name, name) &&
		    pv->write && !pv->written)
			return false;
	}
	return true;
}

void rescale_record(const struct rescale *rs, const struct plan *plan,
		    struct state *state)
{
	for (size_t i = 0; i < rs->nvms; i++) {
		const struct rescale_vm *rv = &rs->vms[i];
		struct state_vm *svm = state_find_vm(state, rv->name);

		if (!svm || (rv->to == rv->from && !rv->restored) ||
		    !vm_written(plan, rv->name))
			continue;
		if (rv->restored)
			memset(&svm->scale, 0, sizeof(svm->scale));
		else
			svm->scale.cap_bytes = rv->to;
	}
}

void rescale_free(struct rescale *rs)
{
	free(rs->vms);
	memset(rs, 0, sizeof(*rs));
}
