/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz targets (tests/fuzz/fuzz_*.c): each defines
 * LLVMFuzzerTestOneInput over one parser of input from outside. Built with
 * clang's libFuzzer by `make fuzz`, and with replay.c (no libFuzzer, gcc
 * and ASan/UBSan) by `make check`, which runs every file of the target's
 * seed corpus tests/fuzz/corpus/NAME/ through it.
 */
#ifndef ICMQUOTA_FUZZ_H
#define ICMQUOTA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (parsers of C strings). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Every error message is one line (lib/err.h escapes control bytes). */
static inline void fuzz_check_one_line(const char *msg)
{
	if (strchr(msg, '\n') || strchr(msg, '\r'))
		abort();
}

#endif
