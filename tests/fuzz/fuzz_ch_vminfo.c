// SPDX-License-Identifier: MIT
/* Cloud Hypervisor vm.info JSON -> VM facts (controller/sources). */
#include "tests/fuzz/fuzz.h"

#include "controller/sources/vm_ch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_facts vm;
	struct iq_err err = {0};
	char state[32];

	if (vm_from_ch_vminfo((const char *)data, size, "/run/ch/fuzz.sock",
			      &vm, state, sizeof(state), &err) == IQ_OK)
		vm_facts_free(&vm);
	else
		fuzz_check_one_line(err.msg);
	return 0;
}
