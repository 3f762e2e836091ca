// SPDX-License-Identifier: MIT
#include "controller/core/metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "controller/core/readback.h"
#include "lib/file.h"
#include "lib/size.h"

/* A label value, escaped as the text format wants (\\, \", \n). */
static void label(FILE *out, const char *name, const char *value, bool first)
{
	fprintf(out, "%s%s=\"", first ? "" : ",", name);
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			fprintf(out, "\\%c", *value);
		else if (*value == '\n')
			fputs("\\n", out);
		else
			fputc(*value, out);
	}
	fputc('"', out);
}

/* A "# ..." line; text from outside (an error) stays on it. */
static void __attribute__((format(printf, 2, 3)))
comment(FILE *out, const char *fmt, ...)
{
	char line[1400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (char *c = line; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	fprintf(out, "# %s\n", line);
}

static void family(FILE *out, const char *name, const char *type,
		   const char *help)
{
	fprintf(out, "# HELP icmquota_%s %s\n# TYPE icmquota_%s %s\n", name,
		help, name, type);
}

static void pages_value(FILE *out, uint32_t pages)
{
	if (pages == PRM_ICM_UNLIMITED)
		fputs(" +Inf\n", out);
	else
		fprintf(out, " %" PRIu64 "\n",
			(uint64_t)((uint64_t)pages * ICM_PAGE_BYTES));
}

static void vf_series(FILE *out, const struct plan *plan, const char *name,
		      int which)
{
	for (size_t i = 0; i < plan->nvfs; i++) {
		const struct plan_vf *pv = &plan->vfs[i];
		uint32_t pages;

		if (!pv->have_actual)
			continue;
		pages = which == 0   ? pv->actual.max_alloc_icm_th
			: which == 1 ? pv->actual.cur_alloc_icm
				     : pv->actual.max_reached_alloc_icm;
		fprintf(out, "icmquota_%s{", name);
		label(out, "pf", pv->pf->pci, true);
		label(out, "vf", pv->vf->pci, false);
		label(out, "vm", pv->vm ? pv->vm->name : "", false);
		fputc('}', out);
		pages_value(out, pages);
	}
}

static void vf_metrics(FILE *out, const struct metrics_input *in)
{
	const struct host *host = in->host;

	char why[600];

	for (size_t p = 0; p < host->npfs; p++) {
		const struct host_pf *pf = &host->pfs[p];

		if (readback_pf_unreachable(pf) && pf->nvfs)
			comment(out,
				"PF %s: firmware not reachable (%s): its %zu "
				"VFs' cap, current and high-water ICM are "
				"unknown",
				pf->pci, pf->unreachable_why, pf->nvfs);
		else if (!pf->supported && pf->nvfs)
			comment(out,
				"PF %s: no VHCA_ICM_CTRL (%s): its %zu VFs' "
				"cap, current and high-water ICM are unknown",
				pf->pci,
				pf->unsupported_why[0] ? pf->unsupported_why
						       : "not supported",
				pf->nvfs);
	}
	/* A read that failed on a PF that answered. */
	for (size_t i = 0; i < in->plan->nvfs; i++) {
		const struct plan_vf *pv = &in->plan->vfs[i];

		if (!readback_pf_unreachable(pv->pf) &&
		    readback_vf(in->plan, pv, why, sizeof(why)) ==
			    READBACK_ERROR)
			comment(out,
				"VF %s: cap, current and high-water ICM "
				"unknown: %s",
				pv->vf->pci, why);
	}
	family(out, "vf_icm_cap_bytes", "gauge",
	       "ICM the firmware lets the VF take (VHCA_ICM_CTRL "
	       "max_alloc_icm_th); +Inf when unlimited; vm is empty for an "
	       "idle VF");
	vf_series(out, in->plan, "vf_icm_cap_bytes", 0);
	family(out, "vf_icm_current_bytes", "gauge",
	       "ICM the VF holds now (VHCA_ICM_CTRL cur_alloc_icm)");
	vf_series(out, in->plan, "vf_icm_current_bytes", 1);
	family(out, "vf_icm_high_water_bytes", "gauge",
	       "Most ICM the VF held since the last reset "
	       "(VHCA_ICM_CTRL max_reached_alloc_icm)");
	vf_series(out, in->plan, "vf_icm_high_water_bytes", 2);
}

/*
 * Per PF: did its firmware answer, and how many of its VFs could not be
 * read: what an alert needs, since the series of an unknown VF are left
 * out rather than exported as 0.
 */
static void pf_health(FILE *out, const struct metrics_input *in)
{
	const struct host *host = in->host;

	family(out, "pf_firmware_up", "gauge",
	       "1 when the PF's firmware channel opened and answered this "
	       "read, 0 when not (its VFs' series are left out; a # comment "
	       "says why)");
	for (size_t p = 0; p < host->npfs; p++) {
		if (!host->pfs[p].probed)
			continue;
		fputs("icmquota_pf_firmware_up{", out);
		label(out, "pf", host->pfs[p].pci, true);
		fprintf(out, "} %d\n", host->pfs[p].unreachable ? 0 : 1);
	}
	family(out, "pf_vf_read_errors", "gauge",
	       "VFs of the PF whose VHCA_ICM_CTRL could not be read this time "
	       "(their series are left out)");
	for (size_t p = 0; p < host->npfs; p++) {
		if (!host->pfs[p].probed)
			continue;
		fputs("icmquota_pf_vf_read_errors{", out);
		label(out, "pf", host->pfs[p].pci, true);
		fprintf(out, "} %zu\n",
			readback_pf_errors(in->plan, &host->pfs[p]));
	}
}

static void pf_metrics(FILE *out, const struct host *host)
{
	static const char *const types[] = {"total", "vfs", "ec_vfs", "sfs",
					    "host_pf"};

	family(out, "pf_icm_total_bytes", "gauge",
	       "ICM the PF's firmware can hand out in all (NIC_CAP_REG "
	       "total_icm)");
	for (size_t p = 0; p < host->npfs; p++) {
		const struct host_pf *pf = &host->pfs[p];

		if (!pf->supported)
			continue;
		fputs("icmquota_pf_icm_total_bytes{", out);
		label(out, "pf", pf->pci, true);
		if (pf->total_icm_bytes == IQ_UNLIMITED)
			fputs("} +Inf\n", out);
		else
			fprintf(out, "} %" PRIu64 "\n", pf->total_icm_bytes);
	}
	for (size_t p = 0; p < host->npfs; p++) {
		const struct host_fw_pages *fp = &host->pfs[p].fw_pages;
		const int64_t v[] = {fp->total, fp->vfs, fp->ec_vfs, fp->sfs,
				     fp->host_pf};
		char missing[128] = "";
		size_t n = 0;

		for (size_t t = 0; t < 5; t++)
			if (v[t] < 0)
				n += (size_t)snprintf(
					missing + n, sizeof(missing) - n,
					"%s%s", n ? ", " : "", types[t]);
		if (n)
			fprintf(out,
				"# PF %s: debugfs mlx5/%s/pages/fw_pages_{%s} "
				"not readable: unknown\n",
				host->pfs[p].pci, host->pfs[p].pci, missing);
	}
	family(out, "pf_fw_pages", "gauge",
	       "4 KiB pages the PF's driver gave its firmware (debugfs "
	       "pages/fw_pages_TYPE)");
	for (size_t p = 0; p < host->npfs; p++) {
		const struct host_fw_pages *fp = &host->pfs[p].fw_pages;
		const int64_t v[] = {fp->total, fp->vfs, fp->ec_vfs, fp->sfs,
				     fp->host_pf};

		for (size_t t = 0; t < 5; t++) {
			if (v[t] < 0)
				continue;
			fputs("icmquota_pf_fw_pages{", out);
			label(out, "pf", host->pfs[p].pci, true);
			label(out, "type", types[t], false);
			fprintf(out, "} %" PRId64 "\n", v[t]);
		}
	}
}

static bool pf_pages_known(const struct host *host)
{
	for (size_t p = 0; p < host->npfs; p++)
		if (host->pfs[p].fw_pages.total < 0 ||
		    host->pfs[p].fw_pages.vfs < 0)
			return false;
	return true;
}

static void split_metrics(FILE *out, const struct metrics_input *in)
{
	const struct split *sp = in->split;
	bool pf_known = pf_pages_known(in->host);
	const struct {
		const char *term;
		uint64_t bytes;
	} terms[] = {
		{"reserve", sp->reserve},
		{"vf_caps", sp->vf_caps},
		{"pf_fw_pages", sp->pf_fw_pages},
		{"idle_vf_held", sp->idle_vf_held},
		{"vm_nonhuge", sp->vm_nonhuge},
		{"hugepage_pools", sp->hugepage_pools},
		{"hugepage_surplus", sp->hugepage_surplus},
		{"committed", sp->committed},
	};

	family(out, "host_memtotal_bytes", "gauge", "MemTotal (/proc/meminfo)");
	fprintf(out, "icmquota_host_memtotal_bytes %" PRIu64 "\n",
		sp->mem_total);
	family(out, "host_memavailable_bytes", "gauge",
	       "MemAvailable (/proc/meminfo)");
	fprintf(out, "icmquota_host_memavailable_bytes %" PRIu64 "\n",
		sp->mem_available);
	if (!pf_known)
		fputs("# the PFs' own firmware pages are unknown (debugfs): "
		      "pf_fw_pages is NaN, and committed and the headroom "
		      "count them as 0\n",
		      out);
	if (sp->idle_vf_unknown)
		fputs("# what some idle VFs hold is unknown: idle_vf_held is "
		      "NaN, and committed and the headroom count them as 0\n",
		      out);
	family(out, "host_split_bytes", "gauge",
	       "Terms of the memory split: committed = reserve + vf_caps + "
	       "pf_fw_pages + idle_vf_held + vm_nonhuge + hugepage_pools + "
	       "hugepage_surplus");
	for (size_t i = 0; i < sizeof(terms) / sizeof(terms[0]); i++) {
		fputs("icmquota_host_split_bytes{", out);
		label(out, "term", terms[i].term, true);
		if ((!pf_known && !strcmp(terms[i].term, "pf_fw_pages")) ||
		    (sp->idle_vf_unknown &&
		     !strcmp(terms[i].term, "idle_vf_held")))
			fputs("} NaN\n", out);
		else
			fprintf(out, "} %" PRIu64 "\n", terms[i].bytes);
	}
	family(out, "host_headroom_bytes", "gauge",
	       "MemTotal - committed: must stay >= 0 to admit a VM");
	fprintf(out, "icmquota_host_headroom_bytes %" PRId64 "\n",
		sp->headroom);
	family(out, "vms_running", "gauge",
	       "VMs in the memory split (the journal's, or what the sources "
	       "listed)");
	fprintf(out, "icmquota_vms_running %zu\n", in->nrunning);
}

/* /proc/pressure/memory: "some avg10=0.00 avg60=0.00 avg300=0.00 total=0". */
static void pressure_metrics(FILE *out, const char *root)
{
	char path[4096], *text = NULL;
	struct iq_err err = {0};
	struct {
		char kind[8];
		double avg[3];
		unsigned long long total;
	} rows[2];
	int n = 0;

	if (path_join(path, sizeof(path), root, "/proc/pressure/memory") ||
	    file_read_all(path, &text, NULL, &err)) {
		fprintf(out,
			"# /proc/pressure/memory not readable (a kernel "
			"without PSI, or psi=0): memory pressure unknown\n");
		return;
	}
	for (char *line = text; line && *line && n < 2;) {
		char *next = strchr(line, '\n');

		if (next)
			*next++ = '\0';
		if (sscanf(line,
			   "%7s avg10=%lf avg60=%lf avg300=%lf total=%llu",
			   rows[n].kind, &rows[n].avg[0], &rows[n].avg[1],
			   &rows[n].avg[2], &rows[n].total) == 5)
			n++;
		line = next;
	}
	free(text);
	if (n == 0) {
		fprintf(out,
			"# %s: unexpected format: memory pressure "
			"unknown\n",
			path);
		return;
	}
	family(out, "host_memory_pressure_ratio", "gauge",
	       "Share of time tasks stalled on memory, averaged over window "
	       "(/proc/pressure/memory avgN / 100)");
	for (int i = 0; i < n; i++) {
		static const char *const windows[] = {"10s", "60s", "300s"};

		for (int w = 0; w < 3; w++) {
			fputs("icmquota_host_memory_pressure_ratio{", out);
			label(out, "kind", rows[i].kind, true);
			label(out, "window", windows[w], false);
			fprintf(out, "} %.4f\n", rows[i].avg[w] / 100.0);
		}
	}
	family(out, "host_memory_pressure_stall_seconds_total", "counter",
	       "Time tasks stalled on memory since boot "
	       "(/proc/pressure/memory total)");
	for (int i = 0; i < n; i++) {
		fputs("icmquota_host_memory_pressure_stall_seconds_total{",
		      out);
		label(out, "kind", rows[i].kind, true);
		fprintf(out, "} %.6f\n", (double)rows[i].total / 1e6);
	}
}

static void counter_metrics(FILE *out, const struct metrics_input *in)
{
	if (!in->counters) {
		fprintf(out, "# counters unknown: %s\n",
			in->counters_why ? in->counters_why : "not read");
		return;
	}
	for (int i = 0; i < CNT_N; i++) {
		family(out, counter_name((enum counter_id)i), "counter",
		       counter_help((enum counter_id)i));
		fprintf(out, "icmquota_%s %" PRIu64 "\n",
			counter_name((enum counter_id)i), in->counters->v[i]);
	}
}

int metrics_render(FILE *out, const struct metrics_input *in,
		   struct iq_err *err)
{
	vf_metrics(out, in);
	pf_health(out, in);
	pf_metrics(out, in->host);
	split_metrics(out, in);
	pressure_metrics(out, in->host->root);
	counter_metrics(out, in);
	if (fflush(out) || ferror(out))
		return iq_fail(err, IQ_EENV, "writing the metrics: %s",
			       strerror(errno));
	return IQ_OK;
}
