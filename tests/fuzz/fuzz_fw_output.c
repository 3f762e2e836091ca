// SPDX-License-Identifier: MIT
/*
 * Firmware outputs: what a (broken or hostile) device returns, through
 * fw.c's commands (status, syndrome, decoders of devx/codec.c) on a
 * transport that answers every command with the fuzz input.
 */
#include "tests/fuzz/fuzz.h"

#include "devx/codec.h"
#include "devx/fw.h"
#include "devx/transport.h"

static const uint8_t *answer;
static size_t answer_len;

static int fake_exec(void *priv, const void *in, size_t inlen, void *out,
		     size_t outlen, struct iq_err *err)
{
	(void)priv;
	(void)in;
	(void)inlen;
	(void)err;
	memcpy(out, answer, answer_len < outlen ? answer_len : outlen);
	return IQ_OK;
}

static const struct fw_transport_ops fake_ops = {
	.name = "fuzz",
	.access_reg_opcode = 0x805,
	.exec = fake_exec,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_dev dev = {.ops = &fake_ops, .pf = "0000:3b:00.0"};
	struct iq_err err = {0};
	struct prm_hca_caps caps;
	struct prm_nic_cap nic;
	struct prm_vhca_icm_ctrl icm;
	struct prm_vhca_group_icm_ctrl group;
	uint8_t reg[256] = {0};

	answer = data;
	answer_len = size;
	if (fw_query_own_caps(&dev, &caps, &err))
		fuzz_check_one_line(err.msg);
	if (fw_query_function_caps(&dev, 1, &caps, &err))
		fuzz_check_one_line(err.msg);
	if (fw_read_nic_cap(&dev, &nic, &err))
		fuzz_check_one_line(err.msg);
	if (fw_read_vhca_icm(&dev, 2, &icm, &err))
		fuzz_check_one_line(err.msg);
	if (fw_read_group_icm(&dev, 1, &group, &err))
		fuzz_check_one_line(err.msg);
	if (fw_write_vhca_icm_cap(&dev, 2, 1024, 0, &err))
		fuzz_check_one_line(err.msg);
	/* The pure decoders on the raw bytes. */
	memcpy(reg, data, size < sizeof(reg) ? size : sizeof(reg));
	prm_decode_nic_cap(reg, &nic);
	prm_decode_vhca_icm_ctrl(reg, &icm);
	prm_decode_vhca_group_icm_ctrl(reg, &group);
	(void)prm_status_name(prm_out_status(reg));
	(void)prm_out_syndrome(reg);
	return 0;
}
