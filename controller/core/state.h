/* SPDX-License-Identifier: MIT */
/*
 * The journal of what was programmed and why (state.json), written
 * crash-safe, and the one exclusive lock every mutating path takes.
 */
#ifndef ICMQUOTA_STATE_H
#define ICMQUOTA_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/sources/vm.h"
#include "lib/err.h"
#include "lib/pci.h"
#include "lib/size.h"

#define STATE_DEFAULT_PATH "/var/lib/icmquota/state.json"
#define LOCK_DEFAULT_PATH  "/run/icmquota/lock"

/* One VF as last programmed. */
struct state_vf {
	char pci[PCI_ADDR_LEN];
	char pf[PCI_ADDR_LEN];
	uint16_t vhca_id;
	char vm[256];	    /* "" = idle */
	uint64_t cap_bytes; /* IQ_UNLIMITED possible */
	char rule[256];	    /* the policy rule that gave the cap */
	char policy_digest[65];
	int64_t time; /* unix seconds */
	/* When icmquota last reset the VF's high-water mark (unix seconds,
	 * this boot); 0: never, the mark counts since boot (or unknown). */
	int64_t hwm_since;
	/* The vHCA group icmquota put the VF in (vm_cap), 0 = none, and the
	 * group's budget (VHCA_GROUP_ICM_CTRL cap) when it did. */
	uint16_t group_id;
	uint64_t group_cap_bytes;
};

/*
 * host.admission: scale lowered a VM's caps at its start; apply raises
 * them back as room appears (rescale.h).
 */
struct state_scaling {
	bool scaled;	    /* its caps are below the policy's */
	uint64_t cap_bytes; /* its VF caps now, summed */
	/* At its start: its VF caps before scaling, summed, and how short
	 * the host was (what scaling took); 0 when not known (a journal of
	 * an older icmquota). */
	uint64_t from_bytes;
	uint64_t short_bytes;
};

/* A VM the journal considers running (its facts, for the memory split). */
struct state_vm {
	char origin[32]; /* "libvirt-hook", "cli", "ch" */
	int64_t started;
	struct state_scaling scale;
	struct vm_facts facts;
};

struct state {
	struct state_vf *vfs; /* sorted by pci (binary search) */
	size_t nvfs;
	struct state_vm *vms; /* sorted by name */
	size_t nvms;
	/* Huge pages icmquota released (hugepages: manage), all sizes. */
	uint64_t released_hugepages;
	/* The kernel's boot_id when the VMs were journalled: VMs of another
	 * boot are not running any more. */
	char boot_id[40];
	/* The file's text as loaded (NULL: none): state_save() skips a
	 * write that would not change it. */
	char *loaded_text;
	/* Its fields in the memo's form (state_memo.c) as loaded (NULL:
	 * none): state_save() compares forms before formatting text. */
	char *loaded_form;
	size_t loaded_form_len;
};

/*
 * Bounds: a journal holds one entry per running VM and per VF (a few KiB
 * for a host of 8 PFs x 127 VFs); 64 MiB is thousands of times that and
 * still reads in well under a second. JSON nesting is 4 levels deep.
 */
#define STATE_MAX_BYTES (64u << 20)
#define STATE_MAX_DEPTH 8

/*
 * A missing file is an empty journal; a corrupt one (bad JSON, text after
 * it, a wrong type, a negative size, a NUL in a string, an unknown key, a
 * duplicate VM or VF, more than STATE_MAX_BYTES) is IQ_EENV "PATH: corrupt
 * journal: WHERE ...; move it aside ...". state_parse does the same on
 * text in memory (label names it in messages).
 */
int state_load(const char *path, struct state *state, struct iq_err *err);
/*
 * state_load, but when the file still holds the bytes *earlier was parsed
 * from (read again and compared: a journal read before waiting for the
 * lock that nobody rewrote meanwhile), *earlier is moved into *state
 * (and left empty) instead of parsing again; *reused says which. The
 * compare costs a read; a parse of a fleet-sized journal costs 10 times
 * that. earlier NULL or without loaded text: a plain state_load.
 */
int state_load_reusing(const char *path, struct state *earlier,
		       struct state *state, bool *reused, struct iq_err *err);
int state_parse(const char *text, size_t len, const char *label,
		struct state *state, struct iq_err *err);
/* tmp, fsync, rename, fsync dir. Errors name the path and the fix. */
int state_save(const char *path, const struct state *state, struct iq_err *err);
void state_free(struct state *state);

/*
 * A journal from before a reboot lists VMs that no longer run: drop them
 * (and their VF assignments) when boot_id differs. Returns how many.
 */
size_t state_forget_other_boot(struct state *state, const char *boot_id);

/* Lookups are binary searches; put and drop keep the order, and move
 * entries: pointers from a find do not survive a put or a drop. */
struct state_vm *state_find_vm(struct state *state, const char *name);
/* Replace or add (deep copy of facts). */
int state_put_vm(struct state *state, const struct vm_facts *facts,
		 const char *origin, struct iq_err *err);
void state_drop_vm(struct state *state, const char *name);
struct state_vf *state_find_vf(struct state *state, const char *pci);
/*
 * Replace or add the VF's record. A record with hwm_since 0 keeps the one
 * journalled (a cap write does not reset the high-water mark).
 */
int state_put_vf(struct state *state, const struct state_vf *vf,
		 struct iq_err *err);

/* --lock-timeout bound: a day; longer is a hung run, not a wait. */
#define LOCK_TIMEOUT_MAX_S 86400

/*
 * Take the exclusive lock (flock on path, directory created), waiting up to
 * timeout_s seconds. On timeout: IQ_EENV, "another icmquota (pid N) holds
 * PATH; retry, or raise --lock-timeout".
 */
int lock_acquire(const char *path, double timeout_s, int *fd,
		 struct iq_err *err);
/*
 * The same lock shared (flock LOCK_SH), for a view that must not see a
 * run half-done (status): it waits for a writer, writers wait for it,
 * views do not wait for each other. Errors as lock_acquire.
 */
int lock_acquire_shared(const char *path, double timeout_s, int *fd,
			struct iq_err *err);
void lock_release(int fd);

#endif
