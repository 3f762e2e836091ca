// SPDX-License-Identifier: MIT
/*
 * Domain XML facts kept across runs (vm_memo.h). The memo holds, per
 * domain, the XML's bytes and its facts in a binary form; a lookup
 * compares the whole XML (a 64-bit hash only picks the candidate). expat
 * cost 150 K instructions a domain, 19 M for a fleet host's 127; a lookup
 * costs the hash and one compare.
 */
#include "controller/sources/vm_memo.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/memo.h"

/* 2: huge page backings carry their host node set (a memo of 1 lacks it
 * and is a miss, never facts without the binding). */
#define MEMO_KIND "domains 2"
/* Beyond this many domains the memo keeps those used by the last run. */
#define VM_MEMO_MAX 4096

struct entry {
	uint64_t hash;
	char *xml; /* not NUL-terminated */
	size_t len;
	char *form;
	size_t form_len;
	bool used;
};

static struct {
	bool open, loaded, dirty;
	char *path;
	struct entry *e;
	size_t n, cap;
} memo;

/* FNV-1a over 8-byte words: picks the candidate; the bytes decide. */
static uint64_t hash_of(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull ^ len;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, s + i, sizeof(w));
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	for (; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

void vm_facts_form_put(struct buf *b, const struct vm_facts *f)
{
	memo_put_str(b, f->name);
	memo_put_str(b, f->uuid);
	memo_put_u64(b, f->memory_bytes);
	memo_put_u64(b, f->hugepages);
	memo_put_u64(b, f->nhuge);
	for (size_t i = 0; i < f->nhuge; i++) {
		memo_put_u64(b, f->huge[i].page_bytes);
		memo_put_u64(b, f->huge[i].host_nodes);
		memo_put_u64(b, f->huge[i].bytes);
	}
	memo_put_u64(b, f->pending_ifaces);
	memo_put_str(b, f->class_name);
	memo_put_u64(b, f->npci);
	for (size_t i = 0; i < f->npci; i++)
		memo_put_str(b, f->pci[i]);
}

bool vm_facts_form_get(struct memo_reader *r, struct vm_facts *f)
{
	struct iq_err ignored = {0};
	uint64_t n;

	memo_get_str(r, f->name, sizeof(f->name));
	memo_get_str(r, f->uuid, sizeof(f->uuid));
	f->memory_bytes = memo_get_u64(r);
	f->hugepages = memo_get_u64(r) != 0;
	n = memo_get_u64(r);
	if (n > VM_HUGE_MAX)
		return false;
	for (uint64_t i = 0; i < n && r->ok; i++) {
		uint64_t page_bytes = memo_get_u64(r);
		uint64_t nodes = memo_get_u64(r);
		uint64_t bytes = memo_get_u64(r);

		if (vm_add_huge(f, page_bytes, nodes, bytes, &ignored))
			return false;
	}
	n = memo_get_u64(r);
	if (n > UINT32_MAX)
		return false;
	f->pending_ifaces = (unsigned)n;
	memo_get_str(r, f->class_name, sizeof(f->class_name));
	n = memo_get_u64(r);
	/* Each address takes a byte at least: a torn count allocates
	 * nothing large. */
	if (!r->ok || n > VM_MAX_PCI || n > r->len - r->pos)
		return false;
	for (uint64_t i = 0; i < n && r->ok; i++) {
		char pci[64];

		memo_get_str(r, pci, sizeof(pci));
		if (r->ok && vm_add_pci(f, pci, &ignored))
			return false;
	}
	return r->ok;
}

static void put_facts(struct buf *b, const struct vm_facts *f)
{
	vm_facts_form_put(b, f);
	memo_put_u64(b, f->hidden_vfs);
}

static bool get_facts(struct memo_reader *r, struct vm_facts *f)
{
	memset(f, 0, sizeof(*f));
	if (!vm_facts_form_get(r, f))
		return false;
	f->hidden_vfs = (unsigned)memo_get_u64(r);
	return r->ok && r->pos == r->len;
}

static bool push(const char *xml, size_t len, const char *form, size_t form_len,
		 bool used)
{
	struct entry *e;

	if (memo.n == memo.cap) {
		size_t cap = memo.cap ? memo.cap * 2 : 256;
		struct entry *grown = realloc(memo.e, cap * sizeof(*grown));

		if (!grown)
			return false;
		memo.e = grown;
		memo.cap = cap;
	}
	e = &memo.e[memo.n];
	e->xml = malloc(len ? len : 1);
	e->form = malloc(form_len ? form_len : 1);
	if (!e->xml || !e->form) {
		free(e->xml);
		free(e->form);
		return false;
	}
	memcpy(e->xml, xml, len);
	memcpy(e->form, form, form_len);
	e->len = len;
	e->form_len = form_len;
	e->hash = hash_of(xml, len);
	e->used = used;
	memo.n++;
	return true;
}

/*
 * What the facts depend on besides the XML: the system page size (a
 * <page> of that size is ordinary memory, vm_libvirt_memory.c). It is the
 * kernel's, not the binary's: one arm64 binary runs under 4 KiB and 64 KiB
 * page kernels, and a memo made under one would charge a 64 KiB <page> as
 * huge pages under the other. The memo's input, so another size is a miss.
 */
static size_t host_context(char *out, size_t len)
{
	int n = snprintf(out, len, "system page size %ld",
			 sysconf(_SC_PAGESIZE));

	return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

/* The blob: a count, then per domain the XML and the form. */
static void load(void)
{
	struct memo_reader r = {.ok = true};
	struct memo_view v;
	char ctx[64];
	size_t ctx_len = host_context(ctx, sizeof(ctx));
	uint64_t n;

	memo.loaded = true;
	if (!memo_read(memo.path, MEMO_KIND, ctx, ctx_len, &v))
		return;
	r.data = v.blob;
	r.len = v.blob_len;
	n = memo_get_u64(&r);
	for (uint64_t i = 0; i < n && r.ok && i < VM_MEMO_MAX; i++) {
		uint64_t len = memo_get_u64(&r);
		const char *xml = memo_take(&r, (size_t)len);
		uint64_t form_len = memo_get_u64(&r);
		const char *form = memo_take(&r, (size_t)form_len);

		if (r.ok &&
		    !push(xml, (size_t)len, form, (size_t)form_len, false))
			break;
	}
	memo_release(&v);
}

void vm_memo_open(const char *path)
{
	if (memo.open || !path)
		return;
	memo.path = strdup(path);
	memo.open = memo.path != NULL;
}

static void save(void)
{
	struct buf b = {.ok = true};
	struct iq_err ignored = {0};
	char ctx[64];
	size_t ctx_len = host_context(ctx, sizeof(ctx));
	size_t keep = 0;

	/* Those this run used first; others while there is room. */
	for (size_t i = 0; i < memo.n; i++)
		keep += memo.e[i].used || memo.n <= VM_MEMO_MAX;
	memo_put_u64(&b, keep);
	for (size_t i = 0; i < memo.n; i++) {
		if (!memo.e[i].used && memo.n > VM_MEMO_MAX)
			continue;
		memo_put_u64(&b, memo.e[i].len);
		buf_put(&b, memo.e[i].xml, memo.e[i].len);
		memo_put_u64(&b, memo.e[i].form_len);
		buf_put(&b, memo.e[i].form, memo.e[i].form_len);
	}
	if (b.ok)
		(void)memo_write(memo.path, MEMO_KIND, ctx, ctx_len, b.data,
				 b.len, &ignored);
	buf_free(&b);
}

void vm_memo_close(void)
{
	if (memo.open && memo.dirty)
		save();
	for (size_t i = 0; i < memo.n; i++) {
		free(memo.e[i].xml);
		free(memo.e[i].form);
	}
	free(memo.e);
	free(memo.path);
	memset(&memo, 0, sizeof(memo));
}

bool vm_memo_find(const char *xml, size_t len, struct vm_facts *vm)
{
	uint64_t h;

	if (!memo.open)
		return false;
	if (!memo.loaded)
		load();
	h = hash_of(xml, len);
	for (size_t i = 0; i < memo.n; i++) {
		struct entry *e = &memo.e[i];
		struct memo_reader r = {
			.data = e->form, .len = e->form_len, .ok = true};

		if (e->hash != h || e->len != len ||
		    memcmp(e->xml, xml, len) != 0)
			continue; /* another domain's XML */
		if (!get_facts(&r, vm)) {
			vm_facts_free(vm);
			return false;
		}
		e->used = true;
		return true;
	}
	return false;
}

void vm_memo_add(const char *xml, size_t len, const struct vm_facts *vm)
{
	struct buf b = {.ok = true};

	if (!memo.open)
		return;
	put_facts(&b, vm);
	if (b.ok && push(xml, len, b.data, b.len, true))
		memo.dirty = true;
	buf_free(&b);
}

bool vm_memo_same(const struct vm_facts *a, const struct vm_facts *b)
{
	struct buf x = {.ok = true}, y = {.ok = true};
	bool same;

	put_facts(&x, a);
	put_facts(&y, b);
	same = x.ok && y.ok && x.len == y.len &&
	       memcmp(x.data, y.data, x.len) == 0;
	buf_free(&x);
	buf_free(&y);
	return same;
}
