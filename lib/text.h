/* SPDX-License-Identifier: MIT */
/* Text matching shared by the policy and the sources. */
#ifndef ICMQUOTA_LIB_TEXT_H
#define ICMQUOTA_LIB_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Glob match for policy rules (fnmatch without flags). */
bool glob_match(const char *pattern, const char *text);

/*
 * Copy at most max bytes of untrusted text (text_len bytes, or up to a NUL)
 * into out (len bytes, always NUL-terminated), control bytes replaced by
 * '?', so a message that quotes it stays on one line.
 */
void text_excerpt(const char *text, size_t text_len, size_t max, char *out,
		  size_t len);

#endif
