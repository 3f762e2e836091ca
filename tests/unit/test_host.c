// SPDX-License-Identifier: MIT
/*
 * Host discovery on a simulated tree: PFs and their VFs from sysfs links,
 * VF index -> function id -> vhca_id through the sim backend, RDMA and
 * fwctl device names, a PF whose firmware lacks VHCA_ICM_CTRL, debugfs
 * counters (missing = -1), meminfo and huge page pools, VFs that go away,
 * and the devx backend failing here (no ConnectX) with IQ_EENV naming the
 * PF.
 */
#include "controller/core/host.h"

#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controller/sim/sim_host.h"
#include "controller/sim/simfw.h"
#include "devx/codec.h"
#include "devx/prm.h"
#include "lib/file.h"
#include "lib/pci.h"
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

static void in_root(char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s/%s", root, rel);
}

/* 2 PFs with 4 of 6 VFs, 64 GiB, pools of 2 MiB and 1 GiB pages. */
static int init_sim(const char *no_icm_ctrl, bool fwctl)
{
	struct sim_host_params p;
	struct iq_err err = {0};
	int rc;

	snprintf(root, sizeof(root), "/tmp/iq-test-host-XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		exit(1);
	}
	sim_host_params_default(&p);
	p.npfs = 2;
	p.total_vfs = 6;
	p.enabled_vfs = 4;
	p.mem_total = 64 * GiB;
	p.host_used = 4 * GiB;
	p.pf_pages = 1024;
	p.total_icm_bytes = 32 * GiB;
	p.ngpus = 1;
	p.fwctl = fwctl;
	p.pools[0] = (struct sim_hugepage_spec){GiB, 8, 2};
	p.pools[1] = (struct sim_hugepage_spec){2 * MiB, 512, 500};
	p.npools = 2;
	if (no_icm_ctrl) {
		snprintf(p.no_icm_ctrl[0], PCI_ADDR_LEN, "%s", no_icm_ctrl);
		p.n_no_icm_ctrl = 1;
	}
	rc = sim_host_init(root, &p, &err);
	if (rc)
		fprintf(stderr, "sim_host_init: %s\n", err.msg);
	return rc;
}

static void test_discover(void)
{
	struct host host;
	struct host_pf *pf = NULL;
	struct host_vf *vf;
	struct iq_err err = {0};

	CHECK_U64(init_sim(NULL, true), IQ_OK);
	CHECK_U64(host_discover(root, NULL, &host, &err), IQ_OK);
	CHECK_STR(host.root, root);
	/* The GPU and the root ports are PCI functions, not ConnectX PFs. */
	CHECK_U64(host.npfs, 2);
	if (host.npfs == 2) {
		CHECK_STR(host.pfs[0].pci, PF0);
		CHECK_STR(host.pfs[1].pci, PF1);
		CHECK_U64(host.pfs[0].device_id, 0x1021);
		CHECK_U64(host.pfs[0].total_vfs, 6);
		CHECK_U64(host.pfs[0].nvfs, 4);
		CHECK_STR(host.pfs[0].ibdev, "mlx5_0");
		CHECK_STR(host.pfs[1].ibdev, "mlx5_1");
		CHECK_STR(host.pfs[0].fwctl, "fwctl0");
		CHECK_STR(host.pfs[1].fwctl, "fwctl1");
		CHECK(!host.pfs[0].probed);
		CHECK(host.pfs[0].fw == NULL);
		/* Not read yet: unknown. */
		CHECK(host.pfs[0].fw_pages.total == -1);
		for (size_t i = 0; i < host.pfs[1].nvfs; i++) {
			char pci[PCI_ADDR_LEN];

			snprintf(pci, sizeof(pci), "0000:2a:00.%zu", i + 1);
			CHECK_STR(host.pfs[1].vfs[i].pci, pci);
			CHECK_U64(host.pfs[1].vfs[i].index, i);
			CHECK_U64(host.pfs[1].vfs[i].function_id, i + 1);
			/* Read on demand only. */
			CHECK_STR(host.pfs[1].vfs[i].driver, "");
			CHECK_U64(host_vf_read_driver(
					  &host, &host.pfs[1].vfs[i], &err),
				  IQ_OK);
			CHECK_STR(host.pfs[1].vfs[i].driver, "vfio-pci");
			CHECK(!host.pfs[1].vfs[i].vhca_known);
		}
	}
	/* Lookups normalise their input. */
	vf = host_find_vf(&host, "2A:00.3", &pf);
	CHECK(vf != NULL);
	CHECK(pf != NULL && strcmp(pf->pci, PF1) == 0);
	CHECK(vf && vf->index == 2 && vf->function_id == 3);
	CHECK(host_find_vf(&host, PF0, &pf) == NULL);
	CHECK(pf == NULL);
	CHECK(host_find_vf(&host, "0000:0c:00.5", NULL) == NULL);
	CHECK(host_find_vf(&host, "junk", NULL) == NULL);
	CHECK(host_find_pf(&host, "0c:00.0") == &host.pfs[0]);
	CHECK(host_find_pf(&host, "0000:1b:00.0") == NULL);
	CHECK(host_pci_exists(&host, "0000:1b:00.0"));
	CHECK(host_pci_exists(&host, "0c:00.4"));
	CHECK(!host_pci_exists(&host, "0c:00.5"));
	CHECK(!host_pci_exists(&host, "nonsense"));
	host_free(&host);
	CHECK_U64(host.npfs, 0);
	rm_tree(root);
}

static void test_probe_sim(void)
{
	struct host host;
	struct iq_err err = {0};
	unsigned long cmds, writes, cmds_again;

	CHECK_U64(init_sim(NULL, true), IQ_OK);
	CHECK_U64(host_discover(root, NULL, &host, &err), IQ_OK);
	host.sim_transport = &simfw_transport;
	CHECK_U64(host_probe_firmware(&host, FW_BACKEND_SIM, NULL, &err),
		  IQ_OK);
	for (size_t p = 0; p < host.npfs; p++) {
		struct host_pf *pf = &host.pfs[p];

		CHECK(pf->probed);
		CHECK(pf->supported);
		CHECK(pf->fw != NULL);
		CHECK_STR(pf->unsupported_why, "");
		CHECK_U64(pf->total_icm_bytes, 32 * GiB);
		CHECK_U64(pf->group_id_max, 16);
		CHECK_U64(pf->own_vhca_id, simfw_vhca_id_for((unsigned)p, 0));
		/* vhca_ids are asked on demand, not by the probe. */
		for (size_t i = 0; i < pf->nvfs; i++)
			CHECK(!pf->vfs[i].vhca_known);
	}
	/* Per PF: own caps and NIC_CAP_REG; no writes. */
	host_fw_counts(&host, &cmds, &writes);
	CHECK_U64(cmds, 2 * 2);
	CHECK_U64(writes, 0);
	for (size_t p = 0; p < host.npfs; p++) {
		struct host_pf *pf = &host.pfs[p];

		/* VF index -> function id -> the firmware's vhca_id. */
		for (size_t i = 0; i < pf->nvfs; i++) {
			CHECK_U64(host_vf_vhca(pf, &pf->vfs[i], &err), IQ_OK);
			CHECK(pf->vfs[i].vhca_known);
			CHECK_U64(pf->vfs[i].vhca_id,
				  simfw_vhca_id_for((unsigned)p,
						    (uint16_t)(i + 1)));
		}
	}
	/* One query per VF, asked once: a second ask costs nothing. */
	host_fw_counts(&host, &cmds, &writes);
	CHECK_U64(cmds, 2 * (2 + 4));
	CHECK_U64(host_vf_vhca(&host.pfs[0], &host.pfs[0].vfs[0], &err), IQ_OK);
	host_fw_counts(&host, &cmds_again, &writes);
	CHECK_U64(cmds_again, cmds);
	/* Once per run. */
	host.sim_transport = &simfw_transport;
	CHECK_U64(host_probe_firmware(&host, FW_BACKEND_SIM, NULL, &err),
		  IQ_OK);
	host_fw_counts(&host, &cmds_again, &writes);
	CHECK_U64(cmds_again, cmds);
	/* auto picks the sim on a simulated root. */
	host_free(&host);
	CHECK_U64(host_discover(root, NULL, &host, &err), IQ_OK);
	host.sim_transport = &simfw_transport;
	CHECK_U64(host_probe_firmware(&host, FW_BACKEND_AUTO, NULL, &err),
		  IQ_OK);
	CHECK(host.npfs == 2 && host.pfs[1].probed);
	host_free(&host);
	rm_tree(root);
}

static void test_unsupported_pf(void)
{
	struct host host;
	struct iq_err err = {0};

	CHECK_U64(init_sim(PF1, true), IQ_OK);
	CHECK_U64(host_discover(root, NULL, &host, &err), IQ_OK);
	/* Not an error: a per-device state with the reason. */
	host.sim_transport = &simfw_transport;
	CHECK_U64(host_probe_firmware(&host, FW_BACKEND_SIM, NULL, &err),
		  IQ_OK);
	CHECK(host.npfs == 2);
	if (host.npfs == 2) {
		CHECK(host.pfs[0].supported);
		CHECK(!host.pfs[1].supported);
		CHECK(host.pfs[1].probed);
		CHECK_CONTAINS(host.pfs[1].unsupported_why, "NIC_CAP_REG");
		CHECK_CONTAINS(host.pfs[1].unsupported_why, "firmware");
		/* vhca_ids can still be asked, for status. */
		CHECK_U64(host_vf_vhca(&host.pfs[1], &host.pfs[1].vfs[0], &err),
			  IQ_OK);
		CHECK_U64(host.pfs[1].vfs[0].vhca_id, simfw_vhca_id_for(1, 1));
	}
	host_free(&host);
	rm_tree(root);
}

static void test_fw_pages_and_memory(void)
{
	struct host host;
	struct iq_err err = {0};
	char path[PATH_MAX];

	CHECK_U64(init_sim(NULL, true), IQ_OK);
	CHECK_U64(host_discover(root, NULL, &host, &err), IQ_OK);
	host_read_fw_pages(&host);
	CHECK_U64(host.pfs[0].fw_pages.total, 1024);
	CHECK_U64(host.pfs[0].fw_pages.host_pf, 1024);
	CHECK_U64(host.pfs[0].fw_pages.vfs, 0);
	CHECK_U64(host.pfs[0].fw_pages.ec_vfs, 0);
	CHECK_U64(host.pfs[0].fw_pages.sfs, 0);

	/* Missing file: unknown, not 0. */
	in_root(path, sizeof(path),
		"sys/kernel/debug/mlx5/" PF0 "/pages/fw_pages_vfs");
	CHECK_U64(unlink(path), 0);
	/* No debugfs for PF1 at all (not mounted, not root). */
	in_root(path, sizeof(path), "sys/kernel/debug/mlx5/" PF1);
	rm_tree(path);
	host_read_fw_pages(&host);
	CHECK(host.pfs[0].fw_pages.vfs == -1);
	CHECK_U64(host.pfs[0].fw_pages.total, 1024);
	CHECK(host.pfs[1].fw_pages.total == -1);
	CHECK(host.pfs[1].fw_pages.host_pf == -1);

	CHECK_U64(host_read_memory(&host, &err), IQ_OK);
	CHECK_U64(host.mem.mem_total, 64 * GiB);
	/* 64 - 4 (host) - 8 (1G pool) - 1 (2M pool) GiB - 2 PFs' pages. */
	CHECK_U64(host.mem.mem_free,
		  64 * GiB - 4 * GiB - 8 * GiB - 1 * GiB - 2 * 1024 * 4096ULL);
	CHECK_U64(host.mem.mem_available, host.mem.mem_free);
	CHECK_U64(host.mem.npools, 2);
	/* Sorted by page size. */
	CHECK_U64(host.mem.pools[0].page_bytes, 2 * MiB);
	CHECK_U64(host.mem.pools[0].total, 512);
	CHECK_U64(host.mem.pools[0].free, 500);
	CHECK_U64(host.mem.pools[1].page_bytes, GiB);
	CHECK_U64(host.mem.pools[1].total, 8);
	CHECK_U64(host.mem.pools[1].free, 2);
	CHECK_U64(host.mem.pools[1].resv, 0);
	CHECK_U64(host.mem.pools[1].surplus, 0);
	host_free(&host);
	rm_tree(root);
}

static void test_memory_errors(void)
{
	struct host host;
	struct iq_err err = {0};
	char path[PATH_MAX];
	FILE *f;

	CHECK_U64(init_sim(NULL, true), IQ_OK);
	CHECK_U64(host_discover(root, NULL, &host, &err), IQ_OK);
	in_root(path, sizeof(path), "proc/meminfo");
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("MemTotal:       1000 kB\nMemFree:        10 kB\n", f);
		fclose(f);
	}
	CHECK_U64(host_read_memory(&host, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "MemAvailable");
	CHECK_CONTAINS(err.msg, "proc/meminfo");
	/* A kernel without hugetlbfs: no pools, not an error. */
	in_root(path, sizeof(path), "proc/meminfo");
	f = fopen(path, "w");
	if (f) {
		fputs("MemTotal:       1000 kB\nMemFree:        10 kB\n"
		      "MemAvailable:   20 kB\n",
		      f);
		fclose(f);
	}
	in_root(path, sizeof(path), "sys/kernel/mm/hugepages");
	rm_tree(path);
	CHECK_U64(host_read_memory(&host, &err), IQ_OK);
	CHECK_U64(host.mem.mem_total, 1000 * 1024);
	CHECK_U64(host.mem.mem_available, 20 * 1024);
	CHECK_U64(host.mem.npools, 0);
	host_free(&host);
	rm_tree(root);
}

/* VFs come and go: discovery reads what is there now. */
static void test_vf_removed(void)
{
	struct host host;
	struct iq_err err = {0};
	char path[PATH_MAX];

	CHECK_U64(init_sim(NULL, true), IQ_OK);
	in_root(path, sizeof(path), PF0_DIR "/virtfn1");
	CHECK_U64(unlink(path), 0);
	/* A link whose VF is already gone (removal in progress). */
	in_root(path, sizeof(path),
		"sys/devices/pci0000:0b/0000:0b:01.0/0000:0c:00.3");
	rm_tree(path);
	CHECK_U64(host_discover(root, NULL, &host, &err), IQ_OK);
	CHECK_U64(host.pfs[0].nvfs, 2);
	if (host.pfs[0].nvfs == 2) {
		CHECK_STR(host.pfs[0].vfs[0].pci, "0000:0c:00.1");
		CHECK_U64(host.pfs[0].vfs[0].index, 0);
		/* Index and function id stay tied to the link, not the order. */
		CHECK_STR(host.pfs[0].vfs[1].pci, "0000:0c:00.4");
		CHECK_U64(host.pfs[0].vfs[1].index, 3);
		CHECK_U64(host.pfs[0].vfs[1].function_id, 4);
	}
	CHECK(host_find_vf(&host, "0000:0c:00.2", NULL) == NULL);
	CHECK_U64(host.pfs[1].nvfs, 4);
	host.sim_transport = &simfw_transport;
	CHECK_U64(host_probe_firmware(&host, FW_BACKEND_SIM, NULL, &err),
		  IQ_OK);
	CHECK_U64(host_vf_vhca(&host.pfs[0], &host.pfs[0].vfs[1], &err), IQ_OK);
	CHECK_U64(host.pfs[0].vfs[1].vhca_id, simfw_vhca_id_for(0, 4));
	host_free(&host);
	rm_tree(root);
}

/*
 * On real kernels a fwctl device hangs off an auxiliary device of the PF
 * (PF/mlx5_core.fwctl.0/fwctl/fwctlN); and with no class entry the PF's
 * own infiniband/ directory names its RDMA device.
 */
static void test_fwctl_aux_and_ibdev_fallback(void)
{
	struct host host;
	struct iq_err err = {0};
	char path[PATH_MAX];

	CHECK_U64(init_sim(NULL, false), IQ_OK);
	in_root(path, sizeof(path), PF0_DIR "/mlx5_core.fwctl.0/fwctl/fwctl7");
	CHECK_U64(mkdir_p(path, 0755, &err), IQ_OK);
	in_root(path, sizeof(path),
		PF0_DIR "/mlx5_core.fwctl.0/fwctl/fwctl7/device");
	CHECK_U64(symlink("../../../mlx5_core.fwctl.0", path), 0);
	in_root(path, sizeof(path), "sys/class/fwctl");
	CHECK_U64(mkdir_p(path, 0755, &err), IQ_OK);
	in_root(path, sizeof(path), "sys/class/fwctl/fwctl7");
	CHECK_U64(symlink("../../devices/pci0000:0b/0000:0b:01.0/0000:0c:00.0/"
			  "mlx5_core.fwctl.0/fwctl/fwctl7",
			  path),
		  0);
	in_root(path, sizeof(path), "sys/class/infiniband/mlx5_1");
	CHECK_U64(unlink(path), 0);
	CHECK_U64(host_discover(root, NULL, &host, &err), IQ_OK);
	CHECK_STR(host.pfs[0].fwctl, "fwctl7");
	CHECK_STR(host.pfs[1].fwctl, "");
	CHECK_STR(host.pfs[0].ibdev, "mlx5_0");
	CHECK_STR(host.pfs[1].ibdev, "mlx5_1");
	host_free(&host);
	rm_tree(root);
}

/*
 * A firmware that reports nic_cap_reg but answers NIC_CAP_REG with
 * fake_status, or with vhca_icm_ctrl = 0: the firmware-status cases the
 * simulation does not produce.
 */
static uint8_t fake_status;

static int fake_exec(void *priv, const void *in, size_t inlen, void *out,
		     size_t outlen, struct iq_err *err)
{
	void *reg;

	(void)priv;
	(void)inlen;
	(void)err;
	memset(out, 0, outlen);
	if (prm_in_opcode(in) == PRM_OP_QUERY_HCA_CAP) {
		void *cap = DEVX_ADDR_OF(query_hca_cap_out, out, capability);

		DEVX_SET(cmd_hca_cap, cap, nic_cap_reg, 1);
		DEVX_SET(cmd_hca_cap, cap, vhca_id,
			 0x70 + DEVX_GET(query_hca_cap_in, in, function_id));
		return 0;
	}
	if (fake_status) {
		DEVX_SET(prm_cmd_out_hdr, out, status, fake_status);
		return 0;
	}
	reg = DEVX_ADDR_OF(access_register_out, out, register_data);
	DEVX_SET(nic_cap_reg, reg, vhca_icm_ctrl, 0);
	DEVX_SET(nic_cap_reg, reg, total_icm, 0x100000);
	return 0;
}

static void fake_close(void *priv)
{
	(void)priv;
}

static const struct fw_transport_ops fake_ops = {
	.name = "fake",
	.access_reg_opcode = PRM_OP_ACCESS_REGISTER_USER,
	.exec = fake_exec,
	.close = fake_close,
};

/* Discover the sim tree, then probe PF0 through the fake firmware. */
static int probe_fake(struct host *host, struct iq_err *err)
{
	struct fw_dev *dev = calloc(1, sizeof(*dev));
	int rc = host_discover(root, NULL, host, err);

	if (rc || !dev || host->npfs < 1) {
		free(dev);
		return rc ? rc : -1;
	}
	dev->ops = &fake_ops;
	snprintf(dev->pf, sizeof(dev->pf), "%s", PF0);
	host->pfs[0].fw = dev;
	/* PF1 goes through the sim backend as usual. */
	host->sim_transport = &simfw_transport;
	return host_probe_firmware(host, FW_BACKEND_SIM, NULL, err);
}

static void test_firmware_status_cases(void)
{
	struct host host;
	struct iq_err err = {0};

	CHECK_U64(init_sim(NULL, true), IQ_OK);
	/* Old firmware: the register is unknown -> unsupported, no error. */
	fake_status = PRM_STATUS_BAD_OP;
	CHECK_U64(probe_fake(&host, &err), IQ_OK);
	CHECK(!host.pfs[0].supported);
	CHECK_CONTAINS(host.pfs[0].unsupported_why, "BAD_OP");
	CHECK_U64(host_vf_vhca(&host.pfs[0], &host.pfs[0].vfs[1], &err), IQ_OK);
	CHECK_U64(host.pfs[0].vfs[1].vhca_id, 0x72);
	host_free(&host);

	fake_status = PRM_STATUS_BAD_PARAM;
	CHECK_U64(probe_fake(&host, &err), IQ_OK);
	CHECK(!host.pfs[0].supported);
	CHECK_CONTAINS(host.pfs[0].unsupported_why, "BAD_PARAM");
	host_free(&host);

	/* Any other status: that PF is out of reach (the others are still
	 * capped), with the reason. */
	fake_status = PRM_STATUS_INTERNAL_ERR;
	CHECK_U64(probe_fake(&host, &err), IQ_OK);
	CHECK(host.pfs[0].unreachable);
	CHECK(!host.pfs[0].supported);
	CHECK_CONTAINS(host.pfs[0].unreachable_why, "INTERNAL_ERR");
	CHECK(!host.pfs[1].unreachable);
	host_free(&host);

	/* The register is there but says no. */
	fake_status = PRM_STATUS_OK;
	CHECK_U64(probe_fake(&host, &err), IQ_OK);
	CHECK(host.pfs[1].supported);
	CHECK(!host.pfs[0].supported);
	CHECK_CONTAINS(host.pfs[0].unsupported_why, "vhca_icm_ctrl = 0");
	CHECK_U64(host.pfs[0].total_icm_bytes, 0x100000ULL * 4096);
	host_free(&host);
	rm_tree(root);
}

/* No ConnectX here: the devx backend fails the run, naming the PF. */
static void test_devx_fails_here(void)
{
	struct host host;
	struct iq_err err = {0};

	CHECK_U64(init_sim(NULL, true), IQ_OK);
	CHECK_U64(host_discover(root, NULL, &host, &err), IQ_OK);
	host.sim_transport = &simfw_transport;
	CHECK_U64(host_probe_firmware(&host, FW_BACKEND_DEVX, NULL, &err),
		  IQ_EENV);
	CHECK_CONTAINS(err.msg, PF0);
	CHECK(host.pfs[0].unreachable);
	CHECK(host.pfs[0].fw == NULL);
	host_free(&host);
	rm_tree(root);
}

static void test_no_sysfs(void)
{
	struct host host;
	struct iq_err err = {0};

	snprintf(root, sizeof(root), "/tmp/iq-test-host-XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	CHECK_U64(host_discover(root, NULL, &host, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "sys/bus/pci/devices");
	CHECK_CONTAINS(err.msg, "--root");
	host_free(&host);
	rmdir(root);
}

int main(void)
{
	RUN(test_discover);
	RUN(test_probe_sim);
	RUN(test_unsupported_pf);
	RUN(test_fw_pages_and_memory);
	RUN(test_memory_errors);
	RUN(test_vf_removed);
	RUN(test_fwctl_aux_and_ibdev_fallback);
	RUN(test_firmware_status_cases);
	RUN(test_devx_fails_here);
	RUN(test_no_sysfs);
	return TEST_SUMMARY("test_host");
}
