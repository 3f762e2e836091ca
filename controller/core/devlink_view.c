// SPDX-License-Identifier: MIT
/*
 * The devlink view of the host and the icm_consumption cross-check. One
 * port dump for all devices, one eswitch query per PF, one diagnose per VF
 * that has a port; the firmware's cur_alloc_icm is read right after each
 * diagnose, and both once more when they differ, so a guest registering
 * memory between the two reads is not reported as a disagreement.
 */
#include "controller/core/devlink_view.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/devlink.h>

#include "devx/fw.h"

const struct devlink_channel_ops *
devlink_view_channel(const struct run_ctx *ctx)
{
	const struct devlink_channel_ops *sim = ctx->sim_devlink;

	if (ctx->backend == FW_BACKEND_SIM)
		return sim;
	if (ctx->backend == FW_BACKEND_AUTO && sim && sim->present &&
	    sim->present(ctx->root ? ctx->root : ""))
		return sim;
	return &devlink_channel_netlink;
}

static void set_why(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

static const struct devlink_port *find_port(const struct devlink_port_list *l,
					    const char *pf, unsigned vf)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct devlink_port *p = &l->ports[i];

		if (!strcmp(p->bus, "pci") && !strcmp(p->dev, pf) &&
		    p->have_flavour &&
		    p->flavour == DEVLINK_PORT_FLAVOUR_PCI_VF &&
		    p->have_vfnum && p->vfnum == vf && !p->external)
			return p;
	}
	return NULL;
}

/* The firmware's cur_alloc_icm of the VF now; false when not readable. */
static bool fw_cur(struct host_pf *pf, struct host_vf *vf, uint64_t *pages)
{
	struct prm_vhca_icm_ctrl st;
	struct iq_err ignored = {0};

	bool ok;

	if (!pf->fw || !pf->supported)
		return false;
	ok = !host_vf_vhca(pf, vf, &ignored) &&
	     !fw_read_vhca_icm(pf->fw, vf->vhca_id, &st, &ignored);
	fw_dev_flush(pf->fw, &ignored); /* a read: the batch ends */
	if (!ok)
		return false;
	*pages = st.cur_alloc_icm;
	return true;
}

static void diagnose_reason(struct dlv_vf *d, const char *pf, int kerr)
{
	if (kerr == -EINVAL || kerr == -ENOENT)
		set_why(d->why, sizeof(d->why),
			"no \"vnic\" health reporter on port pci/%s/%u "
			"(representor reporters came in Linux 6.5)",
			pf, d->port.index);
	else if (kerr == -EPERM || kerr == -EACCES)
		set_why(d->why, sizeof(d->why),
			"devlink health diagnose needs CAP_NET_ADMIN: run "
			"as root");
	else
		set_why(d->why, sizeof(d->why),
			"devlink health diagnose pci/%s/%u reporter vnic: %s",
			pf, d->port.index, strerror(-kerr));
}

static void read_vf(struct devlink *dl, struct host_pf *pf, struct host_vf *vf,
		    struct dlv_vf *d)
{
	struct iq_err err = {0};
	int kerr = 0;
	bool found = false;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (devlink_vnic_icm(dl, pf->pci, d->port.index, &d->icm_pages,
				     &found, &kerr, &err)) {
			set_why(d->why, sizeof(d->why), "%s", err.msg);
			return;
		}
		if (kerr) {
			diagnose_reason(d, pf->pci, kerr);
			return;
		}
		if (!found) {
			set_why(d->why, sizeof(d->why),
				"the vnic reporter of pci/%s/%u has no "
				"icm_consumption (Linux 6.15+ with "
				"NIC_CAP_REG.vhca_icm_ctrl firmware)",
				pf->pci, d->port.index);
			return;
		}
		d->have_icm = true;
		d->have_fw = fw_cur(pf, vf, &d->fw_pages);
		if (!d->have_fw) {
			d->agree = DLV_UNKNOWN;
			return;
		}
		d->agree =
			d->fw_pages == d->icm_pages ? DLV_AGREE : DLV_DISAGREE;
		if (d->agree == DLV_AGREE)
			return;
	}
}

static void read_pf(struct devlink *dl, const struct devlink_port_list *ports,
		    struct host_pf *pf, struct dlv_pf *d)
{
	struct iq_err err = {0};
	bool legacy;
	int kerr = 0;

	if (devlink_eswitch_mode(dl, pf->pci, &d->mode, &d->have_mode, &kerr,
				 &err)) {
		set_why(d->why, sizeof(d->why), "%s", err.msg);
		return;
	}
	if (kerr == -ENODEV) {
		set_why(d->why, sizeof(d->why),
			"no devlink instance pci/%s (is mlx5_core bound to "
			"the PF?)",
			pf->pci);
		return;
	}
	legacy = d->have_mode && d->mode == DEVLINK_ESWITCH_MODE_LEGACY;
	for (size_t v = 0; v < d->nvfs; v++) {
		struct dlv_vf *dv = &d->vfs[v];
		const struct devlink_port *p =
			find_port(ports, pf->pci, pf->vfs[v].index);

		if (!p) {
			if (legacy)
				set_why(dv->why, sizeof(dv->why),
					"eswitch of pci/%s in legacy mode: "
					"VF ports and their vnic reporters "
					"exist in switchdev mode only",
					pf->pci);
			else
				set_why(dv->why, sizeof(dv->why),
					"no devlink port for VF %u of pci/%s",
					pf->vfs[v].index, pf->pci);
			continue;
		}
		dv->have_port = true;
		dv->port = *p;
		read_vf(dl, pf, &pf->vfs[v], dv);
	}
}

int devlink_view_read(struct host *host, const struct devlink_channel_ops *ops,
		      struct devlink_view *view, struct iq_err *err)
{
	struct devlink dl;
	struct devlink_port_list ports = {0};
	struct iq_err why = {0};

	memset(view, 0, sizeof(*view));
	if (!ops) {
		snprintf(view->why, sizeof(view->why),
			 "--backend sim without a simulated devlink");
		return IQ_OK;
	}
	view->channel = ops->name;
	view->pfs = calloc(host->npfs ? host->npfs : 1, sizeof(*view->pfs));
	if (!view->pfs)
		return iq_fail(err, IQ_EENV, "out of memory");
	view->npfs = host->npfs;
	for (size_t p = 0; p < host->npfs; p++) {
		view->pfs[p].nvfs = host->pfs[p].nvfs;
		view->pfs[p].vfs =
			calloc(host->pfs[p].nvfs ? host->pfs[p].nvfs : 1,
			       sizeof(struct dlv_vf));
		if (!view->pfs[p].vfs) {
			devlink_view_free(view);
			return iq_fail(err, IQ_EENV, "out of memory");
		}
	}
	if (devlink_open(ops, host->root, &dl, &why)) {
		snprintf(view->why, sizeof(view->why), "%s", why.msg);
		return IQ_OK;
	}
	view->family = true;
	if (devlink_port_dump(&dl, &ports, &why)) {
		snprintf(view->why, sizeof(view->why), "%s", why.msg);
		devlink_close(&dl);
		return IQ_OK;
	}
	view->ports = (unsigned)ports.n;
	for (size_t p = 0; p < host->npfs; p++) {
		read_pf(&dl, &ports, &host->pfs[p], &view->pfs[p]);
		for (size_t v = 0; v < view->pfs[p].nvfs; v++)
			view->disagree +=
				view->pfs[p].vfs[v].agree == DLV_DISAGREE;
	}
	devlink_port_list_free(&ports);
	devlink_close(&dl);
	return IQ_OK;
}

void devlink_view_free(struct devlink_view *view)
{
	for (size_t p = 0; view->pfs && p < view->npfs; p++)
		free(view->pfs[p].vfs);
	free(view->pfs);
	view->pfs = NULL;
	view->npfs = 0;
}

const struct dlv_vf *devlink_view_vf(const struct devlink_view *view,
				     const struct host *host,
				     const struct host_vf *vf)
{
	for (size_t p = 0; p < host->npfs && p < view->npfs; p++)
		for (size_t v = 0; v < host->pfs[p].nvfs; v++)
			if (&host->pfs[p].vfs[v] == vf)
				return v < view->pfs[p].nvfs
					       ? &view->pfs[p].vfs[v]
					       : NULL;
	return NULL;
}
