// SPDX-License-Identifier: MIT
/*
 * icmquota policy show and policy diff: the merged policy, value by value
 * with the FILE:LINE:COL that set it, and what a candidate file changes.
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

/* --- show ---------------------------------------------------------------- */

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

void pcmd_collect(const struct policy *p, struct show_rows *r)
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

void pcmd_show(struct run_ctx *ctx, const struct policy *p, bool effective)
{
	struct show_rows r = {.effective = effective};
	FILE *out = ctx->out;

	pcmd_collect(p, &r);
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

/* --- diff ------------------------------------------------------------------ */

int pcmd_diff(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
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
	rc = pcmd_load_merged(ctx, &t, &with, err);
	if (rc) {
		free(text);
		return iq_err_prefix(err, "policy diff %s", file);
	}
	rc = pcmd_split_now_and_with(ctx, &with, &s, &now, &after, &split_after,
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
