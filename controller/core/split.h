/* SPDX-License-Identifier: MIT */
/*
 * The host/guest memory split (architecture.md; admission.h admits a VM
 * by it):
 *
 *   committed = host.reserve + caps of the running VMs' VFs
 *             + the PFs' own firmware pages
 *             + what idle VFs hold (cur_alloc_icm)
 *             + memory of running VMs not backed by huge pages
 *             + the huge page pools (persistent pages, used or free)
 *             + huge page surplus (pages beyond the pools)
 *   headroom  = MemTotal - committed      (>= 0 to admit)
 *
 * Huge pages, per page size (split_hugepages): the running VMs' huge page
 * memory (the one starting included) is the demand on that size's pool.
 * What the persistent pool (nr_hugepages - surplus_hugepages) does not
 * hold, the kernel takes at fault time as surplus pages from ordinary
 * memory, up to nr_overcommit_hugepages: those pages are committed like
 * ordinary memory (the surplus term, at least the surplus pages there
 * are now). Demand beyond the pool and that allowance cannot be served
 * at all: QEMU fails to start the VM (libvirt preallocates huge pages) or
 * the guest gets SIGBUS later; a start adding to it is refused
 * (split_admit). A VM bound to some host NUMA nodes (libvirt <numatune>
 * strict/restrictive, Cloud Hypervisor host_numa_node) is checked
 * against those nodes' pools too.
 *
 * An idle VF (no VM) is charged what the firmware says it holds, not its
 * idle cap: nothing in it grows without a guest, and the cap bounds new
 * allocations only (prm.md), so pages a stopped VM's guest left behind
 * may exceed it. debugfs fw_pages_total - fw_pages_vfs leaves every VF
 * out, so without this term those pages were counted nowhere.
 */
#ifndef ICMQUOTA_SPLIT_H
#define ICMQUOTA_SPLIT_H

#include <stdbool.h>
#include <stdint.h>

#include "controller/core/host.h"
#include "controller/core/plan.h"
#include "lib/err.h"
#include "lib/pci.h"
#include "policy/policy.h"

/* Huge page sizes checked: every pool, and sizes VMs ask of none. */
#define SPLIT_HUGE_SIZES 12

/*
 * One huge page size: what the running VMs ask of its pool and what the
 * pool can serve, in pages of page_bytes (the pool's figures from sysfs).
 */
struct split_huge {
	/* 0: VMs ask for the host's default size and the host has none */
	uint64_t page_bytes;
	bool pool;	       /* the host has a pool of this size */
	uint64_t demand;       /* pages the VMs' memory in this size needs */
	uint64_t demand_bytes; /* that memory, bytes */
	uint64_t total, free, surplus; /* nr_, free_, surplus_hugepages */
	uint64_t overcommit;	       /* nr_overcommit_hugepages */
	bool overcommit_known;
	/*
	 * Surplus pages: allowed = max(overcommit, surplus) (the kernel
	 * keeps surplus pages in use past a lowered allowance); needed =
	 * demand beyond the persistent pool (total - surplus), of the
	 * whole pool or of the node set that needs most; charged = max(surplus
	 * now, needed and allowed), all of them ordinary memory.
	 */
	uint64_t surplus_needed;
	uint64_t surplus_charged;
	/*
	 * Demand no page can serve (beyond the persistent pool and the
	 * surplus allowed), 0 when it can all be served; unknown when that
	 * cannot be said (why). short_nodes: the host node set whose pool
	 * binds (0: the whole pool), with its demand and persistent pages.
	 */
	uint64_t short_pages;
	bool unknown;
	uint64_t short_nodes;
	uint64_t node_demand, node_pool, node_free;
	char why[320];
	/* Free pages that may be released (hugepages: manage) without
	 * leaving any demand to surplus pages, of the pool and every node
	 * set a VM is bound to. */
	uint64_t spare;
};

struct split {
	uint64_t mem_total;
	uint64_t reserve;
	uint64_t vf_caps;	 /* unlimited caps count as total ICM */
	unsigned unlimited_caps; /* how many VF caps were unlimited */
	/* Of them, asked unlimited by the policy (not a PF without
	 * VHCA_ICM_CTRL), and how many were charged MemTotal because their
	 * PF's total ICM is unknown. */
	unsigned unlimited_asked;
	unsigned unlimited_asked_at_memtotal;
	/*
	 * Running VMs' VFs on a PF whose firmware lacks VHCA_ICM_CTRL: they
	 * run UNCAPPED whatever the policy says, so each is in vf_caps at
	 * its PF's total ICM, or MemTotal when that is unknown (no
	 * NIC_CAP_REG): uncapped_vf_bytes in all, uncapped_vfs_at_memtotal
	 * of them at MemTotal. The first one named (VF, its PF, its VM).
	 */
	unsigned uncapped_vfs;
	unsigned uncapped_vfs_at_memtotal;
	uint64_t uncapped_vf_bytes;
	char uncapped_vf[PCI_ADDR_LEN];
	char uncapped_vf_pf[PCI_ADDR_LEN];
	char uncapped_vf_vm[256];
	/*
	 * Running VMs' VFs on a PF whose firmware did not answer
	 * (host_pf.unreachable): their caps cannot be read back, so they
	 * are in vf_caps at what the policy asks (bytes), ASSUMED, and said
	 * so. unreachable_pfs counts the PFs that leave a term of the split
	 * assumed or unknown (these VFs, or idle VFs holding an unknown
	 * amount); unreachable_why is the first one's "PCI: error".
	 */
	uint64_t vf_caps_assumed;
	unsigned vf_caps_assumed_vfs;
	unsigned unreachable_pfs;
	char unreachable_pf[PCI_ADDR_LEN];
	char unreachable_why[256];
	uint64_t pf_fw_pages; /* PFs' own firmware pages, bytes (known) */
	/* PFs whose own pages are unknown (no counters): not in pf_fw_pages
	 * and said so; PFs counted from fw_pages_total alone (the VFs'
	 * pages included: over-counted, the safe side). */
	unsigned pf_fw_unknown;
	unsigned pf_fw_total_only;
	char pf_fw_why[160]; /* the first unknown PF's reason */
	/* Idle VFs' firmware pages (known part, bytes), how many idle VFs
	 * hold an unknown amount (not in idle_vf_held, said so), and the
	 * first one's reason. */
	uint64_t idle_vf_held;
	unsigned idle_vf_unknown;
	char idle_vf_why[256];
	/* Whole ConnectX PFs passed through to running VMs: uncapped, their
	 * firmware pages out of the host's sight (not in committed). */
	unsigned uncapped_pfs;
	char uncapped_pf_why[160];
	uint64_t vm_nonhuge;
	uint64_t hugepage_pools;   /* persistent pages of every pool, bytes */
	uint64_t hugepage_surplus; /* surplus pages charged, bytes */
	/* Per huge page size: demand against the pool (split_hugepages). */
	struct split_huge huge[SPLIT_HUGE_SIZES];
	size_t nhuge;
	unsigned huge_short;   /* sizes whose demand cannot all be served */
	unsigned huge_unknown; /* sizes where whether it can is unknown */
	uint64_t committed;
	int64_t headroom;
	/* Observed, for people: what the firmware holds now. */
	uint64_t mem_available;
	uint64_t fw_pages_bytes; /* all PFs' fw_pages_total */
};

/* VMs are the running set (the one starting included). */
void split_compute(const struct host *host, const struct policy *policy,
		   const struct plan *plan, const struct vm_facts *vms,
		   size_t nvms, struct split *split);

/*
 * The huge page terms alone (split_huge.c; split_compute calls it): split->huge per
 * size, split->hugepage_pools, split->hugepage_surplus, huge_short and
 * huge_unknown, for the VMs given (running, the starting one included).
 * Other terms are left as they are.
 */
void split_hugepages(const struct host *host, const struct vm_facts *vms,
		     size_t nvms, struct split *split);

/* Whether some of the size's demand cannot be served (short_pages, or
 * the host has no default size for VMs that ask for it). */
bool split_huge_fails(const struct split_huge *h);

/* Pages of page_bytes the VM's memory of that size needs (all nodes). */
uint64_t split_vm_huge_pages(const struct host *host, const struct vm_facts *vm,
			     uint64_t page_bytes);

/*
 * One size for people: "1.0GiB huge pages: demand 260 (this VM 260), pool
 * 128 (128 free, 0 surplus), surplus allowed 0: CANNOT serve 132 pages".
 * vm (NULL: none) is the VM whose share is named.
 */
void split_huge_text(const struct host *host, const struct split_huge *h,
		     const struct vm_facts *vm, char *buf, size_t len);

/* A host node set (bit N: node N) as libvirt writes one: "1", "0-1,3". */
void split_nodes_text(uint64_t nodes, char *buf, size_t len);

/*
 * What to do about a size that cannot serve its demand: "raise nr_hugepages
 * to 260 (echo 260 > /sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages)".
 */
void split_huge_fix(const struct split_huge *h, char *buf, size_t len);

/*
 * The PF firmware term for people: "512.0MiB", "256.0MiB + UNKNOWN for 1
 * PF (0000:2a:00.0: no debugfs pages/ directory ...)", "2.0GiB
 * (fw_pages_total of 2 PFs, VFs' pages included)".
 */
void split_pf_term(const struct split *split, char *buf, size_t len);

/*
 * The VF caps' term: "33.0GiB", or with a PF that did not answer
 * "33.0GiB (32.0GiB of it ASSUMED: 2 VFs on PF 0000:0c:00.0, which did
 * not answer, counted at their policy cap)", or with VFs that run
 * UNCAPPED "2.0TiB (8.0GiB capped + 2.0TiB for 1 VF that runs UNCAPPED:
 * 0000:2a:00.1 of VM un on PF 0000:2a:00.0, whose firmware lacks
 * VHCA_ICM_CTRL, charged MemTotal as that PF's total ICM is unknown)";
 * unlimited caps the policy asked for are said too ("1 unlimited,
 * charged its PF's total ICM").
 */
void split_caps_term(const struct split *split, char *buf, size_t len);

/*
 * What to do about the PFs that did not answer, for an admission's line:
 * "PF 0000:0c:00.0 did not answer (ERROR), so the split above is not all
 * known: fix or reset that PF ..." ("" when every PF answered).
 */
void split_unreachable_advice(const struct split *split, char *buf, size_t len);

/* The idle VFs' term: "4.0GiB", "0B + UNKNOWN for 3 VFs (VF ...)". */
void split_idle_term(const struct split *split, char *buf, size_t len);

/* "MemTotal 2.0TiB - reserve 64.0GiB - VF caps 128.0GiB - ..." */
void split_describe(const struct split *split, char *buf, size_t len);

/*
 * An overcommitted host (headroom below 0), for the line apply, status,
 * metrics and the daemon print: "the host is overcommitted by 32.5GiB
 * (MemTotal ... = headroom -32.5GiB); lower vf_cap ..." (what makes room:
 * split_uncapped_advice first, when a VF runs UNCAPPED). Returns false
 * (buf "") when the split fits.
 */
bool split_overcommit_describe(const struct split *split, char *buf,
			       size_t len);

/*
 * The firmware said the PF's total ICM (NIC_CAP_REG): an unlimited cap,
 * or a VF its PF cannot cap, is charged that (plan_vf_cap_charge), else
 * MemTotal.
 */
bool split_total_icm_known(const struct host_pf *pf);

/*
 * What a VF that runs UNCAPPED is charged, for people: "its PF's total
 * ICM 64.0GiB" or "MemTotal 2.0TiB, as that PF's total ICM is unknown"
 * (the first such VF of the split; "" when there is none).
 */
void split_uncapped_charge(const struct split *split, char *buf, size_t len);

/*
 * What makes room when VFs that run UNCAPPED are charged (no vf_cap
 * does): "VM un's VF 0000:2a:00.1 runs UNCAPPED (...) and is charged
 * MemTotal 2.0TiB ...: stop that VM, or update that PF's firmware" (""
 * when there is none).
 */
void split_uncapped_advice(const struct split *split, char *buf, size_t len);

/* The shortfall of a split that does not fit: "32.5GiB" ("more than
 * 16EiB" when the sum saturates). */
void split_shortfall_text(const struct split *split, char *buf, size_t len);

#endif
