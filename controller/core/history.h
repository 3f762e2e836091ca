/* SPDX-License-Identifier: MIT */
/*
 * High-water mark history: samples of each VF's max_reached_alloc_icm
 * over time, for `icmquota recommend`. One file beside the journal,
 * hwm-history.jsonl: JSON Lines, one sample per line, appended (the daemon
 * appends at each reconcile; `recommend` reads):
 *
 *   {"time":1796021546,"vf":"0000:0c:00.1","pf":"0000:0c:00.0",
 *    "vm":"job-1","class":"gpu","max_reached_bytes":260046848,
 *    "cur_bytes":0}
 *
 * time: unix seconds; class: the policy class the VM's caps came from,
 * "" for defaults.vf_cap; sizes in bytes. Unknown keys are ignored, so
 * the format can grow; a line that does not parse is an error naming
 * the file and line.
 */
#ifndef ICMQUOTA_HISTORY_H
#define ICMQUOTA_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/pci.h"

#define HISTORY_FILE "hwm-history.jsonl"

struct history_sample {
	int64_t time;
	char vf[PCI_ADDR_LEN];
	char pf[PCI_ADDR_LEN];
	char vm[256];
	char class_name[128];
	uint64_t max_reached_bytes;
	uint64_t cur_bytes;
};

/* The history file beside the journal at state_path. Returns buf. */
const char *history_path(const char *state_path, char *buf, size_t len);
/*
 * Append samples (one write with O_APPEND, so concurrent appenders do
 * not interleave lines). Errors IQ_EENV naming the path.
 */
int history_append(const char *path, const struct history_sample *samples,
		   size_t n, struct iq_err *err);
/*
 * Every sample of the file (*samples malloc'd). A missing file is an
 * empty history. Errors IQ_EENV "PATH:LINE: ..." for a bad line.
 */
int history_load(const char *path, struct history_sample **samples, size_t *n,
		 struct iq_err *err);

#endif
