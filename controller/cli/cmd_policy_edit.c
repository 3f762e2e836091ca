// SPDX-License-Identifier: MIT
/*
 * icmquota policy set and policy unset: edits in the tool's own drop-in
 * (policy.d/99-icmquota-local.yaml), validated, checked against the host
 * and the memory split, written atomically, applied on request.
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

	pcmd_collect(p, &r);
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
int pcmd_split_now_and_with(struct run_ctx *ctx, const struct policy *with,
			    struct session *s, struct lifecycle_result *now,
			    struct plan *after, struct split *split_after,
			    struct iq_err *err)
{
	int rc = session_open(
		ctx, SESSION_POLICY | SESSION_STATE | SESSION_FIRMWARE, s, err);

	if (rc)
		return rc;
	rc = lifecycle_apply(s, NULL, 0, LIFECYCLE_SHOW, now, err);
	if (rc == IQ_OK)
		rc = plan_build(&s->host, with, &s->state, now->running,
				now->nrunning, NULL, after, err);
	if (rc) {
		lifecycle_result_free(now);
		session_close(s);
		return rc;
	}
	plan_copy_readings(after, &now->plan);
	plan_mark_will_write(after); /* the split an apply would leave */
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

	if (pcmd_split_now_and_with(ctx, merged, &s, &now, &after, &with,
				    &why)) {
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

int pcmd_edit(struct run_ctx *ctx, const char *verb, int argc, char **argv,
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
		/*
		 * Broken only when it does not parse (IQ_EREFUSED): a file
		 * that cannot be read or a libyaml or libmd that cannot be
		 * loaded is no fault of the file, and removing it, as
		 * "broken" advises, would lose the local edits for nothing.
		 */
		if (rc == IQ_EREFUSED)
			iq_err_prefix(err,
				      "policy %s: the tool's drop-in is broken "
				      "(fix or remove it)",
				      verb);
		else
			iq_err_prefix(err, "policy %s: nothing written", verb);
		goto out_unlock;
	}
	if (pcmd_load_merged(ctx, NULL, &before, err) == IQ_OK)
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

		rc = pcmd_load_merged(ctx, &t, &merged, err);
		have_merged = rc == IQ_OK;
	}
	if (rc == IQ_OK) {
		struct host_check hc;

		rc = pcmd_check_host(ctx, &merged, false, &hc, err);
		rc = pcmd_report_findings(ctx, &hc, rc, err);
		if (rc == IQ_OK && !hc.host)
			run_verbose(ctx, "not checked against a host: %s",
				    hc.host_why);
		if (rc == IQ_OK && hc.icm_why[0])
			run_verbose(ctx,
				    "caps not checked against device "
				    "ICM: %s",
				    hc.icm_why);
		pcmd_free_host_check(&hc);
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
