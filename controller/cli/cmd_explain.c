// SPDX-License-Identifier: MIT
/* icmquota explain: which policy rule gave each VF of a VM its cap. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/cli/cli.h"
#include "controller/cli/help.h"
#include "controller/cli/report.h"
#include "controller/core/rescale.h"
#include "controller/core/session.h"
#include "controller/sources/vm_source.h"
#include "lib/json.h"
#include "lib/text.h"
#include "lib/size.h"

/* The VF's shared budget (vm_cap), or why there is none. */
static void explain_group(struct run_ctx *ctx, const struct policy *policy,
			  const struct plan *plan, const struct plan_vf *pv,
			  const struct vm_facts *vm)
{
	char cap[32], rule[512];

	if (pv->group >= 0) {
		const struct plan_group *g = &plan->groups[pv->group];

		size_format(g->desired_bytes, cap, sizeof(cap));
		report_rule(policy, &g->decision, rule, sizeof(rule));
		fprintf(ctx->out,
			"    shares vm_cap %s with the VM's %u VF%s on this PF "
			"(vHCA group %u) from %s; its own cap still applies "
			"inside\n",
			cap, g->members, g->members == 1 ? "" : "s", g->id,
			rule);
	} else if (pv->group_unsupported) {
		struct policy_decision d;
		struct policy_vm view;

		policy_vm_cap(policy, vm_policy_view(vm, &view), pv->pf->pci,
			      &d);
		size_format(d.cap_bytes, cap, sizeof(cap));
		report_rule(policy, &d, rule, sizeof(rule));
		fprintf(ctx->out,
			"    vm_cap %s from %s not used: %s; the per-VF cap "
			"stands alone\n",
			cap, rule,
			pv->pf->probed ? "this PF has no vHCA groups "
					 "(vhca_group_id_max 0)"
				       : "this PF's firmware could not be "
					 "read, so its groups are unknown");
	}
}

/*
 * A cap host.admission: scale lowered at the VM's start: from what, to
 * what, why, and when it rises again (rescale.h's rule).
 */
static void explain_scaled(struct run_ctx *ctx, const struct plan_vf *pv,
			   const struct state_vm *svm)
{
	char policy[32], now[32], from[32], to[32], short_by[32], when[64],
		step[32];
	time_t t = svm ? (time_t)svm->started : 0;
	struct tm tm;

	if (!pv->scaled)
		return;
	size_format(pv->decision.cap_bytes, policy, sizeof(policy));
	size_format(pv->desired_bytes, now, sizeof(now));
	size_format(RESCALE_MIN_RAISE, step, sizeof(step));
	if (t && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	else
		snprintf(when, sizeof(when), "unknown");
	fprintf(ctx->out,
		"    scaled: %s, not the %s above: host.admission: scale "
		"lowered it at the VM's start (%s)",
		now, policy, when);
	if (svm && svm->scale.short_bytes) {
		size_format(svm->scale.short_bytes, short_by, sizeof(short_by));
		size_format(svm->scale.from_bytes, from, sizeof(from));
		size_format(svm->scale.cap_bytes, to, sizeof(to));
		fprintf(ctx->out,
			", the host short by %s: its VF caps %s -> %s in all "
			"(now)",
			short_by, from, to);
	}
	fprintf(ctx->out,
		"; apply raises it back toward %s as the split has room "
		"(the VM that started first rises first; a rise short of the "
		"policy's caps takes %s at least)\n",
		policy, step);
}

/* The VM's scaling as the journal has it, null when not scaled. */
static json_object *scaled_json(const struct state_vm *svm)
{
	json_object *o;

	if (!svm || !svm->scale.scaled)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "started",
			       json_object_new_int64(svm->started));
	json_object_object_add(o, "short_bytes",
			       json_size(svm->scale.short_bytes));
	json_object_object_add(o, "from_bytes",
			       json_size(svm->scale.from_bytes));
	json_object_object_add(o, "cap_bytes", json_size(svm->scale.cap_bytes));
	return o;
}

/*
 * The huge page terms with the VM among the running ones (the journal's,
 * the VM itself in place of a running VM of its name): what its pages ask
 * of each pool, and whether the pool can serve all.
 */
static int explain_hugepages(const struct session *s, const struct vm_facts *vm,
			     struct split *split, struct iq_err *err)
{
	struct vm_facts *vms =
		calloc(s->state.nvms + 1, sizeof(*vms)); /* shallow */
	size_t n = 0;

	if (!vms)
		return iq_fail(err, IQ_EENV, "explain: out of memory");
	for (size_t i = 0; i < s->state.nvms; i++)
		if (strcmp(s->state.vms[i].facts.name, vm->name) != 0)
			vms[n++] = s->state.vms[i].facts;
	vms[n++] = *vm;
	memset(split, 0, sizeof(*split));
	split_hugepages(&s->host, vms, n, split);
	free(vms);
	return IQ_OK;
}

static void explain_table(struct run_ctx *ctx, const struct policy *policy,
			  const struct plan *plan, const struct vm_facts *vm,
			  const struct state_vm *svm)
{
	char mem[32], name[1024], class_name[512];

	size_format(vm->memory_bytes, mem, sizeof(mem));
	fprintf(ctx->out, "vm %s class %s memory %s hugepages %s\n",
		text_shown(vm->name, name, sizeof(name)),
		vm->class_name[0] ? text_shown(vm->class_name, class_name,
					       sizeof(class_name))
				  : "-",
		mem, vm->hugepages ? "yes" : "no");
	for (size_t i = 0; i < plan->nvfs; i++) {
		const struct plan_vf *pv = &plan->vfs[i];
		char cap[32], rule[512];

		if (!pv->in_scope)
			continue;
		size_format(pv->decision.cap_bytes, cap, sizeof(cap));
		report_rule(policy, &pv->decision, rule, sizeof(rule));
		fprintf(ctx->out, "  vf %s (pf %s): cap %s from %s%s%s\n",
			pv->vf->pci, pv->pf->pci, cap, rule,
			pv->decision.note[0] ? "; " : "", pv->decision.note);
		explain_scaled(ctx, pv, svm);
		explain_group(ctx, policy, plan, pv, vm);
	}
	for (size_t i = 0; i < plan->nothers; i++)
		fprintf(ctx->out, "  pci %s: %s\n", plan->others[i].pci,
			plan->others[i].connectx_pf
				? "UNCAPPED: a whole ConnectX PF passed "
				  "through; its firmware pages cannot be "
				  "capped from the host and are not in the "
				  "split (pass one of its VFs instead)"
				: "not a ConnectX VF, left alone");
}

int cmd_explain(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	static const struct option opts[] = {
		{"libvirt-xml", required_argument, NULL, 'x'},
		{"ch-socket", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	struct vm_source src = {0};
	struct vm_facts vm;
	struct session s;
	struct plan plan;
	int c, rc;

	optind = 1;
	opterr = 0; /* our own one-line message instead */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'x':
			src.libvirt_xml = optarg;
			break;
		case 'c':
			src.ch_socket = optarg;
			break;
		case 'h':
			help_print_command(ctx->out, help_find("explain"));
			return IQ_OK;
		default:
			return iq_fail(
				err, IQ_EUSAGE,
				"explain: unknown option or missing value: "
				"'%s' (see icmquota explain --help)",
				argv[optind - 1]);
		}
	}
	if (optind < argc)
		src.name = argv[optind++];
	if (optind < argc ||
	    !!src.libvirt_xml + !!src.ch_socket + !!src.name != 1)
		return iq_fail(err, IQ_EUSAGE,
			       "explain: name one VM: --libvirt-xml FILE, "
			       "--ch-socket PATH or a running VM's name");
	/* The firmware tells whether a PF has vHCA groups (vm_cap); without
	 * it, explain still answers from the policy and sysfs. */
	rc = session_open(ctx,
			  SESSION_POLICY | SESSION_STATE | SESSION_FIRMWARE, &s,
			  err);
	if (rc == IQ_EENV) {
		run_verbose(ctx,
			    "firmware not reachable (%s): vHCA groups "
			    "unknown",
			    err->msg);
		iq_err_clear(err);
		rc = session_open(ctx,
				  SESSION_POLICY | SESSION_STATE | SESSION_HOST,
				  &s, err);
	}
	if (rc)
		return rc;
	memset(&vm, 0, sizeof(vm));
	if (src.name) {
		struct state_vm *svm = state_find_vm(&s.state, src.name);

		rc = svm ? vm_facts_copy(&vm, &svm->facts, err)
			 : iq_fail(err, IQ_EREFUSED,
				   "explain: no running VM named '%s' in %s "
				   "(pass --libvirt-xml FILE)",
				   src.name, ctx->state_path);
	} else {
		rc = vm_source_load(&src, &vm, err);
	}
	/* The journal gives the VM's group ids, if it runs. */
	if (rc == IQ_OK)
		rc = plan_build(&s.host, &s.policy, &s.state, &vm, 1, &vm,
				&plan, err);
	if (rc == IQ_OK) {
		struct split *split = malloc(sizeof(*split));

		rc = split ? explain_hugepages(&s, &vm, split, err)
			   : iq_fail(err, IQ_EENV, "explain: out of memory");
		if (rc == IQ_OK && ctx->json) {
			json_object *o = report_vm_json(&vm, &s.host);
			json_object *huge = report_hugepages_json(split);

			json_object_object_add(
				o, "caps",
				report_plan_json(&s.policy, &plan, true));
			json_object_object_add(
				o, "uncapped_pfs",
				report_uncapped_pfs_json(&plan, true));
			json_object_object_add(
				o, "scaled",
				scaled_json(state_find_vm(&s.state, vm.name)));
			/* Each size: the pool against all running VMs, and
			 * this VM's share. */
			for (size_t i = 0; i < split->nhuge; i++)
				json_object_object_add(
					json_object_array_get_idx(huge, i),
					"vm_demand_pages",
					json_object_new_uint64(
						split_vm_huge_pages(
							&s.host, &vm,
							split->huge[i]
								.page_bytes)));
			json_object_object_add(o, "hugepages", huge);
			json_print(ctx->out, o);
		} else if (rc == IQ_OK) {
			explain_table(ctx, &s.policy, &plan, &vm,
				      state_find_vm(&s.state, vm.name));
			report_hugepages_table(ctx->out, &s.host, split, &vm,
					       "  ");
		}
		free(split);
		plan_free(&plan);
	}
	vm_facts_free(&vm);
	session_close(&s);
	return rc;
}
