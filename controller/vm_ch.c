// SPDX-License-Identifier: MIT
/*
 * Cloud Hypervisor as a VM source.
 *
 * One VMM process per VM serves a REST API on a Unix socket; GET
 * /api/v1/vm.info answers a VmInfo (the OpenAPI schema of CH): the state and
 * the VmConfig the VM was created with. This file asks for it with libcurl
 * and turns it into VM facts with json-c. The answer is untrusted input:
 * bounded in size and time, never echoed whole in a message.
 */
#include "controller/vm_ch.h"
#include "controller/dynlib.h"

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <json-c/json.h>

/* No VmInfo comes near this; a bigger answer is not a CH API. */
#define VM_CH_BODY_MAX		(4u << 20)
#define VM_CH_CONNECT_TIMEOUT_S 2
/* The host part is ignored over a Unix socket; CH's router wants a path. */
#define VM_CH_INFO_URL "http://localhost/api/v1/vm.info"
/* An entry of config.platform.oem_strings naming the VM's class. */
#define VM_CH_CLASS_PREFIX "icmquota.class="
#define VM_CH_SOCK_SUFFIX  ".sock"

/* How a query went, beyond the error: what vm_ch_list_dir may skip. */
enum ch_outcome {
	CH_ANSWERED,
	CH_NO_VM, /* the VMM runs, no vm.create yet (404) */
	CH_GONE,  /* no socket, nobody listening, or no answer in time */
	CH_FAILED,
};

/*
 * Copy at most max bytes of untrusted text for a message, control bytes
 * replaced, so an error always stays on one line.
 */
static void excerpt(const char *text, size_t text_len, size_t max, char *out,
		    size_t len)
{
	size_t n = 0;

	for (; n < text_len && text[n] && n + 1 < len && n < max; n++)
		out[n] = iscntrl((unsigned char)text[n]) ? '?' : text[n];
	out[n] = '\0';
}

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
	excerpt(text, SIZE_MAX, 40, shown, sizeof(shown));
	return iq_fail(err, IQ_EREFUSED,
		       "%s: malformed vm.info: state '%s' is none of Created, "
		       "Running, Shutdown, Paused, BreakPoint",
		       label, shown);
}

/* The name: the socket's file name without ".sock" (VmInfo has none). */
static int name_from_label(const char *label, struct vm_facts *vm,
			   struct iq_err *err)
{
	const char *base = strrchr(label, '/');
	size_t len, suffix = strlen(VM_CH_SOCK_SUFFIX);

	base = base ? base + 1 : label;
	len = strlen(base);
	if (len > suffix && strcmp(base + len - suffix, VM_CH_SOCK_SUFFIX) == 0)
		len -= suffix;
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
		excerpt(json_object_get_string(uuid), SIZE_MAX, 40, shown,
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
			excerpt(class_name, SIZE_MAX, 40, shown, sizeof(shown));
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
 * Guest RAM: config.memory.size plus every zone's size (CH's zones come in
 * addition; with zones the default region is usually size 0), each with
 * its hotplugged_size (memory plugged since boot). Hugepage-backed only
 * when every non-empty region is: a partly hugepage-backed VM counts as
 * not backed, which over- rather than under-states host memory use.
 */
static int parse_memory(json_object *config, const char *label,
			struct vm_facts *vm, struct iq_err *err)
{
	json_object *memory, *zones;
	uint64_t size, plugged, total = 0;
	bool hugepages, all_huge = true;
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
		rc = member(memory, "config.memory", "zones", json_type_array,
			    false, label, &zones, err);
	if (rc)
		return rc;
	rc = add_bytes(&total, size, label, err);
	if (!rc)
		rc = add_bytes(&total, plugged, label, err);
	if (rc)
		return rc;
	if (size + plugged)
		all_huge = hugepages;
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
			rc = add_bytes(&total, size, label, err);
		if (!rc)
			rc = add_bytes(&total, plugged, label, err);
		if (rc)
			return rc;
		if (size + plugged)
			all_huge = all_huge && hugepages;
	}
	if (total == 0)
		return iq_fail(err, IQ_EREFUSED,
			       "%s: malformed vm.info: config.memory.size is 0 "
			       "and no zone has memory: a VM needs memory",
			       label);
	vm->memory_bytes = total;
	vm->hugepages = all_huge;
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

			excerpt(json_object_get_string(id_obj), SIZE_MAX, 40,
				text, sizeof(text));
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
		excerpt(start, (size_t)(end - start), sizeof(last) - 1, last,
			sizeof(last));
		if ((size_t)(end - start) >= sizeof(last) ||
		    vm_add_pci(vm, last, err) != IQ_OK) {
			excerpt(path, SIZE_MAX, 96, shown, sizeof(shown));
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
		excerpt(json + first, len - first, 40, shown, sizeof(shown));
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
	if (rc) {
		vm_facts_free(vm);
		memset(vm, 0, sizeof(*vm));
		if (state && state_len)
			state[0] = '\0';
		return rc;
	}
	snprintf(vm->source, sizeof(vm->source), "%s", label);
	snprintf(vm->origin, sizeof(vm->origin), "%s", VM_ORIGIN_CH);
	return IQ_OK;
}

/* ---- HTTP over the API socket ---------------------------------------- */

struct ch_body {
	char *data;
	size_t len;
	bool too_large;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct ch_body *body = user;
	size_t n = size * nmemb;
	char *grown;

	if (n > VM_CH_BODY_MAX - body->len) {
		body->too_large = true;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	grown = realloc(body->data, body->len + n + 1);
	if (!grown)
		return 0;
	memcpy(grown + body->len, ptr, n);
	body->data = grown;
	body->len += n;
	body->data[body->len] = '\0';
	return n;
}

/*
 * libcurl is loaded when a Cloud Hypervisor socket is asked: linking it
 * would cost every run (the libvirt hook's above all) ~4 ms of loading.
 */
static struct {
	bool loaded;
	void (*easy_cleanup)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	CURL *(*easy_init)(void);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	const char *(*easy_strerror)(CURLcode);
	CURLcode (*global_init)(long);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} cu;

static int curl_load(const char *socket_path, struct iq_err *err)
{
	static const struct dynlib_sym syms[] = {
		{"curl_easy_cleanup", (void **)&cu.easy_cleanup},
		{"curl_easy_getinfo", (void **)&cu.easy_getinfo},
		{"curl_easy_init", (void **)&cu.easy_init},
		{"curl_easy_perform", (void **)&cu.easy_perform},
		{"curl_easy_setopt", (void **)&cu.easy_setopt},
		{"curl_easy_strerror", (void **)&cu.easy_strerror},
		{"curl_global_init", (void **)&cu.global_init},
		{"curl_slist_append", (void **)&cu.slist_append},
		{"curl_slist_free_all", (void **)&cu.slist_free_all},
	};
	int rc;

	if (cu.loaded)
		return IQ_OK;
	rc = dynlib_load("libcurl.so.4", syms, sizeof(syms) / sizeof(syms[0]),
			 "install libcurl4", err);
	if (rc)
		return iq_err_prefix(err, "%s", socket_path);
	cu.loaded = true;
	return IQ_OK;
}

static int ch_curl_init(const char *socket_path, struct iq_err *err)
{
	static bool done;

	if (curl_load(socket_path, err))
		return err->code;
	/* Once per process; the CLI is single-threaded. */
	if (!done && cu.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return iq_fail(err, IQ_EENV, "%s: cannot initialise libcurl",
			       socket_path);
	done = true;
	return IQ_OK;
}

static int no_vmm(const char *socket_path, const char *cause,
		  enum ch_outcome *outcome, struct iq_err *err)
{
	*outcome = CH_GONE;
	return iq_fail(err, IQ_EENV,
		       "%s: %s: is cloud-hypervisor running with --api-socket "
		       "path=%s?",
		       socket_path, cause, socket_path);
}

/* The socket file itself, before curl: the precise cause of a failure. */
static int check_socket_file(const char *socket_path, enum ch_outcome *outcome,
			     struct iq_err *err)
{
	struct stat st;

	if (stat(socket_path, &st) < 0) {
		if (errno == ENOENT)
			return no_vmm(socket_path, "no such socket", outcome,
				      err);
		return iq_fail(err, IQ_EENV,
			       "%s: %s (run icmquota as root or as the VMM's "
			       "user)",
			       socket_path, strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return iq_fail(err, IQ_EENV,
			       "%s: not a socket: give the path of "
			       "cloud-hypervisor's --api-socket",
			       socket_path);
	return IQ_OK;
}

/* A curl failure as the user can act on it. */
static int curl_failure(CURL *curl, CURLcode res, const struct ch_body *body,
			const char *socket_path, const char *detail,
			enum ch_outcome *outcome, struct iq_err *err)
{
	long os_errno = 0;

	switch (res) {
	case CURLE_COULDNT_CONNECT:
		cu.easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
		if (os_errno == EACCES || os_errno == EPERM)
			return iq_fail(err, IQ_EENV,
				       "%s: cannot connect: %s (run icmquota "
				       "as root or as the VMM's user)",
				       socket_path, strerror((int)os_errno));
		if (os_errno == ECONNREFUSED || os_errno == ENOENT) {
			char cause[128];

			snprintf(cause, sizeof(cause), "cannot connect: %s",
				 strerror((int)os_errno));
			return no_vmm(socket_path, cause, outcome, err);
		}
		return iq_fail(err, IQ_EENV,
			       "%s: cannot connect: %s: is cloud-hypervisor "
			       "running with --api-socket path=%s?",
			       socket_path, detail, socket_path);
	case CURLE_OPERATION_TIMEDOUT:
		*outcome = CH_GONE;
		return iq_fail(err, IQ_EENV, "%s: no answer in %ds (VMM hung?)",
			       socket_path, VM_CH_TIMEOUT_S);
	case CURLE_WRITE_ERROR:
		if (body->too_large)
			return iq_fail(
				err, IQ_EREFUSED,
				"%s: not a Cloud Hypervisor API (vm.info "
				"answer larger than %u MiB)",
				socket_path, VM_CH_BODY_MAX >> 20);
		return iq_fail(err, IQ_EENV,
			       "%s: out of memory reading vm.info",
			       socket_path);
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_BAD_CONTENT_ENCODING:
		return iq_fail(err, IQ_EREFUSED,
			       "%s: not a Cloud Hypervisor API (%s)",
			       socket_path, detail);
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		return iq_fail(err, IQ_EENV,
			       "%s: the VMM broke the connection (%s): did "
			       "cloud-hypervisor exit?",
			       socket_path, detail);
	default:
		return iq_fail(err, IQ_EENV, "%s: GET vm.info failed: %s",
			       socket_path, detail);
	}
}

/* An HTTP status other than 200, with the first line of CH's answer. */
static int status_failure(long status, const struct ch_body *body,
			  const char *socket_path, enum ch_outcome *outcome,
			  struct iq_err *err)
{
	const char *text = body->data ? body->data : "";
	size_t line = strcspn(text, "\r\n");
	char shown[136];

	excerpt(text, line, 120, shown, sizeof(shown));
	/* The OpenAPI file says 404; some CH versions answer 500 with the
	 * VmNotCreated error instead: the same fact. */
	if (status == 404 || (status == 500 && (strstr(text, "VmNotCreated") ||
						strstr(text, "not created")))) {
		*outcome = CH_NO_VM;
		return iq_fail(err, IQ_EREFUSED,
			       "%s: Cloud Hypervisor has no VM yet (vm.create "
			       "first)",
			       socket_path);
	}
	return iq_fail(err, IQ_EENV, "%s: vm.info answered HTTP %ld%s%s%s",
		       socket_path, status, shown[0] ? " (" : "", shown,
		       shown[0] ? ")" : "");
}

/* GET vm.info; on success body holds the answer of a 200. */
static int ch_get_vminfo(const char *socket_path, struct ch_body *body,
			 enum ch_outcome *outcome, struct iq_err *err)
{
	char detail[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	long status = 0;
	CURLcode res;
	CURL *curl;
	int rc;

	rc = ch_curl_init(socket_path, err);
	if (!rc)
		rc = check_socket_file(socket_path, outcome, err);
	if (rc)
		return rc;
	curl = cu.easy_init();
	headers = cu.slist_append(NULL, "Accept: application/json");
	if (!curl || !headers) {
		cu.easy_cleanup(curl);
		cu.slist_free_all(headers);
		return iq_fail(err, IQ_EENV, "%s: cannot set up libcurl",
			       socket_path);
	}
	cu.easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket_path);
	cu.easy_setopt(curl, CURLOPT_URL, VM_CH_INFO_URL);
	cu.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
	cu.easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	/* A proxy from the environment must not capture a local socket. */
	cu.easy_setopt(curl, CURLOPT_NOPROXY, "*");
	cu.easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	cu.easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	cu.easy_setopt(curl, CURLOPT_TIMEOUT, (long)VM_CH_TIMEOUT_S);
	cu.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
		       (long)VM_CH_CONNECT_TIMEOUT_S);
	cu.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(curl, CURLOPT_ERRORBUFFER, detail);
	cu.easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	cu.easy_setopt(curl, CURLOPT_WRITEDATA, body);
	res = cu.easy_perform(curl);
	if (!detail[0])
		snprintf(detail, sizeof(detail), "%s", cu.easy_strerror(res));
	if (res != CURLE_OK)
		rc = curl_failure(curl, res, body, socket_path, detail, outcome,
				  err);
	else if (cu.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) !=
			 CURLE_OK ||
		 status != 200)
		rc = status_failure(status, body, socket_path, outcome, err);
	cu.slist_free_all(headers);
	cu.easy_cleanup(curl);
	return rc;
}

static int ch_query(const char *socket_path, struct vm_facts *vm, char *state,
		    size_t state_len, enum ch_outcome *outcome,
		    struct iq_err *err)
{
	struct ch_body body = {0};
	int rc;

	memset(vm, 0, sizeof(*vm));
	if (state && state_len)
		state[0] = '\0';
	*outcome = CH_FAILED;
	rc = ch_get_vminfo(socket_path, &body, outcome, err);
	if (!rc) {
		rc = vm_from_ch_vminfo(body.data ? body.data : "", body.len,
				       socket_path, vm, state, state_len, err);
		if (!rc)
			*outcome = CH_ANSWERED;
	}
	free(body.data);
	return rc;
}

int vm_ch_query(const char *socket_path, struct vm_facts *vm, char *state,
		size_t state_len, struct iq_err *err)
{
	enum ch_outcome outcome;

	return ch_query(socket_path, vm, state, state_len, &outcome, err);
}

int vm_from_ch_socket(const char *socket_path, struct vm_facts *vm,
		      struct iq_err *err)
{
	return vm_ch_query(socket_path, vm, NULL, 0, err);
}

/* ---- a directory of API sockets -------------------------------------- */

static int is_sock_name(const struct dirent *d)
{
	size_t len = strlen(d->d_name), suffix = strlen(VM_CH_SOCK_SUFFIX);

	return len > suffix &&
	       strcmp(d->d_name + len - suffix, VM_CH_SOCK_SUFFIX) == 0;
}

/* One socket of the directory: add its VM, skip it, or fail. */
static int list_one(const char *path, struct vm_list *list, unsigned *skipped,
		    char *skipped_why, size_t why_len, struct iq_err *err)
{
	enum ch_outcome outcome;
	struct vm_facts vm;
	struct stat st;
	char state[16];
	int rc;

	/* A regular file named *.sock is nobody's API socket. */
	if (stat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		return IQ_OK;
	rc = ch_query(path, &vm, state, sizeof(state), &outcome, err);
	if (outcome == CH_NO_VM) {
		iq_err_clear(err); /* a VMM without a VM runs nothing */
		return IQ_OK;
	}
	if (outcome == CH_GONE) {
		if (*skipped == 0 && skipped_why && why_len)
			snprintf(skipped_why, why_len, "%s", err->msg);
		(*skipped)++;
		iq_err_clear(err);
		return IQ_OK;
	}
	if (rc)
		return rc;
	if (strcmp(state, "Shutdown") == 0) {
		vm_facts_free(&vm);
		return IQ_OK;
	}
	rc = vm_list_push(list, &vm, err);
	vm_facts_free(&vm);
	return rc;
}

int vm_ch_list_dir(const char *dir, struct vm_list *list, unsigned *skipped,
		   char *skipped_why, size_t why_len, struct iq_err *err)
{
	struct dirent **names;
	struct iq_err local_err;
	unsigned local_skipped;
	int n, rc = IQ_OK;

	if (!err)
		err = &local_err;
	if (!skipped)
		skipped = &local_skipped;
	*skipped = 0;
	if (skipped_why && why_len)
		skipped_why[0] = '\0';
	n = scandir(dir, &names, is_sock_name, alphasort);
	if (n < 0)
		return iq_fail(err, IQ_EENV,
			       "%s: cannot list Cloud Hypervisor sockets: %s",
			       dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];

		if (rc == IQ_OK) {
			if (snprintf(path, sizeof(path), "%s/%s", dir,
				     names[i]->d_name) >= (int)sizeof(path))
				rc = iq_fail(err, IQ_EENV,
					     "%s/%s: path too long", dir,
					     names[i]->d_name);
			else
				rc = list_one(path, list, skipped, skipped_why,
					      why_len, err);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}
