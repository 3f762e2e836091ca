// SPDX-License-Identifier: MIT
#include "controller/core/plan.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devx/fw.h"
#include "devx/prm.h"
#include "lib/pci.h"
#include "lib/size.h"
#include "lib/text.h"

struct plan_vf *plan_find_vf(const struct plan *plan, const struct host_vf *vf)
{
	/* Rows are laid out in host order: a VF's row is its seq. */
	if (vf->seq < plan->nvfs && plan->vfs[vf->seq].vf == vf)
		return &plan->vfs[vf->seq];
	for (size_t i = 0; i < plan->nvfs; i++)
		if (plan->vfs[i].vf == vf)
			return &plan->vfs[i];
	return NULL;
}

static int add_problem(struct plan *plan, const struct iq_err *what,
		       struct iq_err *err)
{
	char(*grown)[512] =
		realloc(plan->problems,
			(plan->nproblems + 1) * sizeof(*plan->problems));

	if (!grown)
		return iq_fail(err, IQ_EENV, "out of memory");
	plan->problems = grown;
	snprintf(plan->problems[plan->nproblems++], sizeof(*plan->problems),
		 "%s", what->msg);
	return IQ_OK;
}

/* In a lenient plan, what failed becomes a problem and the run goes on. */
static int problem_or_error(struct plan *plan, int rc, struct iq_err *err)
{
	struct iq_err what;

	if (!rc || !plan->lenient || rc == IQ_EUSAGE)
		return rc;
	what = *err;
	iq_err_clear(err);
	return add_problem(plan, &what, err);
}

static int add_other(struct plan *plan, const struct vm_facts *vm,
		     const char *pci, bool connectx_pf, bool in_scope,
		     struct iq_err *err)
{
	struct plan_other *grown = realloc(
		plan->others, (plan->nothers + 1) * sizeof(*plan->others));

	if (!grown)
		return iq_fail(err, IQ_EENV, "out of memory");
	plan->others = grown;
	plan->others[plan->nothers].vm = vm;
	snprintf(plan->others[plan->nothers].pci, PCI_ADDR_LEN, "%s", pci);
	plan->others[plan->nothers].connectx_pf = connectx_pf;
	plan->others[plan->nothers].in_scope = in_scope;
	plan->nothers++;
	return IQ_OK;
}

/* Every VF of every PF gets an entry, idle until a VM claims it. */
static int plan_all_vfs(struct host *host, struct plan *plan,
			struct iq_err *err)
{
	size_t n = 0;

	for (size_t p = 0; p < host->npfs; p++)
		n += host->pfs[p].nvfs;
	plan->vfs = calloc(n ? n : 1, sizeof(*plan->vfs));
	if (!plan->vfs)
		return iq_fail(err, IQ_EENV, "out of memory");
	for (size_t p = 0; p < host->npfs; p++) {
		for (size_t v = 0; v < host->pfs[p].nvfs; v++) {
			struct plan_vf *pv = &plan->vfs[plan->nvfs++];

			pv->pf = &host->pfs[p];
			pv->vf = &host->pfs[p].vfs[v];
			pv->group = -1;
		}
	}
	return IQ_OK;
}

/*
 * strict: a device missing from the host is an error (the VM being started
 * or applied); a running VM's vanished device is not this run's business.
 */
static int claim_vm_devices(struct host *host, struct plan *plan,
			    const struct vm_facts *vm, bool strict,
			    struct iq_err *err)
{
	for (size_t i = 0; i < vm->npci; i++) {
		struct host_pf *pf = NULL;
		struct host_vf *vf = host_find_vf(host, vm->pci[i], &pf);
		const struct vm_facts *holder;
		int rc;

		if (!vf) {
			if (!host_pci_exists(host, vm->pci[i]) && !strict)
				continue;
			if (!host_pci_exists(host, vm->pci[i])) {
				rc = iq_fail(
					err, IQ_EREFUSED,
					"VM %s (%s): PCI device %s does not "
					"exist on this host "
					"(check the <hostdev> source address, "
					"or whether the VF "
					"was disabled through sriov_numvfs; if "
					"the VM no longer runs: icmquota vm "
					"stop %s)",
					vm->name, vm_source(vm), vm->pci[i],
					vm->name);
				rc = problem_or_error(plan, rc, err);
				if (rc)
					return rc;
				continue;
			}
			rc = add_other(
				plan, vm, vm->pci[i],
				host_pci_is_connectx_pf(host, vm->pci[i]),
				strict, err);
			if (rc)
				return rc;
			continue;
		}
		holder = plan_find_vf(plan, vf)->vm;
		if (holder && holder != vm) {
			rc = iq_fail(err, IQ_EREFUSED,
				     "VF %s is claimed by two VMs, %s and %s: "
				     "a VF can be passed to one VM only (if %s "
				     "no longer runs: icmquota vm stop %s)",
				     vf->pci, holder->name, vm->name,
				     holder->name, holder->name);
			/* The sources contradict each other: not a stale
			 * fact; nothing is written. */
			return rc;
		}
		plan_find_vf(plan, vf)->vm = vm;
	}
	return IQ_OK;
}

static const struct state_vf *journal_cap(const struct state *state,
					  const struct plan_vf *pv)
{
	/* Lookups only: the finds take no const for their callers' sake. */
	struct state *journal = (struct state *)state;
	const struct state_vm *svm;
	const struct state_vf *svf;

	if (!state || !pv->vm)
		return NULL;
	svm = state_find_vm(journal, pv->vm->name);
	if (!svm || !svm->scale.scaled)
		return NULL;
	svf = state_find_vf(journal, pv->vf->pci);
	return svf && strcmp(svf->vm, pv->vm->name) == 0 ? svf : NULL;
}

static int cmp_vm_name(const void *a, const void *b)
{
	return strcmp((*(const struct vm_facts *const *)a)->name,
		      (*(const struct vm_facts *const *)b)->name);
}

/* A VM given twice (sorted by name, neighbours compared). */
static int check_unique_names(const struct vm_facts *vms, size_t nvms,
			      struct iq_err *err)
{
	const struct vm_facts **by_name;
	int rc = IQ_OK;

	if (nvms < 2)
		return IQ_OK;
	by_name = malloc(nvms * sizeof(*by_name));
	if (!by_name)
		return iq_fail(err, IQ_EENV, "out of memory");
	for (size_t i = 0; i < nvms; i++)
		by_name[i] = &vms[i];
	qsort(by_name, nvms, sizeof(*by_name), cmp_vm_name);
	for (size_t i = 1; i < nvms && rc == IQ_OK; i++) {
		const struct vm_facts *a = by_name[i - 1], *b = by_name[i];

		if (strcmp(a->name, b->name) != 0)
			continue;
		/* Name them in the order they were given. */
		if (a > b) {
			const struct vm_facts *t = a;

			a = b;
			b = t;
		}
		rc = iq_fail(err, IQ_EREFUSED,
			     "VM %s is given twice (%s and %s)", a->name,
			     vm_source(a), vm_source(b));
	}
	free(by_name);
	return rc;
}

/* The journal's record of the VF, whoever holds it; NULL if none. A
 * binary search (the journal keeps its VFs sorted): build() asks once
 * per VF, 1,016 times on a fleet host. */
static const struct state_vf *journal_vf(const struct state *state,
					 const struct plan_vf *pv)
{
	return state ? state_find_vf((struct state *)state, pv->vf->pci) : NULL;
}

static bool in_scope(const struct vm_facts *scope, const struct plan_vf *pv)
{
	if (pv->vm && strcmp(pv->vm->name, scope->name) != 0)
		return false;
	for (size_t i = 0; i < scope->npci; i++)
		if (strcmp(scope->pci[i], pv->vf->pci) == 0)
			return true;
	return false;
}

/* Groups a PF can have, 0 when none (or its firmware was not read). */
static uint16_t pf_groups(const struct host_pf *pf)
{
	return pf->probed && pf->supported ? pf->group_id_max : 0;
}

/* Is id taken on pf by a journalled VF of another VM, or by this plan? */
static bool group_taken(const struct plan *plan, const struct state *state,
			const struct host_pf *pf, const struct vm_facts *vm,
			uint16_t id)
{
	for (size_t i = 0; i < plan->ngroups; i++)
		if (plan->groups[i].pf == pf && plan->groups[i].id == id)
			return true;
	for (size_t i = 0; state && i < state->nvfs; i++) {
		const struct state_vf *rec = &state->vfs[i];

		if (rec->group_id == id && rec->vm[0] &&
		    strcmp(rec->pf, pf->pci) == 0 &&
		    strcmp(rec->vm, vm->name) != 0)
			return true;
	}
	return false;
}

/* The group the journal has for vm on pf, 0 when none. */
static uint16_t journal_group_of(const struct state *state,
				 const struct host_pf *pf,
				 const struct vm_facts *vm)
{
	for (size_t i = 0; state && i < state->nvfs; i++)
		if (state->vfs[i].group_id && state->vfs[i].vm[0] &&
		    strcmp(state->vfs[i].pf, pf->pci) == 0 &&
		    strcmp(state->vfs[i].vm, vm->name) == 0)
			return state->vfs[i].group_id;
	return 0;
}

/*
 * vm_cap: every (VM, PF) pair the policy gives one gets a vHCA group, on
 * a PF that has groups; elsewhere its VFs are marked group_unsupported.
 */
static int plan_groups(struct plan *plan, const struct policy *policy,
		       const struct state *state, struct iq_err *err)
{
	for (size_t i = 0; i < plan->nvfs; i++) {
		struct plan_vf *pv = &plan->vfs[i];
		struct policy_decision d;
		struct policy_vm view;
		struct plan_group *g = NULL, *grown;
		uint16_t max, id;

		if (!pv->vm || pv->group >= 0)
			continue;
		if (!policy_vm_cap(policy, vm_policy_view(pv->vm, &view),
				   pv->pf->pci, &d))
			continue;
		max = pf_groups(pv->pf);
		if (!max) {
			pv->group_unsupported = true;
			continue;
		}
		for (size_t j = 0; j < plan->ngroups && !g; j++)
			if (plan->groups[j].pf == pv->pf &&
			    plan->groups[j].vm == pv->vm)
				g = &plan->groups[j];
		if (!g) {
			id = journal_group_of(state, pv->pf, pv->vm);
			if (!id || id > max ||
			    group_taken(plan, state, pv->pf, pv->vm, id))
				for (id = 1; id <= max; id++)
					if (!group_taken(plan, state, pv->pf,
							 pv->vm, id))
						break;
			if (id > max)
				return iq_fail(
					err, IQ_EREFUSED,
					"VM %s: PF %s has no free vHCA group "
					"(all %u in use) for its vm_cap; stop "
					"a VM with a vm_cap on that NIC, or "
					"drop vm_cap (%s)",
					pv->vm->name, pv->pf->pci, max, d.rule);
			grown = realloc(plan->groups,
					(plan->ngroups + 1) * sizeof(*grown));
			if (!grown)
				return iq_fail(err, IQ_EENV, "out of memory");
			plan->groups = grown;
			g = &grown[plan->ngroups++];
			memset(g, 0, sizeof(*g));
			g->pf = pv->pf;
			g->vm = pv->vm;
			g->id = id;
			g->decision = d;
			g->desired_bytes = d.cap_bytes;
		}
		for (size_t j = i; j < plan->nvfs; j++) {
			struct plan_vf *m = &plan->vfs[j];

			if (m->vm != pv->vm || m->pf != pv->pf)
				continue;
			m->group = (int)(g - plan->groups);
			g->members++;
			g->in_scope |= m->in_scope;
		}
	}
	return IQ_OK;
}

static int build(struct host *host, const struct policy *policy,
		 const struct state *state, const struct vm_facts *vms,
		 size_t nvms, const struct vm_facts *scope, bool lenient,
		 struct plan *plan, struct iq_err *err)
{
	int rc;

	memset(plan, 0, sizeof(*plan));
	plan->lenient = lenient;
	rc = plan_all_vfs(host, plan, err);
	if (rc == IQ_OK)
		rc = check_unique_names(vms, nvms, err);
	for (size_t i = 0; rc == IQ_OK && i < nvms; i++) {
		rc = claim_vm_devices(
			host, plan, &vms[i],
			!scope || strcmp(scope->name, vms[i].name) == 0, err);
	}
	for (size_t p = 0; rc == IQ_OK && p < host->npfs; p++)
		if (host->pfs[p].supported)
			rc = policy_check_device(policy, host->pfs[p].pci,
						 host->pfs[p].total_icm_bytes,
						 err);
	if (rc) {
		plan_free(plan);
		return rc;
	}
	for (size_t i = 0; i < plan->nvfs; i++) {
		struct plan_vf *pv = &plan->vfs[i];
		const struct state_vf *kept = journal_cap(state, pv);
		const struct state_vf *rec = journal_vf(state, pv);
		struct policy_vm view;

		/* The cap icmquota last asked this function for. */
		if (rec && strcmp(rec->pf, pv->pf->pci) == 0)
			pv->asked_pages = icm_bytes_to_pages(rec->cap_bytes);

		policy_vf_cap(policy, vm_policy_view(pv->vm, &view),
			      pv->pf->pci, &pv->decision);
		pv->desired_bytes = pv->decision.cap_bytes;
		if (kept && kept->cap_bytes < pv->desired_bytes) {
			pv->desired_bytes = kept->cap_bytes;
			pv->scaled = true;
		}
		pv->in_scope = !scope || in_scope(scope, pv);
		if (state) {
			const struct state_vf *jrec = state_find_vf(
				(struct state *)state, pv->vf->pci);

			pv->journal_group = jrec ? jrec->group_id : 0;
		}
	}
	rc = plan_groups(plan, policy, state, err);
	if (rc)
		plan_free(plan);
	return rc;
}

int plan_build(struct host *host, const struct policy *policy,
	       const struct state *state, const struct vm_facts *vms,
	       size_t nvms, const struct vm_facts *scope, struct plan *plan,
	       struct iq_err *err)
{
	return build(host, policy, state, vms, nvms, scope, false, plan, err);
}

int plan_build_all(struct host *host, const struct policy *policy,
		   const struct state *state, const struct vm_facts *vms,
		   size_t nvms, struct plan *plan, struct iq_err *err)
{
	return build(host, policy, state, vms, nvms, NULL, true, plan, err);
}

/*
 * The VF's PF cannot be reached: it cannot be capped this run. A lenient
 * plan says it once for the PF, with every VF of it in scope left
 * unchecked (how many, the running VMs' ones by name), so that "every
 * other VF" stays true; elsewhere the VF asked for is the error.
 */
static int unreachable(struct plan *plan, const struct plan_vf *pv,
		       struct iq_err *err)
{
	size_t n = 0, idle = 0, named = 0;
	char vms[256] = "";
	int rc;

	if (!plan->lenient)
		return iq_fail(err, IQ_EENV,
			       "VF %s%s%s cannot be capped: its PF %s cannot "
			       "be reached (%s)",
			       pv->vf->pci, pv->vm ? " of VM " : "",
			       pv->vm ? pv->vm->name : "", pv->pf->pci,
			       pv->pf->unreachable_why);
	for (size_t i = 0; i < plan->nvfs; i++) {
		const struct plan_vf *o = &plan->vfs[i];
		size_t used = strlen(vms);

		if (!o->in_scope || o->pf != pv->pf)
			continue;
		n++;
		if (!o->vm) {
			idle++;
			continue;
		}
		/* A few by name; the count says the rest. */
		if (named++ < 3)
			snprintf(vms + used, sizeof(vms) - used,
				 "%s%s of VM %s", used ? ", " : "", o->vf->pci,
				 o->vm->name);
		else if (named == 4)
			snprintf(vms + used, sizeof(vms) - used, ", ...");
	}
	plan->unreachable_pfs++;
	rc = iq_fail(err, IQ_EENV,
		     "PF %s cannot be reached (%s): its %zu VF%s left "
		     "unchecked and uncapped (%s%s%zu idle)",
		     pv->pf->pci, pv->pf->unreachable_why, n, n == 1 ? "" : "s",
		     vms, vms[0] ? "; " : "", idle);
	return problem_or_error(plan, rc, err);
}

uint32_t icm_rounding_from(uint32_t asked, uint32_t got)
{
	if (asked == PRM_ICM_UNLIMITED || got == PRM_ICM_UNLIMITED ||
	    got < asked)
		return 0;
	if (got == asked)
		return 1;
	for (uint32_t p = 2; p <= ICM_ROUNDING_MAX_PAGES; p <<= 1) {
		uint64_t up = ((uint64_t)asked + p - 1) / p * p;

		if (up == got)
			return p;
		if (up > got)
			return 0;
	}
	return 0;
}

bool icm_cap_matches(uint32_t actual, uint32_t desired, uint32_t rounding)
{
	if (actual == desired)
		return true;
	if (actual == PRM_ICM_UNLIMITED || desired == PRM_ICM_UNLIMITED ||
	    actual < desired || rounding < 2)
		return false;
	return actual - desired < rounding;
}

/* What this (asked, read back) pair says about the PF's rounding. */
static void learn_rounding(struct host_pf *pf, const struct plan_vf *pv)
{
	uint32_t p;

	if (!pv->asked_pages)
		return;
	p = icm_rounding_from(pv->asked_pages, pv->actual.max_alloc_icm_th);
	if (p > pf->icm_rounding_pages)
		pf->icm_rounding_pages = p;
}

/* Does the read-back differ from what the plan wants: one write. */
static void mark_write(struct plan *plan, struct plan_vf *pv)
{
	pv->write = !icm_cap_matches(pv->actual.max_alloc_icm_th,
				     icm_bytes_to_pages(pv->desired_bytes),
				     pv->pf->icm_rounding_pages) ||
		    pv->actual.vhca_group_id != pv->desired_group;
	plan->nwrites += pv->write;
}

/* One VHCA_GROUP_ICM_CTRL read of a group into g->actual. */
static int read_group(struct plan_group *g, struct iq_err *err)
{
	int rc = fw_read_group_icm(g->pf->fw, g->id, &g->actual, err);

	if (rc)
		return iq_err_prefix(err,
				     "reading vHCA group %u of PF %s (VM %s)",
				     g->id, g->pf->pci, g->vm->name);
	g->have_actual = true;
	return IQ_OK;
}

static int read_back(struct plan *plan, struct iq_err *err)
{
	plan->nwrites = 0;
	for (size_t i = 0; i < plan->ngroups; i++) {
		struct plan_group *g = &plan->groups[i];
		int rc;

		if (!g->in_scope)
			continue;
		rc = read_group(g, err);
		if (rc)
			return rc;
		g->write = g->actual.max_alloc_icm_th !=
			   icm_bytes_to_pages(g->desired_bytes);
		plan->nwrites += g->write;
	}
	for (size_t i = 0; i < plan->nvfs; i++) {
		struct plan_vf *pv = &plan->vfs[i];
		int rc;

		if (pv->in_scope && pv->pf->unreachable) {
			/* One problem per PF is enough in a lenient plan. */
			bool told = false;

			for (size_t j = 0; plan->lenient && j < i; j++)
				told |= plan->vfs[j].in_scope &&
					plan->vfs[j].pf == pv->pf;
			rc = told ? IQ_OK : unreachable(plan, pv, err);
			if (rc)
				return rc;
			continue;
		}
		if (!pv->in_scope || !pv->pf->supported)
			continue;
		rc = host_vf_vhca(pv->pf, pv->vf, err);
		if (rc == IQ_OK)
			rc = fw_read_vhca_icm(pv->pf->fw, pv->vf->vhca_id,
					      &pv->actual, err);
		/*
		 * A cached vhca_id the firmware does not know (the cache's
		 * keys missed a change): ask for it, read again.
		 */
		if (rc && pv->vf->vhca_cached &&
		    pv->pf->fw->last_status == PRM_STATUS_BAD_RESOURCE) {
			rc = host_vf_vhca_refresh(pv->pf, pv->vf, err);
			if (rc == IQ_OK)
				rc = fw_read_vhca_icm(pv->pf->fw,
						      pv->vf->vhca_id,
						      &pv->actual, err);
		}
		if (rc) {
			iq_err_prefix(err, "reading the cap of VF %s",
				      pv->vf->pci);
			rc = problem_or_error(plan, rc, err);
			if (rc)
				return rc;
			continue;
		}
		pv->have_actual = true;
		pv->read_cap_pages = pv->actual.max_alloc_icm_th;
		pv->held_known = true;
		pv->held_pages = pv->actual.cur_alloc_icm;
		/* Keep the group unless the plan means to change it. */
		if (pv->group >= 0)
			pv->desired_group = plan->groups[pv->group].id;
		else if (pv->journal_group)
			pv->desired_group = 0;
		else
			pv->desired_group = pv->actual.vhca_group_id;
		learn_rounding(pv->pf, pv);
	}
	/* Every pair learnt first: one PF's rounding holds for all its VFs. */
	for (size_t i = 0; i < plan->nvfs; i++)
		if (plan->vfs[i].have_actual)
			mark_write(plan, &plan->vfs[i]);
	return IQ_OK;
}

void plan_set_desired(struct plan *plan, struct plan_vf *pv, uint64_t bytes)
{
	pv->desired_bytes = bytes;
	if (!pv->have_actual || pv->written)
		return;
	plan->nwrites -= pv->write;
	mark_write(plan, pv);
}

int plan_read_back(struct host *host, struct plan *plan, struct iq_err *err)
{
	int rc = read_back(plan, err);
	struct iq_err ignored = {0};

	if (rc == IQ_OK)
		return host_fw_flush(host, err);
	host_fw_flush(host, &ignored); /* reads only: nothing to lose */
	return rc;
}

int plan_execute(struct host *host, struct plan *plan, struct iq_err *err)
{
	int rc = IQ_OK;

	/* The budget first, so no VF joins a group with a stale one. */
	for (size_t i = 0; i < plan->ngroups; i++) {
		struct plan_group *g = &plan->groups[i];

		if (!g->write || g->written)
			continue;
		rc = fw_write_group_icm_cap(
			g->pf->fw, g->id, icm_bytes_to_pages(g->desired_bytes),
			err);
		if (rc) {
			iq_err_prefix(err,
				      "setting the budget of vHCA group %u of "
				      "PF %s (VM %s)",
				      g->id, g->pf->pci, g->vm->name);
			break;
		}
		g->written = true;
		g->actual.max_alloc_icm_th =
			icm_bytes_to_pages(g->desired_bytes);
	}
	for (size_t i = 0; rc == IQ_OK && i < plan->nvfs; i++) {
		struct plan_vf *pv = &plan->vfs[i];

		if (!pv->write || pv->written)
			continue;
		rc = fw_write_vhca_icm_cap(
			pv->pf->fw, pv->vf->vhca_id,
			icm_bytes_to_pages(pv->desired_bytes),
			pv->desired_group, err);
		if (rc) {
			iq_err_prefix(err, "setting the cap of VF %s",
				      pv->vf->pci);
			rc = problem_or_error(plan, rc, err);
			if (rc)
				break;
			continue;
		}
		pv->written = true;
		pv->actual.max_alloc_icm_th =
			icm_bytes_to_pages(pv->desired_bytes);
		pv->actual.vhca_group_id = pv->desired_group;
	}
	/* What was written holds, even when a later write failed. */
	if (rc == IQ_OK)
		return host_fw_flush(host, err);
	{
		struct iq_err flush_err = {0};

		if (host_fw_flush(host, &flush_err))
			iq_err_prefix(err, "%s; before that", flush_err.msg);
	}
	return rc;
}

/* Two journal records of a VF saying the same, whenever written. */
static bool same_record(const struct state_vf *a, const struct state_vf *b)
{
	return !strcmp(a->pf, b->pf) && a->vhca_id == b->vhca_id &&
	       !strcmp(a->vm, b->vm) && a->cap_bytes == b->cap_bytes &&
	       !strcmp(a->rule, b->rule) &&
	       !strcmp(a->policy_digest, b->policy_digest) &&
	       a->group_id == b->group_id &&
	       a->group_cap_bytes == b->group_cap_bytes;
}

int plan_record(const struct plan *plan, const struct policy *policy,
		struct state *state, struct iq_err *err)
{
	int64_t now = (int64_t)time(NULL);

	for (size_t i = 0; i < plan->nvfs; i++) {
		const struct plan_vf *pv = &plan->vfs[i];
		const struct state_vf *prev;
		struct state_vf rec;
		int rc;

		/* Only what the firmware holds now: a VF whose read or
		 * write failed (lenient plan) keeps its old record. */
		if (!pv->in_scope || !pv->pf->supported || !pv->have_actual ||
		    (pv->write && !pv->written))
			continue;
		memset(&rec, 0, sizeof(rec));
		text_copy(rec.pci, sizeof(rec.pci), pv->vf->pci);
		text_copy(rec.pf, sizeof(rec.pf), pv->pf->pci);
		rec.vhca_id = pv->vf->vhca_id;
		text_copy(rec.vm, sizeof(rec.vm), pv->vm ? pv->vm->name : "");
		rec.cap_bytes = pv->desired_bytes;
		text_copy(rec.rule, sizeof(rec.rule), pv->decision.rule);
		text_copy(rec.policy_digest, sizeof(rec.policy_digest),
			  policy->digest);
		rec.time = now;
		if (pv->group >= 0) {
			rec.group_id = plan->groups[pv->group].id;
			rec.group_cap_bytes =
				plan->groups[pv->group].desired_bytes;
		}
		/* Unchanged and not written this run: programmed back then. */
		prev = state_find_vf(state, rec.pci);
		if (prev && !pv->written && same_record(prev, &rec))
			rec.time = prev->time;
		rc = state_put_vf(state, &rec, err);
		if (rc)
			return rc;
	}
	return IQ_OK;
}

enum plan_held plan_idle_held(const struct plan_vf *pv, uint64_t *bytes,
			      char *why, size_t why_len)
{
	const struct host_pf *pf = pv->pf;

	*bytes = 0;
	/* fw_pages_total alone: every VF's pages are in the PF's term. */
	if (pf->fw_pages.total >= 0 && pf->fw_pages.vfs < 0)
		return PLAN_HELD_IN_PF_TOTAL;
	if (pv->held_known) {
		*bytes = icm_pages_to_bytes(pv->held_pages);
		return PLAN_HELD_KNOWN;
	}
	/* debugfs: no VF of this PF holds a page, this one included. */
	if (pf->fw_pages.vfs == 0)
		return PLAN_HELD_KNOWN;
	if (pf->unreachable)
		snprintf(why, why_len, "VF %s: PF %s cannot be reached (%s)",
			 pv->vf->pci, pf->pci, pf->unreachable_why);
	else if (pf->probed && !pf->supported)
		snprintf(why, why_len,
			 "VF %s: PF %s has no VHCA_ICM_CTRL to read "
			 "cur_alloc_icm, and debugfs %s",
			 pv->vf->pci, pf->pci,
			 pf->fw_pages.vfs < 0
				 ? "has no fw_pages_vfs"
				 : "fw_pages_vfs says its VFs hold pages");
	else
		snprintf(why, why_len,
			 "VF %s: cur_alloc_icm not read (firmware of PF %s "
			 "not asked or the read failed)",
			 pv->vf->pci, pf->pci);
	return PLAN_HELD_UNKNOWN;
}

/* An idle VF whose holding only the firmware can say. */
static bool idle_needs_read(const struct plan_vf *pv)
{
	uint64_t bytes;
	char why[8];

	return !pv->vm && !pv->pf->unreachable &&
	       !(pv->pf->probed && !pv->pf->supported) &&
	       plan_idle_held(pv, &bytes, why, sizeof(why)) ==
		       PLAN_HELD_UNKNOWN;
}

bool plan_idle_held_needs_firmware(const struct plan *plan)
{
	for (size_t i = 0; i < plan->nvfs; i++)
		if (!plan->vfs[i].pf->probed && idle_needs_read(&plan->vfs[i]))
			return true;
	return false;
}

int plan_read_idle_held(struct host *host, struct plan *plan,
			struct iq_err *err)
{
	for (size_t i = 0; i < plan->nvfs; i++) {
		struct plan_vf *pv = &plan->vfs[i];
		struct prm_vhca_icm_ctrl now;
		struct iq_err why = {0};
		int rc;

		if (!pv->pf->probed || !pv->pf->fw || !idle_needs_read(pv))
			continue;
		/* A VF that cannot be read stays unknown: the split says
		 * so; the VM start goes on. */
		rc = host_vf_vhca(pv->pf, pv->vf, &why);

		if (rc == IQ_OK)
			rc = fw_read_vhca_icm(pv->pf->fw, pv->vf->vhca_id, &now,
					      &why);
		/* A cached vhca_id the firmware does not know: ask again. */
		if (rc && pv->vf->vhca_cached &&
		    pv->pf->fw->last_status == PRM_STATUS_BAD_RESOURCE &&
		    host_vf_vhca_refresh(pv->pf, pv->vf, &why) == IQ_OK)
			rc = fw_read_vhca_icm(pv->pf->fw, pv->vf->vhca_id, &now,
					      &why);
		if (rc == IQ_OK) {
			pv->held_known = true;
			pv->held_pages = now.cur_alloc_icm;
		}
	}
	return host_fw_flush(host, err);
}

void plan_copy_readings(struct plan *dst, const struct plan *src)
{
	for (size_t i = 0; i < dst->nvfs && i < src->nvfs; i++) {
		struct plan_vf *d = &dst->vfs[i];
		const struct plan_vf *s = &src->vfs[i];

		if (d->vf != s->vf)
			continue;
		d->have_actual = s->have_actual;
		d->actual = s->actual;
		d->read_cap_pages = s->read_cap_pages;
		d->held_known = s->held_known;
		d->held_pages = s->held_pages;
	}
}

bool plan_vf_over_cap(const struct plan_vf *pv)
{
	return pv->have_actual &&
	       pv->actual.max_alloc_icm_th != PRM_ICM_UNLIMITED &&
	       pv->actual.cur_alloc_icm > pv->actual.max_alloc_icm_th;
}

uint64_t plan_vf_cap_charge(const struct plan_vf *pv, uint64_t mem_total)
{
	const struct host_pf *pf = pv->pf;
	uint64_t charge = pv->desired_bytes;

	/*
	 * A cap the firmware cannot hold (no VHCA_ICM_CTRL on the PF) bounds
	 * nothing: the VF runs uncapped, and counts as an unlimited cap
	 * would, never as the cap the policy asked for. (A VF of a PF that
	 * cannot be reached is not started at all: plan.c says so.)
	 */
	if (pf->probed && !pf->unreachable && !pf->supported)
		charge = IQ_UNLIMITED;
	if (!pv->will_write && charge != IQ_UNLIMITED) {
		uint64_t in_force = 0;

		if (pv->have_actual)
			in_force =
				pv->actual.max_alloc_icm_th == PRM_ICM_UNLIMITED
					? IQ_UNLIMITED
					: icm_pages_to_bytes(
						  pv->actual.max_alloc_icm_th);
		else if (pv->asked_pages)
			in_force = icm_pages_to_bytes(pv->asked_pages);
		if (in_force > charge)
			charge = in_force;
	}
	if (charge == IQ_UNLIMITED) {
		/* Total ICM unknown (firmware not asked): the safe side. */
		if (pf->probed && pf->total_icm_bytes &&
		    pf->total_icm_bytes != IQ_UNLIMITED)
			return pf->total_icm_bytes;
		return mem_total;
	}
	/*
	 * Read back above its cap (a cap lowered below what the VF holds:
	 * the firmware does not reclaim pages): what it holds is committed.
	 */
	if (plan_vf_over_cap(pv) &&
	    icm_pages_to_bytes(pv->actual.cur_alloc_icm) > charge)
		charge = icm_pages_to_bytes(pv->actual.cur_alloc_icm);
	return charge;
}

uint64_t plan_group_charge(const struct plan *plan, const struct plan_group *g,
			   uint64_t mem_total)
{
	uint64_t sum = 0, budget = g->desired_bytes;

	for (size_t i = 0; i < plan->nvfs; i++) {
		uint64_t c;

		if (plan->vfs[i].group < 0 ||
		    &plan->groups[plan->vfs[i].group] != g)
			continue;
		c = plan_vf_cap_charge(&plan->vfs[i], mem_total);
		sum = sum > UINT64_MAX - c ? UINT64_MAX : sum + c;
	}
	if (!g->will_write && g->have_actual && budget != IQ_UNLIMITED) {
		uint64_t in_force =
			g->actual.max_alloc_icm_th == PRM_ICM_UNLIMITED
				? IQ_UNLIMITED
				: icm_pages_to_bytes(
					  g->actual.max_alloc_icm_th);

		if (in_force > budget)
			budget = in_force;
	}
	if (budget == IQ_UNLIMITED)
		budget = g->pf->total_icm_bytes != IQ_UNLIMITED
				 ? g->pf->total_icm_bytes
				 : mem_total;
	if (budget > sum)
		budget = sum;
	if (g->have_actual &&
	    icm_pages_to_bytes(g->actual.cur_alloc_icm) > budget)
		budget = icm_pages_to_bytes(g->actual.cur_alloc_icm);
	return budget;
}

int plan_read_groups_held(struct plan *plan, struct iq_err *err)
{
	for (size_t i = 0; i < plan->ngroups; i++) {
		struct plan_group *g = &plan->groups[i];
		int rc;

		if (g->in_scope || g->have_actual || !g->pf->fw ||
		    g->pf->unreachable)
			continue;
		rc = read_group(g, err);
		if (rc)
			return rc;
	}
	return IQ_OK;
}

void plan_mark_will_write(struct plan *plan)
{
	for (size_t i = 0; i < plan->nvfs; i++)
		plan->vfs[i].will_write = plan->vfs[i].in_scope;
	for (size_t i = 0; i < plan->ngroups; i++)
		plan->groups[i].will_write = plan->groups[i].in_scope;
}

void plan_free(struct plan *plan)
{
	free(plan->vfs);
	free(plan->others);
	free(plan->groups);
	free(plan->problems);
	memset(plan, 0, sizeof(*plan));
}
