// SPDX-License-Identifier: MIT
/* icmquota doctor: one line per check of controller/core/doctor.c. */
#include <getopt.h>
#include <string.h>

#include "controller/cli/cli.h"
#include "controller/cli/help.h"
#include "controller/core/doctor.h"
#include "lib/json.h"

static const char *label(enum doctor_status status)
{
	static const char *const labels[] = {"ok", "WARN", "FAIL", "unknown"};

	return labels[status];
}

int cmd_doctor(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	static const struct option opts[] = {{"strict", no_argument, NULL, 's'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct doctor_report r;
	bool strict = false;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 's') {
			strict = true;
			continue;
		}
		if (c == 'h') {
			help_print_command(ctx->out, help_find("doctor"));
			return IQ_OK;
		}
		return iq_fail(err, IQ_EUSAGE,
			       "doctor: unknown option '%s' (see icmquota "
			       "doctor --help)",
			       argv[optind - 1]);
	}
	if (optind < argc)
		return iq_fail(err, IQ_EUSAGE,
			       "doctor: unexpected argument '%s'",
			       argv[optind]);
	rc = doctor_run(ctx, &r, err);
	if (rc)
		return rc;
	if (ctx->json) {
		json_object *o = json_object_new_object();
		json_object *checks = json_object_new_array();

		for (size_t i = 0; i < r.n; i++) {
			json_object *k = json_object_new_object();

			json_object_object_add(
				k, "name",
				json_object_new_string(r.checks[i].name));
			json_object_object_add(
				k, "status",
				json_object_new_string(doctor_status_name(
					r.checks[i].status)));
			json_object_object_add(
				k, "detail",
				json_object_new_string(r.checks[i].detail));
			json_object_array_add(checks, k);
		}
		json_object_object_add(o, "checks", checks);
		for (int s = DOCTOR_OK; s <= DOCTOR_UNKNOWN; s++)
			json_object_object_add(
				o, doctor_status_name((enum doctor_status)s),
				json_object_new_int((int)r.count[s]));
		json_print(ctx->out, o);
	} else {
		for (size_t i = 0; i < r.n; i++)
			fprintf(ctx->out, "%-7s %-28s %s\n",
				label(r.checks[i].status), r.checks[i].name,
				r.checks[i].detail);
		fprintf(ctx->out,
			"doctor: %u ok, %u warn, %u fail, %u unknown\n",
			r.count[DOCTOR_OK], r.count[DOCTOR_WARN],
			r.count[DOCTOR_FAIL], r.count[DOCTOR_UNKNOWN]);
	}
	rc = r.count[DOCTOR_FAIL] || (strict && r.count[DOCTOR_WARN])
		     ? IQ_EREFUSED
		     : IQ_OK;
	doctor_report_free(&r);
	return rc;
}
