/* SPDX-License-Identifier: MIT */
/*
 * Libraries loaded where they are used (libvirt for live domains, libudev
 * and libsystemd for the daemon), so that a run that needs none of them,
 * the libvirt hook above all, does not pay for loading them.
 */
#ifndef ICMQUOTA_DYNLIB_H
#define ICMQUOTA_DYNLIB_H

#include <stddef.h>

#include "lib/err.h"

struct dynlib_sym {
	const char *name;
	void **slot; /* where the function's address goes */
};

/*
 * dlopen lib and fill every slot. Errors (IQ_EENV) name the library, the
 * missing symbol or dlerror(), and the fix (install_hint).
 */
int dynlib_load(const char *lib, const struct dynlib_sym *syms, size_t n,
		const char *install_hint, struct iq_err *err);

/*
 * The address of sym in lib when lib is already in the process (another
 * library brought it), else NULL: lib is never loaded for it.
 */
void *dynlib_loaded_sym(const char *lib, const char *sym);

#endif
