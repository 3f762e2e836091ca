// SPDX-License-Identifier: MIT
/*
 * The simulated host: the exact sysfs shape (files, relative link
 * targets), /proc/meminfo and the huge page pools, the debugfs counters
 * after a guest registers memory and after an FLR, the field calibration
 * (75 GB x 8 GPUs x 2 MRs on one NIC -> ~1.1M pages), refusals past a cap
 * set through the sim transport, and init's refusal of a non-empty dir.
 */
#include "controller/sim/sim_host.h"

#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controller/sim/sim_tree.h"
#include "controller/sim/simfw.h"
#include "devx/fw.h"
#include "controller/core/icm_model.h"
#include "devx/transport.h"
#include "lib/pci.h"
#include "lib/size.h"
#include "tests/unit/seed_rows.h"
#include "tests/unit/test.h"

#define GiB (1ULL << 30)
#define MiB (1ULL << 20)

#define PF0	"0000:0c:00.0"
#define PF1	"0000:2a:00.0"
#define PF0_DIR "sys/devices/pci0000:0b/0000:0b:01.0/0000:0c:00.0"

static char root[PATH_MAX];

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void new_root(void)
{
	snprintf(root, sizeof(root), "/tmp/iq-test-sim-XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		exit(1);
	}
}

/* 2 PFs, 4 of 6 VFs enabled, 64 GiB, two pools, 1024 PF pages. */
static void small_params(struct sim_host_params *p)
{
	sim_host_params_default(p);
	p->npfs = 2;
	p->total_vfs = 6;
	p->enabled_vfs = 4;
	p->mem_total = 64 * GiB;
	p->host_used = 4 * GiB;
	p->pf_pages = 1024;
	p->ngpus = 2;
	p->pools[0] = (struct sim_hugepage_spec){2 * MiB, 512, 512};
	p->pools[1] = (struct sim_hugepage_spec){GiB, 8, 2};
	p->npools = 2;
}

static int init_small(void)
{
	struct sim_host_params p;
	struct iq_err err = {0};
	int rc;

	new_root();
	small_params(&p);
	rc = sim_host_init(root, &p, &err);
	if (rc)
		fprintf(stderr, "sim_host_init: %s\n", err.msg);
	return rc;
}

/* The content of ROOT/rel ("" when unreadable). */
static const char *slurp(const char *rel)
{
	static char buf[4096];
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static unsigned long long number(const char *rel)
{
	return strtoull(slurp(rel), NULL, 0);
}

static const char *link_of(const char *rel)
{
	static char buf[PATH_MAX];
	char path[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	n = readlink(path, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* Where ROOT/rel resolves, relative to root ("" when dangling). */
static const char *resolves_to(const char *rel)
{
	static char buf[PATH_MAX];
	char path[PATH_MAX], real_root[PATH_MAX], real[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	buf[0] = '\0';
	if (!realpath(root, real_root) || !realpath(path, real))
		return buf;
	snprintf(buf, sizeof(buf), "%s", real + strlen(real_root) + 1);
	return buf;
}

static bool present(const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return lstat(path, &st) == 0;
}

/* A meminfo value in kB. */
static unsigned long long meminfo(const char *key)
{
	const char *text = slurp("proc/meminfo");
	const char *line = strstr(text, key);

	return line ? strtoull(line + strlen(key) + 1, NULL, 10) : ~0ULL;
}

static uint64_t debugfs(const char *pf, const char *name)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "sys/kernel/debug/mlx5/%s/pages/%s", pf,
		 name);
	return number(rel);
}

/* The simulated firmware's view of one function. */
static struct simfw_func fw_func(const char *pf_pci, uint16_t function_id)
{
	struct simfw_func copy = {0};
	struct simfw_pf pf;
	struct iq_err err = {0};
	int lock_fd;

	if (simfw_pf_lock_load(root, pf_pci, &pf, &lock_fd, &err) == IQ_OK) {
		struct simfw_func *fn = simfw_func_by_id(&pf, function_id);

		if (fn)
			copy = *fn;
		simfw_pf_unlock(root, &pf, lock_fd, false, &err);
	}
	return copy;
}

static void test_rel_target(void)
{
	char out[PATH_MAX];
	struct iq_err err = {0};

	CHECK_U64(sim_tree_rel_target(out, sizeof(out),
				      "/sys/bus/pci/devices/0000:0c:00.0",
				      "/sys/devices/p/b/0000:0c:00.0", &err),
		  IQ_OK);
	CHECK_STR(out, "../../../devices/p/b/0000:0c:00.0");
	sim_tree_rel_target(out, sizeof(out), "/sys/devices/p/b/X/virtfn0",
			    "/sys/devices/p/b/Y", &err);
	CHECK_STR(out, "../Y");
	sim_tree_rel_target(out, sizeof(out), "/sys/devices/p/b/X/ib/m/device",
			    "/sys/devices/p/b/X", &err);
	CHECK_STR(out, "../../../X");
	CHECK_U64(
		sim_tree_rel_target(out, 8, "/sys/a/b/c", "/sys/x/y/z/w", &err),
		IQ_EUSAGE);
}

static void test_pf_shape(void)
{
	CHECK_U64(init_small(), IQ_OK);
	CHECK_STR(link_of("sys/bus/pci/devices/" PF0),
		  "../../../devices/pci0000:0b/0000:0b:01.0/" PF0);
	CHECK_STR(link_of("sys/bus/pci/devices/" PF1),
		  "../../../devices/pci0000:29/0000:29:01.0/" PF1);
	CHECK_STR(slurp(PF0_DIR "/vendor"), "0x15b3\n");
	CHECK_STR(slurp(PF0_DIR "/device"), "0x1021\n");
	CHECK_STR(slurp(PF0_DIR "/class"), "0x020700\n");
	CHECK_STR(slurp(PF0_DIR "/sriov_totalvfs"), "6\n");
	CHECK_STR(slurp(PF0_DIR "/sriov_numvfs"), "4\n");
	CHECK_STR(slurp(PF0_DIR "/sriov_offset"), "1\n");
	CHECK_STR(slurp(PF0_DIR "/sriov_stride"), "1\n");
	CHECK_STR(slurp(PF0_DIR "/sriov_vf_device"), "0x101e\n");
	CHECK_STR(slurp(PF0_DIR "/numa_node"), "0\n");
	CHECK_STR(link_of(PF0_DIR "/driver"),
		  "../../../../bus/pci/drivers/mlx5_core");
	CHECK_STR(resolves_to("sys/bus/pci/drivers/mlx5_core/" PF0), PF0_DIR);
	CHECK(!present(PF0_DIR "/physfn"));
	/* The RDMA device, its class link and its way back to the PF. */
	CHECK_STR(link_of("sys/class/infiniband/mlx5_0"),
		  "../../devices/pci0000:0b/0000:0b:01.0/" PF0
		  "/infiniband/mlx5_0");
	CHECK_STR(link_of(PF0_DIR "/infiniband/mlx5_0/device"),
		  "../../../" PF0);
	CHECK_STR(resolves_to("sys/class/infiniband/mlx5_0/device"), PF0_DIR);
	CHECK_STR(resolves_to("sys/class/infiniband/mlx5_1/device"),
		  "sys/devices/pci0000:29/0000:29:01.0/" PF1);
	CHECK_STR(link_of("sys/class/fwctl/fwctl0"),
		  "../../devices/pci0000:0b/0000:0b:01.0/" PF0 "/fwctl/fwctl0");
	CHECK_STR(resolves_to("sys/class/fwctl/fwctl1/device"),
		  "sys/devices/pci0000:29/0000:29:01.0/" PF1);
	CHECK(present(PF0_DIR "/net/ibp12s0"));
	CHECK_STR(resolves_to("sys/class/net/ibp42s0/device"),
		  "sys/devices/pci0000:29/0000:29:01.0/" PF1);
	/* The root port above it is a PCI function too, not a ConnectX. */
	CHECK_STR(slurp("sys/bus/pci/devices/0000:0b:01.0/class"),
		  "0x060400\n");
	CHECK(present("sys/bus/pci/drivers/vfio-pci"));
	CHECK(present("sys/bus/pci/drivers/nvidia"));
	CHECK(present("icmquota-sim/host.json"));
	rm_tree(root);
}

static void test_vf_shape(void)
{
	CHECK_U64(init_small(), IQ_OK);
	CHECK_STR(link_of(PF0_DIR "/virtfn0"), "../0000:0c:00.1");
	CHECK_STR(link_of(PF0_DIR "/virtfn3"), "../0000:0c:00.4");
	/* Only enabled VFs exist. */
	CHECK(!present(PF0_DIR "/virtfn4"));
	CHECK(!present("sys/bus/pci/devices/0000:0c:00.5"));
	CHECK_STR(link_of("sys/bus/pci/devices/0000:0c:00.2"),
		  "../../../devices/pci0000:0b/0000:0b:01.0/0000:0c:00.2");
	CHECK_STR(link_of("sys/bus/pci/devices/0000:0c:00.2/physfn"),
		  "../" PF0);
	CHECK_STR(slurp("sys/bus/pci/devices/0000:0c:00.2/device"), "0x101e\n");
	CHECK_STR(slurp("sys/bus/pci/devices/0000:0c:00.2/vendor"), "0x15b3\n");
	CHECK_STR(link_of("sys/bus/pci/devices/0000:0c:00.2/driver"),
		  "../../../../bus/pci/drivers/vfio-pci");
	{
		char group[PATH_MAX], back[PATH_MAX];
		const char *target =
			link_of("sys/bus/pci/devices/0000:0c:00.2/iommu_group");

		CHECK(strncmp(target, "../../../../kernel/iommu_groups/", 32) ==
		      0);
		snprintf(group, sizeof(group), "%s",
			 resolves_to("sys/bus/pci/devices/0000:0c:00.2/"
				     "iommu_group"));
		CHECK(strncmp(group, "sys/kernel/iommu_groups/", 24) == 0);
		snprintf(back, sizeof(back), "%s/devices/0000:0c:00.2", group);
		CHECK_STR(link_of(back),
			  "../../../../devices/pci0000:0b/0000:0b:01.0/"
			  "0000:0c:00.2");
	}
	/* GPUs for VM definitions to name. */
	CHECK_STR(slurp("sys/bus/pci/devices/0000:1b:00.0/vendor"), "0x10de\n");
	CHECK_STR(slurp("sys/bus/pci/devices/0000:1b:00.0/device"), "0x2335\n");
	CHECK_STR(slurp("sys/bus/pci/devices/0000:1b:00.0/class"),
		  "0x030200\n");
	CHECK_STR(link_of("sys/bus/pci/devices/0000:3d:00.0/driver"),
		  "../../../../bus/pci/drivers/nvidia");
	CHECK(!present("sys/bus/pci/devices/0000:4e:00.0"));
	rm_tree(root);
}

/* Past function 7 the VFs continue at slot 1 (offset 1, stride 1). */
static void test_vf_numbering_past_slot0(void)
{
	struct sim_host_params p;
	struct iq_err err = {0};

	new_root();
	sim_host_params_default(&p);
	p.npfs = 1;
	p.total_vfs = 16;
	p.enabled_vfs = 9;
	p.fwctl = false;
	CHECK_U64(sim_host_init(root, &p, &err), IQ_OK);
	CHECK_STR(link_of(PF0_DIR "/virtfn6"), "../0000:0c:00.7");
	CHECK_STR(link_of(PF0_DIR "/virtfn7"), "../0000:0c:01.0");
	CHECK_STR(link_of(PF0_DIR "/virtfn8"), "../0000:0c:01.1");
	CHECK(!present(PF0_DIR "/virtfn9"));
	CHECK(!present("sys/bus/pci/devices/" PF1));
	/* A kernel without fwctl has no class directory. */
	CHECK(!present("sys/class/fwctl"));
	CHECK(!present(PF0_DIR "/fwctl"));
	rm_tree(root);
}

static void test_debugfs_and_meminfo(void)
{
	/* 4 GiB host + 1 GiB (2 MiB pool) + 8 GiB (1 GiB pool) + PF pages. */
	unsigned long long expect_free =
		(64 * GiB - 4 * GiB - 9 * GiB - 2 * 1024 * 4096ULL) / 1024;

	CHECK_U64(init_small(), IQ_OK);
	CHECK_U64(debugfs(PF0, "fw_pages_total"), 1024);
	CHECK_U64(debugfs(PF0, "fw_pages_host_pf"), 1024);
	CHECK_U64(debugfs(PF0, "fw_pages_vfs"), 0);
	CHECK_U64(debugfs(PF1, "fw_pages_ec_vfs"), 0);
	CHECK_U64(debugfs(PF1, "fw_pages_sfs"), 0);
	CHECK_STR(slurp("sys/kernel/debug/mlx5/" PF1
			"/pages/fw_pages_alloc_failed"),
		  "0\n");
	CHECK(present("sys/kernel/debug/mlx5/" PF1
		      "/pages/fw_pages_give_dropped"));
	CHECK(present("sys/kernel/debug/mlx5/" PF1
		      "/pages/fw_pages_reclaim_discard"));
	/* The kernel's layout, to the column. */
	CHECK_CONTAINS(slurp("proc/meminfo"), "MemTotal:       67108864 kB\n");
	CHECK_CONTAINS(slurp("proc/meminfo"), "HugePages_Total:     512\n");
	CHECK_CONTAINS(slurp("proc/meminfo"), "Hugepagesize:       2048 kB\n");
	CHECK_CONTAINS(slurp("proc/meminfo"), "Hugetlb:         9437184 kB\n");
	CHECK_U64(meminfo("MemFree:"), expect_free);
	CHECK_U64(meminfo("MemAvailable:"), expect_free);
	CHECK_U64(meminfo("HugePages_Free:"), 512);
	CHECK_U64(meminfo("HugePages_Rsvd:"), 0);
	CHECK_U64(meminfo("HugePages_Surp:"), 0);
	CHECK_U64(number("sys/kernel/mm/hugepages/hugepages-1048576kB/"
			 "nr_hugepages"),
		  8);
	CHECK_U64(number("sys/kernel/mm/hugepages/hugepages-1048576kB/"
			 "free_hugepages"),
		  2);
	CHECK_U64(number("sys/kernel/mm/hugepages/hugepages-2048kB/"
			 "resv_hugepages"),
		  0);
	CHECK_U64(number("sys/devices/system/node/node0/hugepages/"
			 "hugepages-1048576kB/nr_hugepages"),
		  8);
	rm_tree(root);
}

/* A lowered nr_hugepages releases only free pages, and shows in MemFree. */
static void test_hugepage_release(void)
{
	struct iq_err err = {0};
	char path[PATH_MAX];
	FILE *f;
	unsigned long long before;

	CHECK_U64(init_small(), IQ_OK);
	before = meminfo("MemFree:");
	snprintf(path, sizeof(path),
		 "%s/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages",
		 root);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("0\n", f);
		fclose(f);
	}
	CHECK_U64(sim_host_refresh(root, &err), IQ_OK);
	/* 6 pages are in use by VMs: only the 2 free ones went. */
	CHECK_U64(number("sys/kernel/mm/hugepages/hugepages-1048576kB/"
			 "nr_hugepages"),
		  6);
	CHECK_U64(number("sys/kernel/mm/hugepages/hugepages-1048576kB/"
			 "free_hugepages"),
		  0);
	CHECK_U64(number("sys/devices/system/node/node0/hugepages/"
			 "hugepages-1048576kB/nr_hugepages"),
		  6);
	CHECK_U64(meminfo("MemFree:"), before + 2 * GiB / 1024);
	CHECK_U64(meminfo("Hugetlb:"), (1 * GiB + 6 * GiB) / 1024);
	rm_tree(root);
}

static void test_register_and_flr(void)
{
	const char vfs[1][PCI_ADDR_LEN] = {"0000:0c:00.2"};
	struct sim_register_req req = {
		.vfs = vfs,
		.nvfs = 1,
		.bytes = GiB,
		.mrs_per_hca = 2,
		.buffers = 3,
	};
	struct sim_vf_result result, reset;
	struct iq_err err = {0};
	uint32_t per_mr = 0;
	unsigned long long free_before;

	CHECK_U64(init_small(), IQ_OK);
	free_before = meminfo("MemFree:");
	CHECK_U64(sim_host_register(root, &req, &result, &per_mr, &err), IQ_OK);
	/* 1 GiB: 262144 MTT entries of 8 B = 512 pages of 4 KiB per MR. */
	CHECK_U64(per_mr, 512);
	CHECK_STR(result.vf, "0000:0c:00.2");
	CHECK_STR(result.pf, PF0);
	CHECK_U64(result.function_id, 2);
	CHECK_U64(result.vhca_id, simfw_vhca_id_for(0, 2));
	CHECK_U64(result.granted, 6);
	CHECK_U64(result.refused, 0);
	CHECK_U64(result.cur, 6 * 512);
	CHECK_U64(result.cap, PRM_ICM_UNLIMITED);
	CHECK_U64(debugfs(PF0, "fw_pages_total"), 1024 + 6 * 512);
	CHECK_U64(debugfs(PF0, "fw_pages_vfs"), 6 * 512);
	CHECK_U64(debugfs(PF0, "fw_pages_host_pf"), 1024);
	CHECK_U64(debugfs(PF1, "fw_pages_total"), 1024);
	CHECK_U64(meminfo("MemFree:"), free_before - 6 * 512 * 4);

	CHECK_U64(sim_host_flr(root, "0c:00.2", &reset, &err), IQ_OK);
	CHECK_U64(reset.cur, 0);
	CHECK_U64(fw_func(PF0, 2).cur, 0);
	/* The high-water mark stays: the firmware keeps it until reset. */
	CHECK_U64(fw_func(PF0, 2).max_reached, 6 * 512);
	CHECK_U64(debugfs(PF0, "fw_pages_total"), 1024);
	CHECK_U64(debugfs(PF0, "fw_pages_vfs"), 0);
	CHECK_U64(meminfo("MemFree:"), free_before);
	rm_tree(root);
}

/*
 * Every measured row of seed 000 through the simulated firmware: an 8-NIC
 * host, one guest with VF 0 of every NIC, registering one buffer per GPU
 * (8 GPUs) as the row's pattern does; the debugfs counters must give the
 * seed's figures within 10 % (GB read as GiB and as 10^9 bytes).
 */
/* The PCI address sim init gives PF index at domain 0. */
static const char *pf_at(unsigned index)
{
	static char pci[PCI_ADDR_LEN];

	CHECK(sim_host_pf_pci(index, 0, pci));
	return pci;
}

static void test_calibration(void)
{
	struct seed_row rows[SEED_ROWS_MAX];
	int n = seed_rows_read(rows, SEED_ROWS_MAX);
	char vfs[8][PCI_ADDR_LEN];
	struct sim_host_params p;
	struct sim_vf_result results[8];
	struct iq_err err = {0};
	uint32_t per_mr = 0;

	CHECK(n >= 12);
	new_root();
	sim_host_params_default(&p);
	p.pf_pages = 0;
	CHECK_U64(sim_host_init(root, &p, &err), IQ_OK);
	for (unsigned i = 0; i < 8; i++) {
		char vf_link[PATH_MAX];

		snprintf(vf_link, sizeof(vf_link),
			 "sys/bus/pci/devices/%s/virtfn0", pf_at(i));
		snprintf(vfs[i], sizeof(vfs[i]), "%s",
			 strrchr(link_of(vf_link), '/') + 1);
	}
	for (int r = 0; r < n; r++) {
		struct icm_workload w = {.gpus = 8, .hcas = 8};
		const uint64_t sizes[2] = {rows[r].per_gpu_gb * GiB,
					   rows[r].per_gpu_gb * 1000000000ULL};

		CHECK_U64(icm_pattern_parse(rows[r].pattern, &w, &err), IQ_OK);
		for (int k = 0; k < 2; k++) {
			struct sim_register_req req = {
				.vfs = (const char(*)[PCI_ADDR_LEN])vfs,
				.nvfs = 8,
				.bytes = sizes[k],
				.mrs_per_hca = w.mrs_per_hca,
				.buffers =
					(unsigned)icm_workload_buffers_per_nic(
						&w),
			};
			uint64_t max_nic = 0, host = 0;
			double got;

			CHECK_U64(sim_host_register(root, &req, results,
						    &per_mr, &err),
				  IQ_OK);
			for (unsigned i = 0; i < 8; i++) {
				uint64_t pages =
					debugfs(pf_at(i), "fw_pages_total");

				CHECK_U64(results[i].refused, 0);
				host += pages;
				if (pages > max_nic)
					max_nic = pages;
			}
			got = rows[r].host ? (double)host * 4096.0
					   : (double)max_nic;
			if (!seed_within_10pct(got, rows[r].measured)) {
				fprintf(stderr,
					"%s:%d: sim %.0f, measured %.0f\n",
					SEED_ROWS_FILE, rows[r].line, got,
					rows[r].measured);
				CHECK(0);
			}
			for (unsigned i = 0; i < 8; i++)
				CHECK_U64(sim_host_flr(root, vfs[i],
						       &results[i], &err),
					  IQ_OK);
		}
	}
	/* the exact step: 75 GB, 2 MRs on each of 8 HCAs */
	CHECK_U64(sim_host_pages_per_mr(75000000000ULL), 65536);
	CHECK_U64(sim_host_pages_per_mr(1), 1);
	CHECK_U64(sim_host_pages_per_mr(0), 0);
	CHECK_U64(sim_host_pages_per_mr(UINT64_MAX), UINT32_MAX);
	rm_tree(root);
}

/* A cap set through the sim transport refuses page requests past it. */
static void test_refusal_past_cap(void)
{
	const char vfs[1][PCI_ADDR_LEN] = {"0000:0c:00.1"};
	struct sim_register_req req = {
		.vfs = vfs,
		.nvfs = 1,
		.bytes = GiB,
		.mrs_per_hca = 1,
		.buffers = 3,
	};
	struct fw_open_args args = {
		.root = root,
		.pf_pci = PF0,
		.ibdev = "mlx5_0",
		.fwctl = "",
		.sim = &simfw_transport,
	};
	struct sim_vf_result result;
	struct iq_err err = {0};
	struct fw_dev *dev = NULL;
	uint32_t per_mr;

	CHECK_U64(init_small(), IQ_OK);
	CHECK_U64(fw_dev_open(FW_BACKEND_SIM, &args, NULL, &dev, &err), IQ_OK);
	if (dev) {
		CHECK_U64(fw_write_vhca_icm_cap(dev, simfw_vhca_id_for(0, 1),
						1100, 0, &err),
			  IQ_OK);
		fw_dev_close(dev);
	}
	CHECK_U64(sim_host_register(root, &req, &result, &per_mr, &err), IQ_OK);
	/* 512 + 512 fit under 1100; the third MR is refused whole. */
	CHECK_U64(result.granted, 2);
	CHECK_U64(result.refused, 1);
	CHECK_U64(result.cur, 1024);
	CHECK_U64(result.cap, 1100);
	req.buffers = 1;
	CHECK_U64(sim_host_register(root, &req, &result, &per_mr, &err), IQ_OK);
	CHECK_U64(result.granted, 0);
	CHECK_U64(result.refused, 1);
	CHECK_U64(fw_func(PF0, 1).granted, 2);
	CHECK_U64(fw_func(PF0, 1).refused, 2);
	CHECK_U64(debugfs(PF0, "fw_pages_vfs"), 1024);
	rm_tree(root);
}

static void test_unknown_vf(void)
{
	const char vfs[2][PCI_ADDR_LEN] = {"0000:0c:00.1", "0000:0c:00.5"};
	struct sim_register_req req = {
		.vfs = vfs,
		.nvfs = 2,
		.bytes = GiB,
		.mrs_per_hca = 1,
		.buffers = 1,
	};
	struct sim_vf_result results[2], r;
	struct iq_err err = {0};
	uint32_t per_mr;

	CHECK_U64(init_small(), IQ_OK);
	/* A disabled VF: refused by name, and nothing registered anywhere. */
	CHECK_U64(sim_host_register(root, &req, results, &per_mr, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "0000:0c:00.5");
	CHECK_U64(fw_func(PF0, 1).cur, 0);
	/* A GPU, a PF: not ConnectX VFs. */
	CHECK_U64(sim_host_flr(root, "0000:1b:00.0", &r, &err), IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "0000:1b:00.0");
	CHECK_U64(sim_host_flr(root, PF0, &r, &err), IQ_EREFUSED);
	CHECK_U64(sim_host_flr(root, "not-a-pci", &r, &err), IQ_EUSAGE);
	rm_tree(root);
}

/* Deleting a counter file simulates a kernel without it: it stays gone. */
static void test_missing_counter_stays_missing(void)
{
	const char vfs[1][PCI_ADDR_LEN] = {"0000:0c:00.1"};
	struct sim_register_req req = {
		.vfs = vfs,
		.nvfs = 1,
		.bytes = GiB,
		.mrs_per_hca = 1,
		.buffers = 1,
	};
	struct sim_vf_result result;
	struct iq_err err = {0};
	char path[PATH_MAX];
	uint32_t per_mr;

	CHECK_U64(init_small(), IQ_OK);
	snprintf(path, sizeof(path),
		 "%s/sys/kernel/debug/mlx5/" PF0 "/pages/fw_pages_vfs", root);
	CHECK_U64(unlink(path), 0);
	CHECK_U64(sim_host_register(root, &req, &result, &per_mr, &err), IQ_OK);
	CHECK(!present("sys/kernel/debug/mlx5/" PF0 "/pages/fw_pages_vfs"));
	CHECK_U64(debugfs(PF0, "fw_pages_total"), 1024 + 512);
	rm_tree(root);
}

static void test_init_refusals(void)
{
	struct sim_host_params p;
	struct iq_err err = {0};
	char path[PATH_MAX];
	FILE *f;

	new_root();
	snprintf(path, sizeof(path), "%s/notes.txt", root);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	small_params(&p);
	CHECK_U64(sim_host_init(root, &p, &err), IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "not empty");
	CHECK_CONTAINS(err.msg, "--force");
	CHECK(!present("sys"));

	/* --force replaces a previous simulation, keeps the rest. */
	p.force = true;
	CHECK_U64(sim_host_init(root, &p, &err), IQ_OK);
	CHECK(present(PF0_DIR "/virtfn3"));
	p.enabled_vfs = 2;
	CHECK_U64(sim_host_init(root, &p, &err), IQ_OK);
	CHECK(present(PF0_DIR "/virtfn1"));
	CHECK(!present(PF0_DIR "/virtfn2"));
	CHECK(present("notes.txt"));

	/* Nonsense parameters. */
	p.enabled_vfs = 7;
	CHECK_U64(sim_host_init(root, &p, &err), IQ_EUSAGE);
	CHECK_CONTAINS(err.msg, "--enabled-vfs");
	p.enabled_vfs = 4;
	snprintf(p.no_icm_ctrl[0], PCI_ADDR_LEN, "0000:99:00.0");
	p.n_no_icm_ctrl = 1;
	CHECK_U64(sim_host_init(root, &p, &err), IQ_EUSAGE);
	CHECK_CONTAINS(err.msg, "0000:99:00.0");
	p.n_no_icm_ctrl = 0;
	p.npfs = 9;
	CHECK_U64(sim_host_init(root, &p, &err), IQ_EUSAGE);
	rm_tree(root);

	/* No directory at all: never the real root. */
	CHECK_U64(sim_host_init("", &p, &err), IQ_EUSAGE);
}

/* --no-icm-ctrl: that PF's firmware has neither register. */
static void test_no_icm_ctrl_firmware(void)
{
	struct sim_host_params p;
	struct iq_err err = {0};
	struct simfw_pf pf;
	int lock_fd;

	new_root();
	small_params(&p);
	snprintf(p.no_icm_ctrl[0], PCI_ADDR_LEN, PF1);
	p.n_no_icm_ctrl = 1;
	CHECK_U64(sim_host_init(root, &p, &err), IQ_OK);
	CHECK_U64(simfw_pf_lock_load(root, PF1, &pf, &lock_fd, &err), IQ_OK);
	CHECK(!pf.vhca_icm_ctrl);
	CHECK(!pf.nic_cap_reg);
	CHECK_U64(pf.nfuncs, 7);
	CHECK_U64(pf.enabled_vfs, 4);
	CHECK_U64(pf.total_icm, 128 * GiB / 4096);
	simfw_pf_unlock(root, &pf, lock_fd, false, &err);
	CHECK_U64(simfw_pf_lock_load(root, PF0, &pf, &lock_fd, &err), IQ_OK);
	CHECK(pf.vhca_icm_ctrl);
	CHECK(pf.nic_cap_reg);
	CHECK_U64(pf.group_id_max, 16);
	CHECK_U64(pf.funcs[0].cur, 1024);
	CHECK_U64(pf.funcs[3].vhca_id, simfw_vhca_id_for(0, 3));
	CHECK_U64(pf.funcs[3].cap, PRM_ICM_UNLIMITED);
	simfw_pf_unlock(root, &pf, lock_fd, false, &err);
	rm_tree(root);
}

int main(void)
{
	RUN(test_rel_target);
	RUN(test_pf_shape);
	RUN(test_vf_shape);
	RUN(test_vf_numbering_past_slot0);
	RUN(test_debugfs_and_meminfo);
	RUN(test_hugepage_release);
	RUN(test_register_and_flr);
	RUN(test_calibration);
	RUN(test_refusal_past_cap);
	RUN(test_unknown_vf);
	RUN(test_missing_counter_stays_missing);
	RUN(test_init_refusals);
	RUN(test_no_icm_ctrl_firmware);
	return TEST_SUMMARY("test_sim_host");
}
