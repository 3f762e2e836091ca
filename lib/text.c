// SPDX-License-Identifier: MIT
#include "lib/text.h"

#include <ctype.h>
#include <fnmatch.h>

bool glob_match(const char *pattern, const char *text)
{
	return fnmatch(pattern, text, 0) == 0;
}

void text_excerpt(const char *text, size_t text_len, size_t max, char *out,
		  size_t len)
{
	size_t n = 0;

	for (; n < text_len && text[n] && n + 1 < len && n < max; n++)
		out[n] = iscntrl((unsigned char)text[n]) ? '?' : text[n];
	out[n] = '\0';
}
