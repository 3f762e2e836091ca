/* SPDX-License-Identifier: MIT */
/* Text matching shared by the policy and the sources. */
#ifndef ICMQUOTA_LIB_TEXT_H
#define ICMQUOTA_LIB_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Glob match for policy rules (fnmatch without flags). */
bool glob_match(const char *pattern, const char *text);

/*
 * src (NULL: "") into dst of len > 0 bytes, cut to fit, always
 * terminated; snprintf(dst, len, "%s", src) without the format parsing
 * (a plan records five strings for each of 1,016 VFs). Returns dst.
 */
char *text_copy(char *dst, size_t len, const char *src);

/*
 * Copy at most max bytes of untrusted text (text_len bytes, or up to a NUL)
 * into out (len bytes, always NUL-terminated), control bytes escaped as
 * \xNN (text_escape), so a message that quotes it stays on one line.
 */
void text_excerpt(const char *text, size_t text_len, size_t max, char *out,
		  size_t len);

/*
 * Escape text from outside for a terminal or syslog, as systemd and virsh
 * do: control bytes (0x00-0x1f, 0x7f) become \xNN, everything else is
 * kept (UTF-8 passes through). in_len bytes of in are read (a NUL is
 * escaped too); out (len bytes, len >= 1) is always NUL-terminated and cut
 * at a whole escape. Returns the number of input bytes consumed.
 */
size_t text_escape(const char *in, size_t in_len, char *out, size_t len);

/* text escaped into buf (len bytes), for printing: returns buf. */
const char *text_shown(const char *text, char *buf, size_t len);

/* The same in place on a NUL-terminated buffer of size len (messages). */
void text_escape_inplace(char *buf, size_t len);

#endif
