// SPDX-License-Identifier: MIT
#include "lib/dynlib.h"

#include <dlfcn.h>

int dynlib_load(const char *lib, const struct dynlib_sym *syms, size_t n,
		const char *install_hint, struct iq_err *err)
{
	void *handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);

	if (!handle)
		return iq_fail(err, IQ_EENV, "cannot load %s (%s): %s", lib,
			       dlerror(), install_hint);
	for (size_t i = 0; i < n; i++) {
		*syms[i].slot = dlsym(handle, syms[i].name);
		if (!*syms[i].slot)
			return iq_fail(err, IQ_EENV, "%s has no %s: %s", lib,
				       syms[i].name, install_hint);
	}
	return IQ_OK;
}

void *dynlib_loaded_sym(const char *lib, const char *sym)
{
	void *handle = dlopen(lib, RTLD_LAZY | RTLD_NOLOAD);
	void *addr;

	if (!handle)
		return NULL;
	addr = dlsym(handle, sym);
	/* Drops only the reference RTLD_NOLOAD took: lib stays loaded. */
	dlclose(handle);
	return addr;
}
