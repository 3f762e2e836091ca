// SPDX-License-Identifier: MIT
/*
 * The journal (state.json) and the lock. The journal is advisory: the
 * firmware's read-back is the truth for caps, the journal says which VM a
 * VF was programmed for and which VMs are running (for the memory split).
 */
#include "controller/core/state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/file.h"
#include "lib/json.h"
#include "lib/pci.h"
#include "lib/size.h"

#define STATE_VERSION 1

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static const char *jstr(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static int64_t jint(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		return 0;
	return json_object_get_int64(v);
}

static bool jbool(json_object *obj, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(obj, key, &v) &&
	       json_object_get_boolean(v);
}

/* Sizes: a number of bytes, or "unlimited". */
static uint64_t jsize(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_string))
		return strcmp(json_object_get_string(v), "unlimited") == 0
			       ? IQ_UNLIMITED
			       : 0;
	return json_object_get_uint64(v);
}

static int load_vm(json_object *jvm, struct state_vm *vm, const char *path,
		   struct iq_err *err)
{
	json_object *pci;

	copy_str(vm->facts.name, sizeof(vm->facts.name), jstr(jvm, "name"));
	copy_str(vm->facts.uuid, sizeof(vm->facts.uuid), jstr(jvm, "uuid"));
	copy_str(vm->facts.class_name, sizeof(vm->facts.class_name),
		 jstr(jvm, "class"));
	copy_str(vm->facts.source, sizeof(vm->facts.source),
		 jstr(jvm, "source"));
	copy_str(vm->origin, sizeof(vm->origin), jstr(jvm, "origin"));
	copy_str(vm->facts.origin, sizeof(vm->facts.origin), jstr(jvm, "vmm"));
	if (!vm->facts.origin[0])
		copy_str(vm->facts.origin, sizeof(vm->facts.origin),
			 strcmp(vm->origin, "ch") ? VM_ORIGIN_LIBVIRT
						  : VM_ORIGIN_CH);
	vm->facts.memory_bytes = jsize(jvm, "memory_bytes");
	vm->facts.hugepages = jbool(jvm, "hugepages");
	if (json_object_object_get_ex(jvm, "huge", &pci) &&
	    json_object_is_type(pci, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(pci); i++) {
			json_object *h = json_object_array_get_idx(pci, i);
			int rc = vm_add_huge(&vm->facts, jsize(h, "page_bytes"),
					     jsize(h, "bytes"), err);

			if (rc)
				return iq_err_prefix(
					err, "%s: corrupt journal: VM %s", path,
					vm->facts.name);
		}
	} else if (vm->facts.hugepages) {
		/* A journal from before per-size backing: all of it, in
		 * the host's default size. */
		vm->facts.huge[0].page_bytes = 0;
		vm->facts.huge[0].bytes = vm->facts.memory_bytes;
		vm->facts.nhuge = 1;
	}
	vm->facts.pending_ifaces = (unsigned)jint(jvm, "pending_interfaces");
	vm->started = jint(jvm, "started");
	vm->scaled = jbool(jvm, "scaled");
	vm->scaled_cap_bytes = jsize(jvm, "scaled_cap_bytes");
	if (!vm->facts.name[0])
		return iq_fail(err, IQ_EENV,
			       "%s: corrupt journal: a VM without a name",
			       path);
	if (json_object_object_get_ex(jvm, "pci", &pci) &&
	    json_object_is_type(pci, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(pci); i++) {
			const char *addr = json_object_get_string(
				json_object_array_get_idx(pci, i));
			int rc = vm_add_pci(&vm->facts, addr, err);

			if (rc) {
				iq_err_prefix(err, "%s: corrupt journal: VM %s",
					      path, vm->facts.name);
				err->code = IQ_EENV;
				return IQ_EENV;
			}
		}
	}
	return IQ_OK;
}

static int load_vf(json_object *jvf, struct state_vf *vf, const char *path,
		   struct iq_err *err)
{
	if (!pci_addr_normalize(jstr(jvf, "pci"), vf->pci))
		return iq_fail(err, IQ_EENV,
			       "%s: corrupt journal: bad VF address '%s'", path,
			       jstr(jvf, "pci"));
	if (!pci_addr_normalize(jstr(jvf, "pf"), vf->pf))
		vf->pf[0] = '\0';
	vf->vhca_id = (uint16_t)jint(jvf, "vhca_id");
	copy_str(vf->vm, sizeof(vf->vm), jstr(jvf, "vm"));
	copy_str(vf->rule, sizeof(vf->rule), jstr(jvf, "rule"));
	copy_str(vf->policy_digest, sizeof(vf->policy_digest),
		 jstr(jvf, "policy_digest"));
	vf->cap_bytes = jsize(jvf, "cap_bytes");
	vf->time = jint(jvf, "time");
	vf->hwm_since = jint(jvf, "hwm_since");
	vf->group_id = (uint16_t)jint(jvf, "group_id");
	vf->group_cap_bytes = jsize(jvf, "group_cap_bytes");
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

int state_load(const char *path, struct state *state, struct iq_err *err)
{
	json_object *root, *arr;
	json_tokener *tok;
	int64_t version;
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(state, 0, sizeof(*state));
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return IQ_OK;
	rc = file_read_all(path, &text, &len, err);
	if (rc)
		return iq_err_prefix(err, "cannot read journal");
	tok = json_tokener_new();
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(root, json_type_object)) {
		rc = iq_fail(
			err, IQ_EENV,
			"%s: corrupt journal (%s); move it aside: the next "
			"apply rebuilds it from the firmware's read-back",
			path,
			root ? "not an object"
			     : json_tokener_error_desc(
				       json_tokener_get_error(tok)));
		json_tokener_free(tok);
		json_object_put(root);
		free(text);
		return rc;
	}
	json_tokener_free(tok);
	/* Kept: a save that would write the same bytes does not write. */
	state->loaded_text = text;
	version = jint(root, "version");
	if (version != STATE_VERSION) {
		json_object_put(root);
		return iq_fail(
			err, IQ_EENV,
			"%s: journal version %lld is not %d; move it aside",
			path, (long long)version, STATE_VERSION);
	}
	state->released_hugepages = jsize(root, "released_hugepages");
	copy_str(state->boot_id, sizeof(state->boot_id), jstr(root, "boot_id"));
	if (json_object_object_get_ex(root, "vms", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		size_t n = json_object_array_length(arr);

		state->vms = calloc(n ? n : 1, sizeof(*state->vms));
		if (!state->vms)
			rc = iq_fail(err, IQ_EENV, "%s: out of memory", path);
		for (size_t i = 0; i < n && rc == 0; i++) {
			rc = load_vm(json_object_array_get_idx(arr, i),
				     &state->vms[i], path, err);
			state->nvms = i + 1;
		}
	}
	if (rc == 0 && json_object_object_get_ex(root, "vfs", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		size_t n = json_object_array_length(arr);

		state->vfs = calloc(n ? n : 1, sizeof(*state->vfs));
		if (!state->vfs)
			rc = iq_fail(err, IQ_EENV, "%s: out of memory", path);
		for (size_t i = 0; i < n && rc == 0; i++) {
			rc = load_vf(json_object_array_get_idx(arr, i),
				     &state->vfs[i], path, err);
			state->nvfs = i + 1;
		}
	}
	json_object_put(root);
	if (rc)
		state_free(state);
	else
		state_sort(state);
	return rc;
}

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
			       json_object_new_boolean(vm->scaled));
	if (vm->scaled)
		json_object_object_add(o, "scaled_cap_bytes",
				       json_size(vm->scaled_cap_bytes));
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

/* The directory a file goes in, created when missing. */
static int mkdir_parent(const char *path, struct iq_err *err)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return IQ_OK;
	*slash = '\0';
	return mkdir_p(dir, 0755, err);
}

int state_save(const char *path, const struct state *state, struct iq_err *err)
{
	json_object *root = json_object_new_object();
	json_object *vms = json_object_new_array();
	json_object *vfs = json_object_new_array();
	const char *text;
	int rc;

	json_object_object_add(root, "version",
			       json_object_new_int(STATE_VERSION));
	json_object_object_add(
		root, "released_hugepages",
		json_object_new_uint64(state->released_hugepages));
	json_object_object_add(root, "boot_id",
			       json_object_new_string(state->boot_id));
	for (size_t i = 0; i < state->nvms; i++)
		json_object_array_add(vms, vm_json(&state->vms[i]));
	for (size_t i = 0; i < state->nvfs; i++)
		json_object_array_add(vfs, vf_json(&state->vfs[i]));
	json_object_object_add(root, "vms", vms);
	json_object_object_add(root, "vfs", vfs);
	text = json_object_to_json_string_ext(
		root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);

	/*
	 * Nothing changed since the load (a reconcile that found every cap
	 * right): the file already holds these bytes, no write, no fsync.
	 */
	if (state->loaded_text && strcmp(state->loaded_text, text) == 0) {
		json_object_put(root);
		return IQ_OK;
	}
	rc = mkdir_parent(path, err);
	if (rc == IQ_OK)
		rc = file_write_atomic(path, text, strlen(text), true, err);
	json_object_put(root);
	if (rc)
		return iq_err_prefix(
			err,
			"cannot write journal (the firmware is programmed; "
			"free space or fix permissions, then run icmquota "
			"apply)");
	return IQ_OK;
}

void state_free(struct state *state)
{
	for (size_t i = 0; i < state->nvms; i++)
		vm_facts_free(&state->vms[i].facts);
	free(state->vms);
	free(state->vfs);
	free(state->loaded_text);
	memset(state, 0, sizeof(*state));
}

size_t state_forget_other_boot(struct state *state, const char *boot_id)
{
	size_t dropped = 0;

	if (!boot_id[0] || !strcmp(state->boot_id, boot_id))
		return 0;
	if (state->boot_id[0]) {
		dropped = state->nvms;
		for (size_t i = 0; i < state->nvms; i++)
			vm_facts_free(&state->vms[i].facts);
		state->nvms = 0;
		/* Firmware state of the old boot: marks and groups are gone. */
		for (size_t i = 0; i < state->nvfs; i++) {
			state->vfs[i].vm[0] = '\0';
			state->vfs[i].hwm_since = 0;
			state->vfs[i].group_id = 0;
			state->vfs[i].group_cap_bytes = 0;
		}
		/* Pools come back at their boot-time size after a reboot. */
		state->released_hugepages = 0;
	}
	copy_str(state->boot_id, sizeof(state->boot_id), boot_id);
	return dropped;
}

/*
 * Where key goes in a sorted array: *found when an element equals it.
 * cmp(key, element).
 */
static size_t lower_bound(const void *key, const void *base, size_t n,
			  size_t size, int (*cmp)(const void *, const void *),
			  bool *found)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp(key, (const char *)base + mid * size) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < n && cmp(key, (const char *)base + lo * size) == 0;
	return lo;
}

static int cmp_vm_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct state_vm *)elem)->facts.name);
}

static int cmp_vf_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct state_vf *)elem)->pci);
}

struct state_vm *state_find_vm(struct state *state, const char *name)
{
	bool found;
	size_t at = lower_bound(name, state->vms, state->nvms,
				sizeof(*state->vms), cmp_vm_key, &found);

	return found ? &state->vms[at] : NULL;
}

int state_put_vm(struct state *state, const struct vm_facts *facts,
		 const char *origin, struct iq_err *err)
{
	bool found;
	size_t at = lower_bound(facts->name, state->vms, state->nvms,
				sizeof(*state->vms), cmp_vm_key, &found);
	struct state_vm *vm;
	int rc;

	if (!found) {
		struct state_vm *grown = realloc(
			state->vms, (state->nvms + 1) * sizeof(*state->vms));

		if (!grown)
			return iq_fail(err, IQ_EENV, "out of memory");
		state->vms = grown;
		memmove(&state->vms[at + 1], &state->vms[at],
			(state->nvms - at) * sizeof(*state->vms));
		state->nvms++;
		vm = &state->vms[at];
		memset(vm, 0, sizeof(*vm));
	} else {
		vm = &state->vms[at];
		vm_facts_free(&vm->facts);
	}
	rc = vm_facts_copy(&vm->facts, facts, err);
	copy_str(vm->origin, sizeof(vm->origin), origin);
	vm->started = (int64_t)time(NULL);
	vm->scaled = false;
	vm->scaled_cap_bytes = 0;
	return rc;
}

void state_drop_vm(struct state *state, const char *name)
{
	struct state_vm *vm = state_find_vm(state, name);
	size_t idx;

	if (!vm)
		return;
	idx = (size_t)(vm - state->vms);
	vm_facts_free(&vm->facts);
	memmove(vm, vm + 1, (state->nvms - idx - 1) * sizeof(*vm));
	state->nvms--;
}

struct state_vf *state_find_vf(struct state *state, const char *pci)
{
	bool found;
	size_t at = lower_bound(pci, state->vfs, state->nvfs,
				sizeof(*state->vfs), cmp_vf_key, &found);

	return found ? &state->vfs[at] : NULL;
}

int state_put_vf(struct state *state, const struct state_vf *vf,
		 struct iq_err *err)
{
	bool found;
	size_t at = lower_bound(vf->pci, state->vfs, state->nvfs,
				sizeof(*state->vfs), cmp_vf_key, &found);
	struct state_vf *slot;

	if (!found) {
		struct state_vf *grown = realloc(
			state->vfs, (state->nvfs + 1) * sizeof(*state->vfs));

		if (!grown)
			return iq_fail(err, IQ_EENV, "out of memory");
		state->vfs = grown;
		/* A run records its VFs in address order: mostly appends. */
		memmove(&state->vfs[at + 1], &state->vfs[at],
			(state->nvfs - at) * sizeof(*state->vfs));
		state->nvfs++;
		memset(&state->vfs[at], 0, sizeof(state->vfs[at]));
	}
	slot = &state->vfs[at];
	{
		int64_t since = vf->hwm_since ? vf->hwm_since : slot->hwm_since;

		*slot = *vf;
		slot->hwm_since = since;
	}
	return IQ_OK;
}

static long lock_holder_pid(int fd)
{
	char buf[32] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

int lock_acquire(const char *path, double timeout_s, int *fd_out,
		 struct iq_err *err)
{
	char pid[32];
	struct timespec start, now;
	int fd, rc;

	rc = mkdir_parent(path, err);
	if (rc)
		return iq_err_prefix(err, "cannot create lock directory");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return iq_fail(err, IQ_EENV,
			       "%s: cannot open lock: %s (run as root, or pass "
			       "--state in a writable directory)",
			       path, strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		double waited;

		if (errno != EWOULDBLOCK && errno != EINTR) {
			rc = iq_fail(err, IQ_EENV, "%s: flock failed: %s", path,
				     strerror(errno));
			close(fd);
			return rc;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (double)(now.tv_sec - start.tv_sec) +
			 (double)(now.tv_nsec - start.tv_nsec) / 1e9;
		if (waited >= timeout_s) {
			rc = iq_fail(err, IQ_EENV,
				     "%s: another icmquota (pid %ld) holds the "
				     "lock; "
				     "gave up after %.1fs (retry, or raise "
				     "--lock-timeout)",
				     path, lock_holder_pid(fd), waited);
			close(fd);
			return rc;
		}
		usleep(20000);
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, strlen(pid), 0) < 0) {
		/* The pid is only for the message of a waiting process. */
	}
	*fd_out = fd;
	return IQ_OK;
}

void lock_release(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}
