// SPDX-License-Identifier: MIT
/* status: each PF with its VFs' read-back, as a table and as JSON. */
#include "controller/cli/report.h"

#include <inttypes.h>
#include <string.h>

#include "controller/core/hwm.h"
#include "controller/core/readback.h"
#include "lib/json.h"
#include "lib/size.h"
#include "lib/text.h"

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
				report_uncapped_pf_why);
	}
}
