/* SPDX-License-Identifier: MIT */
/*
 * Inside the journal room only (state.c, state_load.c, state_save.c): the
 * file's schema version, a bounded string copy, the parent directory. Other layers use
 * state.h.
 */
#ifndef ICMQUOTA_STATE_JSON_H
#define ICMQUOTA_STATE_JSON_H

#include <stddef.h>

#include "lib/err.h"

/* The journal schema this build reads and writes (state.json "version"). */
#define STATE_VERSION 1

/* src (NULL: "") into dst of len bytes, cut to fit, always terminated. */
void state_copy_str(char *dst, size_t len, const char *src);
/* The directory path goes in, created (0755) when missing; IQ_EENV. */
int state_mkdir_parent(const char *path, struct iq_err *err);

#endif
