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

#include <json-c/json.h>
#include <json-c/printbuf.h>
#include <sys/stat.h>

#include "controller/core/state_json.h"
#include "lib/file.h"
#include "lib/json.h"

static json_object *vm_json(const struct state_vm *vm)
{
	json_object *o = json_object_new_object();
	json_object *pci = json_object_new_array();

	json_object_object_add(o, "name",
			       json_object_new_string(vm->facts.name));
	json_object_object_add(o, "uuid",
			       json_object_new_string(vm->facts.uuid));
	json_object_object_add(o, "memory_bytes",
			       json_size(vm->facts.memory_bytes));
	json_object_object_add(o, "hugepages",
			       json_object_new_boolean(vm->facts.hugepages));
	json_object *huge = json_object_new_array();

	for (size_t i = 0; i < vm->facts.nhuge; i++) {
		json_object *h = json_object_new_object();

		json_object_object_add(h, "page_bytes",
				       json_size(vm->facts.huge[i].page_bytes));
		json_object_object_add(h, "bytes",
				       json_size(vm->facts.huge[i].bytes));
		json_object_array_add(huge, h);
	}
	json_object_object_add(o, "huge", huge);
	json_object_object_add(
		o, "pending_interfaces",
		json_object_new_int((int)vm->facts.pending_ifaces));
	json_object_object_add(o, "class",
			       json_object_new_string(vm->facts.class_name));
	for (size_t i = 0; i < vm->facts.npci; i++)
		json_object_array_add(pci,
				      json_object_new_string(vm->facts.pci[i]));
	json_object_object_add(o, "pci", pci);
	json_object_object_add(o, "source",
			       json_object_new_string(vm->facts.source));
	json_object_object_add(o, "origin", json_object_new_string(vm->origin));
	json_object_object_add(o, "vmm",
			       json_object_new_string(vm->facts.origin));
	json_object_object_add(o, "started",
			       json_object_new_int64(vm->started));
	json_object_object_add(o, "scaled",
			       json_object_new_boolean(vm->scale.scaled));
	if (vm->scale.scaled) {
		json_object_object_add(o, "scaled_cap_bytes",
				       json_size(vm->scale.cap_bytes));
		json_object_object_add(o, "scaled_from_bytes",
				       json_size(vm->scale.from_bytes));
		json_object_object_add(o, "scaled_short_bytes",
				       json_size(vm->scale.short_bytes));
	}
	return o;
}

static json_object *vf_json(const struct state_vf *vf)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "pci", json_object_new_string(vf->pci));
	json_object_object_add(o, "pf", json_object_new_string(vf->pf));
	json_object_object_add(o, "vhca_id", json_object_new_int(vf->vhca_id));
	json_object_object_add(o, "vm", json_object_new_string(vf->vm));
	json_object_object_add(o, "cap_bytes", json_size(vf->cap_bytes));
	json_object_object_add(o, "rule", json_object_new_string(vf->rule));
	json_object_object_add(o, "policy_digest",
			       json_object_new_string(vf->policy_digest));
	json_object_object_add(o, "time", json_object_new_int64(vf->time));
	if (vf->hwm_since)
		json_object_object_add(o, "hwm_since",
				       json_object_new_int64(vf->hwm_since));
	if (vf->group_id) {
		json_object_object_add(o, "group_id",
				       json_object_new_int(vf->group_id));
		json_object_object_add(o, "group_cap_bytes",
				       json_size(vf->group_cap_bytes));
	}
	return o;
}

/* Append one record, compact, on a line of its own. */
static int put_record(struct printbuf *b, json_object *o, bool last)
{
	const char *t = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	/* memappend: sprintbuf would format twice for a long record. */
	int rc = printbuf_memappend(b, "    ", 4) < 0 ||
		 printbuf_memappend(b, t, (int)strlen(t)) < 0 ||
		 printbuf_memappend(b, last ? "\n" : ",\n", last ? 1 : 2) < 0;

	json_object_put(o);
	return rc;
}

/*
 * The file: the header fields, then one VM or VF per line. Compact records
 * read back several times faster than an indented tree (a fleet host has
 * 1,016 VFs), and a line per record keeps the file greppable and its diffs
 * one line per change.
 */
static int state_text(const struct state *state, struct printbuf *b)
{
	json_object *id = json_object_new_string(state->boot_id);
	int rc = sprintbuf(b,
			   "{\n  \"version\":%d,\n  "
			   "\"released_hugepages\":%" PRIu64
			   ",\n  \"boot_id\":%s,\n  \"vms\":[\n",
			   STATE_VERSION, state->released_hugepages,
			   json_object_to_json_string_ext(
				   id,
				   JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE)) < 0;

	json_object_put(id);
	for (size_t i = 0; rc == IQ_OK && i < state->nvms; i++)
		rc = put_record(b, vm_json(&state->vms[i]),
				i + 1 == state->nvms);
	if (rc == IQ_OK)
		rc = sprintbuf(b, "  ],\n  \"vfs\":[\n") < 0;
	for (size_t i = 0; rc == IQ_OK && i < state->nvfs; i++)
		rc = put_record(b, vf_json(&state->vfs[i]),
				i + 1 == state->nvfs);
	if (rc == IQ_OK)
		rc = sprintbuf(b, "  ]\n}\n") < 0;
	return rc;
}

int state_save(const char *path, const struct state *state, struct iq_err *err)
{
	struct printbuf *b;
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
	b = printbuf_new();
	if (!b || state_text(state, b)) {
		free(form);
		printbuf_free(b);
		return iq_fail(err, IQ_EENV,
			       "cannot write journal %s: out of memory", path);
	}
	text = b->buf;

	/*
	 * Nothing changed since the load (a reconcile that found every cap
	 * right): the file already holds these bytes, no write, no fsync.
	 */
	if (state->loaded_text && strcmp(state->loaded_text, text) == 0) {
		printbuf_free(b);
		free(form);
		/* Leftovers of killed runs go all the same (we hold the lock). */
		file_remove_stale_tmp(path);
		return IQ_OK;
	}
	rc = state_mkdir_parent(path, err);
	if (rc == IQ_OK)
		rc = file_write_atomic(path, text, (size_t)b->bpos, true, err);
	/* The next run reads what was written without parsing it. */
	if (rc == IQ_OK && form)
		state_memo_write(path, text, (size_t)b->bpos, form, form_len);
	free(form);
	printbuf_free(b);
	if (rc)
		return iq_err_prefix(
			err,
			"cannot write journal (the firmware is programmed; "
			"free space or fix permissions, then run icmquota "
			"apply)");
	return IQ_OK;
}
