// SPDX-License-Identifier: MIT
/* icmquota plan / apply: every VF to its desired cap, fewest writes. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/cli/cli.h"
#include "controller/cli/help.h"
#include "controller/cli/report.h"
#include "controller/core/lifecycle.h"
#include "controller/sources/vm_ch.h"
#include "controller/sources/vm_libvirt_live.h"
#include "controller/sources/vm_list.h"
#include "controller/sources/vm_memo.h"
#include "lib/json.h"
#include "lib/size.h"
#include "lib/text.h"

int live_libvirt_source(struct run_ctx *ctx, const char *cmd,
			const char *connect_uri, bool have_xml,
			struct vm_list *vms, unsigned *sources,
			struct iq_err *err)
{
	if (connect_uri && !strcmp(connect_uri, "none"))
		return IQ_OK;
	if (connect_uri && have_xml)
		return iq_fail(err, IQ_EUSAGE,
			       "%s: --connect and --libvirt-xml both name the "
			       "running VMs; pick one",
			       cmd);
	/* libvirtd of this host, unless the VMs were named otherwise. */
	if (!connect_uri && !have_xml && !*sources)
		connect_uri = vm_libvirt_default_uri_at(ctx->root);
	if (!connect_uri)
		return IQ_OK;
	*sources |= LIFECYCLE_SRC_LIBVIRT;
	run_verbose(ctx, "running VMs from libvirt %s", connect_uri);
	return vm_libvirt_list_running(connect_uri, vms, err);
}

/*
 * Caps the policy asks for may commit more than the host has: the split
 * after this run does not fit. One line per VM whose caps rise in this
 * run (which VFs, by how much, the overcommit, the fix); one line naming
 * the overcommit when none rises (an earlier run raised them). With
 * host.admission: warn an overcommit is accepted and only said
 * ("warning:"); otherwise each line is a problem (exit 3). Returns the
 * problems.
 */
static size_t report_overcommit(struct run_ctx *ctx, const char *name,
				bool apply, const struct session *s,
				const struct lifecycle_result *r)
{
	const struct split *sp = &r->split;
	bool warn_only = s->policy.admission == POLICY_ADMIT_WARN;
	const char *tag = warn_only ? "warning: " : "";
	uint64_t *before;
	char over[32], headroom[32];
	size_t lines = 0;

	if (sp->headroom >= 0)
		return 0;
	size_format_signed(sp->headroom, headroom, sizeof(headroom));
	size_format(sp->committed - sp->mem_total, over, sizeof(over));
	before = calloc(r->plan.nvfs ? r->plan.nvfs : 1, sizeof(*before));
	/* The caps read back before any write; not read: no rise known. */
	for (size_t i = 0; before && i < r->plan.nvfs; i++) {
		const struct plan_vf *pv = &r->plan.vfs[i];

		before[i] = pv->have_actual
				    ? icm_pages_to_bytes(pv->read_cap_pages)
				    : pv->desired_bytes;
	}
	for (size_t v = 0; before && v < r->nrunning; v++) {
		const struct policy_decision *d;
		char vfs[768], rise_h[32], rule[512], vm[1024];
		uint64_t rise =
			report_cap_rise(&r->plan, before, &r->running[v],
					sp->mem_total, vfs, sizeof(vfs), &d);

		if (!rise)
			continue;
		size_format(rise, rise_h, sizeof(rise_h));
		report_rule(&s->policy, d, rule, sizeof(rule));
		run_note(ctx,
			 "%s: %sVM %s: caps %s by %s (%s): the host is "
			 "overcommitted by %s (headroom %s); lower %s for "
			 "it, or host.reserve, or stop a VM",
			 name, tag,
			 text_shown(r->running[v].name, vm, sizeof(vm)),
			 apply ? "raised" : "to rise", rise_h, vfs, over,
			 headroom, rule);
		lines++;
	}
	free(before);
	if (!lines)
		return report_overcommit_host(ctx, name, &s->policy, sp);
	return warn_only ? 0 : lines;
}

/*
 * Huge page demand of the running VMs that their pools cannot serve (or
 * cannot say): one line per size with the figures and the fix; a problem
 * (exit 3) unless host.admission: warn. Returns the problems.
 */
static size_t report_hugepages_short(struct run_ctx *ctx, const char *name,
				     const struct session *s,
				     const struct lifecycle_result *r)
{
	bool warn_only = s->policy.admission == POLICY_ADMIT_WARN;
	size_t lines = 0, failing = 0;

	for (size_t i = 0; i < r->split.nhuge; i++) {
		const struct split_huge *h = &r->split.huge[i];
		bool fails = split_huge_fails(h);
		char text[900], fix[300];

		if (!fails && !h->unknown)
			continue;
		failing += fails;
		split_huge_text(&s->host, h, NULL, text, sizeof(text));
		split_huge_fix(h, fix, sizeof(fix));
		run_note(ctx,
			 "%s: %sthe running VMs' huge pages %s: %s; %s, or "
			 "stop a VM using them",
			 name, warn_only ? "warning: " : "",
			 fails ? "cannot all be served"
			       : "may not all be served",
			 text, fix);
		lines++;
	}
	/* Sizes past the split's table: none has a pool here. */
	if (r->split.huge_short > failing) {
		run_note(ctx,
			 "%s: %sthe running VMs ask for huge pages of %u more "
			 "sizes, of which this host has no pool",
			 name, warn_only ? "warning: " : "",
			 r->split.huge_short - (unsigned)failing);
		lines++;
	}
	return warn_only ? 0 : lines;
}

/* A whole ConnectX PF in a running VM: never capped, said each run. */
static void report_whole_pfs(struct run_ctx *ctx, const char *name,
			     const struct plan *plan)
{
	for (size_t i = 0; i < plan->nothers; i++) {
		char vm[1024];

		if (plan->others[i].connectx_pf)
			run_note(ctx,
				 "%s: warning: VM %s: %s is a whole ConnectX "
				 "PF passed through: UNCAPPED, its firmware "
				 "pages are not in the split; pass one of its "
				 "VFs instead",
				 name,
				 text_shown(plan->others[i].vm->name, vm,
					    sizeof(vm)),
				 plan->others[i].pci);
	}
}

/*
 * The VMs whose caps host.admission: scale lowered: raised back (by how
 * much, whether to the policy's caps) or why they stay (rescale.h).
 */
static void report_rescale(FILE *out, const char *name, bool apply,
			   const struct lifecycle_result *r)
{
	const struct rescale *rs = &r->rescale;

	for (size_t i = 0; i < rs->nvms; i++) {
		const struct rescale_vm *rv = &rs->vms[i];
		char from[32], to[32], policy[32], room[32], step[32], vm[1024];

		size_format(rv->from, from, sizeof(from));
		size_format(rv->to, to, sizeof(to));
		size_format(rv->policy, policy, sizeof(policy));
		size_format_signed(r->split.headroom, room, sizeof(room));
		size_format(RESCALE_MIN_RAISE, step, sizeof(step));
		text_shown(rv->name, vm, sizeof(vm));
		if (rv->to > rv->from)
			fprintf(out,
				"%s: VM %s: scaled caps %s %s -> %s of the "
				"policy's %s%s\n",
				name, vm, apply ? "raised" : "to rise", from,
				to, policy,
				rv->restored
					? ": back at the policy's caps"
					: " (room in the split; the VM that "
					  "started first rises first)");
		else if (rv->restored)
			fprintf(out,
				"%s: VM %s: caps at the policy's %s: no longer "
				"scaled\n",
				name, vm, policy);
		else if (rs->held_why[0])
			fprintf(out,
				"%s: VM %s: caps stay scaled at %s of the "
				"policy's %s: %s\n",
				name, vm, from, policy, rs->held_why);
		else
			fprintf(out,
				"%s: VM %s: caps stay scaled at %s of the "
				"policy's %s: headroom %s (a rise short of "
				"the policy's caps takes %s at least)\n",
				name, vm, from, policy, room, step);
	}
}

static json_object *rescale_json(const struct rescale *rs)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < rs->nvms; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "vm",
				       json_object_new_string(rs->vms[i].name));
		json_object_object_add(o, "from_bytes",
				       json_size(rs->vms[i].from));
		json_object_object_add(o, "to_bytes", json_size(rs->vms[i].to));
		json_object_object_add(o, "policy_bytes",
				       json_size(rs->vms[i].policy));
		json_object_object_add(
			o, "restored",
			json_object_new_boolean(rs->vms[i].restored));
		json_object_object_add(
			o, "held",
			rs->held_why[0] ? json_object_new_string(rs->held_why)
					: NULL);
		json_object_array_add(arr, o);
	}
	return arr;
}

static int plan_or_apply(struct run_ctx *ctx, int argc, char **argv, bool apply,
			 struct iq_err *err)
{
	static const struct option opts[] = {
		{"libvirt-xml", required_argument, NULL, 'x'},
		{"ch-socket-dir", required_argument, NULL, 'C'},
		{"connect", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *name = apply ? "apply" : "plan";
	struct vm_list vms = {0};
	const char *connect_uri = NULL;
	unsigned sources = 0;
	bool have_xml = false;
	struct session s;
	struct lifecycle_result r;
	unsigned long cmds = 0, writes = 0;
	struct state before;
	struct iq_err ignored = {0};
	bool have_before;
	size_t over = 0;
	unsigned hung = 0; /* CH VMMs that did not answer */
	int c, rc = IQ_OK;

	/*
	 * The journal as it is before the sources are read: what changes in
	 * it while we wait for the lock is newer than the sources (a hook
	 * started or stopped a VM meanwhile), lifecycle_merge_meanwhile.
	 * Unreadable: the locked read below reports it.
	 */
	if (apply) {
		bool help = false;

		for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
			help |= !strcmp(argv[i], "-h") ||
				!strcmp(argv[i], "--help");
		if (!help && (rc = cli_require_privileges(ctx, name, err)))
			return rc;
	}
	have_before = state_load(ctx->state_path, &before, &ignored) == IQ_OK;
	optind = 1;
	opterr = 0; /* our own one-line message instead */
	while (rc == IQ_OK &&
	       (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'x':
			have_xml = true;
			sources |= LIFECYCLE_SRC_LIBVIRT;
			rc = vm_list_add_libvirt_path(&vms, optarg, err);
			break;
		case 'c':
			connect_uri = optarg;
			break;
		case 'C': {
			unsigned dead = 0, hung_here = 0;
			char why[512] = "";

			sources |= LIFECYCLE_SRC_CH;
			rc = vm_ch_list_dir(optarg, &vms, &dead, &hung_here,
					    why, sizeof(why), err);
			/* A dead VMM's VM is not running: said, not hidden. A
			 * hung one's state is unknown: a problem (exit 3). */
			if (rc == IQ_OK && dead > hung_here)
				run_note(ctx,
					 "%s: %u VMM socket%s with nobody "
					 "listening, taken as not running",
					 optarg, dead - hung_here,
					 dead - hung_here == 1 ? "" : "s");
			if (rc == IQ_OK && hung_here)
				run_note(
					ctx,
					"%s: %u VMM socket%s did not answer in "
					"%ds (hung?): %s VM%s state is "
					"unknown; a VM the journal knows keeps "
					"its caps (%s)",
					optarg, hung_here,
					hung_here == 1 ? "" : "s",
					VM_CH_TIMEOUT_S,
					hung_here == 1 ? "its" : "their",
					hung_here == 1 ? "'s" : "s'", why);
			hung += hung_here;
			break;
		}
		case 'h':
			help_print_command(ctx->out, help_find(name));
			vm_list_free(&vms);
			if (have_before)
				state_free(&before);
			return IQ_OK;
		default:
			rc = iq_fail(
				err, IQ_EUSAGE,
				"%s: unknown option or missing value: '%s' "
				"(see icmquota %s --help)",
				name, argv[optind - 1], name);
		}
	}
	if (rc == IQ_OK && optind < argc)
		rc = iq_fail(err, IQ_EUSAGE, "%s: unexpected argument '%s'",
			     name, argv[optind]);
	if (rc == IQ_OK)
		rc = live_libvirt_source(ctx, name, connect_uri, have_xml, &vms,
					 &sources, err);
	if (rc == IQ_OK)
		rc = session_open_reusing(
			ctx,
			(apply ? SESSION_LOCK : 0) | SESSION_POLICY |
				SESSION_STATE | SESSION_FIRMWARE,
			have_before ? &before : NULL, &s, err);
	/* The journal unchanged under the lock: nothing happened meanwhile. */
	if (rc == IQ_OK && have_before && !s.state_reused) {
		int changed = lifecycle_merge_meanwhile(&before, &s, sources,
							&vms, err);

		if (changed < 0) {
			rc = err->code;
			session_close(&s);
		} else if (changed) {
			run_verbose(ctx,
				    "%d VM%s started or stopped while waiting "
				    "for the lock: taken from the journal",
				    changed, changed == 1 ? "" : "s");
		}
	}
	if (have_before)
		state_free(&before);
	if (rc) {
		vm_list_free(&vms);
		return rc;
	}
	rc = lifecycle_apply(&s, &vms, sources,
			     apply ? LIFECYCLE_APPLY : LIFECYCLE_PLAN, &r, err);
	host_fw_counts(&s.host, &cmds, &writes);
	if (rc == IQ_OK && ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(
			o, "vfs", report_plan_json(&s.policy, &r.plan, false));
		json_object_object_add(
			o, "uncapped_pfs",
			report_uncapped_pfs_json(&r.plan, false));
		json_object_object_add(o, "writes_needed",
				       json_object_new_uint64(r.plan.nwrites));
		json_object_object_add(o, "writes",
				       json_object_new_uint64(writes));
		json_object_object_add(o, "fw_commands",
				       json_object_new_uint64(cmds));
		json_object_object_add(
			o, "fw_retries",
			json_object_new_uint64(host_fw_retries(&s.host)));
		json_object_object_add(o, "split", report_split_json(&r.split));
		json_object_object_add(o, "rescale", rescale_json(&r.rescale));
		json_print(ctx->out, o);
	} else if (rc == IQ_OK) {
		report_plan_table(ctx->out, &s.policy, &r.plan, false);
		fprintf(ctx->out,
			"%s: %zu VFs on %zu PFs, %zu VMs, %zu cap%s %s, "
			"%lu firmware commands\n",
			name, r.plan.nvfs, s.host.npfs, r.nrunning,
			r.plan.nwrites, r.plan.nwrites == 1 ? "" : "s",
			apply ? "written" : "to write", cmds);
		if (host_fw_retries(&s.host))
			fprintf(ctx->out,
				"%s: %lu firmware command(s) resent after "
				"RESOURCE_BUSY/NOT_READY (--trace-fw shows "
				"them)\n",
				name, host_fw_retries(&s.host));
		report_rescale(ctx->out, name, apply, &r);
		for (size_t i = 0; i < r.plan.nothers; i++)
			run_verbose(
				ctx,
				"VM %s: %s is not a ConnectX VF: left alone",
				r.plan.others[i].vm->name,
				r.plan.others[i].pci);
	}
	if (rc == IQ_OK && r.kept)
		run_note(ctx,
			 "%s: %zu journal VM%s not found by the sources but "
			 "not confirmed gone, kept with their caps: %s%s "
			 "(icmquota vm stop NAME when it no longer runs)",
			 name, r.kept, r.kept == 1 ? "" : "s", r.kept_first,
			 r.kept > 1 ? ", ..." : "");
	/* Everything else is capped: now each problem, and a non-zero exit. */
	for (size_t i = 0; rc == IQ_OK && i < r.plan.nproblems; i++)
		run_note(ctx, "%s: %s", name, r.plan.problems[i]);
	if (rc == IQ_OK) {
		report_whole_pfs(ctx, name, &r.plan);
		over = report_overcommit(ctx, name, apply, &s, &r);
		over += report_hugepages_short(ctx, name, &s, &r);
	}
	/* Say only what is true of the rest: an unreachable PF's VFs were
	 * neither checked nor capped. */
	if (rc == IQ_OK && r.plan.nproblems)
		rc = iq_fail(err, IQ_EENV,
			     "%s: %zu problem%s above; %s %s (fix them, then "
			     "run icmquota apply again)",
			     name, r.plan.nproblems + over,
			     r.plan.nproblems + over == 1 ? "" : "s",
			     !r.plan.unreachable_pfs ? "every other VF"
			     : r.plan.unreachable_pfs >= s.host.npfs ? "no VF"
			     : r.plan.nproblems > r.plan.unreachable_pfs
				     ? "every other VF on the other PFs"
				     : "every VF on the other PFs",
			     apply ? "was capped" : "was planned");
	else if (rc == IQ_OK && over)
		rc = iq_fail(err, IQ_EENV,
			     "%s: %zu problem%s above; the caps %s written "
			     "as the policy says (fix them, then run icmquota "
			     "apply again)",
			     name, over, over == 1 ? "" : "s",
			     apply ? "were" : "would be");
	else if (rc == IQ_OK && hung)
		rc = iq_fail(err, IQ_EENV,
			     "%s: %u VMM%s did not answer (above): every other "
			     "VF %s; run icmquota apply again once %s",
			     name, hung, hung == 1 ? "" : "s",
			     apply ? "was capped" : "was planned",
			     hung == 1 ? "it answers" : "they answer");
	lifecycle_result_free(&r);
	session_close(&s);
	vm_list_free(&vms);
	return rc;
}

/*
 * A plan or apply reads every running domain's XML; those unchanged since
 * the last run take the facts parsed then (STATE.domains.memo beside the
 * journal: the same owner and trust).
 */
static int with_domain_memo(struct run_ctx *ctx, int argc, char **argv,
			    bool apply, struct iq_err *err)
{
	char path[PATH_MAX];
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s.domains.memo",
			     ctx->state_path) < sizeof(path))
		vm_memo_open(path);
	rc = plan_or_apply(ctx, argc, argv, apply, err);
	vm_memo_close();
	return rc;
}

int cmd_plan(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	return with_domain_memo(ctx, argc, argv, false, err);
}

int cmd_apply(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	return with_domain_memo(ctx, argc, argv, true, err);
}
