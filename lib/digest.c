// SPDX-License-Identifier: MIT
#include "lib/digest.h"

#include <stdint.h>

/*
 * libmd (the BSD message digest functions, Debian libmd0): a few kB, where
 * libcrypto cost every run ~0.6 ms of dynamic loading for this one digest.
 */
#include <sha2.h>

_Static_assert(SHA256_DIGEST_STRING_LENGTH == 65, "64 hex digits and a NUL");

void sha256_hex(const void *data, size_t len, char out[65])
{
	/* Lower-case hex, NUL-terminated, as before. */
	if (!SHA256Data(data, len, out))
		out[0] = '\0';
}
