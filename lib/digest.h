/* SPDX-License-Identifier: MIT */
/* Content digests (the policy digest kept in the journal). */
#ifndef ICMQUOTA_LIB_DIGEST_H
#define ICMQUOTA_LIB_DIGEST_H

#include <stddef.h>

#include "lib/err.h"

/*
 * SHA-256 hex digest of a buffer: 64 lower-case hex digits and a NUL.
 * libmd (Debian libmd0) is loaded on the first call; IQ_EENV naming the
 * package when it cannot be, out is "" then.
 */
int sha256_hex(const void *data, size_t len, char out[65], struct iq_err *err);

#endif
