// SPDX-License-Identifier: MIT
/*
 * icmquota hook libvirt qemu NAME OPERATION SUB_OPERATION EXTRA
 *
 * Run by libvirtd (through /etc/libvirt/hooks/qemu.d/icmquota) with the
 * domain XML on stdin and almost no environment: settings come from the
 * settings file. Never calls back into libvirt (that would deadlock the
 * daemon). Operations that do not concern caps return at once.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "controller/cli/cli.h"
#include "controller/cli/help.h"
#include "controller/core/lifecycle.h"
#include "lib/file.h"
#include "lib/text.h"

/*
 * What the hook has to say on a call that succeeds: to syslog, and to
 * stderr, which libvirtd keeps in its log (and a person running the hook
 * by hand sees). A refusal's one line is printed by main, not here.
 */
static void hook_log(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* syslog only (a failure's line reaches stderr through main), escaped. */
__attribute__((format(printf, 2, 3))) static void
hook_syslog(int priority, const char *fmt, ...)
{
	char line[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	text_escape_inplace(line, sizeof(line));
	syslog(priority, "%s", line);
}

static void hook_log(int priority, const char *fmt, ...)
{
	char line[1536];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Names from outside: control characters as \xNN (lib/text.h). */
	text_escape_inplace(line, sizeof(line));
	syslog(priority, "%s", line);
	fprintf(stderr, "icmquota: %s\n", line);
}

enum hook_action {
	HOOK_NONE,
	HOOK_START,	/* prepare begin, incoming migrate/restore begin */
	HOOK_RESOLVE,	/* start begin: network interfaces resolved */
	HOOK_VERIFY,	/* started begin */
	HOOK_STOP,	/* stopped end, release end */
	HOOK_RECONCILE, /* reconnect begin (libvirtd restarted) */
};

static enum hook_action hook_action_of(const char *op, const char *subop)
{
	if (!strcmp(subop, "begin") &&
	    (!strcmp(op, "prepare") || !strcmp(op, "migrate") ||
	     !strcmp(op, "restore")))
		return HOOK_START;
	if (!strcmp(op, "start") && !strcmp(subop, "begin"))
		return HOOK_RESOLVE;
	if (!strcmp(op, "started") && !strcmp(subop, "begin"))
		return HOOK_VERIFY;
	if (!strcmp(subop, "end") &&
	    (!strcmp(op, "stopped") || !strcmp(op, "release")))
		return HOOK_STOP;
	if (!strcmp(op, "reconnect") && !strcmp(subop, "begin"))
		return HOOK_RECONCILE;
	return HOOK_NONE;
}

static int read_stdin(char **buf, size_t *len, struct iq_err *err)
{
	size_t cap = 16384, used = 0;
	char *data = malloc(cap + 1);

	if (!data)
		return iq_fail(err, IQ_EENV, "out of memory");
	for (;;) {
		ssize_t n;

		if (used > VM_XML_MAX_BYTES) {
			free(data);
			return iq_fail(err, IQ_EREFUSED,
				       "domain XML on stdin: larger than %u "
				       "bytes (not a libvirt domain)",
				       VM_XML_MAX_BYTES);
		}
		if (used == cap) {
			char *grown = realloc(data, cap * 2 + 1);

			if (!grown) {
				free(data);
				return iq_fail(err, IQ_EENV, "out of memory");
			}
			data = grown;
			cap *= 2;
		}
		n = read(STDIN_FILENO, data + used, cap - used);
		if (n == 0)
			break;
		if (n < 0) {
			free(data);
			return iq_fail(err, IQ_EENV,
				       "cannot read the domain XML on stdin");
		}
		used += (size_t)n;
	}
	data[used] = '\0';
	*buf = data;
	*len = used;
	return IQ_OK;
}

/*
 * on_error decides what a failure that is not a refusal does to a start:
 * deny (default) fails the start, allow lets it run and says so loudly.
 */
static int hook_failure(struct run_ctx *ctx, const char *vm,
			enum hook_action action, int rc, struct iq_err *err)
{
	hook_syslog(LOG_ERR, "VM %s: %s", vm, err->msg);
	/*
	 * Only a start can be refused. A non-zero exit at started or
	 * reconnect makes libvirt kill a running guest, and at stop it
	 * changes nothing: there the failure is logged, and `icmquota
	 * apply` repairs the caps later.
	 */
	if (action != HOOK_START && action != HOOK_RESOLVE)
		return IQ_OK;
	if (!strcmp(ctx->on_error, "allow")) {
		hook_syslog(LOG_WARNING,
			    "VM %s starts WITHOUT ICM caps (on_error = allow)",
			    vm);
		return IQ_OK;
	}
	iq_err_prefix(err, "VM %s not started", vm);
	return rc;
}

/* The VM's PCI devices are exactly those the journal holds for it. */
static bool same_devices(const struct vm_facts *a, const struct vm_facts *b)
{
	if (a->npci != b->npci)
		return false;
	for (size_t i = 0; i < a->npci; i++)
		if (strcmp(a->pci[i], b->pci[i]) != 0)
			return false;
	return true;
}

/*
 * Every VM counts in the memory split, VFs or not: a start, stop or
 * reconnect is journalled for every VM (one without VFs costs no firmware
 * command). `start begin` has work only when the devices differ from what
 * prepare journalled (a VF libvirt resolved from a hostdev network) or the
 * VM is pending; `started` only for a VM with PCI devices. Decided from
 * the journal without the lock; the locked run decides again.
 */
static bool hook_has_work(struct run_ctx *ctx, enum hook_action action,
			  const struct vm_facts *vm)
{
	struct state journal;
	struct iq_err ignored = {0};
	const struct state_vm *svm;
	bool work;

	if (action == HOOK_VERIFY)
		return vm->npci > 0 || vm->hidden_vfs > 0;
	if (vm->hidden_vfs || ctx->config_rc || action != HOOK_RESOLVE)
		return true;
	if (state_load(ctx->state_path, &journal, &ignored))
		return true; /* let the locked run report it */
	svm = state_find_vm(&journal, vm->name);
	work = !svm || svm->facts.pending_ifaces > 0 ||
	       !same_devices(&svm->facts, vm);
	state_free(&journal);
	return work;
}

/*
 * A VF libvirt took from a hostdev network but did not put in the hook's
 * XML: the hook cannot cap it. At start begin a failure (on_error decides:
 * deny refuses the start), at started an error in the log.
 */
static int hidden_vf_error(const struct vm_facts *vm, struct iq_err *err)
{
	return iq_fail(
		err, IQ_EENV,
		"VM %s: %u <interface type='network'> with a VF from a "
		"hostdev network (alias hostdevN) whose PCI address "
		"libvirt does not give the hook: it cannot be capped "
		"here; pass the VF as <hostdev> or <interface "
		"type='hostdev'>, or set on_error = allow and run "
		"icmquota apply (it reads the live XML) once the VM runs",
		vm->name, vm->hidden_vfs);
}

static int run_action(struct run_ctx *ctx, enum hook_action action,
		      const struct vm_facts *vm, struct iq_err *err)
{
	struct lifecycle_result r = {0};
	struct session s;
	int rc;

	/*
	 * A policy or journal others could write (lib/file.h) refuses a start
	 * whatever on_error says: allow is for failures, not for files an
	 * attacker may have written.
	 */
	if (action == HOOK_START &&
	    ((rc = file_check_trusted(ctx->policy_path, "the policy", err)) ||
	     (rc = file_check_trusted(ctx->state_path, "the journal", err)))) {
		iq_err_prefix(err, "VM %s not started", vm->name);
		hook_syslog(LOG_ERR, "%s", err->msg); /* main prints it */
		return rc;
	}
	/* A VM without PCI devices needs no firmware channel. */
	rc = session_open(ctx,
			  SESSION_LOCK | SESSION_POLICY | SESSION_STATE |
				  (vm->npci ? SESSION_FIRMWARE : SESSION_HOST),
			  &s, err);
	if (rc)
		return hook_failure(ctx, vm->name, action, rc, err);
	/* VFs the journal gave it (hot-unplugged since): their caps move. */
	if (!vm->npci) {
		const struct state_vm *svm = state_find_vm(&s.state, vm->name);

		if (svm && svm->facts.npci)
			rc = session_open_firmware(&s, err);
		if (rc) {
			session_close(&s);
			return hook_failure(ctx, vm->name, action, rc, err);
		}
	}
	s.counted.v[CNT_HOOK_CALLS]++;
	switch (action) {
	case HOOK_START:
		rc = lifecycle_vm_start(&s, vm, "libvirt-hook", &r, err);
		if (rc == IQ_OK && vm->pending_ifaces)
			hook_log(LOG_NOTICE,
				 "VM %s: %u <interface type='network'> not "
				 "resolved at prepare: admitted for what is "
				 "known, pending until start begin",
				 vm->name, vm->pending_ifaces);
		break;
	case HOOK_RESOLVE:
		/* The resolved XML: VFs of hostdev networks are in it, and
		 * what is still type='network' is no VF. A refusal here
		 * aborts the start. */
		if (vm->hidden_vfs) {
			rc = hidden_vf_error(vm, err);
			break;
		}
		rc = lifecycle_vm_start(&s, vm, "libvirt-hook", &r, err);
		break;
	case HOOK_RECONCILE:
		rc = lifecycle_vm_reconcile(&s, vm, "libvirt-hook", &r, err);
		break;
	case HOOK_VERIFY:
		if (vm->hidden_vfs) {
			struct iq_err why = {0};

			hidden_vf_error(vm, &why);
			hook_log(LOG_ERR, "%s", why.msg);
		}
		rc = lifecycle_vm_verify(&s, vm, &r, err);
		if (rc == IQ_OK && r.mismatches)
			/* Loud, not fatal: the guest is already starting. */
			hook_log(LOG_ERR,
				 "VM %s: %zu VF cap%s differ from what was "
				 "programmed at prepare or start begin (run "
				 "icmquota apply)",
				 vm->name, r.mismatches,
				 r.mismatches == 1 ? "" : "s");
		if (rc == IQ_OK && r.uncapped) {
			/* A VF that came after start begin: cap it now
			 * (no admission: refusing a running guest would
			 * kill it), and say so. */
			char first[PCI_ADDR_LEN];
			size_t n = r.uncapped;

			snprintf(first, sizeof(first), "%s", r.uncapped_pci);
			lifecycle_result_free(&r);
			rc = lifecycle_vm_reconcile(&s, vm, "libvirt-hook", &r,
						    err);
			hook_log(
				LOG_ERR,
				"VM %s: %zu VF%s (%s%s) in the domain at "
				"started "
				"that nothing capped at prepare or start begin "
				"(added by libvirt after start begin?): %s; "
				"check the split with icmquota status%s",
				vm->name, n, n == 1 ? "" : "s", first,
				n > 1 ? ", ..." : "",
				rc == IQ_OK ? "capped now without admission"
					    : "NOT capped",
				rc == IQ_OK ? "" : ", then run icmquota apply");
		}
		break;
	case HOOK_STOP:
		rc = lifecycle_vm_stop(&s, vm, vm->name, &r, err);
		break;
	case HOOK_NONE:
		break;
	}
	if (rc == IQ_OK) {
		if (r.unsupported_vfs)
			hook_log(LOG_WARNING,
				 "VM %s: %u VF(s) on PFs without VHCA_ICM_CTRL "
				 "run "
				 "UNCAPPED",
				 vm->name, r.unsupported_vfs);
		if (r.adm.message[0])
			hook_log(LOG_NOTICE, "%s", r.adm.message);
	} else if (rc == IQ_EREFUSED &&
		   (action == HOOK_START || action == HOOK_RESOLVE)) {
		/* What virsh start shows the user: one line. */
		hook_syslog(LOG_ERR, "%s", err->msg);
	} else {
		rc = hook_failure(ctx, vm->name, action, rc, err);
	}
	lifecycle_result_free(&r);
	session_close(&s);
	return rc;
}

int cmd_hook(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	enum hook_action action;
	struct vm_facts vm;
	char label[300];
	char *xml = NULL;
	size_t len = 0;
	int rc;

	if (argc >= 2 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		help_print_command(ctx->out, help_find("hook"));
		return IQ_OK;
	}
	if (argc < 6 || strcmp(argv[1], "libvirt") || strcmp(argv[2], "qemu"))
		return iq_fail(
			err, IQ_EUSAGE,
			"usage: icmquota hook libvirt qemu NAME OPERATION "
			"SUB_OPERATION [EXTRA]");
	action = hook_action_of(argv[4], argv[5]);
	/* Everything else (start begin, attach, ...): nothing to do. */
	if (action == HOOK_NONE)
		return IQ_OK;
	openlog("icmquota", LOG_PID, LOG_DAEMON);
	/* libvirtd runs hooks as root; anyone else is told so first. */
	rc = cli_require_privileges(ctx, "hook", err);
	if (rc) {
		hook_syslog(LOG_ERR, "VM %s: %s", argv[3], err->msg);
		closelog();
		return rc;
	}
	memset(&vm, 0, sizeof(vm));
	snprintf(label, sizeof(label), "domain XML of %s on stdin", argv[3]);
	rc = read_stdin(&xml, &len, err);
	if (rc == IQ_OK && len == 0)
		rc = iq_fail(err, IQ_EREFUSED, "%s: empty", label);
	/*
	 * Always parsed: every VM's memory counts in the split (VFs or
	 * not), and at prepare a VF may hide in <interface type='network'>.
	 */
	if (rc == IQ_OK)
		rc = vm_from_libvirt_xml(xml, len, label, &vm, err);
	/* Only prepare (and incoming migrate/restore) comes before libvirt
	 * allocates network ports: later, type='network' is no VF. */
	if (rc == IQ_OK && action != HOOK_START)
		vm.pending_ifaces = 0;
	if (rc == IQ_OK && action != HOOK_RESOLVE && action != HOOK_VERIFY)
		vm.hidden_vfs = 0;
	free(xml);
	if (rc == IQ_OK && !hook_has_work(ctx, action, &vm)) {
		/* No VF to cap and nothing journalled: near-zero cost. */
	} else if (rc == IQ_OK && ctx->config_rc) {
		/* Without its settings the hook cannot know it may let a VM
		 * run uncapped: only a start is refused. */
		iq_fail(err, IQ_EENV,
			"%s (the hook's settings; install them, see "
			"icmquota --help)",
			ctx->config_msg);
		rc = hook_failure(ctx, vm.name, action, IQ_EENV, err);
	} else if (rc) {
		rc = hook_failure(ctx, argv[3], action, rc, err);
	} else {
		rc = run_action(ctx, action, &vm, err);
	}
	vm_facts_free(&vm);
	closelog();
	return rc;
}
