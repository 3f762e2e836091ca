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

/* What validate and set learnt from the host, when there was one. */
struct host_check {
	bool host;	     /* a host to judge by: --root, or a ConnectX PF */
	char host_why[1024]; /* why not, "" when there was */
	size_t checked;	     /* PFs whose total ICM the caps were checked
				against */
	char icm_why[1024];  /* why not (the firmware), "" when they were */
	/* One line per PF whose caps could not be checked (its firmware did
	 * not answer): "PF PCI: ... (ERROR)"; a partial result. */
	char (*unchecked)[640];
	size_t nunchecked;
	struct policy_findings f;
};

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
static int check_host(struct run_ctx *ctx, const struct policy *policy,
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
static int report_findings(struct run_ctx *ctx, const struct host_check *hc,
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

static void free_host_check(struct host_check *hc)
{
	free(hc->unchecked);
	policy_findings_free(&hc->f);
}

/* The main policy and its drop-ins as a session would load them. */
static bool main_is_builtin(const struct run_ctx *ctx)
{
	return strcmp(ctx->policy_path, POLICY_DEFAULT_PATH) == 0 &&
	       access(ctx->policy_path, F_OK) < 0 && errno == ENOENT;
}

static int load_merged(struct run_ctx *ctx, const struct policy_text *replace,
		       struct policy *policy, struct iq_err *err)
{
	return policy_load_merged(ctx->policy_path, main_is_builtin(ctx),
				  replace, policy, err);
}

static json_object *findings_json(const struct host_check *hc, bool errors)
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
		      : load_merged(ctx, NULL, &policy, err);

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
	rc = check_host(ctx, &policy, no_host, &hc, err);
	rc = report_findings(ctx, &hc, rc, err);
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
		json_object_object_add(o, "errors", findings_json(&hc, true));
		json_object_object_add(o, "warnings",
				       findings_json(&hc, false));
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
	free_host_check(&hc);
	policy_free(&policy);
	return rc;
}

/* --- show ---------------------------------------------------------------- */

/* One value of the merged policy and where it came from. */
struct show_row {
	char key[320];
	char value[300];
	bool is_size;
	uint64_t bytes;
	struct policy_pos pos;
};

struct show_rows {
	struct show_row *rows;
	size_t n;
	bool effective; /* also the built-in values no file sets */
};

static void add_row(struct show_rows *r, const char *key, const char *value,
		    const struct policy_size *size, struct policy_pos pos)
{
	struct show_row *grown;

	if (!pos.line && !r->effective)
		return;
	grown = realloc(r->rows, (r->n + 1) * sizeof(*r->rows));
	if (!grown)
		return; /* the caller checks r->n against what it added */
	r->rows = grown;
	memset(&grown[r->n], 0, sizeof(*grown));
	snprintf(grown[r->n].key, sizeof(grown->key), "%s", key);
	if (size) {
		policy_size_exact(size->bytes, grown[r->n].value,
				  sizeof(grown->value));
		grown[r->n].is_size = true;
		grown[r->n].bytes = size->bytes;
	} else {
		snprintf(grown[r->n].value, sizeof(grown->value), "%s", value);
	}
	grown[r->n].pos = pos;
	r->n++;
}

static void add_size(struct show_rows *r, const char *key,
		     const struct policy_size *size, bool always)
{
	if (size->set || (always && r->effective))
		add_row(r, key, NULL, size,
			size->set ? size->pos : (struct policy_pos){0, 0, 0});
}

static void collect(const struct policy *p, struct show_rows *r)
{
	static const char *const admission[] = {"strict", "scale", "warn"};
	static const char *const hugepages[] = {"observe", "manage"};
	char key[320], value[300];

	add_size(r, "host.reserve", &p->reserve, true);
	add_row(r, "host.admission", admission[p->admission], NULL,
		p->admission_pos);
	add_row(r, "host.hugepages", hugepages[p->hugepages], NULL,
		p->hugepages_pos);
	add_size(r, "defaults.vf_cap", &p->vf_cap, true);
	add_size(r, "defaults.vm_cap", &p->vm_cap, false);
	add_size(r, "defaults.idle_vf_cap", &p->idle_vf_cap, true);
	add_size(r, "defaults.min_vf_cap", &p->min_vf_cap, true);
	for (size_t i = 0; i < p->nclasses; i++) {
		snprintf(key, sizeof(key), "classes.%s.vf_cap",
			 p->classes[i].name);
		add_size(r, key, &p->classes[i].vf_cap, false);
		snprintf(key, sizeof(key), "classes.%s.vm_cap",
			 p->classes[i].name);
		add_size(r, key, &p->classes[i].vm_cap, false);
	}
	for (size_t i = 0; i < p->nvms; i++) {
		const struct policy_vm_rule *v = &p->vms[i];

		snprintf(key, sizeof(key), "vms[%zu].match", i);
		snprintf(value, sizeof(value), "%s%.200s%s%s%s",
			 v->name_glob[0] ? "name " : "", v->name_glob,
			 v->name_glob[0] && v->uuid[0] ? ", " : "",
			 v->uuid[0] ? "uuid " : "", v->uuid);
		add_row(r, key, value, NULL, v->pos);
		if (v->class_name[0]) {
			snprintf(key, sizeof(key), "vms[%zu].class", i);
			add_row(r, key, v->class_name, NULL, v->class_pos);
		}
		snprintf(key, sizeof(key), "vms[%zu].vf_cap", i);
		add_size(r, key, &v->vf_cap, false);
		snprintf(key, sizeof(key), "vms[%zu].vm_cap", i);
		add_size(r, key, &v->vm_cap, false);
	}
	for (size_t i = 0; i < p->ndevices; i++) {
		snprintf(key, sizeof(key), "devices.%s.vf_cap",
			 p->devices[i].pci);
		add_size(r, key, &p->devices[i].vf_cap, false);
		snprintf(key, sizeof(key), "devices.%s.vm_cap",
			 p->devices[i].pci);
		add_size(r, key, &p->devices[i].vm_cap, false);
	}
}

static void show(struct run_ctx *ctx, const struct policy *p, bool effective)
{
	struct show_rows r = {.effective = effective};
	FILE *out = ctx->out;

	collect(p, &r);
	if (ctx->json) {
		json_object *o = json_object_new_object();
		json_object *files = json_object_new_array();
		json_object *values = json_object_new_array();

		for (size_t i = 0; i < p->nfiles; i++)
			json_object_array_add(
				files, json_object_new_string(p->files[i]));
		json_object_object_add(o, "version", json_object_new_int(1));
		json_object_object_add(o, "files", files);
		json_object_object_add(o, "digest",
				       json_object_new_string(p->digest));
		for (size_t i = 0; i < r.n; i++) {
			const struct show_row *row = &r.rows[i];
			json_object *v = json_object_new_object();
			bool from = row->pos.line != 0;

			json_object_object_add(
				v, "key", json_object_new_string(row->key));
			json_object_object_add(
				v, "value",
				row->is_size
					? json_size(row->bytes)
					: json_object_new_string(row->value));
			json_object_object_add(
				v, "file",
				from ? json_object_new_string(
					       policy_file(p, row->pos))
				     : NULL);
			json_object_object_add(
				v, "line",
				from ? json_object_new_int((int)row->pos.line)
				     : NULL);
			json_object_object_add(
				v, "col",
				from ? json_object_new_int((int)row->pos.col)
				     : NULL);
			json_object_array_add(values, v);
		}
		json_object_object_add(o, "values", values);
		json_print(out, o);
		free(r.rows);
		return;
	}
	fprintf(out,
		"# merged in this order, later files win key by key "
		"(sha256 %s):\n",
		p->digest);
	for (size_t i = 0; i < p->nfiles; i++)
		fprintf(out, "#   %s\n", p->files[i]);
	fprintf(out, "%-40s %-16s %s\n", "KEY", "VALUE", "FROM");
	for (size_t i = 0; i < r.n; i++) {
		const struct show_row *row = &r.rows[i];

		if (row->pos.line)
			fprintf(out, "%-40s %-16s %s:%u:%u\n", row->key,
				row->value, policy_file(p, row->pos),
				row->pos.line, row->pos.col);
		else
			fprintf(out, "%-40s %-16s (built-in)\n", row->key,
				row->value);
	}
	free(r.rows);
}

/* --- set / unset ---------------------------------------------------------- */

static const char tool_header[] =
	"# Written by `icmquota policy set/unset`: this file belongs to the "
	"tool.\n"
	"# Do not edit it by hand, and do not let configuration management "
	"own it:\n"
	"# it holds the quota edits made on this host (see `icmquota policy "
	"show`).\n"
	"# Later drop-ins win over earlier ones and over the main policy, key "
	"by key.\n";

struct edit_args {
	struct policy_selector sel;
	const char *key;
	const char *value;
	bool apply;
	bool force; /* --apply even when it overcommits (admission strict) */
	int nsel;
};

static int parse_edit_args(const char *verb, int argc, char **argv,
			   struct edit_args *a, bool *help, struct iq_err *err)
{
	static const struct option opts[] = {
		{"host", no_argument, NULL, 'H'},
		{"defaults", no_argument, NULL, 'D'},
		{"class", required_argument, NULL, 'c'},
		{"vm", required_argument, NULL, 'm'},
		{"uuid", required_argument, NULL, 'u'},
		{"device", required_argument, NULL, 'd'},
		{"apply", no_argument, NULL, 'a'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	bool set = strcmp(verb, "set") == 0;
	int c;

	memset(a, 0, sizeof(*a));
	*help = false;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			a->sel.kind = POLICY_SEL_HOST;
			break;
		case 'D':
			a->sel.kind = POLICY_SEL_DEFAULTS;
			break;
		case 'c':
			a->sel.kind = POLICY_SEL_CLASS;
			break;
		case 'm':
			a->sel.kind = POLICY_SEL_VM;
			break;
		case 'u':
			a->sel.kind = POLICY_SEL_UUID;
			break;
		case 'd':
			a->sel.kind = POLICY_SEL_DEVICE;
			break;
		case 'a':
			a->apply = true;
			continue;
		case 'f':
			a->force = true;
			continue;
		case 'h':
			*help = true;
			return IQ_OK;
		default:
			return iq_fail(err, IQ_EUSAGE,
				       "policy %s: unknown option or missing "
				       "value: '%s' (see icmquota policy "
				       "--help)",
				       verb, argv[optind - 1]);
		}
		a->sel.name = optarg;
		a->nsel++;
	}
	if (a->nsel != 1)
		return iq_fail(err, IQ_EUSAGE,
			       "policy %s: name one of --defaults, --host, "
			       "--class C, --vm NAME, --uuid U, --device PCI",
			       verb);
	if (argc - optind != (set ? 2 : 1))
		return iq_fail(err, IQ_EUSAGE,
			       "policy %s: give %s (keys for this selector: "
			       "%s)",
			       verb, set ? "KEY VALUE" : "KEY",
			       policy_selector_keys(a->sel.kind));
	a->key = argv[optind];
	a->value = set ? argv[optind + 1] : NULL;
	return IQ_OK;
}

static const char *selector_flag(enum policy_selector_kind kind)
{
	static const char *const flags[] = {"--host", "--defaults", "--class",
					    "--vm",   "--uuid",	    "--device"};

	return flags[kind];
}

/* Where the tool's drop-in lives for this run's main policy. */
static void tool_dropin(const struct run_ctx *ctx, char *dir, size_t dlen,
			char *path, size_t plen)
{
	policy_dropin_dir(ctx->policy_path, dir, dlen);
	snprintf(path, plen, "%s/%s", dir, POLICY_TOOL_DROPIN);
}

/* The tool's drop-in as it is now (empty when absent). */
static int load_tool_dropin(const char *path, struct policy *frag,
			    struct iq_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (access(path, F_OK) < 0 && errno == ENOENT)
		return policy_parse_fragment("version: 1\n", 11, path, frag,
					     err);
	rc = file_read_all(path, &text, &len, err);
	if (rc == IQ_OK)
		rc = policy_parse_fragment(text, len, path, frag, err);
	free(text);
	return rc;
}

/* Where a key stands in the merged policy, for "it comes from X" notes. */
static bool merged_pos(const struct policy *p, const struct edit_args *a,
		       struct policy_pos *pos)
{
	struct show_rows r = {.effective = false};
	char want[320];
	bool found = false;

	collect(p, &r);
	switch (a->sel.kind) {
	case POLICY_SEL_HOST:
		snprintf(want, sizeof(want), "host.%s", a->key);
		break;
	case POLICY_SEL_DEFAULTS:
		snprintf(want, sizeof(want), "defaults.%s", a->key);
		break;
	case POLICY_SEL_CLASS:
		snprintf(want, sizeof(want), "classes.%.200s.%s", a->sel.name,
			 a->key);
		break;
	case POLICY_SEL_DEVICE:
		snprintf(want, sizeof(want), "devices.%.200s.%s", a->sel.name,
			 a->key);
		break;
	default:
		want[0] = '\0';
	}
	for (size_t i = 0; i < r.n && want[0] && !found; i++)
		if (strcmp(r.rows[i].key, want) == 0) {
			*pos = r.rows[i].pos;
			found = true;
		}
	free(r.rows);
	return found;
}

/*
 * The split now (the policy on disk) and with `with` instead, over the
 * journal's running VMs and the VFs as the firmware reads back now (what
 * idle VFs hold, caps held above their cap). libvirt is not asked: this
 * may run under the lock, which a hook blocking libvirtd may wait for.
 * On success the caller frees now and after and closes s.
 */
static int split_now_and_with(struct run_ctx *ctx, const struct policy *with,
			      struct session *s, struct lifecycle_result *now,
			      struct plan *after, struct split *split_after,
			      struct iq_err *err)
{
	int rc = session_open(
		ctx, SESSION_POLICY | SESSION_STATE | SESSION_FIRMWARE, s, err);

	if (rc)
		return rc;
	rc = lifecycle_apply(s, NULL, 0, 0, true, now, err);
	if (rc == IQ_OK)
		rc = plan_build(&s->host, with, &s->state, now->running,
				now->nrunning, NULL, after, err);
	if (rc) {
		lifecycle_result_free(now);
		session_close(s);
		return rc;
	}
	plan_copy_readings(after, &now->plan);
	split_compute(&s->host, with, after, now->running, now->nrunning,
		      split_after);
	return IQ_OK;
}

/*
 * An edit that makes the split overcommit (headroom below 0 and lower
 * than now): with host.admission strict (of the merged result) and
 * --apply it is refused, nothing written, unless --force; otherwise said.
 * Unknown (no firmware, no policy on disk yet): said with -v, allowed.
 */
static int check_overcommit(struct run_ctx *ctx, const char *verb,
			    const struct edit_args *a,
			    const struct policy *merged, struct iq_err *err)
{
	struct session s;
	struct lifecycle_result now;
	struct plan after;
	struct split with;
	struct iq_err why = {0};
	char edit[640], over[32], hn[32], hw[32], vms[1024] = "";
	size_t used = 0, rising = 0;
	uint64_t *before;
	int rc = IQ_OK;

	if (split_now_and_with(ctx, merged, &s, &now, &after, &with, &why)) {
		run_verbose(ctx, "policy %s: overcommit not checked: %s", verb,
			    why.msg);
		return IQ_OK;
	}
	if (with.headroom >= 0 || with.headroom >= now.split.headroom)
		goto out;
	before = calloc(now.plan.nvfs ? now.plan.nvfs : 1, sizeof(*before));
	for (size_t i = 0; before && i < now.plan.nvfs; i++)
		before[i] = now.plan.vfs[i].desired_bytes;
	/* Which VMs' caps rise, the first named with its VFs. */
	for (size_t v = 0; before && v < now.nrunning; v++) {
		const struct policy_decision *d;
		char vfs[768], rise[32];
		uint64_t up =
			report_cap_rise(&after, before, &now.running[v],
					with.mem_total, vfs, sizeof(vfs), &d);
		int n;

		if (!up || rising++)
			continue;
		size_format(up, rise, sizeof(rise));
		n = snprintf(vms, sizeof(vms), "; VM %s's caps +%s: %s",
			     now.running[v].name, rise, vfs);
		used = n < 0 ? 0 : (size_t)n;
	}
	free(before);
	if (rising > 1 && used < sizeof(vms))
		snprintf(vms + used, sizeof(vms) - used, ", and %zu more VM%s",
			 rising - 1, rising == 2 ? "" : "s");
	snprintf(edit, sizeof(edit), "%s%s%s %s%s%s",
		 selector_flag(a->sel.kind), a->sel.name ? " " : "",
		 a->sel.name ? a->sel.name : "", a->key, a->value ? " " : "",
		 a->value ? a->value : "");
	size_format(with.committed - with.mem_total, over, sizeof(over));
	size_format_signed(now.split.headroom, hn, sizeof(hn));
	size_format_signed(with.headroom, hw, sizeof(hw));
	if (merged->admission == POLICY_ADMIT_STRICT && a->apply && !a->force)
		rc = iq_fail(err, IQ_EREFUSED,
			     "%s %s would overcommit the host by %s "
			     "(headroom %s -> %s%s); pick a smaller value or "
			     "lower host.reserve, or pass --force to write "
			     "and apply it anyway (host.admission: strict)",
			     verb, edit, over, hn, hw, vms);
	else if (!a->apply)
		run_note(ctx,
			 "policy %s: warning: %s overcommits the host by %s "
			 "once applied (headroom %s -> %s%s); `icmquota "
			 "apply` will say so",
			 verb, edit, over, hn, hw, vms);
out:
	plan_free(&after);
	lifecycle_result_free(&now);
	session_close(&s);
	return rc;
}

/* Run `icmquota apply` (journal's and libvirt's VMs), its output kept. */
static int run_apply(struct run_ctx *ctx, char **out_text, struct iq_err *err)
{
	char *argv[] = {"apply", NULL};
	FILE *saved = ctx->out;
	size_t len = 0;
	FILE *mem;
	int rc;

	*out_text = NULL;
	mem = open_memstream(out_text, &len);
	if (!mem)
		return iq_fail(err, IQ_EENV, "out of memory");
	ctx->out = mem;
	rc = cmd_apply(ctx, 1, argv, err);
	ctx->out = saved;
	fclose(mem);
	return rc;
}

static int edit(struct run_ctx *ctx, const char *verb, int argc, char **argv,
		struct iq_err *err)
{
	struct edit_args a;
	struct policy frag, merged, before;
	char dir[4096], path[4200], lock_buf[4096];
	char *text = NULL, *apply_out = NULL;
	size_t len = 0;
	bool help, changed = true, have_before = false, have_merged = false;
	int lock_fd = -1;
	int rc, apply_rc = IQ_OK;

	rc = parse_edit_args(verb, argc, argv, &a, &help, err);
	if (rc || help) {
		if (help)
			help_print_command(ctx->out, help_find("policy"));
		return rc;
	}
	if (geteuid() != 0)
		return iq_fail(err, IQ_EENV,
			       "policy %s: must run as root: it writes %s "
			       "beside the policy%s (run it with sudo)",
			       verb, POLICY_TOOL_DROPIN,
			       a.apply ? " and programs the firmware" : "");
	tool_dropin(ctx, dir, sizeof(dir), path, sizeof(path));
	/* One writer at a time: the same lock as every firmware writer. */
	rc = lock_acquire(session_lock_path(ctx, lock_buf, sizeof(lock_buf)),
			  ctx->lock_timeout_s, &lock_fd, err);
	if (rc)
		return rc;
	/*
	 * The edit replaces this file in the merged policy (its new text is
	 * validated from memory, never the file): without this check, what
	 * another user wrote into it would come back as root's own file.
	 */
	rc = file_check_trusted(path, "a policy drop-in", err);
	if (rc) {
		iq_err_prefix(err, "policy %s: refused, nothing written", verb);
		goto out_unlock;
	}
	rc = load_tool_dropin(path, &frag, err);
	if (rc) {
		iq_err_prefix(err,
			      "policy %s: the tool's drop-in is broken "
			      "(fix or remove it)",
			      verb);
		goto out_unlock;
	}
	if (load_merged(ctx, NULL, &before, err) == IQ_OK)
		have_before = true;
	else
		iq_err_clear(err);
	if (a.value)
		rc = policy_edit_set(&frag, &a.sel, a.key, a.value, err);
	else
		rc = policy_edit_unset(&frag, &a.sel, a.key, &changed, err);
	if (rc == IQ_OK)
		rc = policy_emit(&frag, tool_header, &text, &len, err);
	policy_free(&frag);
	if (rc)
		goto out_unlock;
	/* The merged result is validated before anything is written. */
	{
		struct policy_text t = {.path = path, .text = text, .len = len};

		rc = load_merged(ctx, &t, &merged, err);
		have_merged = rc == IQ_OK;
	}
	if (rc == IQ_OK) {
		struct host_check hc;

		rc = check_host(ctx, &merged, false, &hc, err);
		rc = report_findings(ctx, &hc, rc, err);
		if (rc == IQ_OK && !hc.host)
			run_verbose(ctx, "not checked against a host: %s",
				    hc.host_why);
		if (rc == IQ_OK && hc.icm_why[0])
			run_verbose(ctx,
				    "caps not checked against device "
				    "ICM: %s",
				    hc.icm_why);
		free_host_check(&hc);
		if (rc == IQ_OK && changed)
			rc = check_overcommit(ctx, verb, &a, &merged, err);
	}
	if (rc) {
		iq_err_prefix(err, "policy %s: refused, nothing written", verb);
		if (have_merged)
			policy_free(&merged);
		goto out_unlock;
	}
	if (changed)
		rc = mkdir_p(dir, 0755, err);
	if (changed && rc == IQ_OK)
		rc = file_write_atomic(path, text, len, true, err);
	lock_release(lock_fd);
	lock_fd = -1;
	/* Written: what was written is said even when apply had problems
	 * (they are on stderr, and its exit code is ours). */
	if (rc == IQ_OK && a.apply)
		apply_rc = run_apply(ctx, &apply_out, err);
	if (rc == IQ_OK) {
		struct policy_pos pos = {0, 0, 0};
		bool elsewhere = !a.value && merged_pos(&merged, &a, &pos);

		if (ctx->json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "file",
					       json_object_new_string(path));
			json_object_object_add(
				o, "changed", json_object_new_boolean(changed));
			json_object_object_add(
				o, "digest_before",
				have_before
					? json_object_new_string(before.digest)
					: NULL);
			json_object_object_add(
				o, "digest",
				json_object_new_string(merged.digest));
			json_object_object_add(
				o, "apply",
				apply_out ? json_tokener_parse(apply_out)
					  : NULL);
			json_print(ctx->out, o);
		} else {
			if (!changed)
				fprintf(ctx->out,
					"%s: %s not set there: nothing to "
					"unset\n",
					path, a.key);
			else
				fprintf(ctx->out, "%s: %s %s%s%s %s%s%s\n",
					path, a.value ? "set" : "unset",
					selector_flag(a.sel.kind),
					a.sel.name ? " " : "",
					a.sel.name ? a.sel.name : "", a.key,
					a.value ? " " : "",
					a.value ? a.value : "");
			if (elsewhere)
				fprintf(ctx->out,
					"note: %s still comes from %s:%u:%u\n",
					a.key, policy_file(&merged, pos),
					pos.line, pos.col);
			if (apply_out)
				fputs(apply_out, ctx->out);
			else
				fprintf(ctx->out,
					"not applied yet: run `icmquota "
					"apply` (or pass --apply)\n");
		}
	}
	policy_free(&merged);
out_unlock:
	if (have_before)
		policy_free(&before);
	lock_release(lock_fd);
	free(text);
	free(apply_out);
	return rc ? rc : apply_rc;
}

/* --- diff ------------------------------------------------------------------ */

static int diff(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	struct policy with;
	struct session s;
	struct lifecycle_result now;
	struct plan after;
	struct split split_after;
	struct policy_text t = {0};
	char *text = NULL, dir[4096], as_path[4200];
	const char *file = NULL;
	bool as_main = false;
	size_t changes = 0;
	json_object *rows = NULL;
	int rc;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--main"))
			as_main = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			help_print_command(ctx->out, help_find("policy"));
			return IQ_OK;
		} else if (!file)
			file = argv[i];
		else
			return iq_fail(err, IQ_EUSAGE,
				       "policy diff: one FILE (unexpected "
				       "'%s')",
				       argv[i]);
	}
	if (!file)
		return iq_fail(err, IQ_EUSAGE,
			       "policy diff: give FILE (a drop-in to try, or "
			       "with --main a new main policy)");
	rc = file_read_all(file, &text, &t.len, err);
	if (rc)
		return rc;
	t.text = text;
	/* As a drop-in it takes the place of its namesake in policy.d. */
	{
		const char *slash = strrchr(file, '/');

		policy_dropin_dir(ctx->policy_path, dir, sizeof(dir));
		snprintf(as_path, sizeof(as_path), "%s/%s", dir,
			 slash ? slash + 1 : file);
	}
	t.path = as_main ? ctx->policy_path : as_path;
	rc = load_merged(ctx, &t, &with, err);
	if (rc) {
		free(text);
		return iq_err_prefix(err, "policy diff %s", file);
	}
	rc = split_now_and_with(ctx, &with, &s, &now, &after, &split_after,
				err);
	if (rc) {
		policy_free(&with);
		free(text);
		return rc;
	}
	if (ctx->json)
		rows = json_object_new_array();
	else
		fprintf(ctx->out, "%-13s %-16s %-10s %-10s %s\n", "VF", "VM",
			"NOW", "WITH", "RULE WITH FILE");
	for (size_t i = 0; i < now.plan.nvfs; i++) {
		const struct plan_vf *a = &now.plan.vfs[i];
		const struct plan_vf *b = &after.vfs[i];
		char ha[32], hb[32], rule[512];
		bool differs = a->desired_bytes != b->desired_bytes;

		changes += differs;
		report_rule(&with, &b->decision, rule, sizeof(rule));
		if (rows) {
			json_object *o = json_object_new_object();

			json_object_object_add(
				o, "vf", json_object_new_string(a->vf->pci));
			json_object_object_add(
				o, "vm",
				a->vm ? json_object_new_string(a->vm->name)
				      : NULL);
			json_object_object_add(o, "cap_now_bytes",
					       json_size(a->desired_bytes));
			json_object_object_add(o, "cap_with_bytes",
					       json_size(b->desired_bytes));
			json_object_object_add(
				o, "changed", json_object_new_boolean(differs));
			json_object_object_add(o, "rule_with",
					       json_object_new_string(rule));
			json_object_array_add(rows, o);
			continue;
		}
		size_format(a->desired_bytes, ha, sizeof(ha));
		size_format(b->desired_bytes, hb, sizeof(hb));
		fprintf(ctx->out, "%-13s %-16s %-10s %-10s %s%s\n", a->vf->pci,
			a->vm ? a->vm->name : "(idle)", ha, hb, rule,
			differs ? "  *" : "");
	}
	if (rows) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "file", json_object_new_string(file));
		json_object_object_add(o, "merged_as",
				       json_object_new_string(t.path));
		json_object_object_add(o, "vfs", rows);
		json_object_object_add(o, "changes",
				       json_object_new_uint64(changes));
		json_object_object_add(o, "headroom_now_bytes",
				       json_bytes_signed(now.split.headroom));
		json_object_object_add(o, "headroom_with_bytes",
				       json_bytes_signed(split_after.headroom));
		json_print(ctx->out, o);
	} else {
		char hn[32], hw[32];

		size_format_signed(now.split.headroom, hn, sizeof(hn));
		size_format_signed(split_after.headroom, hw, sizeof(hw));
		fprintf(ctx->out,
			"%zu VF cap%s change%s with %s (merged as %s); "
			"headroom "
			"%s -> %s%s\n",
			changes, changes == 1 ? "" : "s",
			changes == 1 ? "s" : "", file, t.path, hn, hw,
			split_after.headroom < 0 ? " (OVERCOMMITTED)" : "");
	}
	plan_free(&after);
	lifecycle_result_free(&now);
	session_close(&s);
	policy_free(&with);
	free(text);
	return IQ_OK;
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
		rc = load_merged(ctx, NULL, &policy, err);
		if (rc)
			return rc;
		show(ctx, &policy, effective);
		policy_free(&policy);
		return IQ_OK;
	}
	if (!strcmp(argv[1], "set") || !strcmp(argv[1], "unset"))
		return edit(ctx, argv[1], argc - 1, argv + 1, err);
	if (!strcmp(argv[1], "diff"))
		return diff(ctx, argc, argv, err);
	return iq_fail(err, IQ_EUSAGE,
		       "policy: unknown action '%s' (validate, show, set, "
		       "unset, diff)",
		       argv[1]);
}
