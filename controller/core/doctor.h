/* SPDX-License-Identifier: MIT */
/*
 * icmquota doctor: is this host ready for icmquota? One check per thing a
 * VM start or the daemon depends on, each ok, warn (works, with less),
 * fail (something the tool needs is broken) or unknown (cannot tell),
 * with one line of detail naming the file, device or process and the fix.
 * Everything is read under the run's root (--root: a simulated host), so
 * every check can be exercised without the hardware. Read-only: no lock,
 * no firmware write, no journal write.
 */
#ifndef ICMQUOTA_CORE_DOCTOR_H
#define ICMQUOTA_CORE_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "controller/core/run.h"
#include "lib/err.h"

enum doctor_status {
	DOCTOR_OK,
	DOCTOR_WARN,
	DOCTOR_FAIL,
	DOCTOR_UNKNOWN,
};

struct doctor_check {
	char name[64]; /* "kernel", "vhca_icm_ctrl 0000:3b:00.0", ... */
	enum doctor_status status;
	char detail[1024]; /* one line */
};

struct doctor_report {
	struct doctor_check *checks;
	size_t n;
	unsigned count[4]; /* by enum doctor_status */
};

/* The hook libvirt runs, relative to the root. */
#define DOCTOR_HOOK_PATH       "/etc/libvirt/hooks/qemu.d/icmquota"
#define DOCTOR_DISPATCHER_PATH "/etc/libvirt/hooks/qemu"
/* The unit enabled (systemctl enable): its wants link, under the root. */
#define DOCTOR_UNIT_WANTS                                                      \
	"/etc/systemd/system/multi-user.target.wants/icmquota.service"

/*
 * Run every check in a fixed order. Returns IQ_OK with the report filled
 * (failures are checks, not errors); an error only when out of memory.
 */
int doctor_run(const struct run_ctx *ctx, struct doctor_report *report,
	       struct iq_err *err);
void doctor_report_free(struct doctor_report *report);

/* "ok", "warn", "fail", "unknown". */
const char *doctor_status_name(enum doctor_status status);

/*
 * Seconds since the epoch at which process pid started, from
 * ROOT/proc/PID/stat (starttime, clock ticks after boot) and
 * ROOT/proc/stat (btime). False when either cannot be read.
 */
bool doctor_process_start(const char *root, long pid, double *epoch);

#endif
