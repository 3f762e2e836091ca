// SPDX-License-Identifier: MIT
/* The YAML policy parser and validator (policy/parse.c). */
#include "tests/fuzz/fuzz.h"

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy policy;
	struct iq_err err = {0};

	if (policy_parse((const char *)data, size, "fuzz.yaml", &policy,
			 &err) == IQ_OK) {
		struct policy_decision d;
		struct policy_vm vm = {.name = "vm-1",
				       .uuid = "",
				       .class_name = "gpu-8x"};

		policy_vf_cap(&policy, &vm, "0000:3b:00.0", &d);
		policy_vf_cap(&policy, NULL, "0000:3b:00.0", &d);
		policy_free(&policy);
	} else {
		fuzz_check_one_line(err.msg);
	}
	return 0;
}
