// SPDX-License-Identifier: MIT
#include "lib/json_writer.h"

#include <stdlib.h>
#include <string.h>

void jw_raw(struct buf *w, const char *text)
{
	buf_put(w, text, strlen(text));
}

void jw_str(struct buf *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	buf_put(w, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[7] = "\\";
		size_t n = 2;

		switch (c) {
		case '\b':
			esc[1] = 'b';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '"':
		case '\\':
			esc[1] = (char)c;
			break;
		default:
			if (c >= ' ')
				continue; /* in the run copied as is */
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			n = 6;
		}
		buf_put(w, run, (size_t)(s - run));
		buf_put(w, esc, n);
		run = s + 1;
	}
	buf_put(w, run, (size_t)(s - run));
	buf_put(w, "\"", 1);
}

void jw_key(struct buf *w, const char *key, bool first)
{
	if (!first)
		buf_put(w, ",", 1);
	jw_str(w, key);
	buf_put(w, ":", 1);
}

void jw_u64(struct buf *w, uint64_t v)
{
	char digits[24];
	size_t n = sizeof(digits);

	do {
		digits[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_put(w, digits + n, sizeof(digits) - n);
}

void jw_i64(struct buf *w, int64_t v)
{
	if (v < 0) {
		buf_put(w, "-", 1);
		jw_u64(w, (uint64_t) - (v + 1) + 1);
	} else {
		jw_u64(w, (uint64_t)v);
	}
}

void jw_bool(struct buf *w, bool v)
{
	jw_raw(w, v ? "true" : "false");
}
