/* SPDX-License-Identifier: MIT */
/*
 * Tables for people and JSON for machines, of plans, splits and VMs
 * (report.c); status's PF and VF rows (report_status.c); devlink's view
 * (report_devlink.c); a partial result's problems (report_problems.c).
 */
#ifndef ICMQUOTA_REPORT_H
#define ICMQUOTA_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "controller/core/devlink_view.h"
#include "controller/core/host.h"
#include "controller/core/plan.h"
#include "controller/core/run.h"
#include "controller/core/split.h"
#include "policy/policy.h"

/* "class gpu-8x (policy.yaml:9:22)" */
void report_rule(const struct policy *policy, const struct policy_decision *d,
		 char *buf, size_t len);

/*
 * A cap below the policy's by host.admission: scale, for the RULE column:
 * "scaled from 4.0GiB (host.admission: scale)", with ", raised from
 * 2.4GiB (room in the split)" when apply raised it this run; "" when the
 * cap is the policy's.
 */
void report_scale_note(const struct plan_vf *pv, char *buf, size_t len);

json_object *report_split_json(const struct split *split);
void report_split_table(FILE *out, const struct split *split);
/*
 * Each huge page size of the split: demand against the pool (struct
 * split_huge). The table prints one line per size, after indent; with vm
 * (then host too) only the sizes the VM uses, naming its share.
 */
json_object *report_hugepages_json(const struct split *split);
void report_hugepages_table(FILE *out, const struct host *host,
			    const struct split *split,
			    const struct vm_facts *vm, const char *indent);

/* Plan rows; only_scope: the VFs a VM start/stop touched. */
json_object *report_plan_json(const struct policy *policy,
			      const struct plan *plan, bool only_scope);
void report_plan_table(FILE *out, const struct policy *policy,
		       const struct plan *plan, bool only_scope);

/* status: PFs with their VFs' read-back, the journal's VM per VF. */
/* state: the journal, for since when each high-water mark counts. */
/* Why a whole ConnectX PF passed through is UNCAPPED, and what to do. */
extern const char report_uncapped_pf_why[];
/*
 * Whole ConnectX PFs passed through (plan->others): UNCAPPED rows, [] or
 * nothing printed when there are none; only_scope: the plan's VM only.
 */
json_object *report_uncapped_pfs_json(const struct plan *plan, bool only_scope);
void report_uncapped_pfs_table(FILE *out, const struct plan *plan,
			       bool only_scope);
/*
 * The VFs of vm whose cap rises from before[i] (bytes, one per plan row;
 * IQ_UNLIMITED: unlimited, never a rise) to the plan's desired cap, as
 * "0000:0c:00.1 8.0GiB -> 64.0GiB, ..." in buf; returns the rise in
 * bytes (a cap rising to unlimited counts as its split charge, total
 * ICM), 0 when no cap of the VM rises. *rule: the first rising VF's.
 */
uint64_t report_cap_rise(const struct plan *plan, const uint64_t *before,
			 const struct vm_facts *vm, uint64_t mem_total,
			 char *buf, size_t len,
			 const struct policy_decision **rule);
json_object *report_status_json(const struct host *host,
				const struct plan *plan,
				const struct state *state);
void report_status_table(FILE *out, const struct host *host,
			 const struct plan *plan, const struct state *state);

/*
 * The devlink view: a "devlink" object added to each PF and VF of the
 * status PF array (report_status_json's, same order), and the summary.
 */
void report_devlink_attach(json_object *pfs, const struct host *host,
			   const struct devlink_view *view);
json_object *report_devlink_json(const struct devlink_view *view);
void report_devlink_table(FILE *out, const struct host *host,
			  const struct devlink_view *view);

/*
 * A partial view's problems (status, metrics), one line each on ctx->log
 * as "CMD: ...": a PF whose firmware did not answer (its VFs unknown), a
 * VF whose read failed, the plan's other problems (a journal VM's device
 * gone). Returns how many; the caller exits 3 when there are any.
 */
size_t report_problems(const struct run_ctx *ctx, const char *cmd,
		       const struct host *host, const struct plan *plan);

/*
 * Caps in force (status, metrics) or after a run (apply, plan) that leave
 * the split below 0: one line on ctx->log, "CMD: the host is
 * overcommitted by X (the split's terms); lower ...". Under
 * host.admission: warn the overcommit is accepted: the line says
 * "warning:" and 0 is returned; otherwise 1, a problem (exit 3). 0 and
 * nothing said when the split fits.
 */
size_t report_overcommit_host(const struct run_ctx *ctx, const char *cmd,
			      const struct policy *policy,
			      const struct split *split);

/* vm inspect: facts and which PCI devices are ConnectX VFs here. */
json_object *report_vm_json(const struct vm_facts *vm, struct host *host);
void report_vm_table(FILE *out, const struct vm_facts *vm, struct host *host);

#endif
