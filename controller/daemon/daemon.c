// SPDX-License-Identifier: MIT
#include "controller/daemon/daemon.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "controller/daemon/ev_ch.h"
#include "controller/daemon/ev_udev.h"
#include "controller/daemon/notify.h"
#include "controller/sources/vm_libvirt_events.h"

#define MAX_PENDING_PFS 64

struct loop {
	struct daemon d;
	int sigfd;
	struct ch_follow *ch;
	struct udev_watch *udev;
	double next_reconcile;
	double lv_retry_at; /* 0: connected or not wanted */
	double lv_backoff;
	bool lv_down_logged;
	uint64_t watchdog_usec;
	double next_watchdog;
	char pending[MAX_PENDING_PFS][PCI_ADDR_LEN];
	size_t npending;
	double pending_at;
	bool reconcile_now; /* after an overflow or a reconnect */
	const char *reconcile_why;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void log_err(struct loop *l, const struct iq_err *err)
{
	run_note(l->d.ctx, "daemon: %s", err->msg);
}

static void status(struct loop *l)
{
	notify_send("STATUS=libvirt %s, %lu events, %lu caps written, %lu "
		    "drift repairs; last: %s",
		    !l->d.opts->libvirt_uri ? "off"
		    : l->d.libvirt_up	    ? "connected"
					    : "reconnecting",
		    l->d.events, l->d.writes, l->d.repairs,
		    l->d.status[0] ? l->d.status : "-");
}

static void reconcile(struct loop *l, const char *why, bool drift)
{
	struct iq_err err = {0};

	if (dm_reconcile(&l->d, why, drift, &err))
		log_err(l, &err);
	status(l);
}

/* ---- libvirt ----------------------------------------------------------- */

static void lv_connect(struct loop *l)
{
	struct iq_err err = {0};

	if (lv_events_open(l->d.opts->libvirt_uri, &err)) {
		if (!l->lv_down_logged)
			run_note(l->d.ctx,
				 "daemon: %s; retrying with backoff up to "
				 "%.0f s",
				 err.msg, DAEMON_BACKOFF_MAX_S);
		l->lv_down_logged = true;
		l->lv_retry_at = now_s() + l->lv_backoff;
		l->lv_backoff = l->lv_backoff * 2 < DAEMON_BACKOFF_MAX_S
					? l->lv_backoff * 2
					: DAEMON_BACKOFF_MAX_S;
		return;
	}
	run_note(l->d.ctx,
		 "daemon: libvirt %s: connected, following domain "
		 "events",
		 l->d.opts->libvirt_uri);
	l->d.libvirt_up = true;
	l->lv_down_logged = false;
	l->lv_retry_at = 0;
	l->lv_backoff = 1;
}

static void lv_handle(struct loop *l, const struct lv_event *ev)
{
	struct iq_err err = {0};
	struct vm_facts vm;
	bool gone = false;
	int rc = IQ_OK;

	switch (ev->kind) {
	case LV_EVENT_CLOSED:
		run_note(l->d.ctx,
			 "daemon: libvirt %s: connection closed (reason %d); "
			 "reconnecting",
			 l->d.opts->libvirt_uri, ev->detail);
		lv_events_close();
		l->d.libvirt_up = false;
		l->lv_backoff = 1;
		l->lv_retry_at = now_s() + 0.5;
		status(l);
		return;
	case LV_EVENT_OVERFLOW:
		l->reconcile_now = true;
		l->reconcile_why = "libvirt events dropped";
		return;
	case LV_EVENT_STOPPED:
		rc = dm_libvirt_event(&l->d, ev, NULL, true, &err);
		break;
	default:
		/* The live XML first, without the lock. */
		rc = lv_events_domain(ev->name, &vm, &gone, &err);
		if (rc == IQ_OK) {
			rc = dm_libvirt_event(&l->d, ev, gone ? NULL : &vm,
					      gone, &err);
			vm_facts_free(&vm);
		}
	}
	if (rc)
		log_err(l, &err);
	status(l);
}

static void lv_drain(struct loop *l)
{
	for (;;) {
		struct iq_err err = {0};
		struct lv_event ev;
		bool got;

		if (lv_events_read(&ev, &got, &err)) {
			log_err(l, &err);
			return;
		}
		if (!got)
			return;
		lv_handle(l, &ev);
	}
}

/* ---- Cloud Hypervisor ---------------------------------------------------- */

static void ch_event(void *opaque, const char *name, const char *sock,
		     const struct ch_event *ev)
{
	struct loop *l = opaque;
	struct iq_err err = {0};

	if (dm_ch_event(&l->d, name, sock, ev, &err))
		log_err(l, &err);
	status(l);
}

static void ch_problem(void *opaque, const char *msg)
{
	struct loop *l = opaque;

	run_note(l->d.ctx, "daemon: %s", msg);
}

/* ---- uevents ------------------------------------------------------------- */

static void udev_drain(struct loop *l)
{
	for (;;) {
		struct iq_err err = {0};
		char action[32], pci[PCI_ADDR_LEN], pf[PCI_ADDR_LEN];
		bool got, seen = false;

		if (udev_watch_read(l->udev, &got, action, sizeof(action), pci,
				    &err)) {
			log_err(l, &err);
			return;
		}
		if (!got)
			return;
		if (!uevent_pf(l->d.ctx->root, l->d.known, l->d.nknown, pci,
			       pf)) {
			run_verbose(l->d.ctx,
				    "daemon: uevent %s %s: not a ConnectX "
				    "function",
				    action, pci);
			continue;
		}
		run_note(l->d.ctx, "daemon: uevent %s %s (PF %s)", action, pci,
			 pf);
		for (size_t i = 0; i < l->npending; i++)
			seen |= !strcmp(l->pending[i], pf);
		if (!seen && l->npending < MAX_PENDING_PFS)
			snprintf(l->pending[l->npending++], PCI_ADDR_LEN, "%s",
				 pf);
		else if (!seen)
			l->reconcile_now = true;
		if (!l->pending_at)
			l->pending_at = now_s() + DAEMON_UEVENT_SETTLE_S;
	}
}

static void pending_run(struct loop *l)
{
	for (size_t i = 0; i < l->npending; i++) {
		struct iq_err err = {0};

		if (dm_reconcile_pf(&l->d, l->pending[i], "VF uevents", &err))
			log_err(l, &err);
	}
	l->npending = 0;
	l->pending_at = 0;
	status(l);
}

/* ---- signals ------------------------------------------------------------- */

static int signals_open(struct loop *l, struct iq_err *err)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked in every thread started later (libvirt's) too. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return iq_fail(err, IQ_EENV, "cannot block signals");
	signal(SIGPIPE, SIG_IGN);
	l->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l->sigfd < 0)
		return iq_fail(err, IQ_EENV, "signalfd: %s", strerror(errno));
	return IQ_OK;
}

static void reload(struct loop *l)
{
	struct iq_err err = {0};

	notify_send("RELOADING=1");
	if (dm_load_policy(&l->d, &err)) {
		run_note(l->d.ctx,
			 "daemon: SIGHUP: policy refused, the previous one "
			 "(sha256 %.12s) stays in force: %s",
			 l->d.policy.digest, err.msg);
	} else {
		run_note(l->d.ctx,
			 "daemon: SIGHUP: policy %s reloaded (sha256 "
			 "%.12s)",
			 l->d.ctx->policy_path, l->d.policy.digest);
		reconcile(l, "policy reloaded", false);
	}
	notify_send("READY=1");
	status(l);
}

/* true: stop */
static bool signals_drain(struct loop *l)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(l);
		} else {
			run_note(l->d.ctx, "daemon: %s: stopping",
				 strsignal((int)si.ssi_signo));
			stop = true;
		}
	}
	return stop;
}

/* ---- the loop ------------------------------------------------------------ */

static int setup(struct loop *l, struct iq_err *err)
{
	const struct daemon_opts *o = l->d.opts;
	int rc;

	rc = signals_open(l, err);
	if (rc == IQ_OK)
		rc = notify_init(&l->watchdog_usec, err);
	if (rc == IQ_OK && dm_load_policy(&l->d, err))
		return iq_err_prefix(err, "daemon not started");
	if (rc == IQ_OK && o->ch_dir)
		rc = ch_follow_open(o->ch_dir, &l->ch, err);
	if (rc == IQ_OK && o->udev)
		rc = udev_watch_open(&l->udev, err);
	if (rc)
		return rc;
	l->lv_backoff = 1;
	if (o->libvirt_uri)
		lv_connect(l);
	return IQ_OK;
}

static void teardown(struct loop *l)
{
	notify_send("STOPPING=1");
	if (l->d.opts->libvirt_uri)
		lv_events_shutdown();
	ch_follow_close(l->ch);
	udev_watch_close(l->udev);
	if (l->sigfd >= 0)
		close(l->sigfd);
	dm_free(&l->d);
}

static int poll_timeout_ms(const struct loop *l, double now)
{
	double next = l->next_reconcile;
	double ms;
	int whole;

	if (l->lv_retry_at && l->lv_retry_at < next)
		next = l->lv_retry_at;
	if (l->pending_at && l->pending_at < next)
		next = l->pending_at;
	if (l->watchdog_usec && l->next_watchdog < next)
		next = l->next_watchdog;
	if (l->reconcile_now || next <= now)
		return 0;
	/* Rounded up, at most an hour; written out rather than fmin(ceil())
	 * so that no run loads libm for it. !(<) also caps a NaN, as fmin
	 * did. */
	ms = (next - now) * 1000;
	if (!(ms < 60 * 60 * 1000))
		return 60 * 60 * 1000;
	whole = (int)ms;
	return whole < ms ? whole + 1 : whole;
}

static void deadlines(struct loop *l)
{
	double now = now_s();

	if (l->lv_retry_at && l->lv_retry_at <= now) {
		lv_connect(l);
		if (l->d.libvirt_up) {
			l->reconcile_now = true;
			l->reconcile_why = "libvirt reconnected";
		}
	}
	if (l->pending_at && l->pending_at <= now)
		pending_run(l);
	if (l->reconcile_now) {
		l->reconcile_now = false;
		reconcile(l, l->reconcile_why ? l->reconcile_why : "reconcile",
			  false);
	}
	if (l->next_reconcile <= now) {
		reconcile(l, "periodic check", true);
		l->next_reconcile = now_s() + l->d.opts->interval_s;
	}
	if (l->watchdog_usec && l->next_watchdog <= now) {
		notify_send("WATCHDOG=1");
		l->next_watchdog = now + (double)l->watchdog_usec / 2e6;
	}
}

int daemon_run(struct run_ctx *ctx, const struct daemon_opts *opts,
	       struct iq_err *err)
{
	struct loop *l = calloc(1, sizeof(*l));
	bool stop = false;
	int rc;

	if (!l)
		return iq_fail(err, IQ_EENV, "out of memory");
	l->d.ctx = ctx;
	l->d.opts = opts;
	l->sigfd = -1;
	rc = setup(l, err);
	if (rc) {
		teardown(l);
		free(l);
		return rc;
	}
	run_note(ctx,
		 "daemon: started: policy %s, libvirt %s, Cloud Hypervisor "
		 "%s, uevents %s, reconcile every %.0f s, metrics %s",
		 ctx->policy_path,
		 opts->libvirt_uri ? opts->libvirt_uri : "off",
		 opts->ch_dir ? opts->ch_dir : "off", l->udev ? "on" : "off",
		 opts->interval_s,
		 opts->metrics_dir ? opts->metrics_dir : "off");
	reconcile(l, "start", false);
	l->next_reconcile = now_s() + opts->interval_s;
	l->next_watchdog = now_s();
	notify_send("READY=1");
	status(l);
	while (!stop) {
		struct pollfd fds[4];
		int nfds = 0, lv_at = -1, ch_at = -1, ud_at = -1;

		fds[nfds++] = (struct pollfd){.fd = l->sigfd, .events = POLLIN};
		if (lv_events_fd() >= 0) {
			lv_at = nfds;
			fds[nfds++] = (struct pollfd){.fd = lv_events_fd(),
						      .events = POLLIN};
		}
		if (l->ch) {
			ch_at = nfds;
			fds[nfds++] = (struct pollfd){.fd = ch_follow_fd(l->ch),
						      .events = POLLIN};
		}
		if (l->udev) {
			ud_at = nfds;
			fds[nfds++] = (struct pollfd){
				.fd = udev_watch_fd(l->udev), .events = POLLIN};
		}
		if (poll(fds, (nfds_t)nfds, poll_timeout_ms(l, now_s())) < 0 &&
		    errno != EINTR) {
			rc = iq_fail(err, IQ_EENV, "daemon: poll: %s",
				     strerror(errno));
			break;
		}
		if (fds[0].revents)
			stop = signals_drain(l);
		if (!stop && lv_at >= 0 && fds[lv_at].revents)
			lv_drain(l);
		if (!stop && ch_at >= 0 && fds[ch_at].revents) {
			struct ch_follow_cb cb = {.opaque = l,
						  .event = ch_event,
						  .problem = ch_problem};
			struct iq_err cerr = {0};

			if (ch_follow_read(l->ch, &cb, &cerr))
				log_err(l, &cerr);
		}
		if (!stop && ud_at >= 0 && fds[ud_at].revents)
			udev_drain(l);
		if (!stop)
			deadlines(l);
	}
	teardown(l);
	free(l);
	return rc;
}
