// SPDX-License-Identifier: MIT
#include "controller/cli/report.h"

#include <inttypes.h>
#include <string.h>

#include "controller/core/hwm.h"
#include "controller/core/readback.h"
#include "lib/json.h"
#include "lib/text.h"
#include "lib/size.h"

/* The file a value came from, by its base name (the policy dir is known). */
static const char *policy_label(const struct policy *policy,
				struct policy_pos pos)
{
	const char *path = policy_file(policy, pos);
	const char *slash = strrchr(path, '/');
	const char *dir;

	if (!slash)
		return path;
	/* A drop-in keeps its folder: "policy.d/99-icmquota-local.yaml". */
	for (dir = slash; dir > path && dir[-1] != '/'; dir--)
		;
	if ((size_t)(slash - dir) == 8 && strncmp(dir, "policy.d", 8) == 0)
		return dir;
	return slash + 1;
}

void report_rule(const struct policy *policy, const struct policy_decision *d,
		 char *buf, size_t len)
{
	if (d->pos.line)
		snprintf(buf, len, "%s (%s:%u:%u)", d->rule,
			 policy_label(policy, d->pos), d->pos.line, d->pos.col);
	else
		snprintf(buf, len, "%s (built-in)", d->rule);
}

/* A node set as a list of node numbers. */
static json_object *nodes_json(uint64_t nodes)
{
	json_object *a = json_object_new_array();

	for (int n = 0; n < 64; n++)
		if (nodes >> n & 1)
			json_object_array_add(a, json_object_new_int(n));
	return a;
}

json_object *report_hugepages_json(const struct split *split)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < split->nhuge; i++) {
		const struct split_huge *h = &split->huge[i];
		json_object *o = json_object_new_object();
		bool fails = split_huge_fails(h);

		/* null: the host's default size, and the host has none. */
		json_object_object_add(o, "page_bytes",
				       h->page_bytes ? json_size(h->page_bytes)
						     : NULL);
		json_object_object_add(o, "pool",
				       json_object_new_boolean(h->pool));
		json_object_object_add(o, "demand_pages",
				       json_object_new_uint64(h->demand));
		json_object_object_add(o, "demand_bytes",
				       json_size(h->demand_bytes));
		json_object_object_add(o, "nr_hugepages",
				       json_object_new_uint64(h->total));
		json_object_object_add(o, "free_hugepages",
				       json_object_new_uint64(h->free));
		json_object_object_add(o, "surplus_hugepages",
				       json_object_new_uint64(h->surplus));
		json_object_object_add(
			o, "nr_overcommit_hugepages",
			h->overcommit_known
				? json_object_new_uint64(h->overcommit)
				: NULL);
		json_object_object_add(
			o, "surplus_needed_pages",
			json_object_new_uint64(h->surplus_needed));
		json_object_object_add(
			o, "surplus_charged_pages",
			json_object_new_uint64(h->surplus_charged));
		json_object_object_add(o, "short_pages",
				       json_object_new_uint64(h->short_pages));
		/* null: unknown whether the pool can serve the demand. */
		json_object_object_add(
			o, "servable",
			!fails && h->unknown ? NULL
					     : json_object_new_boolean(!fails));
		json_object_object_add(
			o, "short_host_nodes",
			h->short_nodes ? nodes_json(h->short_nodes) : NULL);
		json_object_object_add(
			o, "node_demand_pages",
			h->short_nodes ? json_object_new_uint64(h->node_demand)
				       : NULL);
		json_object_object_add(
			o, "node_pool_pages",
			h->short_nodes ? json_object_new_uint64(h->node_pool)
				       : NULL);
		json_object_object_add(
			o, "reason",
			h->unknown ? json_object_new_string(h->why) : NULL);
		json_object_array_add(a, o);
	}
	return a;
}

void report_hugepages_table(FILE *out, const struct host *host,
			    const struct split *split,
			    const struct vm_facts *vm, const char *indent)
{
	for (size_t i = 0; i < split->nhuge; i++) {
		const struct split_huge *h = &split->huge[i];
		char text[900];

		/* explain: only the sizes the VM uses. */
		if (vm && !vm_huge_bytes_of_size(vm, h->page_bytes,
						 host->mem.default_page_bytes))
			continue;
		split_huge_text(host, h, vm, text, sizeof(text));
		fprintf(out, "%s%s\n", indent, text);
	}
}

json_object *report_split_json(const struct split *split)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "mem_total_bytes",
			       json_size(split->mem_total));
	json_object_object_add(o, "reserve_bytes", json_size(split->reserve));
	json_object_object_add(o, "vf_caps_bytes", json_size(split->vf_caps));
	json_object_object_add(o, "unlimited_caps",
			       json_object_new_int(split->unlimited_caps));
	/* In vf_caps_bytes at the policy's cap: their PF did not answer. */
	json_object_object_add(o, "vf_caps_assumed_bytes",
			       json_size(split->vf_caps_assumed));
	json_object_object_add(
		o, "vf_caps_assumed_vfs",
		json_object_new_int((int)split->vf_caps_assumed_vfs));
	json_object_object_add(
		o, "unreachable_pfs",
		json_object_new_int((int)split->unreachable_pfs));
	json_object_object_add(
		o, "unreachable_why",
		split->unreachable_pfs
			? json_object_new_string(split->unreachable_why)
			: NULL);
	/* Unknown is null, with the reason; the known part beside it. */
	json_object_object_add(
		o, "pf_fw_pages_bytes",
		split->pf_fw_unknown ? NULL : json_size(split->pf_fw_pages));
	json_object_object_add(o, "pf_fw_pages_known_bytes",
			       json_size(split->pf_fw_pages));
	json_object_object_add(o, "pf_fw_pages_unknown_pfs",
			       json_object_new_int((int)split->pf_fw_unknown));
	json_object_object_add(
		o, "pf_fw_pages_reason",
		split->pf_fw_unknown ? json_object_new_string(split->pf_fw_why)
				     : NULL);
	json_object_object_add(
		o, "pf_fw_pages_source",
		json_object_new_string(
			split->pf_fw_unknown ? "unknown"
			: split->pf_fw_total_only
				? "fw_pages_total"
				: "fw_pages_total - fw_pages_vfs"));
	/* Idle VFs: what the firmware says they hold; unknown is null. */
	json_object_object_add(
		o, "idle_vf_held_bytes",
		split->idle_vf_unknown ? NULL : json_size(split->idle_vf_held));
	json_object_object_add(o, "idle_vf_held_known_bytes",
			       json_size(split->idle_vf_held));
	json_object_object_add(
		o, "idle_vf_held_unknown_vfs",
		json_object_new_int((int)split->idle_vf_unknown));
	json_object_object_add(
		o, "idle_vf_held_reason",
		split->idle_vf_unknown
			? json_object_new_string(split->idle_vf_why)
			: NULL);
	/* Whole PFs passed through: uncapped, not in committed. */
	json_object_object_add(o, "uncapped_pfs",
			       json_object_new_int((int)split->uncapped_pfs));
	json_object_object_add(
		o, "uncapped_pfs_reason",
		split->uncapped_pfs
			? json_object_new_string(split->uncapped_pf_why)
			: NULL);
	json_object_object_add(o, "vm_nonhuge_bytes",
			       json_size(split->vm_nonhuge));
	/* Persistent pages (nr_hugepages - surplus_hugepages), all sizes. */
	json_object_object_add(o, "hugepage_pools_bytes",
			       json_size(split->hugepage_pools));
	/* Surplus pages, from ordinary memory: now, or to serve the VMs. */
	json_object_object_add(o, "hugepage_surplus_bytes",
			       json_size(split->hugepage_surplus));
	json_object_object_add(o, "hugepages", report_hugepages_json(split));
	json_object_object_add(o, "hugepage_short_sizes",
			       json_object_new_int((int)split->huge_short));
	json_object_object_add(o, "hugepage_unknown_sizes",
			       json_object_new_int((int)split->huge_unknown));
	json_object_object_add(o, "committed_bytes",
			       json_size(split->committed));
	json_object_object_add(o, "headroom_bytes",
			       json_bytes_signed(split->headroom));
	json_object_object_add(o, "fits",
			       json_object_new_boolean(split->headroom >= 0));
	json_object_object_add(o, "mem_available_bytes",
			       json_size(split->mem_available));
	json_object_object_add(o, "fw_pages_bytes",
			       json_size(split->fw_pages_bytes));
	return o;
}

static void split_row(FILE *out, const char *label, uint64_t bytes)
{
	char h[32];

	size_format(bytes, h, sizeof(h));
	fprintf(out, "  %-34s %12s\n", label, h);
}

void report_split_table(FILE *out, const struct split *split)
{
	char h[32], caps[64];

	fprintf(out, "memory split:\n");
	split_row(out, "MemTotal", split->mem_total);
	split_row(out, "- host.reserve", split->reserve);
	if (split->unlimited_caps)
		snprintf(caps, sizeof(caps),
			 "- VF caps (%u unlimited=total ICM)",
			 split->unlimited_caps);
	else
		snprintf(caps, sizeof(caps), "- VF caps of running VMs");
	if (split->vf_caps_assumed_vfs) {
		char term[256];

		split_caps_term(split, term, sizeof(term));
		fprintf(out, "  %-34s %s\n", caps, term);
	} else {
		split_row(out, caps, split->vf_caps);
	}
	if (split->pf_fw_unknown || split->pf_fw_total_only) {
		char pf[256];

		split_pf_term(split, pf, sizeof(pf));
		fprintf(out, "  %-34s %s\n", "- PF own firmware pages", pf);
	} else {
		split_row(out, "- PF own firmware pages", split->pf_fw_pages);
	}
	if (split->idle_vf_unknown) {
		char idle[384];

		split_idle_term(split, idle, sizeof(idle));
		fprintf(out, "  %-34s %s\n", "- idle VFs' firmware pages",
			idle);
	} else {
		split_row(out, "- idle VFs' firmware pages",
			  split->idle_vf_held);
	}
	if (split->uncapped_pfs)
		fprintf(out, "  %-34s UNKNOWN for %u PF%s (%s): UNCAPPED\n",
			"- whole PFs passed through", split->uncapped_pfs,
			split->uncapped_pfs == 1 ? "" : "s",
			split->uncapped_pf_why);
	split_row(out, "- VM memory not in huge pages", split->vm_nonhuge);
	split_row(out, "- huge page pools", split->hugepage_pools);
	split_row(out, "- huge page surplus", split->hugepage_surplus);
	size_format_signed(split->headroom, h, sizeof(h));
	fprintf(out, "  %-34s %12s  %s\n", "= headroom", h,
		split->headroom >= 0 ? "(fits)" : "(OVERCOMMITTED)");
	report_hugepages_table(out, NULL, split, NULL, "  ");
	if (split->unreachable_pfs) {
		char advice[512];

		split_unreachable_advice(split, advice, sizeof(advice));
		fprintf(out, "  note: %s\n", advice);
	}
	size_format(split->mem_available, h, sizeof(h));
	fprintf(out, "observed: MemAvailable %s", h);
	size_format(split->fw_pages_bytes, h, sizeof(h));
	fprintf(out, ", firmware pages %s\n", h);
}

static const char *action_of(const struct plan_vf *pv)
{
	if (!pv->pf->supported)
		return "unsupported";
	if (!pv->in_scope)
		return "-";
	if (pv->written)
		return "written";
	return pv->write ? "write" : "ok";
}

/* A VF's vHCA group (vm_cap) in plan and explain JSON. */
static void report_group_json(const struct policy *policy,
			      const struct plan *plan, const struct plan_vf *pv,
			      json_object *o)
{
	const struct plan_group *g =
		pv->group >= 0 ? &plan->groups[pv->group] : NULL;
	char rule[512];

	json_object_object_add(o, "group_id",
			       g ? json_object_new_int(g->id) : NULL);
	json_object_object_add(o, "vm_cap_bytes",
			       g ? json_size(g->desired_bytes) : NULL);
	if (g) {
		report_rule(policy, &g->decision, rule, sizeof(rule));
		json_object_object_add(o, "vm_cap_rule",
				       json_object_new_string(rule));
	}
	if (pv->group_unsupported)
		json_object_object_add(
			o, "vm_cap_note",
			json_object_new_string(
				pv->pf->probed
					? "PF has no vHCA groups "
					  "(vhca_group_id_max 0): per-VF cap "
					  "alone"
					: "PF firmware not read: groups "
					  "unknown, per-VF cap alone"));
}

json_object *report_plan_json(const struct policy *policy,
			      const struct plan *plan, bool only_scope)
{
	json_object *rows = json_object_new_array();

	for (size_t i = 0; i < plan->nvfs; i++) {
		const struct plan_vf *pv = &plan->vfs[i];
		json_object *o;
		char rule[512];

		if (only_scope && !pv->in_scope)
			continue;
		o = json_object_new_object();
		report_rule(policy, &pv->decision, rule, sizeof(rule));
		json_object_object_add(o, "vf",
				       json_object_new_string(pv->vf->pci));
		json_object_object_add(o, "pf",
				       json_object_new_string(pv->pf->pci));
		json_object_object_add(
			o, "vhca_id",
			pv->vf->vhca_known
				? json_object_new_int(pv->vf->vhca_id)
				: NULL);
		json_object_object_add(
			o, "vm",
			pv->vm ? json_object_new_string(pv->vm->name) : NULL);
		json_object_object_add(o, "desired_cap_bytes",
				       json_size(pv->desired_bytes));
		json_object_object_add(o, "policy_cap_bytes",
				       json_size(pv->decision.cap_bytes));
		json_object_object_add(
			o, "actual_cap_bytes",
			pv->have_actual ? json_size(icm_pages_to_bytes(
						  pv->actual.max_alloc_icm_th))
					: NULL);
		json_object_object_add(o, "action",
				       json_object_new_string(action_of(pv)));
		json_object_object_add(o, "rule", json_object_new_string(rule));
		if (pv->decision.note[0])
			json_object_object_add(
				o, "note",
				json_object_new_string(pv->decision.note));
		report_group_json(policy, plan, pv, o);
		json_object_array_add(rows, o);
	}
	return rows;
}

void report_plan_table(FILE *out, const struct policy *policy,
		       const struct plan *plan, bool only_scope)
{
	fprintf(out, "%-13s %-13s %-6s %-16s %-10s %-10s %-11s %s\n", "VF",
		"PF", "VHCA", "VM", "DESIRED", "ACTUAL", "ACTION", "RULE");
	for (size_t i = 0; i < plan->nvfs; i++) {
		const struct plan_vf *pv = &plan->vfs[i];
		char desired[32], actual[32] = "-", vhca[16] = "-", rule[512];
		char name[1024];

		if (only_scope && !pv->in_scope)
			continue;
		size_format(pv->desired_bytes, desired, sizeof(desired));
		if (pv->have_actual)
			size_format(
				icm_pages_to_bytes(pv->actual.max_alloc_icm_th),
				actual, sizeof(actual));
		if (pv->vf->vhca_known)
			snprintf(vhca, sizeof(vhca), "0x%x", pv->vf->vhca_id);
		report_rule(policy, &pv->decision, rule, sizeof(rule));
		fprintf(out,
			"%-13s %-13s %-6s %-16s %-10s %-10s %-11s %s%s%s\n",
			pv->vf->pci, pv->pf->pci, vhca,
			pv->vm ? text_shown(pv->vm->name, name, sizeof(name))
			       : "(idle)",
			desired, actual, action_of(pv), rule,
			pv->decision.note[0] ? "; " : "", pv->decision.note);
	}
	report_uncapped_pfs_table(out, plan, only_scope);
}

uint64_t report_cap_rise(const struct plan *plan, const uint64_t *before,
			 const struct vm_facts *vm, uint64_t mem_total,
			 char *buf, size_t len,
			 const struct policy_decision **rule)
{
	uint64_t rise = 0;
	size_t used = 0;

	buf[0] = '\0';
	*rule = NULL;
	for (size_t i = 0; i < plan->nvfs; i++) {
		const struct plan_vf *pv = &plan->vfs[i];
		uint64_t after = plan_vf_cap_charge(pv, mem_total);
		char b[32], a[32];
		int n;

		if (pv->vm != vm || before[i] == IQ_UNLIMITED ||
		    pv->desired_bytes <= before[i])
			continue;
		rise += after > before[i] ? after - before[i] : 0;
		if (!*rule)
			*rule = &pv->decision;
		size_format(before[i], b, sizeof(b));
		size_format(pv->desired_bytes, a, sizeof(a));
		n = snprintf(buf + used, len - used, "%s%s %s -> %s",
			     used ? ", " : "", pv->vf->pci, b, a);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	return rise;
}

/* Why a whole PF passed through is uncapped, and what to do. */
static const char uncapped_pf_why[] =
	"whole ConnectX PF passed through: its firmware pages cannot be "
	"capped from the host and are not in the split; pass one of its VFs "
	"instead";

json_object *report_uncapped_pfs_json(const struct plan *plan, bool only_scope)
{
	json_object *rows = json_object_new_array();

	for (size_t i = 0; i < plan->nothers; i++) {
		const struct plan_other *po = &plan->others[i];
		json_object *o;

		if (!po->connectx_pf || (only_scope && !po->in_scope))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "pci",
				       json_object_new_string(po->pci));
		json_object_object_add(o, "vm",
				       json_object_new_string(po->vm->name));
		json_object_object_add(o, "action",
				       json_object_new_string("uncapped"));
		json_object_object_add(o, "note",
				       json_object_new_string(uncapped_pf_why));
		json_object_array_add(rows, o);
	}
	return rows;
}

void report_uncapped_pfs_table(FILE *out, const struct plan *plan,
			       bool only_scope)
{
	for (size_t i = 0; i < plan->nothers; i++) {
		const struct plan_other *po = &plan->others[i];
		char name[1024];

		if (!po->connectx_pf || (only_scope && !po->in_scope))
			continue;
		fprintf(out, "%-13s %-13s %-6s %-16s %-10s %-10s %-11s %s\n",
			po->pci, "(whole PF)", "-",
			text_shown(po->vm->name, name, sizeof(name)), "-", "-",
			"UNCAPPED", uncapped_pf_why);
	}
}

static json_object *fw_pages_json(const struct host_fw_pages *p)
{
	json_object *o = json_object_new_object();
	const struct {
		const char *name;
		int64_t v;
	} f[] = {{"total", p->total},
		 {"vfs", p->vfs},
		 {"ec_vfs", p->ec_vfs},
		 {"sfs", p->sfs},
		 {"host_pf", p->host_pf}};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		json_object_object_add(
			o, f[i].name,
			f[i].v < 0 ? NULL : json_object_new_int64(f[i].v));
	json_object_object_add(
		o, "reason", p->why[0] ? json_object_new_string(p->why) : NULL);
	return o;
}

static json_object *status_groups_json(const struct plan *plan,
				       const struct host_pf *pf)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < plan->ngroups; i++) {
		const struct plan_group *g = &plan->groups[i];
		json_object *o, *members;

		if (g->pf != pf)
			continue;
		o = json_object_new_object();
		members = json_object_new_array();
		json_object_object_add(o, "id", json_object_new_int(g->id));
		json_object_object_add(o, "vm",
				       json_object_new_string(g->vm->name));
		json_object_object_add(o, "desired_cap_bytes",
				       json_size(g->desired_bytes));
		json_object_object_add(
			o, "cap_bytes",
			g->have_actual ? json_size(icm_pages_to_bytes(
						 g->actual.max_alloc_icm_th))
				       : NULL);
		json_object_object_add(
			o, "cur_bytes",
			g->have_actual ? json_size(icm_pages_to_bytes(
						 g->actual.cur_alloc_icm))
				       : NULL);
		json_object_object_add(
			o, "max_reached_bytes",
			g->have_actual
				? json_size(icm_pages_to_bytes(
					  g->actual.max_reached_alloc_icm))
				: NULL);
		for (size_t v = 0; v < plan->nvfs; v++)
			if (plan->vfs[v].group >= 0 &&
			    &plan->groups[plan->vfs[v].group] == g)
				json_object_array_add(
					members, json_object_new_string(
							 plan->vfs[v].vf->pci));
		json_object_object_add(o, "vfs", members);
		json_object_array_add(arr, o);
	}
	return arr;
}

json_object *report_status_json(const struct host *host,
				const struct plan *plan,
				const struct state *state)
{
	json_object *pfs = json_object_new_array();

	for (size_t p = 0; p < host->npfs; p++) {
		const struct host_pf *pf = &host->pfs[p];
		json_object *o = json_object_new_object();
		json_object *vfs = json_object_new_array();

		json_object_object_add(o, "pci",
				       json_object_new_string(pf->pci));
		json_object_object_add(
			o, "rdma_device",
			pf->ibdev[0] ? json_object_new_string(pf->ibdev)
				     : NULL);
		json_object_object_add(o, "total_icm_bytes",
				       pf->probed && pf->supported
					       ? json_size(pf->total_icm_bytes)
					       : NULL);
		/* Unreachable: whether it could cap is unknown, not "no". */
		json_object_object_add(
			o, "supported",
			readback_pf_unreachable(pf)
				? NULL
				: json_object_new_boolean(pf->supported));
		if (!pf->supported && !readback_pf_unreachable(pf))
			json_object_object_add(
				o, "unsupported_reason",
				json_object_new_string(pf->unsupported_why));
		json_object_object_add(
			o, "reachable",
			pf->probed ? json_object_new_boolean(!pf->unreachable)
				   : NULL);
		json_object_object_add(
			o, "fw_error",
			readback_pf_unreachable(pf)
				? json_object_new_string(pf->unreachable_why)
				: NULL);
		json_object_object_add(
			o, "fw_channel",
			pf->fw ? json_object_new_string(pf->fw->ops->name)
			       : NULL);
		if (pf->channel_note[0])
			json_object_object_add(
				o, "fw_channel_note",
				json_object_new_string(pf->channel_note));
		/* learnt from caps asked for and read back; null: unknown */
		json_object_object_add(
			o, "icm_rounding_pages",
			pf->icm_rounding_pages
				? json_object_new_uint64(pf->icm_rounding_pages)
				: NULL);
		json_object_object_add(o, "fw_pages",
				       fw_pages_json(&pf->fw_pages));
		for (size_t v = 0; v < pf->nvfs; v++) {
			const struct host_vf *vf = &pf->vfs[v];
			const struct plan_vf *pv = plan_find_vf(plan, vf);
			json_object *r = json_object_new_object();
			bool have = pv && pv->have_actual;
			char why[600];
			enum readback_state st =
				readback_vf(plan, pv, why, sizeof(why));

			json_object_object_add(
				r, "index",
				json_object_new_int((int)vf->index));
			json_object_object_add(r, "pci",
					       json_object_new_string(vf->pci));
			json_object_object_add(
				r, "vhca_id",
				vf->vhca_known
					? json_object_new_int(vf->vhca_id)
					: NULL);
			json_object_object_add(
				r, "vm",
				pv && pv->vm
					? json_object_new_string(pv->vm->name)
					: NULL);
			json_object_object_add(
				r, "cap_bytes",
				have ? json_size(icm_pages_to_bytes(
					       pv->actual.max_alloc_icm_th))
				     : NULL);
			json_object_object_add(
				r, "cur_bytes",
				have ? json_size(icm_pages_to_bytes(
					       pv->actual.cur_alloc_icm))
				     : NULL);
			json_object_object_add(
				r, "max_reached_bytes",
				have ? json_size(icm_pages_to_bytes(
					       pv->actual
						       .max_reached_alloc_icm))
				     : NULL);
			json_object_object_add(
				r, "group_id",
				have ? json_object_new_int(
					       pv->actual.vhca_group_id)
				     : NULL);
			json_object_object_add(
				r, "max_reached_since",
				hwm_since(state, vf->pci)
					? json_object_new_int64(
						  hwm_since(state, vf->pci))
					: NULL);
			json_object_object_add(r, "desired_cap_bytes",
					       pv ? json_size(pv->desired_bytes)
						  : NULL);
			json_object_object_add(
				r, "over_cap",
				json_object_new_boolean(pv &&
							plan_vf_over_cap(pv)));
			/* Why cap, cur and max_reached are null. */
			json_object_object_add(
				r, "reason",
				st == READBACK_KNOWN
					? NULL
					: json_object_new_string(why));
			json_object_array_add(vfs, r);
		}
		json_object_object_add(o, "vfs", vfs);
		json_object_object_add(
			o, "vhca_group_id_max",
			pf->probed && pf->supported
				? json_object_new_int(pf->group_id_max)
				: NULL);
		json_object_object_add(o, "groups",
				       status_groups_json(plan, pf));
		json_object_array_add(pfs, o);
	}
	return pfs;
}

/* A PF's vHCA groups (vm_cap), under its VF rows. */
static void status_groups_table(FILE *out, const struct plan *plan,
				const struct host_pf *pf)
{
	for (size_t i = 0; i < plan->ngroups; i++) {
		const struct plan_group *g = &plan->groups[i];
		char cap[32] = "-", cur[32] = "-", hwm[32] = "-";

		if (g->pf != pf)
			continue;
		if (g->have_actual) {
			size_format(
				icm_pages_to_bytes(g->actual.max_alloc_icm_th),
				cap, sizeof(cap));
			size_format(icm_pages_to_bytes(g->actual.cur_alloc_icm),
				    cur, sizeof(cur));
			size_format(icm_pages_to_bytes(
					    g->actual.max_reached_alloc_icm),
				    hwm, sizeof(hwm));
		}
		fprintf(out,
			"  group %-3u vm %-16s %u VF%s share cap %s, current "
			"%s, high-water %s\n",
			g->id, g->vm->name, g->members,
			g->members == 1 ? "" : "s", cap, cur, hwm);
	}
}

void report_status_table(FILE *out, const struct host *host,
			 const struct plan *plan, const struct state *state)
{
	for (size_t p = 0; p < host->npfs; p++) {
		const struct host_pf *pf = &host->pfs[p];
		char total[32] = "-", pages[200];

		if (pf->probed && pf->supported)
			size_format(pf->total_icm_bytes, total, sizeof(total));
		snprintf(pages, sizeof(pages), "unknown (%s)",
			 pf->fw_pages.why);
		if (pf->fw_pages.total >= 0)
			size_format((uint64_t)pf->fw_pages.total *
					    ICM_PAGE_BYTES,
				    pages, sizeof(pages));
		if (readback_pf_unreachable(pf))
			snprintf(total, sizeof(total), "?");
		fprintf(out, "pf %s rdma %s total_icm %s fw_pages %s %s%s\n",
			pf->pci, pf->ibdev[0] ? pf->ibdev : "-", total, pages,
			readback_pf_unreachable(pf) ? "icm_ctrl ?"
			: pf->supported		    ? "icm_ctrl yes"
						    : "icm_ctrl NO: ",
			pf->supported || readback_pf_unreachable(pf)
				? ""
				: pf->unsupported_why);
		/* The "?" below, said once for the PF. */
		if (readback_pf_unreachable(pf))
			fprintf(out,
				"  unknown: PF %s: firmware not reachable: "
				"%s\n",
				pf->pci, pf->unreachable_why);
		if (pf->channel_note[0])
			fprintf(out, "  firmware channel: %s\n",
				pf->channel_note);
		if (pf->icm_rounding_pages > 1)
			fprintf(out,
				"  firmware rounds caps up to %u pages (%u "
				"KiB), learnt from read-backs\n",
				pf->icm_rounding_pages,
				pf->icm_rounding_pages * 4);
		if (!pf->nvfs)
			continue;
		fprintf(out,
			"  %-3s %-13s %-6s %-16s %-10s %-10s %-10s %-4s %s\n",
			"VF", "PCI", "VHCA", "VM", "CAP", "CURRENT",
			"HIGH-WATER", "GRP", "HWM SINCE");
		for (size_t v = 0; v < pf->nvfs; v++) {
			const struct host_vf *vf = &pf->vfs[v];
			const struct plan_vf *pv = plan_find_vf(plan, vf);
			char cap[32] = "-", cur[32] = "-", hwm[32] = "-",
			     vhca[16] = "-", since[64], grp[16] = "-",
			     name[1024];
			bool over = false;
			char why[600];
			enum readback_state st =
				readback_vf(plan, pv, why, sizeof(why));

			hwm_since_text(state, vf->pci, since, sizeof(since));
			/* "?": not read because of an error; "-": nothing
			 * to read (a PF that cannot cap). */
			if (st == READBACK_ERROR) {
				snprintf(cap, sizeof(cap), "?");
				snprintf(cur, sizeof(cur), "?");
				snprintf(hwm, sizeof(hwm), "?");
				snprintf(grp, sizeof(grp), "?");
				if (!vf->vhca_known)
					snprintf(vhca, sizeof(vhca), "?");
			}
			if (pv && pv->have_actual) {
				size_format(
					icm_pages_to_bytes(
						pv->actual.max_alloc_icm_th),
					cap, sizeof(cap));
				size_format(icm_pages_to_bytes(
						    pv->actual.cur_alloc_icm),
					    cur, sizeof(cur));
				size_format(
					icm_pages_to_bytes(
						pv->actual
							.max_reached_alloc_icm),
					hwm, sizeof(hwm));
				over = plan_vf_over_cap(pv);
				if (pv->actual.vhca_group_id)
					snprintf(grp, sizeof(grp), "%u",
						 pv->actual.vhca_group_id);
			}
			if (vf->vhca_known)
				snprintf(vhca, sizeof(vhca), "0x%x",
					 vf->vhca_id);
			fprintf(out,
				"  %-3u %-13s %-6s %-16s %-10s %-10s %-10s "
				"%-4s "
				"%s%s\n",
				vf->index, vf->pci, vhca,
				pv && pv->vm ? text_shown(pv->vm->name, name,
							  sizeof(name))
					     : "(idle)",
				cap, cur, hwm, grp, since,
				over ? "  OVER CAP" : "");
			/* A read that failed on a PF that answered. */
			if (st == READBACK_ERROR &&
			    !readback_pf_unreachable(pf))
				fprintf(out, "      unknown: %s\n", why);
		}
		status_groups_table(out, plan, pf);
	}
	for (size_t i = 0; i < plan->nothers; i++) {
		const struct plan_other *po = &plan->others[i];
		char name[1024];

		if (po->connectx_pf)
			fprintf(out,
				"pf %s passed through whole to VM %s: "
				"UNCAPPED (%s)\n",
				po->pci,
				text_shown(po->vm->name, name, sizeof(name)),
				uncapped_pf_why);
	}
}

json_object *report_vm_json(const struct vm_facts *vm, struct host *host)
{
	json_object *o = json_object_new_object();
	json_object *pci = json_object_new_array();
	json_object *vfs = json_object_new_array();

	json_object_object_add(o, "name", json_object_new_string(vm->name));
	json_object_object_add(o, "uuid",
			       vm->uuid[0] ? json_object_new_string(vm->uuid)
					   : NULL);
	json_object_object_add(o, "memory_bytes",
			       json_object_new_uint64(vm->memory_bytes));
	json_object_object_add(o, "hugepages",
			       json_object_new_boolean(vm->hugepages));
	json_object_object_add(o, "hugepage_bytes",
			       json_object_new_uint64(vm_huge_bytes(vm)));
	json_object *huge = json_object_new_array();

	for (size_t i = 0; i < vm->nhuge; i++) {
		json_object *h = json_object_new_object();

		/* page_bytes null: the host's default huge page size. */
		json_object_object_add(
			h, "page_bytes",
			vm->huge[i].page_bytes
				? json_object_new_uint64(vm->huge[i].page_bytes)
				: NULL);
		json_object_object_add(
			h, "bytes", json_object_new_uint64(vm->huge[i].bytes));
		/* null: from any host node. */
		json_object_object_add(
			h, "host_nodes",
			vm->huge[i].host_nodes
				? nodes_json(vm->huge[i].host_nodes)
				: NULL);
		json_object_array_add(huge, h);
	}
	json_object_object_add(o, "huge", huge);
	json_object_object_add(o, "pending_interfaces",
			       json_object_new_int((int)vm->pending_ifaces));
	json_object_object_add(o, "class",
			       vm->class_name[0]
				       ? json_object_new_string(vm->class_name)
				       : NULL);
	for (size_t i = 0; i < vm->npci; i++) {
		json_object_array_add(pci, json_object_new_string(vm->pci[i]));
		if (host && host_find_vf(host, vm->pci[i], NULL))
			json_object_array_add(
				vfs, json_object_new_string(vm->pci[i]));
	}
	json_object_object_add(o, "pci", pci);
	json_object_object_add(o, "vfs", vfs);
	return o;
}

void report_vm_table(FILE *out, const struct vm_facts *vm, struct host *host)
{
	char mem[32], name[1024], class_name[512];

	char huge[1024] = "no";
	size_t used = 0;

	size_format(vm->memory_bytes, mem, sizeof(mem));
	/* "hugepages 512.0GiB in 1.0GiB pages on host node 1, 16.0GiB in
	 * default pages" */
	for (size_t i = 0; i < vm->nhuge && used < sizeof(huge); i++) {
		char bytes[32], page[32], nodes[96] = "";

		size_format(vm->huge[i].bytes, bytes, sizeof(bytes));
		size_format(vm->huge[i].page_bytes, page, sizeof(page));
		if (vm->huge[i].host_nodes) {
			char set[80];

			split_nodes_text(vm->huge[i].host_nodes, set,
					 sizeof(set));
			snprintf(nodes, sizeof(nodes), " on host node%s %s",
				 strpbrk(set, ",-") ? "s" : "", set);
		}
		used += (size_t)snprintf(
			huge + used, sizeof(huge) - used, "%s%s in %s pages%s",
			i ? ", " : "", bytes,
			vm->huge[i].page_bytes ? page : "default", nodes);
	}
	fprintf(out, "vm %s uuid %s memory %s hugepages %s class %s\n",
		text_shown(vm->name, name, sizeof(name)),
		vm->uuid[0] ? vm->uuid : "-", mem, huge,
		vm->class_name[0] ? text_shown(vm->class_name, class_name,
					       sizeof(class_name))
				  : "-");
	for (size_t i = 0; i < vm->npci; i++) {
		struct host_pf *pf = NULL;
		struct host_vf *vf =
			host ? host_find_vf(host, vm->pci[i], &pf) : NULL;

		if (vf)
			fprintf(out, "  pci %s  ConnectX VF %u of %s\n",
				vm->pci[i], vf->index, pf->pci);
		else if (host && !host_pci_exists(host, vm->pci[i]))
			fprintf(out, "  pci %s  NOT ON THIS HOST\n",
				vm->pci[i]);
		else
			fprintf(out, "  pci %s  other device (left alone)\n",
				vm->pci[i]);
	}
}

/* --- devlink ------------------------------------------------------------ */

static json_object *json_str_or_null(const char *s)
{
	return s && s[0] ? json_object_new_string(s) : NULL;
}

static const char *agree_name(enum dlv_agree a)
{
	return a == DLV_AGREE	   ? "agrees"
	       : a == DLV_DISAGREE ? "DISAGREES"
				   : "-";
}

static json_object *devlink_vf_json(const struct dlv_vf *d)
{
	json_object *o = json_object_new_object();
	char port[96];

	snprintf(port, sizeof(port), "%s/%s/%u", d->port.bus, d->port.dev,
		 d->port.index);
	json_object_object_add(
		o, "port", d->have_port ? json_object_new_string(port) : NULL);
	json_object_object_add(o, "pfnum",
			       d->have_port && d->port.have_pfnum
				       ? json_object_new_int(d->port.pfnum)
				       : NULL);
	json_object_object_add(o, "vfnum",
			       d->have_port && d->port.have_vfnum
				       ? json_object_new_int(d->port.vfnum)
				       : NULL);
	json_object_object_add(o, "representor",
			       d->have_port ? json_str_or_null(d->port.netdev)
					    : NULL);
	json_object_object_add(
		o, "icm_consumption_bytes",
		d->have_icm ? json_size(icm_pages_to_bytes(d->icm_pages))
			    : NULL);
	json_object_object_add(
		o, "fw_cur_alloc_icm_bytes",
		d->have_fw ? json_size(icm_pages_to_bytes(d->fw_pages)) : NULL);
	json_object_object_add(
		o, "agrees",
		d->agree == DLV_UNKNOWN
			? NULL
			: json_object_new_boolean(d->agree == DLV_AGREE));
	json_object_object_add(o, "reason", json_str_or_null(d->why));
	return o;
}

void report_devlink_attach(json_object *pfs, const struct host *host,
			   const struct devlink_view *view)
{
	for (size_t p = 0; p < host->npfs && p < view->npfs; p++) {
		const struct dlv_pf *d = &view->pfs[p];
		json_object *pf = json_object_array_get_idx(pfs, p);
		json_object *o = json_object_new_object(), *vfs;
		const char *why = !view->family ? view->why : d->why;

		json_object_object_add(o, "available",
				       json_object_new_boolean(!why[0]));
		json_object_object_add(
			o, "eswitch_mode",
			d->have_mode
				? json_object_new_string(
					  devlink_eswitch_mode_name(d->mode))
				: NULL);
		json_object_object_add(o, "reason", json_str_or_null(why));
		json_object_object_add(pf, "devlink", o);
		if (!json_object_object_get_ex(pf, "vfs", &vfs))
			continue;
		for (size_t v = 0; v < d->nvfs; v++) {
			json_object *vf = json_object_array_get_idx(vfs, v);

			if (!vf)
				continue;
			if (why[0]) {
				json_object *n = json_object_new_object();

				json_object_object_add(
					n, "icm_consumption_bytes", NULL);
				json_object_object_add(
					n, "reason",
					json_object_new_string(why));
				json_object_object_add(vf, "devlink", n);
			} else {
				json_object_object_add(
					vf, "devlink",
					devlink_vf_json(&d->vfs[v]));
			}
		}
	}
}

json_object *report_devlink_json(const struct devlink_view *view)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "channel", json_str_or_null(view->channel));
	json_object_object_add(o, "available",
			       json_object_new_boolean(view->family));
	json_object_object_add(
		o, "reason", view->family ? NULL : json_str_or_null(view->why));
	json_object_object_add(o, "ports", json_object_new_int(view->ports));
	json_object_object_add(o, "disagreements",
			       json_object_new_int(view->disagree));
	return o;
}

void report_devlink_table(FILE *out, const struct host *host,
			  const struct devlink_view *view)
{
	if (!view->family) {
		fprintf(out, "devlink (%s): not available: %s\n",
			view->channel ? view->channel : "-", view->why);
		return;
	}
	fprintf(out,
		"devlink (%s): %u ports; icm_consumption (vnic reporter) vs "
		"firmware cur_alloc_icm:\n",
		view->channel, view->ports);
	for (size_t p = 0; p < host->npfs && p < view->npfs; p++) {
		const struct dlv_pf *d = &view->pfs[p];
		const struct host_pf *pf = &host->pfs[p];

		if (d->why[0]) {
			fprintf(out, "  pf %s: not available: %s\n", pf->pci,
				d->why);
			continue;
		}
		fprintf(out, "  pf %s eswitch %s\n", pf->pci,
			d->have_mode ? devlink_eswitch_mode_name(d->mode)
				     : "unknown");
		if (!d->nvfs)
			continue;
		fprintf(out, "    %-13s %-22s %-18s %-10s %-10s %s\n", "VF",
			"PORT", "REPRESENTOR", "DEVLINK", "FIRMWARE", "CHECK");
		for (size_t v = 0; v < d->nvfs; v++) {
			const struct dlv_vf *dv = &d->vfs[v];
			char port[96] = "-", icm[32] = "n/a", fw[32] = "-";

			if (dv->have_port)
				snprintf(port, sizeof(port), "%s/%s/%u",
					 dv->port.bus, dv->port.dev,
					 dv->port.index);
			if (dv->have_icm)
				size_format(icm_pages_to_bytes(dv->icm_pages),
					    icm, sizeof(icm));
			if (dv->have_fw)
				size_format(icm_pages_to_bytes(dv->fw_pages),
					    fw, sizeof(fw));
			fprintf(out, "    %-13s %-22s %-18s %-10s %-10s %s\n",
				pf->vfs[v].pci, port,
				dv->have_port && dv->port.netdev[0]
					? dv->port.netdev
					: "-",
				icm, fw,
				dv->why[0] ? dv->why : agree_name(dv->agree));
		}
	}
	if (view->disagree)
		fprintf(out,
			"devlink: %u VF(s) where icm_consumption and "
			"cur_alloc_icm DISAGREE: the vhca_id mapping or the "
			"firmware read is wrong; report it with "
			"--trace-fw\n",
			view->disagree);
}

size_t report_problems(const struct run_ctx *ctx, const char *cmd,
		       const struct host *host, const struct plan *plan)
{
	size_t n = 0;
	char why[600];

	for (size_t p = 0; p < host->npfs; p++) {
		const struct host_pf *pf = &host->pfs[p];

		if (!readback_pf_unreachable(pf))
			continue;
		run_note(ctx,
			 "%s: PF %s: firmware not reachable (%s): its %zu VF%s "
			 "shown as unknown",
			 cmd, pf->pci, pf->unreachable_why, pf->nvfs,
			 pf->nvfs == 1 ? "" : "s");
		n++;
	}
	for (size_t i = 0; i < plan->nvfs; i++) {
		const struct plan_vf *pv = &plan->vfs[i];

		if (readback_pf_unreachable(pv->pf) ||
		    readback_vf(plan, pv, why, sizeof(why)) != READBACK_ERROR)
			continue;
		run_note(ctx, "%s: %s", cmd, why);
		n++;
	}
	/* The rest (a journal VM's device gone): as apply words them. */
	for (size_t i = 0; i < plan->nproblems; i++) {
		bool told = false;

		/* An unreachable PF's own line above says it for its VFs. */
		for (size_t p = 0; p < host->npfs && !told; p++)
			told = readback_pf_unreachable(&host->pfs[p]) &&
			       readback_names(plan->problems[i],
					      host->pfs[p].pci);
		for (size_t v = 0; v < plan->nvfs && !told; v++)
			told = readback_vf(plan, &plan->vfs[v], why,
					   sizeof(why)) == READBACK_ERROR &&
			       readback_names(plan->problems[i],
					      plan->vfs[v].vf->pci);
		if (told)
			continue;
		run_note(ctx, "%s: %s", cmd, plan->problems[i]);
		n++;
	}
	return n;
}
