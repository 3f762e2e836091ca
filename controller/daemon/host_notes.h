/* SPDX-License-Identifier: MIT */
/*
 * What the daemon says of the host after a reconcile, as apply says it
 * (the plan's problems, an overcommit), but once per change: a periodic
 * reconcile finds the same every interval, and a log line per tick would
 * drown the one that matters.
 */
#ifndef ICMQUOTA_DAEMON_HOST_NOTES_H
#define ICMQUOTA_DAEMON_HOST_NOTES_H

#include <stdbool.h>
#include <stdint.h>

#include "controller/core/lifecycle.h"
#include "controller/core/run.h"
#include "policy/policy.h"

/*
 * What was said last. An overcommit is keyed on the split's terms that
 * change only by a decision (host.reserve, the VF caps, the VMs' memory,
 * the huge page pools) and on host.admission: the firmware's own page
 * counters drifting by a few pages do not repeat the line.
 */
struct host_notes {
	uint64_t problems; /* digest of the problem lines, 0: none said */
	bool over;
	bool over_warn;
	uint64_t over_key[4];
};

/*
 * After a reconcile whose result r carries the plan and the split: each
 * problem line ("daemon: problem: ...") when the set of problems changed,
 * one line when they are all gone; the overcommit line ("daemon:
 * [warning: ]the host is overcommitted by ...", warning under
 * host.admission: warn) when the host becomes overcommitted or a term
 * above changes it, one line when it no longer is. Returns how many
 * lines were logged.
 */
unsigned host_notes_say(struct host_notes *said, const struct run_ctx *ctx,
			const struct policy *policy,
			const struct lifecycle_result *r);

#endif
