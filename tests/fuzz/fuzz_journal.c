// SPDX-License-Identifier: MIT
/* The journal (state.json, controller/core/state.c), then saved again. */
#include "tests/fuzz/fuzz.h"

#include "controller/core/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state st;
	struct iq_err err = {0};

	if (state_parse((const char *)data, size, "fuzz.json", &st, &err) ==
	    IQ_OK) {
		/* What was accepted is usable: lookups, the boot check. */
		for (size_t i = 0; i < st.nvms; i++)
			if (!state_find_vm(&st, st.vms[i].facts.name))
				abort();
		for (size_t i = 0; i < st.nvfs; i++)
			if (!state_find_vf(&st, st.vfs[i].pci))
				abort();
		state_forget_other_boot(&st, "fuzz-boot");
		state_free(&st);
	} else {
		fuzz_check_one_line(err.msg);
	}
	return 0;
}
