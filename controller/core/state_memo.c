// SPDX-License-Identifier: MIT
/*
 * The journal's memo (lib/memo.h), state.json.memo: the journal's fields
 * in a binary form kept beside it, so a run whose journal holds the bytes
 * the last run wrote reads it without parsing JSON (a fleet host's journal,
 * 1,016 VFs, costs 36 M instructions to parse, the memo a few hundred
 * thousand). The same form, kept as loaded, tells state_save whether
 * the journal's text would change without formatting it.
 *
 * The form holds exactly what the journal's text holds (state_save.c,
 * state_load.c), with the same conditions (a group's budget only with its
 * group, a scaled cap only when scaled), and a read applies the same
 * normalisation as a parse: a memo read gives what a parse of the text
 * would. The test build checks that on every read (MEMO_VERIFY).
 */
#include "controller/core/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/core/state_json.h"
#include "controller/sources/vm_memo.h"
#include "lib/memo.h"

/* 2: huge page backings carry their host node set; 3: a scaled VM's
 * scaling carries what it was scaled from and how short the host was (an
 * older memo lacks them and is a miss: the journal is parsed). */
#define MEMO_KIND "journal 3"

static void put_vm(struct buf *b, const struct state_vm *vm)
{
	const struct vm_facts *f = &vm->facts;

	vm_facts_form_put(b, f);
	memo_put_str(b, vm_source(f));
	memo_put_str(b, vm->origin);
	memo_put_str(b, f->origin);
	memo_put_u64(b, (uint64_t)vm->started);
	memo_put_u64(b, vm->scale.scaled);
	memo_put_u64(b, vm->scale.scaled ? vm->scale.cap_bytes : 0);
	memo_put_u64(b, vm->scale.scaled ? vm->scale.from_bytes : 0);
	memo_put_u64(b, vm->scale.scaled ? vm->scale.short_bytes : 0);
}

static void put_vf(struct buf *b, const struct state_vf *vf)
{
	memo_put_str(b, vf->pci);
	memo_put_str(b, vf->pf);
	memo_put_u64(b, vf->vhca_id);
	memo_put_str(b, vf->vm);
	memo_put_u64(b, vf->cap_bytes);
	memo_put_str(b, vf->rule);
	memo_put_str(b, vf->policy_digest);
	memo_put_u64(b, (uint64_t)vf->time);
	memo_put_u64(b, (uint64_t)vf->hwm_since);
	memo_put_u64(b, vf->group_id);
	memo_put_u64(b, vf->group_id ? vf->group_cap_bytes : 0);
}

int state_form(const struct state *state, char **form, size_t *len)
{
	struct buf b = {.ok = true};

	memo_put_u64(&b, state->released_hugepages);
	memo_put_str(&b, state->boot_id);
	memo_put_u64(&b, state->nvms);
	memo_put_u64(&b, state->nvfs);
	for (size_t i = 0; i < state->nvms; i++)
		put_vm(&b, &state->vms[i]);
	for (size_t i = 0; i < state->nvfs; i++)
		put_vf(&b, &state->vfs[i]);
	if (!b.ok) {
		buf_free(&b);
		return IQ_EENV;
	}
	*form = b.data;
	*len = b.len;
	return IQ_OK;
}

/* A count that the rest of the form could hold (an entry is at least a
 * byte): a torn count cannot make a huge allocation. */
static bool count_fits(const struct memo_reader *r, uint64_t n)
{
	return r->ok && n <= r->len - r->pos;
}

static bool get_vm(struct memo_reader *r, struct state_vm *vm)
{
	struct vm_facts *f = &vm->facts;
	struct iq_err ignored = {0};
	char source[VM_SOURCE_MAX + 1];

	if (!vm_facts_form_get(r, f))
		return false;
	memo_get_str(r, source, sizeof(source));
	/* Out of memory: a miss, and the parse that follows reports it. */
	if (r->ok && vm_set_source(f, source, &ignored))
		return false;
	memo_get_str(r, vm->origin, sizeof(vm->origin));
	memo_get_str(r, f->origin, sizeof(f->origin));
	vm->started = (int64_t)memo_get_u64(r);
	vm->scale.scaled = memo_get_u64(r) != 0;
	vm->scale.cap_bytes = memo_get_u64(r);
	vm->scale.from_bytes = memo_get_u64(r);
	vm->scale.short_bytes = memo_get_u64(r);
	state_vm_defaults(vm);
	return r->ok && f->name[0];
}

static bool get_vf(struct memo_reader *r, struct state_vf *vf)
{
	char text[64];
	uint64_t v;

	memo_get_str(r, text, sizeof(text));
	if (!r->ok || !pci_addr_normalize(text, vf->pci))
		return false;
	memo_get_str(r, text, sizeof(text));
	if (!r->ok || (text[0] && !pci_addr_normalize(text, vf->pf)))
		return false;
	v = memo_get_u64(r);
	vf->vhca_id = (uint16_t)v;
	if (v > UINT16_MAX)
		return false;
	memo_get_str(r, vf->vm, sizeof(vf->vm));
	vf->cap_bytes = memo_get_u64(r);
	memo_get_str(r, vf->rule, sizeof(vf->rule));
	memo_get_str(r, vf->policy_digest, sizeof(vf->policy_digest));
	vf->time = (int64_t)memo_get_u64(r);
	vf->hwm_since = (int64_t)memo_get_u64(r);
	v = memo_get_u64(r);
	vf->group_id = (uint16_t)v;
	vf->group_cap_bytes = memo_get_u64(r);
	return r->ok && v <= UINT16_MAX;
}

static bool state_from_form(const char *form, size_t len, struct state *state)
{
	struct memo_reader r = {.data = form, .len = len, .ok = true};
	uint64_t nvms, nvfs;

	memset(state, 0, sizeof(*state));
	state->released_hugepages = memo_get_u64(&r);
	memo_get_str(&r, state->boot_id, sizeof(state->boot_id));
	nvms = memo_get_u64(&r);
	nvfs = memo_get_u64(&r);
	if (!count_fits(&r, nvms) || !count_fits(&r, nvfs))
		return false;
	state->vms = calloc(nvms ? nvms : 1, sizeof(*state->vms));
	state->vfs = calloc(nvfs ? nvfs : 1, sizeof(*state->vfs));
	if (!state->vms || !state->vfs)
		goto bad;
	for (size_t i = 0; i < nvms; i++) {
		state->nvms = i + 1;
		if (!get_vm(&r, &state->vms[i]))
			goto bad;
	}
	for (size_t i = 0; i < nvfs; i++) {
		state->nvfs = i + 1;
		if (!get_vf(&r, &state->vfs[i]))
			goto bad;
	}
	if (r.pos != r.len || !state_is_sorted(state))
		goto bad;
	return true;
bad:
	state_free(state);
	return false;
}

static int memo_path(const char *journal, char *out, size_t len)
{
	return (size_t)snprintf(out, len, "%s.memo", journal) < len ? IQ_OK
								    : IQ_EENV;
}

bool state_memo_read(const char *journal, const char *text, size_t len,
		     struct state *state)
{
	char path[4096];
	struct memo_view v;
	const char *form;
	size_t form_len;
	bool hit;

	if (!memo_worth(len) || memo_path(journal, path, sizeof(path)) ||
	    !memo_read(path, MEMO_KIND, text, len, &v))
		return false;
	form = v.blob;
	form_len = v.blob_len;
	hit = state_from_form(form, form_len, state);
	if (hit) {
		state->loaded_form = malloc(form_len ? form_len : 1);
		hit = state->loaded_form != NULL;
		if (hit) {
			memcpy(state->loaded_form, form, form_len);
			state->loaded_form_len = form_len;
		} else {
			state_free(state);
		}
	}
	memo_release(&v);
	return hit;
}

void state_memo_write(const char *journal, const char *text, size_t len,
		      const char *form, size_t form_len)
{
	struct iq_err ignored = {0};
	char path[4096];

	/*
	 * Best effort, and why no error reaches the user: without a memo
	 * the next run parses the journal, as every run did before memos
	 * (a read-only status by a non-root user cannot write one).
	 */
	if (memo_worth(len) && memo_path(journal, path, sizeof(path)) == IQ_OK)
		(void)memo_write(path, MEMO_KIND, text, len, form, form_len,
				 &ignored);
}
