/* SPDX-License-Identifier: MIT */
/*
 * Host discovery under a root ("" = the real host): ConnectX PFs and their
 * VFs from sysfs, each PF's firmware facts through its transport (total
 * ICM, support, each VF's vhca_id, queried once per run), firmware page
 * counters from debugfs, /proc/meminfo and the huge page pools.
 */
#ifndef ICMQUOTA_HOST_H
#define ICMQUOTA_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "controller/core/vhca_cache.h"
#include "devx/transport.h"
#include "lib/err.h"
#include "lib/pci.h"
#include "lib/size.h"

#define MLX_VENDOR_ID 0x15b3

struct host_vf {
	char pci[PCI_ADDR_LEN];
	size_t seq;	      /* position among all the host's VFs, PF order */
	unsigned index;	      /* virtfnN */
	uint16_t function_id; /* index + 1 */
	char driver[64];      /* "vfio-pci", "mlx5_core", "": read on demand
			       * by host_vf_read_driver() */
	/* The PF's virtfnN link's inode: a VF re-created (sriov_numvfs 0
	 * and back) comes with a new link (vhca_id cache key). */
	uint64_t link_ino;
	bool vhca_known;
	bool vhca_cached; /* vhca_id from the cache, not asked this run */
	uint16_t vhca_id;
};

/* Firmware page counters of a PF from debugfs; -1 = unknown. */
struct host_fw_pages {
	int64_t total;
	int64_t vfs;
	int64_t ec_vfs;
	int64_t sfs;
	int64_t host_pf;
	/* Why total is unknown, or what is missing beside it ("" when
	 * every counter the split needs is there). */
	char why[160];
};

struct host_pf {
	char pci[PCI_ADDR_LEN];
	/* The PF's sysfs directory's ctime (ns) at discovery: part of the
	 * vhca_id cache's key (vhca_cache.h). */
	int64_t dir_ctime_ns;
	uint16_t device_id;
	char ibdev[64]; /* "mlx5_0", "" if none */
	char fwctl[32]; /* "fwctl0", "" if none */
	unsigned total_vfs;
	/*
	 * SR-IOV First VF Offset and VF Stride (sysfs sriov_offset,
	 * sriov_stride): VF n's routing ID is the PF's + offset + (n - 1) *
	 * stride (PCIe SR-IOV 3.3.9-10, the kernel's pci_iov_virtfn_devfn).
	 * A cached VF address is trusted only when it is that one; -1:
	 * unknown, then every virtfn link is read.
	 */
	long sriov_offset, sriov_stride;
	struct host_vf *vfs; /* enabled VFs, by index */
	size_t nvfs;
	struct host_fw_pages fw_pages;

	/* Firmware facts (host_probe_firmware). */
	struct fw_dev *fw; /* open channel, NULL if it failed */
	/* Why the channel is not the one auto tries first, "" if it is. */
	char channel_note[192];
	bool probed;
	bool supported; /* VHCA_ICM_CTRL usable */
	char unsupported_why[512];
	uint64_t total_icm_bytes; /* IQ_UNLIMITED when unlimited */
	uint16_t own_vhca_id;
	uint16_t group_id_max;
	/* The firmware channel could not be opened or answered: its VFs
	 * cannot be capped this run (unreachable_why says why). */
	bool unreachable;
	char unreachable_why[512];
	/*
	 * How the firmware rounds max_alloc_icm_th up (4 KiB pages), learnt
	 * from caps icmquota asked for and read back (plan.c): 0 unknown, 1
	 * exact, else a power of two.
	 */
	uint32_t icm_rounding_pages;
	/* The vhca_ids of earlier runs (session.c), NULL: ask each run. */
	struct vhca_cache *vhca_cache;
};

/*
 * NUMA nodes whose huge page pools are read: node sets are 64-bit masks
 * (bit N: node N), as in vm.h. A node numbered 64 or more is not read,
 * and a VM bound to one is checked against the host's pools as a whole.
 */
#define HOST_MAX_NODES 64

/* One node's share of a pool (the kernel's per-node files), in pages. */
struct hugepage_node {
	uint64_t total;	  /* nr_hugepages: persistent + surplus pages */
	uint64_t free;	  /* free_hugepages */
	uint64_t surplus; /* surplus_hugepages */
};

/*
 * A huge page pool, /sys/kernel/mm/hugepages/hugepages-<size>kB, in
 * pages. total is nr_hugepages, which counts the surplus pages too
 * (mm/hugetlb_sysfs.c shows h->nr_huge_pages): the persistent pool is
 * total - surplus. overcommit is nr_overcommit_hugepages, the most
 * surplus pages the kernel may take from ordinary memory when the pool
 * runs out (always 0 for gigantic sizes such as 1 GiB on x86_64 until
 * "mm/hugetlb: allow overcommitting gigantic hugepages", 2025: the kernel
 * refused to set it and alloc_surplus_hugetlb_folio() gave up on them);
 * overcommit_known is false when it cannot be read, never taken as 0.
 */
struct hugepage_pool {
	uint64_t page_bytes;
	uint64_t total;
	uint64_t free;
	uint64_t resv;
	uint64_t surplus;
	uint64_t overcommit;
	bool overcommit_known;
	char overcommit_why[200]; /* why it is unknown */
	/* Per node: bit N of nodes_read when node N's files were read. */
	uint64_t nodes_read;
	struct hugepage_node node[HOST_MAX_NODES];
};

struct host_mem {
	uint64_t mem_total;
	uint64_t mem_free;
	uint64_t mem_available;
	struct hugepage_pool pools[8];
	size_t npools;
	/* Hugepagesize of /proc/meminfo: the size a VM asking for huge
	 * pages without a size gets; 0 when the kernel has none. */
	uint64_t default_page_bytes;
	/*
	 * The per-node pools (/sys/devices/system/node/nodeN/hugepages):
	 * nodes_listed when that directory could be listed (a node missing
	 * there has no memory, so no pool); nodes_unreadable has bit N when
	 * node N's pools could not be read (node_why says the first), which
	 * leaves a VM bound to it unknown, never checked against 0.
	 */
	bool nodes_listed;
	uint64_t nodes_unreadable;
	char node_why[256];
};

/* A VF by address (host->vf_index, sorted by pci). */
struct host_vf_ref {
	const char *pci;
	struct host_pf *pf;
	struct host_vf *vf;
};

struct host {
	char root[4096];
	/* The simulator's transport when the program links one (set before
	 * host_probe_firmware); NULL otherwise. */
	const struct fw_transport_ops *sim_transport;
	struct host_pf *pfs; /* sorted by PCI address */
	size_t npfs;
	struct host_vf_ref *vf_index; /* every VF, sorted by pci */
	size_t nvf_index;
	struct host_mem mem;
};

/*
 * Read sysfs: PFs (vendor 0x15b3 with SR-IOV, no physfn) and their VFs.
 * With a vhca_id cache (NULL: none), a VF whose virtfnN link the cache
 * knows is taken from it (address and vhca_id) without reading the link:
 * a known host costs one readdir per PF.
 */
int host_discover(const char *root, struct vhca_cache *cache, struct host *host,
		  struct iq_err *err);
/*
 * Open each PF's transport, read its own caps and NIC_CAP_REG (VF vhca_ids
 * come later, on demand: host_vf_vhca). A PF whose firmware lacks VHCA_ICM_CTRL is marked unsupported
 * (with the reason), not an error. A PF whose channel cannot be opened or
 * does not answer is marked unreachable (with the error), so that the
 * other PFs are still capped; when no PF can be reached at all (no device,
 * wrong backend) returns IQ_EENV naming the first PF and what is missing.
 * A PF whose fw is already set (opened by the caller) keeps that channel.
 */
int host_probe_firmware(struct host *host, enum fw_backend backend, FILE *trace,
			struct iq_err *err);
/*
 * A VF's vhca_id (QUERY_HCA_CAP other_function), asked the first time it
 * is needed and kept for the run: a VM start asks only for its own VFs.
 * With pf->vhca_cache, an entry that still holds (vhca_cache.h) answers
 * instead (vf->vhca_cached), and what the firmware answers is learnt.
 */
int host_vf_vhca(struct host_pf *pf, struct host_vf *vf, struct iq_err *err);
/*
 * A cached vhca_id the firmware did not know: forget it and ask again.
 * IQ_OK with nothing done when the vhca_id was not from the cache.
 */
int host_vf_vhca_refresh(struct host_pf *pf, struct host_vf *vf,
			 struct iq_err *err);
/* /proc/meminfo and /sys/kernel/mm/hugepages. */
int host_read_memory(struct host *host, struct iq_err *err);
/*
 * Only the huge page pools (ROOT/sys/kernel/mm/hugepages/hugepages-*kB),
 * sorted by page size, into mem->pools; no pools directory = no pools.
 * A pool file that cannot be read is IQ_EENV naming it, except
 * nr_overcommit_hugepages (overcommit_known false, the reason in the
 * pool's overcommit_why) and the per-node files
 * (ROOT/sys/devices/system/node/nodeN/hugepages/hugepages-*kB/
 * {nr,free,surplus}_hugepages: mem->nodes_unreadable, mem->node_why),
 * which only some checks need.
 */
int host_read_hugepage_pools(const char *root, struct host_mem *mem,
			     struct iq_err *err);
/* debugfs page counters of every PF (missing files stay -1). */
void host_read_fw_pages(struct host *host);

/* The VF's driver (basename of its driver link, "" when unbound). */
int host_vf_read_driver(const struct host *host, struct host_vf *vf,
			struct iq_err *err);

/* Find a VF by normalised PCI address; NULL when it is not a ConnectX VF. */
struct host_vf *host_find_vf(struct host *host, const char *pci,
			     struct host_pf **pf);
struct host_pf *host_find_pf(struct host *host, const char *pci);
/*
 * True when PCI is a ConnectX physical function: vendor 0x15b3 and no
 * physfn link (a VF has one; host-interfaces.md), with or without SR-IOV.
 * False when it is anything else or cannot be read.
 */
bool host_pci_is_connectx_pf(const struct host *host, const char *pci);
/* True when ROOT/sys/bus/pci/devices/PCI exists. */
bool host_pci_exists(const struct host *host, const char *pci);

/*
 * End every PF's batch of commands (fw_dev_flush): what they changed takes
 * effect for other processes. host_probe_firmware, plan_read_back and
 * plan_execute end with it; a caller sending its own commands calls it.
 */
int host_fw_flush(struct host *host, struct iq_err *err);

/* Total firmware commands/writes sent on all PFs (bench, tests). */
void host_fw_counts(const struct host *host, unsigned long *cmds,
		    unsigned long *writes);

/* Resends after RESOURCE_BUSY / NOT_READY on all PFs (fw_dev_exec). */
unsigned long host_fw_retries(const struct host *host);

/* Firmware commands that failed on all PFs (metrics counter). */
unsigned long host_fw_errors(const struct host *host);

/* Close transports, free everything. */
void host_free(struct host *host);

#endif
