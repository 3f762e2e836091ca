// SPDX-License-Identifier: MIT
/*
 * The firmware channel: typed operations through the sim backend on a
 * temporary simulated root (read-back, counters, firmware-status errors,
 * the --trace-fw format), the DevX hint on refused register writes, and
 * the open failures of the devx, fwctl and auto backends on this machine
 * (no RDMA device, no fwctl node).
 */
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller/sim/simfw.h"
#include "devx/codec.h"
#include "devx/fw.h"
#include "devx/fwctl_uapi.h"
#include "devx/prm.h"
#include "devx/transport.h"
#include "lib/file.h"
#include "lib/size.h"
#include "test.h"

#define PF_PCI	  "0000:3b:00.0"
#define TOTAL_ICM 0x400000u /* 16 GiB in 4 KiB pages */
#define VECTORS	  "tests/fixtures/prm-vectors.txt"

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_rf(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A temporary root holding a simulated PF (index 0, 8 of 16 VFs on). */
static void make_sim_root(char *root)
{
	struct simfw_pf pf;
	struct iq_err err = {0};

	strcpy(root, "/tmp/iq-transport-XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	CHECK(simfw_pf_init(&pf, PF_PCI, 0, 16, 8, TOTAL_ICM, 4) == 0);
	CHECK_U64(simfw_pf_create(root, &pf, &err), IQ_OK);
	simfw_pf_free(&pf);
}

static struct fw_open_args sim_args(const char *root)
{
	return (struct fw_open_args){.root = root,
				     .pf_pci = PF_PCI,
				     .ibdev = "",
				     .fwctl = "",
				     .sim = &simfw_transport};
}

static void test_backend_names(void)
{
	static const enum fw_backend all[] = {FW_BACKEND_AUTO, FW_BACKEND_DEVX,
					      FW_BACKEND_FWCTL, FW_BACKEND_SIM};
	enum fw_backend b = FW_BACKEND_SIM;

	for (size_t i = 0; i < 4; i++) {
		CHECK(fw_backend_parse(fw_backend_name(all[i]), &b));
		CHECK_U64(b, all[i]);
	}
	CHECK_STR(fw_backend_name(FW_BACKEND_FWCTL), "fwctl");
	CHECK(!fw_backend_parse("DEVX", &b));
	CHECK(!fw_backend_parse("", &b));
	CHECK(!fw_backend_parse(NULL, &b));
	CHECK_U64(b, FW_BACKEND_SIM);
}

static void test_sim_typed_operations(void)
{
	char root[64];
	struct fw_open_args args;
	struct iq_err err = {0};
	struct fw_dev *dev = NULL;
	struct prm_hca_caps caps;
	struct prm_nic_cap nic;
	struct prm_vhca_icm_ctrl icm;
	struct prm_vhca_group_icm_ctrl grp;

	make_sim_root(root);
	args = sim_args(root);
	CHECK(simfw_root_present(root));
	CHECK_U64(fw_dev_open(FW_BACKEND_SIM, &args, NULL, &dev, &err), IQ_OK);
	if (!dev) {
		fprintf(stderr, "%s\n", err.msg);
		rm_rf(root);
		return;
	}
	CHECK_STR(dev->ops->name, "sim");
	CHECK_U64(dev->ops->access_reg_opcode, PRM_OP_ACCESS_REGISTER_USER);
	CHECK_STR(dev->pf, PF_PCI);

	CHECK_U64(fw_query_own_caps(dev, &caps, &err), IQ_OK);
	CHECK_U64(caps.vhca_id, 0);
	CHECK(caps.eswitch_manager);
	CHECK(caps.nic_cap_reg);
	CHECK_U64(fw_query_function_caps(dev, 4, &caps, &err), IQ_OK);
	CHECK_U64(caps.vhca_id, 0x1a3);
	CHECK_U64(fw_read_nic_cap(dev, &nic, &err), IQ_OK);
	CHECK(nic.vhca_icm_ctrl);
	CHECK_U64(nic.total_icm, TOTAL_ICM);
	CHECK_U64(nic.vhca_group_id_max, 4);

	CHECK_U64(fw_write_vhca_icm_cap(dev, 0x1a3, 0x200000, 2, &err), IQ_OK);
	CHECK_U64(fw_read_vhca_icm(dev, 0x1a3, &icm, &err), IQ_OK);
	CHECK_U64(icm.vhca_id, 0x1a3);
	CHECK_U64(icm.max_alloc_icm_th, 0x200000);
	CHECK_U64(icm.vhca_group_id, 2);
	CHECK_U64(icm.cur_alloc_icm, 0);
	CHECK_U64(fw_reset_vhca_icm_hwm(dev, 0x1a3, 2, &err), IQ_OK);
	CHECK_U64(fw_read_vhca_icm(dev, 0x1a3, &icm, &err), IQ_OK);
	CHECK_U64(icm.max_alloc_icm_th, 0x200000); /* reset keeps the cap */
	CHECK_U64(icm.vhca_group_id, 2);

	CHECK_U64(fw_write_group_icm_cap(dev, 2, 0x300000, &err), IQ_OK);
	CHECK_U64(fw_read_group_icm(dev, 2, &grp, &err), IQ_OK);
	CHECK_U64(grp.vhca_group_id, 2);
	CHECK_U64(grp.max_alloc_icm_th, 0x300000);

	/* 3 queries, 2 reads of VHCA_ICM_CTRL, 1 of group; 3 writes */
	CHECK_U64(dev->n_cmds, 9);
	CHECK_U64(dev->n_writes, 3);
	CHECK_U64(dev->last_status, PRM_STATUS_OK);
	fw_dev_close(dev);

	/* The state is on disk: a new channel reads it back. */
	dev = NULL;
	CHECK_U64(fw_dev_open(FW_BACKEND_AUTO, &args, NULL, &dev, &err), IQ_OK);
	if (dev) {
		CHECK_STR(dev->ops->name, "sim");
		CHECK_U64(fw_read_vhca_icm(dev, 0x1a3, &icm, &err), IQ_OK);
		CHECK_U64(icm.max_alloc_icm_th, 0x200000);
		CHECK_U64(dev->n_writes, 0);
		fw_dev_close(dev);
	}
	rm_rf(root);
}

static void test_firmware_status_errors(void)
{
	char root[64];
	struct fw_open_args args;
	struct iq_err err = {0};
	struct fw_dev *dev = NULL;
	struct prm_vhca_icm_ctrl icm;

	make_sim_root(root);
	args = sim_args(root);
	CHECK_U64(fw_dev_open(FW_BACKEND_SIM, &args, NULL, &dev, &err), IQ_OK);
	if (!dev) {
		rm_rf(root);
		return;
	}
	CHECK_U64(fw_write_vhca_icm_cap(dev, 0x1a3, TOTAL_ICM + 1, 0, &err),
		  IQ_EENV);
	CHECK_CONTAINS(err.msg,
		       PF_PCI ": VHCA_ICM_CTRL write vhca_id 0x1a3: "
			      "firmware status BAD_PARAM (0x03), syndrome 0x");
	/* not a DevX channel: no hint about another backend */
	CHECK(strstr(err.msg, "--backend") == NULL);
	CHECK_U64(dev->last_status, PRM_STATUS_BAD_PARAM);
	CHECK_U64(dev->n_writes, 1);

	CHECK_U64(fw_read_vhca_icm(dev, 0x999, &icm, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "VHCA_ICM_CTRL read vhca_id 0x999");
	CHECK_CONTAINS(err.msg, "BAD_RESOURCE (0x05)");
	CHECK_U64(dev->last_status, PRM_STATUS_BAD_RESOURCE);

	CHECK_U64(fw_write_group_icm_cap(dev, 9, 1, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "VHCA_GROUP_ICM_CTRL write group 9");
	CHECK_CONTAINS(err.msg, "BAD_PARAM");

	/* A good command clears last_status. */
	CHECK_U64(fw_read_vhca_icm(dev, 0x1a3, &icm, &err), IQ_OK);
	CHECK_U64(dev->last_status, PRM_STATUS_OK);
	CHECK_U64(icm.max_alloc_icm_th, PRM_ICM_UNLIMITED); /* unchanged */
	fw_dev_close(dev);
	rm_rf(root);
}

/*
 * A stand-in for the DevX channel answering with a fixed status, after
 * fake_transient_left answers of fake_transient (BUSY, NOT_READY).
 */
static uint8_t fake_status;
static bool fake_undeliverable;
static uint8_t fake_transient;
static unsigned fake_transient_left;
static unsigned fake_delivered;

static int fake_exec(void *priv, const void *in, size_t inlen, void *out,
		     size_t outlen, struct iq_err *err)
{
	(void)priv;
	(void)in;
	(void)inlen;
	if (fake_undeliverable)
		return iq_fail(err, IQ_EENV, "devx: test transport down");
	fake_delivered++;
	memset(out, 0, outlen);
	if (fake_transient_left) {
		fake_transient_left--;
		DEVX_SET(prm_cmd_out_hdr, out, status, fake_transient);
		return IQ_OK;
	}
	DEVX_SET(prm_cmd_out_hdr, out, status, fake_status);
	DEVX_SET(prm_cmd_out_hdr, out, syndrome, 0x1234abcd);
	return IQ_OK;
}

static void test_devx_refusal_names_fwctl(void)
{
	static const struct fw_transport_ops fake_devx = {
		.name = "devx",
		.access_reg_opcode = PRM_OP_ACCESS_REGISTER_USER,
		.exec = fake_exec,
	};
	struct fw_dev dev = {.ops = &fake_devx, .pf = PF_PCI};
	struct iq_err err = {0};
	struct prm_vhca_icm_ctrl icm;

	fake_undeliverable = false;
	fake_status = PRM_STATUS_BAD_OP;
	CHECK_U64(fw_write_vhca_icm_cap(&dev, 0x1a3, 10, 0, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "firmware status BAD_OP (0x02), syndrome "
				"0x1234abcd");
	CHECK_CONTAINS(err.msg, "--backend fwctl");
	fake_status = PRM_STATUS_BAD_PARAM;
	CHECK_U64(fw_write_group_icm_cap(&dev, 1, 10, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "--backend fwctl");
	/* A refused read, or another status, is not the DevX filter. */
	CHECK_U64(fw_read_vhca_icm(&dev, 0x1a3, &icm, &err), IQ_EENV);
	CHECK(strstr(err.msg, "--backend") == NULL);
	fake_status = PRM_STATUS_BAD_RESOURCE;
	CHECK_U64(fw_write_vhca_icm_cap(&dev, 0x1a3, 10, 0, &err), IQ_EENV);
	CHECK(strstr(err.msg, "--backend") == NULL);
	CHECK_U64(dev.n_cmds, 4);
	CHECK_U64(dev.n_writes, 3);

	/* A transport failure names the PF and the command. */
	fake_undeliverable = true;
	CHECK_U64(fw_read_vhca_icm(&dev, 0x1a3, &icm, &err), IQ_EENV);
	CHECK_STR(err.msg, PF_PCI ": VHCA_ICM_CTRL read vhca_id 0x1a3: devx: "
				  "test transport down");
	CHECK_U64(dev.n_cmds, 5);
}

/* prm.md: RESOURCE_BUSY and NOT_READY are retried, bounded, backing off. */
static void test_retry_busy_and_not_ready(void)
{
	static const struct fw_transport_ops fake_devx = {
		.name = "devx",
		.access_reg_opcode = PRM_OP_ACCESS_REGISTER_USER,
		.exec = fake_exec,
	};
	struct fw_dev dev = {.ops = &fake_devx,
			     .pf = PF_PCI,
			     .retry_max = FW_RETRY_MAX,
			     .retry_first_ms = 1};
	struct iq_err err = {0};
	struct prm_vhca_icm_ctrl icm;
	char trace_path[] = "/tmp/iq-retry-trace-XXXXXX";
	char line[256];
	int fd = mkstemp(trace_path);
	int retry_lines = 0, cmd_lines = 0;

	CHECK(fd >= 0);
	dev.trace = fdopen(fd, "w+");
	CHECK_STR(prm_status_name(PRM_STATUS_NOT_READY), "NOT_READY");

	/* NOT_READY twice, then OK: one command, two retries, traced. */
	fake_undeliverable = false;
	fake_status = PRM_STATUS_OK;
	fake_transient = PRM_STATUS_NOT_READY;
	fake_transient_left = 2;
	fake_delivered = 0;
	CHECK_U64(fw_write_vhca_icm_cap(&dev, 0x1a3, 10, 0, &err), IQ_OK);
	CHECK_U64(fake_delivered, 3);
	CHECK_U64(dev.n_cmds, 1);
	CHECK_U64(dev.n_writes, 1);
	CHECK_U64(dev.n_retries, 2);
	CHECK_U64(dev.last_status, PRM_STATUS_OK);
	rewind(dev.trace);
	while (fgets(line, sizeof(line), dev.trace)) {
		if (strncmp(line, "# retry ", 8) == 0)
			retry_lines++;
		else if (line[0] == '>' || line[0] == '<')
			cmd_lines++;
	}
	CHECK_U64(retry_lines, 2);
	CHECK_U64(cmd_lines, 6);
	rewind(dev.trace);
	CHECK(fgets(line, sizeof(line), dev.trace) != NULL); /* > */
	CHECK(fgets(line, sizeof(line), dev.trace) != NULL); /* < */
	CHECK(fgets(line, sizeof(line), dev.trace) != NULL);
	CHECK_STR(line, "# retry 1/5 after NOT_READY (0x07), waited 1 ms\n");

	/* RESOURCE_BUSY on every try: bounded, then a clear error. */
	fclose(dev.trace);
	dev.trace = NULL;
	fake_transient = PRM_STATUS_RESOURCE_BUSY;
	fake_transient_left = 100;
	fake_delivered = 0;
	dev.n_retries = 0;
	CHECK_U64(fw_read_vhca_icm(&dev, 0x1a3, &icm, &err), IQ_EENV);
	CHECK_U64(fake_delivered, 1 + FW_RETRY_MAX);
	CHECK_U64(dev.n_retries, FW_RETRY_MAX);
	CHECK_U64(dev.last_status, PRM_STATUS_RESOURCE_BUSY);
	/* 1 + 2 + 4 + 8 + 16 ms of backoff */
	CHECK_CONTAINS(err.msg, PF_PCI ": VHCA_ICM_CTRL read vhca_id 0x1a3: "
				       "firmware status RESOURCE_BUSY (0x06)");
	CHECK_CONTAINS(err.msg, "still after 5 retries over 31 ms");
	CHECK(strchr(err.msg, '\n') == NULL);

	/* Every other status is final: no retry. */
	fake_transient_left = 0;
	fake_delivered = 0;
	dev.n_retries = 0;
	for (unsigned s = 1; s < 0x100; s++) {
		if (s == PRM_STATUS_RESOURCE_BUSY || s == PRM_STATUS_NOT_READY)
			continue;
		fake_status = (uint8_t)s;
		CHECK_U64(fw_read_vhca_icm(&dev, 0x1a3, &icm, &err), IQ_EENV);
	}
	CHECK_U64(fake_delivered, 253);
	CHECK_U64(dev.n_retries, 0);

	/* retry_max 0: the first answer stands. */
	dev.retry_max = 0;
	fake_status = PRM_STATUS_OK;
	fake_transient = PRM_STATUS_NOT_READY;
	fake_transient_left = 1;
	CHECK_U64(fw_read_vhca_icm(&dev, 0x1a3, &icm, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "NOT_READY (0x07)");
	CHECK_CONTAINS(err.msg, "still after 0 retries");
	fake_transient_left = 0;
	unlink(trace_path);
}

static bool is_lower_hex(const char *s)
{
	if (!*s || strlen(s) % 2)
		return false;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return false;
	return true;
}

/* The hex line after "# LABEL" in the vectors file. */
static bool vector_hex(const char *label, char *hex, size_t len)
{
	char want[256];
	char line[1024];
	bool next = false;
	FILE *f = fopen(VECTORS, "r");

	if (!f)
		return false;
	snprintf(want, sizeof(want), "# %s\n", label);
	while (fgets(line, sizeof(line), f)) {
		if (next) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(hex, len, "%s", line);
			fclose(f);
			return true;
		}
		next = strcmp(line, want) == 0;
	}
	fclose(f);
	return false;
}

static void test_trace(void)
{
	char root[64];
	char trace_path[128];
	char expect[1024];
	struct fw_open_args args;
	struct iq_err err = {0};
	struct fw_dev *dev = NULL;
	struct prm_hca_caps caps;
	FILE *trace;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0;

	make_sim_root(root);
	args = sim_args(root);
	snprintf(trace_path, sizeof(trace_path), "%s/trace", root);
	trace = fopen(trace_path, "w");
	CHECK(trace != NULL);
	if (!trace)
		return;
	CHECK_U64(fw_dev_open(FW_BACKEND_SIM, &args, trace, &dev, &err), IQ_OK);
	if (dev) {
		CHECK_U64(fw_query_own_caps(dev, &caps, &err), IQ_OK);
		CHECK_U64(fw_write_vhca_icm_cap(dev, 0x1a3, PRM_ICM_UNLIMITED,
						0, &err),
			  IQ_OK);
		/* a refused command is traced too */
		CHECK_U64(fw_write_vhca_icm_cap(dev, 0x999, 1, 0, &err),
			  IQ_EENV);
		fw_dev_close(dev);
	}
	fclose(trace);

	trace = fopen(trace_path, "r");
	CHECK(trace != NULL);
	if (!trace)
		return;
	while ((n = getline(&line, &cap, trace)) >= 0) {
		char dir = lineno % 2 ? '<' : '>';

		CHECK(n > 2 && line[n - 1] == '\n');
		line[n - 1] = '\0';
		CHECK(line[0] == dir && line[1] == ' ');
		CHECK(is_lower_hex(line + 2));
		if (lineno == 0) {
			CHECK(vector_hex("query_hca_cap own general current",
					 expect, sizeof(expect)));
			CHECK_STR(line + 2, expect);
		}
		if (lineno == 1) /* the whole output mailbox */
			CHECK_U64(strlen(line + 2), 2 * 0x1010);
		if (lineno == 2) {
			CHECK(vector_hex("access_register_user write "
					 "VHCA_ICM_CTRL vhca_id=0x1a3 "
					 "unlimited",
					 expect, sizeof(expect)));
			CHECK_STR(line + 2, expect);
		}
		if (lineno == 3)
			CHECK_U64(strlen(line + 2), 2 * (16 + 0x40));
		if (lineno == 5) /* status BAD_RESOURCE */
			CHECK(strncmp(line + 2, "05", 2) == 0);
		lineno++;
	}
	CHECK_U64(lineno, 6);
	free(line);
	fclose(trace);
	rm_rf(root);
}

/*
 * The group operations of fw.c send exactly the reference mailboxes
 * (vhca_id 5 is not a function of the simulated PF: the firmware refuses
 * those, but the input is what counts and it is traced).
 */
static void test_group_mailboxes(void)
{
	static const char *const labels[] = {
		"access_register_user write VHCA_GROUP_ICM_CTRL group=3 "
		"cap=12GiB",
		"access_register_user write VHCA_ICM_CTRL vhca_id=5 cap=4GiB "
		"joining group 3",
		"access_register_user write VHCA_ICM_CTRL vhca_id=5 reset "
		"high-water mark only, staying in group 3",
		"access_register_user read VHCA_GROUP_ICM_CTRL group=3",
	};
	char root[64], trace_path[128], expect[1024];
	struct fw_open_args args;
	struct iq_err err = {0};
	struct fw_dev *dev = NULL;
	struct prm_vhca_group_icm_ctrl grp;
	FILE *trace;
	char *line = NULL;
	size_t cap = 0, nin = 0;
	ssize_t n;

	make_sim_root(root);
	args = sim_args(root);
	snprintf(trace_path, sizeof(trace_path), "%s/trace", root);
	trace = fopen(trace_path, "w");
	CHECK(trace != NULL);
	if (!trace)
		return;
	CHECK_U64(fw_dev_open(FW_BACKEND_SIM, &args, trace, &dev, &err), IQ_OK);
	if (dev) {
		CHECK_U64(fw_write_group_icm_cap(dev, 3, (12ULL << 30) / 4096,
						 &err),
			  IQ_OK);
		CHECK_U64(fw_write_vhca_icm_cap(dev, 5, (4ULL << 30) / 4096, 3,
						&err),
			  IQ_EENV);
		CHECK_U64(fw_reset_vhca_icm_hwm(dev, 5, 3, &err), IQ_EENV);
		CHECK_U64(fw_read_group_icm(dev, 3, &grp, &err), IQ_OK);
		CHECK_U64(grp.max_alloc_icm_th, (12ULL << 30) / 4096);
		fw_dev_close(dev);
	}
	fclose(trace);
	trace = fopen(trace_path, "r");
	CHECK(trace != NULL);
	if (!trace)
		return;
	while ((n = getline(&line, &cap, trace)) >= 0) {
		if (line[0] != '>')
			continue;
		line[n - 1] = '\0';
		CHECK(nin < 4);
		if (nin < 4) {
			CHECK(vector_hex(labels[nin], expect, sizeof(expect)));
			CHECK_STR(line + 2, expect);
		}
		nin++;
	}
	CHECK_U64(nin, 4);
	free(line);
	fclose(trace);
	rm_rf(root);
}

static void test_sim_missing_pf(void)
{
	char root[64];
	struct fw_open_args args;
	struct iq_err err = {0};
	struct fw_dev *dev = NULL;

	make_sim_root(root);
	args = sim_args(root);
	args.pf_pci = "0000:af:00.0";
	CHECK_U64(fw_dev_open(FW_BACKEND_SIM, &args, NULL, &dev, &err),
		  IQ_EENV);
	CHECK(dev == NULL);
	CHECK_CONTAINS(err.msg, "0000:af:00.0: sim: no simulated firmware");
	CHECK_CONTAINS(err.msg, "icmquota sim init");
	rm_rf(root);
}

static void test_devx_unavailable(void)
{
	struct fw_open_args args = {
		.root = "", .pf_pci = PF_PCI, .ibdev = "mlx5_0", .fwctl = ""};
	struct iq_err err = {0};
	struct fw_dev *dev = NULL;

	/* No RDMA device on this machine. */
	CHECK_U64(fw_dev_open(FW_BACKEND_DEVX, &args, NULL, &dev, &err),
		  IQ_EENV);
	CHECK(dev == NULL);
	CHECK_CONTAINS(err.msg, PF_PCI ": devx: ");
	CHECK_CONTAINS(err.msg, "rdma-core");
	CHECK_CONTAINS(err.msg, "mlx5_0");
	CHECK_CONTAINS(err.msg, "--backend fwctl");

	args.ibdev = "";
	CHECK_U64(fw_dev_open(FW_BACKEND_DEVX, &args, NULL, &dev, &err),
		  IQ_EENV);
	CHECK_CONTAINS(err.msg, PF_PCI ": devx: ");
	CHECK_CONTAINS(err.msg, "no RDMA device in sysfs");
}

static void test_fwctl_unavailable(void)
{
	char root[64];
	char node[128];
	struct fw_open_args args = {
		.root = "", .pf_pci = PF_PCI, .ibdev = "", .fwctl = ""};
	struct iq_err err = {0};
	struct fw_dev *dev = NULL;

	CHECK_U64(fw_dev_open(FW_BACKEND_FWCTL, &args, NULL, &dev, &err),
		  IQ_EENV);
	CHECK_CONTAINS(err.msg, PF_PCI ": fwctl: ");
	CHECK_CONTAINS(err.msg, "/sys/class/fwctl");

	/* A node that is a plain file does not answer FWCTL_INFO. */
	strcpy(root, "/tmp/iq-fwctl-XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	snprintf(node, sizeof(node), "%s/dev/fwctl", root);
	CHECK_U64(mkdir_p(node, 0755, &err), IQ_OK);
	snprintf(node, sizeof(node), "%s/dev/fwctl/fwctl0", root);
	CHECK_U64(file_write_str(node, "", &err), IQ_OK);
	args.root = root;
	args.fwctl = "fwctl0";
	CHECK_U64(fw_dev_open(FW_BACKEND_FWCTL, &args, NULL, &dev, &err),
		  IQ_EENV);
	CHECK(dev == NULL);
	CHECK_CONTAINS(err.msg, node);
	CHECK_CONTAINS(err.msg, "not a fwctl device");
	CHECK_CONTAINS(err.msg, strerror(ENOTTY));

	args.fwctl = "fwctl1";
	CHECK_U64(fw_dev_open(FW_BACKEND_FWCTL, &args, NULL, &dev, &err),
		  IQ_EENV);
	snprintf(node, sizeof(node), "%s/dev/fwctl/fwctl1", root);
	CHECK_CONTAINS(err.msg, node);
	CHECK_CONTAINS(err.msg, strerror(ENOENT));
	CHECK_CONTAINS(err.msg, "mlx5_fwctl");

	args.fwctl = "../../etc/passwd";
	CHECK_U64(fw_dev_open(FW_BACKEND_FWCTL, &args, NULL, &dev, &err),
		  IQ_EENV);
	CHECK_CONTAINS(err.msg, "not a fwctl device name");
	rm_rf(root);
}

/*
 * fwctl scopes: what mlx5ctl_validate_rpc (drivers/fwctl/mlx5/main.c)
 * accepts at the lowest scope. A register write at DEBUG_WRITE_FULL would
 * need CAP_SYS_RAWIO and taint the kernel; CONFIGURATION needs neither.
 */
static void test_fwctl_scopes(void)
{
	uint32_t in[64];
	uint32_t reg[16] = {0};
	const uint16_t opcodes[] = {PRM_OP_ACCESS_REG,
				    PRM_OP_ACCESS_REGISTER_USER};

	CHECK_U64(FWCTL_RPC_CONFIGURATION, 0);
	CHECK_U64(FWCTL_RPC_DEBUG_READ_ONLY, 1);
	CHECK_U64(FWCTL_RPC_DEBUG_WRITE, 2);
	CHECK_U64(FWCTL_RPC_DEBUG_WRITE_FULL, 3);
	for (size_t i = 0; i < 2; i++) {
		prm_encode_access_reg(in, opcodes[i], false,
				      PRM_REG_VHCA_ICM_CTRL, reg, 0x40);
		CHECK_U64(fwctl_rpc_scope_for(in), FWCTL_RPC_CONFIGURATION);
		prm_encode_access_reg(in, opcodes[i], false,
				      PRM_REG_VHCA_GROUP_ICM_CTRL, reg, 0x40);
		CHECK_U64(fwctl_rpc_scope_for(in), FWCTL_RPC_CONFIGURATION);
		prm_encode_access_reg(in, opcodes[i], true,
				      PRM_REG_VHCA_ICM_CTRL, reg, 0x40);
		CHECK_U64(fwctl_rpc_scope_for(in), FWCTL_RPC_DEBUG_READ_ONLY);
		prm_encode_access_reg(in, opcodes[i], true, PRM_REG_NIC_CAP_REG,
				      reg, 0x40);
		CHECK_U64(fwctl_rpc_scope_for(in), FWCTL_RPC_DEBUG_READ_ONLY);
	}
	prm_encode_query_hca_cap(in, false, 0);
	CHECK_U64(fwctl_rpc_scope_for(in), FWCTL_RPC_CONFIGURATION);
	prm_encode_query_hca_cap(in, true, 3);
	CHECK_U64(fwctl_rpc_scope_for(in), FWCTL_RPC_CONFIGURATION);
	CHECK_STR(fwctl_rpc_scope_name(FWCTL_RPC_CONFIGURATION),
		  "CONFIGURATION");
	CHECK_STR(fwctl_rpc_scope_name(FWCTL_RPC_DEBUG_READ_ONLY),
		  "DEBUG_READ_ONLY");
	CHECK_STR(fwctl_rpc_scope_name(FWCTL_RPC_DEBUG_WRITE_FULL),
		  "DEBUG_WRITE_FULL");
	CHECK_STR(fwctl_rpc_scope_name(9), "UNKNOWN");
}

static void test_auto_without_channel(void)
{
	char root[64];
	struct fw_open_args args = {.pf_pci = PF_PCI,
				    .ibdev = "mlx5_0",
				    .fwctl = "",
				    .sim = &simfw_transport};
	struct iq_err err = {0};
	struct fw_dev *dev = NULL;

	strcpy(root, "/tmp/iq-auto-XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	args.root = root;
	CHECK(!simfw_root_present(root));
	CHECK(!simfw_root_present(""));
	CHECK_U64(fw_dev_open(FW_BACKEND_AUTO, &args, NULL, &dev, &err),
		  IQ_EENV);
	CHECK(dev == NULL);
	CHECK(strncmp(err.msg, PF_PCI ": ", strlen(PF_PCI) + 2) == 0);
	CHECK_CONTAINS(err.msg, "devx: ");
	CHECK_CONTAINS(err.msg, "rdma-core");
	CHECK_CONTAINS(err.msg, "fwctl: ");
	CHECK_CONTAINS(err.msg, "/sys/class/fwctl");
	/* the PF is named once, at the start */
	CHECK(strstr(err.msg + 1, PF_PCI ": ") == NULL);
	CHECK(strchr(err.msg, '\n') == NULL);
	rm_rf(root);
}

int main(void)
{
	RUN(test_backend_names);
	RUN(test_sim_typed_operations);
	RUN(test_firmware_status_errors);
	RUN(test_devx_refusal_names_fwctl);
	RUN(test_trace);
	RUN(test_group_mailboxes);
	RUN(test_retry_busy_and_not_ready);
	RUN(test_sim_missing_pf);
	RUN(test_devx_unavailable);
	RUN(test_fwctl_unavailable);
	RUN(test_fwctl_scopes);
	RUN(test_auto_without_channel);
	return TEST_SUMMARY("test_transport");
}
