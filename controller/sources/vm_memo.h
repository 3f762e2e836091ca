/* SPDX-License-Identifier: MIT */
/*
 * Domain XML facts kept across runs (lib/memo.h): a fleet apply reads the
 * same 127 domain XMLs run after run; a domain whose XML is byte-for-byte
 * one parsed before takes the facts parsed then, under the same system
 * page size (the facts depend on it; a kernel of another size is a miss).
 */
#ifndef ICMQUOTA_VM_MEMO_H
#define ICMQUOTA_VM_MEMO_H

#include <stdbool.h>
#include <stddef.h>

#include "controller/sources/vm.h"

/*
 * Use the memo at path for the domain XML read from now on (one per
 * process; a second open is ignored). Nothing is read until a lookup.
 */
void vm_memo_open(const char *path);
/* Write the memo when this run parsed a domain it did not hold, then stop
 * using it. Best effort: a memo not written costs a parse next time. */
void vm_memo_close(void);
/*
 * The facts of exactly this XML (source and origin left to the caller):
 * true, *vm filled (its pci array malloc'd); false: parse it.
 */
bool vm_memo_find(const char *xml, size_t len, struct vm_facts *vm);
/* Remember the facts of xml (parsed this run). */
void vm_memo_add(const char *xml, size_t len, const struct vm_facts *vm);
/* The facts' form (equal forms, equal facts but source and origin), for
 * the test build's check of a memo against a parse. */
bool vm_memo_same(const struct vm_facts *a, const struct vm_facts *b);

#endif
