/* SPDX-License-Identifier: MIT */
/*
 * Inside `icmquota policy` only (cmd_policy.c: validate and the dispatch;
 * cmd_policy_show.c: show, diff; cmd_policy_edit.c: set, unset): what the
 * three share. Not for other commands.
 */
#ifndef ICMQUOTA_CMD_POLICY_H
#define ICMQUOTA_CMD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "controller/core/lifecycle.h"
#include "controller/core/policy_host.h"
#include "controller/core/session.h"
#include "controller/core/run.h"
#include "lib/err.h"
#include "policy/policy.h"

/* What validate and set learnt from the host, when there was one. */
struct host_check {
	bool host;	     /* a host to judge by: --root, or a ConnectX PF */
	char host_why[1024]; /* why not, "" when there was */
	size_t checked;	     /* PFs whose total ICM the caps were checked
				against */
	char icm_why[1024];  /* why not (the firmware), "" when they were */
	/* One line per PF whose caps could not be checked (its firmware did
	 * not answer): "PF PCI: ... (ERROR)"; a partial result. */
	char (*unchecked)[640];
	size_t nunchecked;
	struct policy_findings f;
};

/* One value of the merged policy and where it came from. */
struct show_row {
	char key[320];
	char value[300];
	bool is_size;
	uint64_t bytes;
	struct policy_pos pos;
};

struct show_rows {
	struct show_row *rows;
	size_t n;
	bool effective; /* also the built-in values no file sets */
};

/*
 * Judge policy against the host (--root, or this machine when it has a
 * ConnectX PF; never with no_host): devices rules, host.reserve, caps
 * against each PF's total ICM. Fills hc (pcmd_free_host_check frees it);
 * errors only for what stops the check itself.
 */
int pcmd_check_host(struct run_ctx *ctx, const struct policy *policy,
		    bool no_host, struct host_check *hc, struct iq_err *err);
/* Print hc's findings and unchecked PFs; the exit code they make of rc. */
int pcmd_report_findings(struct run_ctx *ctx, const struct host_check *hc,
			 int rc, struct iq_err *err);
void pcmd_free_host_check(struct host_check *hc);
/* The main policy is the default path and absent: built-in defaults. */
bool pcmd_main_is_builtin(const struct run_ctx *ctx);
/* The main policy and its drop-ins merged (replace: one file's new text). */
int pcmd_load_merged(struct run_ctx *ctx, const struct policy_text *replace,
		     struct policy *policy, struct iq_err *err);
/* hc's findings as a JSON array of messages: the errors or the warnings. */
json_object *pcmd_findings_json(const struct host_check *hc, bool errors);

/*
 * The split now (the policy on disk) and with `with` instead, over the
 * journal's running VMs and the firmware's read-back; libvirt is not
 * asked (this may run under the lock). On success the caller frees now
 * and after and closes s.
 */
int pcmd_split_now_and_with(struct run_ctx *ctx, const struct policy *with,
			    struct session *s, struct lifecycle_result *now,
			    struct plan *after, struct split *split_after,
			    struct iq_err *err);

/* Every value of p with its position (show, and the edits' messages). */
void pcmd_collect(const struct policy *p, struct show_rows *r);
/* policy show [--effective]. */
void pcmd_show(struct run_ctx *ctx, const struct policy *p, bool effective);
/* policy diff FILE. */
int pcmd_diff(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err);
/* policy set|unset (verb) ... [--apply] [--force]. */
int pcmd_edit(struct run_ctx *ctx, const char *verb, int argc, char **argv,
	      struct iq_err *err);

#endif
