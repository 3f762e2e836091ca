/* SPDX-License-Identifier: MIT */
/*
 * Cloud Hypervisor VMMs in one directory (the setting `ch_dir`): each VMM
 * runs with `--api-socket path=DIR/NAME.sock --event-monitor
 * path=DIR/NAME.events`, so the VM is NAME (the CH socket rule, vm_ch.h)
 * and its events are in NAME.events. Files present when the daemon starts
 * are followed from their current end (what happened before is what the
 * first reconcile reads from the sockets); files created later are
 * followed from their start. inotify says when a file grows, appears,
 * is truncated or goes.
 */
#ifndef ICMQUOTA_DAEMON_EV_CH_H
#define ICMQUOTA_DAEMON_EV_CH_H

#include "controller/sources/ch_events.h"
#include "lib/err.h"

#define CH_EVENTS_SUFFIX ".events"

struct ch_follow;

/* Errors (IQ_EENV): the directory cannot be watched (missing, no access). */
int ch_follow_open(const char *dir, struct ch_follow **f, struct iq_err *err);
int ch_follow_fd(const struct ch_follow *f);

struct ch_follow_cb {
	void *opaque;
	/* One event of VM name; sock is DIR/NAME.sock. */
	void (*event)(void *opaque, const char *name, const char *sock,
		      const struct ch_event *ev);
	/* A problem with one file (malformed event, read error): logged. */
	void (*problem)(void *opaque, const char *msg);
};

/* Read what inotify reports and every new byte; events in file order. */
int ch_follow_read(struct ch_follow *f, const struct ch_follow_cb *cb,
		   struct iq_err *err);
void ch_follow_close(struct ch_follow *f);

#endif
