// SPDX-License-Identifier: MIT
/*
 * `icmquota sim show`, `sim refresh` and `sim inject`: looking at the
 * simulated firmware, recomputing the simulated host's counters, and
 * injecting firmware statuses (a reset in progress, a busy resource).
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "controller/cli/cli.h"
#include "controller/cli/help.h"
#include "controller/sim/cmd_sim.h"
#include "controller/core/host.h"
#include "controller/sim/sim_host.h"
#include "controller/sim/simfw.h"
#include "devx/codec.h"
#include "lib/json.h"
#include "lib/pci.h"
#include "lib/size.h"

const char sim_help_show[] =
	"icmquota --root DIR sim show [-j]\n"
	"  The simulated firmware of every PF: per function its vhca_id, cap,\n"
	"  current ICM, high-water mark and page requests granted and "
	"refused.\n";

const char sim_help_refresh[] =
	"icmquota --root DIR sim refresh\n"
	"  Recompute the debugfs counters and /proc/meminfo (after editing "
	"the\n"
	"  tree by hand, e.g. a pool's nr_hugepages).\n";

const char sim_help_inject[] =
	"icmquota --root DIR sim inject --status STATUS [--count N] [--after "
	"K]\n"
	"                                [--pf PCI]...\n"
	"  The next N firmware commands (default 1) to each PF (default every "
	"PF)\n"
	"  are answered with STATUS and change nothing: NOT_READY (0x07) as "
	"during\n"
	"  a firmware reset, RESOURCE_BUSY (0x06), or any status by name or "
	"0xNN.\n"
	"  --after K: the K commands before them are answered normally (a "
	"PF that\n"
	"  opens and answers its probe, then fails a read). --count 0 clears "
	"it.\n";

/* The PCI function behind a firmware function, from the tree. */
static const char *function_pci(struct host *host, const char *pf_pci,
				uint16_t function_id)
{
	struct host_pf *pf = host_find_pf(host, pf_pci);

	if (!pf)
		return "-";
	if (function_id == 0)
		return pf->pci;
	for (size_t i = 0; i < pf->nvfs; i++)
		if (pf->vfs[i].function_id == function_id)
			return pf->vfs[i].pci;
	return "-";
}

static json_object *pages_json(uint32_t pages)
{
	return pages == PRM_ICM_UNLIMITED ? json_object_new_string("unlimited")
					  : json_object_new_uint64(pages);
}

static void show_pf_json(json_object *arr, struct host *host,
			 const struct simfw_pf *pf)
{
	json_object *obj = json_object_new_object();
	json_object *funcs = json_object_new_array();

	json_object_object_add(obj, "pf", json_object_new_string(pf->pci));
	json_object_object_add(obj, "total_icm_pages",
			       pages_json(pf->total_icm));
	json_object_object_add(obj, "vhca_icm_ctrl",
			       json_object_new_boolean(pf->vhca_icm_ctrl));
	json_object_object_add(obj, "nic_cap_reg",
			       json_object_new_boolean(pf->nic_cap_reg));
	json_object_object_add(obj, "group_id_max",
			       json_object_new_int(pf->group_id_max));
	json_object_object_add(obj, "enabled_vfs",
			       json_object_new_int(pf->enabled_vfs));
	for (size_t i = 0; i < pf->nfuncs; i++) {
		const struct simfw_func *fn = &pf->funcs[i];
		json_object *f;

		if (fn->function_id > pf->enabled_vfs)
			continue;
		f = json_object_new_object();
		json_object_object_add(f, "function_id",
				       json_object_new_int(fn->function_id));
		json_object_object_add(
			f, "pci",
			json_object_new_string(
				function_pci(host, pf->pci, fn->function_id)));
		json_object_object_add(f, "vhca_id",
				       json_object_new_int(fn->vhca_id));
		json_object_object_add(f, "group",
				       json_object_new_int(fn->group));
		json_object_object_add(f, "cap_pages", pages_json(fn->cap));
		json_object_object_add(f, "cur_pages",
				       json_object_new_uint64(fn->cur));
		json_object_object_add(f, "max_reached_pages",
				       json_object_new_uint64(fn->max_reached));
		json_object_object_add(f, "granted",
				       json_object_new_uint64(fn->granted));
		json_object_object_add(f, "refused",
				       json_object_new_uint64(fn->refused));
		json_object_array_add(funcs, f);
	}
	json_object_object_add(obj, "functions", funcs);
	json_object_array_add(arr, obj);
}

static void show_pf_table(FILE *out, struct host *host,
			  const struct simfw_pf *pf)
{
	char total[32], cap[32], cur[32], hwm[32];

	size_format(icm_pages_to_bytes(pf->total_icm), total, sizeof(total));
	fprintf(out, "%s  total_icm %s  vhca_icm_ctrl %s  groups %u\n", pf->pci,
		total,
		pf->vhca_icm_ctrl ? "yes"
		: pf->nic_cap_reg ? "no"
				  : "no (no NIC_CAP_REG)",
		pf->group_id_max);
	fprintf(out, "  %4s %-13s %7s %5s %10s %10s %10s %8s %8s\n", "FUNC",
		"PCI", "VHCA_ID", "GROUP", "CAP", "CUR", "HIGH", "GRANTED",
		"REFUSED");
	for (size_t i = 0; i < pf->nfuncs; i++) {
		const struct simfw_func *fn = &pf->funcs[i];

		if (fn->function_id > pf->enabled_vfs)
			continue;
		size_format(icm_pages_to_bytes(fn->cap), cap, sizeof(cap));
		size_format(icm_pages_to_bytes(fn->cur), cur, sizeof(cur));
		size_format(icm_pages_to_bytes(fn->max_reached), hwm,
			    sizeof(hwm));
		fprintf(out,
			"  %4u %-13s  0x%04x %5u %10s %10s %10s %8llu %8llu\n",
			fn->function_id,
			function_pci(host, pf->pci, fn->function_id),
			fn->vhca_id, fn->group, cap, cur, hwm,
			(unsigned long long)fn->granted,
			(unsigned long long)fn->refused);
	}
}

int sim_show(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	char(*pcis)[PCI_ADDR_LEN] = NULL;
	struct host host = {0};
	json_object *arr = NULL;
	size_t npfs = 0;
	const char *root;
	int rc = IQ_OK;

	if (sim_wants_help(argc, argv)) {
		fputs(sim_help_show, ctx->out);
		return IQ_OK;
	}
	for (int i = 1; !rc && i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			ctx->json = true;
		else
			rc = iq_fail(err, IQ_EUSAGE,
				     "sim show: unexpected '%s' (see icmquota "
				     "sim show --help)",
				     argv[i]);
	}
	if (!rc)
		rc = sim_root(ctx, "show", &root, err);
	if (!rc)
		rc = host_discover(root, NULL, &host, err);
	if (!rc)
		rc = simfw_list_pfs(root, &pcis, &npfs, err);
	if (!rc && ctx->json)
		arr = json_object_new_array();
	for (size_t i = 0; !rc && i < npfs; i++) {
		struct simfw_pf pf;
		int lock_fd;

		rc = simfw_pf_lock_load(root, pcis[i], &pf, &lock_fd, err);
		if (rc)
			break;
		if (arr)
			show_pf_json(arr, &host, &pf);
		else
			show_pf_table(ctx->out, &host, &pf);
		rc = simfw_pf_unlock(root, &pf, lock_fd, false, err);
	}
	if (arr && !rc)
		json_print(ctx->out, arr);
	else
		json_object_put(arr);
	free(pcis);
	host_free(&host);
	return rc;
}

int sim_refresh(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	const char *root;
	int rc;

	if (sim_wants_help(argc, argv)) {
		fputs(sim_help_refresh, ctx->out);
		return IQ_OK;
	}
	if (argc > 1)
		return iq_fail(err, IQ_EUSAGE,
			       "sim refresh takes no arguments, not '%s'",
			       argv[1]);
	rc = sim_root(ctx, "refresh", &root, err);
	return rc ? rc : sim_host_refresh(root, err);
}

/* "NOT_READY", "not_ready" or "0x07": a firmware status other than OK. */
static int parse_status(const char *text, uint8_t *status, struct iq_err *err)
{
	char *end;
	unsigned long v;

	for (unsigned s = 1; s < 0x100; s++) {
		if (!strcasecmp(text, prm_status_name((uint8_t)s)) &&
		    strcmp(prm_status_name((uint8_t)s), "UNKNOWN") != 0) {
			*status = (uint8_t)s;
			return IQ_OK;
		}
	}
	errno = 0;
	v = strtoul(text, &end, 0);
	if (text[0] >= '0' && text[0] <= '9' && !*end && !errno && v >= 1 &&
	    v <= 0xff) {
		*status = (uint8_t)v;
		return IQ_OK;
	}
	return iq_fail(err, IQ_EUSAGE,
		       "sim inject --status '%s': a firmware status name "
		       "(NOT_READY, RESOURCE_BUSY, BAD_PARAM, ...) or a number "
		       "0x01-0xff",
		       text);
}

int sim_inject(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	static const struct option opts[] = {
		{"status", required_argument, NULL, 's'},
		{"count", required_argument, NULL, 'c'},
		{"pf", required_argument, NULL, 'p'},
		{"after", required_argument, NULL, 'a'},
		{NULL, 0, NULL, 0},
	};
	char pfs[SIM_MAX_PFS][PCI_ADDR_LEN];
	char(*all)[PCI_ADDR_LEN] = NULL;
	size_t npfs = 0, nall = 0;
	unsigned long count = 1, after = 0;
	uint8_t status = 0;
	bool have_status = false;
	const char *root;
	int opt, rc;

	if (sim_wants_help(argc, argv)) {
		fputs(sim_help_inject, ctx->out);
		return IQ_OK;
	}
	optind = 0;
	opterr = 0;
	while (!(rc = sim_next_opt(argc, argv, ":", opts, "inject", &opt,
				   err)) &&
	       opt != -1) {
		if (opt == 's') {
			rc = parse_status(optarg, &status, err);
			have_status = true;
		} else if (opt == 'c') {
			rc = sim_parse_uint(optarg, "--count", UINT32_MAX,
					    &count, err);
		} else if (opt == 'a') {
			rc = sim_parse_uint(optarg, "--after", UINT32_MAX,
					    &after, err);
		} else if (opt == 'p') {
			if (npfs == SIM_MAX_PFS)
				rc = iq_fail(err, IQ_EUSAGE,
					     "sim inject: at most %d --pf",
					     SIM_MAX_PFS);
			else
				rc = sim_parse_pci(optarg, "--pf", pfs[npfs++],
						   err);
		}
		if (rc)
			break;
	}
	if (!rc && optind < argc)
		rc = iq_fail(err, IQ_EUSAGE,
			     "sim inject: unexpected '%s' (see icmquota sim "
			     "inject --help)",
			     argv[optind]);
	if (!rc && !have_status && count)
		rc = iq_fail(err, IQ_EUSAGE,
			     "sim inject needs --status STATUS (see icmquota "
			     "sim inject --help)");
	if (!rc)
		rc = sim_root(ctx, "inject", &root, err);
	if (!rc)
		rc = simfw_list_pfs(root, &all, &nall, err);
	/* A --pf that names no PF of the host: said as such, before any. */
	for (size_t i = 0; !rc && i < npfs; i++) {
		bool found = false;

		for (size_t j = 0; j < nall && !found; j++)
			found = !strcmp(pfs[i], all[j]);
		if (!found)
			rc = iq_fail(err, IQ_EREFUSED,
				     "sim inject --pf %s: not a PF of the "
				     "simulated host %s (icmquota --root %s "
				     "sim show lists them)",
				     pfs[i], root, root);
	}
	for (size_t i = 0; !rc && i < (npfs ? npfs : nall); i++) {
		const char *pci = npfs ? pfs[i] : all[i];

		rc = simfw_inject(root, pci, status, (uint32_t)count,
				  (uint32_t)after, err);
		if (!rc && after && count)
			fprintf(ctx->out,
				"%s: after %lu firmware command(s), the next "
				"%lu answer %s (0x%02x)\n",
				pci, after, count, prm_status_name(status),
				status);
		else if (!rc)
			fprintf(ctx->out,
				"%s: the next %lu firmware command(s) answer "
				"%s (0x%02x)\n",
				pci, count,
				count ? prm_status_name(status) : "-", status);
	}
	free(all);
	return rc;
}
