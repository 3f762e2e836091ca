// SPDX-License-Identifier: MIT
#define LIBXML_DL_IMPLEMENTATION
#include "controller/sources/libxml_dl.h"

#include "lib/dynlib.h"

struct libxml_dl libxml_dl;

int libxml_dl_load(struct iq_err *err)
{
#define LIBXML_DL_SYM(f) {#f, (void **)&libxml_dl.f},
	static const struct dynlib_sym syms[] = {LIBXML_DL_FUNCS(LIBXML_DL_SYM){
		"xmlFree", (void **)&libxml_dl.xmlFree_var}};
#undef LIBXML_DL_SYM
	int rc;

	if (libxml_dl.loaded)
		return IQ_OK;
	rc = dynlib_load("libxml2.so.2", syms, sizeof(syms) / sizeof(syms[0]),
			 "install libxml2 (Debian: apt install libxml2)", err);
	libxml_dl.loaded = rc == IQ_OK;
	return rc;
}
