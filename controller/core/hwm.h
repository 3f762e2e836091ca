/* SPDX-License-Identifier: MIT */
/*
 * High-water marks (VHCA_ICM_CTRL max_reached_alloc_icm): reset them, and
 * say since when each has been collected (journalled reset time).
 */
#ifndef ICMQUOTA_HWM_H
#define ICMQUOTA_HWM_H

#include <stdint.h>

#include "controller/core/host.h"
#include "controller/core/state.h"
#include "lib/err.h"

struct hwm_reset {
	struct host_pf *pf;
	struct host_vf *vf;
	uint16_t group_id;     /* kept as it was */
	uint32_t before_pages; /* max_reached_alloc_icm before, 4 KiB */
	uint32_t after_pages;  /* read back after the reset */
	uint32_t cur_pages;    /* cur_alloc_icm */
	int64_t since;	       /* journalled reset time, unix seconds */
};

/*
 * Reset one VF's high-water mark: read VHCA_ICM_CTRL (for its group),
 * write it with rst_max_reached_alloc_icm and no cap mask (cap and group
 * unchanged), read back, and journal the time (state->vfs[].hwm_since;
 * the caller saves the journal). Errors: IQ_EREFUSED for a PF without
 * VHCA_ICM_CTRL (naming it and why), IQ_EENV from the firmware.
 */
int hwm_reset_vf(struct state *state, struct host_pf *pf, struct host_vf *vf,
		 int64_t now, struct hwm_reset *r, struct iq_err *err);

/*
 * Since when vf's mark counts, for people: "2026-11-30 06:45:12 UTC" after
 * a reset icmquota journalled, else "boot/unknown" (the firmware keeps
 * the mark from device start; icmquota cannot know when that was).
 */
void hwm_since_text(const struct state *state, const char *vf_pci, char *buf,
		    size_t len);
/* The journalled reset time, 0 when none. */
int64_t hwm_since(const struct state *state, const char *vf_pci);

#endif
