// SPDX-License-Identifier: MIT
/*
 * The PRM encoders against the golden vectors (tests/fixtures/
 * prm-vectors.txt, byte for byte), the decoders against hand-placed bits
 * at the positions of the PRM tables, and encode/decode round trips.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devx/codec.h"
#include "devx/prm.h"
#include "lib/size.h"
#include "test.h"

#define VECTORS "tests/fixtures/prm-vectors.txt"
#define MAX_IN	0x100

/* Builds one vector's input mailbox; returns its length. */
typedef size_t (*build_fn)(uint32_t *in);

static size_t build_reg(uint32_t *in, uint16_t opcode, bool read,
			uint16_t register_id, const void *reg)
{
	return prm_encode_access_reg(in, opcode, read, register_id, reg,
				     prm_register_size(register_id));
}

static size_t v_caps_own(uint32_t *in)
{
	return prm_encode_query_hca_cap(in, false, 0);
}

static size_t v_caps_vf0(uint32_t *in)
{
	return prm_encode_query_hca_cap(in, true, 1);
}

static size_t v_caps_vf7(uint32_t *in)
{
	return prm_encode_query_hca_cap(in, true, 8);
}

static size_t v_read_nic_cap(uint32_t *in)
{
	return build_reg(in, PRM_OP_ACCESS_REGISTER_USER, true,
			 PRM_REG_NIC_CAP_REG, NULL);
}

static size_t icm_ctrl(uint32_t *in, uint16_t opcode, bool read,
		       const struct prm_vhca_icm_ctrl *v)
{
	uint32_t reg[DEVX_ST_SZ_DW(vhca_icm_ctrl_reg)];

	prm_encode_vhca_icm_ctrl(reg, v);
	return build_reg(in, opcode, read, PRM_REG_VHCA_ICM_CTRL, reg);
}

static size_t v_read_icm_5(uint32_t *in)
{
	struct prm_vhca_icm_ctrl v = {.vhca_id_valid = true, .vhca_id = 5};

	return icm_ctrl(in, PRM_OP_ACCESS_REGISTER_USER, true, &v);
}

static const struct prm_vhca_icm_ctrl cap_5_8g = {
	.vhca_id_valid = true,
	.vhca_id = 5,
	.set_cap = true,
	.max_alloc_icm_th = (8ULL << 30) / 4096,
};

static size_t v_write_icm_5_8g(uint32_t *in)
{
	return icm_ctrl(in, PRM_OP_ACCESS_REGISTER_USER, false, &cap_5_8g);
}

static size_t v_write_icm_1a3_unlimited(uint32_t *in)
{
	struct prm_vhca_icm_ctrl v = {
		.vhca_id_valid = true,
		.vhca_id = 0x1a3,
		.set_cap = true,
		.max_alloc_icm_th = PRM_ICM_UNLIMITED,
	};

	return icm_ctrl(in, PRM_OP_ACCESS_REGISTER_USER, false, &v);
}

static size_t v_fwctl_write_icm_5_8g(uint32_t *in)
{
	return icm_ctrl(in, PRM_OP_ACCESS_REG, false, &cap_5_8g);
}

static size_t v_reset_hwm_5(uint32_t *in)
{
	struct prm_vhca_icm_ctrl v = {
		.vhca_id_valid = true,
		.vhca_id = 5,
		.reset_hwm = true,
	};

	return icm_ctrl(in, PRM_OP_ACCESS_REGISTER_USER, false, &v);
}

static size_t v_write_group_3_12g(uint32_t *in)
{
	uint32_t reg[DEVX_ST_SZ_DW(vhca_group_icm_ctrl_reg)];
	struct prm_vhca_group_icm_ctrl v = {
		.vhca_group_id = 3,
		.set_cap = true,
		.max_alloc_icm_th = (12ULL << 30) / 4096,
	};

	prm_encode_vhca_group_icm_ctrl(reg, &v);
	return build_reg(in, PRM_OP_ACCESS_REGISTER_USER, false,
			 PRM_REG_VHCA_GROUP_ICM_CTRL, reg);
}

static size_t v_write_icm_5_4g_group_3(uint32_t *in)
{
	struct prm_vhca_icm_ctrl v = {
		.vhca_id_valid = true,
		.vhca_id = 5,
		.set_cap = true,
		.vhca_group_id = 3,
		.max_alloc_icm_th = (4ULL << 30) / 4096,
	};

	return icm_ctrl(in, PRM_OP_ACCESS_REGISTER_USER, false, &v);
}

static size_t v_reset_hwm_5_group_3(uint32_t *in)
{
	struct prm_vhca_icm_ctrl v = {
		.vhca_id_valid = true,
		.vhca_id = 5,
		.reset_hwm = true,
		.vhca_group_id = 3,
	};

	return icm_ctrl(in, PRM_OP_ACCESS_REGISTER_USER, false, &v);
}

static size_t v_read_group_3(uint32_t *in)
{
	uint32_t reg[DEVX_ST_SZ_DW(vhca_group_icm_ctrl_reg)];
	struct prm_vhca_group_icm_ctrl v = {.vhca_group_id = 3};

	prm_encode_vhca_group_icm_ctrl(reg, &v);
	return build_reg(in, PRM_OP_ACCESS_REGISTER_USER, true,
			 PRM_REG_VHCA_GROUP_ICM_CTRL, reg);
}

static const struct {
	const char *label;
	build_fn build;
} builders[] = {
	{"query_hca_cap own general current", v_caps_own},
	{"query_hca_cap other_function function_id=1 (VF index 0)", v_caps_vf0},
	{"query_hca_cap other_function function_id=8 (VF index 7)", v_caps_vf7},
	{"access_register_user read NIC_CAP_REG", v_read_nic_cap},
	{"access_register_user read VHCA_ICM_CTRL vhca_id=5", v_read_icm_5},
	{"access_register_user write VHCA_ICM_CTRL vhca_id=5 cap=8GiB",
	 v_write_icm_5_8g},
	{"access_register_user write VHCA_ICM_CTRL vhca_id=0x1a3 unlimited",
	 v_write_icm_1a3_unlimited},
	{"access_reg (fwctl path) write VHCA_ICM_CTRL vhca_id=5 cap=8GiB",
	 v_fwctl_write_icm_5_8g},
	{"access_register_user write VHCA_ICM_CTRL vhca_id=5 reset "
	 "high-water mark only",
	 v_reset_hwm_5},
	{"access_register_user write VHCA_GROUP_ICM_CTRL group=3 cap=12GiB",
	 v_write_group_3_12g},
	{"access_register_user write VHCA_ICM_CTRL vhca_id=5 cap=4GiB joining "
	 "group 3",
	 v_write_icm_5_4g_group_3},
	{"access_register_user write VHCA_ICM_CTRL vhca_id=5 reset high-water "
	 "mark only, staying in group 3",
	 v_reset_hwm_5_group_3},
	{"access_register_user read VHCA_GROUP_ICM_CTRL group=3",
	 v_read_group_3},
};
#define NBUILDERS (sizeof(builders) / sizeof(builders[0]))

static void to_hex(const void *buf, size_t len, char *hex)
{
	const unsigned char *b = buf;

	for (size_t i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", b[i]);
	hex[2 * len] = '\0';
}

static void strip(char *line)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
		     line[n - 1] == ' '))
		line[--n] = '\0';
}

static int vector_label_index(const char *label)
{
	for (size_t i = 0; i < NBUILDERS; i++)
		if (strcmp(builders[i].label, label) == 0)
			return (int)i;
	return -1;
}

/* Every vector in the file is reproduced; every builder has a vector. */
static void test_every_vector(void)
{
	bool seen[NBUILDERS] = {false};
	char label[256] = "";
	char *line = NULL;
	size_t cap = 0;
	int nvectors = 0;
	FILE *f = fopen(VECTORS, "r");

	CHECK(f != NULL);
	if (!f) {
		fprintf(stderr, "cannot open %s (run from the repo root)\n",
			VECTORS);
		return;
	}
	while (getline(&line, &cap, f) >= 0) {
		uint32_t in[MAX_IN / 4];
		char hex[2 * MAX_IN + 1];
		size_t len;
		int idx;

		strip(line);
		if (!line[0])
			continue;
		if (line[0] == '#') {
			snprintf(label, sizeof(label), "%s",
				 line + (line[1] == ' ' ? 2 : 1));
			continue;
		}
		nvectors++;
		idx = vector_label_index(label);
		if (idx < 0) {
			fprintf(stderr, "vector \"%s\": no encoder for it\n",
				label);
			CHECK(idx >= 0);
			continue;
		}
		seen[idx] = true;
		memset(in, 0xee, sizeof(in));
		len = builders[idx].build(in);
		CHECK(len <= MAX_IN);
		to_hex(in, len, hex);
		if (strcmp(hex, line) != 0) {
			fprintf(stderr,
				"vector \"%s\":\n  expected %s\n  encoded  "
				"%s\n",
				label, line, hex);
			CHECK_STR(hex, line);
		}
	}
	free(line);
	fclose(f);
	CHECK_U64(nvectors, NBUILDERS);
	for (size_t i = 0; i < NBUILDERS; i++) {
		if (!seen[i])
			fprintf(stderr, "no vector \"%s\" in %s\n",
				builders[i].label, VECTORS);
		CHECK(seen[i]);
	}
}

static void test_sizes(void)
{
	CHECK_U64(DEVX_ST_SZ_BYTES(prm_cmd_in_hdr), 16);
	CHECK_U64(DEVX_ST_SZ_BYTES(prm_cmd_out_hdr), 16);
	CHECK_U64(DEVX_ST_SZ_BYTES(query_hca_cap_in), 16);
	CHECK_U64(DEVX_ST_SZ_BYTES(cmd_hca_cap), 0x1000);
	CHECK_U64(prm_query_hca_cap_out_len(), 0x1010);
	CHECK_U64(DEVX_ST_SZ_BYTES(access_register_in), 16);
	CHECK_U64(DEVX_ST_SZ_BYTES(access_register_out), 16);
	CHECK_U64(prm_register_size(PRM_REG_NIC_CAP_REG), 0x80);
	CHECK_U64(prm_register_size(PRM_REG_VHCA_ICM_CTRL), 0x40);
	CHECK_U64(prm_register_size(PRM_REG_VHCA_GROUP_ICM_CTRL), 0x40);
	CHECK_U64(prm_register_size(0x5002), 0);
}

static void test_status_names(void)
{
	static const struct {
		uint8_t status;
		const char *name;
	} table[] = {
		{0x00, "OK"},
		{0x01, "INTERNAL_ERR"},
		{0x02, "BAD_OP"},
		{0x03, "BAD_PARAM"},
		{0x04, "BAD_SYS_STATE"},
		{0x05, "BAD_RESOURCE"},
		{0x06, "RESOURCE_BUSY"},
		{0x08, "EXCEED_LIM"},
		{0x09, "BAD_RES_STATE"},
		{0x0a, "BAD_INDEX"},
		{0x0f, "NO_RESOURCES"},
		{0x10, "BAD_QP_STATE"},
		{0x30, "BAD_PKT"},
		{0x40, "BAD_SIZE_OUTS_CQES"},
		{0x50, "BAD_INPUT_LEN"},
		{0x51, "BAD_OUTPUT_LEN"},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		CHECK_STR(prm_status_name(table[i].status), table[i].name);
	CHECK_STR(prm_status_name(0x07), "NOT_READY");
	CHECK_STR(prm_status_name(0x0b), "UNKNOWN");
	CHECK_STR(prm_status_name(0xff), "UNKNOWN");
}

static void test_headers(void)
{
	uint32_t in[4];
	uint32_t out[4] = {0};
	unsigned char *o = (unsigned char *)out;

	prm_encode_access_reg(in, PRM_OP_ACCESS_REG, true, 0xc010, NULL, 0);
	CHECK_U64(prm_in_opcode(in), 0x805);
	CHECK_U64(prm_in_op_mod(in), 1);
	prm_encode_query_hca_cap(in, false, 0);
	CHECK_U64(prm_in_opcode(in), 0x100);
	CHECK_U64(prm_in_op_mod(in), 1);

	/* status: dword 0, upper 8 bits; syndrome: dword 1. */
	o[0] = 0x03;
	o[4] = 0xde;
	o[5] = 0xad;
	o[6] = 0xbe;
	o[7] = 0xef;
	CHECK_U64(prm_out_status(out), 0x03);
	CHECK_U64(prm_out_syndrome(out), 0xdeadbeef);
}

/* Bits placed by hand at the PRM table positions, then decoded. */
static void test_decode_positions(void)
{
	uint32_t out[DEVX_ST_SZ_DW(query_hca_cap_out)] = {0};
	uint32_t nic[DEVX_ST_SZ_DW(nic_cap_reg)] = {0};
	uint32_t icm[DEVX_ST_SZ_DW(vhca_icm_ctrl_reg)] = {0};
	unsigned char *o = (unsigned char *)out;
	unsigned char *n = (unsigned char *)nic;
	unsigned char *r = (unsigned char *)icm;
	struct prm_hca_caps caps;
	struct prm_nic_cap cap;
	struct prm_vhca_icm_ctrl v;

	/* vhca_id: low 16 bits of dword 1 of the capability (out 0x14). */
	o[0x16] = 0x01;
	o[0x17] = 0xa3;
	/* mlx5_ifc bit 0x1a0 = byte 0x34 MSB; bit 0x1a7 = byte 0x34 LSB. */
	o[0x10 + 0x34] = 0x80;
	prm_decode_query_hca_cap(out, &caps);
	CHECK_U64(caps.vhca_id, 0x1a3);
	CHECK(caps.vport_group_manager);
	CHECK(!caps.eswitch_manager);
	CHECK(!caps.nic_cap_reg);
	o[0x10 + 0x34] = 0x01;
	/* bit 0x251 = byte 0x4a, second bit from the top. */
	o[0x10 + 0x4a] = 0x40;
	prm_decode_query_hca_cap(out, &caps);
	CHECK(!caps.vport_group_manager);
	CHECK(caps.eswitch_manager);
	CHECK(caps.nic_cap_reg);
	CHECK(!caps.access_register_user);
	/* access_register_user: bit 0xd2 = byte 0x1a, third bit from the top
	 * (mlx5_ifc cmd_hca_cap; DPDK checks it before register access). */
	o[0x10 + 0x1a] = 0x20;
	prm_decode_query_hca_cap(out, &caps);
	CHECK(caps.access_register_user);
	CHECK(caps.nic_cap_reg);
	CHECK_U64(caps.vhca_id, 0x1a3);
	o[0x10 + 0x1a] = 0xdf; /* every neighbour set, the bit clear */
	prm_decode_query_hca_cap(out, &caps);
	CHECK(!caps.access_register_user);
	o[0x10 + 0x1a] = 0;

	/* NIC_CAP_REG: vhca_icm_ctrl 0x0.5, total_icm 0xC, group max 0x14. */
	n[3] = 0x20;
	n[0xc] = 0x00;
	n[0xd] = 0x40;
	n[0xe] = 0x00;
	n[0xf] = 0x00;
	n[0x16] = 0x00;
	n[0x17] = 0x07;
	prm_decode_nic_cap(nic, &cap);
	CHECK(cap.vhca_icm_ctrl);
	CHECK_U64(cap.total_icm, 0x400000);
	CHECK_U64(cap.vhca_group_id_max, 7);
	n[3] = 0x10; /* the neighbour bit 0x0.4 is not the flag */
	prm_decode_nic_cap(nic, &cap);
	CHECK(!cap.vhca_icm_ctrl);

	/* VHCA_ICM_CTRL read-only fields: cur at 0x18, max_reached 0x20. */
	r[0] = 0x80;
	r[3] = 0x09;
	r[0xf] = 0x02;
	r[0x13] = 0x11;
	r[0x1b] = 0x22;
	r[0x23] = 0x33;
	prm_decode_vhca_icm_ctrl(icm, &v);
	CHECK(v.vhca_id_valid);
	CHECK_U64(v.vhca_id, 9);
	CHECK_U64(v.vhca_group_id, 2);
	CHECK_U64(v.max_alloc_icm_th, 0x11);
	CHECK_U64(v.cur_alloc_icm, 0x22);
	CHECK_U64(v.max_reached_alloc_icm, 0x33);
	CHECK(!v.set_cap);
	CHECK(!v.reset_hwm);
}

static void test_round_trips(void)
{
	uint32_t reg[DEVX_ST_SZ_DW(vhca_icm_ctrl_reg)];
	struct prm_vhca_icm_ctrl a = {
		.vhca_id_valid = true,
		.vhca_id = 0xbeef,
		.set_cap = true,
		.reset_hwm = true,
		.vhca_group_id = 0x1234,
		.max_alloc_icm_th = 0xfffffffe,
		.cur_alloc_icm = 0x80000001,
		.max_reached_alloc_icm = 0x7fffffff,
	};
	struct prm_vhca_icm_ctrl b;
	struct prm_vhca_group_icm_ctrl ga = {
		.vhca_group_id = 0xffff,
		.set_cap = false,
		.reset_hwm = true,
		.max_alloc_icm_th = 12345,
		.cur_alloc_icm = 678,
		.max_reached_alloc_icm = 91011,
	};
	struct prm_vhca_group_icm_ctrl gb;

	prm_encode_vhca_icm_ctrl(reg, &a);
	prm_decode_vhca_icm_ctrl(reg, &b);
	CHECK(b.vhca_id_valid == a.vhca_id_valid);
	CHECK_U64(b.vhca_id, a.vhca_id);
	CHECK(b.set_cap == a.set_cap);
	CHECK(b.reset_hwm == a.reset_hwm);
	CHECK_U64(b.vhca_group_id, a.vhca_group_id);
	CHECK_U64(b.max_alloc_icm_th, a.max_alloc_icm_th);
	CHECK_U64(b.cur_alloc_icm, a.cur_alloc_icm);
	CHECK_U64(b.max_reached_alloc_icm, a.max_reached_alloc_icm);

	prm_encode_vhca_group_icm_ctrl(reg, &ga);
	prm_decode_vhca_group_icm_ctrl(reg, &gb);
	CHECK_U64(gb.vhca_group_id, ga.vhca_group_id);
	CHECK(gb.set_cap == ga.set_cap);
	CHECK(gb.reset_hwm == ga.reset_hwm);
	CHECK_U64(gb.max_alloc_icm_th, ga.max_alloc_icm_th);
	CHECK_U64(gb.cur_alloc_icm, ga.cur_alloc_icm);
	CHECK_U64(gb.max_reached_alloc_icm, ga.max_reached_alloc_icm);

	/* The encoder clears what it does not set. */
	memset(reg, 0xff, sizeof(reg));
	prm_encode_vhca_icm_ctrl(reg, &(struct prm_vhca_icm_ctrl){0});
	for (size_t i = 0; i < sizeof(reg) / sizeof(reg[0]); i++)
		CHECK_U64(reg[i], 0);
}

/* A register access carries the register data right after the header. */
static void test_access_reg_payload(void)
{
	uint32_t in[(16 + 0x40) / 4];
	uint32_t reg[0x40 / 4];
	size_t len;

	for (size_t i = 0; i < sizeof(reg) / sizeof(reg[0]); i++)
		reg[i] = (uint32_t)(0x01010101u * (i + 1));
	len = prm_encode_access_reg(in, PRM_OP_ACCESS_REGISTER_USER, false,
				    PRM_REG_VHCA_ICM_CTRL, reg, sizeof(reg));
	CHECK_U64(len, 16 + 0x40);
	CHECK(memcmp((unsigned char *)in + 16, reg, sizeof(reg)) == 0);
}

int main(void)
{
	RUN(test_every_vector);
	RUN(test_sizes);
	RUN(test_status_names);
	RUN(test_headers);
	RUN(test_decode_positions);
	RUN(test_round_trips);
	RUN(test_access_reg_payload);
	return TEST_SUMMARY("test_prm_vectors");
}
