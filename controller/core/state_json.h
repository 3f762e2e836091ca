/* SPDX-License-Identifier: MIT */
/*
 * Inside the journal room only (state.c, state_load.c, state_save.c): the
 * file's schema version, a bounded string copy, the parent directory. Other layers use
 * state.h.
 */
#ifndef ICMQUOTA_STATE_JSON_H
#define ICMQUOTA_STATE_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

/* The journal schema this build reads and writes (state.json "version"). */
#define STATE_VERSION 1

/* src (NULL: "") into dst of len bytes, cut to fit, always terminated. */
void state_copy_str(char *dst, size_t len, const char *src);
/* The directory path goes in, created (0755) when missing; IQ_EENV. */
int state_mkdir_parent(const char *path, struct iq_err *err);

struct state;
struct state_vm;

/*
 * The journal's fields in the memo's form (state_memo.c), malloc'd:
 * equal forms, equal journal text. IQ_EENV when out of memory.
 */
int state_form(const struct state *state, char **form, size_t *len);
/*
 * The state the memo beside journal holds for exactly this text (its
 * form kept as loaded_form): true; false on any miss (then parse).
 */
bool state_memo_read(const char *journal, const char *text, size_t len,
		     struct state *state);
/* Keep the memo of this text and its form; best effort. */
void state_memo_write(const char *journal, const char *text, size_t len,
		      const char *form, size_t form_len);
/* What a parse fills in for a field the text leaves empty (vmm). */
void state_vm_defaults(struct state_vm *vm);
/* VFs by address, VMs by name, as a journal is written. */
bool state_is_sorted(const struct state *state);

#endif
