/* SPDX-License-Identifier: MIT */
/*
 * Compact JSON written straight into a buffer, for the files written on
 * the hot path (the journal, the simulated firmware's state): json-c's
 * object trees cost a fleet host's journal 23 M instructions to format,
 * a third of a libvirt hook call; iproute2 keeps its own writer
 * (lib/json_writer.c) for the same reason. The text is the text json-c
 * writes with JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE
 * (tests/unit/test_json_writer.c compares them byte for byte); reading
 * stays json-c's.
 */
#ifndef ICMQUOTA_LIB_JSON_WRITER_H
#define ICMQUOTA_LIB_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* Each appends to a struct buf (lib/buf.h): check its ok once at the
 * end. */

/* Text as is (punctuation, keys known to need no escaping). */
void jw_raw(struct buf *w, const char *text);
/* A string, quoted and escaped as json-c escapes it. */
void jw_str(struct buf *w, const char *s);
/* "key": with a comma before it unless first. */
void jw_key(struct buf *w, const char *key, bool first);
void jw_u64(struct buf *w, uint64_t v);
void jw_i64(struct buf *w, int64_t v);
void jw_bool(struct buf *w, bool v);

#endif
