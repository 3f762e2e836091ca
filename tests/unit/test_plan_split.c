// SPDX-License-Identifier: MIT
/*
 * controller/core/plan.c and controller/core/split.c on a simulated host (2 PFs with
 * 4 VFs each, a GPU, 256 GiB, two huge page pools) and inline policies:
 *
 * plan: VMs' devices mapped to VFs (caps from class, defaults, device
 * rules), idle VFs at the idle cap, a GPU left alone, a missing device or
 * a VF in two VMs refused by name, scopes (a VM starting, one stopping),
 * journalled scaled caps kept; read-back against the firmware's default
 * (unlimited), writes issued once and a second read-back needing none,
 * counted by the firmware; unsupported PFs skipped; unlimited caps charged
 * at the PF's total ICM.
 *
 * split: every term of the memory split with exact numbers (PF own pages
 * from debugfs), and admission: strict and warn, scale (proportional, never
 * below min_vf_cap, refused when even that is short), hugepages: manage
 * releasing free huge pages under the root but never those the starting
 * VM needs.
 */
#include "controller/core/admission.h"
#include "controller/core/plan.h"
#include "controller/core/split.h"

#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controller/sim/sim_host.h"
#include "controller/sim/simfw.h"
#include "devx/codec.h"
#include "devx/fw.h"
#include "lib/file.h"
#include "lib/pci.h"
#include "lib/size.h"
#include "tests/unit/test.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

#define PF0 "0000:0c:00.0"
#define PF1 "0000:2a:00.0"
/* VF n of a PF is function n (virtfn n-1). */
#define PF0_VF(n) "0000:0c:00." #n
#define PF1_VF(n) "0000:2a:00." #n

#define POOL_1G "sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"
#define POOL_2M "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"

static char root[PATH_MAX];

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_root(void)
{
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void in_root(char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s/%s", root, rel);
}

/*
 * 2 PFs x 4 VFs, 32 GiB of ICM each, a GPU, 256 GiB of memory, pools of
 * 32 x 1 GiB (8 free) and 1024 x 2 MiB (all free): 34 GiB of huge pages.
 */
static void sim_params(struct sim_host_params *p, uint32_t pf_pages)
{
	sim_host_params_default(p);
	p->npfs = 2;
	p->total_vfs = 4;
	p->enabled_vfs = 4;
	p->mem_total = 256 * GiB;
	p->host_used = 8 * GiB;
	p->total_icm_bytes = 32 * GiB;
	p->pf_pages = pf_pages;
	p->ngpus = 1;
	p->pools[0] = (struct sim_hugepage_spec){GiB, 32, 8};
	p->pools[1] = (struct sim_hugepage_spec){2 * MiB, 1024, 1024};
	p->npools = 2;
}

/* Discover, read memory and counters, probe the sim firmware. */
static int open_host(struct host *host)
{
	struct iq_err err = {0};
	int rc = host_discover(root, NULL, host, &err);

	if (!rc)
		rc = host_read_memory(host, &err);
	if (!rc) {
		host_read_fw_pages(host);
		host->sim_transport = &simfw_transport;
		rc = host_probe_firmware(host, FW_BACKEND_SIM, NULL, &err);
	}
	if (rc)
		fprintf(stderr, "open_host: %s\n", err.msg);
	return rc;
}

static int init_host(const struct sim_host_params *p, struct host *host)
{
	struct iq_err err = {0};

	snprintf(root, sizeof(root), "/tmp/iq-test-plan-XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		exit(1);
	}
	if (sim_host_init(root, p, &err) != IQ_OK) {
		fprintf(stderr, "sim_host_init: %s\n", err.msg);
		return -1;
	}
	return open_host(host);
}

static int parse_policy(const char *yaml, struct policy *policy)
{
	struct iq_err err = {0};
	int rc = policy_parse(yaml, strlen(yaml), "inline.yaml", policy, &err);

	if (rc)
		fprintf(stderr, "policy_parse: %s\n", err.msg);
	return rc;
}

/* VM facts; the PCI addresses follow, NULL-terminated. */
static void make_vm(struct vm_facts *vm, const char *name,
		    uint64_t memory_bytes, bool hugepages,
		    const char *class_name, ...)
{
	struct iq_err err = {0};
	const char *pci;
	va_list ap;

	memset(vm, 0, sizeof(*vm));
	snprintf(vm->name, sizeof(vm->name), "%s", name);
	vm->memory_bytes = memory_bytes;
	/* All of it in the host's default huge page size. */
	if (hugepages && vm_add_huge(vm, 0, 0, memory_bytes, &err))
		fprintf(stderr, "vm_add_huge: %s\n", err.msg);
	snprintf(vm->class_name, sizeof(vm->class_name), "%s", class_name);
	{
		char source[300];

		snprintf(source, sizeof(source), "test:%s", name);
		vm_set_source(vm, source, &err);
	}
	va_start(ap, class_name);
	while ((pci = va_arg(ap, const char *)))
		if (vm_add_pci(vm, pci, &err))
			fprintf(stderr, "vm_add_pci: %s\n", err.msg);
	va_end(ap);
}

static void free_vms(struct vm_facts *vms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vm_facts_free(&vms[i]);
}

static struct plan_vf *entry(struct plan *plan, const char *vf_pci)
{
	for (size_t i = 0; i < plan->nvfs; i++)
		if (strcmp(plan->vfs[i].vf->pci, vf_pci) == 0)
			return &plan->vfs[i];
	fprintf(stderr, "no plan entry for %s\n", vf_pci);
	return NULL;
}

/* The cap the plan wants for a VF; 0 when the VF is not in the plan. */
static uint64_t desired(struct plan *plan, const char *vf_pci)
{
	struct plan_vf *pv = entry(plan, vf_pci);

	return pv ? pv->desired_bytes : 0;
}

static bool in_scope(struct plan *plan, const char *vf_pci)
{
	struct plan_vf *pv = entry(plan, vf_pci);

	return pv && pv->in_scope;
}

static const struct vm_facts *holder(struct plan *plan, const char *vf_pci)
{
	struct plan_vf *pv = entry(plan, vf_pci);

	return pv ? pv->vm : NULL;
}

/* What the firmware holds as the VF's cap (4 KiB pages). */
static uint32_t fw_cap(struct host *host, const char *vf_pci)
{
	struct host_pf *pf = NULL;
	struct host_vf *vf = host_find_vf(host, vf_pci, &pf);
	struct prm_vhca_icm_ctrl state = {0};
	struct iq_err err = {0};

	if (!vf || host_vf_vhca(pf, vf, &err) ||
	    fw_read_vhca_icm(pf->fw, vf->vhca_id, &state, &err)) {
		fprintf(stderr, "fw_cap %s: %s\n", vf_pci, err.msg);
		host_fw_flush(host, &err);
		return 0;
	}
	/* The batch ends: other processes (sim register) may go on. */
	if (host_fw_flush(host, &err)) {
		fprintf(stderr, "fw_cap %s: %s\n", vf_pci, err.msg);
		return 0;
	}
	return state.max_alloc_icm_th;
}

static uint64_t read_u64_in_root(const char *rel)
{
	struct iq_err err = {0};
	char path[PATH_MAX];
	uint64_t value = 0;

	in_root(path, sizeof(path), rel);
	if (file_read_u64(path, &value, &err))
		fprintf(stderr, "%s\n", err.msg);
	return value;
}

static void write_counter(const char *pf, const char *name, const char *value)
{
	struct iq_err err = {0};
	char rel[PATH_MAX], path[PATH_MAX];

	snprintf(rel, sizeof(rel), "sys/kernel/debug/mlx5/%s/pages/%s", pf,
		 name);
	in_root(path, sizeof(path), rel);
	if (file_write_str(path, value, &err))
		fprintf(stderr, "%s\n", err.msg);
}

static const char *const base_policy = "version: 1\n"
				       "host:\n"
				       "  reserve: 16GiB\n"
				       "defaults:\n"
				       "  vf_cap: 8GiB\n"
				       "  idle_vf_cap: 256MiB\n"
				       "  min_vf_cap: 1GiB\n"
				       "classes:\n"
				       "  small: { vf_cap: 2GiB }\n"
				       "  big: { vf_cap: unlimited }\n";

/* --- plan_build ----------------------------------------------------------- */

static void test_plan_maps_vms(void)
{
	struct sim_host_params p;
	struct host host;
	struct policy policy;
	struct plan plan;
	struct vm_facts vms[2];
	struct iq_err err = {0};
	struct plan_vf *pv;

	sim_params(&p, 1024);
	CHECK_U64(init_host(&p, &host), IQ_OK);
	CHECK_U64(parse_policy(base_policy, &policy), IQ_OK);
	make_vm(&vms[0], "train", 24 * GiB, true, "small", PF0_VF(2),
		sim_host_gpu_pci(0), "0c:00.1", NULL);
	make_vm(&vms[1], "web", 64 * GiB, false, "", PF1_VF(1), NULL);

	CHECK_U64(plan_build(&host, &policy, NULL, vms, 2, NULL, &plan, &err),
		  IQ_OK);
	/* Every VF of every PF, in PF then VF order. */
	CHECK_U64(plan.nvfs, 8);
	if (plan.nvfs == 8) {
		CHECK_STR(plan.vfs[0].vf->pci, PF0_VF(1));
		CHECK_STR(plan.vfs[0].pf->pci, PF0);
		CHECK_STR(plan.vfs[7].vf->pci, PF1_VF(4));
		CHECK_STR(plan.vfs[7].pf->pci, PF1);
	}
	/* The class gives train's VFs 2 GiB. */
	pv = entry(&plan, PF0_VF(1));
	CHECK(pv && pv->vm == &vms[0]);
	CHECK(pv && pv->decision.source == POLICY_FROM_CLASS);
	CHECK(pv && strstr(pv->decision.rule, "small"));
	CHECK_U64(desired(&plan, PF0_VF(1)), 2 * GiB);
	CHECK(holder(&plan, PF0_VF(2)) == &vms[0]);
	CHECK_U64(desired(&plan, PF0_VF(2)), 2 * GiB);
	/* No class: defaults.vf_cap. */
	pv = entry(&plan, PF1_VF(1));
	CHECK(pv && pv->vm == &vms[1]);
	CHECK(pv && pv->decision.source == POLICY_FROM_DEFAULT);
	CHECK(pv && strcmp(pv->decision.rule, "defaults.vf_cap") == 0);
	CHECK_U64(desired(&plan, PF1_VF(1)), 8 * GiB);
	/* Nobody's: the idle cap. */
	static const char *const idle[] = {
		PF0_VF(3), PF0_VF(4), PF1_VF(2), PF1_VF(3), PF1_VF(4),
	};
	for (size_t i = 0; i < sizeof(idle) / sizeof(idle[0]); i++) {
		pv = entry(&plan, idle[i]);
		CHECK(pv && pv->vm == NULL);
		CHECK(pv && pv->decision.source == POLICY_FROM_IDLE);
		CHECK_U64(desired(&plan, idle[i]), 256 * MiB);
	}
	/* Nothing read or written yet, everything in scope. */
	for (size_t i = 0; i < plan.nvfs; i++) {
		CHECK(plan.vfs[i].in_scope);
		CHECK(!plan.vfs[i].have_actual);
		CHECK(!plan.vfs[i].write);
	}
	CHECK_U64(plan.nwrites, 0);
	/* The GPU is another VM device, left alone. */
	CHECK_U64(plan.nothers, 1);
	if (plan.nothers == 1) {
		CHECK_STR(plan.others[0].pci, sim_host_gpu_pci(0));
		CHECK(plan.others[0].vm == &vms[0]);
	}
	plan_free(&plan);
	CHECK(plan.vfs == NULL && plan.nvfs == 0 && plan.others == NULL);
	free_vms(vms, 2);
	policy_free(&policy);
	host_free(&host);
	rm_root();
}

static void test_plan_refusals(void)
{
	struct sim_host_params p;
	struct host host;
	struct policy policy, too_big;
	struct plan plan;
	struct vm_facts vms[2];
	struct iq_err err = {0};

	sim_params(&p, 1024);
	CHECK_U64(init_host(&p, &host), IQ_OK);
	CHECK_U64(parse_policy(base_policy, &policy), IQ_OK);

	/* A device this host does not have. */
	make_vm(&vms[0], "ghost", GiB, false, "", PF0_VF(1), "0000:77:00.1",
		NULL);
	CHECK_U64(plan_build(&host, &policy, NULL, vms, 1, NULL, &plan, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "0000:77:00.1");
	CHECK_CONTAINS(err.msg, "VM ghost");
	CHECK(plan.vfs == NULL && plan.nvfs == 0);
	free_vms(vms, 1);

	/* A VF past sriov_numvfs is missing too. */
	make_vm(&vms[0], "ghost", GiB, false, "", PF0_VF(5), NULL);
	CHECK_U64(plan_build(&host, &policy, NULL, vms, 1, NULL, &plan, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, PF0_VF(5));
	free_vms(vms, 1);

	/* One VF, two VMs: both named. */
	make_vm(&vms[0], "alpha", GiB, false, "", PF0_VF(3), NULL);
	make_vm(&vms[1], "bravo", GiB, false, "", PF1_VF(2), PF0_VF(3), NULL);
	CHECK_U64(plan_build(&host, &policy, NULL, vms, 2, NULL, &plan, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, PF0_VF(3));
	CHECK_CONTAINS(err.msg, "alpha");
	CHECK_CONTAINS(err.msg, "bravo");
	CHECK(plan.vfs == NULL);
	free_vms(vms, 2);

	/* The same VM twice. */
	make_vm(&vms[0], "twin", GiB, false, "", PF0_VF(1), NULL);
	make_vm(&vms[1], "twin", GiB, false, "", PF0_VF(2), NULL);
	CHECK_U64(plan_build(&host, &policy, NULL, vms, 2, NULL, &plan, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "twin");
	CHECK_CONTAINS(err.msg, "twice");
	free_vms(vms, 2);

	/* A cap above the PFs' 32 GiB of ICM, at its place in the policy. */
	CHECK_U64(parse_policy("version: 1\ndefaults:\n  vf_cap: 64GiB\n",
			       &too_big),
		  IQ_OK);
	make_vm(&vms[0], "web", GiB, false, "", PF0_VF(1), NULL);
	CHECK_U64(plan_build(&host, &too_big, NULL, vms, 1, NULL, &plan, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "inline.yaml:3:");
	CHECK_CONTAINS(err.msg, PF0);
	CHECK(plan.vfs == NULL);
	free_vms(vms, 1);
	policy_free(&too_big);

	policy_free(&policy);
	host_free(&host);
	rm_root();
}

static void test_plan_scope(void)
{
	struct sim_host_params p;
	struct host host;
	struct policy policy;
	struct plan plan;
	struct vm_facts vms[2], stopping;
	struct iq_err err = {0};

	sim_params(&p, 1024);
	CHECK_U64(init_host(&p, &host), IQ_OK);
	CHECK_U64(parse_policy(base_policy, &policy), IQ_OK);
	make_vm(&vms[0], "train", GiB, false, "small", PF0_VF(1), PF0_VF(2),
		NULL);
	make_vm(&vms[1], "web", GiB, false, "", PF1_VF(1), NULL);

	/* A VM starting: only its own VFs are read back and written. */
	CHECK_U64(
		plan_build(&host, &policy, NULL, vms, 2, &vms[0], &plan, &err),
		IQ_OK);
	CHECK(in_scope(&plan, PF0_VF(1)));
	CHECK(in_scope(&plan, PF0_VF(2)));
	CHECK(!in_scope(&plan, PF0_VF(3)));
	CHECK(!in_scope(&plan, PF1_VF(1)));
	CHECK(!in_scope(&plan, PF1_VF(4)));
	/* The whole picture is still there, for the memory split. */
	CHECK(holder(&plan, PF1_VF(1)) == &vms[1]);
	CHECK_U64(desired(&plan, PF1_VF(1)), 8 * GiB);
	plan_free(&plan);

	/*
	 * A VM stopping (not among the running): its VFs go idle and are in
	 * scope, except one another running VM holds now.
	 */
	make_vm(&stopping, "old", GiB, false, "", PF0_VF(4), PF1_VF(1), NULL);
	CHECK_U64(plan_build(&host, &policy, NULL, &vms[1], 1, &stopping, &plan,
			     &err),
		  IQ_OK);
	CHECK(in_scope(&plan, PF0_VF(4)));
	CHECK(holder(&plan, PF0_VF(4)) == NULL);
	CHECK_U64(desired(&plan, PF0_VF(4)), 256 * MiB);
	CHECK(!in_scope(&plan, PF1_VF(1)));
	CHECK(!in_scope(&plan, PF0_VF(1)));
	{
		size_t n = 0;

		for (size_t i = 0; i < plan.nvfs; i++)
			n += plan.vfs[i].in_scope;
		CHECK_U64(n, 1);
	}
	plan_free(&plan);
	vm_facts_free(&stopping);

	/*
	 * A running VM whose device vanished is not this run's business when
	 * another VM starts; it is when that VM itself is the scope.
	 */
	vm_facts_free(&vms[1]);
	make_vm(&vms[1], "stale", GiB, false, "", PF1_VF(3), "0000:77:00.1",
		NULL);
	CHECK_U64(
		plan_build(&host, &policy, NULL, vms, 2, &vms[0], &plan, &err),
		IQ_OK);
	CHECK(holder(&plan, PF1_VF(3)) == &vms[1]);
	CHECK(!in_scope(&plan, PF1_VF(3)));
	plan_free(&plan);
	CHECK_U64(
		plan_build(&host, &policy, NULL, vms, 2, &vms[1], &plan, &err),
		IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "0000:77:00.1");
	CHECK_CONTAINS(err.msg, "stale");
	/* Applying everything (no scope) is strict for every VM. */
	CHECK_U64(plan_build(&host, &policy, NULL, vms, 2, NULL, &plan, &err),
		  IQ_EREFUSED);

	free_vms(vms, 2);
	policy_free(&policy);
	host_free(&host);
	rm_root();
}

/* A VM the journal marks as scaled keeps its lowered caps. */
static void test_plan_keeps_scaled_caps(void)
{
	struct sim_host_params p;
	struct host host;
	struct policy policy;
	struct plan plan;
	struct state st = {0};
	struct state_vf rec;
	struct vm_facts vms[2];
	struct iq_err err = {0};

	sim_params(&p, 1024);
	CHECK_U64(init_host(&p, &host), IQ_OK);
	CHECK_U64(parse_policy(base_policy, &policy), IQ_OK);
	make_vm(&vms[0], "train", GiB, false, "", PF0_VF(1), PF0_VF(2),
		PF0_VF(3), NULL);
	make_vm(&vms[1], "web", GiB, false, "", PF1_VF(1), NULL);
	CHECK_U64(state_put_vm(&st, &vms[0], "cli", &err), IQ_OK);
	CHECK_U64(state_put_vm(&st, &vms[1], "cli", &err), IQ_OK);
	st.vms[0].scale.scaled = true;
	/* Lowered to 3 GiB; a journal cap above the policy's does not win. */
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.pci, sizeof(rec.pci), PF0_VF(1));
	snprintf(rec.vm, sizeof(rec.vm), "train");
	rec.cap_bytes = 3 * GiB;
	CHECK_U64(state_put_vf(&st, &rec, &err), IQ_OK);
	snprintf(rec.pci, sizeof(rec.pci), PF0_VF(2));
	rec.cap_bytes = 12 * GiB;
	CHECK_U64(state_put_vf(&st, &rec, &err), IQ_OK);
	/* Journalled for another VM: not train's cap. */
	snprintf(rec.pci, sizeof(rec.pci), PF0_VF(3));
	snprintf(rec.vm, sizeof(rec.vm), "someone-else");
	rec.cap_bytes = GiB;
	CHECK_U64(state_put_vf(&st, &rec, &err), IQ_OK);
	/* web is not scaled: its journal entry does not matter. */
	snprintf(rec.pci, sizeof(rec.pci), PF1_VF(1));
	snprintf(rec.vm, sizeof(rec.vm), "web");
	rec.cap_bytes = 2 * GiB;
	CHECK_U64(state_put_vf(&st, &rec, &err), IQ_OK);

	CHECK_U64(plan_build(&host, &policy, &st, vms, 2, NULL, &plan, &err),
		  IQ_OK);
	CHECK_U64(desired(&plan, PF0_VF(1)), 3 * GiB);
	/* The policy's decision is still reported as such. */
	CHECK(entry(&plan, PF0_VF(1)) &&
	      entry(&plan, PF0_VF(1))->decision.cap_bytes == 8 * GiB);
	CHECK_U64(desired(&plan, PF0_VF(2)), 8 * GiB);
	CHECK_U64(desired(&plan, PF0_VF(3)), 8 * GiB);
	CHECK_U64(desired(&plan, PF1_VF(1)), 8 * GiB);
	plan_free(&plan);

	state_free(&st);
	free_vms(vms, 2);
	policy_free(&policy);
	host_free(&host);
	rm_root();
}

/* --- read-back, writes, firmware counters --------------------------------- */

static void test_plan_read_back_and_execute(void)
{
	struct sim_host_params p;
	struct host host;
	struct policy policy;
	struct plan plan;
	struct vm_facts vms[2];
	struct iq_err err = {0};
	unsigned long cmds0, writes0, cmds1, writes1, cmds2, writes2;

	sim_params(&p, 1024);
	CHECK_U64(init_host(&p, &host), IQ_OK);
	CHECK_U64(parse_policy(base_policy, &policy), IQ_OK);
	make_vm(&vms[0], "train", GiB, false, "small", PF0_VF(1), PF0_VF(2),
		NULL);
	make_vm(&vms[1], "web", GiB, false, "", PF1_VF(1), NULL);

	CHECK_U64(plan_build(&host, &policy, NULL, vms, 2, NULL, &plan, &err),
		  IQ_OK);
	host_fw_counts(&host, &cmds0, &writes0);
	CHECK_U64(writes0, 0);
	CHECK_U64(plan_read_back(&host, &plan, &err), IQ_OK);
	/* The firmware's default is unlimited: every VF needs its write. */
	CHECK_U64(plan.nwrites, 8);
	for (size_t i = 0; i < plan.nvfs; i++) {
		CHECK(plan.vfs[i].have_actual);
		CHECK_U64(plan.vfs[i].actual.max_alloc_icm_th,
			  PRM_ICM_UNLIMITED);
		CHECK(plan.vfs[i].write);
		CHECK(!plan.vfs[i].written);
	}
	/* Reading writes nothing. */
	host_fw_counts(&host, &cmds1, &writes1);
	CHECK_U64(writes1, 0);
	CHECK(cmds1 >= cmds0 + 8);

	CHECK_U64(plan_execute(&host, &plan, &err), IQ_OK);
	host_fw_counts(&host, &cmds2, &writes2);
	CHECK_U64(writes2, 8);
	CHECK_U64(cmds2, cmds1 + 8);
	for (size_t i = 0; i < plan.nvfs; i++)
		CHECK(plan.vfs[i].written);
	/* What the firmware holds now. */
	CHECK_U64(fw_cap(&host, PF0_VF(1)), 2 * GiB / 4096);
	CHECK_U64(fw_cap(&host, PF0_VF(2)), 2 * GiB / 4096);
	CHECK_U64(fw_cap(&host, PF1_VF(1)), 8 * GiB / 4096);
	CHECK_U64(fw_cap(&host, PF0_VF(3)), 256 * MiB / 4096);
	CHECK_U64(fw_cap(&host, PF1_VF(4)), 256 * MiB / 4096);

	/* Executing again writes nothing more. */
	host_fw_counts(&host, &cmds1, &writes1);
	CHECK_U64(plan_execute(&host, &plan, &err), IQ_OK);
	host_fw_counts(&host, &cmds2, &writes2);
	CHECK_U64(writes2, writes1);
	CHECK_U64(cmds2, cmds1);

	/* A second read-back: nothing to write. */
	CHECK_U64(plan_read_back(&host, &plan, &err), IQ_OK);
	CHECK_U64(plan.nwrites, 0);
	for (size_t i = 0; i < plan.nvfs; i++)
		CHECK(!plan.vfs[i].write);
	plan_free(&plan);

	/* A new run (a new process) sees the same: zero writes. */
	host_free(&host);
	CHECK_U64(open_host(&host), IQ_OK);
	CHECK_U64(plan_build(&host, &policy, NULL, vms, 2, NULL, &plan, &err),
		  IQ_OK);
	CHECK_U64(plan_read_back(&host, &plan, &err), IQ_OK);
	CHECK_U64(plan.nwrites, 0);
	CHECK_U64(plan_execute(&host, &plan, &err), IQ_OK);
	host_fw_counts(&host, &cmds1, &writes1);
	CHECK_U64(writes1, 0);
	/* Once vhca_ids are known, a read-back is one command per VF. */
	CHECK_U64(plan_read_back(&host, &plan, &err), IQ_OK);
	host_fw_counts(&host, &cmds2, &writes2);
	CHECK_U64(cmds2, cmds1 + 8);
	plan_free(&plan);

	/* web stops: only its VF is touched, back to the idle cap. */
	CHECK_U64(
		plan_build(&host, &policy, NULL, vms, 1, &vms[1], &plan, &err),
		IQ_OK);
	host_fw_counts(&host, &cmds1, &writes1);
	CHECK_U64(plan_read_back(&host, &plan, &err), IQ_OK);
	CHECK_U64(plan.nwrites, 1);
	CHECK(entry(&plan, PF1_VF(1)) && entry(&plan, PF1_VF(1))->write);
	CHECK(entry(&plan, PF0_VF(1)) && !entry(&plan, PF0_VF(1))->have_actual);
	CHECK_U64(plan_execute(&host, &plan, &err), IQ_OK);
	host_fw_counts(&host, &cmds2, &writes2);
	CHECK_U64(writes2, writes1 + 1);
	CHECK_U64(cmds2, cmds1 + 2);
	CHECK_U64(fw_cap(&host, PF1_VF(1)), 256 * MiB / 4096);
	CHECK_U64(fw_cap(&host, PF0_VF(1)), 2 * GiB / 4096);
	plan_free(&plan);

	free_vms(vms, 2);
	policy_free(&policy);
	host_free(&host);
	rm_root();
}

/* A PF whose firmware lacks VHCA_ICM_CTRL: its VFs are not read or written. */
static void test_plan_unsupported_pf(void)
{
	struct sim_host_params p;
	struct host host;
	struct policy policy;
	struct plan plan;
	struct vm_facts vm;
	struct iq_err err = {0};
	unsigned long cmds, writes;

	sim_params(&p, 1024);
	snprintf(p.no_icm_ctrl[0], PCI_ADDR_LEN, "%s", PF1);
	p.n_no_icm_ctrl = 1;
	CHECK_U64(init_host(&p, &host), IQ_OK);
	CHECK(!host.pfs[1].supported);
	CHECK_U64(parse_policy(base_policy, &policy), IQ_OK);
	make_vm(&vm, "web", GiB, false, "", PF0_VF(1), PF1_VF(1), NULL);
	CHECK_U64(plan_build(&host, &policy, NULL, &vm, 1, NULL, &plan, &err),
		  IQ_OK);
	CHECK(holder(&plan, PF1_VF(1)) == &vm);
	CHECK_U64(plan_read_back(&host, &plan, &err), IQ_OK);
	CHECK_U64(plan.nwrites, 4);
	for (size_t i = 0; i < plan.nvfs; i++) {
		bool on_pf1 = plan.vfs[i].pf == &host.pfs[1];

		CHECK(plan.vfs[i].have_actual == !on_pf1);
		CHECK(plan.vfs[i].write == !on_pf1);
	}
	CHECK_U64(plan_execute(&host, &plan, &err), IQ_OK);
	host_fw_counts(&host, &cmds, &writes);
	CHECK_U64(writes, 4);
	plan_free(&plan);
	vm_facts_free(&vm);
	policy_free(&policy);
	host_free(&host);
	rm_root();
}

static void test_plan_vf_cap_charge(void)
{
	struct host_pf pf = {
		.total_icm_bytes = 32 * GiB, .probed = true, .supported = true};
	struct plan_vf pv = {.pf = &pf, .desired_bytes = 3 * GiB};
	struct sim_host_params p;
	struct host host;
	struct policy policy;
	struct plan plan;
	struct vm_facts vm;
	struct iq_err err = {0};

	CHECK_U64(plan_vf_cap_charge(&pv, 256 * GiB), 3 * GiB);
	/* Unlimited: as much as the PF's ICM can hold. */
	pv.desired_bytes = IQ_UNLIMITED;
	CHECK_U64(plan_vf_cap_charge(&pv, 256 * GiB), 32 * GiB);
	/* Total ICM not asked (firmware not opened): all the memory. */
	pf.probed = false;
	CHECK_U64(plan_vf_cap_charge(&pv, 256 * GiB), 256 * GiB);
	pf.probed = true;
	/* Unlimited on a PF with unlimited ICM: all the memory. */
	pf.total_icm_bytes = IQ_UNLIMITED;
	CHECK_U64(plan_vf_cap_charge(&pv, 256 * GiB), 256 * GiB);
	pv.desired_bytes = 0;
	CHECK_U64(plan_vf_cap_charge(&pv, 256 * GiB), 0);
	/* A PF that cannot cap (no VHCA_ICM_CTRL): whatever was asked, the
	 * VF runs unlimited and counts so (total ICM, or all the memory). */
	pf.supported = false;
	pv.desired_bytes = 3 * GiB;
	CHECK_U64(plan_vf_cap_charge(&pv, 256 * GiB), 256 * GiB);
	pf.total_icm_bytes = 32 * GiB;
	CHECK_U64(plan_vf_cap_charge(&pv, 256 * GiB), 32 * GiB);
	pf.supported = true;

	/* The same through a plan: class big is unlimited. */
	sim_params(&p, 1024);
	CHECK_U64(init_host(&p, &host), IQ_OK);
	CHECK_U64(parse_policy(base_policy, &policy), IQ_OK);
	make_vm(&vm, "huge", GiB, false, "big", PF1_VF(2), NULL);
	CHECK_U64(plan_build(&host, &policy, NULL, &vm, 1, NULL, &plan, &err),
		  IQ_OK);
	CHECK_U64(desired(&plan, PF1_VF(2)), IQ_UNLIMITED);
	if (entry(&plan, PF1_VF(2)))
		CHECK_U64(
			plan_vf_cap_charge(entry(&plan, PF1_VF(2)), 256 * GiB),
			32 * GiB);
	if (entry(&plan, PF1_VF(3)))
		CHECK_U64(
			plan_vf_cap_charge(entry(&plan, PF1_VF(3)), 256 * GiB),
			256 * MiB);
	plan_free(&plan);
	vm_facts_free(&vm);
	policy_free(&policy);
	host_free(&host);
	rm_root();
}

/* --- split_compute -------------------------------------------------------- */

static void test_split_terms(void)
{
	struct sim_host_params p;
	struct host host;
	struct policy policy;
	struct plan plan;
	struct split split;
	struct vm_facts vms[3];
	struct iq_err err = {0};
	char text[1024];
	uint64_t committed;

	sim_params(&p, 1024);
	CHECK_U64(init_host(&p, &host), IQ_OK);
	CHECK_U64(parse_policy(base_policy, &policy), IQ_OK);
	/* Huge page backed: its memory is in the pools already. */
	make_vm(&vms[0], "train", 24 * GiB, true, "small", PF0_VF(1), PF0_VF(2),
		sim_host_gpu_pci(0), NULL);
	make_vm(&vms[1], "web", 64 * GiB, false, "", PF1_VF(1), NULL);
	make_vm(&vms[2], "huge", 4 * GiB, false, "big", PF1_VF(2), NULL);
	CHECK_U64(plan_build(&host, &policy, NULL, vms, 3, NULL, &plan, &err),
		  IQ_OK);

	/*
	 * PF own pages = fw_pages_total - fw_pages_vfs - fw_pages_ec_vfs:
	 * PF0 5000 - 3000 = 2000, PF1 4000 - 1000 - 500 = 2500.
	 */
	write_counter(PF0, "fw_pages_total", "5000\n");
	write_counter(PF0, "fw_pages_vfs", "3000\n");
	write_counter(PF1, "fw_pages_total", "4000\n");
	write_counter(PF1, "fw_pages_vfs", "1000\n");
	write_counter(PF1, "fw_pages_ec_vfs", "500\n");
	host_read_fw_pages(&host);

	split_compute(&host, &policy, &plan, vms, 3, &split);
	CHECK_U64(split.mem_total, 256 * GiB);
	CHECK_U64(split.reserve, 16 * GiB);
	/* 2 + 2 (small) + 8 (defaults) + 32 (unlimited = total ICM); idle
	 * VFs are not charged. */
	CHECK_U64(split.vf_caps, 44 * GiB);
	CHECK_U64(split.unlimited_caps, 1);
	CHECK_U64(split.pf_fw_pages, 4500 * 4096ULL);
	CHECK_U64(split.vm_nonhuge, 68 * GiB);
	/* 32 x 1 GiB + 1024 x 2 MiB, used or free. */
	CHECK_U64(split.hugepage_pools, 34 * GiB);
	committed = 16 * GiB + 44 * GiB + 4500 * 4096ULL + 68 * GiB + 34 * GiB;
	CHECK_U64(split.committed, committed);
	CHECK(split.headroom == (int64_t)(256 * GiB) - (int64_t)committed);
	/* Observed: what meminfo and the firmware counters say. */
	CHECK_U64(split.mem_available, host.mem.mem_available);
	CHECK_U64(split.mem_available,
		  256 * GiB - 8 * GiB - 34 * GiB - 2 * 1024 * 4096ULL);
	CHECK_U64(split.fw_pages_bytes, 9000 * 4096ULL);

	split_describe(&split, text, sizeof(text));
	CHECK_CONTAINS(text, "MemTotal 256.0GiB");
	CHECK_CONTAINS(text, "reserve 16.0GiB");
	CHECK_CONTAINS(text, "VF caps 44.0GiB (1 unlimited");
	CHECK_CONTAINS(text, "non-hugepage VM memory 68.0GiB");
	CHECK_CONTAINS(text, "huge page pools 34.0GiB");
	CHECK_CONTAINS(text, "= headroom 94.0GiB");

	/* Only fw_pages_total for PF1 (vhca_id page management): all of
	 * its 4000 pages count (over-counting is the safe side). */
	{
		char path[PATH_MAX];

		in_root(path, sizeof(path),
			"sys/kernel/debug/mlx5/" PF1 "/pages/fw_pages_vfs");
		CHECK_U64(unlink(path), 0);
	}
	/* And a total below the VFs' (counters read at different times):
	 * 0, never negative. */
	write_counter(PF0, "fw_pages_total", "100\n");
	host_read_fw_pages(&host);
	split_compute(&host, &policy, &plan, vms, 3, &split);
	CHECK_U64(split.pf_fw_pages, 4000 * 4096ULL);
	CHECK_U64(split.pf_fw_total_only, 1);
	CHECK_U64(split.pf_fw_unknown, 0);
	CHECK_U64(split.fw_pages_bytes, 4100 * 4096ULL);
	CHECK_U64(split.committed,
		  16 * GiB + 44 * GiB + 68 * GiB + 34 * GiB + 4000 * 4096ULL);
	CHECK(split.headroom == (int64_t)(94 * GiB) - 4000 * 4096);

	/* Without VMs: reserve, the PFs' pages and the pools. */
	write_counter(PF0, "fw_pages_total", "3001\n");
	host_read_fw_pages(&host);
	plan_free(&plan);
	CHECK_U64(plan_build(&host, &policy, NULL, NULL, 0, NULL, &plan, &err),
		  IQ_OK);
	split_compute(&host, &policy, &plan, NULL, 0, &split);
	CHECK_U64(split.vf_caps, 0);
	CHECK_U64(split.unlimited_caps, 0);
	CHECK_U64(split.vm_nonhuge, 0);
	/* PF0's own page, PF1's whole total (no fw_pages_vfs there). */
	CHECK_U64(split.pf_fw_pages, 4001 * 4096ULL);
	CHECK_U64(split.committed, 50 * GiB + 4001 * 4096ULL);
	split_describe(&split, text, sizeof(text));
	CHECK(strstr(text, "unlimited") == NULL);
	plan_free(&plan);

	free_vms(vms, 3);
	policy_free(&policy);
	host_free(&host);
	rm_root();
}

/* --- split_admit ---------------------------------------------------------- */

/*
 * The admission host: no PF firmware pages, so that
 *   committed = reserve + caps + non-hugepage memory + 34 GiB of pools.
 */
static int init_admission_host(struct host *host)
{
	struct sim_host_params p;

	sim_params(&p, 0);
	return init_host(&p, host);
}

static void test_admit_strict(void)
{
	struct host host;
	struct policy policy;
	struct plan plan;
	struct split split;
	struct admission adm;
	struct vm_facts vms[2];
	struct iq_err err = {0};

	CHECK_U64(init_admission_host(&host), IQ_OK);
	CHECK_U64(parse_policy(base_policy, &policy), IQ_OK);
	make_vm(&vms[0], "db", 10 * GiB, false, "", PF1_VF(1), NULL);

	/* 16 + 8 + 8 + 10 + 34 + 180 = 256: exactly fits. */
	make_vm(&vms[1], "big-web", 180 * GiB, false, "", PF0_VF(1), NULL);
	CHECK_U64(
		plan_build(&host, &policy, NULL, vms, 2, &vms[1], &plan, &err),
		IQ_OK);
	CHECK_U64(split_admit(&host, &policy, &plan, vms, 2, &vms[1], &split,
			      &adm, &err),
		  IQ_OK);
	CHECK(adm.admitted);
	CHECK(!adm.scaled);
	CHECK_U64(adm.released_hugepages, 0);
	CHECK_STR(adm.message, "");
	CHECK(split.headroom == 0);
	CHECK_U64(split.committed, 256 * GiB);
	plan_free(&plan);

	/* One byte more: refused, short by 1B. */
	vms[1].memory_bytes = 180 * GiB + 1;
	CHECK_U64(
		plan_build(&host, &policy, NULL, vms, 2, &vms[1], &plan, &err),
		IQ_OK);
	CHECK_U64(split_admit(&host, &policy, &plan, vms, 2, &vms[1], &split,
			      &adm, &err),
		  IQ_EREFUSED);
	CHECK(!adm.admitted);
	CHECK(split.headroom == -1);
	CHECK_CONTAINS(err.msg, "short by 1B");
	plan_free(&plan);

	/* 2 GiB short: the message names the VM, the gap and the knobs. */
	vms[1].memory_bytes = 182 * GiB;
	CHECK_U64(
		plan_build(&host, &policy, NULL, vms, 2, &vms[1], &plan, &err),
		IQ_OK);
	CHECK_U64(split_admit(&host, &policy, &plan, vms, 2, &vms[1], &split,
			      &adm, &err),
		  IQ_EREFUSED);
	CHECK(!adm.admitted);
	CHECK(split.headroom == -(int64_t)(2 * GiB));
	CHECK_CONTAINS(err.msg, "VM big-web does not fit");
	CHECK_CONTAINS(err.msg, "short by 2.0GiB");
	CHECK_CONTAINS(err.msg, "headroom -2.0GiB");
	CHECK_CONTAINS(err.msg, "host.admission: scale");
	/* Nothing was changed in the plan, no huge pages released. */
	CHECK_U64(desired(&plan, PF0_VF(1)), 8 * GiB);
	CHECK_U64(read_u64_in_root(POOL_1G), 32);
	CHECK_U64(read_u64_in_root(POOL_2M), 1024);
	plan_free(&plan);

	free_vms(vms, 2);
	policy_free(&policy);
	host_free(&host);
	rm_root();
}

static void test_admit_warn(void)
{
	struct host host;
	struct policy policy;
	struct plan plan;
	struct split split;
	struct admission adm;
	struct vm_facts vms[2];
	struct iq_err err = {0};

	CHECK_U64(init_admission_host(&host), IQ_OK);
	CHECK_U64(parse_policy("version: 1\n"
			       "host: { reserve: 16GiB, admission: warn }\n"
			       "defaults: { vf_cap: 8GiB }\n",
			       &policy),
		  IQ_OK);
	make_vm(&vms[0], "db", 10 * GiB, false, "", PF1_VF(1), NULL);
	make_vm(&vms[1], "big-web", 182 * GiB, false, "", PF0_VF(1), NULL);
	CHECK_U64(
		plan_build(&host, &policy, NULL, vms, 2, &vms[1], &plan, &err),
		IQ_OK);
	CHECK_U64(split_admit(&host, &policy, &plan, vms, 2, &vms[1], &split,
			      &adm, &err),
		  IQ_OK);
	CHECK(adm.admitted);
	CHECK(!adm.scaled);
	CHECK(split.headroom == -(int64_t)(2 * GiB));
	CHECK_CONTAINS(adm.message, "big-web");
	CHECK_CONTAINS(adm.message, "does not fit by 2.0GiB");
	CHECK_CONTAINS(adm.message, "host.admission: warn");
	CHECK_U64(desired(&plan, PF0_VF(1)), 8 * GiB);
	plan_free(&plan);
	free_vms(vms, 2);
	policy_free(&policy);
	host_free(&host);
	rm_root();
}

static const char *const scale_policy =
	"version: 1\n"
	"host:\n"
	"  reserve: 16GiB\n"
	"  admission: scale\n"
	"defaults:\n"
	"  vf_cap: 8GiB\n"
	"  idle_vf_cap: 256MiB\n"
	"  min_vf_cap: 1GiB\n"
	"devices:\n"
	"  \"0000:2a:00.0\": { vf_cap: 4GiB }\n";

/*
 * "grow" starts with an 8 GiB VF (defaults) and a 4 GiB VF (device rule);
 * "other" runs with one 8 GiB VF and 1 GiB of memory:
 *   committed = 16 + (8 + 4) + 8 + (1 + grow's memory) + 34.
 * Returns split_admit's result.
 */
static int admit_grow(struct host *host, const struct policy *policy,
		      uint64_t grow_memory, struct vm_facts *vms,
		      struct plan *plan, struct split *split,
		      struct admission *adm, struct iq_err *err)
{
	int rc;

	make_vm(&vms[0], "other", GiB, false, "", PF0_VF(3), NULL);
	make_vm(&vms[1], "grow", grow_memory, false, "", PF0_VF(1), PF1_VF(1),
		NULL);
	rc = plan_build(host, policy, NULL, vms, 2, &vms[1], plan, err);
	if (rc)
		return rc;
	return split_admit(host, policy, plan, vms, 2, &vms[1], split, adm,
			   err);
}

static void test_admit_scale(void)
{
	struct host host;
	struct policy policy;
	struct plan plan;
	struct split split;
	struct admission adm;
	struct vm_facts vms[2];
	struct iq_err err = {0};

	CHECK_U64(init_admission_host(&host), IQ_OK);
	CHECK_U64(parse_policy(scale_policy, &policy), IQ_OK);

	/*
	 * 5 GiB short; room above min: 7 + 3 = 10 GiB. Each VF gives its
	 * share: 8 - 3.5 = 4.5 GiB, 4 - 1.5 = 2.5 GiB.
	 */
	CHECK_U64(admit_grow(&host, &policy, 190 * GiB, vms, &plan, &split,
			     &adm, &err),
		  IQ_OK);
	CHECK(adm.admitted);
	CHECK(adm.scaled);
	CHECK_U64(adm.scaled_from, 12 * GiB);
	CHECK_U64(adm.scaled_to, 7 * GiB);
	CHECK_U64(desired(&plan, PF0_VF(1)), 9 * GiB / 2);
	CHECK_U64(desired(&plan, PF1_VF(1)), 5 * GiB / 2);
	/* The split after scaling fits exactly. */
	CHECK(split.headroom == 0);
	CHECK_U64(split.vf_caps, 15 * GiB);
	/* Other VMs and idle VFs are not touched. */
	CHECK_U64(desired(&plan, PF0_VF(3)), 8 * GiB);
	CHECK_U64(desired(&plan, PF1_VF(2)), 256 * MiB);
	CHECK_CONTAINS(adm.message, "grow");
	CHECK_CONTAINS(adm.message, "scaled from 12.0GiB to 7.0GiB");
	plan_free(&plan);
	free_vms(vms, 2);

	/* 10 GiB short: all the room; both VFs at min_vf_cap. */
	CHECK_U64(admit_grow(&host, &policy, 195 * GiB, vms, &plan, &split,
			     &adm, &err),
		  IQ_OK);
	CHECK(adm.admitted && adm.scaled);
	CHECK_U64(desired(&plan, PF0_VF(1)), GiB);
	CHECK_U64(desired(&plan, PF1_VF(1)), GiB);
	CHECK_U64(adm.scaled_to, 2 * GiB);
	CHECK(split.headroom == 0);
	plan_free(&plan);
	free_vms(vms, 2);

	/* A byte less short: never below min_vf_cap for the rounding. */
	CHECK_U64(admit_grow(&host, &policy, 195 * GiB - 1, vms, &plan, &split,
			     &adm, &err),
		  IQ_OK);
	CHECK(adm.admitted);
	CHECK(desired(&plan, PF0_VF(1)) >= GiB);
	CHECK(desired(&plan, PF1_VF(1)) >= GiB);
	CHECK(split.headroom >= 0);
	plan_free(&plan);
	free_vms(vms, 2);

	/*
	 * 4 KiB more than the room: refused, the plan left as it was. The
	 * refusal quotes the split it compared, with grow's caps at
	 * min_vf_cap (1 + 1 + other's 8 GiB), short by those 4 KiB.
	 */
	CHECK_U64(admit_grow(&host, &policy, 195 * GiB + 4 * KiB, vms, &plan,
			     &split, &adm, &err),
		  IQ_EREFUSED);
	CHECK(!adm.admitted);
	CHECK(!adm.scaled);
	CHECK_CONTAINS(err.msg, "VM grow does not fit even with its VF caps");
	CHECK_CONTAINS(err.msg, "min_vf_cap 1.0GiB");
	CHECK_CONTAINS(err.msg, "short by 4.0KiB");
	CHECK_CONTAINS(err.msg, "VF caps 10.0GiB - ");
	CHECK_CONTAINS(err.msg, "= headroom -4.0KiB)");
	CHECK_CONTAINS(err.msg, "defaults.min_vf_cap");
	CHECK_U64(desired(&plan, PF0_VF(1)), 8 * GiB);
	CHECK_U64(desired(&plan, PF1_VF(1)), 4 * GiB);
	plan_free(&plan);
	free_vms(vms, 2);

	/* Fits as it is: nothing scaled. */
	CHECK_U64(admit_grow(&host, &policy, 185 * GiB, vms, &plan, &split,
			     &adm, &err),
		  IQ_OK);
	CHECK(adm.admitted && !adm.scaled);
	CHECK_U64(desired(&plan, PF0_VF(1)), 8 * GiB);
	CHECK_STR(adm.message, "");
	plan_free(&plan);
	free_vms(vms, 2);

	policy_free(&policy);
	host_free(&host);
	rm_root();
}

/* A VF whose cap is already below min_vf_cap is neither cut nor raised. */
static void test_admit_scale_below_min(void)
{
	struct host host;
	struct policy policy;
	struct plan plan;
	struct split split;
	struct admission adm;
	struct vm_facts vm;
	struct iq_err err = {0};

	CHECK_U64(init_admission_host(&host), IQ_OK);
	CHECK_U64(parse_policy("version: 1\n"
			       "host: { reserve: 16GiB, admission: scale }\n"
			       "defaults: { vf_cap: 8GiB, min_vf_cap: 1GiB }\n"
			       "devices:\n"
			       "  \"0000:2a:00.0\": { vf_cap: 512MiB }\n",
			       &policy),
		  IQ_OK);
	/* 16 + 8.5 (caps) + 200.5 + 34 = 259: 3 GiB short, all of it from
	 * the 8 GiB VF. */
	make_vm(&vm, "grow", 401 * GiB / 2, false, "", PF0_VF(1), PF1_VF(1),
		NULL);
	CHECK_U64(plan_build(&host, &policy, NULL, &vm, 1, &vm, &plan, &err),
		  IQ_OK);
	CHECK_U64(split_admit(&host, &policy, &plan, &vm, 1, &vm, &split, &adm,
			      &err),
		  IQ_OK);
	CHECK(adm.admitted && adm.scaled);
	CHECK_U64(desired(&plan, PF0_VF(1)), 5 * GiB);
	CHECK_U64(desired(&plan, PF1_VF(1)), 512 * MiB);
	CHECK_U64(adm.scaled_from, 8 * GiB + 512 * MiB);
	CHECK_U64(adm.scaled_to, 5 * GiB + 512 * MiB);
	CHECK(split.headroom == 0);
	plan_free(&plan);
	vm_facts_free(&vm);
	policy_free(&policy);
	host_free(&host);
	rm_root();
}

/*
 * An unlimited cap on a PF with unlimited ICM is charged at MemTotal; scale
 * brings it down to a finite cap, and the page rounding of the cut never
 * takes it below min_vf_cap (MemTotal here is not a whole number of pages).
 */
static void test_admit_scale_unlimited(void)
{
	struct sim_host_params p;
	struct host host;
	struct policy policy;
	struct plan plan;
	struct split split;
	struct admission adm;
	struct vm_facts vm;
	struct iq_err err = {0};
	const uint64_t mem_total = 256 * GiB + KiB;

	sim_params(&p, 0);
	p.mem_total = mem_total;
	p.total_icm_bytes = IQ_UNLIMITED;
	CHECK_U64(init_host(&p, &host), IQ_OK);
	CHECK_U64(host.mem.mem_total, mem_total);
	CHECK_U64(host.pfs[0].total_icm_bytes, IQ_UNLIMITED);
	CHECK_U64(parse_policy("version: 1\n"
			       "host: { reserve: 16GiB, admission: scale }\n"
			       "defaults: { vf_cap: 8GiB, min_vf_cap: 1GiB }\n"
			       "classes:\n"
			       "  big: { vf_cap: unlimited }\n",
			       &policy),
		  IQ_OK);
	/*
	 * committed = 16 + MemTotal (the cap) + 34 + 205 GiB + 1 KiB:
	 * short by MemTotal - 1 GiB, exactly the room above min_vf_cap.
	 */
	make_vm(&vm, "grow", 205 * GiB + KiB, false, "big", PF0_VF(1), NULL);
	CHECK_U64(plan_build(&host, &policy, NULL, &vm, 1, &vm, &plan, &err),
		  IQ_OK);
	split_compute(&host, &policy, &plan, &vm, 1, &split);
	CHECK_U64(split.vf_caps, mem_total);
	CHECK_U64(split.unlimited_caps, 1);
	CHECK(split.headroom == -(int64_t)(mem_total - GiB));
	CHECK_U64(split_admit(&host, &policy, &plan, &vm, 1, &vm, &split, &adm,
			      &err),
		  IQ_OK);
	CHECK(adm.admitted && adm.scaled);
	CHECK_U64(adm.scaled_from, mem_total);
	CHECK_U64(adm.scaled_to, GiB);
	CHECK_U64(desired(&plan, PF0_VF(1)), GiB);
	CHECK_U64(split.unlimited_caps, 0);
	CHECK(split.headroom == 0);
	plan_free(&plan);
	vm_facts_free(&vm);
	policy_free(&policy);
	host_free(&host);
	rm_root();
}

/*
 * hugepages: manage. The pools: 32 x 1 GiB with 8 free, 1024 x 2 MiB all
 * free. "hp" starts backed by 4 GiB of huge pages: those stay.
 * committed = reserve + 8 (its VF) + 34 (pools).
 */
static int admit_hp(struct host *host, const char *reserve, bool manage,
		    struct vm_facts *vm, struct plan *plan, struct split *split,
		    struct admission *adm, struct iq_err *err)
{
	struct policy policy;
	char yaml[256];
	int rc;

	snprintf(yaml, sizeof(yaml),
		 "version: 1\n"
		 "host: { reserve: %s, hugepages: %s }\n"
		 "defaults: { vf_cap: 8GiB }\n",
		 reserve, manage ? "manage" : "observe");
	rc = parse_policy(yaml, &policy);
	if (rc)
		return rc;
	make_vm(vm, "hp", 4 * GiB, true, "", PF0_VF(1), NULL);
	/* In 1 GiB pages: each size is charged to its own pool. */
	vm->huge[0].page_bytes = GiB;
	rc = plan_build(host, &policy, NULL, vm, 1, vm, plan, err);
	if (!rc)
		rc = split_admit(host, &policy, plan, vm, 1, vm, split, adm,
				 err);
	policy_free(&policy);
	return rc;
}

static void test_admit_hugepages_manage(void)
{
	struct host host;
	struct plan plan;
	struct split split;
	struct admission adm;
	struct vm_facts vm;
	struct iq_err err = {0};

	CHECK_U64(init_admission_host(&host), IQ_OK);

	/* observe: 3 GiB short is a refusal, and no pool is touched. */
	CHECK_U64(admit_hp(&host, "217GiB", false, &vm, &plan, &split, &adm,
			   &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "short by 3.0GiB");
	CHECK_U64(adm.released_hugepages, 0);
	CHECK_U64(read_u64_in_root(POOL_1G), 32);
	plan_free(&plan);
	vm_facts_free(&vm);

	/*
	 * manage, 7 GiB short: only 4 + 2 GiB could go (4 of the 8 free
	 * 1 GiB pages are the VM's). Releasing would not make it fit, so
	 * nothing is released: a refused start leaves the host as it was.
	 */
	CHECK_U64(
		admit_hp(&host, "221GiB", true, &vm, &plan, &split, &adm, &err),
		IQ_EREFUSED);
	CHECK(!adm.admitted);
	CHECK_U64(adm.released_hugepages, 0);
	CHECK_CONTAINS(err.msg, "short by 7.0GiB");
	CHECK_U64(read_u64_in_root(POOL_1G), 32);
	CHECK_U64(read_u64_in_root(POOL_2M), 1024);
	CHECK_U64(host.mem.pools[1].total, 32);
	CHECK_U64(host.mem.pools[1].free, 8);
	CHECK_U64(host.mem.pools[0].total, 1024);
	plan_free(&plan);
	vm_facts_free(&vm);

	/* manage: three free 1 GiB pages go (the largest pages first). */
	CHECK_U64(
		admit_hp(&host, "217GiB", true, &vm, &plan, &split, &adm, &err),
		IQ_OK);
	CHECK(adm.admitted);
	CHECK(!adm.scaled);
	CHECK_U64(adm.released_hugepages, 3);
	CHECK_CONTAINS(adm.message, "VM hp");
	CHECK_CONTAINS(adm.message, "released 3 free huge pages");
	CHECK(split.headroom == 0);
	CHECK_U64(split.hugepage_pools, 31 * GiB);
	/* Written under the root; the 2 MiB pool untouched. */
	CHECK_U64(read_u64_in_root(POOL_1G), 29);
	CHECK_U64(read_u64_in_root(POOL_2M), 1024);
	/* host.mem follows (pools sorted by size: 2 MiB, 1 GiB). */
	CHECK_U64(host.mem.pools[1].page_bytes, GiB);
	CHECK_U64(host.mem.pools[1].total, 29);
	CHECK_U64(host.mem.pools[1].free, 5);
	/* The kernel (the sim) agrees: the pages were free. */
	CHECK_U64(sim_host_refresh(root, &err), IQ_OK);
	CHECK_U64(host_read_memory(&host, &err), IQ_OK);
	CHECK_U64(host.mem.pools[1].total, 29);
	CHECK_U64(host.mem.pools[1].free, 5);
	plan_free(&plan);
	vm_facts_free(&vm);

	/*
	 * 3 GiB short again (pools at 31 GiB, reserve 220): only the one free
	 * 1 GiB page above the VM's 4 can go, then all the 2 MiB pages.
	 */
	CHECK_U64(
		admit_hp(&host, "220GiB", true, &vm, &plan, &split, &adm, &err),
		IQ_OK);
	CHECK(adm.admitted);
	CHECK_U64(adm.released_hugepages, 1 + 1024);
	CHECK_U64(read_u64_in_root(POOL_1G), 28);
	CHECK_U64(read_u64_in_root(POOL_2M), 0);
	CHECK_U64(host.mem.pools[1].free, 4);
	CHECK(split.headroom == 0);
	CHECK_U64(split.hugepage_pools, 28 * GiB);
	plan_free(&plan);
	vm_facts_free(&vm);

	/*
	 * Short again with nothing spare left: refused, and the VM's 4 free
	 * 1 GiB pages are still there.
	 */
	CHECK_U64(
		admit_hp(&host, "221GiB", true, &vm, &plan, &split, &adm, &err),
		IQ_EREFUSED);
	CHECK(!adm.admitted);
	CHECK_U64(adm.released_hugepages, 0);
	CHECK_CONTAINS(err.msg, "VM hp does not fit");
	CHECK_CONTAINS(err.msg, "short by 1.0GiB");
	CHECK_U64(read_u64_in_root(POOL_1G), 28);
	CHECK_U64(host.mem.pools[1].free, 4);
	plan_free(&plan);
	vm_facts_free(&vm);

	host_free(&host);
	rm_root();
}

/* Reserved huge pages (promised to a mapping) are free but never released. */
static void test_admit_hugepages_reserved(void)
{
	struct host host;
	struct plan plan;
	struct split split;
	struct admission adm;
	struct vm_facts vm;
	struct iq_err err = {0};
	char path[PATH_MAX];

	CHECK_U64(init_admission_host(&host), IQ_OK);
	/* 2 of the 8 free 1 GiB pages are reserved. */
	in_root(path, sizeof(path),
		"sys/kernel/mm/hugepages/hugepages-1048576kB/resv_hugepages");
	CHECK_U64(file_write_str(path, "2\n", &err), IQ_OK);
	CHECK_U64(host_read_memory(&host, &err), IQ_OK);
	CHECK_U64(host.mem.pools[1].resv, 2);
	/*
	 * 3 GiB short: 8 free - 2 reserved - 4 for the VM leaves 2 x 1 GiB;
	 * the last GiB comes from 512 x 2 MiB.
	 */
	CHECK_U64(
		admit_hp(&host, "217GiB", true, &vm, &plan, &split, &adm, &err),
		IQ_OK);
	CHECK(adm.admitted);
	CHECK_U64(adm.released_hugepages, 2 + 512);
	CHECK_U64(read_u64_in_root(POOL_1G), 30);
	CHECK_U64(read_u64_in_root(POOL_2M), 512);
	CHECK(split.headroom == 0);
	plan_free(&plan);
	vm_facts_free(&vm);
	host_free(&host);
	rm_root();
}

/* Firmware rounding of max_alloc_icm_th: learnt from (asked, read back). */
static void test_icm_rounding(void)
{
	CHECK_U64(icm_rounding_from(1000, 1000), 1);
	CHECK_U64(icm_rounding_from(1000, 1024), 32); /* smallest P that fits */
	CHECK_U64(icm_rounding_from(25001, 25088), 128);
	CHECK_U64(icm_rounding_from(1100, 1280), 256);
	CHECK_U64(icm_rounding_from(1, 512), 512);
	CHECK_U64(icm_rounding_from(1, 1024),
		  0); /* beyond 2 MiB: not rounding */
	CHECK_U64(icm_rounding_from(1000, 1001), 0); /* not a multiple */
	CHECK_U64(icm_rounding_from(1000, 999), 0);  /* below: someone else */
	CHECK_U64(icm_rounding_from(1000, PRM_ICM_UNLIMITED), 0);
	CHECK_U64(icm_rounding_from(PRM_ICM_UNLIMITED, PRM_ICM_UNLIMITED), 0);

	CHECK(icm_cap_matches(1000, 1000, 0));
	CHECK(!icm_cap_matches(1024, 1000, 0)); /* unknown rounding: exact */
	CHECK(!icm_cap_matches(1024, 1000, 1));
	CHECK(icm_cap_matches(1024, 1000, 32));
	CHECK(icm_cap_matches(1024, 1000, 256));
	CHECK(!icm_cap_matches(1024, 1000, 16));
	CHECK(!icm_cap_matches(999, 1000, 256)); /* below never holds it */
	CHECK(!icm_cap_matches(1300, 1000, 256));
	CHECK(icm_cap_matches(PRM_ICM_UNLIMITED, PRM_ICM_UNLIMITED, 256));
	CHECK(!icm_cap_matches(PRM_ICM_UNLIMITED, 1000, 256));
	CHECK(!icm_cap_matches(1000, PRM_ICM_UNLIMITED, 256));
}

int main(void)
{
	RUN(test_icm_rounding);
	RUN(test_plan_maps_vms);
	RUN(test_plan_refusals);
	RUN(test_plan_scope);
	RUN(test_plan_keeps_scaled_caps);
	RUN(test_plan_read_back_and_execute);
	RUN(test_plan_unsupported_pf);
	RUN(test_plan_vf_cap_charge);
	RUN(test_split_terms);
	RUN(test_admit_strict);
	RUN(test_admit_warn);
	RUN(test_admit_scale);
	RUN(test_admit_scale_below_min);
	RUN(test_admit_scale_unlimited);
	RUN(test_admit_hugepages_manage);
	RUN(test_admit_hugepages_reserved);
	return TEST_SUMMARY("test_plan_split");
}
