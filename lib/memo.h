/* SPDX-License-Identifier: MIT */
/*
 * Memos: the result of parsing a text file kept in a file beside it, so a
 * run whose input is byte-for-byte what an earlier run parsed takes the
 * result instead of parsing again. A memo holds the input's bytes and the
 * build of the program that wrote it: it answers only for exactly that
 * input and exactly this binary (its ELF build-id), so a stale or foreign
 * memo can cost a parse, never give a wrong result.
 */
#ifndef ICMQUOTA_LIB_MEMO_H
#define ICMQUOTA_LIB_MEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"

/* A memo read (memo_read), released with memo_release. */
struct memo_view {
	void *map;
	size_t map_len;
	const char *blob;
	size_t blob_len;
};

/*
 * Below this many bytes of input a parse costs less than the memo's own
 * file (a read, or a write and a rename: ~0.2 ms): callers keep no memo.
 * The test build (MEMO_VERIFY) keeps one for every input, so that every
 * test's small journal and firmware state go through a memo and its
 * check against a parse.
 */
#define MEMO_MIN_INPUT 8192
/* Whether an input of len bytes is worth a memo (see MEMO_MIN_INPUT). */
bool memo_worth(size_t len);

/*
 * The blob of the memo at path when it was written for kind (a short
 * name; a different kind is a miss) from these input bytes by this
 * build: true, v->blob and v->blob_len the result, read into memory
 * held until memo_release. False on any miss (no file, another input, another
 * build, a torn or foreign file, no build-id in this binary), nothing to
 * release: the caller parses.
 */
bool memo_read(const char *path, const char *kind, const void *input,
	       size_t input_len, struct memo_view *v);
void memo_release(struct memo_view *v);

/*
 * Write the memo (temp file and rename, no fsync: a memo lost in a crash
 * costs one parse). Errors name the path (IQ_EENV); callers may ignore
 * them, a missing memo is only slower. IQ_EINVAL when this binary has no
 * build-id (nothing could ever read the memo back).
 */
int memo_write(const char *path, const char *kind, const void *input,
	       size_t input_len, const void *blob, size_t blob_len,
	       struct iq_err *err);

/* A reader over a blob: a read past the end leaves *ok false. */
struct memo_reader {
	const char *data;
	size_t len, pos;
	bool ok;
};
/* Next len bytes (NULL past the end). */
const void *memo_take(struct memo_reader *r, size_t len);

/* Integers (LEB128) and length-counted strings. */
void memo_put_u64(struct buf *b, uint64_t v);
void memo_put_str(struct buf *b, const char *s);
/* 0 past the end (and *ok false). */
uint64_t memo_get_u64(struct memo_reader *r);
/* Into dst of len bytes; one too long, holding a NUL or past the end
 * leaves *ok false and dst "". */
void memo_get_str(struct memo_reader *r, char *dst, size_t len);

/* The running program's ELF build-id (len 0 when it has none). */
const uint8_t *memo_build_id(size_t *len);

#endif
