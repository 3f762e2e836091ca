// SPDX-License-Identifier: MIT
/* devlink's view beside the firmware's, in status (table and JSON). */
#include "controller/cli/report.h"

#include <inttypes.h>
#include <string.h>

#include "lib/json.h"
#include "lib/size.h"
#include "lib/text.h"

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
