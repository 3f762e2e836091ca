/* SPDX-License-Identifier: MIT */
/*
 * Inside `icmquota sim` only (cmd_sim.c, cmd_sim_guest.c, cmd_sim_show.c):
 * the subcommands, their help texts and the option parsing they share.
 */
#ifndef ICMQUOTA_CMD_SIM_H
#define ICMQUOTA_CMD_SIM_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "controller/cli/cli.h"
#include "lib/err.h"
#include "lib/pci.h"

extern const char sim_help_register[], sim_help_flr[], sim_help_show[],
	sim_help_refresh[], sim_help_inject[];

int sim_register(struct run_ctx *ctx, int argc, char **argv,
		 struct iq_err *err);
int sim_flr(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err);
int sim_show(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err);
int sim_refresh(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err);
int sim_inject(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err);

/* -h or --help among the arguments. */
bool sim_wants_help(int argc, char **argv);
/* getopt_long; an unknown option or a missing value: IQ_EUSAGE naming
 * the subcommand sub and its --help. */
int sim_next_opt(int argc, char **argv, const char *shortopts,
		 const struct option *longopts, const char *sub, int *opt,
		 struct iq_err *err);
/* A whole number 0..max; else IQ_EUSAGE naming opt. */
int sim_parse_uint(const char *text, const char *opt, unsigned long max,
		   unsigned long *value, struct iq_err *err);
/* A size in bytes (binary units; decimal: KB/MB/GB/TB as well);
 * "unlimited" only when unlimited_ok. IQ_EUSAGE naming opt. */
int sim_parse_size(const char *text, const char *opt, bool unlimited_ok,
		   bool decimal, uint64_t *bytes, struct iq_err *err);
/* A PCI address, normalised into out; IQ_EUSAGE naming opt. */
int sim_parse_pci(const char *text, const char *opt, char out[PCI_ADDR_LEN],
		  struct iq_err *err);
/* The simulated root (--root DIR) of a subcommand other than init:
 * IQ_EUSAGE without one, IQ_EENV when DIR is not a simulated host. */
int sim_root(const struct run_ctx *ctx, const char *sub, const char **root,
	     struct iq_err *err);

#endif
