/* SPDX-License-Identifier: MIT */
/*
 * The vhca_id of each VF, kept across runs so that a run that changes
 * nothing asks the firmware no QUERY_HCA_CAP per VF (a vhca_id is fixed
 * while the VF exists: prm.md). One small text file beside the journal
 * (STATE.vhca-ids), rewritten whole (temp file, rename) when it learnt
 * something.
 *
 * An entry holds only while nothing could have changed the answer: the
 * same boot (boot_id), the same simulated or real root, the PF with the
 * same number of VFs (sriov_numvfs), and the PF's virtfnN link the same
 * incarnation (its inode, which readdir gives for free): the kernel makes
 * a new link with each VF it creates (pci_iov_add_virtfn, drivers/pci/
 * iov.c), and kernfs never reuses an inode number within a boot. A link
 * holds its target for its life, so an entry also gives the VF's address
 * without reading the link: discovery of a known host is one readdir per
 * PF (host.c). Outside sysfs (a simulated host on ext4, which hands a
 * freed inode number straight back) the inode alone could match a new
 * link, so an entry also holds the PF directory's ctime: adding or
 * removing a link changes it, and any change is a miss.
 * Anything else is a miss, and the firmware is asked. A missing,
 * unreadable or corrupt file is an empty cache: the cache can cost a
 * query, never a wrong vhca_id or a failed run.
 */
#ifndef ICMQUOTA_VHCA_CACHE_H
#define ICMQUOTA_VHCA_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/pci.h"

struct vhca_cache_entry {
	char vf[PCI_ADDR_LEN];
	char pf[PCI_ADDR_LEN];
	unsigned pf_numvfs;	 /* the PF's VF count when learnt */
	uint16_t function_id;	 /* VF index + 1 */
	uint64_t link_ino;	 /* the PF's virtfnN link (d_ino) */
	int64_t pf_dir_ctime_ns; /* the PF's sysfs directory */
	uint16_t vhca_id;
};

struct vhca_cache {
	char path[4096]; /* "" = no cache */
	char boot_id[40];
	char root[4096];
	struct vhca_cache_entry *entries; /* sorted by vf */
	size_t n;
	/* entries by (pf, function_id), built on the first link lookup. */
	size_t *by_link;
	size_t nby_link;
	bool dirty;
	unsigned long hits, misses; /* this run, for -v and the bench */
};

/* STATE.vhca-ids: the cache file beside a journal path; "" if too long. */
void vhca_cache_path(const char *state_path, char *out, size_t len);

/*
 * Load path (may not exist) for a run on root ("" = this host) in boot
 * boot_id ("" when unknown: then only the other keys hold). Entries of
 * another boot or root are dropped at once. Never fails: a bad file is
 * an empty cache (its path is kept, the next save replaces it).
 */
void vhca_cache_load(struct vhca_cache *c, const char *path, const char *root,
		     const char *boot_id);
/*
 * The cached vhca_id of a VF, if its entry still holds for this PF
 * (pf_numvfs VFs now) and this incarnation of its virtfnN link.
 */
bool vhca_cache_get(struct vhca_cache *c, const char *vf_pci,
		    const char *pf_pci, unsigned pf_numvfs,
		    uint16_t function_id, uint64_t link_ino,
		    int64_t pf_dir_ctime_ns, uint16_t *vhca_id);
/*
 * The entry of the VF behind PF pf_pci's virtfn(function_id - 1) link, if
 * it still holds (pf_numvfs VFs now, the link's inode link_ino, the PF
 * directory's ctime pf_dir_ctime_ns); NULL
 * otherwise. Counts a hit or a miss like vhca_cache_get. The pointer
 * lives until the next put or drop.
 */
const struct vhca_cache_entry *
vhca_cache_find_link(struct vhca_cache *c, const char *pf_pci,
		     unsigned pf_numvfs, uint16_t function_id,
		     uint64_t link_ino, int64_t pf_dir_ctime_ns);
/* Learn (or replace) a VF's vhca_id. IQ_EENV when out of memory. */
int vhca_cache_put(struct vhca_cache *c, const struct vhca_cache_entry *e,
		   struct iq_err *err);
/* Forget a VF's entry (its vhca_id proved wrong). */
void vhca_cache_drop(struct vhca_cache *c, const char *vf_pci);
/* Write the file when something was learnt (not durable: a cache). */
int vhca_cache_save(struct vhca_cache *c, struct iq_err *err);
void vhca_cache_free(struct vhca_cache *c);

#endif
