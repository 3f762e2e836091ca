/* SPDX-License-Identifier: MIT */
/*
 * Inside the simulator only (simfw_state.c): a PF's firmware state kept in
 * a memo beside its JSON file (lib/memo.h), so a process that finds the
 * file as the last one left it does not parse it again.
 */
#ifndef ICMQUOTA_SIMFW_MEMO_H
#define ICMQUOTA_SIMFW_MEMO_H

#include <stdbool.h>
#include <stddef.h>

#include "controller/sim/simfw.h"

/*
 * The PF the memo at memo_path holds for exactly this JSON text: true and
 * *pf filled (groups recomputed, indexed) as a parse of the text would
 * fill it; false on any miss.
 */
bool simfw_memo_read(const char *memo_path, const char *text, size_t len,
		     struct simfw_pf *pf);
/* Keep pf as the memo of its JSON text; best effort (a miss costs a
 * parse). */
void simfw_memo_write(const char *memo_path, const char *text, size_t len,
		      const struct simfw_pf *pf);
/* Whether two PFs hold the same state file fields (the test build's
 * check of a memo against a parse). */
bool simfw_memo_same(const struct simfw_pf *a, const struct simfw_pf *b);

#endif
