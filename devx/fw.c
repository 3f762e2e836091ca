// SPDX-License-Identifier: MIT
/*
 * Typed firmware operations, one small function per PRM command (as
 * rdma-core and DPDK do): build one mailbox with the codec, send it with
 * fw_dev_exec() (which traces, counts and checks the firmware status) and
 * decode the answer.
 */
#include "devx/fw.h"

#include <string.h>

#include "devx/codec.h"
#include "devx/prm.h"
#include "devx/transport.h"
#include "lib/text.h"

/*
 * Mailboxes live in dword arrays: DEVX_SET/DEVX_GET access them as
 * big-endian 32-bit words, which must be aligned.
 */
#define REG_MAX_BYTES 0x80
#define REG_IN_DWORDS                                                          \
	((DEVX_ST_SZ_BYTES(access_register_in) + REG_MAX_BYTES) / 4)
#define REG_OUT_DWORDS                                                         \
	((DEVX_ST_SZ_BYTES(access_register_out) + REG_MAX_BYTES) / 4)
_Static_assert(DEVX_ST_SZ_BYTES(nic_cap_reg) <= REG_MAX_BYTES,
	       "NIC_CAP_REG fits the register buffers");
_Static_assert(DEVX_ST_SZ_BYTES(vhca_icm_ctrl_reg) <= REG_MAX_BYTES,
	       "VHCA_ICM_CTRL fits the register buffers");
_Static_assert(DEVX_ST_SZ_BYTES(vhca_group_icm_ctrl_reg) <= REG_MAX_BYTES,
	       "VHCA_GROUP_ICM_CTRL fits the register buffers");

static int query_caps(struct fw_dev *dev, bool other_function,
		      uint16_t function_id, struct prm_hca_caps *caps,
		      struct iq_err *err)
{
	uint32_t in[DEVX_ST_SZ_DW(query_hca_cap_in)];
	uint32_t out[DEVX_ST_SZ_DW(query_hca_cap_out)];
	char what[64];
	size_t inlen;
	int rc;

	inlen = prm_encode_query_hca_cap(in, other_function, function_id);
	if (other_function)
		snprintf(what, sizeof(what), "QUERY_HCA_CAP function_id %u",
			 function_id);
	else
		snprintf(what, sizeof(what), "QUERY_HCA_CAP own");
	rc = fw_dev_exec(dev, what, in, inlen, out, sizeof(out), err);
	if (rc)
		return rc;
	prm_decode_query_hca_cap(out, caps);
	return IQ_OK;
}

int fw_query_own_caps(struct fw_dev *dev, struct prm_hca_caps *caps,
		      struct iq_err *err)
{
	return query_caps(dev, false, 0, caps, err);
}

int fw_open(enum fw_backend backend, const struct fw_open_args *args,
	    FILE *trace, struct fw_dev **devp, struct prm_hca_caps *own,
	    char *note, size_t note_len, struct iq_err *err)
{
	const struct fw_transport_ops *fallback;
	struct fw_dev *dev = NULL;
	struct iq_err fb_err = {0};
	int rc;

	if (note_len)
		note[0] = '\0';
	*devp = NULL;
	rc = fw_dev_open(backend, args, trace, &dev, err);
	if (rc)
		return rc;
	rc = fw_query_own_caps(dev, own, err);
	if (rc || dev->ops->access_reg_opcode != PRM_OP_ACCESS_REGISTER_USER ||
	    own->access_register_user) {
		if (rc)
			fw_dev_close(dev);
		else
			*devp = dev;
		return rc;
	}
	fallback = dev->ops->reg_fallback;
	if (backend != FW_BACKEND_AUTO || !fallback) {
		rc = iq_fail(err, IQ_EENV,
			     "%s: %s: HCA cap access_register_user is 0: this "
			     "firmware gives a DevX user context no register "
			     "access (ACCESS_REGISTER_USER); use --backend "
			     "fwctl (Linux 6.15+ with mlx5_fwctl)",
			     args->pf_pci, dev->ops->name);
		fw_dev_close(dev);
		return rc;
	}
	fw_dev_close(dev);
	rc = fw_dev_open_ops(fallback, args, trace, &dev, &fb_err);
	if (rc) {
		size_t n = strlen(args->pf_pci);
		const char *why = fb_err.msg;

		if (strncmp(why, args->pf_pci, n) == 0 &&
		    strncmp(why + n, ": ", 2) == 0)
			why += n + 2;
		return iq_fail(err, IQ_EENV,
			       "%s: HCA cap access_register_user is 0, so devx "
			       "cannot reach the registers, and %s",
			       args->pf_pci, why);
	}
	rc = fw_query_own_caps(dev, own, err);
	if (rc) {
		fw_dev_close(dev);
		return rc;
	}
	if (note_len)
		snprintf(note, note_len,
			 "HCA cap access_register_user is 0 (no register "
			 "access from a DevX user context): using %s",
			 dev->ops->name);
	*devp = dev;
	return IQ_OK;
}

int fw_query_function_caps(struct fw_dev *dev, uint16_t function_id,
			   struct prm_hca_caps *caps, struct iq_err *err)
{
	return query_caps(dev, true, function_id, caps, err);
}

/*
 * One register access: reg carries the index fields (and, for a write,
 * the data); on success it holds the register the firmware returned.
 */
static int access_reg(struct fw_dev *dev, const char *what, bool read,
		      uint16_t register_id, void *reg, struct iq_err *err)
{
	uint32_t in[REG_IN_DWORDS];
	uint32_t out[REG_OUT_DWORDS];
	size_t reg_len = prm_register_size(register_id);
	size_t inlen;
	size_t outlen = DEVX_ST_SZ_BYTES(access_register_out) + reg_len;
	int rc;

	inlen = prm_encode_access_reg(in, dev->ops->access_reg_opcode, read,
				      register_id, reg, reg_len);
	rc = fw_dev_exec(dev, what, in, inlen, out, outlen, err);
	if (rc)
		return rc;
	memcpy(reg, DEVX_ADDR_OF(access_register_out, out, register_data),
	       reg_len);
	return IQ_OK;
}

int fw_read_nic_cap(struct fw_dev *dev, struct prm_nic_cap *cap,
		    struct iq_err *err)
{
	uint32_t reg[DEVX_ST_SZ_DW(nic_cap_reg)] = {0};
	int rc;

	rc = access_reg(dev, "NIC_CAP_REG read", true, PRM_REG_NIC_CAP_REG, reg,
			err);
	if (rc)
		return rc;
	prm_decode_nic_cap(reg, cap);
	return IQ_OK;
}

int fw_read_vhca_icm(struct fw_dev *dev, uint16_t vhca_id,
		     struct prm_vhca_icm_ctrl *state, struct iq_err *err)
{
	uint32_t reg[DEVX_ST_SZ_DW(vhca_icm_ctrl_reg)];
	struct prm_vhca_icm_ctrl index = {
		.vhca_id_valid = true,
		.vhca_id = vhca_id,
	};
	char what[64];
	int rc;

	prm_encode_vhca_icm_ctrl(reg, &index);
	/* Not snprintf: one read per VF, 1,016 on a fleet host's apply. */
	text_append_hex(text_append(what, what + sizeof(what),
				    "VHCA_ICM_CTRL read vhca_id "),
			what + sizeof(what), vhca_id);
	rc = access_reg(dev, what, true, PRM_REG_VHCA_ICM_CTRL, reg, err);
	if (rc)
		return rc;
	prm_decode_vhca_icm_ctrl(reg, state);
	return IQ_OK;
}

static int write_vhca_icm(struct fw_dev *dev, const char *what,
			  const struct prm_vhca_icm_ctrl *v, struct iq_err *err)
{
	uint32_t reg[DEVX_ST_SZ_DW(vhca_icm_ctrl_reg)];

	prm_encode_vhca_icm_ctrl(reg, v);
	return access_reg(dev, what, false, PRM_REG_VHCA_ICM_CTRL, reg, err);
}

int fw_write_vhca_icm_cap(struct fw_dev *dev, uint16_t vhca_id,
			  uint32_t cap_pages, uint16_t group_id,
			  struct iq_err *err)
{
	struct prm_vhca_icm_ctrl v = {
		.vhca_id_valid = true,
		.vhca_id = vhca_id,
		.set_cap = true,
		.vhca_group_id = group_id,
		.max_alloc_icm_th = cap_pages,
	};
	char what[64];

	text_append_hex(text_append(what, what + sizeof(what),
				    "VHCA_ICM_CTRL write vhca_id "),
			what + sizeof(what), vhca_id);
	return write_vhca_icm(dev, what, &v, err);
}

int fw_reset_vhca_icm_hwm(struct fw_dev *dev, uint16_t vhca_id,
			  uint16_t group_id, struct iq_err *err)
{
	/* No mask: the cap stays as it is, only the high-water mark moves. */
	struct prm_vhca_icm_ctrl v = {
		.vhca_id_valid = true,
		.vhca_id = vhca_id,
		.reset_hwm = true,
		.vhca_group_id = group_id,
	};
	char what[80];

	snprintf(what, sizeof(what),
		 "VHCA_ICM_CTRL reset high-water mark vhca_id 0x%x", vhca_id);
	return write_vhca_icm(dev, what, &v, err);
}

int fw_read_group_icm(struct fw_dev *dev, uint16_t group_id,
		      struct prm_vhca_group_icm_ctrl *state, struct iq_err *err)
{
	uint32_t reg[DEVX_ST_SZ_DW(vhca_group_icm_ctrl_reg)];
	struct prm_vhca_group_icm_ctrl index = {.vhca_group_id = group_id};
	char what[64];
	int rc;

	prm_encode_vhca_group_icm_ctrl(reg, &index);
	snprintf(what, sizeof(what), "VHCA_GROUP_ICM_CTRL read group %u",
		 group_id);
	rc = access_reg(dev, what, true, PRM_REG_VHCA_GROUP_ICM_CTRL, reg, err);
	if (rc)
		return rc;
	prm_decode_vhca_group_icm_ctrl(reg, state);
	return IQ_OK;
}

int fw_write_group_icm_cap(struct fw_dev *dev, uint16_t group_id,
			   uint32_t cap_pages, struct iq_err *err)
{
	uint32_t reg[DEVX_ST_SZ_DW(vhca_group_icm_ctrl_reg)];
	struct prm_vhca_group_icm_ctrl v = {
		.vhca_group_id = group_id,
		.set_cap = true,
		.max_alloc_icm_th = cap_pages,
	};
	char what[64];

	prm_encode_vhca_group_icm_ctrl(reg, &v);
	snprintf(what, sizeof(what), "VHCA_GROUP_ICM_CTRL write group %u",
		 group_id);
	return access_reg(dev, what, false, PRM_REG_VHCA_GROUP_ICM_CTRL, reg,
			  err);
}
