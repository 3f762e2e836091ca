/* SPDX-License-Identifier: MIT */
/*
 * Counters that outlive a process (Prometheus counters of `icmquota
 * metrics`): admissions refused and scaled, drift repaired, firmware
 * command errors, hook calls. Every process that counts (hook, CLI,
 * daemon) adds to one file beside the journal, `counters` in the state
 * file's directory (/var/lib/icmquota/counters), while it holds the lock,
 * so no addition is lost. Lines `NAME VALUE`, each added to its counter:
 * a run appends its deltas (one write, no rename), and past 16 KiB the
 * file is rewritten with one line per counter. A missing file is all
 * zero (nothing counted since the state directory was made).
 */
#ifndef ICMQUOTA_COUNTERS_H
#define ICMQUOTA_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

enum counter_id {
	CNT_ADMISSIONS_REFUSED, /* VM starts refused (IQ_EREFUSED) */
	CNT_ADMISSIONS_SCALED,	/* VM starts admitted with lowered caps */
	CNT_DRIFT_REPAIRED,	/* caps found changed behind our back */
	CNT_FW_COMMAND_ERRORS,	/* firmware commands that failed */
	CNT_HOOK_CALLS,		/* libvirt hook calls that took the lock */
	CNT_N,
};

struct counters {
	uint64_t v[CNT_N];
};

/* "admissions_refused_total", ...: the metric name without "icmquota_". */
const char *counter_name(enum counter_id id);
/* Prometheus HELP text of a counter. */
const char *counter_help(enum counter_id id);
bool counters_any(const struct counters *c);

/* STATEDIR/counters for the journal state_path. */
int counters_path(const char *state_path, char *buf, size_t len,
		  struct iq_err *err);
/*
 * Read the counters. A missing file: all zero. A malformed line or an
 * unreadable file: IQ_EENV naming FILE:LINE and the fix (delete it).
 * Names this version does not know are ignored (a newer version wrote
 * them).
 */
int counters_load(const char *state_path, struct counters *c,
		  struct iq_err *err);
/* Add delta to the file (append; compact when large). Hold the lock. */
int counters_add(const char *state_path, const struct counters *delta,
		 struct iq_err *err);

#endif
