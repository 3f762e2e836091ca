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

/*
 * Parse the file. A missing file: IQ_EENV ("PATH: No such file...").
 * Unknown key or bad line: IQ_EUSAGE "PATH:LINE: ...".
 */
int config_load(const char *path, struct config *cfg, struct iq_err *err);

#endif
