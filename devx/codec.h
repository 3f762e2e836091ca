/* SPDX-License-Identifier: MIT */
/*
 * PRM command encoders/decoders (pure, byte-exact; tested against the
 * golden vectors). Units: register fields in 4 KiB pages as the PRM has
 * them; no transport here.
 */
#ifndef ICMQUOTA_DEVX_CODEC_H
#define ICMQUOTA_DEVX_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* QUERY_HCA_CAP, general caps, current; returns the input length (16). */
size_t prm_encode_query_hca_cap(void *in, bool other_function,
				uint16_t function_id);
/* Output length the caller must provide for QUERY_HCA_CAP. */
size_t prm_query_hca_cap_out_len(void);

struct prm_hca_caps {
	uint16_t vhca_id;
	bool vport_group_manager;
	bool eswitch_manager;
	bool nic_cap_reg;
	bool access_register_user; /* mlx5_ifc bit 0xd2 */
};
void prm_decode_query_hca_cap(const void *out, struct prm_hca_caps *caps);

/*
 * ACCESS_REG/ACCESS_REGISTER_USER input: header, then reg_len bytes of
 * register data copied from reg. Returns the input length.
 */
size_t prm_encode_access_reg(void *in, uint16_t opcode, bool read,
			     uint16_t register_id, const void *reg,
			     size_t reg_len);
/* Register size in bytes for a register id we know; 0 otherwise. */
size_t prm_register_size(uint16_t register_id);

struct prm_nic_cap {
	bool vhca_icm_ctrl;
	uint32_t total_icm; /* 4 KiB units; PRM_ICM_UNLIMITED */
	uint16_t vhca_group_id_max;
};
void prm_decode_nic_cap(const void *reg, struct prm_nic_cap *cap);

/* What a VHCA_ICM_CTRL write carries (or, for a read, the index). */
struct prm_vhca_icm_ctrl {
	bool vhca_id_valid;
	uint16_t vhca_id;
	bool set_cap;	/* max_alloc_icm_th_mask */
	bool reset_hwm; /* rst_max_reached_alloc_icm */
	uint16_t vhca_group_id;
	uint32_t max_alloc_icm_th;	/* 4 KiB units */
	uint32_t cur_alloc_icm;		/* read only */
	uint32_t max_reached_alloc_icm; /* read only */
};
void prm_encode_vhca_icm_ctrl(void *reg, const struct prm_vhca_icm_ctrl *v);
void prm_decode_vhca_icm_ctrl(const void *reg, struct prm_vhca_icm_ctrl *v);

struct prm_vhca_group_icm_ctrl {
	uint16_t vhca_group_id;
	bool set_cap;
	bool reset_hwm;
	uint32_t max_alloc_icm_th;
	uint32_t cur_alloc_icm;
	uint32_t max_reached_alloc_icm;
};
void prm_encode_vhca_group_icm_ctrl(void *reg,
				    const struct prm_vhca_group_icm_ctrl *v);
void prm_decode_vhca_group_icm_ctrl(const void *reg,
				    struct prm_vhca_group_icm_ctrl *v);

/* Output header. */
uint8_t prm_out_status(const void *out);
uint32_t prm_out_syndrome(const void *out);
/* "BAD_PARAM"; "UNKNOWN" for a status not in the table. */
const char *prm_status_name(uint8_t status);
/* Input header. */
uint16_t prm_in_opcode(const void *in);
uint16_t prm_in_op_mod(const void *in);

#endif
