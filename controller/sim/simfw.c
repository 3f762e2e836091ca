// SPDX-License-Identifier: MIT
/*
 * The simulated firmware: the PRM semantics of QUERY_HCA_CAP, NIC_CAP_REG,
 * VHCA_ICM_CTRL and VHCA_GROUP_ICM_CTRL (prm.md), and the guest side
 * (page requests, function reset) that `icmquota sim` drives, on one PF's
 * state in memory. Its state on disk (one JSON file per PF, guarded by a
 * lock file) is simfw_state.c.
 */
#include "controller/sim/simfw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devx/codec.h"
#include "devx/prm.h"
#include "lib/size.h"

/*
 * A distinct syndrome per refusal, so a trace tells which check fired.
 * 0x51Dxxxxx: "simulated".
 */
enum {
	SYN_SHORT_INPUT = 0x51d00001,
	SYN_BAD_OPCODE = 0x51d00002,
	SYN_CAP_OP_MOD = 0x51d00003,
	SYN_CAP_SHORT_OUTPUT = 0x51d00004,
	SYN_CAP_NO_FUNCTION = 0x51d00005,
	SYN_REG_OP_MOD = 0x51d00006,
	SYN_REG_UNKNOWN = 0x51d00007,
	SYN_REG_SHORT_INPUT = 0x51d00008,
	SYN_REG_SHORT_OUTPUT = 0x51d00009,
	SYN_NIC_CAP_UNSUPPORTED = 0x51d0000a,
	SYN_NIC_CAP_WRITE = 0x51d0000b,
	SYN_ICM_UNSUPPORTED = 0x51d0000c,
	SYN_ICM_NO_VHCA = 0x51d0000d,
	SYN_ICM_BAD_GROUP = 0x51d0000e,
	SYN_ICM_CAP_ABOVE_TOTAL = 0x51d0000f,
	SYN_GROUP_UNSUPPORTED = 0x51d00010,
	SYN_GROUP_BAD_ID = 0x51d00011,
	SYN_GROUP_CAP_ABOVE_TOTAL = 0x51d00012,
	SYN_GROUP_NO_GROUPS = 0x51d00013,
	SYN_INJECTED = 0x51d00014,
	SYN_NO_ACCESS_REGISTER_USER = 0x51d00015,
};

/* --- the model ---------------------------------------------------------- */

uint16_t simfw_vhca_id_for(unsigned pf_index, uint16_t function_id)
{
	if (function_id == 0)
		return (uint16_t)pf_index;
	return (uint16_t)(0x1a0 + pf_index * 0x20 + (function_id - 1u));
}

struct simfw_func *simfw_func_by_id(struct simfw_pf *pf, uint16_t function_id)
{
	/* Functions are stored in function_id order (sim init). */
	if (function_id < pf->nfuncs &&
	    pf->funcs[function_id].function_id == function_id)
		return &pf->funcs[function_id];
	for (size_t i = 0; i < pf->nfuncs; i++)
		if (pf->funcs[i].function_id == function_id)
			return &pf->funcs[i];
	return NULL;
}

struct simfw_func *simfw_func_by_vhca(struct simfw_pf *pf, uint16_t vhca_id)
{
	if (pf->by_vhca) {
		size_t lo = 0, hi = pf->nfuncs;

		/* The first entry >= vhca_id << 16: the lowest index. */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (pf->by_vhca[mid] < (uint32_t)vhca_id << 16)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo < pf->nfuncs && pf->by_vhca[lo] >> 16 == vhca_id
			       ? &pf->funcs[pf->by_vhca[lo] & 0xffff]
			       : NULL;
	}
	for (size_t i = 0; i < pf->nfuncs; i++)
		if (pf->funcs[i].vhca_id == vhca_id)
			return &pf->funcs[i];
	return NULL;
}

static struct simfw_group *group_by_id(struct simfw_pf *pf, uint16_t id)
{
	if (id == 0 || id > pf->group_id_max || !pf->groups)
		return NULL;
	return &pf->groups[id - 1];
}

/* A function exists for the firmware when it is the PF or an enabled VF. */
static bool func_enabled(const struct simfw_pf *pf, const struct simfw_func *fn)
{
	return fn->function_id <= pf->enabled_vfs;
}

/* A group's cur is the sum of its members'; its high-water mark follows. */
void simfw_groups_recompute(struct simfw_pf *pf)
{
	for (uint16_t g = 0; g < pf->group_id_max && pf->groups; g++)
		pf->groups[g].cur = 0;
	for (size_t i = 0; i < pf->nfuncs; i++) {
		struct simfw_group *grp = group_by_id(pf, pf->funcs[i].group);

		if (grp)
			grp->cur += pf->funcs[i].cur;
	}
	for (uint16_t g = 0; g < pf->group_id_max && pf->groups; g++)
		if (pf->groups[g].cur > pf->groups[g].max_reached)
			pf->groups[g].max_reached = pf->groups[g].cur;
}

/*
 * A function moved from group `from` to its current group: the groups'
 * cur follows (what simfw_groups_recompute() gives, without walking every
 * function: a write costs the same on a PF of any size).
 */
static void group_move(struct simfw_pf *pf, const struct simfw_func *fn,
		       uint16_t from)
{
	struct simfw_group *old = group_by_id(pf, from);
	struct simfw_group *grp = group_by_id(pf, fn->group);

	if (from == fn->group)
		return;
	if (old)
		old->cur -= fn->cur;
	if (grp) {
		grp->cur += fn->cur;
		if (grp->cur > grp->max_reached)
			grp->max_reached = grp->cur;
	}
}

static uint64_t device_cur(const struct simfw_pf *pf)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < pf->nfuncs; i++)
		sum += pf->funcs[i].cur;
	return sum;
}

static bool fits(uint64_t cur, uint32_t pages, uint32_t cap)
{
	return cap == PRM_ICM_UNLIMITED || cur + pages <= cap;
}

bool simfw_alloc(struct simfw_pf *pf, struct simfw_func *fn, uint32_t pages)
{
	struct simfw_group *grp = group_by_id(pf, fn->group);

	/* cur is a 32-bit register field: it can never wrap. */
	if (!fits(fn->cur, pages, fn->cap) ||
	    (grp && !fits(grp->cur, pages, grp->cap)) ||
	    !fits(device_cur(pf), pages, pf->total_icm) ||
	    (uint64_t)fn->cur + pages >= PRM_ICM_UNLIMITED) {
		fn->refused++;
		return false;
	}
	fn->cur += pages;
	if (fn->cur > fn->max_reached)
		fn->max_reached = fn->cur;
	fn->granted++;
	simfw_groups_recompute(pf);
	return true;
}

void simfw_flr(struct simfw_pf *pf, struct simfw_func *fn)
{
	fn->cur = 0;
	simfw_groups_recompute(pf);
}

int simfw_pf_init(struct simfw_pf *pf, const char *pci, unsigned pf_index,
		  uint16_t total_vfs, uint16_t enabled_vfs, uint32_t total_icm,
		  uint16_t group_id_max)
{
	memset(pf, 0, sizeof(*pf));
	snprintf(pf->pci, sizeof(pf->pci), "%s", pci);
	pf->total_icm = total_icm;
	pf->vhca_icm_ctrl = true;
	pf->nic_cap_reg = true;
	pf->access_register_user = true;
	pf->group_id_max = group_id_max;
	pf->enabled_vfs = enabled_vfs;
	pf->nfuncs = (size_t)total_vfs + 1;
	pf->funcs = calloc(pf->nfuncs, sizeof(*pf->funcs));
	pf->groups =
		group_id_max ? calloc(group_id_max, sizeof(*pf->groups)) : NULL;
	if (!pf->funcs || (group_id_max && !pf->groups)) {
		simfw_pf_free(pf);
		return -1;
	}
	for (size_t i = 0; i < pf->nfuncs; i++) {
		pf->funcs[i].function_id = (uint16_t)i;
		pf->funcs[i].vhca_id = simfw_vhca_id_for(pf_index, (uint16_t)i);
		pf->funcs[i].cap = PRM_ICM_UNLIMITED;
	}
	for (uint16_t g = 0; g < group_id_max; g++) {
		pf->groups[g].id = g + 1;
		pf->groups[g].cap = PRM_ICM_UNLIMITED;
	}
	return 0;
}

void simfw_pf_free(struct simfw_pf *pf)
{
	if (!pf)
		return;
	free(pf->funcs);
	free(pf->groups);
	free(pf->by_vhca);
	pf->funcs = NULL;
	pf->groups = NULL;
	pf->by_vhca = NULL;
	pf->nfuncs = 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int simfw_pf_index(struct simfw_pf *pf)
{
	free(pf->by_vhca);
	pf->by_vhca =
		malloc((pf->nfuncs ? pf->nfuncs : 1) * sizeof(*pf->by_vhca));
	if (!pf->by_vhca)
		return -1;
	/* nfuncs <= UINT16_MAX (checked on load): the index fits 16 bits.
	 * Sorted with the index, the first holder of a vhca_id wins, as the
	 * scan finds it. */
	for (size_t i = 0; i < pf->nfuncs; i++)
		pf->by_vhca[i] =
			(uint32_t)pf->funcs[i].vhca_id << 16 | (uint32_t)i;
	qsort(pf->by_vhca, pf->nfuncs, sizeof(*pf->by_vhca), cmp_u32);
	return 0;
}

/* --- command execution ------------------------------------------------- */

/* Status and syndrome into the output header; returns false (no change). */
static bool fail(void *out, size_t outlen, uint8_t status, uint32_t syndrome)
{
	uint32_t hdr[DEVX_ST_SZ_DW(prm_cmd_out_hdr)] = {0};

	DEVX_SET(prm_cmd_out_hdr, hdr, status, status);
	DEVX_SET(prm_cmd_out_hdr, hdr, syndrome, syndrome);
	memcpy(out, hdr, outlen < sizeof(hdr) ? outlen : sizeof(hdr));
	return false;
}

static bool cap_above_total(const struct simfw_pf *pf, uint32_t cap)
{
	return cap != PRM_ICM_UNLIMITED && pf->total_icm != PRM_ICM_UNLIMITED &&
	       cap > pf->total_icm;
}

/* The cap as this firmware stores it: rounded up to cap_round pages. */
static uint32_t stored_cap(const struct simfw_pf *pf, uint32_t cap)
{
	uint64_t up;

	if (cap == PRM_ICM_UNLIMITED || pf->cap_round < 2)
		return cap;
	up = ((uint64_t)cap + pf->cap_round - 1) / pf->cap_round *
	     pf->cap_round;
	return up >= PRM_ICM_UNLIMITED ? PRM_ICM_UNLIMITED - 1 : (uint32_t)up;
}

static bool exec_query_hca_cap(struct simfw_pf *pf, const void *in, void *out,
			       size_t outlen)
{
	void *cap = DEVX_ADDR_OF(query_hca_cap_out, out, capability);
	struct simfw_func *fn;
	uint16_t function_id = 0;

	if (prm_in_op_mod(in) !=
	    ((PRM_HCA_CAP_GENERAL << 1) | PRM_HCA_CAP_CURRENT))
		return fail(out, outlen, PRM_STATUS_BAD_PARAM, SYN_CAP_OP_MOD);
	if (outlen < prm_query_hca_cap_out_len())
		return fail(out, outlen, PRM_STATUS_BAD_OUTPUT_LEN,
			    SYN_CAP_SHORT_OUTPUT);
	if (DEVX_GET(query_hca_cap_in, in, other_function)) {
		function_id = DEVX_GET(query_hca_cap_in, in, function_id);
		if (function_id == 0 || function_id > pf->enabled_vfs)
			return fail(out, outlen, PRM_STATUS_BAD_PARAM,
				    SYN_CAP_NO_FUNCTION);
	}
	fn = simfw_func_by_id(pf, function_id);
	if (!fn)
		return fail(out, outlen, PRM_STATUS_BAD_PARAM,
			    SYN_CAP_NO_FUNCTION);
	DEVX_SET(cmd_hca_cap, cap, vhca_id, fn->vhca_id);
	if (function_id == 0) {
		DEVX_SET(cmd_hca_cap, cap, vport_group_manager, 1);
		DEVX_SET(cmd_hca_cap, cap, eswitch_manager, 1);
		DEVX_SET(cmd_hca_cap, cap, nic_cap_reg, pf->nic_cap_reg);
		DEVX_SET(cmd_hca_cap, cap, access_register_user,
			 pf->access_register_user);
	}
	return false;
}

static bool exec_nic_cap(struct simfw_pf *pf, bool read, void *reg_out,
			 void *out, size_t outlen)
{
	if (!pf->nic_cap_reg)
		return fail(out, outlen, PRM_STATUS_BAD_PARAM,
			    SYN_NIC_CAP_UNSUPPORTED);
	/* Its writable fields are not modelled: icmquota never writes it. */
	if (!read)
		return fail(out, outlen, PRM_STATUS_BAD_PARAM,
			    SYN_NIC_CAP_WRITE);
	memset(reg_out, 0, DEVX_ST_SZ_BYTES(nic_cap_reg));
	DEVX_SET(nic_cap_reg, reg_out, vhca_icm_ctrl, pf->vhca_icm_ctrl);
	DEVX_SET(nic_cap_reg, reg_out, total_icm, pf->total_icm);
	DEVX_SET(nic_cap_reg, reg_out, vhca_group_id_max, pf->group_id_max);
	return false;
}

static bool exec_vhca_icm(struct simfw_pf *pf, bool read, const void *reg_in,
			  void *reg_out, void *out, size_t outlen)
{
	struct prm_vhca_icm_ctrl v;
	struct simfw_func *fn;
	struct simfw_func before;
	bool changed = false;

	if (!pf->nic_cap_reg || !pf->vhca_icm_ctrl)
		return fail(out, outlen, PRM_STATUS_BAD_PARAM,
			    SYN_ICM_UNSUPPORTED);
	prm_decode_vhca_icm_ctrl(reg_in, &v);
	/* vhca_id_valid = 0 addresses the caller, here always the PF. */
	fn = v.vhca_id_valid ? simfw_func_by_vhca(pf, v.vhca_id)
			     : simfw_func_by_id(pf, 0);
	if (!fn || !func_enabled(pf, fn))
		return fail(out, outlen, PRM_STATUS_BAD_RESOURCE,
			    SYN_ICM_NO_VHCA);
	if (!read) {
		/* Validate everything first: a refused write changes nothing. */
		if (v.vhca_group_id > pf->group_id_max)
			return fail(out, outlen, PRM_STATUS_BAD_PARAM,
				    SYN_ICM_BAD_GROUP);
		if (v.set_cap && cap_above_total(pf, v.max_alloc_icm_th))
			return fail(out, outlen, PRM_STATUS_BAD_PARAM,
				    SYN_ICM_CAP_ABOVE_TOTAL);
		before = *fn;
		if (v.set_cap)
			fn->cap = stored_cap(pf, v.max_alloc_icm_th);
		fn->group = v.vhca_group_id;
		if (v.reset_hwm)
			fn->max_reached = fn->cur;
		group_move(pf, fn, before.group);
		changed = memcmp(&before, fn, sizeof(before)) != 0;
	}
	v.vhca_group_id = fn->group;
	v.max_alloc_icm_th = fn->cap;
	v.cur_alloc_icm = fn->cur;
	v.max_reached_alloc_icm = fn->max_reached;
	prm_encode_vhca_icm_ctrl(reg_out, &v);
	return changed;
}

static bool exec_group_icm(struct simfw_pf *pf, bool read, const void *reg_in,
			   void *reg_out, void *out, size_t outlen)
{
	struct prm_vhca_group_icm_ctrl v;
	struct simfw_group *grp;
	struct simfw_group before;
	bool changed = false;

	if (!pf->nic_cap_reg || !pf->vhca_icm_ctrl)
		return fail(out, outlen, PRM_STATUS_BAD_PARAM,
			    SYN_GROUP_UNSUPPORTED);
	if (pf->group_id_max == 0)
		return fail(out, outlen, PRM_STATUS_BAD_PARAM,
			    SYN_GROUP_NO_GROUPS);
	prm_decode_vhca_group_icm_ctrl(reg_in, &v);
	grp = group_by_id(pf, v.vhca_group_id);
	if (!grp)
		return fail(out, outlen, PRM_STATUS_BAD_PARAM,
			    SYN_GROUP_BAD_ID);
	if (!read) {
		if (v.set_cap && cap_above_total(pf, v.max_alloc_icm_th))
			return fail(out, outlen, PRM_STATUS_BAD_PARAM,
				    SYN_GROUP_CAP_ABOVE_TOTAL);
		before = *grp;
		if (v.set_cap)
			grp->cap = stored_cap(pf, v.max_alloc_icm_th);
		if (v.reset_hwm)
			grp->max_reached = grp->cur;
		changed = memcmp(&before, grp, sizeof(before)) != 0;
	}
	v.max_alloc_icm_th = grp->cap;
	v.cur_alloc_icm = grp->cur;
	v.max_reached_alloc_icm = grp->max_reached;
	prm_encode_vhca_group_icm_ctrl(reg_out, &v);
	return changed;
}

static bool exec_access_reg(struct simfw_pf *pf, const void *in, size_t inlen,
			    void *out, size_t outlen)
{
	const void *reg_in =
		DEVX_ADDR_OF(access_register_in, in, register_data);
	void *reg_out = DEVX_ADDR_OF(access_register_out, out, register_data);
	uint16_t op_mod = prm_in_op_mod(in);
	uint16_t register_id;
	size_t reg_len;
	bool read;

	if (op_mod != PRM_REG_WRITE && op_mod != PRM_REG_READ)
		return fail(out, outlen, PRM_STATUS_BAD_PARAM, SYN_REG_OP_MOD);
	read = op_mod == PRM_REG_READ;
	register_id = DEVX_GET(access_register_in, in, register_id);
	reg_len = prm_register_size(register_id);
	if (!reg_len)
		return fail(out, outlen, PRM_STATUS_BAD_PARAM, SYN_REG_UNKNOWN);
	if (inlen < DEVX_ST_SZ_BYTES(access_register_in) + reg_len)
		return fail(out, outlen, PRM_STATUS_BAD_INPUT_LEN,
			    SYN_REG_SHORT_INPUT);
	if (outlen < DEVX_ST_SZ_BYTES(access_register_out) + reg_len)
		return fail(out, outlen, PRM_STATUS_BAD_OUTPUT_LEN,
			    SYN_REG_SHORT_OUTPUT);

	switch (register_id) {
	case PRM_REG_NIC_CAP_REG:
		return exec_nic_cap(pf, read, reg_out, out, outlen);
	case PRM_REG_VHCA_ICM_CTRL:
		return exec_vhca_icm(pf, read, reg_in, reg_out, out, outlen);
	default:
		return exec_group_icm(pf, read, reg_in, reg_out, out, outlen);
	}
}

static bool exec_op(struct simfw_pf *pf, const void *in, size_t inlen,
		    void *out, size_t outlen);

bool simfw_exec(struct simfw_pf *pf, const void *in, size_t inlen, void *out,
		size_t outlen)
{
	memset(out, 0, outlen);
	if (inlen < DEVX_ST_SZ_BYTES(prm_cmd_in_hdr))
		return fail(out, outlen, PRM_STATUS_BAD_INPUT_LEN,
			    SYN_SHORT_INPUT);
	/* Every answer below carries at least the 16-byte header. */
	if (outlen < DEVX_ST_SZ_BYTES(prm_cmd_out_hdr))
		return fail(out, outlen, PRM_STATUS_BAD_OUTPUT_LEN,
			    SYN_REG_SHORT_OUTPUT);
	if (pf->inject_count && !pf->inject_after) {
		pf->inject_count--;
		fail(out, outlen, pf->inject_status, SYN_INJECTED);
		return true;
	}
	/* Answered normally, but the count to the injected ones goes on. */
	if (pf->inject_count) {
		pf->inject_after--;
		exec_op(pf, in, inlen, out, outlen);
		return true;
	}
	return exec_op(pf, in, inlen, out, outlen);
}

static bool exec_op(struct simfw_pf *pf, const void *in, size_t inlen,
		    void *out, size_t outlen)
{
	switch (prm_in_opcode(in)) {
	case PRM_OP_QUERY_HCA_CAP:
		return exec_query_hca_cap(pf, in, out, outlen);
	case PRM_OP_ACCESS_REGISTER_USER:
		if (!pf->access_register_user)
			return fail(out, outlen, PRM_STATUS_BAD_OP,
				    SYN_NO_ACCESS_REGISTER_USER);
		return exec_access_reg(pf, in, inlen, out, outlen);
	case PRM_OP_ACCESS_REG:
		return exec_access_reg(pf, in, inlen, out, outlen);
	default:
		return fail(out, outlen, PRM_STATUS_BAD_OP, SYN_BAD_OPCODE);
	}
}
