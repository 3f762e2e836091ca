// SPDX-License-Identifier: MIT
#define YAML_DL_IMPLEMENTATION
#include "policy/yaml_dl.h"

#include "lib/dynlib.h"

struct yaml_dl yaml_dl;

#define YAML_DL_SYM(f) {#f, (void **)&yaml_dl.f},

int yaml_dl_load(struct iq_err *err)
{
	static const struct dynlib_sym syms[] = {YAML_DL(YAML_DL_SYM)};
	int rc;

	if (yaml_dl.loaded)
		return IQ_OK;
	rc = dynlib_load("libyaml-0.so.2", syms, sizeof(syms) / sizeof(syms[0]),
			 "install libyaml for the policy (Debian: apt install "
			 "libyaml-0-2)",
			 err);
	yaml_dl.loaded = rc == IQ_OK;
	return rc;
}
