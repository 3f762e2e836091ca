// SPDX-License-Identifier: MIT
/*
 * libvirt events -> records on a pipe (vm_libvirt_events.h). The callbacks
 * run on the event thread and do nothing but write one record each; a
 * record fits in PIPE_BUF, so writes are atomic, and the pipe never blocks
 * the thread: when it is full the record is dropped and an overflow
 * record tells the reader to reconcile everything instead.
 */
#include "controller/sources/vm_libvirt_events.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "lib/dynlib.h"

_Static_assert(sizeof(struct lv_event) <= PIPE_BUF,
	       "a record must be written atomically");

static struct {
	bool loaded;
	int (*EventRegisterDefaultImpl)(void);
	int (*EventRunDefaultImpl)(void);
	int (*EventAddTimeout)(int, virEventTimeoutCallback, void *,
			       virFreeCallback);
	void (*EventUpdateTimeout)(int, int);
	int (*EventRemoveTimeout)(int);
	virConnectPtr (*ConnectOpenReadOnly)(const char *);
	int (*ConnectClose)(virConnectPtr);
	int (*ConnectDomainEventRegisterAny)(
		virConnectPtr, virDomainPtr, int,
		virConnectDomainEventGenericCallback, void *, virFreeCallback);
	int (*ConnectDomainEventDeregisterAny)(virConnectPtr, int);
	int (*ConnectRegisterCloseCallback)(virConnectPtr, virConnectCloseFunc,
					    void *, virFreeCallback);
	int (*ConnectUnregisterCloseCallback)(virConnectPtr,
					      virConnectCloseFunc);
	int (*ConnectSetKeepAlive)(virConnectPtr, int, unsigned int);
	void (*SetErrorFunc)(void *, virErrorFunc);
	void (*ConnSetErrorFunc)(virConnectPtr, void *, virErrorFunc);
	virErrorPtr (*GetLastError)(void);
	const char *(*DomainGetName)(virDomainPtr);
	virDomainPtr (*DomainLookupByName)(virConnectPtr, const char *);
	char *(*DomainGetXMLDesc)(virDomainPtr, unsigned int);
	int (*DomainIsActive)(virDomainPtr);
	int (*DomainFree)(virDomainPtr);
} lv;

static struct {
	bool thread_started;
	pthread_t thread;
	atomic_bool stop;
	int wake_timer;
	int pipe_rd, pipe_wr;
	atomic_bool overflow;
	virConnectPtr conn;
	char uri[1024];
	int cb_ids[3];
} st = {.pipe_rd = -1, .pipe_wr = -1, .wake_timer = -1};

static int load(struct iq_err *err)
{
	static const struct dynlib_sym syms[] = {
		{"virEventRegisterDefaultImpl",
		 (void **)&lv.EventRegisterDefaultImpl},
		{"virEventRunDefaultImpl", (void **)&lv.EventRunDefaultImpl},
		{"virEventAddTimeout", (void **)&lv.EventAddTimeout},
		{"virEventUpdateTimeout", (void **)&lv.EventUpdateTimeout},
		{"virEventRemoveTimeout", (void **)&lv.EventRemoveTimeout},
		{"virConnectOpenReadOnly", (void **)&lv.ConnectOpenReadOnly},
		{"virConnectClose", (void **)&lv.ConnectClose},
		{"virConnectDomainEventRegisterAny",
		 (void **)&lv.ConnectDomainEventRegisterAny},
		{"virConnectDomainEventDeregisterAny",
		 (void **)&lv.ConnectDomainEventDeregisterAny},
		{"virConnectRegisterCloseCallback",
		 (void **)&lv.ConnectRegisterCloseCallback},
		{"virConnectUnregisterCloseCallback",
		 (void **)&lv.ConnectUnregisterCloseCallback},
		{"virConnectSetKeepAlive", (void **)&lv.ConnectSetKeepAlive},
		{"virSetErrorFunc", (void **)&lv.SetErrorFunc},
		{"virConnSetErrorFunc", (void **)&lv.ConnSetErrorFunc},
		{"virGetLastError", (void **)&lv.GetLastError},
		{"virDomainGetName", (void **)&lv.DomainGetName},
		{"virDomainLookupByName", (void **)&lv.DomainLookupByName},
		{"virDomainGetXMLDesc", (void **)&lv.DomainGetXMLDesc},
		{"virDomainIsActive", (void **)&lv.DomainIsActive},
		{"virDomainFree", (void **)&lv.DomainFree},
	};
	int rc;

	if (lv.loaded)
		return IQ_OK;
	rc = dynlib_load("libvirt.so.0", syms, sizeof(syms) / sizeof(syms[0]),
			 "install libvirt0, or set libvirt_uri = none in the "
			 "settings to follow no libvirt",
			 err);
	lv.loaded = rc == IQ_OK;
	return rc;
}

const char *lv_event_kind_name(enum lv_event_kind kind)
{
	switch (kind) {
	case LV_EVENT_STARTED:
		return "started";
	case LV_EVENT_STOPPED:
		return "stopped";
	case LV_EVENT_DEVICE_ADDED:
		return "device-added";
	case LV_EVENT_DEVICE_REMOVED:
		return "device-removed";
	case LV_EVENT_CLOSED:
		return "connection-closed";
	case LV_EVENT_OVERFLOW:
		return "overflow";
	}
	return "?";
}

static void ignore_error(void *opaque, virErrorPtr error)
{
	(void)opaque;
	(void)error;
}

/* libvirt's last error on one line. */
static void last_error(char *out, size_t len)
{
	virErrorPtr last = lv.GetLastError();
	const char *msg =
		last && last->message ? last->message : "unknown libvirt error";
	size_t n = 0;

	for (; *msg && n + 1 < len; msg++)
		out[n++] = iscntrl((unsigned char)*msg) ? ' ' : *msg;
	out[n] = '\0';
}

/* ---- the event thread ------------------------------------------------- */

static void post(enum lv_event_kind kind, int detail, virDomainPtr dom,
		 const char *alias)
{
	struct lv_event ev;
	const char *name = dom ? lv.DomainGetName(dom) : NULL;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.detail = detail;
	snprintf(ev.name, sizeof(ev.name), "%s", name ? name : "");
	snprintf(ev.alias, sizeof(ev.alias), "%s", alias ? alias : "");
	if (write(st.pipe_wr, &ev, sizeof(ev)) != (ssize_t)sizeof(ev))
		atomic_store(&st.overflow, true);
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event,
			int detail, void *opaque)
{
	(void)conn;
	(void)opaque;
	if (event == VIR_DOMAIN_EVENT_STARTED)
		post(LV_EVENT_STARTED, detail, dom, NULL);
	else if (event == VIR_DOMAIN_EVENT_STOPPED)
		post(LV_EVENT_STOPPED, detail, dom, NULL);
	return 0;
}

static void on_device_added(virConnectPtr conn, virDomainPtr dom,
			    const char *alias, void *opaque)
{
	(void)conn;
	(void)opaque;
	post(LV_EVENT_DEVICE_ADDED, 0, dom, alias);
}

static void on_device_removed(virConnectPtr conn, virDomainPtr dom,
			      const char *alias, void *opaque)
{
	(void)conn;
	(void)opaque;
	post(LV_EVENT_DEVICE_REMOVED, 0, dom, alias);
}

static void on_close(virConnectPtr conn, int reason, void *opaque)
{
	(void)conn;
	(void)opaque;
	post(LV_EVENT_CLOSED, reason, NULL, NULL);
}

static void on_wake(int timer, void *opaque)
{
	(void)opaque;
	lv.EventUpdateTimeout(timer, -1);
}

static void *event_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&st.stop))
		if (lv.EventRunDefaultImpl() < 0)
			break;
	return NULL;
}

static int start_thread(struct iq_err *err)
{
	int fds[2];

	if (st.thread_started)
		return IQ_OK;
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return iq_fail(err, IQ_EENV, "libvirt events: pipe: %s",
			       strerror(errno));
	st.pipe_rd = fds[0];
	st.pipe_wr = fds[1];
	if (lv.EventRegisterDefaultImpl() < 0)
		return iq_fail(err, IQ_EENV,
			       "libvirt: cannot set up its event loop");
	st.wake_timer = lv.EventAddTimeout(-1, on_wake, NULL, NULL);
	if (st.wake_timer < 0)
		return iq_fail(err, IQ_EENV,
			       "libvirt: cannot add an event loop timer");
	if (pthread_create(&st.thread, NULL, event_thread, NULL))
		return iq_fail(err, IQ_EENV,
			       "libvirt: cannot start the event thread");
	st.thread_started = true;
	return IQ_OK;
}

/* ---- the connection --------------------------------------------------- */

int lv_events_open(const char *uri, struct iq_err *err)
{
	char cause[1024];
	int rc;

	rc = load(err);
	if (rc == IQ_OK)
		rc = start_thread(err);
	if (rc)
		return rc;
	if (st.conn)
		lv_events_close();
	lv.SetErrorFunc(NULL, ignore_error);
	st.conn = lv.ConnectOpenReadOnly(uri);
	if (!st.conn) {
		last_error(cause, sizeof(cause));
		return iq_fail(err, IQ_EENV,
			       "libvirt %s: cannot connect: %s (is libvirtd "
			       "running? set libvirt_uri in the settings)",
			       uri, cause);
	}
	snprintf(st.uri, sizeof(st.uri), "%s", uri);
	lv.ConnSetErrorFunc(st.conn, NULL, ignore_error);
	/* A daemon that stops answering counts as gone after ~15 s. */
	lv.ConnectSetKeepAlive(st.conn, 5, 3);
	st.cb_ids[0] = lv.ConnectDomainEventRegisterAny(
		st.conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
		VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), NULL, NULL);
	st.cb_ids[1] = lv.ConnectDomainEventRegisterAny(
		st.conn, NULL, VIR_DOMAIN_EVENT_ID_DEVICE_ADDED,
		VIR_DOMAIN_EVENT_CALLBACK(on_device_added), NULL, NULL);
	st.cb_ids[2] = lv.ConnectDomainEventRegisterAny(
		st.conn, NULL, VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
		VIR_DOMAIN_EVENT_CALLBACK(on_device_removed), NULL, NULL);
	if (st.cb_ids[0] < 0 || st.cb_ids[1] < 0 || st.cb_ids[2] < 0 ||
	    lv.ConnectRegisterCloseCallback(st.conn, on_close, NULL, NULL) <
		    0) {
		last_error(cause, sizeof(cause));
		lv_events_close();
		return iq_fail(err, IQ_EENV,
			       "libvirt %s: cannot register for domain events: "
			       "%s",
			       uri, cause);
	}
	return IQ_OK;
}

bool lv_events_connected(void)
{
	return st.conn != NULL;
}

int lv_events_fd(void)
{
	return st.pipe_rd;
}

void lv_events_close(void)
{
	if (!st.conn)
		return;
	for (int i = 0; i < 3; i++)
		if (st.cb_ids[i] >= 0)
			lv.ConnectDomainEventDeregisterAny(st.conn,
							   st.cb_ids[i]);
	lv.ConnectUnregisterCloseCallback(st.conn, on_close);
	lv.ConnectClose(st.conn);
	st.conn = NULL;
	memset(st.cb_ids, -1, sizeof(st.cb_ids));
}

void lv_events_shutdown(void)
{
	lv_events_close();
	if (st.thread_started) {
		atomic_store(&st.stop, true);
		lv.EventUpdateTimeout(st.wake_timer, 0);
		pthread_join(st.thread, NULL);
		st.thread_started = false;
	}
	if (st.pipe_rd >= 0)
		close(st.pipe_rd);
	if (st.pipe_wr >= 0)
		close(st.pipe_wr);
	st.pipe_rd = st.pipe_wr = -1;
}

int lv_events_read(struct lv_event *ev, bool *got, struct iq_err *err)
{
	ssize_t n;

	*got = false;
	if (st.pipe_rd < 0)
		return IQ_OK;
	n = read(st.pipe_rd, ev, sizeof(*ev));
	if (n == (ssize_t)sizeof(*ev)) {
		*got = true;
		return IQ_OK;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		if (atomic_exchange(&st.overflow, false)) {
			memset(ev, 0, sizeof(*ev));
			ev->kind = LV_EVENT_OVERFLOW;
			*got = true;
		}
		return IQ_OK;
	}
	return iq_fail(err, IQ_EENV, "libvirt events: pipe read: %s",
		       n < 0 ? strerror(errno) : "short record");
}

int lv_events_domain(const char *name, struct vm_facts *vm, bool *gone,
		     struct iq_err *err)
{
	char label[1400], cause[1024];
	virDomainPtr dom;
	char *xml;
	int rc;

	*gone = false;
	memset(vm, 0, sizeof(*vm));
	if (!st.conn)
		return iq_fail(err, IQ_EENV, "libvirt: not connected");
	snprintf(label, sizeof(label), "libvirt domain %s (%s)", name, st.uri);
	dom = lv.DomainLookupByName(st.conn, name);
	if (!dom) {
		virErrorPtr last = lv.GetLastError();

		if (last && last->code == VIR_ERR_NO_DOMAIN) {
			*gone = true;
			return IQ_OK;
		}
		last_error(cause, sizeof(cause));
		return iq_fail(err, IQ_EENV, "%s: cannot look it up: %s", label,
			       cause);
	}
	if (lv.DomainIsActive(dom) == 0) {
		lv.DomainFree(dom);
		*gone = true;
		return IQ_OK;
	}
	xml = lv.DomainGetXMLDesc(dom, 0);
	if (!xml) {
		virErrorPtr last = lv.GetLastError();

		lv.DomainFree(dom);
		if (last && (last->code == VIR_ERR_NO_DOMAIN ||
			     last->code == VIR_ERR_OPERATION_INVALID)) {
			*gone = true;
			return IQ_OK;
		}
		last_error(cause, sizeof(cause));
		return iq_fail(err, IQ_EENV,
			       "%s: cannot read the domain XML: %s", label,
			       cause);
	}
	rc = vm_from_libvirt_xml(xml, strlen(xml), label, vm, err);
	free(xml);
	lv.DomainFree(dom);
	return rc;
}
