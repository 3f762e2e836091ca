/* SPDX-License-Identifier: MIT */
/*
 * The metrics for node_exporter's textfile collector: DIR/icmquota.prom,
 * written whole to a temporary file and renamed, so the collector never
 * reads half of it.
 */
#ifndef ICMQUOTA_DAEMON_TEXTFILE_H
#define ICMQUOTA_DAEMON_TEXTFILE_H

#include "controller/core/lifecycle.h"
#include "controller/core/session.h"
#include "lib/err.h"

#define TEXTFILE_NAME "icmquota.prom"

/* From a reconcile's session and result. Errors name the file. */
int textfile_write(const char *dir, struct session *s,
		   const struct lifecycle_result *r, struct iq_err *err);

#endif
