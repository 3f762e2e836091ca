/* SPDX-License-Identifier: MIT */
/*
 * What every subcommand gets from main(): the global options, resolved.
 * Subcommands live in controller/cli/cmd_*.c (and controller/sim/cmd_sim.c) as
 *   int cmd_NAME(struct run_ctx *ctx, int argc, char **argv,
 *                struct iq_err *err);
 * with argv[0] the subcommand's name; they print results to ctx->out
 * (tables, or JSON with ctx->json) and return an exit code; a failure
 * fills err and main prints "icmquota: MESSAGE" once.
 */
#ifndef ICMQUOTA_CLI_H
#define ICMQUOTA_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "controller/core/run.h"
#include "lib/err.h"

typedef int (*cli_cmd_fn)(struct run_ctx *ctx, int argc, char **argv,
			  struct iq_err *err);

/*
 * --connect URI for plan/apply/status: the running domains of URI ("none":
 * the journal only); with no source named at all, qemu:///system when its
 * daemon socket exists under the root.
 */
struct vm_list;
int live_libvirt_source(struct run_ctx *ctx, const char *cmd,
			const char *connect_uri, bool have_xml,
			struct vm_list *vms, unsigned *sources,
			struct iq_err *err);

/*
 * Mutating commands (apply, vm start/stop, hook) call this first: on this
 * host they need root (IQ_EENV "CMD: needs root ..."); on a simulated root
 * (--root), write access to the journal's and the lock's directories.
 */
int cli_require_privileges(struct run_ctx *ctx, const char *cmd,
			   struct iq_err *err);

int cmd_status(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err);
int cmd_plan(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err);
int cmd_apply(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err);
int cmd_vm(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err);
int cmd_explain(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err);
int cmd_policy(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err);
int cmd_hwm(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err);
int cmd_top(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err);
int cmd_recommend(struct run_ctx *ctx, int argc, char **argv,
		  struct iq_err *err);
int cmd_sim(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err);
int cmd_hook(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err);
int cmd_doctor(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err);
int cmd_estimate(struct run_ctx *ctx, int argc, char **argv,
		 struct iq_err *err);
int cmd_daemon(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err);
int cmd_metrics(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err);

#endif
