// SPDX-License-Identifier: MIT
#include "controller/cli/report.h"

#include <inttypes.h>
#include <string.h>

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
	/* Of vf_caps_bytes: running VMs' VFs on PFs without VHCA_ICM_CTRL,
	 * each charged its PF's total ICM (MemTotal when unknown). */
	json_object_object_add(o, "uncapped_vfs",
			       json_object_new_int((int)split->uncapped_vfs));
	json_object_object_add(o, "uncapped_vf_bytes",
			       json_size(split->uncapped_vf_bytes));
	json_object_object_add(
		o, "uncapped_vfs_at_memtotal",
		json_object_new_int((int)split->uncapped_vfs_at_memtotal));
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
	snprintf(caps, sizeof(caps), "- VF caps of running VMs");
	/* An unlimited or UNCAPPED VF's charge is said in words. */
	if (split->vf_caps_assumed_vfs || split->uncapped_vfs ||
	    split->unlimited_asked) {
		char term[768];

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

void report_scale_note(const struct plan_vf *pv, char *buf, size_t len)
{
	char policy[32], from[32];

	buf[0] = '\0';
	if (!pv->scaled && !pv->raised_from)
		return;
	size_format(pv->decision.cap_bytes, policy, sizeof(policy));
	size_format(pv->raised_from, from, sizeof(from));
	if (!pv->raised_from)
		snprintf(buf, len, "scaled from %s (host.admission: scale)",
			 policy);
	else if (pv->scaled)
		snprintf(buf, len,
			 "scaled from %s (host.admission: scale), raised "
			 "from %s (room in the split)",
			 policy, from);
	else
		snprintf(buf, len,
			 "raised from %s back to the policy's cap (room in the "
			 "split; host.admission: scale had lowered it)",
			 from);
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
		/* Below the policy's cap by host.admission: scale; raised
		 * back this run from raised_from_bytes. */
		json_object_object_add(o, "scaled",
				       json_object_new_boolean(pv->scaled));
		json_object_object_add(
			o, "raised_from_bytes",
			pv->raised_from ? json_size(pv->raised_from) : NULL);
		report_group_json(policy, plan, pv, o);
		json_object_array_add(rows, o);
	}
	return rows;
}

/*
 * A cell: text, padded with spaces to width, then the column gap; as
 * printf's "%-Ns " (never cut). A plan of 1,016 VFs printed through
 * fprintf cost a no-change apply 4 M instructions, a sixth of the run.
 */
static char *cell(char *p, const char *end, const char *text, size_t width)
{
	size_t n = strlen(text);

	if (n > (size_t)(end - p) - 1)
		n = (size_t)(end - p) - 1;
	memcpy(p, text, n);
	p += n;
	while (n++ < width && p < end - 1)
		*p++ = ' ';
	if (p < end - 1)
		*p++ = ' ';
	return p;
}

void report_plan_table(FILE *out, const struct policy *policy,
		       const struct plan *plan, bool only_scope)
{
	/* Rows in a run share a few rules: formatted once each. */
	const struct policy_decision *last = NULL;
	char rule[512] = "";

	fprintf(out, "%-13s %-13s %-6s %-16s %-10s %-10s %-11s %s\n", "VF",
		"PF", "VHCA", "VM", "DESIRED", "ACTUAL", "ACTION", "RULE");
	for (size_t i = 0; i < plan->nvfs; i++) {
		const struct plan_vf *pv = &plan->vfs[i];
		const struct policy_decision *d = &pv->decision;
		char desired[32], actual[32] = "-", vhca[16] = "-";
		char name[1024], scale[256], line[4096];
		char *p = line, *end = line + sizeof(line);

		if (only_scope && !pv->in_scope)
			continue;
		size_format(pv->desired_bytes, desired, sizeof(desired));
		if (pv->have_actual)
			size_format(
				icm_pages_to_bytes(pv->actual.max_alloc_icm_th),
				actual, sizeof(actual));
		if (pv->vf->vhca_known)
			text_append_hex(vhca, vhca + sizeof(vhca),
					pv->vf->vhca_id);
		if (!last || strcmp(last->rule, d->rule) ||
		    last->pos.line != d->pos.line ||
		    last->pos.col != d->pos.col ||
		    last->pos.file != d->pos.file) {
			report_rule(policy, d, rule, sizeof(rule));
			last = d;
		}
		report_scale_note(pv, scale, sizeof(scale));
		p = cell(p, end, pv->vf->pci, 13);
		p = cell(p, end, pv->pf->pci, 13);
		p = cell(p, end, vhca, 6);
		p = cell(p, end,
			 pv->vm ? text_shown(pv->vm->name, name, sizeof(name))
				: "(idle)",
			 16);
		p = cell(p, end, desired, 10);
		p = cell(p, end, actual, 10);
		p = cell(p, end, action_of(pv), 11);
		p = text_append(p, end, rule);
		if (d->note[0])
			p = text_append(text_append(p, end, "; "), end,
					d->note);
		if (scale[0])
			p = text_append(text_append(p, end, "; "), end, scale);
		text_append(p, end, "\n");
		fputs(line, out);
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

const char report_uncapped_pf_why[] =
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
		json_object_object_add(
			o, "note",
			json_object_new_string(report_uncapped_pf_why));
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
			"UNCAPPED", report_uncapped_pf_why);
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
