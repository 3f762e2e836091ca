/* SPDX-License-Identifier: MIT */
/*
 * icmquota daemon: one thread of work (plus libvirt's event thread, which
 * only queues), one poll loop over signals, libvirt events, Cloud
 * Hypervisor event files, PCI uevents and deadlines (periodic reconcile,
 * libvirt reconnect with backoff, uevent settling, systemd watchdog).
 * Runs in the foreground until SIGTERM or SIGINT; SIGHUP reloads the
 * policy. systemd Type=notify: READY=1 after the first reconcile.
 */
#ifndef ICMQUOTA_DAEMON_H
#define ICMQUOTA_DAEMON_H

#include "controller/core/run.h"
#include "controller/daemon/handlers.h"
#include "lib/err.h"

/* Longest wait between two libvirt reconnect attempts, seconds. */
#define DAEMON_BACKOFF_MAX_S 30.0
/* Uevents of one PF settle this long before its reconcile (seconds):
 * sriov_numvfs=127 is 127 "add" events in a burst. */
#define DAEMON_UEVENT_SETTLE_S 0.2

/*
 * Run until asked to stop. Returns IQ_OK on SIGTERM/SIGINT; a policy that
 * is invalid at start: IQ_EREFUSED; a source that cannot be set up at
 * all (ch_dir missing, uevents refused): IQ_EENV. libvirtd down at start
 * is not an error: the daemon connects when it comes.
 */
int daemon_run(struct run_ctx *ctx, const struct daemon_opts *opts,
	       struct iq_err *err);

#endif
