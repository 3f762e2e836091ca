// SPDX-License-Identifier: MIT
/* icmquota hwm reset: start collecting high-water marks afresh. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/cli/cli.h"
#include "controller/cli/help.h"
#include "controller/core/hwm.h"
#include "controller/core/session.h"
#include "lib/json.h"
#include "lib/pci.h"
#include "lib/size.h"

struct target {
	struct host_pf *pf;
	struct host_vf *vf;
};

static int add_target(struct target **t, size_t *n, struct host_pf *pf,
		      struct host_vf *vf, struct iq_err *err)
{
	struct target *grown;

	for (size_t i = 0; i < *n; i++)
		if ((*t)[i].vf == vf)
			return IQ_OK;
	grown = realloc(*t, (*n + 1) * sizeof(**t));
	if (!grown)
		return iq_fail(err, IQ_EENV, "out of memory");
	*t = grown;
	grown[*n].pf = pf;
	grown[*n].vf = vf;
	(*n)++;
	return IQ_OK;
}

/* The VFs the options name, in host order for --all. */
static int select_targets(struct session *s, char **vfs, size_t nvfs,
			  const char *vm, bool all, struct target **t,
			  size_t *n, struct iq_err *err)
{
	int rc = IQ_OK;

	for (size_t i = 0; rc == IQ_OK && i < nvfs; i++) {
		char pci[PCI_ADDR_LEN];
		struct host_pf *pf = NULL;
		struct host_vf *vf = NULL;

		/* Not an address: usage; an address not here: refused. */
		if (!pci_addr_normalize(vfs[i], pci))
			return iq_fail(err, IQ_EUSAGE,
				       "hwm reset --vf '%s': not a PCI address "
				       "(DDDD:BB:SS.F)",
				       vfs[i]);
		vf = host_find_vf(&s->host, pci, &pf);
		if (!vf && host_find_pf(&s->host, pci))
			return iq_fail(
				err, IQ_EREFUSED,
				"hwm reset --vf %s: a PF, not a VF: name "
				"its VFs, or --all (see icmquota "
				"status)",
				pci);
		if (!vf)
			return iq_fail(
				err, IQ_EREFUSED,
				"hwm reset --vf %s: not a ConnectX VF on "
				"this host (see icmquota status)",
				pci);
		rc = add_target(t, n, pf, vf, err);
	}
	if (vm) {
		struct state_vm *svm = state_find_vm(&s->state, vm);
		size_t found = 0;

		if (!svm)
			return iq_fail(
				err, IQ_EREFUSED,
				"hwm reset --vm %s: no running VM of that "
				"name in %s (see icmquota status)",
				vm, s->ctx->state_path);
		for (size_t i = 0; rc == IQ_OK && i < svm->facts.npci; i++) {
			struct host_pf *pf = NULL;
			struct host_vf *vf =
				host_find_vf(&s->host, svm->facts.pci[i], &pf);

			if (!vf)
				continue;
			found++;
			rc = add_target(t, n, pf, vf, err);
		}
		if (rc == IQ_OK && !found)
			return iq_fail(err, IQ_EREFUSED,
				       "hwm reset --vm %s: the VM has no "
				       "ConnectX VF on this host",
				       vm);
	}
	for (size_t p = 0; all && rc == IQ_OK && p < s->host.npfs; p++) {
		struct host_pf *pf = &s->host.pfs[p];

		if (!pf->supported) {
			run_note(s->ctx, "%s: no VHCA_ICM_CTRL (%s): skipped",
				 pf->pci, pf->unsupported_why);
			continue;
		}
		for (size_t v = 0; rc == IQ_OK && v < pf->nvfs; v++)
			rc = add_target(t, n, pf, &pf->vfs[v], err);
	}
	return rc;
}

int cmd_hwm(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	static const struct option opts[] = {
		{"vf", required_argument, NULL, 'f'},
		{"vm", required_argument, NULL, 'm'},
		{"all", no_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	char **vfs = calloc((size_t)argc + 1, sizeof(*vfs));
	size_t nvfs = 0, n = 0;
	const char *vm = NULL;
	bool all = false;
	struct target *t = NULL;
	struct hwm_reset *res = NULL;
	json_object *rows = NULL;
	struct session s;
	int c, rc = IQ_OK;

	if (!vfs)
		return iq_fail(err, IQ_EENV, "out of memory");
	if (argc < 2 || strcmp(argv[1], "reset") != 0) {
		bool help = argc >= 2 && (!strcmp(argv[1], "-h") ||
					  !strcmp(argv[1], "--help"));

		free(vfs);
		if (help) {
			help_print_command(ctx->out, help_find("hwm"));
			return IQ_OK;
		}
		return iq_fail(err, IQ_EUSAGE,
			       "hwm: give an action: reset (see icmquota hwm "
			       "--help)");
	}
	optind = 1;
	opterr = 0;
	while (rc == IQ_OK &&
	       (c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			vfs[nvfs++] = optarg;
			break;
		case 'm':
			vm = optarg;
			break;
		case 'a':
			all = true;
			break;
		case 'h':
			free(vfs);
			help_print_command(ctx->out, help_find("hwm"));
			return IQ_OK;
		default:
			rc = iq_fail(err, IQ_EUSAGE,
				     "hwm reset: unknown option or missing "
				     "value: '%s' (see icmquota hwm --help)",
				     argv[optind]);
		}
	}
	if (rc == IQ_OK && optind < argc - 1)
		rc = iq_fail(err, IQ_EUSAGE,
			     "hwm reset: unexpected argument '%s'",
			     argv[optind + 1]);
	if (rc == IQ_OK && (!!nvfs + !!vm + all) != 1)
		rc = iq_fail(err, IQ_EUSAGE,
			     "hwm reset: name what to reset: --vf PCI "
			     "(repeatable), --vm NAME or --all");
	/* A firmware write: privileges first (cli.h). */
	if (rc == IQ_OK)
		rc = cli_require_privileges(ctx, "hwm reset", err);
	if (rc) {
		free(vfs);
		return rc;
	}
	rc = session_open(ctx, SESSION_LOCK | SESSION_STATE | SESSION_FIRMWARE,
			  &s, err);
	if (rc) {
		free(vfs);
		return rc;
	}
	rc = select_targets(&s, vfs, nvfs, vm, all, &t, &n, err);
	res = calloc(n ? n : 1, sizeof(*res));
	if (rc == IQ_OK && !res)
		rc = iq_fail(err, IQ_EENV, "out of memory");
	for (size_t i = 0; rc == IQ_OK && i < n; i++)
		rc = hwm_reset_vf(&s.state, t[i].pf, t[i].vf,
				  (int64_t)time(NULL), &res[i], err);
	/* The batch of commands ends here: the resets take effect. */
	{
		struct iq_err flush_err = {0};
		int frc = host_fw_flush(&s.host, &flush_err);

		if (rc == IQ_OK && frc) {
			rc = frc;
			*err = flush_err;
		}
	}
	/* What was reset is journalled, even when a later VF failed. */
	if (n) {
		struct iq_err save_err = {0};
		int src = session_save_state(&s, &save_err);

		if (rc == IQ_OK && src) {
			rc = src;
			*err = save_err;
		}
	}
	if (rc == IQ_OK && ctx->json) {
		rows = json_object_new_array();
		for (size_t i = 0; i < n; i++) {
			json_object *o = json_object_new_object();

			json_object_object_add(
				o, "vf",
				json_object_new_string(res[i].vf->pci));
			json_object_object_add(
				o, "pf",
				json_object_new_string(res[i].pf->pci));
			json_object_object_add(
				o, "vhca_id",
				json_object_new_int(res[i].vf->vhca_id));
			json_object_object_add(o, "max_reached_before_bytes",
					       json_size(icm_pages_to_bytes(
						       res[i].before_pages)));
			json_object_object_add(o, "max_reached_bytes",
					       json_size(icm_pages_to_bytes(
						       res[i].after_pages)));
			json_object_object_add(o, "cur_bytes",
					       json_size(icm_pages_to_bytes(
						       res[i].cur_pages)));
			json_object_object_add(
				o, "group_id",
				json_object_new_int(res[i].group_id));
			json_object_object_add(
				o, "since",
				json_object_new_int64(res[i].since));
			json_object_array_add(rows, o);
		}
		json_print(ctx->out, rows);
	} else if (rc == IQ_OK) {
		fprintf(ctx->out, "%-13s %-6s %-12s %-12s %s\n", "VF", "VHCA",
			"HWM BEFORE", "HWM NOW", "COLLECTING SINCE");
		for (size_t i = 0; i < n; i++) {
			char b[32], a[32], since[64];

			size_format(icm_pages_to_bytes(res[i].before_pages), b,
				    sizeof(b));
			size_format(icm_pages_to_bytes(res[i].after_pages), a,
				    sizeof(a));
			hwm_since_text(&s.state, res[i].vf->pci, since,
				       sizeof(since));
			fprintf(ctx->out, "%-13s 0x%-4x %-12s %-12s %s\n",
				res[i].vf->pci, res[i].vf->vhca_id, b, a,
				since);
		}
		fprintf(ctx->out,
			"hwm reset: %zu VF%s (the mark restarts at the "
			"current allocation)\n",
			n, n == 1 ? "" : "s");
	}
	session_close(&s);
	free(t);
	free(res);
	free(vfs);
	return rc;
}
