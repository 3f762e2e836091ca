/* SPDX-License-Identifier: MIT */
/* Text matching shared by the policy and the sources. */
#ifndef ICMQUOTA_LIB_TEXT_H
#define ICMQUOTA_LIB_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Glob match for policy rules (fnmatch without flags). */
bool glob_match(const char *pattern, const char *text);

/*
 * src (NULL: "") into dst of len > 0 bytes, cut to fit, always
 * terminated; snprintf(dst, len, "%s", src) without the format parsing
 * (a plan records five strings for each of 1,016 VFs). Returns dst.
 */
char *text_copy(char *dst, size_t len, const char *src);

/*
 * src (NULL: nothing) appended at p, cut so the text ends before end - 1,
 * and terminated: a cursor over a buffer [.., end), for rows built from
 * several strings without snprintf's format parsing (a fleet host's plan
 * table is 1,016 rows). p must be < end. Returns the new terminating NUL.
 */
char *text_append(char *p, char *end, const char *src);

/* "0x" and v in lowercase hex (snprintf's "0x%x"), appended as above. */
char *text_append_hex(char *p, char *end, uint64_t v);

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
