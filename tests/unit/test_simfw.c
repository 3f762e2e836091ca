// SPDX-License-Identifier: MIT
/*
 * The simulated firmware: PRM semantics of every command it answers
 * (status codes, cap rules, groups, high-water marks), the guest side
 * (page requests, FLR), and its state files (create, lock/load/save, list,
 * corrupt files, concurrent writers).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "controller/sim/simfw.h"
#include "devx/codec.h"
#include "devx/fw.h"
#include "devx/prm.h"
#include "devx/transport.h"
#include "lib/file.h"
#include "lib/pci.h"
#include "lib/size.h"
#include "test.h"

#define PF_PCI	    "0000:3b:00.0"
#define TOTAL_ICM   0x400000u	   /* 16 GiB in 4 KiB pages */
#define VF_VHCA(vf) (0x1a0 + (vf)) /* PF index 0 */

static uint32_t in[(16 + 0x80) / 4];
static uint32_t out[0x1010 / 4];

/* PF index 0 with 16 VFs of which 8 enabled, 4 groups. */
static void pf_new(struct simfw_pf *pf)
{
	CHECK(simfw_pf_init(pf, PF_PCI, 0, 16, 8, TOTAL_ICM, 4) == 0);
}

static uint8_t run(struct simfw_pf *pf, size_t inlen, size_t outlen,
		   bool *changed)
{
	bool c = simfw_exec(pf, in, inlen, out, outlen);

	if (changed)
		*changed = c;
	return prm_out_status(out);
}

static uint8_t query_caps(struct simfw_pf *pf, bool other, uint16_t fid,
			  struct prm_hca_caps *caps)
{
	size_t inlen = prm_encode_query_hca_cap(in, other, fid);
	uint8_t status = run(pf, inlen, prm_query_hca_cap_out_len(), NULL);

	prm_decode_query_hca_cap(out, caps);
	return status;
}

static void *reg_out(void)
{
	return DEVX_ADDR_OF(access_register_out, out, register_data);
}

static uint8_t icm(struct simfw_pf *pf, bool read, struct prm_vhca_icm_ctrl *v,
		   bool *changed)
{
	uint32_t reg[DEVX_ST_SZ_DW(vhca_icm_ctrl_reg)];
	size_t inlen;
	uint8_t status;

	prm_encode_vhca_icm_ctrl(reg, v);
	inlen = prm_encode_access_reg(in, PRM_OP_ACCESS_REGISTER_USER, read,
				      PRM_REG_VHCA_ICM_CTRL, reg, sizeof(reg));
	status = run(pf, inlen, 16 + sizeof(reg), changed);
	if (status == PRM_STATUS_OK)
		prm_decode_vhca_icm_ctrl(reg_out(), v);
	return status;
}

static uint8_t icm_read(struct simfw_pf *pf, uint16_t vhca_id,
			struct prm_vhca_icm_ctrl *v)
{
	*v = (struct prm_vhca_icm_ctrl){.vhca_id_valid = true,
					.vhca_id = vhca_id};
	return icm(pf, true, v, NULL);
}

static uint8_t icm_set_cap(struct simfw_pf *pf, uint16_t vhca_id, uint32_t cap,
			   uint16_t group, bool *changed)
{
	struct prm_vhca_icm_ctrl v = {
		.vhca_id_valid = true,
		.vhca_id = vhca_id,
		.set_cap = true,
		.vhca_group_id = group,
		.max_alloc_icm_th = cap,
	};

	return icm(pf, false, &v, changed);
}

static uint8_t group(struct simfw_pf *pf, bool read,
		     struct prm_vhca_group_icm_ctrl *v, bool *changed)
{
	uint32_t reg[DEVX_ST_SZ_DW(vhca_group_icm_ctrl_reg)];
	size_t inlen;
	uint8_t status;

	prm_encode_vhca_group_icm_ctrl(reg, v);
	inlen = prm_encode_access_reg(in, PRM_OP_ACCESS_REGISTER_USER, read,
				      PRM_REG_VHCA_GROUP_ICM_CTRL, reg,
				      sizeof(reg));
	status = run(pf, inlen, 16 + sizeof(reg), changed);
	if (status == PRM_STATUS_OK)
		prm_decode_vhca_group_icm_ctrl(reg_out(), v);
	return status;
}

static uint8_t nic_cap(struct simfw_pf *pf, bool read, struct prm_nic_cap *c)
{
	size_t inlen = prm_encode_access_reg(in, PRM_OP_ACCESS_REG, read,
					     PRM_REG_NIC_CAP_REG, NULL, 0x80);
	uint8_t status = run(pf, inlen, 16 + 0x80, NULL);

	if (status == PRM_STATUS_OK)
		prm_decode_nic_cap(reg_out(), c);
	return status;
}

static void test_vhca_ids(void)
{
	struct simfw_pf pf;

	CHECK_U64(simfw_vhca_id_for(0, 0), 0);
	CHECK_U64(simfw_vhca_id_for(3, 0), 3);
	CHECK_U64(simfw_vhca_id_for(0, 4), 0x1a3); /* VF index 3 of PF 0 */
	CHECK_U64(simfw_vhca_id_for(1, 1), 0x1c0);
	pf_new(&pf);
	CHECK_U64(pf.nfuncs, 17);
	CHECK(simfw_func_by_id(&pf, 4) == simfw_func_by_vhca(&pf, 0x1a3));
	CHECK(simfw_func_by_id(&pf, 17) == NULL);
	CHECK(simfw_func_by_vhca(&pf, 0x999) == NULL);
	CHECK_U64(simfw_func_by_id(&pf, 16)->cap, PRM_ICM_UNLIMITED);
	simfw_pf_free(&pf);
}

static void test_query_caps(void)
{
	struct simfw_pf pf;
	struct prm_hca_caps caps;

	pf_new(&pf);
	CHECK_U64(query_caps(&pf, false, 0, &caps), PRM_STATUS_OK);
	CHECK_U64(caps.vhca_id, 0);
	CHECK(caps.vport_group_manager);
	CHECK(caps.eswitch_manager);
	CHECK(caps.nic_cap_reg);

	CHECK_U64(query_caps(&pf, true, 1, &caps), PRM_STATUS_OK);
	CHECK_U64(caps.vhca_id, 0x1a0);
	CHECK(!caps.vport_group_manager);
	CHECK(!caps.eswitch_manager);
	CHECK(!caps.nic_cap_reg);
	CHECK_U64(query_caps(&pf, true, 8, &caps), PRM_STATUS_OK);
	CHECK_U64(caps.vhca_id, 0x1a7);

	/* Function ids 1..enabled_vfs only. */
	CHECK_U64(query_caps(&pf, true, 9, &caps), PRM_STATUS_BAD_PARAM);
	CHECK_U64(query_caps(&pf, true, 0, &caps), PRM_STATUS_BAD_PARAM);

	pf.nic_cap_reg = false;
	CHECK_U64(query_caps(&pf, false, 0, &caps), PRM_STATUS_OK);
	CHECK(!caps.nic_cap_reg);
	simfw_pf_free(&pf);
}

static void test_command_errors(void)
{
	struct simfw_pf pf;
	size_t inlen;

	pf_new(&pf);
	inlen = prm_encode_query_hca_cap(in, false, 0);
	CHECK_U64(run(&pf, 15, sizeof(out), NULL), PRM_STATUS_BAD_INPUT_LEN);
	CHECK_U64(run(&pf, inlen, 0x100f, NULL), PRM_STATUS_BAD_OUTPUT_LEN);
	/* op_mod other than general caps, current */
	DEVX_SET(query_hca_cap_in, in, op_mod, 0);
	CHECK_U64(run(&pf, inlen, sizeof(out), NULL), PRM_STATUS_BAD_PARAM);
	DEVX_SET(query_hca_cap_in, in, op_mod, 3);
	CHECK_U64(run(&pf, inlen, sizeof(out), NULL), PRM_STATUS_BAD_PARAM);
	/* unknown opcode */
	DEVX_SET(prm_cmd_in_hdr, in, opcode, 0x101);
	CHECK_U64(run(&pf, inlen, sizeof(out), NULL), PRM_STATUS_BAD_OP);

	/* Register access: op_mod, register, lengths. */
	inlen = prm_encode_access_reg(in, PRM_OP_ACCESS_REGISTER_USER, true,
				      PRM_REG_VHCA_ICM_CTRL, NULL, 0x40);
	/* (an all-zero index is vhca_id_valid = 0: the PF itself) */
	CHECK_U64(run(&pf, inlen, 16 + 0x40, NULL), PRM_STATUS_OK);
	CHECK_U64(run(&pf, inlen - 1, 16 + 0x40, NULL),
		  PRM_STATUS_BAD_INPUT_LEN);
	CHECK_U64(run(&pf, inlen, 16 + 0x3f, NULL), PRM_STATUS_BAD_OUTPUT_LEN);
	DEVX_SET(access_register_in, in, op_mod, 2);
	CHECK_U64(run(&pf, inlen, 16 + 0x40, NULL), PRM_STATUS_BAD_PARAM);
	prm_encode_access_reg(in, PRM_OP_ACCESS_REG, true, 0x5002, NULL, 0x40);
	CHECK_U64(run(&pf, inlen, 16 + 0x40, NULL), PRM_STATUS_BAD_PARAM);
	simfw_pf_free(&pf);
}

static void test_nic_cap(void)
{
	struct simfw_pf pf;
	struct prm_nic_cap c;

	pf_new(&pf);
	CHECK_U64(nic_cap(&pf, true, &c), PRM_STATUS_OK);
	CHECK(c.vhca_icm_ctrl);
	CHECK_U64(c.total_icm, TOTAL_ICM);
	CHECK_U64(c.vhca_group_id_max, 4);
	/*
	 * The real register has writable fields; the tool never writes it,
	 * so the model does not either and refuses a write (BAD_PARAM).
	 */
	CHECK_U64(nic_cap(&pf, false, &c), PRM_STATUS_BAD_PARAM);
	pf.vhca_icm_ctrl = false;
	CHECK_U64(nic_cap(&pf, true, &c), PRM_STATUS_OK);
	CHECK(!c.vhca_icm_ctrl);
	/* old firmware: the register is unknown */
	pf.nic_cap_reg = false;
	CHECK_U64(nic_cap(&pf, true, &c), PRM_STATUS_BAD_PARAM);
	simfw_pf_free(&pf);
}

/* Both register opcodes reach the same registers. */
static void test_both_opcodes(void)
{
	uint32_t reg[DEVX_ST_SZ_DW(vhca_icm_ctrl_reg)];
	struct prm_vhca_icm_ctrl v = {
		.vhca_id_valid = true,
		.vhca_id = 0x1a3,
		.set_cap = true,
		.max_alloc_icm_th = 777,
	};
	struct simfw_pf pf;
	size_t inlen;

	pf_new(&pf);
	prm_encode_vhca_icm_ctrl(reg, &v);
	inlen = prm_encode_access_reg(in, PRM_OP_ACCESS_REG, false,
				      PRM_REG_VHCA_ICM_CTRL, reg, sizeof(reg));
	CHECK_U64(run(&pf, inlen, 16 + 0x40, NULL), PRM_STATUS_OK);
	CHECK_U64(icm_read(&pf, 0x1a3, &v), PRM_STATUS_OK);
	CHECK_U64(v.max_alloc_icm_th, 777);
	simfw_pf_free(&pf);
}

static void test_write_and_read_back(void)
{
	struct simfw_pf pf;
	struct prm_vhca_icm_ctrl v;
	bool changed = false;

	pf_new(&pf);
	CHECK_U64(icm_set_cap(&pf, 0x1a3, 0x200000, 0, &changed),
		  PRM_STATUS_OK);
	CHECK(changed);
	CHECK_U64(simfw_func_by_id(&pf, 4)->cap, 0x200000);
	/* Same write again: nothing changes, no save needed. */
	CHECK_U64(icm_set_cap(&pf, 0x1a3, 0x200000, 0, &changed),
		  PRM_STATUS_OK);
	CHECK(!changed);
	CHECK_U64(icm_read(&pf, 0x1a3, &v), PRM_STATUS_OK);
	CHECK(v.vhca_id_valid);
	CHECK_U64(v.vhca_id, 0x1a3);
	CHECK_U64(v.max_alloc_icm_th, 0x200000);
	CHECK_U64(v.cur_alloc_icm, 0);
	CHECK_U64(v.vhca_group_id, 0);
	/* Other functions are untouched. */
	CHECK_U64(icm_read(&pf, 0x1a2, &v), PRM_STATUS_OK);
	CHECK_U64(v.max_alloc_icm_th, PRM_ICM_UNLIMITED);
	/* vhca_id_valid = 0 is the PF itself. */
	v = (struct prm_vhca_icm_ctrl){.set_cap = true, .max_alloc_icm_th = 5};
	CHECK_U64(icm(&pf, false, &v, NULL), PRM_STATUS_OK);
	CHECK_U64(simfw_func_by_id(&pf, 0)->cap, 5);
	CHECK_U64(icm_read(&pf, 0, &v), PRM_STATUS_OK);
	CHECK_U64(v.max_alloc_icm_th, 5);
	simfw_pf_free(&pf);
}

static void test_cap_above_total(void)
{
	struct simfw_pf pf;
	bool changed = true;

	pf_new(&pf);
	CHECK_U64(icm_set_cap(&pf, 0x1a3, 500, 0, NULL), PRM_STATUS_OK);
	CHECK_U64(icm_set_cap(&pf, 0x1a3, TOTAL_ICM + 1, 2, &changed),
		  PRM_STATUS_BAD_PARAM);
	CHECK(!changed);
	/* nothing changed: neither the cap nor the group in the same write */
	CHECK_U64(simfw_func_by_id(&pf, 4)->cap, 500);
	CHECK_U64(simfw_func_by_id(&pf, 4)->group, 0);
	CHECK_U64(icm_set_cap(&pf, 0x1a3, TOTAL_ICM, 0, NULL), PRM_STATUS_OK);
	CHECK_U64(icm_set_cap(&pf, 0x1a3, PRM_ICM_UNLIMITED, 0, NULL),
		  PRM_STATUS_OK);
	CHECK_U64(simfw_func_by_id(&pf, 4)->cap, PRM_ICM_UNLIMITED);
	/* A device with unlimited total ICM takes any cap. */
	pf.total_icm = PRM_ICM_UNLIMITED;
	CHECK_U64(icm_set_cap(&pf, 0x1a3, 0xfffffff0, 0, NULL), PRM_STATUS_OK);
	simfw_pf_free(&pf);
}

static void test_unknown_vhca(void)
{
	struct simfw_pf pf;
	struct prm_vhca_icm_ctrl v;

	pf_new(&pf);
	CHECK_U64(icm_read(&pf, 0x999, &v), PRM_STATUS_BAD_RESOURCE);
	CHECK_U64(icm_set_cap(&pf, 0x999, 1, 0, NULL), PRM_STATUS_BAD_RESOURCE);
	/* VF index 8 exists (16 total) but is not enabled (8 enabled). */
	CHECK_U64(icm_read(&pf, VF_VHCA(8), &v), PRM_STATUS_BAD_RESOURCE);
	CHECK_U64(icm_read(&pf, VF_VHCA(7), &v), PRM_STATUS_OK);
	pf.vhca_icm_ctrl = false;
	CHECK_U64(icm_read(&pf, VF_VHCA(7), &v), PRM_STATUS_BAD_PARAM);
	simfw_pf_free(&pf);
}

static void test_maskless_write_keeps_cap(void)
{
	struct simfw_pf pf;
	struct prm_vhca_icm_ctrl v = {
		.vhca_id_valid = true,
		.vhca_id = 0x1a3,
		.vhca_group_id = 1,
		.max_alloc_icm_th = 7,
	};

	pf_new(&pf);
	CHECK_U64(icm_set_cap(&pf, 0x1a3, 500, 0, NULL), PRM_STATUS_OK);
	CHECK_U64(icm(&pf, false, &v, NULL), PRM_STATUS_OK);
	CHECK_U64(simfw_func_by_id(&pf, 4)->cap, 500);
	/* the output echoes the state, the group moved */
	CHECK_U64(v.max_alloc_icm_th, 500);
	CHECK_U64(v.vhca_group_id, 1);
	CHECK_U64(simfw_func_by_id(&pf, 4)->group, 1);
	simfw_pf_free(&pf);
}

static void test_high_water_mark(void)
{
	struct simfw_pf pf;
	struct simfw_func *fn;
	struct prm_vhca_icm_ctrl v = {
		.vhca_id_valid = true,
		.vhca_id = 0x1a3,
		.reset_hwm = true,
	};

	pf_new(&pf);
	fn = simfw_func_by_vhca(&pf, 0x1a3);
	CHECK(simfw_alloc(&pf, fn, 300));
	simfw_flr(&pf, fn);
	CHECK(simfw_alloc(&pf, fn, 50));
	CHECK_U64(icm_read(&pf, 0x1a3, &v), PRM_STATUS_OK);
	CHECK_U64(v.cur_alloc_icm, 50);
	CHECK_U64(v.max_reached_alloc_icm, 300);
	v = (struct prm_vhca_icm_ctrl){
		.vhca_id_valid = true, .vhca_id = 0x1a3, .reset_hwm = true};
	CHECK_U64(icm(&pf, false, &v, NULL), PRM_STATUS_OK);
	CHECK_U64(v.max_reached_alloc_icm, 50);
	CHECK_U64(fn->max_reached, 50);
	CHECK_U64(fn->cap, PRM_ICM_UNLIMITED); /* no mask: cap kept */
	simfw_pf_free(&pf);
}

static void test_lower_cap_below_cur(void)
{
	struct simfw_pf pf;
	struct simfw_func *fn;
	struct prm_vhca_icm_ctrl v;

	pf_new(&pf);
	fn = simfw_func_by_vhca(&pf, 0x1a3);
	CHECK(simfw_alloc(&pf, fn, 400));
	CHECK_U64(icm_set_cap(&pf, 0x1a3, 100, 0, NULL), PRM_STATUS_OK);
	/* nothing is reclaimed: the function is over its cap */
	CHECK_U64(icm_read(&pf, 0x1a3, &v), PRM_STATUS_OK);
	CHECK_U64(v.cur_alloc_icm, 400);
	CHECK_U64(v.max_alloc_icm_th, 100);
	CHECK(!simfw_alloc(&pf, fn, 1));
	CHECK_U64(fn->cur, 400);
	simfw_flr(&pf, fn);
	CHECK_U64(fn->cur, 0);
	CHECK(simfw_alloc(&pf, fn, 100));
	CHECK(!simfw_alloc(&pf, fn, 1));
	simfw_pf_free(&pf);
}

static void test_alloc_counts(void)
{
	struct simfw_pf pf;
	struct simfw_func *a;
	struct simfw_func *b;

	pf_new(&pf);
	a = simfw_func_by_id(&pf, 1);
	b = simfw_func_by_id(&pf, 2);
	CHECK_U64(icm_set_cap(&pf, a->vhca_id, 1000, 0, NULL), PRM_STATUS_OK);
	CHECK(simfw_alloc(&pf, a, 600));
	CHECK(simfw_alloc(&pf, a, 400)); /* exactly at the cap */
	CHECK(!simfw_alloc(&pf, a, 1));
	CHECK(!simfw_alloc(&pf, a, 1000));
	CHECK_U64(a->cur, 1000);
	CHECK_U64(a->max_reached, 1000);
	CHECK_U64(a->granted, 2);
	CHECK_U64(a->refused, 2);

	/* The device's total ICM bounds all functions together. */
	CHECK(simfw_alloc(&pf, b, TOTAL_ICM - 1000));
	CHECK(!simfw_alloc(&pf, b, 1));
	CHECK_U64(b->refused, 1);
	simfw_flr(&pf, a);
	CHECK(simfw_alloc(&pf, b, 1000));
	CHECK(!simfw_alloc(&pf, a, 1));
	simfw_pf_free(&pf);
}

static void test_groups(void)
{
	struct simfw_pf pf;
	struct prm_vhca_group_icm_ctrl g = {.vhca_group_id = 2};
	struct simfw_func *a;
	struct simfw_func *b;
	bool changed = false;

	pf_new(&pf);
	a = simfw_func_by_id(&pf, 1);
	b = simfw_func_by_id(&pf, 2);
	CHECK_U64(group(&pf, true, &g, NULL), PRM_STATUS_OK);
	CHECK_U64(g.max_alloc_icm_th, PRM_ICM_UNLIMITED);
	CHECK_U64(g.cur_alloc_icm, 0);

	CHECK(simfw_alloc(&pf, a, 100));
	CHECK_U64(icm_set_cap(&pf, a->vhca_id, PRM_ICM_UNLIMITED, 2, NULL),
		  PRM_STATUS_OK);
	CHECK_U64(icm_set_cap(&pf, b->vhca_id, PRM_ICM_UNLIMITED, 2, NULL),
		  PRM_STATUS_OK);
	CHECK(simfw_alloc(&pf, b, 50));
	g = (struct prm_vhca_group_icm_ctrl){
		.vhca_group_id = 2, .set_cap = true, .max_alloc_icm_th = 200};
	CHECK_U64(group(&pf, false, &g, &changed), PRM_STATUS_OK);
	CHECK(changed);
	CHECK_U64(g.max_alloc_icm_th, 200);
	CHECK_U64(g.cur_alloc_icm, 150); /* the members' sum */
	CHECK_U64(g.max_reached_alloc_icm, 150);

	/* The group's cap binds its members together. */
	CHECK(simfw_alloc(&pf, a, 50));
	CHECK(!simfw_alloc(&pf, b, 1));
	CHECK_U64(b->refused, 1);
	simfw_flr(&pf, a);
	g = (struct prm_vhca_group_icm_ctrl){.vhca_group_id = 2};
	CHECK_U64(group(&pf, true, &g, NULL), PRM_STATUS_OK);
	CHECK_U64(g.cur_alloc_icm, 50);
	CHECK_U64(g.max_reached_alloc_icm, 200);
	g = (struct prm_vhca_group_icm_ctrl){.vhca_group_id = 2,
					     .reset_hwm = true};
	CHECK_U64(group(&pf, false, &g, NULL), PRM_STATUS_OK);
	CHECK_U64(g.max_reached_alloc_icm, 50);
	CHECK_U64(g.max_alloc_icm_th, 200); /* no mask: cap kept */

	/* Leaving the group takes the function's ICM out of its sum. */
	CHECK_U64(icm_set_cap(&pf, b->vhca_id, PRM_ICM_UNLIMITED, 0, NULL),
		  PRM_STATUS_OK);
	g = (struct prm_vhca_group_icm_ctrl){.vhca_group_id = 2};
	CHECK_U64(group(&pf, true, &g, NULL), PRM_STATUS_OK);
	CHECK_U64(g.cur_alloc_icm, 0);

	/* Bad ids, caps above total ICM: refused, nothing changes. */
	g = (struct prm_vhca_group_icm_ctrl){.vhca_group_id = 0};
	CHECK_U64(group(&pf, true, &g, NULL), PRM_STATUS_BAD_PARAM);
	g = (struct prm_vhca_group_icm_ctrl){.vhca_group_id = 5};
	CHECK_U64(group(&pf, true, &g, NULL), PRM_STATUS_BAD_PARAM);
	g = (struct prm_vhca_group_icm_ctrl){.vhca_group_id = 2,
					     .set_cap = true,
					     .max_alloc_icm_th = TOTAL_ICM + 1};
	CHECK_U64(group(&pf, false, &g, &changed), PRM_STATUS_BAD_PARAM);
	CHECK(!changed);
	CHECK_U64(pf.groups[1].cap, 200);
	CHECK_U64(icm_set_cap(&pf, a->vhca_id, 10, 5, &changed),
		  PRM_STATUS_BAD_PARAM);
	CHECK(!changed);
	CHECK_U64(a->group, 2);
	CHECK_U64(a->cap, PRM_ICM_UNLIMITED);
	simfw_pf_free(&pf);

	/* A device without groups. */
	CHECK(simfw_pf_init(&pf, PF_PCI, 0, 4, 4, TOTAL_ICM, 0) == 0);
	g = (struct prm_vhca_group_icm_ctrl){.vhca_group_id = 1};
	CHECK_U64(group(&pf, true, &g, NULL), PRM_STATUS_BAD_PARAM);
	CHECK_U64(icm_set_cap(&pf, VF_VHCA(0), 10, 1, NULL),
		  PRM_STATUS_BAD_PARAM);
	simfw_pf_free(&pf);
}

/* Every refusal has its own non-zero syndrome. */
static void test_distinct_syndromes(void)
{
	uint32_t syndromes[16];
	size_t n = 0;
	struct simfw_pf pf;
	struct prm_hca_caps caps;
	struct prm_nic_cap c;
	struct prm_vhca_icm_ctrl v;
	struct prm_vhca_group_icm_ctrl g = {.vhca_group_id = 9};

	pf_new(&pf);
	CHECK_U64(query_caps(&pf, true, 99, &caps), PRM_STATUS_BAD_PARAM);
	syndromes[n++] = prm_out_syndrome(out);
	CHECK_U64(nic_cap(&pf, false, &c), PRM_STATUS_BAD_PARAM);
	syndromes[n++] = prm_out_syndrome(out);
	CHECK_U64(icm_read(&pf, 0x999, &v), PRM_STATUS_BAD_RESOURCE);
	syndromes[n++] = prm_out_syndrome(out);
	CHECK_U64(icm_set_cap(&pf, 0x1a0, TOTAL_ICM + 1, 0, NULL),
		  PRM_STATUS_BAD_PARAM);
	syndromes[n++] = prm_out_syndrome(out);
	CHECK_U64(icm_set_cap(&pf, 0x1a0, 1, 9, NULL), PRM_STATUS_BAD_PARAM);
	syndromes[n++] = prm_out_syndrome(out);
	CHECK_U64(group(&pf, true, &g, NULL), PRM_STATUS_BAD_PARAM);
	syndromes[n++] = prm_out_syndrome(out);
	prm_encode_query_hca_cap(in, false, 0);
	DEVX_SET(prm_cmd_in_hdr, in, opcode, 0x999);
	CHECK_U64(run(&pf, 16, sizeof(out), NULL), PRM_STATUS_BAD_OP);
	syndromes[n++] = prm_out_syndrome(out);
	CHECK_U64(run(&pf, 8, sizeof(out), NULL), PRM_STATUS_BAD_INPUT_LEN);
	syndromes[n++] = prm_out_syndrome(out);
	pf.nic_cap_reg = false;
	CHECK_U64(nic_cap(&pf, true, &c), PRM_STATUS_BAD_PARAM);
	syndromes[n++] = prm_out_syndrome(out);
	for (size_t i = 0; i < n; i++) {
		CHECK(syndromes[i] != 0);
		for (size_t j = i + 1; j < n; j++)
			CHECK(syndromes[i] != syndromes[j]);
	}
	simfw_pf_free(&pf);
}

/* --- state files ------------------------------------------------------- */

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

static void make_root(char *root)
{
	strcpy(root, "/tmp/iq-simfw-XXXXXX");
	CHECK(mkdtemp(root) != NULL);
}

static int create_pf(const char *root, const char *pci, unsigned index)
{
	struct simfw_pf pf;
	struct iq_err err = {0};
	int rc;

	CHECK(simfw_pf_init(&pf, pci, index, 16, 8, TOTAL_ICM, 4) == 0);
	rc = simfw_pf_create(root, &pf, &err);
	if (rc)
		fprintf(stderr, "simfw_pf_create: %s\n", err.msg);
	simfw_pf_free(&pf);
	return rc;
}

static void test_files_round_trip(void)
{
	char root[64];
	struct iq_err err = {0};
	struct simfw_pf pf;
	struct simfw_func *fn;
	int lock_fd;

	make_root(root);
	CHECK_U64(create_pf(root, PF_PCI, 0), IQ_OK);

	CHECK_U64(simfw_pf_lock_load(root, PF_PCI, &pf, &lock_fd, &err), IQ_OK);
	CHECK_STR(pf.pci, PF_PCI);
	CHECK_U64(pf.nfuncs, 17);
	CHECK_U64(pf.total_icm, TOTAL_ICM);
	CHECK_U64(pf.enabled_vfs, 8);
	CHECK_U64(pf.group_id_max, 4);
	fn = simfw_func_by_vhca(&pf, 0x1a3);
	CHECK(fn != NULL);
	if (fn) {
		CHECK_U64(icm_set_cap(&pf, 0x1a3, 1000, 3, NULL),
			  PRM_STATUS_OK);
		CHECK(simfw_alloc(&pf, fn, 10));
		CHECK(!simfw_alloc(&pf, fn, 991));
	}
	CHECK_U64(simfw_pf_unlock(root, &pf, lock_fd, true, &err), IQ_OK);
	CHECK(pf.funcs == NULL);

	CHECK_U64(simfw_pf_lock_load(root, PF_PCI, &pf, &lock_fd, &err), IQ_OK);
	fn = simfw_func_by_vhca(&pf, 0x1a3);
	CHECK(fn != NULL);
	if (fn) {
		CHECK_U64(fn->cap, 1000);
		CHECK_U64(fn->cur, 10);
		CHECK_U64(fn->max_reached, 10);
		CHECK_U64(fn->group, 3);
		CHECK_U64(fn->granted, 1);
		CHECK_U64(fn->refused, 1);
		CHECK_U64(pf.groups[2].cur, 10);
		/* Changes not marked dirty are not saved. */
		fn->cap = 1;
	}
	CHECK_U64(simfw_pf_unlock(root, &pf, lock_fd, false, &err), IQ_OK);
	CHECK_U64(simfw_pf_lock_load(root, PF_PCI, &pf, &lock_fd, &err), IQ_OK);
	CHECK_U64(simfw_func_by_vhca(&pf, 0x1a3)->cap, 1000);
	CHECK_U64(simfw_pf_unlock(root, &pf, lock_fd, false, &err), IQ_OK);
	rm_rf(root);
}

static void test_list_pfs(void)
{
	char root[64];
	char path[128];
	char(*pcis)[PCI_ADDR_LEN] = NULL;
	struct iq_err err = {0};
	size_t n = 99;

	make_root(root);
	CHECK_U64(simfw_list_pfs(root, &pcis, &n, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "sim init");
	CHECK_U64(create_pf(root, "0000:af:00.1", 1), IQ_OK);
	CHECK_U64(create_pf(root, "0000:3b:00.0", 0), IQ_OK);
	/* leftovers of an interrupted save and strangers are not PFs */
	snprintf(path, sizeof(path),
		 "%s/icmquota-sim/fw/0000:5e:00.0.json.tmp.123", root);
	CHECK_U64(file_write_str(path, "{}", &err), IQ_OK);
	snprintf(path, sizeof(path), "%s/icmquota-sim/fw/notes.json", root);
	CHECK_U64(file_write_str(path, "{}", &err), IQ_OK);
	CHECK_U64(simfw_list_pfs(root, &pcis, &n, &err), IQ_OK);
	CHECK_U64(n, 2);
	if (n == 2) {
		CHECK_STR(pcis[0], "0000:3b:00.0");
		CHECK_STR(pcis[1], "0000:af:00.1");
	}
	free(pcis);
	rm_rf(root);
}

static void test_load_errors(void)
{
	char root[64];
	char path[128];
	struct iq_err err = {0};
	struct simfw_pf pf;
	int lock_fd = 5;

	make_root(root);
	CHECK_U64(simfw_pf_lock_load(root, PF_PCI, &pf, &lock_fd, &err),
		  IQ_EENV);
	CHECK_CONTAINS(err.msg, PF_PCI);
	CHECK_CONTAINS(err.msg, "icmquota sim init");
	CHECK_U64(lock_fd, (uint64_t)-1);

	CHECK_U64(create_pf(root, PF_PCI, 0), IQ_OK);
	snprintf(path, sizeof(path), "%s/icmquota-sim/fw/%s.json", root,
		 PF_PCI);
	CHECK_U64(file_write_str(path, "{ \"pci\": ", &err), IQ_OK);
	CHECK_U64(simfw_pf_lock_load(root, PF_PCI, &pf, &lock_fd, &err),
		  IQ_EENV);
	CHECK_CONTAINS(err.msg, path);
	CHECK_CONTAINS(err.msg, "not a JSON object");

	CHECK_U64(file_write_str(path,
				 "{\"pci\": \"0000:3b:00.0\", \"total_icm\": "
				 "-1}",
				 &err),
		  IQ_OK);
	CHECK_U64(simfw_pf_lock_load(root, PF_PCI, &pf, &lock_fd, &err),
		  IQ_EENV);
	CHECK_CONTAINS(err.msg, "total_icm");

	/* A refused create: more VFs enabled than exist. */
	CHECK(simfw_pf_init(&pf, PF_PCI, 0, 2, 2, TOTAL_ICM, 0) == 0);
	pf.enabled_vfs = 3;
	CHECK_U64(simfw_pf_create(root, &pf, &err), IQ_EUSAGE);
	simfw_pf_free(&pf);
	rm_rf(root);
}

/* Many processes granting pages at once: no update is lost. */
static void test_concurrent_writers(void)
{
	enum { NPROC = 4, NALLOC = 25 };
	char root[64];
	struct iq_err err = {0};
	struct simfw_pf pf;
	int lock_fd;
	pid_t pids[NPROC];

	make_root(root);
	CHECK_U64(create_pf(root, PF_PCI, 0), IQ_OK);
	for (int p = 0; p < NPROC; p++) {
		pids[p] = fork();
		CHECK(pids[p] >= 0);
		if (pids[p] != 0)
			continue;
		for (int i = 0; i < NALLOC; i++) {
			struct simfw_pf child;
			int fd;

			if (simfw_pf_lock_load(root, PF_PCI, &child, &fd, &err))
				_exit(2);
			simfw_alloc(&child, simfw_func_by_id(&child, 1), 1);
			if (simfw_pf_unlock(root, &child, fd, true, &err))
				_exit(3);
		}
		_exit(0);
	}
	for (int p = 0; p < NPROC; p++) {
		int status = -1;

		CHECK(waitpid(pids[p], &status, 0) == pids[p]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CHECK_U64(simfw_pf_lock_load(root, PF_PCI, &pf, &lock_fd, &err), IQ_OK);
	CHECK_U64(simfw_func_by_id(&pf, 1)->cur, NPROC * NALLOC);
	CHECK_U64(simfw_func_by_id(&pf, 1)->granted, NPROC * NALLOC);
	CHECK_U64(simfw_pf_unlock(root, &pf, lock_fd, false, &err), IQ_OK);
	rm_rf(root);
}

/* The cap of vhca 0x1a3 as the state file holds it (another process). */
static uint32_t file_cap(const char *root)
{
	struct iq_err err = {0};
	struct simfw_pf pf;
	uint32_t cap;
	int fd;

	if (simfw_pf_lock_load(root, PF_PCI, &pf, &fd, &err)) {
		fprintf(stderr, "file_cap: %s\n", err.msg);
		return 0;
	}
	cap = simfw_func_by_vhca(&pf, 0x1a3)->cap;
	simfw_pf_unlock(root, &pf, fd, false, &err);
	return cap;
}

/* Another process: is the PF's lock free right now? */
static bool lock_free_elsewhere(const char *root)
{
	char path[128];
	pid_t pid;
	int status = -1;

	snprintf(path, sizeof(path), "%s/icmquota-sim/fw/%s.lock", root,
		 PF_PCI);
	pid = fork();
	if (pid == 0) {
		int fd = open(path, O_RDWR | O_CLOEXEC);

		_exit(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int open_dev(const char *root, struct fw_dev **dev)
{
	struct fw_open_args args = {.root = root,
				    .pf_pci = PF_PCI,
				    .ibdev = "",
				    .fwctl = "",
				    .sim = &simfw_transport};
	struct iq_err err = {0};

	return fw_dev_open(FW_BACKEND_SIM, &args, NULL, dev, &err);
}

/*
 * The transport batches: the PF's lock is held from a batch's first
 * command to fw_dev_flush, the state written back once; a batch sees what
 * another process saved before it; a process that dies mid-batch leaves
 * the state of the last flush, whole.
 */
static void test_transport_batches(void)
{
	struct prm_vhca_icm_ctrl st = {0};
	struct iq_err err = {0};
	struct simfw_pf pf;
	struct fw_dev *dev = NULL;
	char root[64];
	pid_t pid;
	int status = -1;
	int fd;

	make_root(root);
	CHECK_U64(create_pf(root, PF_PCI, 0), IQ_OK);
	CHECK_U64(open_dev(root, &dev), IQ_OK);
	CHECK(lock_free_elsewhere(root));
	CHECK_U64(fw_write_vhca_icm_cap(dev, 0x1a3, 1000, 0, &err), IQ_OK);
	CHECK_U64(fw_read_vhca_icm(dev, 0x1a3, &st, &err), IQ_OK);
	CHECK_U64(st.max_alloc_icm_th, 1000);
	/* Inside the batch: others wait, and the file is not yet written. */
	CHECK(!lock_free_elsewhere(root));
	CHECK_U64(fw_dev_flush(dev, &err), IQ_OK);
	CHECK(lock_free_elsewhere(root));
	CHECK_U64(file_cap(root), 1000);

	/* Another process changes the firmware between two batches. */
	CHECK_U64(simfw_pf_lock_load(root, PF_PCI, &pf, &fd, &err), IQ_OK);
	simfw_func_by_vhca(&pf, 0x1a3)->cap = 1500;
	CHECK_U64(simfw_pf_unlock(root, &pf, fd, true, &err), IQ_OK);
	CHECK_U64(fw_read_vhca_icm(dev, 0x1a3, &st, &err), IQ_OK);
	CHECK_U64(st.max_alloc_icm_th, 1500);
	CHECK_U64(fw_dev_flush(dev, &err), IQ_OK);
	fw_dev_close(dev);

	/* A process killed in the middle of a batch. */
	pid = fork();
	if (pid == 0) {
		struct fw_dev *child = NULL;

		if (open_dev(root, &child) ||
		    fw_write_vhca_icm_cap(child, 0x1a3, 2000, 0, &err))
			_exit(2);
		_exit(0); /* no flush, no close */
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(lock_free_elsewhere(root));
	CHECK_U64(file_cap(root), 1500);
	rm_rf(root);
}

int main(void)
{
	RUN(test_vhca_ids);
	RUN(test_query_caps);
	RUN(test_command_errors);
	RUN(test_nic_cap);
	RUN(test_both_opcodes);
	RUN(test_write_and_read_back);
	RUN(test_cap_above_total);
	RUN(test_unknown_vhca);
	RUN(test_maskless_write_keeps_cap);
	RUN(test_high_water_mark);
	RUN(test_lower_cap_below_cur);
	RUN(test_alloc_counts);
	RUN(test_groups);
	RUN(test_distinct_syndromes);
	RUN(test_files_round_trip);
	RUN(test_list_pfs);
	RUN(test_load_errors);
	RUN(test_concurrent_writers);
	RUN(test_transport_batches);
	return TEST_SUMMARY("test_simfw");
}
