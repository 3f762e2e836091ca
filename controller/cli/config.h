/* SPDX-License-Identifier: MIT */
/*
 * /etc/icmquota/icmquota.conf: `key = value` lines, `#` comments. libvirt
 * runs its hooks with almost no environment, so the hook's settings live
 * here. Keys: policy, state, root, backend, on_error (allow|deny), and the
 * daemon's interval, metrics_dir, ch_dir, libvirt_uri.
 */
#ifndef ICMQUOTA_CONFIG_H
#define ICMQUOTA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

struct config {
	char policy[4096];
	char state[4096];
	char root[4096];
	char backend[16];
	char on_error[8]; /* "allow" | "deny" | "" */
	/* The daemon's: seconds between reconciles, node_exporter textfile
	 * directory, Cloud Hypervisor directory, libvirt URI. */
	char interval[32];
	char metrics_dir[4096];
	char ch_dir[4096];
	char libvirt_uri[1024];
	bool loaded;
};

/* Five short lines; 64 KiB leaves room for any amount of comment. */
#define CONFIG_MAX_BYTES (64u << 10)

/*
 * Parse the file. A missing or unreadable file, or one over
 * CONFIG_MAX_BYTES: IQ_EENV ("PATH: ..."). Unknown or duplicate key, a
 * key without a value, a NUL byte, a bad line: IQ_EUSAGE "PATH:LINE: ...".
 * config_parse does the same on len bytes of text (path names it).
 */
int config_load(const char *path, struct config *cfg, struct iq_err *err);
int config_parse(const char *text, size_t len, const char *path,
		 struct config *cfg, struct iq_err *err);

#endif
