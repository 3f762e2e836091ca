/* SPDX-License-Identifier: MIT */
/*
 * One run's resolved options: the global command-line options and the
 * settings file (icmquota.conf), as main() leaves them. Every layer of the
 * controller reads them from here; only the command line writes them.
 */
#ifndef ICMQUOTA_CORE_RUN_H
#define ICMQUOTA_CORE_RUN_H

#include <stdbool.h>
#include <stdio.h>

#include "devx/transport.h"

struct policy;
struct devlink_channel_ops;

#define POLICY_DEFAULT_PATH "/etc/icmquota/policy.yaml"
/* A build for tests may point the default elsewhere (Makefile: hooktest):
 * libvirtd runs the hook with no options and almost no environment. */
#ifndef CONFIG_DEFAULT_PATH
#define CONFIG_DEFAULT_PATH "/etc/icmquota/icmquota.conf"
#endif

struct run_ctx {
	const char *policy_path;
	const char *state_path;
	const char *lock_path;
	double lock_timeout_s;
	const char *root; /* "" = this host */
	enum fw_backend backend;
	bool json;
	int verbose;
	FILE *trace; /* --trace-fw, NULL when off */
	FILE *out;   /* stdout */
	FILE *log;   /* stderr (CLI) */
	const char *config_path;
	/* The settings file: IQ_OK when read, else why not (the hook must
	 * not run a VM uncapped because its settings are missing). */
	int config_rc;
	char config_msg[1024];
	const char *on_error; /* "allow" | "deny" (default) */
	/* The simulated firmware's channel, given by the layer that links
	 * the simulator (main); NULL: --backend sim is unavailable. */
	const struct fw_transport_ops *sim_transport;
	/* A policy already loaded (the daemon keeps the last valid one
	 * across SIGHUP): sessions borrow it instead of reading policy_path.
	 * NULL: read the file. */
	const struct policy *policy;
	/* Daemon settings from the settings file ("" when not set). */
	const char *interval;	 /* seconds between reconciles */
	const char *metrics_dir; /* node_exporter textfile directory */
	const char *ch_dir;	 /* Cloud Hypervisor sockets + event files */
	const char *libvirt_uri; /* "none": no libvirt */
	/* The simulated kernel's devlink, given the same way; NULL: none. */
	const struct devlink_channel_ops *sim_devlink;
};

/* Progress and warnings for people: "icmquota: ..." on ctx->log. */
void run_note(const struct run_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same, only with -v. */
void run_verbose(const struct run_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
