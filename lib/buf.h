/* SPDX-License-Identifier: MIT */
/* A growing byte buffer for files written whole (memos, JSON text). */
#ifndef ICMQUOTA_LIB_BUF_H
#define ICMQUOTA_LIB_BUF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Start from {.ok = true}. An append that fails (out of memory) leaves ok
 * false and the appends after it are ignored: check ok once at the end.
 * data is kept NUL-terminated, for text.
 */
struct buf {
	char *data;
	size_t len, cap;
	bool ok;
};

void buf_put(struct buf *b, const void *data, size_t len);
/* Release the buffer (b is empty again, ok unchanged). */
void buf_free(struct buf *b);

#endif
