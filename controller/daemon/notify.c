// SPDX-License-Identifier: MIT
#include "controller/daemon/notify.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <systemd/sd-daemon.h>

#include "lib/dynlib.h"

static struct {
	bool loaded;
	int (*notify)(int, const char *);
	int (*watchdog_enabled)(int, uint64_t *);
} sd;

int notify_init(uint64_t *watchdog_usec, struct iq_err *err)
{
	static const struct dynlib_sym syms[] = {
		{"sd_notify", (void **)&sd.notify},
		{"sd_watchdog_enabled", (void **)&sd.watchdog_enabled},
	};
	int rc;

	*watchdog_usec = 0;
	if (!getenv("NOTIFY_SOCKET"))
		return IQ_OK;
	rc = dynlib_load(
		"libsystemd.so.0", syms, sizeof(syms) / sizeof(syms[0]),
		"install libsystemd0 (Type=notify needs sd_notify)", err);
	if (rc)
		return rc;
	sd.loaded = true;
	if (sd.watchdog_enabled(0, watchdog_usec) <= 0)
		*watchdog_usec = 0;
	return IQ_OK;
}

void notify_send(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!sd.loaded)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sd.notify(0, msg);
}
