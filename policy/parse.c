// SPDX-License-Identifier: MIT
/*
 * Policy version 1: YAML text -> struct policy.
 *
 * libyaml's document API gives a tree whose every node keeps its start mark,
 * so each value is validated where it stands and every error points at the
 * offending key or value as LABEL:LINE:COL. The walk follows the schema of
 * architecture.md (fixed depth), never the tree generically, so anchors and
 * aliases that make the tree cyclic cannot make it loop.
 *
 * This file is the walk and the schema's values. What it stands on lives
 * apart (policy/parse.h): libyaml's nodes, positions and messages in
 * parse_node.c, the bounds (size, nesting, duplicate keys) in
 * parse_limits.c; the checks that need the merged whole are check.c,
 * reading the file load.c.
 */
#include "lib/digest.h"
#include "lib/pci.h"
#include "lib/size.h"
#include "policy/parse.h"
#include "policy/policy.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define DEFAULT_RESERVE_BYTES	  (64ULL << 30)
#define DEFAULT_VF_CAP_BYTES	  (8ULL << 30)
#define DEFAULT_IDLE_VF_CAP_BYTES (256ULL << 20)
#define DEFAULT_MIN_VF_CAP_BYTES  (1ULL << 30)

/* How a size value may be used. */
enum size_kind {
	SIZE_ICM_CAP,	  /* a firmware cap: must fit the 32-bit page count */
	SIZE_HOST_MEMORY, /* host.reserve: a real amount, never unlimited */
};

/* A non-empty text value copied into dst[size]. */
static int parse_text(struct parser *p, const yaml_node_t *node,
		      const char *path, const char *expected, char *dst,
		      size_t size)
{
	const char *text;
	size_t len;

	if (node->type != YAML_SCALAR_NODE || pol_is_null(node))
		return pol_fail_type(p, node, path, expected);
	text = pol_scalar_text(node);
	len = node->data.scalar.length;
	if (strlen(text) != len)
		return pol_fail_at(p, node, "%s: contains a NUL character",
				   path);
	if (len == 0)
		return pol_fail_at(p, node, "%s: empty (give %s)", path,
				   expected);
	if (len >= size)
		return pol_fail_at(p, node,
				   "%s: too long (%zu characters; at most %zu)",
				   path, len, size - 1);
	memcpy(dst, text, len + 1);
	return IQ_OK;
}

static int parse_size(struct parser *p, const yaml_node_t *node,
		      const char *path, enum size_kind kind,
		      struct policy_size *out)
{
	const char *text, *why = NULL;
	uint64_t bytes;

	if (node->type != YAML_SCALAR_NODE || pol_is_null(node))
		return pol_fail_type(p, node, path, "a size like 8GiB");
	text = pol_scalar_text(node);
	if (strlen(text) != node->data.scalar.length)
		return pol_fail_at(p, node, "%s: contains a NUL character",
				   path);
	if (!size_parse(text, &bytes, &why)) {
		if (strncmp(why, "bad unit", 8) == 0)
			return pol_fail_at(
				p, node,
				"%s: bad size '%.*s' (use B, KiB, MiB, "
				"GiB, TiB or unlimited)",
				path, ECHO_MAX, text);
		return pol_fail_at(p, node,
				   "%s: bad size '%.*s': %s (use a size like "
				   "8GiB, or unlimited)",
				   path, ECHO_MAX, text, why);
	}
	if (bytes == IQ_UNLIMITED && kind == SIZE_HOST_MEMORY)
		return pol_fail_at(p, node,
				   "%s: cannot be unlimited (give an amount of "
				   "memory, e.g. 64GiB)",
				   path);
	if (bytes != IQ_UNLIMITED && bytes % ICM_PAGE_BYTES)
		return pol_fail_at(p, node,
				   "%s: '%.*s' is %" PRIu64
				   " bytes, not a multiple of 4 KiB (use whole "
				   "4096-byte pages, e.g. %" PRIu64 ")",
				   path, ECHO_MAX, text, bytes,
				   (uint64_t)((bytes / ICM_PAGE_BYTES + 1) *
					      ICM_PAGE_BYTES));
	/* The register holds a 32-bit page count whose all-ones is "no cap". */
	if (kind == SIZE_ICM_CAP && bytes != IQ_UNLIMITED &&
	    bytes / ICM_PAGE_BYTES >= PRM_ICM_UNLIMITED)
		return pol_fail_at(
			p, node,
			"%s: '%.*s' is above the largest cap the "
			"firmware can hold (16TiB minus 8KiB, 4294967294 "
			"pages); use "
			"unlimited or a smaller size",
			path, ECHO_MAX, text);
	out->set = true;
	out->bytes = bytes;
	out->pos = pol_node_pos(node);
	return IQ_OK;
}

/* Mapping {vf_cap: SIZE, vm_cap: SIZE}, the value of a class or device. */
static int parse_vf_cap_map(struct parser *p, const yaml_node_t *node,
			    const char *path, struct policy_size *vf_cap,
			    struct policy_size *vm_cap)
{
	yaml_node_pair_t *start, *end;
	char sub[512];
	int rc;

	rc = pol_mapping_pairs(p, node, path, "a mapping like { vf_cap: 4GiB }",
			       &start, &end);
	for (yaml_node_pair_t *pair = start; !rc && pair < end; pair++) {
		yaml_node_t *key_node, *value;
		const char *key;

		rc = pol_pair_key(p, path, start, end, pair, &key, &key_node,
				  &value);
		if (rc)
			break;
		if (strcmp(key, "vf_cap") != 0 && strcmp(key, "vm_cap") != 0)
			return pol_unknown_key(p, key_node, path,
					       "vf_cap, vm_cap");
		snprintf(sub, sizeof(sub), "%s.%s", path, key);
		rc = parse_size(p, value, sub, SIZE_ICM_CAP,
				key[1] == 'f' ? vf_cap : vm_cap);
	}
	return rc;
}

static int parse_version(struct parser *p, const yaml_node_t *node)
{
	char kind[ECHO_MAX + 8];

	if (node->type == YAML_SCALAR_NODE &&
	    strcmp(pol_scalar_text(node), "1") == 0)
		return IQ_OK;
	return pol_fail_at(p, node,
			   "version: expected 1, got %s (this icmquota reads "
			   "policy version 1)",
			   pol_node_kind(node, kind, sizeof(kind)));
}

static int parse_host(struct parser *p, const yaml_node_t *node)
{
	struct policy *policy = p->policy;
	yaml_node_pair_t *start, *end;
	int rc;

	rc = pol_mapping_pairs(p, node, "host",
			       "a mapping of reserve, admission, "
			       "hugepages",
			       &start, &end);
	for (yaml_node_pair_t *pair = start; !rc && pair < end; pair++) {
		yaml_node_t *key_node, *value;
		const char *key;

		rc = pol_pair_key(p, "host", start, end, pair, &key, &key_node,
				  &value);
		if (rc)
			break;
		if (strcmp(key, "reserve") == 0) {
			rc = parse_size(p, value, "host.reserve",
					SIZE_HOST_MEMORY, &policy->reserve);
		} else if (strcmp(key, "admission") == 0) {
			const char *expected = "strict, scale or warn";

			if (value->type != YAML_SCALAR_NODE ||
			    pol_is_null(value))
				return pol_fail_type(p, value, "host.admission",
						     expected);
			if (strcmp(pol_scalar_text(value), "strict") == 0)
				policy->admission = POLICY_ADMIT_STRICT;
			else if (strcmp(pol_scalar_text(value), "scale") == 0)
				policy->admission = POLICY_ADMIT_SCALE;
			else if (strcmp(pol_scalar_text(value), "warn") == 0)
				policy->admission = POLICY_ADMIT_WARN;
			else
				return pol_fail_at(
					p, value,
					"host.admission: unknown mode "
					"'%.*s' (use %s)",
					ECHO_MAX, pol_scalar_text(value),
					expected);
			policy->admission_pos = pol_node_pos(value);
		} else if (strcmp(key, "hugepages") == 0) {
			const char *expected = "observe or manage";

			if (value->type != YAML_SCALAR_NODE ||
			    pol_is_null(value))
				return pol_fail_type(p, value, "host.hugepages",
						     expected);
			if (strcmp(pol_scalar_text(value), "observe") == 0)
				policy->hugepages = POLICY_HUGEPAGES_OBSERVE;
			else if (strcmp(pol_scalar_text(value), "manage") == 0)
				policy->hugepages = POLICY_HUGEPAGES_MANAGE;
			else
				return pol_fail_at(
					p, value,
					"host.hugepages: unknown mode "
					"'%.*s' (use %s)",
					ECHO_MAX, pol_scalar_text(value),
					expected);
			policy->hugepages_pos = pol_node_pos(value);
		} else {
			return pol_unknown_key(p, key_node, "host",
					       "reserve, admission, hugepages");
		}
	}
	return rc;
}

static int parse_defaults(struct parser *p, const yaml_node_t *node)
{
	struct policy *policy = p->policy;
	yaml_node_pair_t *start, *end;
	int rc;

	rc = pol_mapping_pairs(p, node, "defaults",
			       "a mapping of vf_cap, vm_cap, idle_vf_cap, "
			       "min_vf_cap",
			       &start, &end);
	for (yaml_node_pair_t *pair = start; !rc && pair < end; pair++) {
		yaml_node_t *key_node, *value;
		const char *key;

		rc = pol_pair_key(p, "defaults", start, end, pair, &key,
				  &key_node, &value);
		if (rc)
			break;
		if (strcmp(key, "vf_cap") == 0)
			rc = parse_size(p, value, "defaults.vf_cap",
					SIZE_ICM_CAP, &policy->vf_cap);
		else if (strcmp(key, "vm_cap") == 0)
			rc = parse_size(p, value, "defaults.vm_cap",
					SIZE_ICM_CAP, &policy->vm_cap);
		else if (strcmp(key, "idle_vf_cap") == 0)
			rc = parse_size(p, value, "defaults.idle_vf_cap",
					SIZE_ICM_CAP, &policy->idle_vf_cap);
		else if (strcmp(key, "min_vf_cap") == 0)
			rc = parse_size(p, value, "defaults.min_vf_cap",
					SIZE_ICM_CAP, &policy->min_vf_cap);
		else
			return pol_unknown_key(p, key_node, "defaults",
					       "vf_cap, vm_cap, idle_vf_cap, "
					       "min_vf_cap");
	}
	return rc;
}

static int parse_classes(struct parser *p, const yaml_node_t *node)
{
	struct policy *policy = p->policy;
	yaml_node_pair_t *start, *end;
	size_t count;
	int rc;

	rc = pol_mapping_pairs(p, node, "classes",
			       "a mapping of class names, like "
			       "gpu-8x: { vf_cap: 16GiB }",
			       &start, &end);
	count = pol_pair_count(start, end);
	if (rc || !count)
		return rc;
	if (count > POLICY_MAX_CLASSES)
		return pol_fail_at(
			p, node,
			"classes: %zu classes, more than %d (a policy "
			"names kinds of VM, not VMs)",
			count, POLICY_MAX_CLASSES);
	policy->classes = calloc(count, sizeof(*policy->classes));
	if (!policy->classes)
		return iq_fail(p->err, IQ_EENV, "%s: out of memory", p->label);
	for (yaml_node_pair_t *pair = start; pair < end; pair++) {
		struct policy_class *class = &policy->classes[policy->nclasses];
		yaml_node_t *key_node, *value;
		const char *key;
		char path[512];

		rc = pol_pair_key(p, "classes", start, end, pair, &key,
				  &key_node, &value);
		if (rc)
			return rc;
		rc = parse_text(p, key_node, "classes", "a class name",
				class->name, sizeof(class->name));
		if (rc)
			return rc;
		class->pos = pol_node_pos(key_node);
		snprintf(path, sizeof(path), "classes.%s", class->name);
		rc = parse_vf_cap_map(p, value, path, &class->vf_cap,
				      &class->vm_cap);
		if (rc)
			return rc;
		policy->nclasses++;
	}
	return IQ_OK;
}

/* 8-4-4-4-12 hex digits, any case; stored lowercase like vm_facts.uuid. */
static int parse_uuid(struct parser *p, const yaml_node_t *node,
		      const char *path, char uuid[40])
{
	const char *text;
	int rc;

	rc = parse_text(p, node, path, "a uuid", uuid, 40);
	if (rc)
		return rc;
	text = uuid;
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? text[i] != '-' : !isxdigit((unsigned char)text[i]))
			goto bad;
	}
	if (text[36] != '\0')
		goto bad;
	for (size_t i = 0; i < 36; i++)
		uuid[i] = (char)tolower((unsigned char)uuid[i]);
	return IQ_OK;
bad:
	return pol_fail_at(p, node,
			   "%s: bad uuid '%.*s' (use the 8-4-4-4-12 hex form, "
			   "e.g. 4dea22b3-1d52-d8f3-2516-782e98ab3fa0)",
			   path, ECHO_MAX, pol_scalar_text(node));
}

static int parse_match(struct parser *p, const yaml_node_t *node,
		       const char *rule_path, struct policy_vm_rule *rule)
{
	yaml_node_pair_t *start, *end;
	char path[64], sub[80];
	int rc;

	snprintf(path, sizeof(path), "%s.match", rule_path);
	rc = pol_mapping_pairs(p, node, path,
			       "a mapping like { name: \"train-*\" } or "
			       "{ uuid: UUID }",
			       &start, &end);
	if (rc)
		return rc;
	if (!pol_pair_count(start, end))
		return pol_fail_at(
			p, node,
			"%s: empty (give name: GLOB and/or uuid: UUID)", path);
	for (yaml_node_pair_t *pair = start; pair < end; pair++) {
		yaml_node_t *key_node, *value;
		const char *key;

		rc = pol_pair_key(p, path, start, end, pair, &key, &key_node,
				  &value);
		if (rc)
			return rc;
		if (strcmp(key, "name") == 0) {
			snprintf(sub, sizeof(sub), "%s.name", path);
			rc = parse_text(p, value, sub,
					"a VM name or glob like \"train-*\"",
					rule->name_glob,
					sizeof(rule->name_glob));
		} else if (strcmp(key, "uuid") == 0) {
			snprintf(sub, sizeof(sub), "%s.uuid", path);
			rc = parse_uuid(p, value, sub, rule->uuid);
		} else {
			return pol_unknown_key(p, key_node, path, "name, uuid");
		}
		if (rc)
			return rc;
	}
	return IQ_OK;
}

static int parse_vm_rule(struct parser *p, const yaml_node_t *node,
			 size_t index, struct policy_vm_rule *rule)
{
	yaml_node_pair_t *start, *end;
	bool have_match = false;
	char path[48], sub[64];
	int rc;

	snprintf(path, sizeof(path), "vms[%zu]", index);
	rule->pos = pol_node_pos(node);
	rc = pol_mapping_pairs(p, node, path,
			       "a rule like { match: { name: \"train-*\" }, "
			       "class: gpu-8x }",
			       &start, &end);
	if (rc)
		return rc;
	for (yaml_node_pair_t *pair = start; pair < end; pair++) {
		yaml_node_t *key_node, *value;
		const char *key;

		rc = pol_pair_key(p, path, start, end, pair, &key, &key_node,
				  &value);
		if (rc)
			return rc;
		if (strcmp(key, "match") == 0) {
			have_match = true;
			rc = parse_match(p, value, path, rule);
		} else if (strcmp(key, "class") == 0) {
			snprintf(sub, sizeof(sub), "%s.class", path);
			rc = parse_text(p, value, sub, "a class name",
					rule->class_name,
					sizeof(rule->class_name));
			rule->class_pos = pol_node_pos(value);
		} else if (strcmp(key, "vf_cap") == 0) {
			snprintf(sub, sizeof(sub), "%s.vf_cap", path);
			rc = parse_size(p, value, sub, SIZE_ICM_CAP,
					&rule->vf_cap);
		} else if (strcmp(key, "vm_cap") == 0) {
			snprintf(sub, sizeof(sub), "%s.vm_cap", path);
			rc = parse_size(p, value, sub, SIZE_ICM_CAP,
					&rule->vm_cap);
		} else {
			return pol_unknown_key(p, key_node, path,
					       "match, class, vf_cap, vm_cap");
		}
		if (rc)
			return rc;
	}
	if (!have_match)
		return pol_fail_at(p, node,
				   "%s: no match (add match: { name: GLOB } "
				   "and/or { uuid: UUID })",
				   path);
	if (!rule->class_name[0] && !rule->vf_cap.set && !rule->vm_cap.set)
		return pol_fail_at(
			p, node,
			"%s: gives neither class nor vf_cap nor vm_cap "
			"(add class: NAME or vf_cap: SIZE)",
			path);
	return IQ_OK;
}

static int parse_vms(struct parser *p, const yaml_node_t *node)
{
	struct policy *policy = p->policy;
	yaml_node_item_t *start, *end;

	if (pol_is_null(node))
		return IQ_OK;
	if (node->type != YAML_SEQUENCE_NODE)
		return pol_fail_type(p, node, "vms",
				     "a list of rules ('- match: ...' lines)");
	start = node->data.sequence.items.start;
	end = node->data.sequence.items.top;
	if (start == end)
		return IQ_OK;
	if (end - start > POLICY_MAX_VM_RULES)
		return pol_fail_at(p, node,
				   "vms: %zu rules, more than %d (match VMs by "
				   "name patterns or classes)",
				   (size_t)(end - start), POLICY_MAX_VM_RULES);
	policy->vms = calloc((size_t)(end - start), sizeof(*policy->vms));
	if (!policy->vms)
		return iq_fail(p->err, IQ_EENV, "%s: out of memory", p->label);
	for (yaml_node_item_t *item = start; item < end; item++) {
		yaml_node_t *rule_node = pol_get_node(p, *item);
		int rc;

		if (!rule_node)
			return pol_fail_at(p, node,
					   "vms: malformed YAML document");
		rc = parse_vm_rule(p, rule_node, policy->nvms,
				   &policy->vms[policy->nvms]);
		if (rc)
			return rc;
		policy->nvms++;
	}
	return IQ_OK;
}

static int parse_devices(struct parser *p, const yaml_node_t *node)
{
	struct policy *policy = p->policy;
	yaml_node_pair_t *start, *end;
	size_t count;
	int rc;

	rc = pol_mapping_pairs(p, node, "devices",
			       "a mapping of PF PCI addresses, like "
			       "\"0000:3b:00.0\": { vf_cap: 4GiB }",
			       &start, &end);
	count = pol_pair_count(start, end);
	if (rc || !count)
		return rc;
	if (count > POLICY_MAX_DEVICES)
		return pol_fail_at(
			p, node,
			"devices: %zu PFs, more than %d (no host has "
			"that many)",
			count, POLICY_MAX_DEVICES);
	policy->devices = calloc(count, sizeof(*policy->devices));
	if (!policy->devices)
		return iq_fail(p->err, IQ_EENV, "%s: out of memory", p->label);
	for (yaml_node_pair_t *pair = start; pair < end; pair++) {
		struct policy_device *dev = &policy->devices[policy->ndevices];
		yaml_node_t *key_node, *value;
		const char *key;
		char path[64];

		rc = pol_pair_key(p, "devices", start, end, pair, &key,
				  &key_node, &value);
		if (rc)
			return rc;
		if (!pci_addr_normalize(key, dev->pci))
			return pol_fail_at(
				p, key_node,
				"devices: bad PCI address '%.*s' (use "
				"DDDD:BB:SS.F, e.g. 0000:3b:00.0)",
				ECHO_MAX, key);
		/* "3b:00.0" and "0000:3b:00.0" are one device. */
		for (size_t i = 0; i < policy->ndevices; i++)
			if (strcmp(policy->devices[i].pci, dev->pci) == 0)
				return pol_fail_at(
					p, key_node,
					"devices: '%s' is the same "
					"device as the entry at line "
					"%u (keep one)",
					key, policy->devices[i].pos.line);
		dev->pos = pol_node_pos(key_node);
		snprintf(path, sizeof(path), "devices.%s", dev->pci);
		rc = parse_vf_cap_map(p, value, path, &dev->vf_cap,
				      &dev->vm_cap);
		if (rc)
			return rc;
		policy->ndevices++;
	}
	return IQ_OK;
}

static int parse_root(struct parser *p, const yaml_node_t *root)
{
	static const char *const keys =
		"version, host, defaults, classes, vms, devices";
	yaml_node_pair_t *start, *end;
	const yaml_node_t *version = NULL;
	int rc;

	if (root->type != YAML_MAPPING_NODE)
		return pol_fail_type(
			p, root, "policy",
			"a mapping (version: 1, then host, defaults, "
			"classes, vms, devices)");
	start = root->data.mapping.pairs.start;
	end = root->data.mapping.pairs.top;
	/* Version first: a file of another version is not judged by v1. */
	for (yaml_node_pair_t *pair = start; pair < end && !version; pair++) {
		yaml_node_t *key_node = pol_get_node(p, pair->key);

		if (key_node && key_node->type == YAML_SCALAR_NODE &&
		    strcmp(pol_scalar_text(key_node), "version") == 0)
			version = pol_get_node(p, pair->value);
	}
	if (!version)
		return pol_fail_at(p, root,
				   "version: missing (add 'version: 1' as the "
				   "first line)");
	rc = parse_version(p, version);
	for (yaml_node_pair_t *pair = start; !rc && pair < end; pair++) {
		yaml_node_t *key_node, *value;
		const char *key;

		rc = pol_pair_key(p, "policy", start, end, pair, &key,
				  &key_node, &value);
		if (rc)
			break;
		if (strcmp(key, "version") == 0)
			continue;
		else if (strcmp(key, "host") == 0)
			rc = parse_host(p, value);
		else if (strcmp(key, "defaults") == 0)
			rc = parse_defaults(p, value);
		else if (strcmp(key, "classes") == 0)
			rc = parse_classes(p, value);
		else if (strcmp(key, "vms") == 0)
			rc = parse_vms(p, value);
		else if (strcmp(key, "devices") == 0)
			rc = parse_devices(p, value);
		else
			rc = pol_unknown_key(p, key_node, "policy", keys);
	}
	return rc;
}

static void set_defaults(struct policy *policy)
{
	policy->reserve.bytes = DEFAULT_RESERVE_BYTES;
	policy->admission = POLICY_ADMIT_STRICT;
	policy->hugepages = POLICY_HUGEPAGES_OBSERVE;
	policy->vf_cap.bytes = DEFAULT_VF_CAP_BYTES;
	policy->idle_vf_cap.bytes = DEFAULT_IDLE_VF_CAP_BYTES;
	policy->min_vf_cap.bytes = DEFAULT_MIN_VF_CAP_BYTES;
}

/* Parse the loaded document(s); the parser is positioned after the first. */
static int parse_document(struct parser *p, yaml_parser_t *yp)
{
	yaml_node_t *root = yaml_document_get_root_node(p->doc);
	yaml_document_t next;
	yaml_node_t *next_root;
	int rc;

	if (!root || pol_is_null(root))
		return pol_fail_pos(
			p, (struct policy_pos){1, 1, 0},
			"empty policy (need at least 'version: 1')");
	rc = parse_root(p, root);
	if (rc)
		return rc;
	/* A second document would be silently ignored: refuse it. */
	if (!yaml_parser_load(yp, &next))
		return pol_syntax_error(p, yp);
	next_root = yaml_document_get_root_node(&next);
	/* A trailing empty "---" carries nothing: let it be. */
	if (next_root && !pol_is_null(next_root)) {
		struct policy_pos pos = pol_mark_pos(next.start_mark);

		yaml_document_delete(&next);
		return pol_fail_pos(
			p, pos,
			"a second YAML document (a policy is one "
			"document; remove this '---' and what follows)");
	}
	yaml_document_delete(&next);
	return IQ_OK;
}

int policy_parse_fragment(const char *text, size_t len, const char *label,
			  struct policy *policy, struct iq_err *err)
{
	yaml_parser_t yp;
	yaml_document_t doc;
	struct parser p = {
		.doc = &doc,
		.text = text,
		.len = len,
		.label = label ? label : "policy",
		.policy = policy,
		.err = err,
	};
	int rc;

	memset(policy, 0, sizeof(*policy));
	snprintf(policy->path, sizeof(policy->path), "%s", p.label);
	/* Every libyaml call below goes through the loaded library. */
	rc = yaml_dl_load(err);
	if (rc == IQ_OK)
		rc = sha256_hex(text, len, policy->digest, err);
	if (rc) {
		policy_free(policy);
		return iq_err_prefix(err, "%s", p.label);
	}
	set_defaults(policy);
	rc = pol_check_shape(&p);
	if (rc) {
		policy_free(policy);
		return rc;
	}
	policy->files = calloc(1, sizeof(*policy->files));
	if (policy->files)
		policy->files[0] = strdup(p.label);
	if (!policy->files || !policy->files[0]) {
		policy_free(policy);
		return iq_fail(err, IQ_EENV, "%s: out of memory", p.label);
	}
	policy->nfiles = 1;
	if (!yaml_parser_initialize(&yp))
		return iq_fail(err, IQ_EENV,
			       "%s: out of memory while reading the policy",
			       p.label);
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	if (!yaml_parser_load(&yp, &doc)) {
		rc = pol_syntax_error(&p, &yp);
	} else {
		rc = parse_document(&p, &yp);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&yp);
	if (rc)
		policy_free(policy);
	return rc;
}

int policy_parse(const char *text, size_t len, const char *label,
		 struct policy *policy, struct iq_err *err)
{
	int rc = policy_parse_fragment(text, len, label, policy, err);

	if (rc == IQ_OK)
		rc = policy_check(policy, err);
	if (rc)
		policy_free(policy);
	return rc;
}

void policy_free(struct policy *policy)
{
	if (!policy)
		return;
	free(policy->classes);
	free(policy->vms);
	free(policy->devices);
	for (size_t i = 0; i < policy->nfiles; i++)
		free(policy->files[i]);
	free(policy->files);
	policy->files = NULL;
	policy->nfiles = 0;
	policy->classes = NULL;
	policy->vms = NULL;
	policy->devices = NULL;
	policy->nclasses = policy->nvms = policy->ndevices = 0;
}
