// SPDX-License-Identifier: MIT
#include "lib/digest.h"

#include <stdio.h>

#include <openssl/evp.h>

void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	if (!EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL))
		md_len = 0;
	for (unsigned i = 0; i < md_len && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[md_len ? 64 : 0] = '\0';
}
