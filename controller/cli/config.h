/* SPDX-License-Identifier: MIT */
/*
 * /etc/icmquota/icmquota.conf: `key = value` lines, `#` comments. libvirt
 * runs its hooks with almost no environment, so the hook's settings live
 * here. The keys are config_keys[] below: the parser reads that table, and
 * `--help`, the man page (SETTINGS) and the unknown-key error print it, so
 * the documented list is the accepted one (tests/integration/
 * test_settings_keys.sh also holds packaging/icmquota.conf to it).
 */
#ifndef ICMQUOTA_CONFIG_H
#define ICMQUOTA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

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
 * One key the settings file takes: its name, where it goes in struct
 * config, and one line for people (what it sets, its option, default).
 */
struct config_key {
	const char *key;
	size_t offset; /* of the char array in struct config */
	size_t len;    /* its size, NUL included */
	const char *doc;
};

/* Every key the parser accepts, in the order they are documented. */
extern const struct config_key config_keys[];
extern const size_t config_nkeys;

/* "policy, state, root, ...": the keys, for messages. */
void config_key_list(char *buf, size_t len);
/* The SETTINGS text of --help and the man page: one line per key. */
void config_print_keys(FILE *out);

/* Nine short lines; 64 KiB leaves room for any amount of comment. */
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
