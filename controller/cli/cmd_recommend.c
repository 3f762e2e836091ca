// SPDX-License-Identifier: MIT
/*
 * icmquota recommend: per class, a vf_cap from observed high-water marks
 * (the history file when it has samples, else the marks the firmware
 * holds now), with the percentile, the sample count, the age of the data
 * and the effect on headroom; --write puts it in the tool's drop-in
 * through `policy set`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/cli/cli.h"
#include "controller/cli/help.h"
#include "controller/core/history.h"
#include "controller/core/hwm.h"
#include "controller/core/lifecycle.h"
#include "lib/json.h"
#include "lib/size.h"

/* Caps are rounded up to this: a cap is a budget, not a measurement. */
#define ROUND_BYTES (64ULL << 20)

/* One VF's peak for one VM (over all its samples). */
struct peak {
	char vf[PCI_ADDR_LEN];
	char vm[256];
	char class_name[128];
	uint64_t bytes;
	int64_t oldest; /* unix seconds the data goes back to, 0 unknown */
};

struct rec_class {
	char name[128]; /* "" = defaults.vf_cap */
	uint64_t *values;
	size_t n;
	int64_t oldest;
	bool age_unknown;
	uint64_t percentile_bytes;
	uint64_t recommended;
	uint64_t cap_now;
	unsigned running_vfs; /* VFs of running VMs the cap applies to */
	int64_t headroom_change;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least p% of values <= it. */
static uint64_t percentile(uint64_t *v, size_t n, double p)
{
	size_t rank;

	qsort(v, n, sizeof(*v), cmp_u64);
	rank = (size_t)(p / 100.0 * (double)n);
	if ((double)rank < p / 100.0 * (double)n)
		rank++;
	if (rank > n)
		rank = n;
	return v[rank ? rank - 1 : 0];
}

static int add_peak(struct peak **peaks, size_t *n, const char *vf,
		    const char *vm, const char *cls, uint64_t bytes,
		    int64_t time_or_since, struct iq_err *err)
{
	struct peak *grown;

	for (size_t i = 0; i < *n; i++) {
		struct peak *p = &(*peaks)[i];

		if (strcmp(p->vf, vf) || strcmp(p->vm, vm))
			continue;
		if (bytes > p->bytes)
			p->bytes = bytes;
		if (time_or_since && (!p->oldest || time_or_since < p->oldest))
			p->oldest = time_or_since;
		return IQ_OK;
	}
	grown = realloc(*peaks, (*n + 1) * sizeof(*grown));
	if (!grown)
		return iq_fail(err, IQ_EENV, "out of memory");
	*peaks = grown;
	memset(&grown[*n], 0, sizeof(*grown));
	snprintf(grown[*n].vf, sizeof(grown->vf), "%s", vf);
	snprintf(grown[*n].vm, sizeof(grown->vm), "%s", vm);
	snprintf(grown[*n].class_name, sizeof(grown->class_name), "%s", cls);
	grown[*n].bytes = bytes;
	grown[*n].oldest = time_or_since;
	(*n)++;
	return IQ_OK;
}

/* The class a VF's cap comes from: "gpu", "" for defaults, NULL other. */
static const char *cap_class(const struct plan_vf *pv)
{
	if (pv->decision.source == POLICY_FROM_CLASS)
		return pv->decision.rule + strlen("class ");
	if (pv->decision.source == POLICY_FROM_DEFAULT)
		return "";
	return NULL;
}

static struct rec_class *class_slot(struct rec_class **cls, size_t *n,
				    const char *name)
{
	struct rec_class *grown;

	for (size_t i = 0; i < *n; i++)
		if (strcmp((*cls)[i].name, name) == 0)
			return &(*cls)[i];
	grown = realloc(*cls, (*n + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	*cls = grown;
	memset(&grown[*n], 0, sizeof(*grown));
	snprintf(grown[*n].name, sizeof(grown->name), "%s", name);
	return &grown[(*n)++];
}

/* `policy set` for one class, its output kept for the report. */
static int write_cap(struct run_ctx *ctx, const struct rec_class *c,
		     char **out_text, struct iq_err *err)
{
	char value[32], name[128];
	char *argv[7];
	int argc = 0, rc;
	FILE *saved = ctx->out, *mem;
	size_t len = 0;

	policy_size_exact(c->recommended, value, sizeof(value));
	snprintf(name, sizeof(name), "%s", c->name);
	argv[argc++] = "policy";
	argv[argc++] = "set";
	if (c->name[0]) {
		argv[argc++] = "--class";
		argv[argc++] = name;
	} else {
		argv[argc++] = "--defaults";
	}
	argv[argc++] = "vf_cap";
	argv[argc++] = value;
	argv[argc] = NULL;
	mem = open_memstream(out_text, &len);
	if (!mem)
		return iq_fail(err, IQ_EENV, "out of memory");
	ctx->out = mem;
	rc = cmd_policy(ctx, argc, argv, err);
	ctx->out = saved;
	fclose(mem);
	return rc;
}

static void age_text(const struct rec_class *c, int64_t now, char *buf,
		     size_t len)
{
	int64_t s = now - c->oldest;

	if (c->age_unknown || !c->oldest)
		snprintf(buf, len, "since boot/unknown");
	else if (s >= 86400)
		snprintf(buf, len, "%.1fd", (double)s / 86400.0);
	else if (s >= 3600)
		snprintf(buf, len, "%.1fh", (double)s / 3600.0);
	else
		snprintf(buf, len, "%llds", (long long)s);
}

int cmd_recommend(struct run_ctx *ctx, int argc, char **argv,
		  struct iq_err *err)
{
	static const struct option opts[] = {
		{"percentile", required_argument, NULL, 'p'},
		{"margin", required_argument, NULL, 'm'},
		{"write", no_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	double pct = 99.0, margin = 20.0;
	bool do_write = false;
	char hpath[4096], *end;
	struct history_sample *hist = NULL;
	size_t nhist = 0, npeaks = 0, ncls = 0;
	struct peak *peaks = NULL;
	struct rec_class *cls = NULL;
	struct session s;
	struct lifecycle_result r;
	int64_t now = (int64_t)time(NULL);
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pct = strtod(optarg, &end);
			if (*end || end == optarg || !(pct > 0 && pct <= 100))
				return iq_fail(err, IQ_EUSAGE,
					       "recommend: --percentile takes "
					       "a number in (0, 100], not '%s'",
					       optarg);
			break;
		case 'm':
			margin = strtod(optarg, &end);
			if (*end || end == optarg ||
			    !(margin >= 0 && margin <= 1000))
				return iq_fail(err, IQ_EUSAGE,
					       "recommend: --margin takes a "
					       "percentage 0..1000, not '%s'",
					       optarg);
			break;
		case 'w':
			do_write = true;
			break;
		case 'h':
			help_print_command(ctx->out, help_find("recommend"));
			return IQ_OK;
		default:
			return iq_fail(err, IQ_EUSAGE,
				       "recommend: unknown option or missing "
				       "value: '%s' (see icmquota recommend "
				       "--help)",
				       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return iq_fail(err, IQ_EUSAGE,
			       "recommend: unexpected argument '%s'",
			       argv[optind]);
	rc = history_load(history_path(ctx->state_path, hpath, sizeof(hpath)),
			  &hist, &nhist, err);
	if (rc)
		return rc;
	rc = session_open(ctx,
			  SESSION_POLICY | SESSION_STATE | SESSION_FIRMWARE, &s,
			  err);
	if (rc) {
		free(hist);
		return rc;
	}
	rc = lifecycle_apply(&s, NULL, 0, LIFECYCLE_SHOW, &r, err);
	if (rc) {
		session_close(&s);
		free(hist);
		return rc;
	}
	/* The data: the history's samples, else the marks now. */
	for (size_t i = 0; rc == IQ_OK && i < nhist; i++)
		rc = add_peak(&peaks, &npeaks, hist[i].vf, hist[i].vm,
			      hist[i].class_name, hist[i].max_reached_bytes,
			      hist[i].time, err);
	for (size_t i = 0; rc == IQ_OK && !nhist && i < r.plan.nvfs; i++) {
		const struct plan_vf *pv = &r.plan.vfs[i];
		const char *cn = cap_class(pv);

		if (!pv->vm || !pv->have_actual || !cn)
			continue;
		rc = add_peak(
			&peaks, &npeaks, pv->vf->pci, pv->vm->name, cn,
			icm_pages_to_bytes(pv->actual.max_reached_alloc_icm),
			hwm_since(&s.state, pv->vf->pci), err);
	}
	/* Per class: the values, the percentile, the cap. */
	for (size_t i = 0; rc == IQ_OK && i < npeaks; i++) {
		struct rec_class *k =
			class_slot(&cls, &ncls, peaks[i].class_name);
		uint64_t *grown;

		if (!k) {
			rc = iq_fail(err, IQ_EENV, "out of memory");
			break;
		}
		grown = realloc(k->values, (k->n + 1) * sizeof(*grown));
		if (!grown) {
			rc = iq_fail(err, IQ_EENV, "out of memory");
			break;
		}
		k->values = grown;
		k->values[k->n++] = peaks[i].bytes;
		if (!peaks[i].oldest)
			k->age_unknown = true;
		else if (!k->oldest || peaks[i].oldest < k->oldest)
			k->oldest = peaks[i].oldest;
	}
	for (size_t i = 0; rc == IQ_OK && i < ncls; i++) {
		struct rec_class *k = &cls[i];
		double want;
		struct policy_decision d;
		struct policy_vm view = {
			.name = "", .uuid = "", .class_name = k->name};

		k->percentile_bytes = percentile(k->values, k->n, pct);
		want = (double)k->percentile_bytes * (1.0 + margin / 100.0);
		k->recommended = (uint64_t)want;
		if ((double)k->recommended < want)
			k->recommended++;
		k->recommended = (k->recommended + ROUND_BYTES - 1) /
				 ROUND_BYTES * ROUND_BYTES;
		if (!k->recommended)
			k->recommended = ROUND_BYTES;
		/* What the class gives now (a VM naming it, no rule). */
		policy_vf_cap(&s.policy, &view, NULL, &d);
		k->cap_now = d.cap_bytes;
		for (size_t v = 0; v < r.plan.nvfs; v++) {
			const struct plan_vf *pv = &r.plan.vfs[v];
			const char *cn = cap_class(pv);
			uint64_t charge;

			if (!pv->vm || !cn || strcmp(cn, k->name))
				continue;
			k->running_vfs++;
			charge = plan_vf_cap_charge(pv, s.host.mem.mem_total);
			k->headroom_change +=
				(int64_t)charge - (int64_t)k->recommended;
		}
	}
	if (rc == IQ_OK && ctx->json) {
		json_object *o = json_object_new_object();
		json_object *arr = json_object_new_array();

		json_object_object_add(
			o, "source",
			json_object_new_string(nhist ? "history"
						     : "marks_now"));
		json_object_object_add(o, "history_file",
				       json_object_new_string(hpath));
		json_object_object_add(o, "percentile",
				       json_object_new_double(pct));
		json_object_object_add(o, "margin_percent",
				       json_object_new_double(margin));
		for (size_t i = 0; i < ncls; i++) {
			struct rec_class *k = &cls[i];
			json_object *j = json_object_new_object();
			char *wout = NULL;

			json_object_object_add(
				j, "class",
				k->name[0] ? json_object_new_string(k->name)
					   : NULL);
			json_object_object_add(
				j, "key",
				json_object_new_string(k->name[0] ? "vf_cap"
								  : "defaults."
								    "vf_cap"));
			json_object_object_add(j, "samples",
					       json_object_new_uint64(k->n));
			json_object_object_add(j, "percentile_bytes",
					       json_size(k->percentile_bytes));
			json_object_object_add(j, "recommended_cap_bytes",
					       json_size(k->recommended));
			json_object_object_add(j, "cap_now_bytes",
					       json_size(k->cap_now));
			json_object_object_add(
				j, "oldest_sample",
				k->oldest && !k->age_unknown
					? json_object_new_int64(k->oldest)
					: NULL);
			json_object_object_add(
				j, "age_seconds",
				k->oldest && !k->age_unknown
					? json_object_new_int64(now - k->oldest)
					: NULL);
			json_object_object_add(
				j, "running_vfs",
				json_object_new_uint64(k->running_vfs));
			json_object_object_add(
				j, "headroom_change_bytes",
				json_bytes_signed(k->headroom_change));
			if (do_write && rc == IQ_OK) {
				rc = write_cap(ctx, k, &wout, err);
				json_object_object_add(
					j, "written",
					json_object_new_boolean(rc == IQ_OK));
			}
			free(wout);
			json_object_array_add(arr, j);
		}
		json_object_object_add(o, "classes", arr);
		json_object_object_add(o, "headroom_now_bytes",
				       json_bytes_signed(r.split.headroom));
		if (rc == IQ_OK)
			json_print(ctx->out, o);
		else
			json_object_put(o);
	} else if (rc == IQ_OK) {
		fprintf(ctx->out,
			"data: %s; percentile p%g, margin %g%%, rounded up to "
			"64MiB\n",
			nhist ? "history"
			      : "the high-water marks now (no "
				"history yet)",
			pct, margin);
		fprintf(ctx->out, "%-16s %-7s %-10s %-10s %-11s %-22s %s\n",
			"CLASS", "SAMPLES", "P", "CAP NOW", "RECOMMENDED",
			"DATA AGE", "HEADROOM CHANGE");
		for (size_t i = 0; i < ncls; i++) {
			struct rec_class *k = &cls[i];
			char p[32], now_h[32], rec[32], age[64], hd[32];

			size_format(k->percentile_bytes, p, sizeof(p));
			size_format(k->cap_now, now_h, sizeof(now_h));
			size_format(k->recommended, rec, sizeof(rec));
			age_text(k, now, age, sizeof(age));
			size_format_signed(k->headroom_change, hd, sizeof(hd));
			fprintf(ctx->out,
				"%-16s %-7zu %-10s %-10s %-11s %-22s %s%s (%u "
				"running VF%s)\n",
				k->name[0] ? k->name : "(defaults)", k->n, p,
				now_h, rec, age,
				k->headroom_change > 0 ? "+" : "", hd,
				k->running_vfs, k->running_vfs == 1 ? "" : "s");
		}
		if (!ncls)
			fprintf(ctx->out,
				"no samples: no running VM's VF has a cap from "
				"a class or defaults.vf_cap, and %s is empty\n",
				hpath);
		for (size_t i = 0; do_write && rc == IQ_OK && i < ncls; i++) {
			char *wout = NULL;

			rc = write_cap(ctx, &cls[i], &wout, err);
			if (wout)
				fputs(wout, ctx->out);
			free(wout);
		}
	}
	for (size_t i = 0; i < ncls; i++)
		free(cls[i].values);
	free(cls);
	free(peaks);
	free(hist);
	lifecycle_result_free(&r);
	session_close(&s);
	return rc;
}
