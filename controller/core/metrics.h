/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus text format (exposition format 0.0.4) of what a run
 * read: `icmquota metrics` prints it, the daemon writes it for
 * node_exporter's textfile collector. Names follow Prometheus' rules (base
 * units, `_bytes`, `_total` for counters):
 *
 *   icmquota_vf_icm_cap_bytes{pf,vf,vm}         VHCA_ICM_CTRL
 *   icmquota_vf_icm_current_bytes{pf,vf,vm}       max_alloc_icm_th,
 *   icmquota_vf_icm_high_water_bytes{pf,vf,vm}    cur_alloc_icm,
 *                                                 max_reached_alloc_icm
 *                                                 (4 KiB units x 4096);
 *                                                 vm="" for an idle VF;
 *                                                 an unlimited cap is +Inf
 *   icmquota_pf_firmware_up{pf}                 1 the PF's firmware
 *                                                 answered, 0 not
 *   icmquota_pf_vf_read_errors{pf}              VFs whose read failed
 *   icmquota_pf_icm_total_bytes{pf}             NIC_CAP_REG total_icm
 *   icmquota_pf_fw_pages{pf,type}               debugfs pages/fw_pages_*
 *                                                 (4 KiB pages; type total,
 *                                                 vfs, ec_vfs, sfs, host_pf)
 *   icmquota_host_memtotal_bytes, icmquota_host_memavailable_bytes
 *   icmquota_host_split_bytes{term}             reserve, vf_caps,
 *                                                 pf_fw_pages, vm_nonhuge,
 *                                                 hugepage_pools,
 *                                                 hugepage_surplus, committed
 *   icmquota_host_headroom_bytes                MemTotal - committed
 *   icmquota_host_memory_pressure_ratio{kind,window}       /proc/pressure/
 *   icmquota_host_memory_pressure_stall_seconds_total{kind}  memory
 *   icmquota_vms_running
 *   icmquota_admissions_refused_total, icmquota_admissions_scaled_total,
 *   icmquota_drift_repaired_total, icmquota_fw_command_errors_total,
 *   icmquota_hook_calls_total                   (counters.h)
 *
 * Never silently wrong: what is unknown (a PF without VHCA_ICM_CTRL, a PF
 * whose firmware did not answer, a VF whose read failed, a debugfs
 * counter missing, no PSI) is left out with a `#` comment saying why, or
 * NaN with a comment where the series must exist; never 0. The two
 * per-PF health gauges make a partial read visible to an alert.
 */
#ifndef ICMQUOTA_METRICS_H
#define ICMQUOTA_METRICS_H

#include <stdbool.h>
#include <stdio.h>

#include "controller/core/counters.h"
#include "controller/core/host.h"
#include "controller/core/plan.h"
#include "controller/core/split.h"

struct metrics_input {
	const struct host *host;   /* discovered, firmware probed */
	const struct plan *plan;   /* read back (and written) */
	const struct split *split; /* of the same plan */
	size_t nrunning;
	const struct counters *counters; /* NULL: unknown (why below) */
	const char *counters_why;
};

/* Write the whole exposition to out. Errors: IQ_EENV when out fails. */
int metrics_render(FILE *out, const struct metrics_input *in,
		   struct iq_err *err);

#endif
