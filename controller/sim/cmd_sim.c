// SPDX-License-Identifier: MIT
/*
 * `icmquota sim ...`: the subcommands' dispatch, the option parsing they
 * share (cmd_sim.h) and making a simulated host (init). The guest side
 * (register, flr) is cmd_sim_guest.c; looking at and poking the
 * simulated firmware (show, refresh, inject) cmd_sim_show.c. The work is
 * in sim_host.c; these files parse options and print.
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

bool sim_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

/* getopt with its messages turned into our error. */
int sim_next_opt(int argc, char **argv, const char *shortopts,
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

int sim_parse_uint(const char *text, const char *opt, unsigned long max,
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
int sim_parse_size(const char *text, const char *opt, bool unlimited_ok,
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
	rc = sim_parse_size(buf, "--hugepages", false, false, &pool->page_bytes,
			    err);
	if (!rc)
		rc = sim_parse_uint(count, "--hugepages COUNT", 1UL << 40,
				    &value, err);
	if (rc)
		return rc;
	pool->count = value;
	pool->free = value;
	if (free_text) {
		rc = sim_parse_uint(free_text, "--hugepages FREE", 1UL << 40,
				    &value, err);
		pool->free = value;
	}
	return rc;
}

int sim_parse_pci(const char *text, const char *opt, char out[PCI_ADDR_LEN],
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
		rc = sim_parse_uint(arg, "--pfs", SIM_MAX_PFS, &value, err);
		p->npfs = (unsigned)value;
		break;
	case 'V':
		rc = sim_parse_uint(arg, "--vfs", SIM_MAX_VFS, &value, err);
		p->total_vfs = (unsigned)value;
		break;
	case 'e':
		rc = sim_parse_uint(arg, "--enabled-vfs", SIM_MAX_VFS, &value,
				    err);
		p->enabled_vfs = (unsigned)value;
		*enabled_given = true;
		break;
	case 'm':
		rc = sim_parse_size(arg, "--mem", false, false, &p->mem_total,
				    err);
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
		rc = sim_parse_size(arg, "--host-used", false, false,
				    &p->host_used, err);
		break;
	case 't':
		rc = sim_parse_size(arg, "--total-icm", true, false,
				    &p->total_icm_bytes, err);
		break;
	case 'P':
		rc = sim_parse_uint(arg, "--pf-pages", UINT32_MAX - 1, &value,
				    err);
		p->pf_pages = (uint32_t)value;
		break;
	case 'g':
		rc = sim_parse_uint(arg, "--gpus", SIM_MAX_GPUS, &value, err);
		p->ngpus = (unsigned)value;
		break;
	case 'n':
		if (p->n_no_icm_ctrl == SIM_MAX_PFS)
			return iq_fail(err, IQ_EUSAGE,
				       "--no-icm-ctrl: at most %d PFs",
				       SIM_MAX_PFS);
		rc = sim_parse_pci(arg, "--no-icm-ctrl",
				   p->no_icm_ctrl[p->n_no_icm_ctrl], err);
		p->n_no_icm_ctrl += rc == IQ_OK;
		break;
	case 'G':
		if (p->n_no_groups == SIM_MAX_PFS)
			return iq_fail(err, IQ_EUSAGE,
				       "--no-groups: at most %d PFs",
				       SIM_MAX_PFS);
		rc = sim_parse_pci(arg, "--no-groups",
				   p->no_groups[p->n_no_groups], err);
		p->n_no_groups += rc == IQ_OK;
		break;
	case 'A':
		p->no_access_register_user = true;
		break;
	case 'R':
		rc = sim_parse_uint(arg, "--icm-rounding", 1u << 20, &value,
				    err);
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

	if (sim_wants_help(argc, argv)) {
		fputs(help_init, ctx->out);
		return IQ_OK;
	}
	sim_host_params_default(&params);
	optind = 0;
	opterr = 0;
	while (!(rc = sim_next_opt(argc, argv, ":", opts, "init", &opt, err)) &&
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
int sim_root(const struct run_ctx *ctx, const char *sub, const char **root,
	     struct iq_err *err)
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
			sim_help_register, sim_help_flr, sim_help_show,
			sim_help_refresh, sim_help_inject);
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
