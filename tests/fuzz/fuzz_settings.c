// SPDX-License-Identifier: MIT
/* The settings file (/etc/icmquota/icmquota.conf, controller/cli). */
#include "tests/fuzz/fuzz.h"

#include "controller/cli/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	struct iq_err err = {0};

	if (config_parse((const char *)data, size, "fuzz.conf", &cfg, &err) !=
	    IQ_OK)
		fuzz_check_one_line(err.msg);
	return 0;
}
