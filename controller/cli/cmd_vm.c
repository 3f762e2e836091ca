// SPDX-License-Identifier: MIT
/* icmquota vm start|stop|inspect: one VM's lifecycle from the CLI. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "controller/cli/cli.h"
#include "controller/cli/help.h"
#include "controller/cli/report.h"
#include "controller/core/lifecycle.h"
#include "controller/sources/vm_ch.h"
#include "controller/sources/vm_source.h"
#include "lib/json.h"
#include "lib/text.h"

/* Print what a start/stop did: one line, the VFs touched, the split. */
static void print_result(struct run_ctx *ctx, struct session *s,
			 const char *verb, const char *vm_name,
			 struct lifecycle_result *r, bool with_split)
{
	unsigned long cmds = 0, writes = 0;
	char name[1024];

	host_fw_counts(&s->host, &cmds, &writes);
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "vm",
				       json_object_new_string(vm_name));
		json_object_object_add(o, "action",
				       json_object_new_string(verb));
		json_object_object_add(
			o, "vfs", report_plan_json(&s->policy, &r->plan, true));
		json_object_object_add(
			o, "uncapped_pfs",
			report_uncapped_pfs_json(&r->plan, true));
		json_object_object_add(o, "writes",
				       json_object_new_uint64(writes));
		json_object_object_add(o, "scaled",
				       json_object_new_boolean(r->adm.scaled));
		json_object_object_add(
			o, "released_hugepages",
			json_object_new_uint64(r->adm.released_hugepages));
		json_object_object_add(
			o, "message",
			r->adm.message[0]
				? json_object_new_string(r->adm.message)
				: NULL);
		json_object_object_add(
			o, "unsupported_vfs",
			json_object_new_int((int)r->unsupported_vfs));
		if (with_split)
			json_object_object_add(o, "split",
					       report_split_json(&r->split));
		json_print(ctx->out, o);
		return;
	}
	report_plan_table(ctx->out, &s->policy, &r->plan, true);
	if (with_split)
		report_split_table(ctx->out, &r->split);
	fprintf(ctx->out, "vm %s %s: %lu cap%s written\n",
		text_shown(vm_name, name, sizeof(name)), verb, writes,
		writes == 1 ? "" : "s");
}

static void warn_unsupported(struct run_ctx *ctx, const char *vm,
			     const struct lifecycle_result *r)
{
	/* Never a silent skip: a VF that cannot be capped is said aloud. */
	if (r->unsupported_vfs)
		run_note(ctx,
			 "warning: VM %s: %u VF%s on PFs without VHCA_ICM_CTRL "
			 "support run UNCAPPED (see icmquota status)",
			 vm, r->unsupported_vfs,
			 r->unsupported_vfs == 1 ? "" : "s");
	if (r->adm.message[0])
		run_note(ctx, "%s", r->adm.message);
}

int cmd_vm(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	static const struct option opts[] = {
		{"libvirt-xml", required_argument, NULL, 'x'},
		{"ch-socket", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	struct vm_source src = {0};
	char ch_name[256];
	struct vm_facts vm;
	struct session s;
	struct lifecycle_result r;
	const char *verb;
	int c, rc;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		help_print_command(argc < 2 ? ctx->log : ctx->out,
				   help_find("vm"));
		return argc < 2 ? IQ_EUSAGE : IQ_OK;
	}
	verb = argv[1];
	optind = 2;
	opterr = 0; /* our own one-line message instead */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'x':
			src.libvirt_xml = optarg;
			break;
		case 'c':
			src.ch_socket = optarg;
			break;
		case 'h':
			help_print_command(ctx->out, help_find("vm"));
			return IQ_OK;
		default:
			return iq_fail(err, IQ_EUSAGE,
				       "vm: unknown option or missing value: "
				       "'%s' (see icmquota vm --help)",
				       argv[optind - 1]);
		}
	}
	if (optind < argc)
		src.name = argv[optind++];
	if (optind < argc)
		return iq_fail(err, IQ_EUSAGE,
			       "vm %s: unexpected argument '%s'", verb,
			       argv[optind]);
	if (strcmp(verb, "start") && strcmp(verb, "stop") &&
	    strcmp(verb, "inspect"))
		return iq_fail(err, IQ_EUSAGE,
			       "vm: unknown action '%s' (start, stop, inspect)",
			       verb);
	if (!!src.libvirt_xml + !!src.ch_socket + !!src.name != 1 ||
	    (src.name && strcmp(verb, "stop")))
		return iq_fail(
			err, IQ_EUSAGE,
			"vm %s: name the VM with one of --libvirt-xml FILE, "
			"--ch-socket PATH%s",
			verb, strcmp(verb, "stop") ? "" : " or NAME");

	if (strcmp(verb, "inspect")) {
		char what[16];

		snprintf(what, sizeof(what), "vm %s", verb);
		rc = cli_require_privileges(ctx, what, err);
		if (rc)
			return rc;
	}
	memset(&vm, 0, sizeof(vm));
	if (!src.name) {
		rc = vm_source_load(&src, &vm, err);
		/*
		 * After shutdown a VMM may be gone or hold no VM: a stop then
		 * goes by the name the socket gives and the journal's VFs.
		 */
		if (rc && src.ch_socket && !strcmp(verb, "stop")) {
			struct iq_err name_err = {0};

			if (vm_ch_name_of_socket(src.ch_socket, ch_name,
						 sizeof(ch_name),
						 &name_err) == IQ_OK) {
				run_verbose(
					ctx,
					"%s; stopping VM %s from the journal",
					err->msg, ch_name);
				src.name = ch_name;
				rc = IQ_OK;
			}
		}
		if (rc)
			return rc;
	}
	if (!strcmp(verb, "inspect")) {
		rc = session_open(ctx, SESSION_HOST, &s, err);
		if (rc == IQ_OK) {
			if (ctx->json)
				json_print(ctx->out,
					   report_vm_json(&vm, &s.host));
			else
				report_vm_table(ctx->out, &vm, &s.host);
			session_close(&s);
		}
		vm_facts_free(&vm);
		return rc;
	}
	rc = session_open(ctx,
			  SESSION_LOCK | SESSION_POLICY | SESSION_STATE |
				  SESSION_FIRMWARE,
			  &s, err);
	if (rc) {
		vm_facts_free(&vm);
		return rc;
	}
	if (!strcmp(verb, "start")) {
		rc = lifecycle_vm_start(&s, &vm, src.ch_socket ? "ch" : "cli",
					&r, err);
		if (rc == IQ_OK) {
			warn_unsupported(ctx, vm.name, &r);
			print_result(ctx, &s, "start", vm.name, &r, true);
		}
	} else {
		rc = lifecycle_vm_stop(&s, src.name ? NULL : &vm, src.name, &r,
				       err);
		if (rc == IQ_OK)
			print_result(ctx, &s, "stop",
				     src.name ? src.name : vm.name, &r, false);
	}
	lifecycle_result_free(&r);
	session_close(&s);
	vm_facts_free(&vm);
	return rc;
}
