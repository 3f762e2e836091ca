// SPDX-License-Identifier: MIT
/*
 * PRM command encoders/decoders. They are pure: they only fill caller
 * buffers, through DEVX_SET/DEVX_GET on the layouts of devx/prm.h, so the
 * golden vectors can check them byte for byte.
 */
#include "devx/codec.h"

#include <string.h>

#include "devx/prm.h"

size_t prm_encode_query_hca_cap(void *in, bool other_function,
				uint16_t function_id)
{
	memset(in, 0, DEVX_ST_SZ_BYTES(query_hca_cap_in));
	DEVX_SET(query_hca_cap_in, in, opcode, PRM_OP_QUERY_HCA_CAP);
	DEVX_SET(query_hca_cap_in, in, op_mod,
		 (PRM_HCA_CAP_GENERAL << 1) | PRM_HCA_CAP_CURRENT);
	DEVX_SET(query_hca_cap_in, in, other_function, other_function);
	DEVX_SET(query_hca_cap_in, in, function_id, function_id);
	return DEVX_ST_SZ_BYTES(query_hca_cap_in);
}

size_t prm_query_hca_cap_out_len(void)
{
	return DEVX_ST_SZ_BYTES(query_hca_cap_out);
}

void prm_decode_query_hca_cap(const void *out, struct prm_hca_caps *caps)
{
	const void *cap = DEVX_ADDR_OF(query_hca_cap_out, out, capability);

	caps->vhca_id = DEVX_GET(cmd_hca_cap, cap, vhca_id);
	caps->vport_group_manager =
		DEVX_GET(cmd_hca_cap, cap, vport_group_manager);
	caps->eswitch_manager = DEVX_GET(cmd_hca_cap, cap, eswitch_manager);
	caps->nic_cap_reg = DEVX_GET(cmd_hca_cap, cap, nic_cap_reg);
	caps->access_register_user =
		DEVX_GET(cmd_hca_cap, cap, access_register_user);
}

size_t prm_encode_access_reg(void *in, uint16_t opcode, bool read,
			     uint16_t register_id, const void *reg,
			     size_t reg_len)
{
	void *data = DEVX_ADDR_OF(access_register_in, in, register_data);

	memset(in, 0, DEVX_ST_SZ_BYTES(access_register_in));
	DEVX_SET(access_register_in, in, opcode, opcode);
	DEVX_SET(access_register_in, in, op_mod,
		 read ? PRM_REG_READ : PRM_REG_WRITE);
	DEVX_SET(access_register_in, in, register_id, register_id);
	DEVX_SET(access_register_in, in, argument, 0);
	if (reg)
		memcpy(data, reg, reg_len);
	else
		memset(data, 0, reg_len);
	return DEVX_ST_SZ_BYTES(access_register_in) + reg_len;
}

size_t prm_register_size(uint16_t register_id)
{
	switch (register_id) {
	case PRM_REG_NIC_CAP_REG:
		return DEVX_ST_SZ_BYTES(nic_cap_reg);
	case PRM_REG_VHCA_ICM_CTRL:
		return DEVX_ST_SZ_BYTES(vhca_icm_ctrl_reg);
	case PRM_REG_VHCA_GROUP_ICM_CTRL:
		return DEVX_ST_SZ_BYTES(vhca_group_icm_ctrl_reg);
	default:
		return 0;
	}
}

void prm_decode_nic_cap(const void *reg, struct prm_nic_cap *cap)
{
	cap->vhca_icm_ctrl = DEVX_GET(nic_cap_reg, reg, vhca_icm_ctrl);
	cap->total_icm = DEVX_GET(nic_cap_reg, reg, total_icm);
	cap->vhca_group_id_max = DEVX_GET(nic_cap_reg, reg, vhca_group_id_max);
}

/*
 * Encodes every field, the read-only ones too: the simulated firmware
 * answers reads with this encoder. A caller building a write leaves
 * cur/max_reached at 0.
 */
void prm_encode_vhca_icm_ctrl(void *reg, const struct prm_vhca_icm_ctrl *v)
{
	memset(reg, 0, DEVX_ST_SZ_BYTES(vhca_icm_ctrl_reg));
	DEVX_SET(vhca_icm_ctrl_reg, reg, vhca_id_valid, v->vhca_id_valid);
	DEVX_SET(vhca_icm_ctrl_reg, reg, vhca_id, v->vhca_id);
	DEVX_SET(vhca_icm_ctrl_reg, reg, max_alloc_icm_th_mask, v->set_cap);
	DEVX_SET(vhca_icm_ctrl_reg, reg, rst_max_reached_alloc_icm,
		 v->reset_hwm);
	DEVX_SET(vhca_icm_ctrl_reg, reg, vhca_group_id, v->vhca_group_id);
	DEVX_SET(vhca_icm_ctrl_reg, reg, max_alloc_icm_th, v->max_alloc_icm_th);
	DEVX_SET(vhca_icm_ctrl_reg, reg, cur_alloc_icm, v->cur_alloc_icm);
	DEVX_SET(vhca_icm_ctrl_reg, reg, max_reached_alloc_icm,
		 v->max_reached_alloc_icm);
}

void prm_decode_vhca_icm_ctrl(const void *reg, struct prm_vhca_icm_ctrl *v)
{
	v->vhca_id_valid = DEVX_GET(vhca_icm_ctrl_reg, reg, vhca_id_valid);
	v->vhca_id = DEVX_GET(vhca_icm_ctrl_reg, reg, vhca_id);
	v->set_cap = DEVX_GET(vhca_icm_ctrl_reg, reg, max_alloc_icm_th_mask);
	v->reset_hwm =
		DEVX_GET(vhca_icm_ctrl_reg, reg, rst_max_reached_alloc_icm);
	v->vhca_group_id = DEVX_GET(vhca_icm_ctrl_reg, reg, vhca_group_id);
	v->max_alloc_icm_th =
		DEVX_GET(vhca_icm_ctrl_reg, reg, max_alloc_icm_th);
	v->cur_alloc_icm = DEVX_GET(vhca_icm_ctrl_reg, reg, cur_alloc_icm);
	v->max_reached_alloc_icm =
		DEVX_GET(vhca_icm_ctrl_reg, reg, max_reached_alloc_icm);
}

void prm_encode_vhca_group_icm_ctrl(void *reg,
				    const struct prm_vhca_group_icm_ctrl *v)
{
	memset(reg, 0, DEVX_ST_SZ_BYTES(vhca_group_icm_ctrl_reg));
	DEVX_SET(vhca_group_icm_ctrl_reg, reg, vhca_group_id, v->vhca_group_id);
	DEVX_SET(vhca_group_icm_ctrl_reg, reg, max_alloc_icm_th_mask,
		 v->set_cap);
	DEVX_SET(vhca_group_icm_ctrl_reg, reg, rst_max_reached_alloc_icm,
		 v->reset_hwm);
	DEVX_SET(vhca_group_icm_ctrl_reg, reg, max_alloc_icm_th,
		 v->max_alloc_icm_th);
	DEVX_SET(vhca_group_icm_ctrl_reg, reg, cur_alloc_icm, v->cur_alloc_icm);
	DEVX_SET(vhca_group_icm_ctrl_reg, reg, max_reached_alloc_icm,
		 v->max_reached_alloc_icm);
}

void prm_decode_vhca_group_icm_ctrl(const void *reg,
				    struct prm_vhca_group_icm_ctrl *v)
{
	v->vhca_group_id =
		DEVX_GET(vhca_group_icm_ctrl_reg, reg, vhca_group_id);
	v->set_cap =
		DEVX_GET(vhca_group_icm_ctrl_reg, reg, max_alloc_icm_th_mask);
	v->reset_hwm = DEVX_GET(vhca_group_icm_ctrl_reg, reg,
				rst_max_reached_alloc_icm);
	v->max_alloc_icm_th =
		DEVX_GET(vhca_group_icm_ctrl_reg, reg, max_alloc_icm_th);
	v->cur_alloc_icm =
		DEVX_GET(vhca_group_icm_ctrl_reg, reg, cur_alloc_icm);
	v->max_reached_alloc_icm =
		DEVX_GET(vhca_group_icm_ctrl_reg, reg, max_reached_alloc_icm);
}

uint8_t prm_out_status(const void *out)
{
	return DEVX_GET(prm_cmd_out_hdr, out, status);
}

uint32_t prm_out_syndrome(const void *out)
{
	return DEVX_GET(prm_cmd_out_hdr, out, syndrome);
}

const char *prm_status_name(uint8_t status)
{
	switch (status) {
	case PRM_STATUS_OK:
		return "OK";
	case PRM_STATUS_INTERNAL_ERR:
		return "INTERNAL_ERR";
	case PRM_STATUS_BAD_OP:
		return "BAD_OP";
	case PRM_STATUS_BAD_PARAM:
		return "BAD_PARAM";
	case PRM_STATUS_BAD_SYS_STATE:
		return "BAD_SYS_STATE";
	case PRM_STATUS_BAD_RESOURCE:
		return "BAD_RESOURCE";
	case PRM_STATUS_RESOURCE_BUSY:
		return "RESOURCE_BUSY";
	case PRM_STATUS_NOT_READY:
		return "NOT_READY";
	case PRM_STATUS_EXCEED_LIM:
		return "EXCEED_LIM";
	case PRM_STATUS_BAD_RES_STATE:
		return "BAD_RES_STATE";
	case PRM_STATUS_BAD_INDEX:
		return "BAD_INDEX";
	case PRM_STATUS_NO_RESOURCES:
		return "NO_RESOURCES";
	case PRM_STATUS_BAD_QP_STATE:
		return "BAD_QP_STATE";
	case PRM_STATUS_BAD_PKT:
		return "BAD_PKT";
	case PRM_STATUS_BAD_SIZE_OUTS_CQES:
		return "BAD_SIZE_OUTS_CQES";
	case PRM_STATUS_BAD_INPUT_LEN:
		return "BAD_INPUT_LEN";
	case PRM_STATUS_BAD_OUTPUT_LEN:
		return "BAD_OUTPUT_LEN";
	default:
		return "UNKNOWN";
	}
}

uint16_t prm_in_opcode(const void *in)
{
	return DEVX_GET(prm_cmd_in_hdr, in, opcode);
}

uint16_t prm_in_op_mod(const void *in)
{
	return DEVX_GET(prm_cmd_in_hdr, in, op_mod);
}
