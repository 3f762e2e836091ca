/* SPDX-License-Identifier: MIT */
/*
 * One run's loaded world: the lock (mutating paths), the policy, the
 * journal, the host with its firmware channels. Every command opens what
 * it needs and closes it once, so nothing is read or queried twice.
 */
#ifndef ICMQUOTA_SESSION_H
#define ICMQUOTA_SESSION_H

#include <stdbool.h>

#include "controller/core/counters.h"
#include "controller/core/host.h"
#include "controller/core/run.h"
#include "controller/core/state.h"
#include "controller/core/vhca_cache.h"
#include "lib/err.h"
#include "policy/policy.h"

enum session_need {
	SESSION_LOCK = 1 << 0, /* exclusive lock: mutating paths */
	SESSION_POLICY = 1 << 1,
	SESSION_STATE = 1 << 2,
	SESSION_HOST = 1 << 3,	   /* sysfs, meminfo, debugfs */
	SESSION_FIRMWARE = 1 << 4, /* open transports, probe (implies HOST) */
	/*
	 * With SESSION_FIRMWARE, for views that show what they can (status,
	 * metrics): a host where no PF's firmware answers still opens, each
	 * PF unreachable with its error, instead of failing the session.
	 */
	SESSION_PARTIAL = 1 << 5,
	/*
	 * Shared lock (lock_acquire_shared): a view (status) sees the journal
	 * and the firmware between runs, never a hook or apply half-done.
	 */
	SESSION_LOCK_SHARED = 1 << 6,
};

struct session {
	struct run_ctx *ctx;
	unsigned needs; /* what session_open was asked for */
	int lock_fd;
	bool have_policy;
	struct policy policy;
	bool policy_builtin;  /* no policy file: built-in defaults */
	bool policy_borrowed; /* ctx->policy: not ours to free */
	bool have_state;
	struct state state;
	bool state_reused; /* session_open_reusing took the earlier read */
	bool have_host;
	struct host host;
	/* With SESSION_FIRMWARE: the vhca_ids of earlier runs, saved when
	 * the session closes (STATE.vhca-ids). */
	bool have_vhca_cache;
	struct vhca_cache vhca_cache;
	/* Counted by this run; added to the counters file at close when the
	 * lock is held (with the firmware command errors of the run). */
	struct counters counted;
};

int session_open(struct run_ctx *ctx, unsigned needs, struct session *s,
		 struct iq_err *err);
/*
 * session_open with a journal the caller read before the lock: when the
 * file is unchanged under the lock, *earlier is moved into s->state (and
 * left empty) rather than parsed again, and s->state_reused is set; a
 * journal rewritten meanwhile is loaded afresh (state_load_reusing).
 */
int session_open_reusing(struct run_ctx *ctx, unsigned needs,
			 struct state *earlier, struct session *s,
			 struct iq_err *err);
/*
 * Open the firmware channels of a session opened with SESSION_HOST only
 * (a VM without VFs needs none, unless the split must know a PF's total
 * ICM); nothing when they are open already. Errors as SESSION_FIRMWARE.
 */
int session_open_firmware(struct session *s, struct iq_err *err);
/* Save the journal (when loaded and dirty is true) before closing. */
int session_save_state(struct session *s, struct iq_err *err);
void session_close(struct session *s);

/* The lock path: --lock, else ROOT/run/icmquota/lock (/run/... on a host). */
const char *session_lock_path(const struct run_ctx *ctx, char *buf, size_t len);

#endif
