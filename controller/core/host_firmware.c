// SPDX-License-Identifier: MIT
/*
 * What each PF's firmware says (host.h): its own capabilities, whether it
 * has VHCA_ICM_CTRL and how much ICM (NIC_CAP_REG), each VF's vhca_id
 * (from the cache or QUERY_HCA_CAP), and the command counts of the run.
 * Discovery (host.c) found the PFs; this opens their channels.
 */
#include "controller/core/host.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devx/codec.h"
#include "devx/fw.h"
#include "devx/prm.h"
#include "lib/size.h"

/* --- firmware facts ----------------------------------------------------- */

static void mark_unsupported(struct host_pf *pf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void mark_unsupported(struct host_pf *pf, const char *fmt, ...)
{
	va_list ap;

	pf->supported = false;
	va_start(ap, fmt);
	vsnprintf(pf->unsupported_why, sizeof(pf->unsupported_why), fmt, ap);
	va_end(ap);
}

/* NIC_CAP_REG: does this firmware have VHCA_ICM_CTRL, and how much ICM. */
static int probe_icm_ctrl(struct host_pf *pf, const struct prm_hca_caps *own,
			  struct iq_err *err)
{
	struct prm_nic_cap nic_cap;
	struct iq_err nic_err = {0};

	if (!own->nic_cap_reg) {
		mark_unsupported(
			pf, "firmware does not report NIC_CAP_REG "
			    "(HCA cap nic_cap_reg = 0): per-VF ICM caps "
			    "need newer firmware; update the NIC firmware");
		return IQ_OK;
	}
	if (fw_read_nic_cap(pf->fw, &nic_cap, &nic_err) != IQ_OK) {
		uint8_t status = pf->fw->last_status;

		/* The firmware answered "no such register": old firmware. */
		if (status != PRM_STATUS_BAD_OP &&
		    status != PRM_STATUS_BAD_PARAM) {
			*err = nic_err;
			return err->code;
		}
		mark_unsupported(pf,
				 "NIC_CAP_REG read refused (%s): the firmware "
				 "lacks VHCA_ICM_CTRL; update the NIC firmware",
				 prm_status_name(status));
		return IQ_OK;
	}
	pf->total_icm_bytes = icm_pages_to_bytes(nic_cap.total_icm);
	pf->group_id_max = nic_cap.vhca_group_id_max;
	if (!nic_cap.vhca_icm_ctrl) {
		mark_unsupported(pf, "NIC_CAP_REG.vhca_icm_ctrl = 0: this "
				     "firmware cannot cap a function's ICM; "
				     "update the NIC firmware");
		return IQ_OK;
	}
	pf->supported = true;
	pf->unsupported_why[0] = '\0';
	return IQ_OK;
}

static int probe_pf_firmware(const struct host *host, struct host_pf *pf,
			     enum fw_backend backend, FILE *trace,
			     struct iq_err *err)
{
	struct fw_open_args args = {
		.root = host->root,
		.sim = host->sim_transport,
		.pf_pci = pf->pci,
		.ibdev = pf->ibdev,
		.fwctl = pf->fwctl,
	};
	struct prm_hca_caps own;
	int rc;

	/* No channel to one PF means no control at all: stop the run. */
	if (!pf->fw)
		rc = fw_open(backend, &args, trace, &pf->fw, &own,
			     pf->channel_note, sizeof(pf->channel_note), err);
	else
		rc = fw_query_own_caps(pf->fw, &own, err);
	if (rc)
		return rc;
	pf->own_vhca_id = own.vhca_id;
	return probe_icm_ctrl(pf, &own, err);
}

int host_vf_vhca(struct host_pf *pf, struct host_vf *vf, struct iq_err *err)
{
	struct prm_hca_caps caps;
	struct vhca_cache_entry learnt;
	int rc;

	if (vf->vhca_known)
		return IQ_OK;
	if (pf->vhca_cache &&
	    vhca_cache_get(pf->vhca_cache, vf->pci, pf->pci, (unsigned)pf->nvfs,
			   vf->function_id, vf->link_ino, pf->dir_ctime_ns,
			   &vf->vhca_id)) {
		vf->vhca_known = vf->vhca_cached = true;
		return IQ_OK;
	}
	if (!pf->fw)
		return iq_fail(err, IQ_EENV,
			       "%s: no firmware channel to ask VF %s's vhca_id",
			       pf->pci, vf->pci);
	rc = fw_query_function_caps(pf->fw, vf->function_id, &caps, err);
	if (rc)
		return iq_err_prefix(err, "VF %s (virtfn%u)", vf->pci,
				     vf->index);
	vf->vhca_id = caps.vhca_id;
	vf->vhca_known = true;
	vf->vhca_cached = false;
	if (!pf->vhca_cache)
		return IQ_OK;
	memset(&learnt, 0, sizeof(learnt));
	memcpy(learnt.vf, vf->pci, PCI_ADDR_LEN);
	memcpy(learnt.pf, pf->pci, PCI_ADDR_LEN);
	learnt.pf_numvfs = (unsigned)pf->nvfs;
	learnt.function_id = vf->function_id;
	learnt.link_ino = vf->link_ino;
	learnt.pf_dir_ctime_ns = pf->dir_ctime_ns;
	learnt.vhca_id = vf->vhca_id;
	return vhca_cache_put(pf->vhca_cache, &learnt, err);
}

int host_vf_vhca_refresh(struct host_pf *pf, struct host_vf *vf,
			 struct iq_err *err)
{
	if (!vf->vhca_cached)
		return IQ_OK;
	if (pf->vhca_cache)
		vhca_cache_drop(pf->vhca_cache, vf->pci);
	vf->vhca_known = vf->vhca_cached = false;
	return host_vf_vhca(pf, vf, err);
}

int host_probe_firmware(struct host *host, enum fw_backend backend, FILE *trace,
			struct iq_err *err)
{
	size_t reached = 0, tried = 0;
	struct iq_err first = {0};

	for (size_t i = 0; i < host->npfs; i++) {
		struct host_pf *pf = &host->pfs[i];
		struct iq_err pf_err = {0};
		int rc;

		if (pf->probed)
			continue; /* once per run */
		tried++;
		rc = probe_pf_firmware(host, pf, backend, trace, &pf_err);
		pf->probed = true;
		if (rc == IQ_OK) {
			reached++;
			continue;
		}
		/* One PF out of reach must not stop the others' caps. */
		if (!first.code)
			first = pf_err;
		pf->unreachable = true;
		pf->supported = false;
		snprintf(pf->unreachable_why, sizeof(pf->unreachable_why), "%s",
			 pf_err.msg);
		if (pf->fw) {
			fw_dev_close(pf->fw);
			pf->fw = NULL;
		}
	}
	if (tried && !reached) {
		struct iq_err ignored = {0};

		host_fw_flush(host, &ignored); /* read only: no loss */
		*err = first;
		return first.code ? first.code : IQ_EENV;
	}
	return host_fw_flush(host, err);
}

int host_fw_flush(struct host *host, struct iq_err *err)
{
	for (size_t i = 0; i < host->npfs; i++) {
		int rc = fw_dev_flush(host->pfs[i].fw, err);

		if (rc)
			return rc;
	}
	return IQ_OK;
}

void host_fw_counts(const struct host *host, unsigned long *cmds,
		    unsigned long *writes)
{
	*cmds = 0;
	*writes = 0;
	for (size_t i = 0; i < host->npfs; i++) {
		if (!host->pfs[i].fw)
			continue;
		*cmds += host->pfs[i].fw->n_cmds;
		*writes += host->pfs[i].fw->n_writes;
	}
}

unsigned long host_fw_retries(const struct host *host)
{
	unsigned long n = 0;

	for (size_t i = 0; i < host->npfs; i++)
		if (host->pfs[i].fw)
			n += host->pfs[i].fw->n_retries;
	return n;
}

unsigned long host_fw_errors(const struct host *host)
{
	unsigned long n = 0;

	for (size_t i = 0; i < host->npfs; i++)
		if (host->pfs[i].fw)
			n += host->pfs[i].fw->n_errors;
	return n;
}
