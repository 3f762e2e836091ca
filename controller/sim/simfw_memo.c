// SPDX-License-Identifier: MIT
/*
 * A PF's simulated firmware state in a memo (simfw_memo.h). A device
 * answers a command from its memory; parsing a PF's JSON file with json-c
 * cost 3 M instructions per process, 25 M on a fleet host of 8 PFs, more
 * than the commands themselves. The form holds every field the file holds,
 * range-checked on the way back as the file's reader checks them.
 */
#include "controller/sim/simfw_memo.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/memo.h"
#include "lib/pci.h"

#define MEMO_KIND "simfw 1"

static void put_pf(struct buf *b, const struct simfw_pf *pf)
{
	memo_put_str(b, pf->pci);
	memo_put_u64(b, pf->total_icm);
	memo_put_u64(b, pf->nic_cap_reg);
	memo_put_u64(b, pf->vhca_icm_ctrl);
	memo_put_u64(b, pf->group_id_max);
	memo_put_u64(b, pf->enabled_vfs);
	memo_put_u64(b, pf->inject_status);
	memo_put_u64(b, pf->inject_count);
	memo_put_u64(b, pf->inject_after);
	memo_put_u64(b, pf->access_register_user);
	memo_put_u64(b, pf->cap_round);
	memo_put_u64(b, pf->nfuncs);
	for (size_t i = 0; i < pf->nfuncs; i++) {
		const struct simfw_func *fn = &pf->funcs[i];

		memo_put_u64(b, fn->function_id);
		memo_put_u64(b, fn->vhca_id);
		memo_put_u64(b, fn->cap);
		memo_put_u64(b, fn->cur);
		memo_put_u64(b, fn->max_reached);
		memo_put_u64(b, fn->group);
		memo_put_u64(b, fn->granted);
		memo_put_u64(b, fn->refused);
	}
	/* A group's cur is derived from its members (recomputed). */
	for (uint16_t g = 0; g < pf->group_id_max; g++) {
		memo_put_u64(b, pf->groups[g].id);
		memo_put_u64(b, pf->groups[g].cap);
		memo_put_u64(b, pf->groups[g].max_reached);
	}
}

/* The next value, at most max (else the reader fails). */
static uint64_t get(struct memo_reader *r, uint64_t max)
{
	uint64_t v = memo_get_u64(r);

	if (v > max)
		r->ok = false;
	return v;
}

static bool get_pf(struct memo_reader *r, struct simfw_pf *pf)
{
	char pci[64];
	uint64_t n;

	memo_get_str(r, pci, sizeof(pci));
	if (!r->ok || !pci_addr_normalize(pci, pf->pci))
		return false;
	pf->total_icm = (uint32_t)get(r, UINT32_MAX);
	pf->nic_cap_reg = get(r, 1);
	pf->vhca_icm_ctrl = get(r, 1);
	pf->group_id_max = (uint16_t)get(r, UINT16_MAX);
	pf->enabled_vfs = (uint16_t)get(r, UINT16_MAX);
	pf->inject_status = (uint8_t)get(r, 0xff);
	pf->inject_count = (uint32_t)get(r, UINT32_MAX);
	pf->inject_after = (uint32_t)get(r, UINT32_MAX);
	pf->access_register_user = get(r, 1);
	pf->cap_round = (uint32_t)get(r, UINT32_MAX);
	n = get(r, UINT16_MAX);
	if (!r->ok || n == 0 || n > (r->len - r->pos) / 8)
		return false;
	pf->funcs = calloc((size_t)n, sizeof(*pf->funcs));
	if (pf->group_id_max)
		pf->groups = calloc(pf->group_id_max, sizeof(*pf->groups));
	if (!pf->funcs || (pf->group_id_max && !pf->groups))
		return false;
	pf->nfuncs = (size_t)n;
	for (size_t i = 0; i < pf->nfuncs && r->ok; i++) {
		struct simfw_func *fn = &pf->funcs[i];

		fn->function_id = (uint16_t)get(r, UINT16_MAX);
		fn->vhca_id = (uint16_t)get(r, UINT16_MAX);
		fn->cap = (uint32_t)get(r, UINT32_MAX);
		fn->cur = (uint32_t)get(r, UINT32_MAX);
		fn->max_reached = (uint32_t)get(r, UINT32_MAX);
		fn->group = (uint16_t)get(r, pf->group_id_max);
		fn->granted = get(r, INT64_MAX);
		fn->refused = get(r, INT64_MAX);
	}
	for (uint16_t g = 0; g < pf->group_id_max && r->ok; g++) {
		pf->groups[g].id = (uint16_t)get(r, UINT16_MAX);
		pf->groups[g].cap = (uint32_t)get(r, UINT32_MAX);
		pf->groups[g].max_reached = (uint32_t)get(r, UINT32_MAX);
		if (pf->groups[g].id != g + 1)
			r->ok = false;
	}
	return r->ok && r->pos == r->len;
}

bool simfw_memo_read(const char *memo_path, const char *text, size_t len,
		     struct simfw_pf *pf)
{
	struct memo_reader r = {.ok = true};
	struct memo_view v;
	bool hit;

	memset(pf, 0, sizeof(*pf));
	if (!memo_read(memo_path, MEMO_KIND, text, len, &v))
		return false;
	r.data = v.blob;
	r.len = v.blob_len;
	hit = get_pf(&r, pf);
	memo_release(&v);
	if (hit) {
		simfw_groups_recompute(pf);
		hit = simfw_pf_index(pf) == 0;
	}
	if (!hit)
		simfw_pf_free(pf);
	return hit;
}

void simfw_memo_write(const char *memo_path, const char *text, size_t len,
		      const struct simfw_pf *pf)
{
	struct buf b = {.ok = true};
	struct iq_err ignored = {0};

	put_pf(&b, pf);
	/* Best effort: without a memo the next process parses the file. */
	if (b.ok)
		(void)memo_write(memo_path, MEMO_KIND, text, len, b.data, b.len,
				 &ignored);
	buf_free(&b);
}

bool simfw_memo_same(const struct simfw_pf *a, const struct simfw_pf *b)
{
	struct buf x = {.ok = true}, y = {.ok = true};
	bool same;

	put_pf(&x, a);
	put_pf(&y, b);
	same = x.ok && y.ok && x.len == y.len &&
	       memcmp(x.data, y.data, x.len) == 0;
	buf_free(&x);
	buf_free(&y);
	return same;
}
