// SPDX-License-Identifier: MIT
#include "controller/core/lifecycle.h"

#include <stdlib.h>
#include <string.h>

#include "controller/sources/vm_ch.h"

/*
 * The running set: the journal's VMs except `except`, plus `extra`.
 * Shallow copies: the plan points into this array, the facts' storage
 * stays owned by the journal or the caller.
 */
static int running_set(const struct state *state, const char *except,
		       const struct vm_facts *extra, size_t nextra,
		       struct lifecycle_result *r, struct iq_err *err)
{
	size_t n = 0;

	r->running = calloc(state->nvms + nextra + 1, sizeof(*r->running));
	if (!r->running)
		return iq_fail(err, IQ_EENV, "out of memory");
	for (size_t i = 0; i < state->nvms; i++)
		if (!except || strcmp(state->vms[i].facts.name, except) != 0)
			r->running[n++] = state->vms[i].facts;
	for (size_t i = 0; i < nextra; i++)
		r->running[n++] = extra[i];
	r->nrunning = n;
	return IQ_OK;
}

static unsigned count_unsupported(const struct plan *plan)
{
	unsigned n = 0;

	for (size_t i = 0; i < plan->nvfs; i++)
		n += plan->vfs[i].in_scope && !plan->vfs[i].pf->supported &&
		     !plan->vfs[i].pf->unreachable;
	return n;
}

/*
 * A running VM's VF with an unlimited cap counts as its PF's total ICM in
 * the split: a session opened without firmware (a VM without VFs) opens
 * it then, so that admission never counts such a cap as 0.
 */
static int firmware_for_split(struct session *s, const struct plan *plan,
			      struct iq_err *err)
{
	for (size_t i = 0; i < plan->nvfs; i++)
		if (plan->vfs[i].vm && !plan->vfs[i].pf->probed &&
		    plan->vfs[i].desired_bytes == IQ_UNLIMITED)
			return session_open_firmware(s, err);
	return IQ_OK;
}

/*
 * What the idle VFs hold, for admission: debugfs answers for free where
 * no VF of a PF holds a page; elsewhere the firmware is asked (opened
 * for a VM without VFs only then). Firmware out of reach leaves those
 * VFs unknown, which the split and the admission message say.
 */
static int idle_held_for_split(struct session *s, struct plan *plan,
			       struct iq_err *err)
{
	if (plan_idle_held_needs_firmware(plan)) {
		struct iq_err why = {0};

		if (session_open_firmware(s, &why))
			return IQ_OK;
	}
	return plan_read_idle_held(&s->host, plan, err);
}

/*
 * The split as every path computes it (apply, a VM start, a reconcile):
 * the VFs this run writes charged at what they will hold, what idle VFs
 * hold read (debugfs, else the firmware), and the other VMs' vHCA
 * groups read. A VF read back already is not asked again.
 */
static int split_inputs(struct session *s, struct plan *plan,
			struct iq_err *err)
{
	int rc = idle_held_for_split(s, plan, err);

	if (rc == IQ_OK)
		rc = plan_read_groups_held(plan, err);
	return rc;
}

static int vm_program(struct session *s, const struct vm_facts *vm,
		      const char *origin, bool admit,
		      struct lifecycle_result *r, struct iq_err *err)
{
	struct state_vm *svm = state_find_vm(&s->state, vm->name);
	/* A reconcile keeps what admission decided when the VM started. */
	struct state_scaling kept = {0};
	const struct vm_facts *self;
	struct vm_facts scope;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!admit && svm)
		kept = svm->scale;
	/* A fresh start is admitted afresh: its old scaling does not hold. */
	if (admit && svm)
		svm->scale.scaled = false;
	rc = running_set(&s->state, vm->name, vm, 1, r, err);
	if (rc)
		return rc;
	self = &r->running[r->nrunning - 1];
	/*
	 * A reconcile of a VM whose devices changed (hot-plug, seen by the
	 * daemon) also covers the VFs the journal gave it before, so that a
	 * detached VF goes back to the idle cap.
	 */
	rc = vm_facts_copy(&scope, vm, err);
	for (size_t i = 0; rc == IQ_OK && !admit && svm && i < svm->facts.npci;
	     i++)
		rc = vm_add_pci(&scope, svm->facts.pci[i], err);
	if (rc == IQ_OK)
		rc = plan_build(&s->host, &s->policy, &s->state, r->running,
				r->nrunning, &scope, &r->plan, err);
	vm_facts_free(&scope);
	if (rc == IQ_OK)
		rc = firmware_for_split(s, &r->plan, err);
	if (rc)
		return rc;
	plan_mark_will_write(&r->plan);
	r->unsupported_vfs = count_unsupported(&r->plan);
	/* A reconcile's split is apply's too (the daemon reports it). */
	rc = split_inputs(s, &r->plan, err);
	if (rc)
		return rc;
	if (admit) {
		rc = split_admit(&s->host, &s->policy, &r->plan, r->running,
				 r->nrunning, self, &r->split, &r->adm, err);
		if (rc)
			return rc;
	} else {
		split_compute(&s->host, &s->policy, &r->plan, r->running,
			      r->nrunning, &r->split);
	}
	rc = plan_read_back(&s->host, &r->plan, err);
	if (rc == IQ_OK)
		rc = plan_execute(&s->host, &r->plan, err);
	if (rc)
		return rc;
	/* The firmware is programmed: now the journal says so. */
	rc = state_put_vm(&s->state, vm, origin, err);
	if (rc)
		return rc;
	svm = state_find_vm(&s->state, vm->name);
	if (kept.scaled) {
		svm->scale = kept;
	} else if (r->adm.scaled) {
		svm->scale.scaled = true;
		svm->scale.cap_bytes = r->adm.scaled_to;
		svm->scale.from_bytes = r->adm.scaled_from;
		svm->scale.short_bytes = r->adm.scaled_short;
	}
	s->state.released_hugepages += r->adm.released_hugepages;
	rc = plan_record(&r->plan, &s->policy, &s->state, err);
	if (rc == IQ_OK)
		rc = session_save_state(s, err);
	return rc;
}

int lifecycle_vm_start(struct session *s, const struct vm_facts *vm,
		       const char *origin, struct lifecycle_result *r,
		       struct iq_err *err)
{
	int rc = vm_program(s, vm, origin, true, r, err);

	if (rc == IQ_EREFUSED)
		s->counted.v[CNT_ADMISSIONS_REFUSED]++;
	else if (rc == IQ_OK && r->adm.scaled)
		s->counted.v[CNT_ADMISSIONS_SCALED]++;
	return rc;
}

int lifecycle_vm_reconcile(struct session *s, const struct vm_facts *vm,
			   const char *origin, struct lifecycle_result *r,
			   struct iq_err *err)
{
	return vm_program(s, vm, origin, false, r, err);
}

int lifecycle_vm_stop(struct session *s, const struct vm_facts *vm,
		      const char *name, struct lifecycle_result *r,
		      struct iq_err *err)
{
	struct state_vm *svm = state_find_vm(&s->state, vm ? vm->name : name);
	struct vm_facts scope;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&scope, 0, sizeof(scope));
	snprintf(scope.name, sizeof(scope.name), "%s", vm ? vm->name : name);
	/* Its VFs: what the journal knows, and what the caller says. */
	for (size_t i = 0; svm && i < svm->facts.npci; i++)
		if ((rc = vm_add_pci(&scope, svm->facts.pci[i], err)))
			goto out;
	for (size_t i = 0; vm && i < vm->npci; i++)
		if ((rc = vm_add_pci(&scope, vm->pci[i], err)))
			goto out;
	/*
	 * The caller opened the firmware from what it was told (a stop's XML
	 * may have lost a hot-unplugged VF); the journal's VFs need it too,
	 * or they would be skipped as "not supported" and keep the VM's cap.
	 */
	if (scope.npci > 0 && (rc = session_open_firmware(s, err)))
		goto out;
	rc = running_set(&s->state, scope.name, NULL, 0, r, err);
	if (rc == IQ_OK)
		rc = plan_build(&s->host, &s->policy, &s->state, r->running,
				r->nrunning, &scope, &r->plan, err);
	if (rc == IQ_OK)
		rc = plan_read_back(&s->host, &r->plan, err);
	if (rc == IQ_OK)
		rc = plan_execute(&s->host, &r->plan, err);
	if (rc == IQ_OK)
		rc = plan_record(&r->plan, &s->policy, &s->state, err);
	if (rc == IQ_OK) {
		/*
		 * r->running holds value copies of the other VMs' facts, whose
		 * storage the drop does not touch: the plan stays valid.
		 */
		state_drop_vm(&s->state, scope.name);
		rc = session_save_state(s, err);
	}
out:
	vm_facts_free(&scope);
	return rc;
}

int lifecycle_vm_verify(struct session *s, const struct vm_facts *vm,
			struct lifecycle_result *r, struct iq_err *err)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = running_set(&s->state, vm->name, vm, 1, r, err);
	if (rc == IQ_OK)
		rc = plan_build(&s->host, &s->policy, &s->state, r->running,
				r->nrunning, &r->running[r->nrunning - 1],
				&r->plan, err);
	if (rc == IQ_OK)
		rc = plan_read_back(&s->host, &r->plan, err);
	for (size_t i = 0; rc == IQ_OK && i < r->plan.nvfs; i++) {
		const struct plan_vf *pv = &r->plan.vfs[i];
		const struct state_vf *rec;

		if (!pv->in_scope || !pv->pf->supported)
			continue;
		rec = state_find_vf(&s->state, pv->vf->pci);
		if (rec && strcmp(rec->vm, vm->name) == 0) {
			r->mismatches += pv->write;
			continue;
		}
		if (!r->uncapped++)
			snprintf(r->uncapped_pci, sizeof(r->uncapped_pci), "%s",
				 pv->vf->pci);
	}
	return rc;
}

static bool covered(unsigned sources, const struct vm_facts *vm);

static bool listed(const struct vm_facts *vms, size_t nvms, const char *name)
{
	for (size_t j = 0; j < nvms; j++)
		if (strcmp(vms[j].name, name) == 0)
			return true;
	return false;
}

/*
 * A journal VM of a covered VMM the source did not list: gone only when
 * confirmed (a CH socket gone, or its VMM answers no VM); else it still
 * runs as far as anyone knows, and keeps its caps and journal entry.
 */
static bool kept_unconfirmed(unsigned sources, const struct vm_facts *vm,
			     struct vm_list *list)
{
	if (!covered(sources, vm) || listed(list->vms, list->n, vm->name))
		return false;
	/* The source's own answers first: each socket asked once a run. */
	return strcmp(vm->origin, VM_ORIGIN_CH) == 0 &&
	       !vm_ch_confirmed_gone(list, vm_source(vm));
}

static bool covered(unsigned sources, const struct vm_facts *vm)
{
	unsigned kind = strcmp(vm->origin, VM_ORIGIN_CH) == 0
				? LIFECYCLE_SRC_CH
				: LIFECYCLE_SRC_LIBVIRT;

	return (sources & kind) != 0;
}

static bool journalled(const struct state *st, const char *name)
{
	for (size_t i = 0; i < st->nvms; i++)
		if (strcmp(st->vms[i].facts.name, name) == 0)
			return true;
	return false;
}

int lifecycle_merge_meanwhile(const struct state *before,
			      const struct session *s, unsigned sources,
			      struct vm_list *vms, struct iq_err *err)
{
	int changed = 0;

	/* Stopped meanwhile: the source saw it, the journal let it go. */
	for (size_t i = vms->n; i-- > 0;) {
		if (!journalled(before, vms->vms[i].name) ||
		    journalled(&s->state, vms->vms[i].name))
			continue;
		vm_facts_free(&vms->vms[i]);
		memmove(&vms->vms[i], &vms->vms[i + 1],
			(vms->n - i - 1) * sizeof(vms->vms[i]));
		vms->n--;
		changed++;
	}
	/* Started meanwhile: journalled since, of a VMM the source lists. */
	for (size_t i = 0; i < s->state.nvms; i++) {
		const struct vm_facts *f = &s->state.vms[i].facts;
		struct vm_facts copy;
		bool listed = false;

		if (!covered(sources, f) || journalled(before, f->name))
			continue;
		for (size_t j = 0; j < vms->n && !listed; j++)
			listed = strcmp(vms->vms[j].name, f->name) == 0;
		if (listed)
			continue;
		if (vm_facts_copy(&copy, f, err))
			return -1;
		if (vm_list_push(vms, &copy, err)) {
			vm_facts_free(&copy);
			return -1;
		}
		changed++;
	}
	return changed;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Journalled VMs of the covered VMMs that vms does not list: stopped. */
static bool still_running(const struct lifecycle_result *r, const char *name)
{
	for (size_t k = 0; k < r->nrunning; k++)
		if (!strcmp(r->running[k].name, name))
			return true;
	return false;
}

/* Journal VMs a covered source did not list, unless kept running. */
static int drop_unlisted(struct state *state, const struct vm_facts *vms,
			 size_t nvms, unsigned sources,
			 const struct lifecycle_result *r, struct iq_err *err)
{
	const char **names = malloc((nvms ? nvms : 1) * sizeof(*names));

	if (!names)
		return iq_fail(err, IQ_EENV, "out of memory");
	for (size_t j = 0; j < nvms; j++)
		names[j] = vms[j].name;
	qsort(names, nvms, sizeof(*names), cmp_name);
	for (size_t i = state->nvms; i-- > 0;) {
		const char *name = state->vms[i].facts.name;

		if (covered(sources, &state->vms[i].facts) &&
		    !(nvms &&
		      bsearch(&name, names, nvms, sizeof(*names), cmp_name)) &&
		    !still_running(r, name))
			state_drop_vm(state, name);
	}
	free(names);
	return IQ_OK;
}

int lifecycle_apply(struct session *s, struct vm_list *listed_vms,
		    unsigned sources, enum lifecycle_mode mode,
		    struct lifecycle_result *r, struct iq_err *err)
{
	struct vm_list none = {0};
	struct vm_list *list = listed_vms ? listed_vms : &none;
	const struct vm_facts *vms = list->vms;
	size_t nvms = list->n, n = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	r->running = calloc(s->state.nvms + nvms + 1, sizeof(*r->running));
	if (!r->running)
		return iq_fail(err, IQ_EENV,
			       "out of memory listing running VMs");
	/* A source speaks for its VMM only: the others' VMs still run, and
	 * so does a VM of its VMM it did not see but cannot say is gone. */
	for (size_t i = 0; i < s->state.nvms; i++) {
		const struct vm_facts *f = &s->state.vms[i].facts;

		if (!covered(sources, f)) {
			r->running[n++] = *f;
		} else if (kept_unconfirmed(sources, f, list)) {
			r->running[n++] = *f;
			if (!r->kept++)
				snprintf(r->kept_first, sizeof(r->kept_first),
					 "%s (%s)", f->name, vm_source(f));
		}
	}
	for (size_t i = 0; i < nvms; i++)
		r->running[n++] = vms[i];
	r->nrunning = n;
	vm_list_free(&none); /* answers only: no source, no VM of it */
	/* One stale fact or unreachable PF must not stop the other caps. */
	rc = plan_build_all(&s->host, &s->policy, &s->state, r->running,
			    r->nrunning, &r->plan, err);
	if (rc == IQ_OK)
		rc = plan_read_back(&s->host, &r->plan, err);
	if (rc == IQ_OK && mode != LIFECYCLE_SHOW)
		plan_mark_will_write(&r->plan);
	if (rc == IQ_OK)
		rc = split_inputs(s, &r->plan, err);
	if (rc == IQ_OK)
		split_compute(&s->host, &s->policy, &r->plan, r->running,
			      r->nrunning, &r->split);
	/* Room again: scaled caps rise back (plan shows what apply does). */
	if (rc == IQ_OK && mode != LIFECYCLE_SHOW)
		rc = rescale_raise(&s->host, &s->policy, &s->state, &r->plan,
				   r->running, r->nrunning, &r->split,
				   &r->rescale, err);
	if (rc || mode != LIFECYCLE_APPLY)
		return rc;
	rc = plan_execute(&s->host, &r->plan, err);
	if (rc == IQ_OK)
		rc = plan_record(&r->plan, &s->policy, &s->state, err);
	/* The journal follows: the covered VMMs run exactly the VMs listed. */
	if (rc == IQ_OK)
		rc = drop_unlisted(&s->state, vms, nvms, sources, r, err);
	for (size_t j = 0; j < nvms && rc == IQ_OK; j++) {
		struct state_vm *svm = state_find_vm(&s->state, vms[j].name);
		struct state_vm kept;

		if (!svm) {
			rc = state_put_vm(&s->state, &vms[j], "apply", err);
			continue;
		}
		/*
		 * The source says what the VM has now (devices hot-plugged
		 * while no one listened, libvirtd restarted): its facts
		 * replace the journal's; how and when it started stay.
		 */
		kept = *svm;
		rc = state_put_vm(&s->state, &vms[j], kept.origin, err);
		svm = state_find_vm(&s->state, vms[j].name);
		svm->started = kept.started;
		svm->scale = kept.scale;
	}
	if (rc == IQ_OK) {
		rescale_record(&r->rescale, &r->plan, &s->state);
		rc = session_save_state(s, err);
	}
	return rc;
}

int lifecycle_reconcile_pf(struct session *s, const char *pf_pci,
			   struct lifecycle_result *r, struct iq_err *err)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = running_set(&s->state, NULL, NULL, 0, r, err);
	if (rc == IQ_OK)
		rc = plan_build(&s->host, &s->policy, &s->state, r->running,
				r->nrunning, NULL, &r->plan, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < r->plan.nvfs; i++)
		r->plan.vfs[i].in_scope =
			strcmp(r->plan.vfs[i].pf->pci, pf_pci) == 0;
	rc = plan_read_back(&s->host, &r->plan, err);
	if (rc == IQ_OK) {
		plan_mark_will_write(&r->plan);
		rc = split_inputs(s, &r->plan, err);
	}
	if (rc == IQ_OK) {
		split_compute(&s->host, &s->policy, &r->plan, r->running,
			      r->nrunning, &r->split);
		rc = plan_execute(&s->host, &r->plan, err);
	}
	if (rc == IQ_OK)
		rc = plan_record(&r->plan, &s->policy, &s->state, err);
	if (rc == IQ_OK)
		rc = session_save_state(s, err);
	return rc;
}

void lifecycle_result_free(struct lifecycle_result *r)
{
	rescale_free(&r->rescale);
	plan_free(&r->plan);
	free(r->running);
	memset(r, 0, sizeof(*r));
}
