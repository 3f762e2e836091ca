// SPDX-License-Identifier: MIT
#include "lib/text.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool glob_match(const char *pattern, const char *text)
{
	return fnmatch(pattern, text, 0) == 0;
}

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

size_t text_escape(const char *in, size_t in_len, char *out, size_t len)
{
	size_t i = 0, o = 0;

	for (; i < in_len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (is_control(c)) {
			if (o + 4 >= len)
				break;
			snprintf(out + o, 5, "\\x%02x", c);
			o += 4;
		} else {
			if (o + 1 >= len)
				break;
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return i;
}

const char *text_shown(const char *text, char *buf, size_t len)
{
	text_escape(text, strlen(text), buf, len);
	return buf;
}

void text_escape_inplace(char *buf, size_t len)
{
	size_t n = strlen(buf);
	char *copy;

	for (size_t i = 0; i < n; i++) {
		if (!is_control((unsigned char)buf[i]))
			continue;
		copy = strdup(buf);
		if (copy) {
			text_escape(copy, n, buf, len);
			free(copy);
		} else {
			/* No memory: still one line. */
			for (; i < n; i++)
				if (is_control((unsigned char)buf[i]))
					buf[i] = '?';
		}
		return;
	}
}

void text_excerpt(const char *text, size_t text_len, size_t max, char *out,
		  size_t len)
{
	size_t n = 0;

	while (n < text_len && n < max && text[n])
		n++;
	text_escape(text, n, out, len);
}

char *text_copy(char *dst, size_t len, const char *src)
{
	size_t n = src ? strnlen(src, len - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
	return dst;
}

char *text_append(char *p, char *end, const char *src)
{
	size_t n = src ? strnlen(src, (size_t)(end - p) - 1) : 0;

	memcpy(p, src ? src : "", n);
	p[n] = '\0';
	return p + n;
}

char *text_append_hex(char *p, char *end, uint64_t v)
{
	char digits[2 + 16 + 1];
	char *d = digits + sizeof(digits) - 1;

	*d = '\0';
	do {
		*--d = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while (v);
	*--d = 'x';
	*--d = '0';
	return text_append(p, end, d);
}
