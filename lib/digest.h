/* SPDX-License-Identifier: MIT */
/* Content digests (the policy digest kept in the journal). */
#ifndef ICMQUOTA_LIB_DIGEST_H
#define ICMQUOTA_LIB_DIGEST_H

#include <stddef.h>

/* SHA-256 hex digest of a buffer (libcrypto); "" if libcrypto fails. */
void sha256_hex(const void *data, size_t len, char out[65]);

#endif
