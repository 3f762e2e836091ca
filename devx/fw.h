/* SPDX-License-Identifier: MIT */
/*
 * The typed firmware operations, built on the codec, which run through
 * whatever transport a device was opened with.
 */
#ifndef ICMQUOTA_DEVX_FW_H
#define ICMQUOTA_DEVX_FW_H

#include <stdbool.h>
#include <stdint.h>

#include "devx/codec.h"
#include "devx/transport.h"
#include "lib/err.h"

/*
 * Open the PF's channel (fw_dev_open) and read its own general caps. A
 * channel that reaches registers through ACCESS_REGISTER_USER (devx, and
 * the simulator standing in for it) needs the HCA cap access_register_user
 * (mlx5_ifc bit 0xd2 of cmd_hca_cap; DPDK checks the same bit): when it is
 * 0, FW_BACKEND_AUTO switches to the transport's reg_fallback (fwctl) and
 * says so in note ("" otherwise); any other backend fails with IQ_EENV
 * naming the cap and --backend fwctl. own holds the caps read on the
 * channel finally kept.
 */
int fw_open(enum fw_backend backend, const struct fw_open_args *args,
	    FILE *trace, struct fw_dev **dev, struct prm_hca_caps *own,
	    char *note, size_t note_len, struct iq_err *err);

/* --- firmware operations through a device's transport ----------------
 * Each runs one command, checks the transport result and the firmware
 * status, and on failure fills err with the PF, the command and the
 * status name (exit code IQ_EENV).
 */
int fw_query_own_caps(struct fw_dev *dev, struct prm_hca_caps *caps,
		      struct iq_err *err);
/* function_id of a VF = VF index + 1. */
int fw_query_function_caps(struct fw_dev *dev, uint16_t function_id,
			   struct prm_hca_caps *caps, struct iq_err *err);
int fw_read_nic_cap(struct fw_dev *dev, struct prm_nic_cap *cap,
		    struct iq_err *err);
int fw_read_vhca_icm(struct fw_dev *dev, uint16_t vhca_id,
		     struct prm_vhca_icm_ctrl *state, struct iq_err *err);
/*
 * Set the cap (4 KiB units) of another function. A VHCA_ICM_CTRL write
 * always carries vhca_group_id, so the caller passes the group the
 * function is in (from the read-back) to keep it there.
 */
int fw_write_vhca_icm_cap(struct fw_dev *dev, uint16_t vhca_id,
			  uint32_t cap_pages, uint16_t group_id,
			  struct iq_err *err);
int fw_reset_vhca_icm_hwm(struct fw_dev *dev, uint16_t vhca_id,
			  uint16_t group_id, struct iq_err *err);
int fw_read_group_icm(struct fw_dev *dev, uint16_t group_id,
		      struct prm_vhca_group_icm_ctrl *state,
		      struct iq_err *err);
int fw_write_group_icm_cap(struct fw_dev *dev, uint16_t group_id,
			   uint32_t cap_pages, struct iq_err *err);

#endif
