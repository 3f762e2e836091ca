// SPDX-License-Identifier: MIT
/*
 * icmquota status: what the firmware holds, per PF and VF, and the split.
 * A PF whose firmware does not answer, or a VF whose read fails, is shown
 * as unknown with the reason, every other VF as usual, then exit 3 (a
 * partial result, as apply's); so are caps in force that overcommit the
 * host (a warning only under host.admission: warn, as for apply).
 */
#include <getopt.h>
#include <string.h>

#include "controller/cli/cli.h"
#include "controller/cli/help.h"
#include "controller/cli/report.h"
#include "controller/core/devlink_view.h"
#include "controller/core/lifecycle.h"
#include "controller/sources/vm_list.h"
#include "lib/json.h"

int cmd_status(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	static const struct option opts[] = {
		{"connect", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	struct vm_list vms = {0};
	const char *connect_uri = NULL;
	unsigned sources = 0;
	struct session s;
	struct lifecycle_result r;
	struct devlink_view view = {0};
	int c, rc;

	optind = 1;
	opterr = 0; /* our own one-line message instead */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'c') {
			connect_uri = optarg;
			continue;
		}
		if (c == 'h') {
			help_print_command(ctx->out, help_find("status"));
			return IQ_OK;
		}
		return iq_fail(err, IQ_EUSAGE,
			       "status: unknown option or missing value: '%s' "
			       "(see icmquota status --help)",
			       argv[optind - 1]);
	}
	if (optind < argc)
		return iq_fail(err, IQ_EUSAGE,
			       "status: unexpected argument '%s'",
			       argv[optind]);
	rc = live_libvirt_source(ctx, "status", connect_uri, false, &vms,
				 &sources, err);
	if (rc == IQ_OK)
		rc = session_open(ctx,
				  SESSION_LOCK_SHARED | SESSION_POLICY |
					  SESSION_STATE | SESSION_FIRMWARE |
					  SESSION_PARTIAL,
				  &s, err);
	if (rc) {
		vm_list_free(&vms);
		return rc;
	}
	/* Running VMs (libvirt's, else the journal's), read back, no writes. */
	rc = lifecycle_apply(&s, &vms, sources, LIFECYCLE_SHOW, &r, err);
	/* devlink's view beside the firmware's (status only, never the hook). */
	if (rc == IQ_OK)
		rc = devlink_view_read(&s.host, devlink_view_channel(ctx),
				       &view, err);
	if (rc == IQ_OK) {
		if (ctx->json) {
			json_object *o = json_object_new_object();
			json_object *pfs =
				report_status_json(&s.host, &r.plan, &s.state);

			report_devlink_attach(pfs, &s.host, &view);
			json_object_object_add(o, "pfs", pfs);
			json_object_object_add(o, "devlink",
					       report_devlink_json(&view));
			json_object_object_add(
				o, "uncapped_pfs",
				report_uncapped_pfs_json(&r.plan, false));
			json_object_object_add(o, "split",
					       report_split_json(&r.split));
			json_object_object_add(
				o, "policy",
				json_object_new_string(
					s.policy_builtin ? "(built-in defaults)"
							 : s.policy.path));
			json_print(ctx->out, o);
		} else {
			report_status_table(ctx->out, &s.host, &r.plan,
					    &s.state);
			report_split_table(ctx->out, &r.split);
			report_devlink_table(ctx->out, &s.host, &view);
			if (s.policy_builtin)
				fprintf(ctx->out,
					"policy: none at %s, built-in "
					"defaults\n",
					ctx->policy_path);
		}
	}
	/* Everything is shown; what is unknown is said, so is an
	 * overcommit (as apply says it), and exit 3. */
	if (rc == IQ_OK) {
		size_t n = report_problems(ctx, "status", &s.host, &r.plan);
		size_t over = report_overcommit_host(ctx, "status", &s.policy,
						     &r.split);

		if (n + over)
			rc = iq_fail(err, IQ_EENV,
				     "status: %zu problem%s above; %s is shown",
				     n + over, n + over == 1 ? "" : "s",
				     n ? "every other VF" : "every VF");
	}
	devlink_view_free(&view);
	lifecycle_result_free(&r);
	session_close(&s);
	vm_list_free(&vms);
	return rc;
}
