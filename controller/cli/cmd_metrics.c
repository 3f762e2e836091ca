// SPDX-License-Identifier: MIT
/*
 * icmquota metrics: the Prometheus text format of every VF's cap, current
 * and high-water ICM, the PFs' firmware pages, the memory split and the
 * counters (controller/core/metrics.h), read now; no writes, no lock.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "controller/cli/cli.h"
#include "controller/cli/help.h"
#include "controller/cli/report.h"
#include "controller/core/lifecycle.h"
#include "controller/core/metrics.h"
#include "lib/file.h"

/* Render into memory, then print or replace FILE whole. */
static int render(struct session *s, struct lifecycle_result *r,
		  const char *output, FILE *out, struct iq_err *err)
{
	struct metrics_input in = {.host = &s->host,
				   .plan = &r->plan,
				   .split = &r->split,
				   .nrunning = r->nrunning};
	struct counters c;
	struct iq_err cerr = {0};
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int rc;

	if (!mem)
		return iq_fail(err, IQ_EENV, "out of memory");
	if (counters_load(s->ctx->state_path, &c, &cerr) == IQ_OK)
		in.counters = &c;
	else
		in.counters_why = cerr.msg;
	rc = metrics_render(mem, &in, err);
	fclose(mem);
	if (rc == IQ_OK && output)
		rc = file_write_atomic(output, text, len, false, err);
	else if (rc == IQ_OK && fwrite(text, 1, len, out) != len)
		rc = iq_fail(err, IQ_EENV, "cannot write the metrics");
	free(text);
	return rc;
}

int cmd_metrics(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *output = NULL;
	struct lifecycle_result r;
	struct session s;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'h':
			help_print_command(ctx->out, help_find("metrics"));
			return IQ_OK;
		default:
			return iq_fail(err, IQ_EUSAGE,
				       "metrics: unknown option or missing "
				       "value: '%s' (see icmquota metrics "
				       "--help)",
				       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return iq_fail(err, IQ_EUSAGE,
			       "metrics: unexpected argument '%s'",
			       argv[optind]);
	if (ctx->json)
		return iq_fail(err, IQ_EUSAGE,
			       "metrics: the output is Prometheus text; for "
			       "JSON use icmquota status -j");
	rc = session_open(ctx,
			  SESSION_POLICY | SESSION_STATE | SESSION_FIRMWARE |
				  SESSION_PARTIAL,
			  &s, err);
	if (rc)
		return rc;
	/* The journal's VMs: what icmquota programmed, read back now. */
	rc = lifecycle_apply(&s, NULL, 0, LIFECYCLE_SHOW, &r, err);
	if (rc == IQ_OK)
		rc = render(&s, &r, output, ctx->out, err);
	/* Written all the same (the unknown left out, up = 0): then exit 3.
	 * An overcommit is one too (a warning under host.admission: warn). */
	if (rc == IQ_OK) {
		size_t n = report_problems(ctx, "metrics", &s.host, &r.plan);
		size_t over = report_overcommit_host(ctx, "metrics", &s.policy,
						     &r.split);

		if (n + over)
			rc = iq_fail(
				err, IQ_EENV,
				"metrics: %zu problem%s above; %s is there",
				n + over, n + over == 1 ? "" : "s",
				n ? "every other series" : "every series");
	}
	lifecycle_result_free(&r);
	session_close(&s);
	return rc;
}
