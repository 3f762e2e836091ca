// SPDX-License-Identifier: MIT
/*
 * Writing the journal (state.h): one compact record per line, crash-safe
 * (temp file, fsync, rename), and no write when the bytes would not change.
 */
#include "controller/core/state.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "controller/core/state_json.h"
#include "lib/file.h"
#include "lib/json_writer.h"
#include "lib/size.h"

/* Sizes as json_size() writes them: bytes, or "unlimited". */
static void put_size(struct buf *w, const char *key, uint64_t bytes)
{
	jw_key(w, key, false);
	if (bytes == IQ_UNLIMITED)
		jw_str(w, "unlimited");
	else
		jw_u64(w, bytes);
}

static void put_vm(struct buf *w, const struct state_vm *vm)
{
	const struct vm_facts *f = &vm->facts;

	jw_raw(w, "{");
	jw_key(w, "name", true);
	jw_str(w, f->name);
	jw_key(w, "uuid", false);
	jw_str(w, f->uuid);
	put_size(w, "memory_bytes", f->memory_bytes);
	jw_key(w, "hugepages", false);
	jw_bool(w, f->hugepages);
	jw_key(w, "huge", false);
	jw_raw(w, "[");
	for (size_t i = 0; i < f->nhuge; i++) {
		jw_raw(w, i ? ",{" : "{");
		jw_key(w, "page_bytes", true);
		if (f->huge[i].page_bytes == IQ_UNLIMITED)
			jw_str(w, "unlimited");
		else
			jw_u64(w, f->huge[i].page_bytes);
		put_size(w, "bytes", f->huge[i].bytes);
		/* The host nodes the backing is bound to; absent: any. */
		if (f->huge[i].host_nodes) {
			bool first = true;

			jw_key(w, "host_nodes", false);
			jw_raw(w, "[");
			for (int n = 0; n < 64; n++) {
				if (!(f->huge[i].host_nodes >> n & 1))
					continue;
				if (!first)
					jw_raw(w, ",");
				jw_i64(w, n);
				first = false;
			}
			jw_raw(w, "]");
		}
		jw_raw(w, "}");
	}
	jw_raw(w, "]");
	jw_key(w, "pending_interfaces", false);
	jw_i64(w, (int)f->pending_ifaces);
	jw_key(w, "class", false);
	jw_str(w, f->class_name);
	jw_key(w, "pci", false);
	jw_raw(w, "[");
	for (size_t i = 0; i < f->npci; i++) {
		if (i)
			jw_raw(w, ",");
		jw_str(w, f->pci[i]);
	}
	jw_raw(w, "]");
	jw_key(w, "source", false);
	jw_str(w, vm_source(f));
	jw_key(w, "origin", false);
	jw_str(w, vm->origin);
	jw_key(w, "vmm", false);
	jw_str(w, f->origin);
	jw_key(w, "started", false);
	jw_i64(w, vm->started);
	jw_key(w, "scaled", false);
	jw_bool(w, vm->scale.scaled);
	if (vm->scale.scaled) {
		put_size(w, "scaled_cap_bytes", vm->scale.cap_bytes);
		put_size(w, "scaled_from_bytes", vm->scale.from_bytes);
		put_size(w, "scaled_short_bytes", vm->scale.short_bytes);
	}
	jw_raw(w, "}");
}

static void put_vf(struct buf *w, const struct state_vf *vf)
{
	jw_raw(w, "{");
	jw_key(w, "pci", true);
	jw_str(w, vf->pci);
	jw_key(w, "pf", false);
	jw_str(w, vf->pf);
	jw_key(w, "vhca_id", false);
	jw_u64(w, vf->vhca_id);
	jw_key(w, "vm", false);
	jw_str(w, vf->vm);
	put_size(w, "cap_bytes", vf->cap_bytes);
	jw_key(w, "rule", false);
	jw_str(w, vf->rule);
	jw_key(w, "policy_digest", false);
	jw_str(w, vf->policy_digest);
	jw_key(w, "time", false);
	jw_i64(w, vf->time);
	if (vf->hwm_since) {
		jw_key(w, "hwm_since", false);
		jw_i64(w, vf->hwm_since);
	}
	if (vf->group_id) {
		jw_key(w, "group_id", false);
		jw_u64(w, vf->group_id);
		put_size(w, "group_cap_bytes", vf->group_cap_bytes);
	}
	jw_raw(w, "}");
}

/*
 * The file: the header fields, then one VM or VF per line. Compact records
 * read back several times faster than an indented tree (a fleet host has
 * 1,016 VFs), and a line per record keeps the file greppable and its diffs
 * one line per change. Written with lib/json_writer.c: the text json-c
 * would write, at a tenth of the cost.
 */
static void state_text(const struct state *state, struct buf *w)
{
	jw_raw(w, "{\n  \"version\":");
	jw_u64(w, STATE_VERSION);
	jw_raw(w, ",\n  \"released_hugepages\":");
	jw_u64(w, state->released_hugepages);
	jw_raw(w, ",\n  \"boot_id\":");
	jw_str(w, state->boot_id);
	jw_raw(w, ",\n  \"vms\":[\n");
	for (size_t i = 0; i < state->nvms; i++) {
		jw_raw(w, "    ");
		put_vm(w, &state->vms[i]);
		jw_raw(w, i + 1 == state->nvms ? "\n" : ",\n");
	}
	jw_raw(w, "  ],\n  \"vfs\":[\n");
	for (size_t i = 0; i < state->nvfs; i++) {
		jw_raw(w, "    ");
		put_vf(w, &state->vfs[i]);
		jw_raw(w, i + 1 == state->nvfs ? "\n" : ",\n");
	}
	jw_raw(w, "  ]\n}\n");
}

int state_save(const char *path, const struct state *state, struct iq_err *err)
{
	struct buf w = {.ok = true};
	const char *text;
	char *form = NULL;
	size_t form_len = 0;
	int rc;

	/*
	 * Nothing changed since the load (a reconcile that found every cap
	 * right): the fields are the ones loaded, so the file already holds
	 * the text; no formatting, no write.
	 */
	if (state_form(state, &form, &form_len) == IQ_OK &&
	    state->loaded_form && form_len == state->loaded_form_len &&
	    memcmp(form, state->loaded_form, form_len) == 0) {
		free(form);
		file_remove_stale_tmp(path);
		return IQ_OK;
	}
	state_text(state, &w);
	if (!w.ok) {
		buf_free(&w);
		free(form);
		return iq_fail(err, IQ_EENV,
			       "cannot write journal %s: out of memory", path);
	}
	text = w.data;

	/*
	 * Nothing changed since the load (a reconcile that found every cap
	 * right): the file already holds these bytes, no write, no fsync.
	 */
	if (state->loaded_text && strcmp(state->loaded_text, text) == 0) {
		buf_free(&w);
		free(form);
		/* Leftovers of killed runs go all the same (we hold the lock). */
		file_remove_stale_tmp(path);
		return IQ_OK;
	}
	rc = state_mkdir_parent(path, err);
	if (rc == IQ_OK)
		rc = file_write_atomic(path, text, w.len, true, err);
	/* The next run reads what was written without parsing it. */
	if (rc == IQ_OK && form)
		state_memo_write(path, text, w.len, form, form_len);
	free(form);
	buf_free(&w);
	if (rc)
		return iq_err_prefix(
			err,
			"cannot write journal (the firmware is programmed; "
			"free space (the .memo files beside the journal may "
			"be deleted) or fix permissions, then run icmquota "
			"apply)");
	return IQ_OK;
}
