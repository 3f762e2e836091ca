// SPDX-License-Identifier: MIT
#include "lib/json_writer.h"

#include <stdlib.h>
#include <string.h>

static void put(struct jw *w, const char *s, size_t n)
{
	if (!w->ok)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		char *grown;

		while (cap < w->len + n + 1)
			cap *= 2;
		grown = realloc(w->data, cap);
		if (!grown) {
			w->ok = false;
			return;
		}
		w->data = grown;
		w->cap = cap;
	}
	memcpy(w->data + w->len, s, n);
	w->len += n;
	w->data[w->len] = '\0';
}

void jw_raw(struct jw *w, const char *text)
{
	put(w, text, strlen(text));
}

void jw_str(struct jw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	put(w, "\"", 1);
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
		put(w, run, (size_t)(s - run));
		put(w, esc, n);
		run = s + 1;
	}
	put(w, run, (size_t)(s - run));
	put(w, "\"", 1);
}

void jw_key(struct jw *w, const char *key, bool first)
{
	if (!first)
		put(w, ",", 1);
	jw_str(w, key);
	put(w, ":", 1);
}

void jw_u64(struct jw *w, uint64_t v)
{
	char digits[24];
	size_t n = sizeof(digits);

	do {
		digits[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(w, digits + n, sizeof(digits) - n);
}

void jw_i64(struct jw *w, int64_t v)
{
	if (v < 0) {
		put(w, "-", 1);
		jw_u64(w, (uint64_t) - (v + 1) + 1);
	} else {
		jw_u64(w, (uint64_t)v);
	}
}

void jw_bool(struct jw *w, bool v)
{
	jw_raw(w, v ? "true" : "false");
}

void jw_free(struct jw *w)
{
	free(w->data);
	w->data = NULL;
	w->len = w->cap = 0;
}
