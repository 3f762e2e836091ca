// SPDX-License-Identifier: MIT
#include "controller/core/hwm.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "devx/fw.h"

int64_t hwm_since(const struct state *state, const char *vf_pci)
{
	/* A lookup only (binary search): the find takes no const. */
	const struct state_vf *rec =
		state ? state_find_vf((struct state *)state, vf_pci) : NULL;

	return rec ? rec->hwm_since : 0;
}

void hwm_since_text(const struct state *state, const char *vf_pci, char *buf,
		    size_t len)
{
	time_t t = (time_t)hwm_since(state, vf_pci);
	struct tm tm;

	if (!t || !gmtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "boot/unknown");
}

int hwm_reset_vf(struct state *state, struct host_pf *pf, struct host_vf *vf,
		 int64_t now, struct hwm_reset *r, struct iq_err *err)
{
	struct prm_vhca_icm_ctrl before, after;
	struct state_vf *rec, fresh;
	int rc;

	memset(r, 0, sizeof(*r));
	r->pf = pf;
	r->vf = vf;
	if (!pf->supported)
		return iq_fail(err, IQ_EREFUSED,
			       "VF %s: its PF %s has no VHCA_ICM_CTRL (%s): no "
			       "high-water mark to reset",
			       vf->pci, pf->pci, pf->unsupported_why);
	rc = host_vf_vhca(pf, vf, err);
	if (rc == IQ_OK)
		rc = fw_read_vhca_icm(pf->fw, vf->vhca_id, &before, err);
	/* The write carries the group: the one the VF is in stays. */
	if (rc == IQ_OK)
		rc = fw_reset_vhca_icm_hwm(pf->fw, vf->vhca_id,
					   before.vhca_group_id, err);
	if (rc == IQ_OK)
		rc = fw_read_vhca_icm(pf->fw, vf->vhca_id, &after, err);
	/* The batch ends, the reset holds for everyone, before it is
	 * journalled. */
	if (rc == IQ_OK)
		rc = fw_dev_flush(pf->fw, err);
	else
		fw_dev_flush(pf->fw, &(struct iq_err){0});
	if (rc)
		return iq_err_prefix(
			err, "resetting the high-water mark of VF %s", vf->pci);
	r->group_id = before.vhca_group_id;
	r->before_pages = before.max_reached_alloc_icm;
	r->after_pages = after.max_reached_alloc_icm;
	r->cur_pages = after.cur_alloc_icm;
	r->since = now;
	rec = state_find_vf(state, vf->pci);
	if (rec) {
		rec->hwm_since = now;
		return IQ_OK;
	}
	memset(&fresh, 0, sizeof(fresh));
	snprintf(fresh.pci, sizeof(fresh.pci), "%s", vf->pci);
	snprintf(fresh.pf, sizeof(fresh.pf), "%s", pf->pci);
	fresh.vhca_id = vf->vhca_id;
	fresh.cap_bytes = icm_pages_to_bytes(after.max_alloc_icm_th);
	snprintf(fresh.rule, sizeof(fresh.rule),
		 "(not programmed by icmquota)");
	fresh.time = now;
	fresh.hwm_since = now;
	return state_put_vf(state, &fresh, err);
}
