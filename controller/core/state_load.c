// SPDX-License-Identifier: MIT
/*
 * Reading the journal (state.h): state.json parsed with json-c and checked
 * against its schema, strictly; a journal unchanged since an earlier read
 * is taken from that read (state_load_reusing).
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

#include "controller/core/state_json.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/pci.h"
#include "lib/size.h"
#include "lib/text.h"

/*
 * The journal's schema, checked strictly: a value of the wrong type, a
 * negative size, a string with a NUL or too long for its field, an
 * unknown key, a duplicate entry or trailing text is a corrupt journal
 * (IQ_EENV naming the file and the field), never read as a default: a
 * journal read wrongly would make apply idle running VMs' VFs.
 */
/*
 * What to do with a corrupt journal. Moving it aside alone would be
 * wrong: an apply with no VM source then knows no running VM and idles
 * their VFs, so the advice names the sources.
 */
#define JOURNAL_FIX                                                            \
	"move it aside, then run icmquota apply with every VM source "         \
	"(--connect URI, --ch-socket-dir DIR): running VMs keep their caps "   \
	"only if a source lists them"

struct jctx {
	const char *path;
	struct iq_err *err;
};

static int corrupt(struct jctx *j, const char *where, const char *key,
		   const char *what)
{
	return iq_fail(j->err, IQ_EENV,
		       "%s: corrupt journal: %s%s%s %s; " JOURNAL_FIX, j->path,
		       where, where[0] ? "." : "", key, what);
}

/* Only the keys in allowed (NULL-terminated) may appear. */
static int check_keys(struct jctx *j, json_object *obj, const char *where,
		      const char *const *allowed)
{
	json_object_object_foreach(obj, key, val)
	{
		bool known = false;

		(void)val;
		for (size_t i = 0; allowed[i] && !known; i++)
			known = strcmp(key, allowed[i]) == 0;
		if (!known) {
			char shown[64];

			text_excerpt(key, strlen(key), 40, shown,
				     sizeof(shown));
			return corrupt(j, where, shown, "is not a journal key");
		}
	}
	return IQ_OK;
}

/* A string (absent: ""), no NUL, shorter than len. */
static int jstr(struct jctx *j, json_object *obj, const char *where,
		const char *key, char *dst, size_t len)
{
	json_object *v;
	const char *text;
	size_t n;

	dst[0] = '\0';
	if (!json_object_object_get_ex(obj, key, &v))
		return IQ_OK;
	if (!json_object_is_type(v, json_type_string))
		return corrupt(j, where, key, "is not a string");
	text = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (strlen(text) != n)
		return corrupt(j, where, key, "contains a NUL character");
	if (n >= len)
		return corrupt(j, where, key, "is too long");
	memcpy(dst, text, n + 1);
	return IQ_OK;
}

static int cmp_vf(const void *a, const void *b)
{
	return strcmp(((const struct state_vf *)a)->pci,
		      ((const struct state_vf *)b)->pci);
}

static int cmp_vm(const void *a, const void *b)
{
	return strcmp(((const struct state_vm *)a)->facts.name,
		      ((const struct state_vm *)b)->facts.name);
}

static bool sorted(const void *base, size_t n, size_t size,
		   int (*cmp)(const void *, const void *))
{
	for (size_t i = 1; i < n; i++)
		if (cmp((const char *)base + (i - 1) * size,
			(const char *)base + i * size) > 0)
			return false;
	return true;
}

/* A journal from before "vmm" was written: the origin tells. */
void state_vm_defaults(struct state_vm *vm)
{
	struct vm_facts *f = &vm->facts;

	if (!f->origin[0])
		state_copy_str(f->origin, sizeof(f->origin),
			       strcmp(vm->origin, "ch") ? VM_ORIGIN_LIBVIRT
							: VM_ORIGIN_CH);
}

bool state_is_sorted(const struct state *state)
{
	return sorted(state->vfs, state->nvfs, sizeof(*state->vfs), cmp_vf) &&
	       sorted(state->vms, state->nvms, sizeof(*state->vms), cmp_vm);
}

/*
 * VFs by address, VMs by name: lookups are binary searches. The journal is
 * written in this order, so a load only checks it.
 */
static void state_sort(struct state *state)
{
	if (!sorted(state->vfs, state->nvfs, sizeof(*state->vfs), cmp_vf))
		qsort(state->vfs, state->nvfs, sizeof(*state->vfs), cmp_vf);
	if (!sorted(state->vms, state->nvms, sizeof(*state->vms), cmp_vm))
		qsort(state->vms, state->nvms, sizeof(*state->vms), cmp_vm);
}

/* An integer in [min, max] (absent: 0). */
static int jint(struct jctx *j, json_object *obj, const char *where,
		const char *key, int64_t min, int64_t max, int64_t *out)
{
	json_object *v;

	*out = 0;
	if (!json_object_object_get_ex(obj, key, &v))
		return IQ_OK;
	if (!json_object_is_type(v, json_type_int))
		return corrupt(j, where, key, "is not an integer");
	errno = 0;
	*out = json_object_get_int64(v);
	if (errno || *out < min || *out > max)
		return corrupt(j, where, key, "is out of range");
	return IQ_OK;
}

static int jbool(struct jctx *j, json_object *obj, const char *where,
		 const char *key, bool *out)
{
	json_object *v;

	*out = false;
	if (!json_object_object_get_ex(obj, key, &v))
		return IQ_OK;
	if (!json_object_is_type(v, json_type_boolean))
		return corrupt(j, where, key, "is not true or false");
	*out = json_object_get_boolean(v);
	return IQ_OK;
}

/* Sizes: a number of bytes >= 0, or "unlimited" (absent: 0). */
static int jsize(struct jctx *j, json_object *obj, const char *where,
		 const char *key, bool unlimited_ok, uint64_t *out)
{
	json_object *v;

	*out = 0;
	if (!json_object_object_get_ex(obj, key, &v))
		return IQ_OK;
	if (unlimited_ok && json_object_is_type(v, json_type_string) &&
	    strcmp(json_object_get_string(v), "unlimited") == 0 &&
	    json_object_get_string_len(v) == 9) {
		*out = IQ_UNLIMITED;
		return IQ_OK;
	}
	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return corrupt(j, where, key,
			       unlimited_ok ? "is not a number of bytes >= 0 "
					      "or \"unlimited\""
					    : "is not a number of bytes >= 0");
	*out = json_object_get_uint64(v);
	if (*out == IQ_UNLIMITED && !unlimited_ok)
		return corrupt(j, where, key, "is out of range");
	return IQ_OK;
}

/*
 * "host_nodes": [N, ...], the host NUMA nodes (0..63) a backing is bound
 * to; absent: any node (a journal from before node sets, or none).
 */
static int load_host_nodes(struct jctx *j, json_object *h, const char *at,
			   uint64_t *mask)
{
	json_object *arr;

	*mask = 0;
	if (!json_object_object_get_ex(h, "host_nodes", &arr))
		return IQ_OK;
	if (!json_object_is_type(arr, json_type_array) ||
	    !json_object_array_length(arr))
		return corrupt(j, at, "host_nodes", "is not a non-empty array");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *v = json_object_array_get_idx(arr, i);
		int64_t node;

		if (!json_object_is_type(v, json_type_int))
			return corrupt(j, at, "host_nodes",
				       "holds a non-integer");
		node = json_object_get_int64(v);
		if (node < 0 || node > 63)
			return corrupt(j, at, "host_nodes",
				       "holds a node out of 0..63");
		*mask |= 1ULL << node;
	}
	return IQ_OK;
}

/*
 * "huge": [{page_bytes, bytes, host_nodes}...], the guest memory per huge
 * page size and host node set; absent in a journal from before per-size
 * backing: all of it in the host's default size when hugepages is true.
 */
static int load_huge(struct jctx *j, json_object *jvm, const char *where,
		     struct vm_facts *f)
{
	static const char *const keys[] = {"page_bytes", "bytes", "host_nodes",
					   NULL};
	json_object *arr;
	int rc;

	if (!json_object_object_get_ex(jvm, "huge", &arr)) {
		/* As vm_add_huge keeps it: no entry for 0 bytes (a memo of
		 * this journal reads it so). */
		if (f->hugepages && f->memory_bytes) {
			f->huge[0].page_bytes = 0;
			f->huge[0].bytes = f->memory_bytes;
			f->nhuge = 1;
		}
		return IQ_OK;
	}
	if (!json_object_is_type(arr, json_type_array))
		return corrupt(j, where, "huge", "is not an array");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *h = json_object_array_get_idx(arr, i);
		uint64_t page_bytes, bytes, nodes;
		char at[64];

		snprintf(at, sizeof(at), "%s.huge[%zu]", where, i);
		if (!json_object_is_type(h, json_type_object))
			return corrupt(j, where, "huge", "holds a non-object");
		rc = check_keys(j, h, at, keys);
		if (!rc)
			rc = jsize(j, h, at, "page_bytes", false, &page_bytes);
		if (!rc)
			rc = jsize(j, h, at, "bytes", false, &bytes);
		if (!rc)
			rc = load_host_nodes(j, h, at, &nodes);
		if (!rc && vm_add_huge(f, page_bytes, nodes, bytes, j->err)) {
			iq_err_prefix(j->err, "%s: corrupt journal: %s",
				      j->path, at);
			j->err->code = IQ_EENV;
			rc = IQ_EENV;
		}
		if (rc)
			return rc;
	}
	return IQ_OK;
}

static int load_vm(struct jctx *j, json_object *jvm, size_t idx,
		   struct state_vm *vm)
{
	static const char *const keys[] = {"name",
					   "uuid",
					   "memory_bytes",
					   "hugepages",
					   "huge",
					   "class",
					   "pending_interfaces",
					   "pci",
					   "source",
					   "origin",
					   "vmm",
					   "started",
					   "scaled",
					   "scaled_cap_bytes",
					   "scaled_from_bytes",
					   "scaled_short_bytes",
					   NULL};
	int64_t pending = 0;
	struct vm_facts *f = &vm->facts;
	char where[32], source[VM_SOURCE_MAX + 1];
	json_object *pci;
	int rc;

	snprintf(where, sizeof(where), "vms[%zu]", idx);
	if (!json_object_is_type(jvm, json_type_object))
		return corrupt(j, "vms", where + 4, "is not an object");
	rc = check_keys(j, jvm, where, keys);
	if (!rc)
		rc = jstr(j, jvm, where, "name", f->name, sizeof(f->name));
	if (!rc)
		rc = jstr(j, jvm, where, "uuid", f->uuid, sizeof(f->uuid));
	if (!rc)
		rc = jstr(j, jvm, where, "class", f->class_name,
			  sizeof(f->class_name));
	if (!rc)
		rc = jstr(j, jvm, where, "source", source, sizeof(source));
	if (!rc)
		rc = vm_set_source(f, source, j->err);
	if (!rc)
		rc = jstr(j, jvm, where, "origin", vm->origin,
			  sizeof(vm->origin));
	if (!rc)
		rc = jstr(j, jvm, where, "vmm", f->origin, sizeof(f->origin));
	if (!rc)
		rc = jsize(j, jvm, where, "memory_bytes", false,
			   &f->memory_bytes);
	if (!rc)
		rc = jbool(j, jvm, where, "hugepages", &f->hugepages);
	if (!rc)
		rc = load_huge(j, jvm, where, f);
	if (!rc)
		rc = jint(j, jvm, where, "pending_interfaces", 0, UINT32_MAX,
			  &pending);
	f->pending_ifaces = (unsigned)pending;
	if (!rc)
		rc = jint(j, jvm, where, "started", INT64_MIN, INT64_MAX,
			  &vm->started);
	if (!rc)
		rc = jbool(j, jvm, where, "scaled", &vm->scale.scaled);
	if (!rc)
		rc = jsize(j, jvm, where, "scaled_cap_bytes", true,
			   &vm->scale.cap_bytes);
	if (!rc)
		rc = jsize(j, jvm, where, "scaled_from_bytes", true,
			   &vm->scale.from_bytes);
	if (!rc)
		rc = jsize(j, jvm, where, "scaled_short_bytes", true,
			   &vm->scale.short_bytes);
	if (rc)
		return rc;
	if (!f->name[0])
		return corrupt(j, where, "name", "is missing or empty");
	if (f->origin[0] && strcmp(f->origin, VM_ORIGIN_LIBVIRT) &&
	    strcmp(f->origin, VM_ORIGIN_CH))
		return corrupt(j, where, "vmm", "is not libvirt or ch");
	state_vm_defaults(vm);
	if (!json_object_object_get_ex(jvm, "pci", &pci))
		return IQ_OK;
	if (!json_object_is_type(pci, json_type_array))
		return corrupt(j, where, "pci", "is not an array");
	for (size_t i = 0; i < json_object_array_length(pci); i++) {
		json_object *addr = json_object_array_get_idx(pci, i);

		if (!json_object_is_type(addr, json_type_string) ||
		    strlen(json_object_get_string(addr)) !=
			    (size_t)json_object_get_string_len(addr))
			return corrupt(j, where, "pci",
				       "holds a value that is not a PCI "
				       "address");
		rc = vm_add_pci(f, json_object_get_string(addr), j->err);
		if (rc) {
			iq_err_prefix(j->err,
				      "%s: corrupt journal: %s.pci (VM %s)",
				      j->path, where, f->name);
			j->err->code = IQ_EENV;
			return IQ_EENV;
		}
	}
	return IQ_OK;
}

static int load_vf(struct jctx *j, json_object *jvf, size_t idx,
		   struct state_vf *vf)
{
	static const char *const keys[] = {
		"pci",	     "pf",	 "vhca_id",	    "vm",
		"cap_bytes", "rule",	 "policy_digest",   "time",
		"hwm_since", "group_id", "group_cap_bytes", NULL};
	char where[32], text[64];
	int64_t vhca_id = 0, group_id = 0;
	int rc;

	snprintf(where, sizeof(where), "vfs[%zu]", idx);
	if (!json_object_is_type(jvf, json_type_object))
		return corrupt(j, "vfs", where + 4, "is not an object");
	rc = check_keys(j, jvf, where, keys);
	if (!rc)
		rc = jstr(j, jvf, where, "pci", text, sizeof(text));
	if (!rc && !pci_addr_normalize(text, vf->pci))
		rc = corrupt(j, where, "pci", "is not a PCI address");
	if (!rc)
		rc = jstr(j, jvf, where, "pf", text, sizeof(text));
	if (!rc && text[0] && !pci_addr_normalize(text, vf->pf))
		rc = corrupt(j, where, "pf", "is not a PCI address");
	if (!rc)
		rc = jint(j, jvf, where, "vhca_id", 0, UINT16_MAX, &vhca_id);
	vf->vhca_id = (uint16_t)vhca_id;
	if (!rc)
		rc = jstr(j, jvf, where, "vm", vf->vm, sizeof(vf->vm));
	if (!rc)
		rc = jstr(j, jvf, where, "rule", vf->rule, sizeof(vf->rule));
	if (!rc)
		rc = jstr(j, jvf, where, "policy_digest", vf->policy_digest,
			  sizeof(vf->policy_digest));
	if (!rc)
		rc = jsize(j, jvf, where, "cap_bytes", true, &vf->cap_bytes);
	if (!rc)
		rc = jint(j, jvf, where, "time", INT64_MIN, INT64_MAX,
			  &vf->time);
	if (!rc)
		rc = jint(j, jvf, where, "hwm_since", INT64_MIN, INT64_MAX,
			  &vf->hwm_since);
	if (!rc)
		rc = jint(j, jvf, where, "group_id", 0, UINT16_MAX, &group_id);
	vf->group_id = (uint16_t)group_id;
	if (!rc)
		rc = jsize(j, jvf, where, "group_cap_bytes", true,
			   &vf->group_cap_bytes);
	return rc;
}

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Two entries with one name (VM) or address (VF): the journal is torn. */
static int check_unique(struct jctx *j, const char *what, const char **names,
			size_t n)
{
	qsort(names, n, sizeof(*names), cmp_str_ptr);
	for (size_t i = 1; i < n; i++)
		if (strcmp(names[i - 1], names[i]) == 0) {
			char shown[64];

			text_excerpt(names[i], strlen(names[i]), 40, shown,
				     sizeof(shown));
			return iq_fail(j->err, IQ_EENV,
				       "%s: corrupt journal: %s '%s' appears "
				       "twice; " JOURNAL_FIX,
				       j->path, what, shown);
		}
	return IQ_OK;
}

static int load_array(struct jctx *j, json_object *root, const char *key,
		      json_object **arr)
{
	*arr = NULL;
	if (!json_object_object_get_ex(root, key, arr))
		return IQ_OK;
	if (!json_object_is_type(*arr, json_type_array))
		return corrupt(j, "", key, "is not an array");
	return IQ_OK;
}

static int load_root(struct jctx *j, json_object *root, struct state *state)
{
	static const char *const keys[] = {
		"version", "released_hugepages", "boot_id", "vms", "vfs", NULL};
	json_object *vms, *vfs;
	const char **names = NULL;
	int64_t version;
	size_t n;
	int rc;

	rc = check_keys(j, root, "", keys);
	if (!rc)
		rc = jint(j, root, "", "version", INT64_MIN, INT64_MAX,
			  &version);
	if (!rc && version != STATE_VERSION)
		return iq_fail(
			j->err, IQ_EENV,
			"%s: journal version %lld is not %d; move it aside",
			j->path, (long long)version, STATE_VERSION);
	if (!rc)
		rc = jsize(j, root, "", "released_hugepages", false,
			   &state->released_hugepages);
	if (!rc)
		rc = jstr(j, root, "", "boot_id", state->boot_id,
			  sizeof(state->boot_id));
	if (!rc)
		rc = load_array(j, root, "vms", &vms);
	if (!rc)
		rc = load_array(j, root, "vfs", &vfs);
	if (rc)
		return rc;
	n = vms ? json_object_array_length(vms) : 0;
	state->vms = calloc(n ? n : 1, sizeof(*state->vms));
	names = calloc(n ? n : 1, sizeof(*names));
	if (!state->vms || !names)
		rc = iq_fail(j->err, IQ_EENV, "%s: out of memory", j->path);
	for (size_t i = 0; i < n && rc == 0; i++) {
		state->nvms = i + 1;
		rc = load_vm(j, json_object_array_get_idx(vms, i), i,
			     &state->vms[i]);
		names[i] = state->vms[i].facts.name;
	}
	if (!rc)
		rc = check_unique(j, "VM", names, n);
	free(names);
	if (rc)
		return rc;
	n = vfs ? json_object_array_length(vfs) : 0;
	state->vfs = calloc(n ? n : 1, sizeof(*state->vfs));
	names = calloc(n ? n : 1, sizeof(*names));
	if (!state->vfs || !names)
		rc = iq_fail(j->err, IQ_EENV, "%s: out of memory", j->path);
	for (size_t i = 0; i < n && rc == 0; i++) {
		state->nvfs = i + 1;
		rc = load_vf(j, json_object_array_get_idx(vfs, i), i,
			     &state->vfs[i]);
		names[i] = state->vfs[i].pci;
	}
	if (!rc)
		rc = check_unique(j, "VF", names, n);
	free(names);
	return rc;
}

int state_parse(const char *text, size_t len, const char *label,
		struct state *state, struct iq_err *err)
{
	struct jctx j = {.path = label, .err = err};
	json_object *root;
	json_tokener *tok;
	size_t end;
	int rc;

	memset(state, 0, sizeof(*state));
	if (len > STATE_MAX_BYTES)
		return iq_fail(err, IQ_EENV,
			       "%s: corrupt journal: larger than %u bytes; "
			       "move it aside",
			       label, STATE_MAX_BYTES);
	if (memchr(text, '\0', len))
		return corrupt(&j, "", "text", "contains a NUL byte");
	tok = json_tokener_new_ex(STATE_MAX_DEPTH);
	if (!tok)
		return iq_fail(err, IQ_EENV, "%s: out of memory", label);
	root = json_tokener_parse_ex(tok, text, (int)len);
	end = root ? json_tokener_get_parse_end(tok) : 0;
	while (root && end < len &&
	       (text[end] == ' ' || text[end] == '\n' || text[end] == '\t' ||
		text[end] == '\r'))
		end++;
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(root, json_type_object) || end != len) {
		enum json_tokener_error jerr = json_tokener_get_error(tok);
		/* json-c says "continue" for text that stops mid-value. */
		const char *why = !root && jerr == json_tokener_continue
					  ? "cut short"
				  : !root ? json_tokener_error_desc(jerr)
				  : !json_object_is_type(root, json_type_object)
					  ? "not an object"
					  : "text after the end";

		rc = iq_fail(err, IQ_EENV,
			     "%s: corrupt journal (%s); " JOURNAL_FIX, label,
			     why);
		json_tokener_free(tok);
		json_object_put(root);
		return rc;
	}
	json_tokener_free(tok);
	rc = load_root(&j, root, state);
	json_object_put(root);
	if (rc)
		state_free(state);
	else
		state_sort(state);
	return rc;
}

/*
 * The test build (MEMO_VERIFY) parses the text of every memo hit as
 * well and stops the run when the two differ: every test that loads a
 * journal twice checks that a memo reads as its text parses.
 */
static void memo_verify(const char *path, const struct state *state)
{
#ifdef MEMO_VERIFY
	struct iq_err err = {0};
	struct state parsed;
	char *form = NULL, *mine = NULL;
	size_t form_len = 0, mine_len = 0;
	bool same;

	if (state_parse(state->loaded_text, strlen(state->loaded_text), path,
			&parsed, &err) ||
	    state_form(&parsed, &form, &form_len)) {
		fprintf(stderr,
			"%s: memo hit on a journal that does not "
			"parse: %s\n",
			path, err.msg);
		abort();
	}
	/* The state read from the memo, not only the memo's bytes. */
	same = state_form(state, &mine, &mine_len) == IQ_OK &&
	       form_len == mine_len && memcmp(form, mine, form_len) == 0;
	free(form);
	free(mine);
	state_free(&parsed);
	if (!same) {
		fprintf(stderr, "%s: the memo differs from the journal\n",
			path);
		abort();
	}
#else
	(void)path;
	(void)state;
#endif
}

int state_load(const char *path, struct state *state, struct iq_err *err)
{
	bool reused;

	return state_load_reusing(path, NULL, state, &reused, err);
}

int state_load_reusing(const char *path, struct state *earlier,
		       struct state *state, bool *reused, struct iq_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(state, 0, sizeof(*state));
	*reused = false;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return IQ_OK;
	rc = file_read_max(path, STATE_MAX_BYTES, &text, &len, err);
	if (rc)
		return iq_err_prefix(err, "cannot read journal");
	if (earlier && earlier->loaded_text &&
	    strlen(earlier->loaded_text) == len &&
	    memcmp(earlier->loaded_text, text, len) == 0) {
		free(text);
		*state = *earlier;
		memset(earlier, 0, sizeof(*earlier));
		*reused = true;
		return IQ_OK;
	}
	if (state_memo_read(path, text, len, state)) {
		state->loaded_text = text;
		memo_verify(path, state);
		return IQ_OK;
	}
	rc = state_parse(text, len, path, state, err);
	if (rc) {
		free(text);
		return rc;
	}
	/* Kept: a save that would write the same bytes does not write. */
	state->loaded_text = text;
	if (state_form(state, &state->loaded_form, &state->loaded_form_len) ==
	    IQ_OK)
		state_memo_write(path, text, len, state->loaded_form,
				 state->loaded_form_len);
	return IQ_OK;
}
