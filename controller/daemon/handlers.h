/* SPDX-License-Identifier: MIT */
/*
 * What the daemon does for each thing it hears, apart from how it hears
 * it (daemon.c's loop): a VM found running or with changed devices, a VM
 * gone, a PF's VFs changed, a periodic reconcile, a policy reload. Each
 * gathers what it needs from libvirt or Cloud Hypervisor first, then takes
 * the lock for the firmware and the journal only (never waiting on a VMM
 * while holding it), and never refuses a VM a hook let start: running VMs
 * are reconciled without admission. Each logs one line of what it saw and
 * did; an error is logged and the daemon goes on.
 */
#ifndef ICMQUOTA_DAEMON_HANDLERS_H
#define ICMQUOTA_DAEMON_HANDLERS_H

#include <stdbool.h>
#include <stddef.h>

#include "controller/core/run.h"
#include "controller/daemon/ev_udev.h"
#include "controller/daemon/host_notes.h"
#include "controller/sources/ch_events.h"
#include "controller/sources/vm.h"
#include "controller/sources/vm_libvirt_events.h"
#include "lib/err.h"
#include "policy/policy.h"

struct daemon_opts {
	double interval_s;	 /* periodic reconcile */
	const char *metrics_dir; /* NULL: no textfile */
	const char *ch_dir;	 /* NULL: no Cloud Hypervisor */
	const char *libvirt_uri; /* NULL: no libvirt */
	bool udev;		 /* follow PCI uevents */
};

struct daemon {
	struct run_ctx *ctx;
	const struct daemon_opts *opts;
	struct policy policy; /* the last valid one; ctx->policy points here */
	bool have_policy;
	/* VF -> PF as last discovered: a removed VF's PF (uevent_pf). */
	struct uevent_vf *known;
	size_t nknown;
	bool libvirt_up;       /* events connection open: libvirt is a source */
	unsigned long events;  /* handled */
	unsigned long writes;  /* caps written */
	unsigned long repairs; /* of them, drift repaired */
	char status[256];      /* last thing done, for STATUS= */
	struct host_notes said; /* problems, overcommit: said once a change */
};

/* Load the policy (at start, and on SIGHUP). Invalid: IQ_EREFUSED, the
 * previous one kept. */
int dm_load_policy(struct daemon *d, struct iq_err *err);

/* A VM running with these devices (started, device added or removed):
 * its caps programmed, its VFs no longer held go idle, the journal and
 * so the memory split follow. why: "libvirt started", ... */
int dm_vm_running(struct daemon *d, const struct vm_facts *vm, const char *why,
		  struct iq_err *err);
/* A VM gone: its VFs back to idle, its journal entry closed (nothing to
 * do when the journal does not know it). */
int dm_vm_gone(struct daemon *d, const char *name, const char *why,
	       struct iq_err *err);

/*
 * A libvirt event: vm the domain's live facts (read before, without the
 * lock), gone when the domain no longer runs. CLOSED and OVERFLOW are
 * the loop's business, not handled here.
 */
int dm_libvirt_event(struct daemon *d, const struct lv_event *ev,
		     const struct vm_facts *vm, bool gone, struct iq_err *err);
/* A Cloud Hypervisor event of VM name whose API socket is sock. */
int dm_ch_event(struct daemon *d, const char *name, const char *sock,
		const struct ch_event *ev, struct iq_err *err);

/*
 * Every VF to its desired cap: the running VMs from libvirt (when
 * connected) and Cloud Hypervisor (ch_dir), the journal's for a source
 * that cannot be read; lifecycle_apply, apply's own path. drift: count
 * and log each write as a repair (periodic checks); else (start,
 * reconnect, reload) log them as caps programmed. Then what apply would
 * say of the host (its problems, an overcommit) when it changed
 * (host_notes.h), and the metrics file when asked for. dm_vm_running and
 * dm_reconcile_pf say the same of the split they leave.
 */
int dm_reconcile(struct daemon *d, const char *why, bool drift,
		 struct iq_err *err);
/* Only the VFs of one PF (a uevent). */
int dm_reconcile_pf(struct daemon *d, const char *pf, const char *why,
		    struct iq_err *err);

void dm_free(struct daemon *d);

#endif
