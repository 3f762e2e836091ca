// SPDX-License-Identifier: MIT
/*
 * icmquota policy validate|show|set|unset|diff: the gate for fleet config
 * management, and quota edits in the tool's own drop-in.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controller/cli/cli.h"
#include "controller/cli/help.h"
#include "controller/cli/report.h"
#include "controller/core/lifecycle.h"
#include "controller/core/policy_host.h"
#include "controller/core/session.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/size.h"
#include "controller/cli/cmd_policy.h"

/* A PF whose total ICM is unknown: the caps are unchecked there. */
static int add_unchecked(struct host_check *hc, const struct host_pf *pf,
			 const char *why, struct iq_err *err)
{
	char(*grown)[640] =
		realloc(hc->unchecked, (hc->nunchecked + 1) * sizeof(*grown));

	if (!grown)
		return iq_fail(err, IQ_EENV, "out of memory");
	hc->unchecked = grown;
	snprintf(hc->unchecked[hc->nunchecked++], sizeof(*grown),
		 "warning: PF %s: caps not checked against its total ICM: "
		 "its firmware did not answer (%s)",
		 pf->pci, why);
	return IQ_OK;
}

/*
 * The policy against a host: with --root, or on this machine when it has
 * a ConnectX PF (a build host without one stays pure: syntax and
 * semantics only), policy_host_check (devices rules naming what is not a
 * PF here, host.reserve against MemTotal), then every cap against each
 * PF's total ICM when the firmware answers (unreachable is not invalid:
 * it is said, and validate passes). no_host: pure, whatever the host.
 * Returns an error only for a cap above a PF's total ICM (as before) or
 * out of memory; findings are in hc->f.
 */
int pcmd_check_host(struct run_ctx *ctx, const struct policy *policy,
		    bool no_host, struct host_check *hc, struct iq_err *err)
{
	struct session s;
	struct iq_err host_err = {0};
	bool rooted = ctx->root && ctx->root[0];
	int rc;

	memset(hc, 0, sizeof(*hc));
	if (no_host) {
		snprintf(hc->host_why, sizeof(hc->host_why),
			 "--no-host: syntax and semantics only");
		return IQ_OK;
	}
	if (session_open(ctx, SESSION_HOST, &s, &host_err)) {
		snprintf(hc->host_why, sizeof(hc->host_why), "%s",
			 host_err.msg);
		return IQ_OK;
	}
	if (!rooted && s.host.npfs == 0) {
		snprintf(hc->host_why, sizeof(hc->host_why),
			 "no ConnectX PF on this machine (--root DIR checks "
			 "against a simulated host)");
		session_close(&s);
		return IQ_OK;
	}
	hc->host = true;
	rc = policy_host_check(policy, &s.host, &hc->f, err);
	if (rc == IQ_OK && s.host.npfs == 0)
		snprintf(hc->icm_why, sizeof(hc->icm_why),
			 "no ConnectX PF on this host");
	else if (rc == IQ_OK && session_open_firmware(&s, &host_err))
		snprintf(hc->icm_why, sizeof(hc->icm_why), "%s", host_err.msg);
	for (size_t p = 0; rc == IQ_OK && p < s.host.npfs; p++) {
		const struct host_pf *pf = &s.host.pfs[p];

		/* Not asked at all (the channel did not open), or asked and
		 * silent: unchecked, said per PF. A PF that answered without
		 * VHCA_ICM_CTRL takes no cap: nothing to check. */
		if (!pf->probed || pf->unreachable) {
			rc = add_unchecked(hc, pf,
					   pf->unreachable ? pf->unreachable_why
							   : hc->icm_why,
					   err);
			continue;
		}
		if (!pf->supported)
			continue;
		rc = policy_check_device(policy, s.host.pfs[p].pci,
					 s.host.pfs[p].total_icm_bytes, err);
		hc->checked += rc == IQ_OK;
	}
	session_close(&s);
	return rc;
}

/*
 * Warnings, and every error but the last, one line each on the log; the
 * last error into err (main prints it), so that every line reads
 * "icmquota: FILE:LINE:COL: ..." and one error alone is one line.
 */
int pcmd_report_findings(struct run_ctx *ctx, const struct host_check *hc,
			 int rc, struct iq_err *err)
{
	size_t left = hc->f.nerrors;

	for (size_t i = 0; i < hc->f.n; i++) {
		const struct policy_finding *x = &hc->f.v[i];

		if (x->error && --left == 0 && rc == IQ_OK) {
			rc = iq_fail(err, IQ_EREFUSED, "%s", x->msg);
			continue;
		}
		if (!ctx->json || x->error)
			run_note(ctx, "%s", x->msg);
	}
	return rc;
}

void pcmd_free_host_check(struct host_check *hc)
{
	free(hc->unchecked);
	policy_findings_free(&hc->f);
}

/* The main policy and its drop-ins as a session would load them. */
bool pcmd_main_is_builtin(const struct run_ctx *ctx)
{
	return strcmp(ctx->policy_path, POLICY_DEFAULT_PATH) == 0 &&
	       access(ctx->policy_path, F_OK) < 0 && errno == ENOENT;
}

int pcmd_load_merged(struct run_ctx *ctx, const struct policy_text *replace,
		     struct policy *policy, struct iq_err *err)
{
	return policy_load_merged(ctx->policy_path, pcmd_main_is_builtin(ctx),
				  replace, policy, err);
}

json_object *pcmd_findings_json(const struct host_check *hc, bool errors)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < hc->f.n; i++)
		if (hc->f.v[i].error == errors)
			json_object_array_add(
				a, json_object_new_string(hc->f.v[i].msg));
	return a;
}

static int validate(struct run_ctx *ctx, const char *file, bool no_host,
		    struct iq_err *err)
{
	struct policy policy;
	struct host_check hc;
	size_t warnings;
	bool valid;
	/* The main policy is judged with its drop-ins; another file alone. */
	int rc = file ? policy_load(file, &policy, err)
		      : pcmd_load_merged(ctx, NULL, &policy, err);

	if (!file)
		file = ctx->policy_path;

	if (rc) {
		if (ctx->json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "file",
					       json_object_new_string(file));
			json_object_object_add(o, "valid",
					       json_object_new_boolean(false));
			json_object_object_add(
				o, "error", json_object_new_string(err->msg));
			json_print(ctx->out, o);
		}
		return rc;
	}
	rc = pcmd_check_host(ctx, &policy, no_host, &hc, err);
	rc = pcmd_report_findings(ctx, &hc, rc, err);
	warnings = hc.f.n - hc.f.nerrors;
	valid = rc == IQ_OK;
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "file", json_object_new_string(file));
		json_object *un = json_object_new_array();

		for (size_t i = 0; i < hc.nunchecked; i++)
			json_object_array_add(
				un, json_object_new_string(hc.unchecked[i]));
		json_object_object_add(o, "valid",
				       json_object_new_boolean(valid));
		json_object_object_add(o, "error",
				       rc ? json_object_new_string(err->msg)
					  : NULL);
		json_object_object_add(o, "pfs_not_checked", un);
		json_object_object_add(o, "digest",
				       json_object_new_string(policy.digest));
		json_object_object_add(o, "host_checked",
				       json_object_new_boolean(hc.host));
		json_object_object_add(
			o, "host_not_checked_why",
			hc.host ? NULL : json_object_new_string(hc.host_why));
		json_object_object_add(o, "errors",
				       pcmd_findings_json(&hc, true));
		json_object_object_add(o, "warnings",
				       pcmd_findings_json(&hc, false));
		json_object_object_add(o, "devices_checked",
				       json_object_new_uint64(hc.checked));
		json_object_object_add(
			o, "devices_not_checked_why",
			hc.icm_why[0] ? json_object_new_string(hc.icm_why)
			: !hc.host    ? json_object_new_string(hc.host_why)
				      : NULL);
		json_print(ctx->out, o);
	} else if (rc == IQ_OK) {
		char pfs[64];

		if (hc.nunchecked)
			snprintf(pfs, sizeof(pfs), "%zu of %zu PFs", hc.checked,
				 hc.checked + hc.nunchecked);
		else
			snprintf(pfs, sizeof(pfs), "%zu PFs", hc.checked);
		for (size_t i = 0; i < hc.nunchecked; i++)
			run_note(ctx, "%s", hc.unchecked[i]);
		fprintf(ctx->out,
			"%s: valid%s (%zu file%s, %zu classes, %zu vms rules, "
			"%zu device rules; caps checked against %s; %s)\n",
			file, hc.nunchecked ? " as far as checked" : "",
			policy.nfiles, policy.nfiles == 1 ? "" : "s",
			policy.nclasses, policy.nvms, policy.ndevices, pfs,
			!hc.host	? "host not checked"
			: warnings == 0 ? "host checked"
			: warnings == 1 ? "host checked: 1 warning above"
					: "host checked: warnings above");
		if (!hc.host && !no_host)
			run_note(ctx, "not checked against a host: %s",
				 hc.host_why);
		/* Said per PF above when PFs were left unchecked. */
		if (hc.host && hc.icm_why[0] && !hc.nunchecked)
			run_note(ctx, "caps not checked against device ICM: %s",
				 hc.icm_why);
	}
	/*
	 * Valid as far as it was checked, but a cap not checked against a PF
	 * is a partial result (the exit-code table's 3): a config-management
	 * gate must not take it for a pass. --no-host checks no PF at all.
	 */
	if (rc == IQ_OK && hc.nunchecked)
		rc = iq_fail(err, IQ_EENV,
			     "policy validate: %zu PF%s not checked (warning%s "
			     "above): a partial result; fix or reset %s, or "
			     "use --no-host to check syntax and semantics only",
			     hc.nunchecked, hc.nunchecked == 1 ? "" : "s",
			     hc.nunchecked == 1 ? "" : "s",
			     hc.nunchecked == 1 ? "that PF" : "those PFs");
	pcmd_free_host_check(&hc);
	policy_free(&policy);
	return rc;
}

int cmd_policy(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	struct policy policy;
	bool effective = false;
	int rc;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		help_print_command(argc < 2 ? ctx->log : ctx->out,
				   help_find("policy"));
		return argc < 2 ? IQ_EUSAGE : IQ_OK;
	}
	/* `policy ACTION --help` is help, never a file or a value. */
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			help_print_command(ctx->out, help_find("policy"));
			return IQ_OK;
		}
	}
	if (!strcmp(argv[1], "validate")) {
		const char *file = NULL;
		bool no_host = false;

		for (int i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--no-host"))
				no_host = true;
			else if (argv[i][0] == '-' && argv[i][1])
				return iq_fail(
					err, IQ_EUSAGE,
					"policy validate: unknown option "
					"'%s' (usage: policy validate "
					"[--no-host] [FILE])",
					argv[i]);
			else if (file)
				return iq_fail(err, IQ_EUSAGE,
					       "policy validate: one FILE at "
					       "most");
			else
				file = argv[i];
		}
		return validate(ctx,
				file && strcmp(file, ctx->policy_path) ? file
								       : NULL,
				no_host, err);
	}
	if (!strcmp(argv[1], "show")) {
		for (int i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--effective"))
				effective = true;
			else
				return iq_fail(err, IQ_EUSAGE,
					       "policy show: unexpected "
					       "argument '%s'",
					       argv[i]);
		}
		rc = pcmd_load_merged(ctx, NULL, &policy, err);
		if (rc)
			return rc;
		pcmd_show(ctx, &policy, effective);
		policy_free(&policy);
		return IQ_OK;
	}
	if (!strcmp(argv[1], "set") || !strcmp(argv[1], "unset"))
		return pcmd_edit(ctx, argv[1], argc - 1, argv + 1, err);
	if (!strcmp(argv[1], "diff"))
		return pcmd_diff(ctx, argc, argv, err);
	return iq_fail(err, IQ_EUSAGE,
		       "policy: unknown action '%s' (validate, show, set, "
		       "unset, diff)",
		       argv[1]);
}
