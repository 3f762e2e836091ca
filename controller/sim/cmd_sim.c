// SPDX-License-Identifier: MIT
/*
 * `icmquota sim ...`: make a simulated host (init), play the guest side
 * on it (register, flr), recompute its counters (refresh) and look at the
 * simulated firmware (show). The work is in sim_host.c; this file parses
 * options and prints.
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
#include "controller/core/host.h"
#include "controller/sim/sim_host.h"
#include "controller/sim/simfw.h"
#include "devx/codec.h"
#include "lib/json.h"
#include "lib/pci.h"
#include "lib/size.h"

static const char help_init[] =
	"icmquota sim init DIR [OPTIONS]\n"
	"  Make a simulated GPU host under DIR (or --root DIR): ConnectX-7 "
	"PFs\n"
	"  with SR-IOV VFs in sysfs, debugfs page counters, /proc/meminfo, "
	"huge\n"
	"  page pools and a simulated firmware per PF. Then run any command\n"
	"  with --root DIR.\n"
	"  --pfs N              PFs (1-8, HGX addresses 0000:0c:00.0 ...); 8\n"
	"  --vfs N              sriov_totalvfs per PF; 16\n"
	"  --enabled-vfs N      sriov_numvfs per PF (VFs that exist); 8, or\n"
	"                       all of --vfs when that is fewer\n"
	"  --mem SIZE           MemTotal; 2TiB\n"
	"  --hugepages SIZE:COUNT[:FREE]\n"
	"                       a huge page pool (repeatable; the first one "
	"is\n"
	"                       the default size); FREE defaults to COUNT;\n"
	"                       all on NUMA node 0, nr_overcommit_hugepages "
	"0\n"
	"                       (write node1's files or the allowance by "
	"hand)\n"
	"  --host-used SIZE     memory the host itself uses; 16GiB\n"
	"  --total-icm SIZE     each PF's total ICM (or unlimited); 128GiB\n"
	"  --pf-pages N         each PF's own firmware pages; 65536\n"
	"  --gpus N             NVIDIA GPUs (0-8) for VM definitions to name; "
	"0\n"
	"  --no-icm-ctrl PCI    that PF's firmware lacks VHCA_ICM_CTRL\n"
	"                       (repeatable)\n"
	"  --no-groups PCI      that PF's firmware has no vHCA groups\n"
	"                       (vhca_group_id_max 0; repeatable)\n"
	"  --no-fwctl           a kernel without fwctl (no sys/class/fwctl)\n"
	"  --fw-pages-files all|total|none\n"
	"                       debugfs page counters per PF: all fw_pages_*\n"
	"                       files; fw_pages_total only (vhca_id page\n"
	"                       management); no pages/ directory (kernels\n"
	"                       before 2022); all\n"
	"  --no-access-register-user\n"
	"                       firmware whose HCA cap access_register_user "
	"is 0:\n"
	"                       ACCESS_REGISTER_USER (the DevX path) refused,\n"
	"                       auto uses the fwctl path (ACCESS_REG)\n"
	"  --icm-rounding PAGES the firmware stores every cap rounded up to a\n"
	"                       multiple of PAGES 4 KiB pages; 0: exact\n"
	"  --pf-domain HEX      PCI domain of the PFs and VFs, up to ffffffff\n"
	"                       (e.g. 10000: behind Intel VMD); 0000\n"
	"  --force              replace a simulated host already in DIR\n";

static const char help_register[] =
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

static const char help_flr[] =
	"icmquota --root DIR sim flr --vf PCI [--vf PCI]... [-j]\n"
	"  Function level reset of each VF (what a VM stop does): its ICM "
	"goes\n"
	"  back to the host; counters and /proc/meminfo are recomputed.\n";

static const char help_show[] =
	"icmquota --root DIR sim show [-j]\n"
	"  The simulated firmware of every PF: per function its vhca_id, cap,\n"
	"  current ICM, high-water mark and page requests granted and "
	"refused.\n";

static const char help_refresh[] =
	"icmquota --root DIR sim refresh\n"
	"  Recompute the debugfs counters and /proc/meminfo (after editing "
	"the\n"
	"  tree by hand, e.g. a pool's nr_hugepages).\n";

static const char help_inject[] =
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

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

/* getopt with its messages turned into our error. */
static int next_opt(int argc, char **argv, const char *shortopts,
		    const struct option *longopts, const char *sub, int *opt,
		    struct iq_err *err)
{
	*opt = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (*opt == '?' || *opt == ':')
		return iq_fail(err, IQ_EUSAGE,
			       "sim %s: %s '%s' (see icmquota sim %s --help)",
			       sub,
			       *opt == ':' ? "option needs a value:"
					   : "unknown option",
			       argv[optind - 1], sub);
	return IQ_OK;
}

static int parse_uint(const char *text, const char *opt, unsigned long max,
		      unsigned long *value, struct iq_err *err)
{
	char *end;

	errno = 0;
	*value = strtoul(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || *value > max)
		return iq_fail(err, IQ_EUSAGE,
			       "%s '%s': expected a whole number up to %lu",
			       opt, text, max);
	return IQ_OK;
}

/*
 * Host sizes (--mem, --total-icm, ...) in binary units as the policy
 * writes them; a workload's buffer (register --bytes, decimal) also in
 * KB/MB/GB/TB, as `estimate --per-gpu` takes it, so that the same "40GB"
 * models the same workload in both.
 */
static int parse_size(const char *text, const char *opt, bool unlimited_ok,
		      bool decimal, uint64_t *bytes, struct iq_err *err)
{
	const char *why = NULL;

	if (!(decimal ? size_parse_decimal(text, bytes, &why)
		      : size_parse(text, bytes, &why)))
		return iq_fail(err, IQ_EUSAGE, "%s '%s': %s", opt, text, why);
	if (*bytes == IQ_UNLIMITED && !unlimited_ok)
		return iq_fail(err, IQ_EUSAGE, "%s: give a size, not unlimited",
			       opt);
	return IQ_OK;
}

/* SIZE:COUNT[:FREE] */
static int parse_pool(const char *text, struct sim_hugepage_spec *pool,
		      struct iq_err *err)
{
	char buf[128];
	char *count, *free_text;
	unsigned long value;
	int rc;

	if (snprintf(buf, sizeof(buf), "%s", text) >= (int)sizeof(buf) ||
	    !(count = strchr(buf, ':')))
		return iq_fail(err, IQ_EUSAGE,
			       "--hugepages '%s': expected SIZE:COUNT[:FREE], "
			       "e.g. 1GiB:1536",
			       text);
	*count++ = '\0';
	free_text = strchr(count, ':');
	if (free_text)
		*free_text++ = '\0';
	rc = parse_size(buf, "--hugepages", false, false, &pool->page_bytes,
			err);
	if (!rc)
		rc = parse_uint(count, "--hugepages COUNT", 1UL << 40, &value,
				err);
	if (rc)
		return rc;
	pool->count = value;
	pool->free = value;
	if (free_text) {
		rc = parse_uint(free_text, "--hugepages FREE", 1UL << 40,
				&value, err);
		pool->free = value;
	}
	return rc;
}

static int parse_pci(const char *text, const char *opt, char out[PCI_ADDR_LEN],
		     struct iq_err *err)
{
	if (!pci_addr_normalize(text, out))
		return iq_fail(err, IQ_EUSAGE,
			       "%s '%s': not a PCI address (DDDD:BB:SS.F)", opt,
			       text);
	return IQ_OK;
}

static int init_option(int opt, const char *arg, struct sim_host_params *p,
		       bool *enabled_given, struct iq_err *err)
{
	unsigned long value;
	char *end;
	int rc = IQ_OK;

	switch (opt) {
	case 'p':
		rc = parse_uint(arg, "--pfs", SIM_MAX_PFS, &value, err);
		p->npfs = (unsigned)value;
		break;
	case 'V':
		rc = parse_uint(arg, "--vfs", SIM_MAX_VFS, &value, err);
		p->total_vfs = (unsigned)value;
		break;
	case 'e':
		rc = parse_uint(arg, "--enabled-vfs", SIM_MAX_VFS, &value, err);
		p->enabled_vfs = (unsigned)value;
		*enabled_given = true;
		break;
	case 'm':
		rc = parse_size(arg, "--mem", false, false, &p->mem_total, err);
		break;
	case 'H':
		if (p->npools == SIM_MAX_POOLS)
			return iq_fail(err, IQ_EUSAGE,
				       "--hugepages: at most %d pools",
				       SIM_MAX_POOLS);
		rc = parse_pool(arg, &p->pools[p->npools], err);
		p->npools += rc == IQ_OK;
		break;
	case 'u':
		rc = parse_size(arg, "--host-used", false, false, &p->host_used,
				err);
		break;
	case 't':
		rc = parse_size(arg, "--total-icm", true, false,
				&p->total_icm_bytes, err);
		break;
	case 'P':
		rc = parse_uint(arg, "--pf-pages", UINT32_MAX - 1, &value, err);
		p->pf_pages = (uint32_t)value;
		break;
	case 'g':
		rc = parse_uint(arg, "--gpus", SIM_MAX_GPUS, &value, err);
		p->ngpus = (unsigned)value;
		break;
	case 'n':
		if (p->n_no_icm_ctrl == SIM_MAX_PFS)
			return iq_fail(err, IQ_EUSAGE,
				       "--no-icm-ctrl: at most %d PFs",
				       SIM_MAX_PFS);
		rc = parse_pci(arg, "--no-icm-ctrl",
			       p->no_icm_ctrl[p->n_no_icm_ctrl], err);
		p->n_no_icm_ctrl += rc == IQ_OK;
		break;
	case 'G':
		if (p->n_no_groups == SIM_MAX_PFS)
			return iq_fail(err, IQ_EUSAGE,
				       "--no-groups: at most %d PFs",
				       SIM_MAX_PFS);
		rc = parse_pci(arg, "--no-groups", p->no_groups[p->n_no_groups],
			       err);
		p->n_no_groups += rc == IQ_OK;
		break;
	case 'A':
		p->no_access_register_user = true;
		break;
	case 'R':
		rc = parse_uint(arg, "--icm-rounding", 1u << 20, &value, err);
		p->icm_rounding = (uint32_t)value;
		break;
	case 'F':
		p->fwctl = false;
		break;
	case 'W':
		if (!strcmp(arg, "all"))
			p->fw_pages_files = SIM_FW_PAGES_ALL;
		else if (!strcmp(arg, "total"))
			p->fw_pages_files = SIM_FW_PAGES_TOTAL;
		else if (!strcmp(arg, "none"))
			p->fw_pages_files = SIM_FW_PAGES_NONE;
		else
			rc = iq_fail(err, IQ_EUSAGE,
				     "--fw-pages-files '%s': expected all, "
				     "total or none",
				     arg);
		break;
	case 'D':
		errno = 0;
		value = strtoul(arg, &end, 16);
		if (!arg[0] || *end || errno || value > PCI_DOMAIN_MAX ||
		    strchr(arg, '-'))
			rc = iq_fail(err, IQ_EUSAGE,
				     "--pf-domain '%s': expected a hex PCI "
				     "domain 0 to ffffffff, e.g. 10000",
				     arg);
		p->pf_domain = (uint32_t)value;
		break;
	case 'f':
		p->force = true;
		break;
	default:
		break;
	}
	return rc;
}

static void print_init(struct run_ctx *ctx, const char *root,
		       const struct sim_host_params *p)
{
	char mem[32], icm[32], first[PCI_ADDR_LEN], last[PCI_ADDR_LEN];

	sim_host_pf_pci(0, p->pf_domain, first);
	sim_host_pf_pci(p->npfs - 1, p->pf_domain, last);
	if (ctx->json) {
		json_object *obj = json_object_new_object();
		json_object *pfs = json_object_new_array();
		json_object *gpus = json_object_new_array();

		json_object_object_add(obj, "root",
				       json_object_new_string(root));
		for (unsigned i = 0; i < p->npfs; i++) {
			char pci[PCI_ADDR_LEN];

			sim_host_pf_pci(i, p->pf_domain, pci);
			json_object_array_add(pfs, json_object_new_string(pci));
		}
		json_object_object_add(obj, "pfs", pfs);
		json_object_object_add(obj, "total_vfs",
				       json_object_new_int((int)p->total_vfs));
		json_object_object_add(
			obj, "enabled_vfs",
			json_object_new_int((int)p->enabled_vfs));
		for (unsigned i = 0; i < p->ngpus; i++)
			json_object_array_add(
				gpus,
				json_object_new_string(sim_host_gpu_pci(i)));
		json_object_object_add(obj, "gpus", gpus);
		json_object_object_add(obj, "mem_total",
				       json_size(p->mem_total));
		json_object_object_add(obj, "total_icm",
				       json_size(p->total_icm_bytes));
		json_print(ctx->out, obj);
		return;
	}
	size_format(p->mem_total, mem, sizeof(mem));
	size_format(p->total_icm_bytes, icm, sizeof(icm));
	fprintf(ctx->out,
		"simulated host at %s: %u PFs (%s .. %s), %u of %u VFs enabled "
		"each, %u GPUs, %s memory, %s ICM per PF\n"
		"use it with: icmquota --root %s status\n",
		root, p->npfs, first, last, p->enabled_vfs, p->total_vfs,
		p->ngpus, mem, icm, root);
}

static int sim_init(struct run_ctx *ctx, int argc, char **argv,
		    struct iq_err *err)
{
	static const struct option opts[] = {
		{"pfs", required_argument, NULL, 'p'},
		{"vfs", required_argument, NULL, 'V'},
		{"enabled-vfs", required_argument, NULL, 'e'},
		{"mem", required_argument, NULL, 'm'},
		{"hugepages", required_argument, NULL, 'H'},
		{"host-used", required_argument, NULL, 'u'},
		{"total-icm", required_argument, NULL, 't'},
		{"pf-pages", required_argument, NULL, 'P'},
		{"gpus", required_argument, NULL, 'g'},
		{"no-icm-ctrl", required_argument, NULL, 'n'},
		{"no-groups", required_argument, NULL, 'G'},
		{"no-fwctl", no_argument, NULL, 'F'},
		{"no-access-register-user", no_argument, NULL, 'A'},
		{"icm-rounding", required_argument, NULL, 'R'},
		{"pf-domain", required_argument, NULL, 'D'},
		{"fw-pages-files", required_argument, NULL, 'W'},
		{"force", no_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	struct sim_host_params params;
	bool enabled_given = false;
	const char *root;
	int opt, rc;

	if (wants_help(argc, argv)) {
		fputs(help_init, ctx->out);
		return IQ_OK;
	}
	sim_host_params_default(&params);
	optind = 0;
	opterr = 0;
	while (!(rc = next_opt(argc, argv, ":", opts, "init", &opt, err)) &&
	       opt != -1) {
		rc = init_option(opt, optarg, &params, &enabled_given, err);
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	/* --vfs 4 alone: all of them enabled, not the default 8. */
	if (!enabled_given && params.enabled_vfs > params.total_vfs)
		params.enabled_vfs = params.total_vfs;
	if (argc - optind > 1)
		return iq_fail(err, IQ_EUSAGE,
			       "sim init takes one directory, not '%s'",
			       argv[optind + 1]);
	root = argc - optind == 1 ? argv[optind] : ctx->root;
	if (!root || !root[0])
		return iq_fail(err, IQ_EUSAGE,
			       "sim init needs a directory: icmquota sim init "
			       "DIR (see icmquota sim init --help)");
	rc = sim_host_init(root, &params, err);
	if (!rc)
		print_init(ctx, root, &params);
	return rc;
}

/* The simulated root of every other sim command: --root DIR. */
static int sim_root(const struct run_ctx *ctx, const char *sub,
		    const char **root, struct iq_err *err)
{
	*root = ctx->root;
	if (!*root || !**root)
		return iq_fail(err, IQ_EUSAGE,
			       "sim %s needs --root DIR, a simulated host made "
			       "by icmquota sim init DIR",
			       sub);
	if (!simfw_root_present(*root))
		return iq_fail(err, IQ_EENV,
			       "%s is not a simulated host (no %s/%s/fw); make "
			       "one with icmquota sim init %s",
			       *root, *root, SIMFW_DIR, *root);
	return IQ_OK;
}

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
	int rc = parse_pci(text, "--vf", pci, err);

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

static int sim_register(struct run_ctx *ctx, int argc, char **argv,
			struct iq_err *err)
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

	if (wants_help(argc, argv)) {
		fputs(help_register, ctx->out);
		return IQ_OK;
	}
	optind = 0;
	opterr = 0;
	while (!(rc = next_opt(argc, argv, ":j", opts, "register", &opt,
			       err)) &&
	       opt != -1) {
		if (opt == 'f')
			rc = vf_list_add(&vfs, optarg, err);
		else if (opt == 'b')
			rc = parse_size(optarg, "--bytes", false, true,
					&req.bytes, err);
		else if (opt == 'm' || opt == 'B')
			rc = parse_uint(optarg,
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

static int sim_flr(struct run_ctx *ctx, int argc, char **argv,
		   struct iq_err *err)
{
	static const struct option opts[] = {
		{"vf", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	struct vf_list vfs = {0};
	json_object *arr = NULL;
	const char *root;
	int opt, rc;

	if (wants_help(argc, argv)) {
		fputs(help_flr, ctx->out);
		return IQ_OK;
	}
	optind = 0;
	opterr = 0;
	while (!(rc = next_opt(argc, argv, ":j", opts, "flr", &opt, err)) &&
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

static int sim_show(struct run_ctx *ctx, int argc, char **argv,
		    struct iq_err *err)
{
	char(*pcis)[PCI_ADDR_LEN] = NULL;
	struct host host = {0};
	json_object *arr = NULL;
	size_t npfs = 0;
	const char *root;
	int rc = IQ_OK;

	if (wants_help(argc, argv)) {
		fputs(help_show, ctx->out);
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

static int sim_refresh(struct run_ctx *ctx, int argc, char **argv,
		       struct iq_err *err)
{
	const char *root;
	int rc;

	if (wants_help(argc, argv)) {
		fputs(help_refresh, ctx->out);
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

static int sim_inject(struct run_ctx *ctx, int argc, char **argv,
		      struct iq_err *err)
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

	if (wants_help(argc, argv)) {
		fputs(help_inject, ctx->out);
		return IQ_OK;
	}
	optind = 0;
	opterr = 0;
	while (!(rc = next_opt(argc, argv, ":", opts, "inject", &opt, err)) &&
	       opt != -1) {
		if (opt == 's') {
			rc = parse_status(optarg, &status, err);
			have_status = true;
		} else if (opt == 'c') {
			rc = parse_uint(optarg, "--count", UINT32_MAX, &count,
					err);
		} else if (opt == 'a') {
			rc = parse_uint(optarg, "--after", UINT32_MAX, &after,
					err);
		} else if (opt == 'p') {
			if (npfs == SIM_MAX_PFS)
				rc = iq_fail(err, IQ_EUSAGE,
					     "sim inject: at most %d --pf",
					     SIM_MAX_PFS);
			else
				rc = parse_pci(optarg, "--pf", pfs[npfs++],
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

int cmd_sim(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	static const struct {
		const char *name;
		int (*fn)(struct run_ctx *ctx, int argc, char **argv,
			  struct iq_err *err);
	} subs[] = {
		{"init", sim_init},	  {"register", sim_register},
		{"flr", sim_flr},	  {"show", sim_show},
		{"refresh", sim_refresh}, {"inject", sim_inject},
	};

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		const struct help_entry *e = help_find("sim");

		if (argc < 2)
			return iq_fail(
				err, IQ_EUSAGE,
				"sim needs a subcommand: init, register, "
				"flr, show, refresh or inject (see icmquota "
				"sim --help)");
		if (e)
			help_print_command(ctx->out, e);
		fprintf(ctx->out, "\n%s\n%s\n%s\n%s\n%s\n%s", help_init,
			help_register, help_flr, help_show, help_refresh,
			help_inject);
		return IQ_OK;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(ctx, argc - 1, argv + 1, err);
	return iq_fail(err, IQ_EUSAGE,
		       "sim: unknown subcommand '%s' (init, register, flr, "
		       "show, refresh, inject)",
		       argv[1]);
}
