/* SPDX-License-Identifier: MIT */
/*
 * The sysfs/debugfs shape of the simulated host (used by sim_host.c):
 * devices under sys/devices with the relative symlinks the kernel makes
 * (bus/pci/devices, drivers, class/infiniband, class/fwctl, class/net,
 * iommu_groups, virtfnN/physfn), the debugfs page counters and the huge
 * page pools. Paths passed in are absolute inside the tree ("/sys/...").
 */
#ifndef ICMQUOTA_SIM_TREE_H
#define ICMQUOTA_SIM_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/sim/sim_host.h"
#include "lib/err.h"

struct sim_tree_pf {
	uint32_t domain; /* PCI domain (0; 10000 and above behind Intel VMD) */
	unsigned bus;	 /* PF at DDDD:BB:00.0, VFs follow (offset 1) */
	unsigned index;	 /* mlx5_N, fwctlN */
	unsigned total_vfs;
	unsigned enabled_vfs;
	unsigned numa_node;
	bool fwctl;
	enum sim_fw_pages_files fw_pages_files;
};

/*
 * The kernel's relative link target from the link at link_path to target
 * (both absolute inside the tree): up to the common ancestor, then down.
 * ("/sys/bus/pci/devices/X", "/sys/devices/p/X") -> "../../../devices/p/X"
 */
int sim_tree_rel_target(char *out, size_t len, const char *link_path,
			const char *target, struct iq_err *err);

/* Directories every simulated host has (drivers, classes, debugfs...). */
int sim_tree_skeleton(const char *root, bool fwctl, struct iq_err *err);
/* A ConnectX PF with its enabled VFs; *iommu_group is the next free one. */
int sim_tree_add_pf(const char *root, const struct sim_tree_pf *pf,
		    unsigned *iommu_group, struct iq_err *err);
/* An NVIDIA GPU at 0000:BB:00.0 bound to nvidia. */
int sim_tree_add_gpu(const char *root, unsigned bus, unsigned numa_node,
		     unsigned *iommu_group, struct iq_err *err);
/*
 * A huge page pool (global and NUMA node 0 and 1 files, all of it on node
 * 0); resv, surplus and nr_overcommit_hugepages 0.
 */
int sim_tree_add_pool(const char *root, uint64_t page_bytes, uint64_t count,
		      uint64_t free_pages, struct iq_err *err);
/*
 * Rewrite a pool's nr_hugepages/free_hugepages: global, and node 0 with
 * what node 1's files (a test may write them) do not hold.
 */
int sim_tree_write_pool(const char *root, uint64_t page_bytes, uint64_t count,
			uint64_t free_pages, struct iq_err *err);

#endif
