// SPDX-License-Identifier: MIT
#include "lib/digest.h"

#include <stdint.h>

#include "lib/dynlib.h"

/*
 * libmd (the BSD message digest functions, Debian libmd0): a few kB, where
 * libcrypto cost every run ~0.6 ms of dynamic loading for this one digest.
 * Loaded on first use (lib/dynlib.h): only runs that read a policy digest
 * it, and a libvirt hook call with nothing to do does not pay for it.
 */
#include <sha2.h>

_Static_assert(SHA256_DIGEST_STRING_LENGTH == 65, "64 hex digits and a NUL");

static __typeof__(SHA256Data) *sha256_data;

int sha256_hex(const void *data, size_t len, char out[65], struct iq_err *err)
{
	static const struct dynlib_sym syms[] = {
		{"SHA256Data", (void **)&sha256_data},
	};

	out[0] = '\0';
	if (!sha256_data) {
		int rc = dynlib_load(
			"libmd.so.0", syms, sizeof(syms) / sizeof(syms[0]),
			"install libmd (Debian: apt install libmd0)", err);

		if (rc)
			return rc;
	}
	/* Lower-case hex, NUL-terminated. */
	if (!sha256_data(data, len, out))
		return iq_fail(err, IQ_EENV, "SHA-256 digest: out of memory");
	return IQ_OK;
}
