// SPDX-License-Identifier: MIT
/* icmquota policy validate|show: the gate for fleet config management. */
#include <getopt.h>
#include <string.h>

#include "controller/cli/cli.h"
#include "controller/cli/help.h"
#include "controller/core/session.h"
#include "lib/json.h"
#include "lib/size.h"

/*
 * Caps against every PF's total ICM, when the host's firmware can be
 * reached. Unreachable is not invalid: it is said, and validate passes.
 */
static int check_devices(struct run_ctx *ctx, const struct policy *policy,
			 size_t *checked, char *why, size_t why_len,
			 struct iq_err *err)
{
	struct session s;
	struct iq_err host_err = {0};
	int rc;

	*checked = 0;
	if (session_open(ctx, SESSION_FIRMWARE, &s, &host_err)) {
		snprintf(why, why_len, "%s", host_err.msg);
		return IQ_OK;
	}
	rc = IQ_OK;
	for (size_t p = 0; p < s.host.npfs && rc == IQ_OK; p++) {
		if (!s.host.pfs[p].supported)
			continue;
		rc = policy_check_device(policy, s.host.pfs[p].pci,
					 s.host.pfs[p].total_icm_bytes, err);
		*checked += rc == IQ_OK;
	}
	if (s.host.npfs == 0)
		snprintf(why, why_len, "no ConnectX PF on this host");
	session_close(&s);
	return rc;
}

static int validate(struct run_ctx *ctx, const char *file, struct iq_err *err)
{
	struct policy policy;
	char why[1024] = "";
	size_t checked = 0;
	int rc = policy_load(file, &policy, err);

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
	rc = check_devices(ctx, &policy, &checked, why, sizeof(why), err);
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "file", json_object_new_string(file));
		json_object_object_add(o, "valid",
				       json_object_new_boolean(rc == IQ_OK));
		json_object_object_add(o, "error",
				       rc ? json_object_new_string(err->msg)
					  : NULL);
		json_object_object_add(o, "digest",
				       json_object_new_string(policy.digest));
		json_object_object_add(o, "devices_checked",
				       json_object_new_uint64(checked));
		json_object_object_add(o, "devices_not_checked_why",
				       why[0] ? json_object_new_string(why)
					      : NULL);
		json_print(ctx->out, o);
	} else if (rc == IQ_OK) {
		fprintf(ctx->out,
			"%s: valid (%zu classes, %zu vms rules, %zu device "
			"rules; "
			"caps checked against %zu PFs)\n",
			file, policy.nclasses, policy.nvms, policy.ndevices,
			checked);
		if (why[0])
			run_note(ctx, "caps not checked against device ICM: %s",
				 why);
	}
	policy_free(&policy);
	return rc;
}

static void show_size(FILE *out, const char *key, const struct policy_size *sz)
{
	char h[32];

	size_format(sz->bytes, h, sizeof(h));
	fprintf(out, "  %s: %s%s\n", key, h,
		sz->pos.line ? "" : "  # built-in");
}

static void show(struct run_ctx *ctx, const struct policy *p)
{
	static const char *const admission[] = {"strict", "scale", "warn"};
	static const char *const hugepages[] = {"observe", "manage"};
	FILE *out = ctx->out;
	char h[32];

	if (ctx->json) {
		json_object *o = json_object_new_object();
		json_object *host = json_object_new_object();
		json_object *defaults = json_object_new_object();
		json_object *classes = json_object_new_object();
		json_object *vms = json_object_new_array();
		json_object *devices = json_object_new_object();

		json_object_object_add(o, "version", json_object_new_int(1));
		json_object_object_add(o, "file",
				       json_object_new_string(p->path));
		json_object_object_add(o, "digest",
				       json_object_new_string(p->digest));
		json_object_object_add(host, "reserve",
				       json_size(p->reserve.bytes));
		json_object_object_add(
			host, "admission",
			json_object_new_string(admission[p->admission]));
		json_object_object_add(
			host, "hugepages",
			json_object_new_string(hugepages[p->hugepages]));
		json_object_object_add(o, "host", host);
		json_object_object_add(defaults, "vf_cap",
				       json_size(p->vf_cap.bytes));
		json_object_object_add(defaults, "idle_vf_cap",
				       json_size(p->idle_vf_cap.bytes));
		json_object_object_add(defaults, "min_vf_cap",
				       json_size(p->min_vf_cap.bytes));
		json_object_object_add(o, "defaults", defaults);
		for (size_t i = 0; i < p->nclasses; i++) {
			json_object *c = json_object_new_object();

			if (p->classes[i].vf_cap.set)
				json_object_object_add(
					c, "vf_cap",
					json_size(p->classes[i].vf_cap.bytes));
			json_object_object_add(classes, p->classes[i].name, c);
		}
		json_object_object_add(o, "classes", classes);
		for (size_t i = 0; i < p->nvms; i++) {
			const struct policy_vm_rule *r = &p->vms[i];
			json_object *j = json_object_new_object();
			json_object *m = json_object_new_object();

			if (r->name_glob[0])
				json_object_object_add(
					m, "name",
					json_object_new_string(r->name_glob));
			if (r->uuid[0])
				json_object_object_add(
					m, "uuid",
					json_object_new_string(r->uuid));
			json_object_object_add(j, "match", m);
			if (r->class_name[0])
				json_object_object_add(
					j, "class",
					json_object_new_string(r->class_name));
			if (r->vf_cap.set)
				json_object_object_add(
					j, "vf_cap",
					json_size(r->vf_cap.bytes));
			json_object_array_add(vms, j);
		}
		json_object_object_add(o, "vms", vms);
		for (size_t i = 0; i < p->ndevices; i++) {
			json_object *d = json_object_new_object();

			json_object_object_add(
				d, "vf_cap",
				json_size(p->devices[i].vf_cap.bytes));
			json_object_object_add(devices, p->devices[i].pci, d);
		}
		json_object_object_add(o, "devices", devices);
		json_print(out, o);
		return;
	}
	fprintf(out, "# %s (sha256 %s)\nversion: 1\nhost:\n", p->path,
		p->digest);
	show_size(out, "reserve", &p->reserve);
	fprintf(out, "  admission: %s\n  hugepages: %s\ndefaults:\n",
		admission[p->admission], hugepages[p->hugepages]);
	show_size(out, "vf_cap", &p->vf_cap);
	show_size(out, "idle_vf_cap", &p->idle_vf_cap);
	show_size(out, "min_vf_cap", &p->min_vf_cap);
	if (p->nclasses)
		fprintf(out, "classes:\n");
	for (size_t i = 0; i < p->nclasses; i++) {
		size_format(p->classes[i].vf_cap.bytes, h, sizeof(h));
		fprintf(out, "  %s: { vf_cap: %s }\n", p->classes[i].name,
			p->classes[i].vf_cap.set ? h : "(default)");
	}
	if (p->nvms)
		fprintf(out, "vms:\n");
	for (size_t i = 0; i < p->nvms; i++) {
		const struct policy_vm_rule *r = &p->vms[i];

		fprintf(out, "  - match: {");
		if (r->name_glob[0])
			fprintf(out, " name: \"%s\"%s", r->name_glob,
				r->uuid[0] ? "," : "");
		if (r->uuid[0])
			fprintf(out, " uuid: \"%s\"", r->uuid);
		fprintf(out, " }\n");
		if (r->class_name[0])
			fprintf(out, "    class: %s\n", r->class_name);
		if (r->vf_cap.set) {
			size_format(r->vf_cap.bytes, h, sizeof(h));
			fprintf(out, "    vf_cap: %s\n", h);
		}
	}
	if (p->ndevices)
		fprintf(out, "devices:\n");
	for (size_t i = 0; i < p->ndevices; i++) {
		size_format(p->devices[i].vf_cap.bytes, h, sizeof(h));
		fprintf(out, "  \"%s\": { vf_cap: %s }\n", p->devices[i].pci,
			h);
	}
}

int cmd_policy(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	struct policy policy;
	int rc;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		help_print_command(argc < 2 ? ctx->log : ctx->out,
				   help_find("policy"));
		return argc < 2 ? IQ_EUSAGE : IQ_OK;
	}
	if (!strcmp(argv[1], "validate")) {
		if (argc > 3)
			return iq_fail(err, IQ_EUSAGE,
				       "policy validate: one FILE at most");
		return validate(ctx, argc == 3 ? argv[2] : ctx->policy_path,
				err);
	}
	if (!strcmp(argv[1], "show")) {
		if (argc > 2)
			return iq_fail(err, IQ_EUSAGE,
				       "policy show: unexpected argument '%s'",
				       argv[2]);
		rc = policy_load(ctx->policy_path, &policy, err);
		if (rc)
			return rc;
		show(ctx, &policy);
		policy_free(&policy);
		return IQ_OK;
	}
	return iq_fail(err, IQ_EUSAGE,
		       "policy: unknown action '%s' (validate, show)", argv[1]);
}
