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
#include "lib/memo.h"

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
/*
 * The facts both memos keep (this one and the journal's): name, uuid,
 * memory and its huge page backings, pending interfaces, class, PCI
 * addresses; not hidden_vfs, source or origin. Read back through
 * vm_add_huge() and vm_add_pci(), as a parse builds facts: false when
 * the form is torn or holds what a parse would refuse.
 */
void vm_facts_form_put(struct buf *b, const struct vm_facts *f);
bool vm_facts_form_get(struct memo_reader *r, struct vm_facts *f);

/* The facts' form (equal forms, equal facts but source and origin), for
 * the test build's check of a memo against a parse. */
bool vm_memo_same(const struct vm_facts *a, const struct vm_facts *b);

#endif
