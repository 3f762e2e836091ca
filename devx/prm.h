/* SPDX-License-Identifier: MIT */
/*
 * Firmware layouts for the few PRM commands and registers icmquota speaks,
 * in mlx5_ifc style: each struct is a bit map, every array length is a
 * field's width in bits, bit 0 is the most significant bit of dword 0.
 * Read and written only through DEVX_SET/DEVX_GET/DEVX_ADDR_OF from
 * <infiniband/mlx5dv.h>; no other file knows an offset.
 *
 * Field positions are from the project's PRM notes (ConnectX PRM, as
 * published in mstflint's register database and mlx5_ifc.h).
 */
#ifndef ICMQUOTA_PRM_H
#define ICMQUOTA_PRM_H

#include <stdint.h>
#include <infiniband/mlx5dv.h>

typedef uint8_t u8;

enum {
	PRM_OP_QUERY_HCA_CAP = 0x100,
	PRM_OP_ACCESS_REG = 0x805,
	PRM_OP_ACCESS_REGISTER_USER = 0xb0c,
};

enum {
	PRM_HCA_CAP_GENERAL = 0x0,
	PRM_HCA_CAP_CURRENT = 0x1,
};

enum {
	PRM_REG_WRITE = 0,
	PRM_REG_READ = 1,
};

enum {
	PRM_REG_NIC_CAP_REG = 0xc00d,
	PRM_REG_VHCA_ICM_CTRL = 0xc010,
	PRM_REG_VHCA_GROUP_ICM_CTRL = 0xc021,
};

enum {
	PRM_STATUS_OK = 0x00,
	PRM_STATUS_INTERNAL_ERR = 0x01,
	PRM_STATUS_BAD_OP = 0x02,
	PRM_STATUS_BAD_PARAM = 0x03,
	PRM_STATUS_BAD_SYS_STATE = 0x04,
	PRM_STATUS_BAD_RESOURCE = 0x05,
	PRM_STATUS_RESOURCE_BUSY = 0x06,
	PRM_STATUS_NOT_READY = 0x07,
	PRM_STATUS_EXCEED_LIM = 0x08,
	PRM_STATUS_BAD_RES_STATE = 0x09,
	PRM_STATUS_BAD_INDEX = 0x0a,
	PRM_STATUS_NO_RESOURCES = 0x0f,
	PRM_STATUS_BAD_QP_STATE = 0x10,
	PRM_STATUS_BAD_PKT = 0x30,
	PRM_STATUS_BAD_SIZE_OUTS_CQES = 0x40,
	PRM_STATUS_BAD_INPUT_LEN = 0x50,
	PRM_STATUS_BAD_OUTPUT_LEN = 0x51,
};

/* Every command input starts like this. */
struct mlx5_ifc_prm_cmd_in_hdr_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 reserved_at_40[0x40];
};

/* Every command output starts like this. */
struct mlx5_ifc_prm_cmd_out_hdr_bits {
	u8 status[0x8];
	u8 reserved_at_8[0x18];
	u8 syndrome[0x20];
	u8 reserved_at_40[0x40];
};

struct mlx5_ifc_query_hca_cap_in_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 other_function[0x1];
	u8 reserved_at_41[0xf];
	u8 function_id[0x10];
	u8 reserved_at_60[0x20];
};

/* The general capability block (0x1000 bytes); only what we read. */
struct mlx5_ifc_cmd_hca_cap_bits {
	u8 reserved_at_0[0x30];
	u8 vhca_id[0x10];
	u8 reserved_at_40[0x92];
	/* ACCESS_REGISTER_USER allowed from a user (DevX) context */
	u8 access_register_user[0x1];
	u8 reserved_at_d3[0xcd];
	u8 vport_group_manager[0x1];
	u8 reserved_at_1a1[0x6];
	u8 eswitch_manager[0x1];
	u8 reserved_at_1a8[0xa9];
	u8 nic_cap_reg[0x1];
	u8 reserved_at_252[0x7dae];
};

struct mlx5_ifc_query_hca_cap_out_bits {
	u8 status[0x8];
	u8 reserved_at_8[0x18];
	u8 syndrome[0x20];
	u8 reserved_at_40[0x40];
	struct mlx5_ifc_cmd_hca_cap_bits capability;
};

/* ACCESS_REG (0x805) and ACCESS_REGISTER_USER (0xb0c) share this shape. */
struct mlx5_ifc_access_register_in_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 reserved_at_40[0x10];
	u8 register_id[0x10];
	u8 argument[0x20];
	u8 register_data[][0x20];
};

struct mlx5_ifc_access_register_out_bits {
	u8 status[0x8];
	u8 reserved_at_8[0x18];
	u8 syndrome[0x20];
	u8 reserved_at_40[0x40];
	u8 register_data[][0x20];
};

/*
 * NIC_CAP_REG (0xc00d), 0x80 bytes. The register has a few writable
 * fields (not listed here); icmquota only reads it, and lays out only the
 * fields it reads.
 */
struct mlx5_ifc_nic_cap_reg_bits {
	u8 reserved_at_0[0x1a];
	u8 vhca_icm_ctrl[0x1];
	u8 reserved_at_1b[0x45];
	u8 total_icm[0x20];
	u8 reserved_at_80[0x30];
	u8 vhca_group_id_max[0x10];
	u8 reserved_at_c0[0x340];
};

/* VHCA_ICM_CTRL (0xc010), 0x40 bytes: the per-function cap. */
struct mlx5_ifc_vhca_icm_ctrl_reg_bits {
	u8 vhca_id_valid[0x1];
	u8 reserved_at_1[0xf];
	u8 vhca_id[0x10];
	u8 max_alloc_icm_th_mask[0x1];
	u8 reserved_at_21[0x1];
	u8 rst_max_reached_alloc_icm[0x1];
	u8 reserved_at_23[0x1d];
	u8 reserved_at_40[0x30];
	u8 vhca_group_id[0x10];
	u8 max_alloc_icm_th[0x20];
	u8 reserved_at_a0[0x20];
	u8 cur_alloc_icm[0x20];
	u8 reserved_at_e0[0x20];
	u8 max_reached_alloc_icm[0x20];
	u8 reserved_at_120[0xe0];
};

/* VHCA_GROUP_ICM_CTRL (0xc021), 0x40 bytes: a cap shared by a group. */
struct mlx5_ifc_vhca_group_icm_ctrl_reg_bits {
	u8 reserved_at_0[0x10];
	u8 vhca_group_id[0x10];
	u8 max_alloc_icm_th_mask[0x1];
	u8 reserved_at_21[0x1];
	u8 rst_max_reached_alloc_icm[0x1];
	u8 reserved_at_23[0x1d];
	u8 reserved_at_40[0x40];
	u8 max_alloc_icm_th[0x20];
	u8 reserved_at_a0[0x20];
	u8 cur_alloc_icm[0x20];
	u8 reserved_at_e0[0x20];
	u8 max_reached_alloc_icm[0x20];
	u8 reserved_at_120[0xe0];
};

/* Largest mailbox we exchange: QUERY_HCA_CAP output. */
#define PRM_MAX_MAILBOX DEVX_ST_SZ_BYTES(query_hca_cap_out)

#endif
