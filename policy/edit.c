// SPDX-License-Identifier: MIT
/*
 * Editing the tool's drop-in: set or unset one key of one selector in a
 * parsed fragment, and write the fragment back as YAML with libyaml's
 * emitter. Pure: structures and text in and out; the command line reads
 * and writes the file.
 */
#include "lib/pci.h"
#include "lib/size.h"
#include "policy/policy.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "policy/yaml_dl.h"

static const char *const keys_host = "reserve, admission, hugepages";
static const char *const keys_defaults =
	"vf_cap, vm_cap, idle_vf_cap, min_vf_cap";
static const char *const keys_caps = "vf_cap, vm_cap";
static const char *const keys_vm = "vf_cap, vm_cap, class";

const char *policy_selector_keys(enum policy_selector_kind kind)
{
	switch (kind) {
	case POLICY_SEL_HOST:
		return keys_host;
	case POLICY_SEL_DEFAULTS:
		return keys_defaults;
	case POLICY_SEL_VM:
	case POLICY_SEL_UUID:
		return keys_vm;
	default:
		return keys_caps;
	}
}

static const char *selector_text(const struct policy_selector *sel, char *buf,
				 size_t len)
{
	static const char *const names[] = {"--host", "--defaults", "--class",
					    "--vm",   "--uuid",	    "--device"};

	if (sel->kind == POLICY_SEL_HOST || sel->kind == POLICY_SEL_DEFAULTS)
		snprintf(buf, len, "%s", names[sel->kind]);
	else
		snprintf(buf, len, "%s %.200s", names[sel->kind], sel->name);
	return buf;
}

static bool key_allowed(enum policy_selector_kind kind, const char *key)
{
	const char *list = policy_selector_keys(kind);
	size_t klen = strlen(key);

	for (const char *p = list; (p = strstr(p, key)); p += klen)
		if ((p == list || p[-1] == ' ') &&
		    (p[klen] == ',' || p[klen] == '\0'))
			return true;
	return false;
}

/* The entry the selector names, created when create is true. */
static int find_entry(struct policy *f, const struct policy_selector *sel,
		      bool create, void **entry, struct iq_err *err)
{
	*entry = NULL;
	switch (sel->kind) {
	case POLICY_SEL_HOST:
	case POLICY_SEL_DEFAULTS:
		*entry = f;
		return IQ_OK;
	case POLICY_SEL_CLASS: {
		struct policy_class *grown;

		for (size_t i = 0; i < f->nclasses; i++)
			if (strcmp(f->classes[i].name, sel->name) == 0) {
				*entry = &f->classes[i];
				return IQ_OK;
			}
		if (!create)
			return IQ_OK;
		grown = realloc(f->classes,
				(f->nclasses + 1) * sizeof(*f->classes));
		if (!grown)
			return iq_fail(err, IQ_EENV, "out of memory");
		f->classes = grown;
		memset(&grown[f->nclasses], 0, sizeof(*grown));
		snprintf(grown[f->nclasses].name, sizeof(grown->name), "%s",
			 sel->name);
		*entry = &grown[f->nclasses++];
		return IQ_OK;
	}
	case POLICY_SEL_DEVICE: {
		struct policy_device *grown;
		char pci[PCI_ADDR_LEN];

		if (!pci_addr_normalize(sel->name, pci))
			return iq_fail(err, IQ_EUSAGE,
				       "--device: bad PCI address '%.80s' (use "
				       "DDDD:BB:SS.F, e.g. 0000:3b:00.0)",
				       sel->name);
		for (size_t i = 0; i < f->ndevices; i++)
			if (strcmp(f->devices[i].pci, pci) == 0) {
				*entry = &f->devices[i];
				return IQ_OK;
			}
		if (!create)
			return IQ_OK;
		grown = realloc(f->devices,
				(f->ndevices + 1) * sizeof(*f->devices));
		if (!grown)
			return iq_fail(err, IQ_EENV, "out of memory");
		f->devices = grown;
		memset(&grown[f->ndevices], 0, sizeof(*grown));
		memcpy(grown[f->ndevices].pci, pci, PCI_ADDR_LEN);
		*entry = &grown[f->ndevices++];
		return IQ_OK;
	}
	case POLICY_SEL_VM:
	case POLICY_SEL_UUID: {
		struct policy_vm_rule want = {0}, *grown;

		if (sel->kind == POLICY_SEL_VM) {
			snprintf(want.name_glob, sizeof(want.name_glob), "%s",
				 sel->name);
		} else {
			size_t len = strlen(sel->name);

			if (len != 36)
				return iq_fail(err, IQ_EUSAGE,
					       "--uuid: bad uuid '%.80s' (use "
					       "the 8-4-4-4-12 hex form)",
					       sel->name);
			for (size_t i = 0; i < len; i++)
				want.uuid[i] = (char)tolower(
					(unsigned char)sel->name[i]);
		}
		for (size_t i = 0; i < f->nvms; i++)
			if (strcmp(f->vms[i].name_glob, want.name_glob) == 0 &&
			    strcmp(f->vms[i].uuid, want.uuid) == 0) {
				*entry = &f->vms[i];
				return IQ_OK;
			}
		if (!create)
			return IQ_OK;
		/* A new rule goes first: it names one VM, the most specific. */
		grown = realloc(f->vms, (f->nvms + 1) * sizeof(*f->vms));
		if (!grown)
			return iq_fail(err, IQ_EENV, "out of memory");
		f->vms = grown;
		memmove(&grown[1], &grown[0], f->nvms * sizeof(*grown));
		grown[0] = want;
		f->nvms++;
		*entry = &grown[0];
		return IQ_OK;
	}
	}
	return iq_fail(err, IQ_EUSAGE, "unknown selector");
}

/* The size slot of key in the entry. */
static struct policy_size *size_slot(struct policy *f,
				     enum policy_selector_kind kind,
				     void *entry, const char *key)
{
	bool vm = strcmp(key, "vm_cap") == 0;

	switch (kind) {
	case POLICY_SEL_HOST:
		return strcmp(key, "reserve") == 0 ? &f->reserve : NULL;
	case POLICY_SEL_DEFAULTS:
		if (strcmp(key, "idle_vf_cap") == 0)
			return &f->idle_vf_cap;
		if (strcmp(key, "min_vf_cap") == 0)
			return &f->min_vf_cap;
		return vm ? &f->vm_cap : &f->vf_cap;
	case POLICY_SEL_CLASS:
		return vm ? &((struct policy_class *)entry)->vm_cap
			  : &((struct policy_class *)entry)->vf_cap;
	case POLICY_SEL_DEVICE:
		return vm ? &((struct policy_device *)entry)->vm_cap
			  : &((struct policy_device *)entry)->vf_cap;
	default:
		if (strcmp(key, "class") == 0)
			return NULL;
		return vm ? &((struct policy_vm_rule *)entry)->vm_cap
			  : &((struct policy_vm_rule *)entry)->vf_cap;
	}
}

int policy_edit_set(struct policy *f, const struct policy_selector *sel,
		    const char *key, const char *value, struct iq_err *err)
{
	static const char *const admission[] = {"strict", "scale", "warn"};
	static const char *const hugepages[] = {"observe", "manage"};
	bool is_admission =
		sel->kind == POLICY_SEL_HOST && strcmp(key, "admission") == 0;
	bool is_hugepages =
		sel->kind == POLICY_SEL_HOST && strcmp(key, "hugepages") == 0;
	bool is_class = strcmp(key, "class") == 0;
	char where[256];
	struct policy_size *slot;
	const char *why = NULL;
	uint64_t bytes = 0;
	int mode = -1;
	void *entry;
	int rc;

	selector_text(sel, where, sizeof(where));
	if (!key_allowed(sel->kind, key))
		return iq_fail(err, IQ_EUSAGE,
			       "policy set %s: unknown key '%.80s' (use %s)",
			       where, key, policy_selector_keys(sel->kind));
	/* The value first: a refused edit leaves f as it was. */
	for (int i = 0; is_admission && i < 3; i++)
		if (strcmp(value, admission[i]) == 0)
			mode = i;
	for (int i = 0; is_hugepages && i < 2; i++)
		if (strcmp(value, hugepages[i]) == 0)
			mode = i;
	if (is_admission && mode < 0)
		return iq_fail(err, IQ_EUSAGE,
			       "policy set --host admission: '%.80s' is not a "
			       "mode (use strict, scale or warn)",
			       value);
	if (is_hugepages && mode < 0)
		return iq_fail(err, IQ_EUSAGE,
			       "policy set --host hugepages: '%.80s' is not a "
			       "mode (use observe or manage)",
			       value);
	if (is_class && (!value[0] || strlen(value) >= 128))
		return iq_fail(err, IQ_EUSAGE,
			       "policy set %s class: give a class name (at "
			       "most 127 characters)",
			       where);
	if (!is_admission && !is_hugepages && !is_class) {
		if (!size_parse(value, &bytes, &why))
			return iq_fail(err, IQ_EUSAGE,
				       "policy set %s %s: bad size '%.80s': %s "
				       "(use a size like 8GiB, or unlimited)",
				       where, key, value, why);
		if (bytes != IQ_UNLIMITED && bytes % ICM_PAGE_BYTES)
			return iq_fail(
				err, IQ_EUSAGE,
				"policy set %s %s: %" PRIu64 " bytes is not a "
				"multiple of 4 KiB (use whole 4096-byte pages, "
				"e.g. %" PRIu64 ")",
				where, key, bytes,
				(uint64_t)((bytes / ICM_PAGE_BYTES + 1) *
					   ICM_PAGE_BYTES));
	}
	rc = find_entry(f, sel, true, &entry, err);
	if (rc)
		return rc;
	if (is_admission) {
		f->admission = (enum policy_admission)mode;
		f->admission_pos = (struct policy_pos){1, 1, 0};
	} else if (is_hugepages) {
		f->hugepages = (enum policy_hugepages)mode;
		f->hugepages_pos = (struct policy_pos){1, 1, 0};
	} else if (is_class) {
		struct policy_vm_rule *rule = entry;

		snprintf(rule->class_name, sizeof(rule->class_name), "%s",
			 value);
		rule->class_pos = (struct policy_pos){1, 1, 0};
	} else {
		slot = size_slot(f, sel->kind, entry, key);
		slot->set = true;
		slot->bytes = bytes;
		slot->pos = (struct policy_pos){1, 1, 0};
	}
	return IQ_OK;
}

static bool rule_empty(const struct policy_vm_rule *r)
{
	return !r->class_name[0] && !r->vf_cap.set && !r->vm_cap.set;
}

/* Entries that no longer set anything leave the file. */
static void drop_empty(struct policy *f)
{
	size_t out = 0;

	for (size_t i = 0; i < f->nclasses; i++)
		if (f->classes[i].vf_cap.set || f->classes[i].vm_cap.set)
			f->classes[out++] = f->classes[i];
	f->nclasses = out;
	out = 0;
	for (size_t i = 0; i < f->ndevices; i++)
		if (f->devices[i].vf_cap.set || f->devices[i].vm_cap.set)
			f->devices[out++] = f->devices[i];
	f->ndevices = out;
	out = 0;
	for (size_t i = 0; i < f->nvms; i++)
		if (!rule_empty(&f->vms[i]))
			f->vms[out++] = f->vms[i];
	f->nvms = out;
}

int policy_edit_unset(struct policy *f, const struct policy_selector *sel,
		      const char *key, bool *changed, struct iq_err *err)
{
	char where[256];
	struct policy_size *slot;
	void *entry;
	int rc;

	*changed = false;
	selector_text(sel, where, sizeof(where));
	if (!key_allowed(sel->kind, key))
		return iq_fail(err, IQ_EUSAGE,
			       "policy unset %s: unknown key '%.80s' (use %s)",
			       where, key, policy_selector_keys(sel->kind));
	rc = find_entry(f, sel, false, &entry, err);
	if (rc || !entry)
		return rc;
	if (sel->kind == POLICY_SEL_HOST && strcmp(key, "admission") == 0) {
		*changed = f->admission_pos.line != 0;
		f->admission_pos = (struct policy_pos){0, 0, 0};
	} else if (sel->kind == POLICY_SEL_HOST &&
		   strcmp(key, "hugepages") == 0) {
		*changed = f->hugepages_pos.line != 0;
		f->hugepages_pos = (struct policy_pos){0, 0, 0};
	} else if (strcmp(key, "class") == 0) {
		struct policy_vm_rule *rule = entry;

		*changed = rule->class_name[0] != '\0';
		rule->class_name[0] = '\0';
	} else {
		slot = size_slot(f, sel->kind, entry, key);
		*changed = slot->set;
		slot->set = false;
	}
	drop_empty(f);
	return IQ_OK;
}

/* --- emitting ------------------------------------------------------------ */

struct out_buf {
	char *data;
	size_t len, cap;
	bool oom;
};

static int write_handler(void *ctx, unsigned char *buffer, size_t size)
{
	struct out_buf *b = ctx;

	if (b->len + size + 1 > b->cap) {
		size_t cap = (b->len + size + 1) * 2;
		char *grown = realloc(b->data, cap);

		if (!grown) {
			b->oom = true;
			return 0;
		}
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, buffer, size);
	b->len += size;
	b->data[b->len] = '\0';
	return 1;
}

/* Exact, in the largest unit that divides: "12GiB", "4100KiB". */
void policy_size_exact(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"TiB", "GiB", "MiB", "KiB"};

	if (bytes == IQ_UNLIMITED) {
		snprintf(buf, len, "unlimited");
		return;
	}
	for (int i = 0; i < 4; i++) {
		uint64_t unit = 1ULL << (10 * (4 - i));

		if (bytes && bytes % unit == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", bytes / unit,
				 units[i]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64 "B", bytes);
}

struct emitter {
	yaml_emitter_t em;
	bool ok;
};

static void emit(struct emitter *e, yaml_event_t *ev)
{
	if (e->ok && !yaml_emitter_emit(&e->em, ev))
		e->ok = false;
}

static void scalar(struct emitter *e, const char *text)
{
	yaml_event_t ev;

	if (!e->ok)
		return;
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text,
					  (int)strlen(text), 1, 1,
					  YAML_ANY_SCALAR_STYLE)) {
		e->ok = false;
		return;
	}
	emit(e, &ev);
}

static void map_start(struct emitter *e, bool flow)
{
	yaml_event_t ev;

	if (!e->ok)
		return;
	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
					    flow ? YAML_FLOW_MAPPING_STYLE
						 : YAML_BLOCK_MAPPING_STYLE);
	emit(e, &ev);
}

static void map_end(struct emitter *e)
{
	yaml_event_t ev;

	if (!e->ok)
		return;
	yaml_mapping_end_event_initialize(&ev);
	emit(e, &ev);
}

static void size_pair(struct emitter *e, const char *key,
		      const struct policy_size *size)
{
	char text[32];

	if (!size->set)
		return;
	policy_size_exact(size->bytes, text, sizeof(text));
	scalar(e, key);
	scalar(e, text);
}

static void emit_caps(struct emitter *e, const struct policy_size *vf_cap,
		      const struct policy_size *vm_cap)
{
	map_start(e, true);
	size_pair(e, "vf_cap", vf_cap);
	size_pair(e, "vm_cap", vm_cap);
	map_end(e);
}

static void emit_body(struct emitter *e, const struct policy *f)
{
	static const char *const admission[] = {"strict", "scale", "warn"};
	static const char *const hugepages[] = {"observe", "manage"};
	yaml_event_t ev;

	map_start(e, false);
	scalar(e, "version");
	scalar(e, "1");
	if (f->reserve.set || f->admission_pos.line || f->hugepages_pos.line) {
		scalar(e, "host");
		map_start(e, false);
		size_pair(e, "reserve", &f->reserve);
		if (f->admission_pos.line) {
			scalar(e, "admission");
			scalar(e, admission[f->admission]);
		}
		if (f->hugepages_pos.line) {
			scalar(e, "hugepages");
			scalar(e, hugepages[f->hugepages]);
		}
		map_end(e);
	}
	if (f->vf_cap.set || f->vm_cap.set || f->idle_vf_cap.set ||
	    f->min_vf_cap.set) {
		scalar(e, "defaults");
		map_start(e, false);
		size_pair(e, "vf_cap", &f->vf_cap);
		size_pair(e, "vm_cap", &f->vm_cap);
		size_pair(e, "idle_vf_cap", &f->idle_vf_cap);
		size_pair(e, "min_vf_cap", &f->min_vf_cap);
		map_end(e);
	}
	if (f->nclasses) {
		scalar(e, "classes");
		map_start(e, false);
		for (size_t i = 0; i < f->nclasses; i++) {
			scalar(e, f->classes[i].name);
			emit_caps(e, &f->classes[i].vf_cap,
				  &f->classes[i].vm_cap);
		}
		map_end(e);
	}
	if (f->nvms) {
		scalar(e, "vms");
		if (e->ok) {
			yaml_sequence_start_event_initialize(
				&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
			emit(e, &ev);
		}
		for (size_t i = 0; i < f->nvms; i++) {
			const struct policy_vm_rule *r = &f->vms[i];

			map_start(e, false);
			scalar(e, "match");
			map_start(e, true);
			if (r->name_glob[0]) {
				scalar(e, "name");
				scalar(e, r->name_glob);
			}
			if (r->uuid[0]) {
				scalar(e, "uuid");
				scalar(e, r->uuid);
			}
			map_end(e);
			if (r->class_name[0]) {
				scalar(e, "class");
				scalar(e, r->class_name);
			}
			size_pair(e, "vf_cap", &r->vf_cap);
			size_pair(e, "vm_cap", &r->vm_cap);
			map_end(e);
		}
		if (e->ok) {
			yaml_sequence_end_event_initialize(&ev);
			emit(e, &ev);
		}
	}
	if (f->ndevices) {
		scalar(e, "devices");
		map_start(e, false);
		for (size_t i = 0; i < f->ndevices; i++) {
			scalar(e, f->devices[i].pci);
			emit_caps(e, &f->devices[i].vf_cap,
				  &f->devices[i].vm_cap);
		}
		map_end(e);
	}
	map_end(e);
}

int policy_emit(const struct policy *f, const char *header, char **text,
		size_t *len, struct iq_err *err)
{
	struct out_buf b = {0};
	struct emitter e = {.ok = true};
	yaml_event_t ev;
	int rc;

	*text = NULL;
	*len = 0;
	rc = yaml_dl_load(err);
	if (rc)
		return rc;
	if (header && header[0])
		write_handler(&b, (unsigned char *)header, strlen(header));
	if (!yaml_emitter_initialize(&e.em))
		return iq_fail(err, IQ_EENV, "out of memory (YAML emitter)");
	yaml_emitter_set_output(&e.em, write_handler, &b);
	yaml_emitter_set_unicode(&e.em, 1);
	yaml_emitter_set_width(&e.em, 78);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	emit(&e, &ev);
	if (e.ok) {
		yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
		emit(&e, &ev);
	}
	emit_body(&e, f);
	if (e.ok) {
		yaml_document_end_event_initialize(&ev, 1);
		emit(&e, &ev);
	}
	if (e.ok) {
		yaml_stream_end_event_initialize(&ev);
		emit(&e, &ev);
	}
	if (e.ok && !yaml_emitter_flush(&e.em))
		e.ok = false;
	if (!e.ok || b.oom) {
		const char *problem = e.em.problem ? e.em.problem : "";

		yaml_emitter_delete(&e.em);
		free(b.data);
		return iq_fail(err, IQ_EENV,
			       "cannot write the policy as YAML%s%s",
			       problem[0] ? ": " : " (out of memory)", problem);
	}
	yaml_emitter_delete(&e.em);
	*text = b.data;
	*len = b.len;
	return IQ_OK;
}
