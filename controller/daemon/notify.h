/* SPDX-License-Identifier: MIT */
/*
 * systemd's readiness protocol through libsystemd's sd_notify (dlopen'ed:
 * only the daemon needs it): READY=1, STATUS=..., WATCHDOG=1 every half
 * of WATCHDOG_USEC, RELOADING=1, STOPPING=1. Outside systemd (no
 * NOTIFY_SOCKET) every call does nothing.
 */
#ifndef ICMQUOTA_DAEMON_NOTIFY_H
#define ICMQUOTA_DAEMON_NOTIFY_H

#include <stdint.h>

#include "lib/err.h"

/*
 * Load libsystemd when NOTIFY_SOCKET is set. *watchdog_usec: the
 * watchdog period systemd asks for (0: none). Errors: IQ_EENV naming the
 * library and the fix.
 */
int notify_init(uint64_t *watchdog_usec, struct iq_err *err);
/* One sd_notify message ("READY=1\nSTATUS=..."); ignored outside systemd. */
void notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
