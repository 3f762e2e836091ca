/* SPDX-License-Identifier: MIT */
/*
 * Live libvirt events for the daemon: domain lifecycle (started, stopped)
 * and device added/removed, and the connection closing (libvirtd
 * restarted or gone).
 *
 * libvirt is dlopen'ed (as in vm_libvirt_live.c). Its default event loop
 * (virEventRegisterDefaultImpl) runs in a thread of its own that only
 * turns each callback into a fixed-size record on a pipe; the caller
 * polls the pipe's fd in its own loop and does all the work there, so
 * nothing slow ever runs inside libvirt's loop. The connection is
 * read-only (events need no more) with keepalive, so a hung daemon is
 * noticed too.
 */
#ifndef ICMQUOTA_VM_LIBVIRT_EVENTS_H
#define ICMQUOTA_VM_LIBVIRT_EVENTS_H

#include <stdbool.h>

#include "controller/sources/vm.h"
#include "controller/sources/vm_list.h"
#include "lib/err.h"

enum lv_event_kind {
	LV_EVENT_STARTED,	 /* VIR_DOMAIN_EVENT_STARTED */
	LV_EVENT_STOPPED,	 /* VIR_DOMAIN_EVENT_STOPPED */
	LV_EVENT_DEVICE_ADDED,	 /* VIR_DOMAIN_EVENT_ID_DEVICE_ADDED */
	LV_EVENT_DEVICE_REMOVED, /* VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED */
	LV_EVENT_CLOSED,	 /* the connection closed (reason in detail) */
	LV_EVENT_OVERFLOW,	 /* records were dropped: reconcile all */
};

struct lv_event {
	enum lv_event_kind kind;
	int detail;	 /* libvirt's detail or close reason */
	char name[256];	 /* domain name, "" for CLOSED/OVERFLOW */
	char alias[128]; /* device alias (device events), else "" */
};

const char *lv_event_kind_name(enum lv_event_kind kind);

/*
 * Load libvirt, start the event thread (once per process), connect to uri
 * read-only and register the callbacks. Errors (IQ_EENV) name the URI and
 * the fix. Only one connection at a time.
 */
int lv_events_open(const char *uri, struct iq_err *err);
/* The fd to poll for records (valid after the first open, kept after
 * close); -1 before. */
int lv_events_fd(void);
/* One record from the pipe: *got false when there is none. */
int lv_events_read(struct lv_event *ev, bool *got, struct iq_err *err);
/* Deregister and close the connection (the thread stays for a reopen). */
void lv_events_close(void);
/* Stop the event thread at exit (after lv_events_close). */
void lv_events_shutdown(void);
bool lv_events_connected(void);

/*
 * One domain's facts from its live XML over the open connection. *gone:
 * the domain no longer runs (or no longer exists); facts then unset.
 */
int lv_events_domain(const char *name, struct vm_facts *vm, bool *gone,
		     struct iq_err *err);

#endif
