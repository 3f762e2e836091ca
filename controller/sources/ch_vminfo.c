// SPDX-License-Identifier: MIT
/*
 * Cloud Hypervisor's VmInfo (the OpenAPI schema of CH: the state and the
 * VmConfig the VM was created with) -> VM facts, with json-c. The answer
 * is untrusted input: bounded in size, never echoed whole in a message.
 * Fetching it over the API socket is ch_api.c.
 */
#include "controller/sources/vm_ch.h"
#include "lib/text.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

/* An entry of config.platform.oem_strings naming the VM's class. */
#define VM_CH_CLASS_PREFIX "icmquota.class="

static bool has_control_bytes(const char *text)
{
	for (; *text; text++)
		if (iscntrl((unsigned char)*text))
			return true;
	return false;
}

/* ---- VmInfo (JSON) -> facts ------------------------------------------ */

static const char *type_words(enum json_type type)
{
	switch (type) {
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	case json_type_boolean:
		return "a boolean";
	case json_type_int:
		return "an integer";
	default:
		return "a value";
	}
}

/*
 * Member key of obj (where names obj in messages, e.g. "config.memory").
 * Absent and null are the same: CH writes null for an unset Option. An
 * absent required member or a member of another type: IQ_EREFUSED.
 */
static int member(json_object *obj, const char *where, const char *key,
		  enum json_type type, bool required, const char *label,
		  json_object **out, struct iq_err *err)
{
	json_object *value = NULL;

	*out = NULL;
	json_object_object_get_ex(obj, key, &value);
	if (!value) {
		if (!required)
			return IQ_OK;
		return iq_fail(err, IQ_EREFUSED,
			       "%s: malformed vm.info: %s%s%s is missing",
			       label, where, where[0] ? "." : "", key);
	}
	if (!json_object_is_type(value, type))
		return iq_fail(err, IQ_EREFUSED,
			       "%s: malformed vm.info: %s%s%s is not %s", label,
			       where, where[0] ? "." : "", key,
			       type_words(type));
	*out = value;
	return IQ_OK;
}

/* An integer member >= 0 (CH's u64 sizes); absent optional -> 0. */
static int member_u64(json_object *obj, const char *where, const char *key,
		      bool required, const char *label, uint64_t *out,
		      struct iq_err *err)
{
	json_object *value;
	int rc = member(obj, where, key, json_type_int, required, label, &value,
			err);

	*out = 0;
	if (rc || !value)
		return rc;
	if (json_object_get_int64(value) < 0)
		return iq_fail(err, IQ_EREFUSED,
			       "%s: malformed vm.info: %s.%s is negative",
			       label, where, key);
	*out = json_object_get_uint64(value);
	return IQ_OK;
}

static int member_bool(json_object *obj, const char *where, const char *key,
		       const char *label, bool *out, struct iq_err *err)
{
	json_object *value;
	int rc = member(obj, where, key, json_type_boolean, false, label,
			&value, err);

	*out = value && json_object_get_boolean(value);
	return rc;
}

static const char *const ch_states[] = {"Created", "Running", "Shutdown",
					"Paused", "BreakPoint"};

static int parse_state(json_object *root, const char *label, char *state,
		       size_t state_len, struct iq_err *err)
{
	json_object *value;
	const char *text;
	char shown[48];
	int rc = member(root, "", "state", json_type_string, true, label,
			&value, err);

	if (rc)
		return rc;
	text = json_object_get_string(value);
	for (size_t i = 0; i < sizeof(ch_states) / sizeof(ch_states[0]); i++) {
		if (strcmp(text, ch_states[i]) == 0) {
			if (state && state_len)
				snprintf(state, state_len, "%s", text);
			return IQ_OK;
		}
	}
	text_excerpt(text, SIZE_MAX, 40, shown, sizeof(shown));
	return iq_fail(err, IQ_EREFUSED,
		       "%s: malformed vm.info: state '%s' is none of Created, "
		       "Running, Shutdown, Paused, BreakPoint",
		       label, shown);
}

bool vm_ch_generic_socket_name(const char *file_name)
{
	static const char *const generic[] = {VM_CH_KATA_SOCK};

	for (size_t i = 0; i < sizeof(generic) / sizeof(generic[0]); i++)
		if (strcmp(file_name, generic[i]) == 0)
			return true;
	return false;
}

/*
 * The name, from the socket's place in the layouts orchestrators use
 * (VmInfo has none): NAME.sock (hand-run, /run/ch/NAME.sock) and
 * NAME-socket (libvirt's ch driver, /run/libvirt/ch/NAME-socket) give
 * NAME; a file name every VM shares (Kata's clh-api.sock) gives its
 * directory's name (/run/vc/vm/SANDBOX-ID/clh-api.sock -> SANDBOX-ID).
 */
static int name_from_label(const char *label, struct vm_facts *vm,
			   struct iq_err *err)
{
	const char *base = strrchr(label, '/');
	size_t len, suffix = strlen(VM_CH_SOCK_SUFFIX),
		    lv_suffix = strlen(VM_CH_LIBVIRT_SUFFIX);

	base = base ? base + 1 : label;
	len = strlen(base);
	if (vm_ch_generic_socket_name(base)) {
		const char *end = base - 1, *dir = end;

		while (dir > label && dir[-1] == '/')
			dir--, end--;
		while (dir > label && dir[-1] != '/')
			dir--;
		len = base > label ? (size_t)(end - dir) : 0;
		if (len == 0 || len >= sizeof(vm->name) ||
		    has_control_bytes(dir))
			return iq_fail(err, IQ_EREFUSED,
				       "%s: cannot name the VM: every VM's "
				       "socket is called %s, so its directory "
				       "names it (e.g. /run/vc/vm/SANDBOX/%s)",
				       label, base, base);
		memcpy(vm->name, dir, len);
		vm->name[len] = '\0';
		return IQ_OK;
	}
	if (len > suffix && strcmp(base + len - suffix, VM_CH_SOCK_SUFFIX) == 0)
		len -= suffix;
	else if (len > lv_suffix &&
		 strcmp(base + len - lv_suffix, VM_CH_LIBVIRT_SUFFIX) == 0)
		len -= lv_suffix;
	if (len == 0 || len >= sizeof(vm->name) || has_control_bytes(base))
		return iq_fail(err, IQ_EREFUSED,
			       "%s: cannot name the VM after this socket: its "
			       "file name must be NAME.sock, NAME 1 to %zu "
			       "bytes without control characters",
			       label, sizeof(vm->name) - 1);
	memcpy(vm->name, base, len);
	vm->name[len] = '\0';
	return IQ_OK;
}

int vm_ch_name_of_socket(const char *socket_path, char *name, size_t len,
			 struct iq_err *err)
{
	struct vm_facts named;
	int rc;

	memset(&named, 0, sizeof(named));
	rc = name_from_label(socket_path, &named, err);
	if (rc == IQ_OK)
		snprintf(name, len, "%s", named.name);
	return rc;
}

/*
 * SMBIOS system UUID as CH takes it: canonical 8-4-4-4-12 or 32 hex digits,
 * either case. Output: lowercase canonical.
 */
static bool uuid_canonical(const char *text, char out[37])
{
	static const size_t dashes[] = {8, 13, 18, 23};
	size_t len = strlen(text), d = 0, n = 0;
	char hex[33];

	if (len != 32 && len != 36)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (len == 36 && d < 4 && i == dashes[d]) {
			if (text[i] != '-')
				return false;
			d++;
			continue;
		}
		if (!isxdigit((unsigned char)text[i]))
			return false;
		hex[n++] = (char)tolower((unsigned char)text[i]);
	}
	hex[n] = '\0';
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
		 hex + 16, hex + 20);
	return true;
}

/*
 * config.platform: the UUID (system_uuid; uuid is its deprecated older
 * name) and the class in oem_strings ("icmquota.class=NAME").
 */
static int parse_platform(json_object *config, const char *label,
			  struct vm_facts *vm, struct iq_err *err)
{
	const char *where = "config.platform";
	json_object *platform, *uuid, *oem;
	char shown[48];
	int rc;

	rc = member(config, "config", "platform", json_type_object, false,
		    label, &platform, err);
	if (rc || !platform)
		return rc;
	rc = member(platform, where, "system_uuid", json_type_string, false,
		    label, &uuid, err);
	if (!rc && !uuid)
		rc = member(platform, where, "uuid", json_type_string, false,
			    label, &uuid, err);
	if (rc)
		return rc;
	if (uuid && !uuid_canonical(json_object_get_string(uuid), vm->uuid)) {
		text_excerpt(json_object_get_string(uuid), SIZE_MAX, 40, shown,
			     sizeof(shown));
		return iq_fail(
			err, IQ_EREFUSED,
			"%s: %s UUID '%s' is not a UUID (expected 32 hex "
			"digits, e.g. 4dea22b3-1d52-d8f3-2516-"
			"782e98ab3fa0)",
			label, where, shown);
	}
	rc = member(platform, where, "oem_strings", json_type_array, false,
		    label, &oem, err);
	if (rc || !oem)
		return rc;
	for (size_t i = 0; i < json_object_array_length(oem); i++) {
		json_object *entry = json_object_array_get_idx(oem, i);
		size_t plen = strlen(VM_CH_CLASS_PREFIX);
		const char *text, *class_name;

		if (!json_object_is_type(entry, json_type_string))
			return iq_fail(err, IQ_EREFUSED,
				       "%s: malformed vm.info: %s.oem_strings"
				       "[%zu] is not a string",
				       label, where, i);
		text = json_object_get_string(entry);
		if (strncmp(text, VM_CH_CLASS_PREFIX, plen) != 0)
			continue;
		class_name = text + plen;
		if (!class_name[0] ||
		    strlen(class_name) >= sizeof(vm->class_name) ||
		    has_control_bytes(class_name))
			return iq_fail(err, IQ_EREFUSED,
				       "%s: %s.oem_strings[%zu]: the class in "
				       "'%s NAME' must be 1 to %zu bytes "
				       "without control characters",
				       label, where, i, VM_CH_CLASS_PREFIX,
				       sizeof(vm->class_name) - 1);
		if (vm->class_name[0] && strcmp(vm->class_name, class_name)) {
			text_excerpt(class_name, SIZE_MAX, 40, shown,
				     sizeof(shown));
			return iq_fail(err, IQ_EREFUSED,
				       "%s: %s.oem_strings names two classes, "
				       "'%s' and '%s' (keep one %s entry)",
				       label, where, vm->class_name, shown,
				       VM_CH_CLASS_PREFIX);
		}
		strcpy(vm->class_name, class_name);
	}
	return IQ_OK;
}

static int add_bytes(uint64_t *total, uint64_t bytes, const char *label,
		     struct iq_err *err)
{
	if (bytes > UINT64_MAX - *total)
		return iq_fail(err, IQ_EREFUSED,
			       "%s: malformed vm.info: config.memory adds up "
			       "to more than 16 EiB",
			       label);
	*total += bytes;
	return IQ_OK;
}

/*
 * A zone's host_numa_node: Cloud Hypervisor binds the zone's memory to
 * that host node (mbind MPOL_BIND), so its huge pages come from that
 * node's pool. Absent or null: any node (0). A node numbered 64 or more
 * (past the 64-bit node masks of vm.h) is taken as any node: the host's
 * pools as a whole are still checked.
 */
static int zone_host_nodes(json_object *zone, const char *where,
			   const char *label, uint64_t *nodes,
			   struct iq_err *err)
{
	json_object *value;
	int rc = member(zone, where, "host_numa_node", json_type_int, false,
			label, &value, err);
	int64_t node;

	*nodes = 0;
	if (rc || !value)
		return rc;
	node = json_object_get_int64(value);
	if (node < 0)
		return iq_fail(err, IQ_EREFUSED,
			       "%s: malformed vm.info: %s.host_numa_node is "
			       "negative",
			       label, where);
	if (node < 64)
		*nodes = 1ULL << node;
	return IQ_OK;
}

/*
 * Guest RAM: config.memory.size plus every zone's size (CH's zones come in
 * addition; with zones the default region is usually size 0), each with
 * its hotplugged_size (memory plugged since boot). Each region with
 * hugepages is charged to its hugepage_size's pool (absent or null: the
 * host's default size); the others are ordinary memory.
 */
static int parse_memory(json_object *config, const char *label,
			struct vm_facts *vm, struct iq_err *err)
{
	json_object *memory, *zones;
	uint64_t size, plugged, page, nodes, total = 0;
	bool hugepages;
	int rc;

	rc = member(config, "config", "memory", json_type_object, true, label,
		    &memory, err);
	if (!rc)
		rc = member_u64(memory, "config.memory", "size", true, label,
				&size, err);
	if (!rc)
		rc = member_u64(memory, "config.memory", "hotplugged_size",
				false, label, &plugged, err);
	if (!rc)
		rc = member_bool(memory, "config.memory", "hugepages", label,
				 &hugepages, err);
	if (!rc)
		rc = member_u64(memory, "config.memory", "hugepage_size", false,
				label, &page, err);
	if (!rc)
		rc = member(memory, "config.memory", "zones", json_type_array,
			    false, label, &zones, err);
	if (rc)
		return rc;
	rc = add_bytes(&total, size, label, err);
	if (!rc)
		rc = add_bytes(&total, plugged, label, err);
	/* hugepage_size absent or null: the host's default size (0). */
	if (!rc && hugepages)
		rc = vm_add_huge(vm, page, 0, size + plugged, err);
	if (rc)
		return rc;
	for (size_t i = 0; zones && i < json_object_array_length(zones); i++) {
		json_object *zone = json_object_array_get_idx(zones, i);
		char where[64];

		snprintf(where, sizeof(where), "config.memory.zones[%zu]", i);
		if (!json_object_is_type(zone, json_type_object))
			return iq_fail(err, IQ_EREFUSED,
				       "%s: malformed vm.info: %s is not an "
				       "object",
				       label, where);
		rc = member_u64(zone, where, "size", true, label, &size, err);
		if (!rc)
			rc = member_u64(zone, where, "hotplugged_size", false,
					label, &plugged, err);
		if (!rc)
			rc = member_bool(zone, where, "hugepages", label,
					 &hugepages, err);
		if (!rc)
			rc = member_u64(zone, where, "hugepage_size", false,
					label, &page, err);
		if (!rc)
			rc = add_bytes(&total, size, label, err);
		if (!rc)
			rc = add_bytes(&total, plugged, label, err);
		if (!rc)
			rc = zone_host_nodes(zone, where, label, &nodes, err);
		if (!rc && hugepages)
			rc = vm_add_huge(vm, page, nodes, size + plugged, err);
		if (rc)
			return rc;
	}
	if (total == 0)
		return iq_fail(err, IQ_EREFUSED,
			       "%s: malformed vm.info: config.memory.size is 0 "
			       "and no zone has memory: a VM needs memory",
			       label);
	vm->memory_bytes = total;
	return IQ_OK;
}

/*
 * config.devices[] are VFIO passthrough devices; path is the host device's
 * sysfs directory, whose last component is its PCI address. A device passed
 * as a file descriptor has no path: its host address is unknowable here,
 * so the VM is refused rather than its VF left uncapped.
 */
static int parse_devices(json_object *config, const char *label,
			 struct vm_facts *vm, struct iq_err *err)
{
	json_object *devices;
	int rc = member(config, "config", "devices", json_type_array, false,
			label, &devices, err);

	for (size_t i = 0;
	     !rc && devices && i < json_object_array_length(devices); i++) {
		json_object *device = json_object_array_get_idx(devices, i);
		json_object *path_obj, *id_obj;
		char where[64], id[80], shown[112], last[256];
		const char *path, *end, *start;

		snprintf(where, sizeof(where), "config.devices[%zu]", i);
		if (!json_object_is_type(device, json_type_object))
			return iq_fail(err, IQ_EREFUSED,
				       "%s: malformed vm.info: %s is not an "
				       "object",
				       label, where);
		rc = member(device, where, "id", json_type_string, false, label,
			    &id_obj, err);
		if (!rc)
			rc = member(device, where, "path", json_type_string,
				    false, label, &path_obj, err);
		if (rc)
			return rc;
		id[0] = '\0';
		if (id_obj) {
			char text[48];

			text_excerpt(json_object_get_string(id_obj), SIZE_MAX,
				     40, text, sizeof(text));
			snprintf(id, sizeof(id), " (id '%s')", text);
		}
		if (!path_obj)
			return iq_fail(
				err, IQ_EREFUSED,
				"%s: %s%s has no sysfs path (passed as a "
				"file descriptor?): its host PCI address "
				"is unknown; give VFIO devices by path",
				label, where, id);
		path = json_object_get_string(path_obj);
		end = path + strlen(path);
		while (end > path && end[-1] == '/')
			end--;
		start = end;
		while (start > path && start[-1] != '/')
			start--;
		text_excerpt(start, (size_t)(end - start), sizeof(last) - 1,
			     last, sizeof(last));
		if ((size_t)(end - start) >= sizeof(last) ||
		    vm_add_pci(vm, last, err) != IQ_OK) {
			text_excerpt(path, SIZE_MAX, 96, shown, sizeof(shown));
			return iq_fail(err, IQ_EREFUSED,
				       "%s: %s%s: path '%s' does not end in a "
				       "PCI address (expected "
				       "/sys/bus/pci/devices/DDDD:BB:SS.F)",
				       label, where, id, shown);
		}
	}
	return rc;
}

/*
 * Parse the whole answer as one JSON object. Something that does not even
 * start like one is not a CH API; a broken object is a malformed vm.info.
 */
static json_object *parse_json(const char *json, size_t len, const char *label,
			       struct iq_err *err)
{
	enum json_tokener_error jerr;
	json_tokener *tok;
	json_object *root;
	size_t first = 0, end;
	char shown[48];

	while (first < len && isspace((unsigned char)json[first]))
		first++;
	if (first == len || json[first] != '{') {
		text_excerpt(json + first, len - first, 40, shown,
			     sizeof(shown));
		iq_fail(err, IQ_EREFUSED,
			"%s: not a Cloud Hypervisor API (vm.info answer is "
			"not a JSON object: '%s')",
			label, shown);
		return NULL;
	}
	if (len > VM_CH_BODY_MAX) {
		iq_fail(err, IQ_EREFUSED,
			"%s: not a Cloud Hypervisor API (vm.info answer of %zu "
			"bytes; a VmInfo is far smaller)",
			label, len);
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok) {
		iq_fail(err, IQ_EENV, "%s: out of memory parsing vm.info",
			label);
		return NULL;
	}
	root = json_tokener_parse_ex(tok, json, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success) {
		json_object_put(root);
		if (jerr == json_tokener_continue)
			iq_fail(err, IQ_EREFUSED,
				"%s: malformed vm.info: the JSON ends early "
				"after %zu bytes (answer cut short?)",
				label, len);
		else
			iq_fail(err, IQ_EREFUSED,
				"%s: malformed vm.info: JSON %s at byte %zu",
				label, json_tokener_error_desc(jerr), end);
		return NULL;
	}
	while (end < len && isspace((unsigned char)json[end]))
		end++;
	if (end < len) {
		json_object_put(root);
		iq_fail(err, IQ_EREFUSED,
			"%s: malformed vm.info: data after the JSON object at "
			"byte %zu",
			label, end);
		return NULL;
	}
	return root;
}

int vm_from_ch_vminfo(const char *json, size_t len, const char *label,
		      struct vm_facts *vm, char *state, size_t state_len,
		      struct iq_err *err)
{
	json_object *root, *config;
	int rc;

	memset(vm, 0, sizeof(*vm));
	if (state && state_len)
		state[0] = '\0';
	if (!label)
		label = "vm.info";
	root = parse_json(json ? json : "", json ? len : 0, label, err);
	if (!root)
		return err ? err->code : IQ_EREFUSED;
	rc = name_from_label(label, vm, err);
	if (!rc)
		rc = parse_state(root, label, state, state_len, err);
	if (!rc)
		rc = member(root, "", "config", json_type_object, true, label,
			    &config, err);
	if (!rc)
		rc = parse_memory(config, label, vm, err);
	if (!rc)
		rc = parse_platform(config, label, vm, err);
	if (!rc)
		rc = parse_devices(config, label, vm, err);
	json_object_put(root);
	if (!rc)
		rc = vm_set_source(vm, label, err);
	if (rc) {
		vm_facts_free(vm);
		memset(vm, 0, sizeof(*vm));
		if (state && state_len)
			state[0] = '\0';
		return rc;
	}
	snprintf(vm->origin, sizeof(vm->origin), "%s", VM_ORIGIN_CH);
	return IQ_OK;
}

/* ---- HTTP over the API socket ---------------------------------------- */
