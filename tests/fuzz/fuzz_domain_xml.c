// SPDX-License-Identifier: MIT
/* libvirt domain XML -> VM facts (controller/sources/vm_libvirt.c). */
#include "tests/fuzz/fuzz.h"

#include "controller/sources/vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_facts vm;
	struct iq_err err = {0};

	if (vm_from_libvirt_xml((const char *)data, size, "fuzz.xml", &vm,
				&err) == IQ_OK)
		vm_facts_free(&vm);
	else
		fuzz_check_one_line(err.msg);
	return 0;
}
