// SPDX-License-Identifier: MIT
/*
 * The journal (state.json) and the lock. The journal is advisory: the
 * firmware's read-back is the truth for caps, the journal says which VM a
 * VF was programmed for and which VMs are running (for the memory split).
 */
#include "controller/core/state.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <json-c/printbuf.h>

#include "lib/file.h"
#include "lib/json.h"
#include "lib/pci.h"
#include "lib/size.h"
#include "lib/text.h"

#include "controller/core/state_json.h"

void state_copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/* The directory a file goes in, created when missing. */
int state_mkdir_parent(const char *path, struct iq_err *err)
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

void state_free(struct state *state)
{
	for (size_t i = 0; i < state->nvms; i++)
		vm_facts_free(&state->vms[i].facts);
	free(state->vms);
	free(state->vfs);
	free(state->loaded_text);
	free(state->loaded_form);
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
	state_copy_str(state->boot_id, sizeof(state->boot_id), boot_id);
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
	state_copy_str(vm->origin, sizeof(vm->origin), origin);
	vm->started = (int64_t)time(NULL);
	memset(&vm->scale, 0, sizeof(vm->scale));
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

static int lock_take(const char *path, double timeout_s, int op, int *fd_out,
		     struct iq_err *err)
{
	char pid[32];
	struct timespec start, now;
	int fd = -1, rc;

	/* A reader needs no write access to a lock a writer made (flock
	 * takes any open file): status as a user who may read the host. */
	if (op == LOCK_SH)
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (op != LOCK_SH || errno == ENOENT)) {
		rc = state_mkdir_parent(path, err);
		if (rc)
			return iq_err_prefix(err,
					     "cannot create lock directory");
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			  0644);
	}
	if (fd < 0)
		return iq_fail(err, IQ_EENV,
			       "%s: cannot open lock: %s (run as root, or pass "
			       "--state in a writable directory)",
			       path, strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (flock(fd, op | LOCK_NB) < 0) {
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
	/*
	 * Fixed width, written over the last holder's in place: no
	 * truncation, which freed and reallocated a block on every run (0.5
	 * ms on ext4). Wider than any pid ("%ld\n" of older versions too).
	 */
	snprintf(pid, sizeof(pid), "%10ld\n", (long)getpid());
	/* The pid is only for the message of a waiting process; readers
	 * (shared) leave the last writer's. */
	if (op == LOCK_EX && pwrite(fd, pid, strlen(pid), 0) < 0) {
	}
	*fd_out = fd;
	return IQ_OK;
}

int lock_acquire(const char *path, double timeout_s, int *fd_out,
		 struct iq_err *err)
{
	return lock_take(path, timeout_s, LOCK_EX, fd_out, err);
}

int lock_acquire_shared(const char *path, double timeout_s, int *fd_out,
			struct iq_err *err)
{
	return lock_take(path, timeout_s, LOCK_SH, fd_out, err);
}

void lock_release(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}
