// SPDX-License-Identifier: MIT
#include "controller/daemon/handlers.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/core/lifecycle.h"
#include "controller/daemon/textfile.h"
#include "controller/sources/vm_ch.h"
#include "controller/sources/vm_libvirt_live.h"
#include "controller/sources/vm_list.h"
#include "lib/size.h"

static const unsigned session_needs =
	SESSION_LOCK | SESSION_POLICY | SESSION_STATE | SESSION_FIRMWARE;

int dm_load_policy(struct daemon *d, struct iq_err *err)
{
	struct session s;
	int rc;

	/* Read the files (main policy, drop-ins) the way every command
	 * does, not the copy the sessions borrow; keep what was read. */
	d->ctx->policy = NULL;
	rc = session_open(d->ctx, SESSION_POLICY, &s, err);
	if (rc == IQ_OK) {
		if (d->have_policy)
			policy_free(&d->policy);
		d->policy = s.policy;
		d->have_policy = true;
		s.have_policy = false; /* moved */
		session_close(&s);
	}
	d->ctx->policy = d->have_policy ? &d->policy : NULL;
	return rc;
}

/* The VF -> PF map of this discovery, for uevents of VFs already gone. */
static void remember_vfs(struct daemon *d, const struct host *host)
{
	size_t n = 0;
	struct uevent_vf *known;

	for (size_t p = 0; p < host->npfs; p++)
		n += host->pfs[p].nvfs;
	known = calloc(n ? n : 1, sizeof(*known));
	if (!known)
		return; /* keep the old map: a remove may go unmatched */
	n = 0;
	for (size_t p = 0; p < host->npfs; p++)
		for (size_t v = 0; v < host->pfs[p].nvfs; v++, n++) {
			snprintf(known[n].vf, PCI_ADDR_LEN, "%s",
				 host->pfs[p].vfs[v].pci);
			snprintf(known[n].pf, PCI_ADDR_LEN, "%s",
				 host->pfs[p].pci);
		}
	free(d->known);
	d->known = known;
	d->nknown = n;
}

static unsigned long plan_writes(const struct plan *plan)
{
	unsigned long n = 0;

	for (size_t i = 0; i < plan->nvfs; i++)
		n += plan->vfs[i].written;
	return n;
}

/* "0000:0c:00.1,0000:0c:00.2" or "none": the VM's ConnectX VFs. */
static void vm_vfs(const struct plan *plan, const char *vm, char *out,
		   size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < plan->nvfs && n + PCI_ADDR_LEN + 1 < len; i++)
		if (plan->vfs[i].vm && !strcmp(plan->vfs[i].vm->name, vm))
			n += (size_t)snprintf(out + n, len - n, "%s%s",
					      n ? "," : "",
					      plan->vfs[i].vf->pci);
	if (!n)
		snprintf(out, len, "none");
}

static void cap_words(uint32_t pages, char *out, size_t len)
{
	if (pages == PRM_ICM_UNLIMITED)
		snprintf(out, len, "unlimited");
	else
		size_format((uint64_t)pages * ICM_PAGE_BYTES, out, len);
}

/* One line per cap written: VF, PF, VM, before -> after. */
static void log_writes(struct daemon *d, const struct plan *plan,
		       const char *what)
{
	for (size_t i = 0; i < plan->nvfs; i++) {
		const struct plan_vf *pv = &plan->vfs[i];
		char before[32], after[32];

		if (!pv->written)
			continue;
		cap_words(pv->read_cap_pages, before, sizeof(before));
		cap_words(pv->actual.max_alloc_icm_th, after, sizeof(after));
		run_note(d->ctx,
			 "daemon: %s: VF %s (PF %s, %s%s): cap %s -> %s", what,
			 pv->vf->pci, pv->pf->pci, pv->vm ? "VM " : "idle",
			 pv->vm ? pv->vm->name : "", before, after);
	}
}

int dm_vm_running(struct daemon *d, const struct vm_facts *vm, const char *why,
		  struct iq_err *err)
{
	struct lifecycle_result r = {0};
	struct session s;
	char vfs[1024];
	unsigned long writes;
	int rc;

	d->events++;
	rc = session_open(d->ctx, session_needs, &s, err);
	if (rc)
		return iq_err_prefix(err, "%s: VM %s", why, vm->name);
	rc = lifecycle_vm_reconcile(&s, vm, "daemon", &r, err);
	if (rc == IQ_OK) {
		writes = plan_writes(&r.plan);
		d->writes += writes;
		vm_vfs(&r.plan, vm->name, vfs, sizeof(vfs));
		run_note(d->ctx,
			 "daemon: %s: VM %s runs with VFs %s (%zu PCI "
			 "device%s): %lu cap%s written",
			 why, vm->name, vfs, vm->npci, vm->npci == 1 ? "" : "s",
			 writes, writes == 1 ? "" : "s");
		log_writes(d, &r.plan, "programmed");
		if (r.unsupported_vfs)
			run_note(d->ctx,
				 "daemon: warning: VM %s: %u VF%s on PFs "
				 "without VHCA_ICM_CTRL run UNCAPPED",
				 vm->name, r.unsupported_vfs,
				 r.unsupported_vfs == 1 ? "" : "s");
		snprintf(d->status, sizeof(d->status), "%s: VM %s", why,
			 vm->name);
		host_notes_say(&d->said, d->ctx, &s.policy, &r);
		remember_vfs(d, &s.host);
	} else {
		iq_err_prefix(err, "%s: VM %s", why, vm->name);
	}
	lifecycle_result_free(&r);
	session_close(&s);
	return rc;
}

int dm_vm_gone(struct daemon *d, const char *name, const char *why,
	       struct iq_err *err)
{
	struct lifecycle_result r = {0};
	struct state journal;
	struct session s;
	unsigned long writes;
	bool known;
	int rc;

	d->events++;
	/* Most stops were handled by the hook already: look without the
	 * lock first (a stale answer only costs a locked no-op). */
	rc = state_load(d->ctx->state_path, &journal, err);
	if (rc)
		return iq_err_prefix(err, "%s: VM %s", why, name);
	known = state_find_vm(&journal, name) != NULL;
	state_free(&journal);
	if (!known) {
		run_note(d->ctx,
			 "daemon: %s: VM %s: not in the journal, nothing to "
			 "do",
			 why, name);
		return IQ_OK;
	}
	rc = session_open(d->ctx, session_needs, &s, err);
	if (rc)
		return iq_err_prefix(err, "%s: VM %s", why, name);
	rc = lifecycle_vm_stop(&s, NULL, name, &r, err);
	if (rc == IQ_OK) {
		writes = plan_writes(&r.plan);
		d->writes += writes;
		run_note(d->ctx,
			 "daemon: %s: VM %s stopped: %lu cap%s back to idle",
			 why, name, writes, writes == 1 ? "" : "s");
		log_writes(d, &r.plan, "released");
		snprintf(d->status, sizeof(d->status), "%s: VM %s", why, name);
	} else {
		iq_err_prefix(err, "%s: VM %s", why, name);
	}
	lifecycle_result_free(&r);
	session_close(&s);
	return rc;
}

int dm_libvirt_event(struct daemon *d, const struct lv_event *ev,
		     const struct vm_facts *vm, bool gone, struct iq_err *err)
{
	char why[512];

	if (ev->alias[0])
		snprintf(why, sizeof(why), "libvirt %s %s of domain %s",
			 lv_event_kind_name(ev->kind), ev->alias, ev->name);
	else
		snprintf(why, sizeof(why), "libvirt domain %s %s", ev->name,
			 lv_event_kind_name(ev->kind));
	switch (ev->kind) {
	case LV_EVENT_STARTED:
	case LV_EVENT_DEVICE_ADDED:
	case LV_EVENT_DEVICE_REMOVED:
		if (gone || !vm)
			return dm_vm_gone(d, ev->name, why, err);
		return dm_vm_running(d, vm, why, err);
	case LV_EVENT_STOPPED:
		return dm_vm_gone(d, ev->name, why, err);
	case LV_EVENT_CLOSED:
	case LV_EVENT_OVERFLOW:
		break;
	}
	return IQ_OK;
}

int dm_ch_event(struct daemon *d, const char *name, const char *sock,
		const struct ch_event *ev, struct iq_err *err)
{
	char why[256], state[32];
	struct vm_facts vm;
	int rc;

	snprintf(why, sizeof(why), "cloud-hypervisor %s %s%s%s", ev->source,
		 ev->event, ev->id[0] ? " " : "", ev->id);
	switch (ch_event_action_of(ev)) {
	case CH_EVENT_IGNORE:
		run_verbose(d->ctx, "daemon: %s: VM %s: nothing to do", why,
			    name);
		return IQ_OK;
	case CH_EVENT_GONE:
		return dm_vm_gone(d, name, why, err);
	case CH_EVENT_RUNNING:
		break;
	}
	/* The VMM's answer first, without the lock. */
	rc = vm_ch_query(sock, &vm, state, sizeof(state), err);
	if (rc)
		return iq_err_prefix(err, "%s: VM %s", why, name);
	if (!strcmp(state, "Shutdown"))
		rc = dm_vm_gone(d, vm.name, why, err);
	else
		rc = dm_vm_running(d, &vm, why, err);
	vm_facts_free(&vm);
	return rc;
}

/* The running VMs the sources can list now, and which sources spoke. */
static void list_sources(struct daemon *d, struct vm_list *vms,
			 unsigned *sources)
{
	struct iq_err err = {0};

	*sources = 0;
	if (d->opts->libvirt_uri && d->libvirt_up) {
		struct vm_list lv = {0};

		if (vm_libvirt_list_running(d->opts->libvirt_uri, &lv, &err)) {
			run_note(d->ctx,
				 "daemon: %s (libvirt's VMs taken from the "
				 "journal)",
				 err.msg);
		} else {
			*sources |= LIFECYCLE_SRC_LIBVIRT;
			for (size_t i = 0; i < lv.n; i++)
				if (vm_list_push(vms, &lv.vms[i], &err))
					*sources &= ~LIFECYCLE_SRC_LIBVIRT;
		}
		vm_list_free(&lv);
	}
	if (d->opts->ch_dir) {
		struct vm_list ch = {0};
		unsigned dead = 0;
		char why[512] = "";

		iq_err_clear(&err);
		if (vm_ch_list_dir(d->opts->ch_dir, &ch, &dead, NULL, why,
				   sizeof(why), &err)) {
			run_note(d->ctx,
				 "daemon: %s (Cloud Hypervisor's VMs taken "
				 "from the journal)",
				 err.msg);
		} else {
			*sources |= LIFECYCLE_SRC_CH;
			if (dead)
				run_note(d->ctx,
					 "daemon: %s: %u VMM socket%s did not "
					 "answer, taken as not running (%s)",
					 d->opts->ch_dir, dead,
					 dead == 1 ? "" : "s", why);
			/* With what each socket answered: asked once a run. */
			if (vm_list_move(vms, &ch, &err))
				*sources &= ~LIFECYCLE_SRC_CH;
		}
		vm_list_free(&ch);
	}
}

int dm_reconcile(struct daemon *d, const char *why, bool drift,
		 struct iq_err *err)
{
	struct lifecycle_result r = {0};
	struct vm_list vms = {0};
	struct session s;
	unsigned sources;
	unsigned long writes;
	int rc;

	list_sources(d, &vms, &sources);
	rc = session_open(d->ctx, session_needs, &s, err);
	if (rc) {
		vm_list_free(&vms);
		return iq_err_prefix(err, "%s", why);
	}
	rc = lifecycle_apply(&s, &vms, sources, LIFECYCLE_APPLY, &r, err);
	if (rc == IQ_OK) {
		writes = plan_writes(&r.plan);
		d->writes += writes;
		if (drift) {
			d->repairs += writes;
			s.counted.v[CNT_DRIFT_REPAIRED] += writes;
		}
		log_writes(d, &r.plan, drift ? "drift repaired" : "programmed");
		run_note(d->ctx,
			 "daemon: %s: %zu VFs on %zu PFs, %zu VMs running, "
			 "%lu cap%s %s",
			 why, r.plan.nvfs, s.host.npfs, r.nrunning, writes,
			 writes == 1 ? "" : "s",
			 drift ? "repaired" : "written");
		snprintf(d->status, sizeof(d->status),
			 "%s: %zu VMs, %lu caps written", why, r.nrunning,
			 writes);
		host_notes_say(&d->said, d->ctx, &s.policy, &r);
		remember_vfs(d, &s.host);
		if (d->opts->metrics_dir) {
			struct iq_err merr = {0};

			if (textfile_write(d->opts->metrics_dir, &s, &r, &merr))
				run_note(d->ctx, "daemon: metrics: %s",
					 merr.msg);
		}
	} else {
		iq_err_prefix(err, "%s", why);
	}
	lifecycle_result_free(&r);
	session_close(&s);
	vm_list_free(&vms);
	return rc;
}

int dm_reconcile_pf(struct daemon *d, const char *pf, const char *why,
		    struct iq_err *err)
{
	struct lifecycle_result r = {0};
	struct session s;
	unsigned long writes;
	int rc;

	d->events++;
	rc = session_open(d->ctx, session_needs, &s, err);
	if (rc)
		return iq_err_prefix(err, "%s", why);
	if (!host_find_pf(&s.host, pf)) {
		run_note(d->ctx, "daemon: %s: PF %s is gone", why, pf);
		remember_vfs(d, &s.host);
		session_close(&s);
		return IQ_OK;
	}
	rc = lifecycle_reconcile_pf(&s, pf, &r, err);
	if (rc == IQ_OK) {
		size_t nvfs = 0;

		for (size_t i = 0; i < r.plan.nvfs; i++)
			nvfs += !strcmp(r.plan.vfs[i].pf->pci, pf);
		writes = plan_writes(&r.plan);
		d->writes += writes;
		log_writes(d, &r.plan, "programmed");
		run_note(d->ctx,
			 "daemon: %s: PF %s re-discovered: %zu VFs, %lu "
			 "cap%s written",
			 why, pf, nvfs, writes, writes == 1 ? "" : "s");
		host_notes_say(&d->said, d->ctx, &s.policy, &r);
		remember_vfs(d, &s.host);
	} else {
		iq_err_prefix(err, "%s: PF %s", why, pf);
	}
	lifecycle_result_free(&r);
	session_close(&s);
	return rc;
}

void dm_free(struct daemon *d)
{
	if (d->have_policy)
		policy_free(&d->policy);
	d->have_policy = false;
	d->ctx->policy = NULL;
	free(d->known);
	d->known = NULL;
	d->nknown = 0;
}
