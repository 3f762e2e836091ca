// SPDX-License-Identifier: MIT
#define NL_DL_IMPLEMENTATION
#include "devx/nl_dl.h"

#include "lib/dynlib.h"

struct nl_dl nl_dl;

#define NL_DL_SYM(f) {#f, (void **)&nl_dl.f},

int nl_dl_load(struct iq_err *err)
{
	static const struct dynlib_sym nl[] = {NL_DL_NL(NL_DL_SYM)};
	static const struct dynlib_sym genl[] = {NL_DL_GENL(NL_DL_SYM)};
	int rc;

	if (nl_dl.loaded)
		return IQ_OK;
	/* libnl-genl-3 needs libnl-3 (its DT_NEEDED): that one first, so
	 * that a missing libnl-3 is named as such. */
	rc = dynlib_load("libnl-3.so.200", nl, sizeof(nl) / sizeof(nl[0]),
			 "install libnl-3 for devlink (Debian: apt install "
			 "libnl-3-200)",
			 err);
	if (rc == IQ_OK)
		rc = dynlib_load("libnl-genl-3.so.200", genl,
				 sizeof(genl) / sizeof(genl[0]),
				 "install libnl-genl-3 for devlink (Debian: "
				 "apt install libnl-genl-3-200)",
				 err);
	nl_dl.loaded = rc == IQ_OK;
	return rc;
}
