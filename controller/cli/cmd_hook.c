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
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "controller/cli/cli.h"
#include "controller/cli/help.h"
#include "controller/core/lifecycle.h"
#include "lib/file.h"

enum hook_action {
	HOOK_NONE,
	HOOK_START,	/* prepare begin, incoming migrate/restore begin */
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
	syslog(LOG_ERR, "VM %s: %s", vm, err->msg);
	/*
	 * Only a start can be refused. A non-zero exit at started or
	 * reconnect makes libvirt kill a running guest, and at stop it
	 * changes nothing: there the failure is logged, and `icmquota
	 * apply` repairs the caps later.
	 */
	if (action != HOOK_START)
		return IQ_OK;
	if (!strcmp(ctx->on_error, "allow")) {
		syslog(LOG_WARNING,
		       "VM %s starts WITHOUT ICM caps (on_error = allow)", vm);
		return IQ_OK;
	}
	iq_err_prefix(err, "VM %s not started", vm);
	return rc;
}

/*
 * A VM with no PCI passthrough has no VF to cap: the hook leaves it alone
 * and costs near nothing. Its stop still closes a journal entry if one
 * exists (a VF hot-unplugged before the stop), found without the lock.
 */
/*
 * Whether the journal may hold VM name, without parsing it (a fleet host's
 * journal is hundreds of kB): the journal writes a name as a JSON string,
 * so a plain name (nothing JSON escapes) absent from the text as "NAME"
 * is not journalled. Anything else, a missing or unreadable journal
 * included, says "may": the parse decides.
 */
static bool journal_may_name(const char *path, const char *name)
{
	struct iq_err ignored = {0};
	char quoted[sizeof(((struct vm_facts *)0)->name) + 2];
	char *text = NULL;
	size_t len = 0;
	bool may;

	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("._+:@-", *c))
			return true;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return false; /* no journal: nothing journalled */
	if (file_read_all(path, &text, &len, &ignored))
		return true;
	snprintf(quoted, sizeof(quoted), "\"%s\"", name);
	may = memmem(text, len, quoted, strlen(quoted)) != NULL;
	free(text);
	return may;
}

static bool hook_has_work(struct run_ctx *ctx, enum hook_action action,
			  const struct vm_facts *vm)
{
	struct state journal;
	struct iq_err ignored = {0};
	bool known;

	if (vm->npci > 0)
		return true;
	if (action != HOOK_STOP || ctx->config_rc)
		return false;
	if (!journal_may_name(ctx->state_path, vm->name))
		return false;
	if (state_load(ctx->state_path, &journal, &ignored))
		return true; /* let the locked run report it */
	known = state_find_vm(&journal, vm->name) != NULL;
	state_free(&journal);
	return known;
}

static int run_action(struct run_ctx *ctx, enum hook_action action,
		      const struct vm_facts *vm, struct iq_err *err)
{
	struct lifecycle_result r = {0};
	struct session s;
	int rc;

	rc = session_open(ctx,
			  SESSION_LOCK | SESSION_POLICY | SESSION_STATE |
				  SESSION_FIRMWARE,
			  &s, err);
	if (rc)
		return hook_failure(ctx, vm->name, action, rc, err);
	s.counted.v[CNT_HOOK_CALLS]++;
	switch (action) {
	case HOOK_START:
		rc = lifecycle_vm_start(&s, vm, "libvirt-hook", &r, err);
		break;
	case HOOK_RECONCILE:
		rc = lifecycle_vm_reconcile(&s, vm, "libvirt-hook", &r, err);
		break;
	case HOOK_VERIFY:
		rc = lifecycle_vm_verify(&s, vm, &r, err);
		if (rc == IQ_OK && r.mismatches)
			/* Loud, not fatal: the guest is already starting. */
			syslog(LOG_ERR,
			       "VM %s: %zu VF cap%s differ from what was "
			       "programmed at prepare (run icmquota apply)",
			       vm->name, r.mismatches,
			       r.mismatches == 1 ? "" : "s");
		break;
	case HOOK_STOP:
		rc = lifecycle_vm_stop(&s, vm, vm->name, &r, err);
		break;
	case HOOK_NONE:
		break;
	}
	if (rc == IQ_OK) {
		if (r.unsupported_vfs)
			syslog(LOG_WARNING,
			       "VM %s: %u VF(s) on PFs without VHCA_ICM_CTRL "
			       "run "
			       "UNCAPPED",
			       vm->name, r.unsupported_vfs);
		if (r.adm.message[0])
			syslog(LOG_NOTICE, "%s", r.adm.message);
	} else if (rc == IQ_EREFUSED && action == HOOK_START) {
		/* What virsh start shows the user: one line. */
		syslog(LOG_ERR, "%s", err->msg);
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
	memset(&vm, 0, sizeof(vm));
	snprintf(label, sizeof(label), "domain XML of %s on stdin", argv[3]);
	rc = read_stdin(&xml, &len, err);
	if (rc == IQ_OK && len == 0)
		rc = iq_fail(err, IQ_EREFUSED, "%s: empty", label);
	if (rc == IQ_OK && !memmem(xml, len, "hostdev", 7)) {
		/*
		 * A PCI device reaches a guest only through <hostdev> or
		 * <interface type='hostdev'>: without the word, the domain
		 * has no VF, and the XML need not be parsed (nor libxml2
		 * loaded). Name it as libvirt does.
		 */
		snprintf(vm.name, sizeof(vm.name), "%s", argv[3]);
	} else if (rc == IQ_OK) {
		rc = vm_from_libvirt_xml(xml, len, label, &vm, err);
	}
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
