/* SPDX-License-Identifier: MIT */
/*
 * What every subcommand gets from main(): the global options, resolved.
 * Subcommands live in controller/cmd_*.c as
 *   int cmd_NAME(struct cli_ctx *ctx, int argc, char **argv,
 *                struct iq_err *err);
 * with argv[0] the subcommand's name; they print results to ctx->out
 * (tables, or JSON with ctx->json) and return an exit code; a failure
 * fills err and main prints "icmquota: MESSAGE" once.
 */
#ifndef ICMQUOTA_CLI_H
#define ICMQUOTA_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "controller/err.h"
#include "devx/transport.h"

#define POLICY_DEFAULT_PATH "/etc/icmquota/policy.yaml"
#define CONFIG_DEFAULT_PATH "/etc/icmquota/icmquota.conf"

struct cli_ctx {
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
};

typedef int (*cli_cmd_fn)(struct cli_ctx *ctx, int argc, char **argv,
			  struct iq_err *err);

/* Progress and warnings for people: "icmquota: ..." on ctx->log. */
void cli_note(const struct cli_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same, only with -v. */
void cli_verbose(const struct cli_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * --connect URI for plan/apply/status: the running domains of URI ("none":
 * the journal only); with no source named at all, qemu:///system when its
 * daemon socket exists under the root.
 */
struct vm_list;
int live_libvirt_source(struct cli_ctx *ctx, const char *cmd,
			const char *connect_uri, bool have_xml,
			struct vm_list *vms, unsigned *sources,
			struct iq_err *err);

int cmd_status(struct cli_ctx *ctx, int argc, char **argv, struct iq_err *err);
int cmd_plan(struct cli_ctx *ctx, int argc, char **argv, struct iq_err *err);
int cmd_apply(struct cli_ctx *ctx, int argc, char **argv, struct iq_err *err);
int cmd_vm(struct cli_ctx *ctx, int argc, char **argv, struct iq_err *err);
int cmd_explain(struct cli_ctx *ctx, int argc, char **argv, struct iq_err *err);
int cmd_policy(struct cli_ctx *ctx, int argc, char **argv, struct iq_err *err);
int cmd_sim(struct cli_ctx *ctx, int argc, char **argv, struct iq_err *err);
int cmd_hook(struct cli_ctx *ctx, int argc, char **argv, struct iq_err *err);

#endif
