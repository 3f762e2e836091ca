// SPDX-License-Identifier: MIT
/*
 * `icmquota sim register` and `sim flr`: the guest side of a simulated
 * host (a guest registering memory on its VFs, a function level reset
 * giving it back). Options are parsed here, the work is sim_host_guest.c.
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

const char sim_help_register[] =
	"icmquota --root DIR sim register --vf PCI [--vf PCI]... --bytes SIZE\n"
	"                                 [--mrs-per-hca M] [--buffers B] "
	"[-j]\n"
	"  A guest registers B buffers of SIZE bytes on each VF, M memory\n"
	"  regions per HCA (2 with relaxed ordering). Each MR asks the VF's\n"
	"  firmware function for its ICM in one request (the calibration\n"
	"  `icmquota estimate` uses: 8-byte MTT entries per 4 KiB, table "
	"sized\n"
	"  to a power of two), granted whole or\n"
	"  refused (the guest's ibv_reg_mr fails with ENOMEM) against the\n"
	"  caps. Then the debugfs counters and /proc/meminfo are recomputed.\n"
	"  --bytes SIZE         40GiB, 1.5T, or decimal as GPU memory is "
	"often\n"
	"                       written: 40GB = 40e9 bytes (KB, MB, GB, TB), "
	"as\n"
	"                       `icmquota estimate --per-gpu` takes it\n"
	"  --mrs-per-hca M      default 1\n"
	"  --buffers B          default 1\n";

const char sim_help_flr[] =
	"icmquota --root DIR sim flr --vf PCI [--vf PCI]... [-j]\n"
	"  Function level reset of each VF (what a VM stop does): its ICM "
	"goes\n"
	"  back to the host; counters and /proc/meminfo are recomputed.\n";

/* Repeated --vf options. */
struct vf_list {
	char (*pcis)[PCI_ADDR_LEN];
	size_t n;
};

static int vf_list_add(struct vf_list *list, const char *text,
		       struct iq_err *err)
{
	char(*grown)[PCI_ADDR_LEN];
	char pci[PCI_ADDR_LEN];
	int rc = sim_parse_pci(text, "--vf", pci, err);

	if (rc)
		return rc;
	grown = realloc(list->pcis, (list->n + 1) * sizeof(*list->pcis));
	if (!grown)
		return iq_fail(err, IQ_EENV, "out of memory");
	list->pcis = grown;
	memcpy(list->pcis[list->n++], pci, PCI_ADDR_LEN);
	return IQ_OK;
}

static json_object *result_json(const struct sim_vf_result *r)
{
	json_object *obj = json_object_new_object();

	json_object_object_add(obj, "vf", json_object_new_string(r->vf));
	json_object_object_add(obj, "pf", json_object_new_string(r->pf));
	json_object_object_add(obj, "function_id",
			       json_object_new_int(r->function_id));
	json_object_object_add(obj, "vhca_id", json_object_new_int(r->vhca_id));
	json_object_object_add(obj, "cap_pages",
			       r->cap == PRM_ICM_UNLIMITED
				       ? json_object_new_string("unlimited")
				       : json_object_new_uint64(r->cap));
	json_object_object_add(obj, "cap_bytes",
			       json_size(icm_pages_to_bytes(r->cap)));
	json_object_object_add(obj, "cur_pages",
			       json_object_new_uint64(r->cur));
	json_object_object_add(obj, "cur_bytes",
			       json_size(icm_pages_to_bytes(r->cur)));
	return obj;
}

static void print_register(struct run_ctx *ctx,
			   const struct sim_register_req *req,
			   const struct sim_vf_result *results,
			   uint32_t pages_per_mr)
{
	char cur[32], cap[32], size[32];

	if (ctx->json) {
		json_object *obj = json_object_new_object();
		json_object *vfs = json_object_new_array();

		json_object_object_add(obj, "bytes",
				       json_object_new_uint64(req->bytes));
		json_object_object_add(obj, "buffers",
				       json_object_new_int((int)req->buffers));
		json_object_object_add(
			obj, "mrs_per_hca",
			json_object_new_int((int)req->mrs_per_hca));
		json_object_object_add(obj, "pages_per_mr",
				       json_object_new_uint64(pages_per_mr));
		for (size_t i = 0; i < req->nvfs; i++) {
			json_object *vf = result_json(&results[i]);

			json_object_object_add(
				vf, "mrs_granted",
				json_object_new_uint64(results[i].granted));
			json_object_object_add(
				vf, "mrs_refused",
				json_object_new_uint64(results[i].refused));
			json_object_array_add(vfs, vf);
		}
		json_object_object_add(obj, "vfs", vfs);
		json_print(ctx->out, obj);
		return;
	}
	size_format(req->bytes, size, sizeof(size));
	fprintf(ctx->out,
		"%u buffer(s) of %s, %u MR(s) per HCA: %u ICM pages per MR\n",
		req->buffers, size, req->mrs_per_hca, pages_per_mr);
	fprintf(ctx->out, "%-13s %-13s %7s %7s %7s %10s %10s %10s\n", "VF",
		"PF", "VHCA_ID", "GRANTED", "REFUSED", "CUR_PAGES", "CUR",
		"CAP");
	for (size_t i = 0; i < req->nvfs; i++) {
		const struct sim_vf_result *r = &results[i];

		size_format(icm_pages_to_bytes(r->cur), cur, sizeof(cur));
		size_format(icm_pages_to_bytes(r->cap), cap, sizeof(cap));
		fprintf(ctx->out,
			"%-13s %-13s  0x%04x %7llu %7llu %10u %10s %10s\n",
			r->vf, r->pf, r->vhca_id,
			(unsigned long long)r->granted,
			(unsigned long long)r->refused, r->cur, cur, cap);
	}
}

int sim_register(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	static const struct option opts[] = {
		{"vf", required_argument, NULL, 'f'},
		{"bytes", required_argument, NULL, 'b'},
		{"mrs-per-hca", required_argument, NULL, 'm'},
		{"buffers", required_argument, NULL, 'B'},
		{NULL, 0, NULL, 0},
	};
	struct sim_register_req req = {.mrs_per_hca = 1, .buffers = 1};
	struct vf_list vfs = {0};
	struct sim_vf_result *results = NULL;
	uint32_t pages_per_mr = 0;
	unsigned long value;
	const char *root;
	int opt, rc;

	if (sim_wants_help(argc, argv)) {
		fputs(sim_help_register, ctx->out);
		return IQ_OK;
	}
	optind = 0;
	opterr = 0;
	while (!(rc = sim_next_opt(argc, argv, ":j", opts, "register", &opt,
				   err)) &&
	       opt != -1) {
		if (opt == 'f')
			rc = vf_list_add(&vfs, optarg, err);
		else if (opt == 'b')
			rc = sim_parse_size(optarg, "--bytes", false, true,
					    &req.bytes, err);
		else if (opt == 'm' || opt == 'B')
			rc = sim_parse_uint(optarg,
					    opt == 'm' ? "--mrs-per-hca"
						       : "--buffers",
					    1UL << 20, &value, err);
		if (!rc && opt == 'm')
			req.mrs_per_hca = (unsigned)value;
		if (!rc && opt == 'B')
			req.buffers = (unsigned)value;
		if (!rc && opt == 'j')
			ctx->json = true;
		if (rc)
			break;
	}
	if (!rc && optind < argc)
		rc = iq_fail(err, IQ_EUSAGE,
			     "sim register: unexpected '%s' (see icmquota sim "
			     "register --help)",
			     argv[optind]);
	if (!rc && (vfs.n == 0 || req.bytes == 0))
		rc = iq_fail(err, IQ_EUSAGE,
			     "sim register needs --vf PCI and --bytes SIZE "
			     "(see icmquota sim register --help)");
	if (!rc)
		rc = sim_root(ctx, "register", &root, err);
	if (!rc && !(results = calloc(vfs.n, sizeof(*results))))
		rc = iq_fail(err, IQ_EENV, "out of memory");
	if (!rc) {
		req.vfs = (const char(*)[PCI_ADDR_LEN])vfs.pcis;
		req.nvfs = vfs.n;
		rc = sim_host_register(root, &req, results, &pages_per_mr, err);
	}
	if (!rc)
		print_register(ctx, &req, results, pages_per_mr);
	free(results);
	free(vfs.pcis);
	return rc;
}

int sim_flr(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	static const struct option opts[] = {
		{"vf", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	struct vf_list vfs = {0};
	json_object *arr = NULL;
	const char *root;
	int opt, rc;

	if (sim_wants_help(argc, argv)) {
		fputs(sim_help_flr, ctx->out);
		return IQ_OK;
	}
	optind = 0;
	opterr = 0;
	while (!(rc = sim_next_opt(argc, argv, ":j", opts, "flr", &opt, err)) &&
	       opt != -1) {
		if (opt == 'f')
			rc = vf_list_add(&vfs, optarg, err);
		else if (opt == 'j')
			ctx->json = true;
		if (rc)
			break;
	}
	if (!rc && optind < argc)
		rc = iq_fail(err, IQ_EUSAGE,
			     "sim flr: unexpected '%s' (see icmquota sim flr "
			     "--help)",
			     argv[optind]);
	if (!rc && vfs.n == 0)
		rc = iq_fail(err, IQ_EUSAGE,
			     "sim flr needs --vf PCI (see icmquota sim flr "
			     "--help)");
	if (!rc)
		rc = sim_root(ctx, "flr", &root, err);
	if (!rc && ctx->json)
		arr = json_object_new_array();
	for (size_t i = 0; !rc && i < vfs.n; i++) {
		struct sim_vf_result r;

		rc = sim_host_flr(root, vfs.pcis[i], &r, err);
		if (rc)
			break;
		if (arr)
			json_object_array_add(arr, result_json(&r));
		else
			fprintf(ctx->out,
				"%s: function reset (PF %s, vhca_id 0x%04x): "
				"%u ICM pages now\n",
				r.vf, r.pf, r.vhca_id, r.cur);
	}
	if (arr && !rc)
		json_print(ctx->out, arr);
	else
		json_object_put(arr);
	free(vfs.pcis);
	return rc;
}
