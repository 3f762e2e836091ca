/* SPDX-License-Identifier: MIT */
/*
 * The host through devlink (devx/devlink.h): each VF's devlink port
 * (pfnum/vfnum, representor) and, where the kernel offers it (switchdev
 * mode, the port health reporter "vnic" with icm_consumption, Linux
 * 6.15+), icm_consumption beside the firmware's VHCA_ICM_CTRL
 * cur_alloc_icm read at the same moment: a cross-check that the tool
 * reads the function it means to. Whatever is missing is "not available"
 * with the reason, never an error: status and doctor show it as such.
 * Never called from the hook path.
 */
#ifndef ICMQUOTA_CORE_DEVLINK_VIEW_H
#define ICMQUOTA_CORE_DEVLINK_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/core/host.h"
#include "controller/core/run.h"
#include "devx/devlink.h"
#include "lib/err.h"

enum dlv_agree {
	DLV_UNKNOWN,  /* one side missing */
	DLV_AGREE,    /* icm_consumption == cur_alloc_icm */
	DLV_DISAGREE, /* they differed twice in a row */
};

struct dlv_vf {
	bool have_port;
	struct devlink_port port;
	bool have_icm;
	uint64_t icm_pages; /* icm_consumption, 4 KiB pages */
	bool have_fw;
	uint64_t fw_pages; /* cur_alloc_icm read right after, 4 KiB pages */
	enum dlv_agree agree;
	char why[256]; /* why no icm_consumption ("" when there is one) */
};

struct dlv_pf {
	bool have_mode;
	uint16_t mode;	    /* DEVLINK_ESWITCH_MODE_* */
	char why[256];	    /* PF-wide "not available" reason, "" if none */
	struct dlv_vf *vfs; /* as host_pf.vfs */
	size_t nvfs;
};

struct devlink_view {
	const char *channel; /* "netlink", "sim" */
	bool family;	     /* the devlink genl family answered */
	char why[512];	     /* why not, when !family */
	struct dlv_pf *pfs;  /* as host.pfs */
	size_t npfs;
	unsigned ports;	   /* ports in the dump, all devices */
	unsigned disagree; /* VFs whose values differ */
};

/*
 * The channel for this run: the simulated kernel's with --backend sim or
 * (auto) on a simulated root, the kernel's netlink otherwise. NULL with
 * --backend sim when no simulator is linked.
 */
const struct devlink_channel_ops *
devlink_view_channel(const struct run_ctx *ctx);

/*
 * Ask devlink about every PF and VF of host (firmware channels open when
 * the cross-check is wanted: pf->fw, else no firmware side). Returns
 * IQ_OK with the reasons filled whatever devlink offers; an error only
 * when out of memory.
 */
int devlink_view_read(struct host *host, const struct devlink_channel_ops *ops,
		      struct devlink_view *view, struct iq_err *err);
void devlink_view_free(struct devlink_view *view);

/* The view of one VF, NULL when the view has none. */
const struct dlv_vf *devlink_view_vf(const struct devlink_view *view,
				     const struct host *host,
				     const struct host_vf *vf);

#endif
