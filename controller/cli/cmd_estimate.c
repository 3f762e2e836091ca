// SPDX-License-Identifier: MIT
/*
 * icmquota estimate: from a workload (GPU buffers registered on HCAs) to
 * the firmware memory it takes, per NIC and for the host, and the VF cap
 * that holds it; or, from a cap, the most GPU memory per GPU a guest can
 * register under it. The figures come from the one calibration the
 * simulated firmware uses (controller/core/icm_model.h). No host, policy
 * or firmware is touched.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "controller/cli/cli.h"
#include "controller/cli/help.h"
#include "controller/core/icm_model.h"
#include "lib/json.h"
#include "lib/size.h"

struct estimate {
	struct icm_workload w;
	const char *pattern;
	bool by_cap;	    /* --cap given instead of --per-gpu */
	uint64_t cap_bytes; /* --cap */
	uint64_t per_gpu;   /* bytes per GPU: given, or the most under cap */
	uint64_t pages_per_mr;
	uint64_t mrs_per_nic;
	uint64_t pages_per_nic;
	uint64_t pages_host;
	uint64_t max_per_gpu; /* the most per GPU under the cap (or need) */
	/* The pattern's HCAs per buffer (ucx-max-hca=N) when more than
	 * --hcas: counted as --hcas (icm_workload_fanout), and said. */
	unsigned fanout_asked;
};

/*
 * ucx-max-hca=N is UCX's limit on the HCAs one buffer is registered on, not
 * a count: with fewer HCAs than N, UCX registers on every one there is. The
 * figures count --hcas, and the output says the pattern's N was capped.
 */
static bool fanout_capped(const struct estimate *e)
{
	return e->fanout_asked > icm_workload_fanout(&e->w);
}

static void capped_note(const struct estimate *e, char *buf, size_t len)
{
	snprintf(buf, len,
		 "pattern %s asks for %u HCAs per buffer, the host has %u "
		 "(--hcas): counted on %u (UCX registers on at most the HCAs "
		 "there are)",
		 e->pattern, e->fanout_asked, e->w.hcas,
		 icm_workload_fanout(&e->w));
}

static int parse_count(const char *arg, const char *opt, unsigned max,
		       unsigned *value, struct iq_err *err)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end || errno || v < 1 || v > max)
		return iq_fail(err, IQ_EUSAGE,
			       "estimate: %s '%s': expected a number from 1 to "
			       "%u",
			       opt, arg, max);
	*value = (unsigned)v;
	return IQ_OK;
}

static int parse_bytes(const char *arg, const char *opt, uint64_t *bytes,
		       struct iq_err *err)
{
	const char *why;

	if (!size_parse_decimal(arg, bytes, &why))
		return iq_fail(err, IQ_EUSAGE,
			       "estimate: %s '%s': %s (e.g. 40GB, 40GiB, "
			       "2TB)",
			       opt, arg, why);
	return IQ_OK;
}

/* 4 KiB pages to bytes; IQ_EUSAGE when that does not fit 64 bits. */
static int pages_bytes(uint64_t pages, uint64_t *bytes, struct iq_err *err)
{
	if (pages >= IQ_UNLIMITED / ICM_PAGE_BYTES)
		return iq_fail(err, IQ_EUSAGE,
			       "estimate: the workload needs more firmware "
			       "memory than 64 bits of bytes can say; give a "
			       "smaller --per-gpu");
	*bytes = pages * ICM_PAGE_BYTES;
	return IQ_OK;
}

static int compute(struct estimate *e, struct iq_err *err)
{
	uint64_t bytes;
	int rc;

	e->mrs_per_nic = icm_workload_mrs_per_nic(&e->w);
	if (e->by_cap) {
		e->max_per_gpu = icm_model_max_buffer_bytes(e->cap_bytes,
							    e->mrs_per_nic);
		if (e->max_per_gpu == UINT64_MAX)
			e->max_per_gpu = IQ_UNLIMITED;
		/* The figures below are those of the largest workload. */
		e->per_gpu =
			e->max_per_gpu == IQ_UNLIMITED ? 0 : e->max_per_gpu;
	}
	e->pages_per_mr = icm_model_pages_per_mr(e->per_gpu);
	e->pages_per_nic = icm_workload_pages_per_nic(&e->w, e->per_gpu);
	e->pages_host = icm_workload_pages_host(&e->w, e->per_gpu);
	rc = pages_bytes(e->pages_host, &bytes, err);
	if (rc)
		return rc;
	if (!e->by_cap)
		e->max_per_gpu = icm_model_max_buffer_bytes(
			e->pages_per_nic * ICM_PAGE_BYTES, e->mrs_per_nic);
	return IQ_OK;
}

static void print_json(struct run_ctx *ctx, const struct estimate *e)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "pattern",
			       json_object_new_string(e->pattern));
	json_object_object_add(o, "gpus", json_object_new_int((int)e->w.gpus));
	json_object_object_add(o, "hcas", json_object_new_int((int)e->w.hcas));
	json_object_object_add(
		o, "hcas_per_buffer",
		json_object_new_int((int)icm_workload_fanout(&e->w)));
	/* What the pattern asked for, and why the figure above is less. */
	json_object_object_add(
		o, "hcas_per_buffer_asked",
		e->fanout_asked ? json_object_new_int((int)e->fanout_asked)
				: NULL);
	json_object_object_add(o, "hcas_per_buffer_capped",
			       json_object_new_boolean(fanout_capped(e)));
	if (fanout_capped(e)) {
		char note[256];

		capped_note(e, note, sizeof(note));
		json_object_object_add(o, "note", json_object_new_string(note));
	}
	json_object_object_add(o, "mrs_per_hca",
			       json_object_new_int((int)e->w.mrs_per_hca));
	json_object_object_add(
		o, "buffers_per_nic",
		json_object_new_uint64(icm_workload_buffers_per_nic(&e->w)));
	json_object_object_add(o, "mrs_per_nic",
			       json_object_new_uint64(e->mrs_per_nic));
	json_object_object_add(o, "per_gpu_bytes", json_size(e->per_gpu));
	json_object_object_add(o, "cap_bytes",
			       e->by_cap ? json_size(e->cap_bytes) : NULL);
	json_object_object_add(o, "fw_pages_per_mr",
			       json_object_new_uint64(e->pages_per_mr));
	json_object_object_add(o, "fw_pages_per_nic",
			       json_object_new_uint64(e->pages_per_nic));
	json_object_object_add(o, "fw_bytes_per_nic",
			       json_size(e->pages_per_nic * ICM_PAGE_BYTES));
	json_object_object_add(o, "fw_bytes_host",
			       json_size(e->pages_host * ICM_PAGE_BYTES));
	json_object_object_add(o, "vf_cap_needed_bytes",
			       json_size(e->pages_per_nic * ICM_PAGE_BYTES));
	json_object_object_add(o, "max_registrable_per_gpu_bytes",
			       json_size(e->max_per_gpu));
	json_print(ctx->out, o);
}

static void print_table(struct run_ctx *ctx, const struct estimate *e)
{
	char per_gpu[32], per_mr[32], per_nic[32], host[32], most[32], cap[32];
	unsigned fanout = icm_workload_fanout(&e->w);

	size_format(e->per_gpu, per_gpu, sizeof(per_gpu));
	size_format(e->pages_per_mr * ICM_PAGE_BYTES, per_mr, sizeof(per_mr));
	size_format(e->pages_per_nic * ICM_PAGE_BYTES, per_nic,
		    sizeof(per_nic));
	size_format(e->pages_host * ICM_PAGE_BYTES, host, sizeof(host));
	size_format(e->max_per_gpu, most, sizeof(most));
	if (e->by_cap) {
		size_format(e->cap_bytes, cap, sizeof(cap));
		if (e->max_per_gpu == 0) {
			fprintf(ctx->out,
				"a VF cap of %s holds no registration of "
				"this workload: %llu MRs on the busiest NIC "
				"take at least %llu KiB\n",
				cap, (unsigned long long)e->mrs_per_nic,
				(unsigned long long)e->mrs_per_nic * 4);
			return;
		}
		fprintf(ctx->out,
			"a VF cap of %s lets a guest register at most %s "
			"per GPU\n",
			cap, most);
		if (e->max_per_gpu == IQ_UNLIMITED)
			return;
	}
	fprintf(ctx->out,
		"workload: %u GPUs x %s (%.1f GB), %u HCAs, pattern %s: each "
		"buffer on %u HCA(s)%s, %u MR(s) per HCA\n",
		e->w.gpus, per_gpu, (double)e->per_gpu / 1e9, e->w.hcas,
		e->pattern, fanout, fanout_capped(e) ? " (capped)" : "",
		e->w.mrs_per_hca);
	if (fanout_capped(e)) {
		char note[256];

		capped_note(e, note, sizeof(note));
		fprintf(ctx->out, "  note: %s\n", note);
	}
	fprintf(ctx->out,
		"  %llu MR(s) on the busiest NIC, %llu firmware pages (%s) "
		"per MR\n",
		(unsigned long long)e->mrs_per_nic,
		(unsigned long long)e->pages_per_mr, per_mr);
	fprintf(ctx->out, "firmware pages per NIC     %llu (%s)\n",
		(unsigned long long)e->pages_per_nic, per_nic);
	fprintf(ctx->out, "firmware memory, host      %s (%u NICs)\n", host,
		e->w.hcas);
	fprintf(ctx->out,
		"VF cap that holds it       %s (vf_cap in the policy; "
		"registrations only)\n",
		per_nic);
	if (!e->by_cap)
		fprintf(ctx->out,
			"most per GPU at that cap   %s (the firmware's "
			"tables grow in powers of two)\n",
			most);
}

int cmd_estimate(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	static const struct option opts[] = {
		{"per-gpu", required_argument, NULL, 's'},
		{"cap", required_argument, NULL, 'c'},
		{"gpus", required_argument, NULL, 'g'},
		{"hcas", required_argument, NULL, 'n'},
		{"pattern", required_argument, NULL, 'p'},
		{"hcas-per-buffer", required_argument, NULL, 'k'},
		{"mrs-per-hca", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	struct estimate e = {.w = {.gpus = 8, .hcas = 8},
			     .pattern = "nixl-try"};
	unsigned hcas_per_buffer = 0, mrs_per_hca = 0;
	bool per_gpu = false;
	int c, rc = IQ_OK;

	optind = 1;
	opterr = 0; /* our own one-line message instead */
	while (rc == IQ_OK &&
	       (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			rc = parse_bytes(optarg, "--per-gpu", &e.per_gpu, err);
			per_gpu = true;
			break;
		case 'c':
			rc = parse_bytes(optarg, "--cap", &e.cap_bytes, err);
			e.by_cap = true;
			break;
		case 'g':
			rc = parse_count(optarg, "--gpus", 1024, &e.w.gpus,
					 err);
			break;
		case 'n':
			rc = parse_count(optarg, "--hcas", 1024, &e.w.hcas,
					 err);
			break;
		case 'p':
			e.pattern = optarg;
			break;
		case 'k':
			rc = parse_count(optarg, "--hcas-per-buffer", 1024,
					 &hcas_per_buffer, err);
			break;
		case 'm':
			rc = parse_count(optarg, "--mrs-per-hca", 16,
					 &mrs_per_hca, err);
			break;
		case 'h':
			help_print_command(ctx->out, help_find("estimate"));
			return IQ_OK;
		default:
			return iq_fail(
				err, IQ_EUSAGE,
				"estimate: unknown option or missing value: "
				"'%s' (see icmquota estimate --help)",
				argv[optind - 1]);
		}
	}
	if (rc)
		return rc;
	if (optind < argc)
		return iq_fail(err, IQ_EUSAGE,
			       "estimate: unexpected argument '%s' (see "
			       "icmquota estimate --help)",
			       argv[optind]);
	if (per_gpu == e.by_cap)
		return iq_fail(err, IQ_EUSAGE,
			       "estimate: give --per-gpu SIZE (the workload's "
			       "buffer per GPU) or --cap SIZE (a VF cap), "
			       "one of them");
	if (per_gpu && (e.per_gpu == 0 || e.per_gpu == IQ_UNLIMITED))
		return iq_fail(err, IQ_EUSAGE,
			       "estimate: --per-gpu needs a size above 0, "
			       "e.g. 40GB");
	rc = icm_pattern_parse(e.pattern, &e.w, err);
	if (rc)
		return iq_err_prefix(err, "estimate");
	e.fanout_asked = e.w.hcas_per_buffer;
	if (hcas_per_buffer) {
		if (hcas_per_buffer > e.w.hcas)
			return iq_fail(err, IQ_EUSAGE,
				       "estimate: --hcas-per-buffer %u is more "
				       "than --hcas %u",
				       hcas_per_buffer, e.w.hcas);
		e.w.hcas_per_buffer = hcas_per_buffer;
		e.fanout_asked = hcas_per_buffer;
	}
	if (mrs_per_hca)
		e.w.mrs_per_hca = mrs_per_hca;
	rc = compute(&e, err);
	if (rc)
		return rc;
	if (ctx->json)
		print_json(ctx, &e);
	else
		print_table(ctx, &e);
	return IQ_OK;
}
