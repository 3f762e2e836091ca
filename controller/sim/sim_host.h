/* SPDX-License-Identifier: MIT */
/*
 * The simulated host: a directory tree shaped exactly like the parts of
 * sysfs, procfs and debugfs the controller reads (a GPU host with ConnectX
 * NICs), plus the simulated firmware state (devx/simfw.h) behind it, so
 * the same discovery and firmware code runs with --root DIR as on a real
 * host. The guest side is modelled too: a guest registering memory on its
 * VFs makes page requests the firmware grants or refuses (against the
 * caps), a function reset hands the pages back, and sim_host_refresh()
 * recomputes the debugfs counters and /proc/meminfo from that state.
 *
 * Host parameters live in ROOT/icmquota-sim/host.json.
 */
#ifndef ICMQUOTA_SIM_HOST_H
#define ICMQUOTA_SIM_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/pci.h"

#define SIM_MAX_PFS   8
#define SIM_MAX_GPUS  8
#define SIM_MAX_VFS   127
#define SIM_MAX_POOLS 4

/* Which debugfs page counters a PF has (kernel and page-management mode). */
enum sim_fw_pages_files {
	SIM_FW_PAGES_ALL,   /* pages/ with every fw_pages_* file */
	SIM_FW_PAGES_TOTAL, /* vhca_id page management: fw_pages_total only */
	SIM_FW_PAGES_NONE,  /* kernels before 2022: no pages/ directory */
};

struct sim_hugepage_spec {
	uint64_t page_bytes; /* 2 MiB, 1 GiB */
	uint64_t count;	     /* nr_hugepages */
	uint64_t free;	     /* free_hugepages; the rest is in use by VMs */
};

struct sim_host_params {
	unsigned npfs;		  /* 1..SIM_MAX_PFS */
	unsigned total_vfs;	  /* sriov_totalvfs per PF */
	unsigned enabled_vfs;	  /* sriov_numvfs per PF */
	uint64_t mem_total;	  /* bytes */
	uint64_t host_used;	  /* bytes the host itself uses */
	uint64_t total_icm_bytes; /* per PF (NIC_CAP_REG.total_icm) */
	uint32_t pf_pages;	  /* the PF's own firmware pages */
	unsigned ngpus;		  /* 0..SIM_MAX_GPUS */
	struct sim_hugepage_spec pools[SIM_MAX_POOLS];
	size_t npools;
	/* PFs whose firmware lacks NIC_CAP_REG / VHCA_ICM_CTRL. */
	char no_icm_ctrl[SIM_MAX_PFS][PCI_ADDR_LEN];
	size_t n_no_icm_ctrl;
	/* PFs whose firmware has no vHCA groups (vhca_group_id_max 0). */
	char no_groups[SIM_MAX_PFS][PCI_ADDR_LEN];
	size_t n_no_groups;
	uint32_t pf_domain; /* PCI domain of the PFs and VFs (GPUs stay at 0) */
	/* Debugfs page counters: all, fw_pages_total only, none (sim_tree.h) */
	enum sim_fw_pages_files fw_pages_files;
	bool fwctl;		      /* create sys/class/fwctl entries */
	bool no_access_register_user; /* HCA cap access_register_user = 0 */
	uint32_t icm_rounding; /* caps rounded up to N pages; 0, 1: exact */
	bool force;	       /* init over a non-empty directory */
};

/* The defaults of `icmquota sim init` (8 PFs, 16/8 VFs, 2 TiB, ...). */
void sim_host_params_default(struct sim_host_params *params);

/*
 * PCI address of the sim's PF number index (HGX layout) in PCI domain
 * `domain`; false past the last PF.
 */
bool sim_host_pf_pci(unsigned index, uint32_t domain, char out[PCI_ADDR_LEN]);
/* PCI address of the sim's GPU number index; NULL past it. */
const char *sim_host_gpu_pci(unsigned index);

/*
 * ROOT/rel as a path (rel without its leading slash: "proc/meminfo");
 * IQ_EUSAGE naming root when it does not fit in out[len].
 */
int sim_host_path(char *out, size_t len, const char *root, const char *rel,
		  struct iq_err *err);

/*
 * Build the tree and the firmware state under root. A non-empty root is
 * refused unless params->force, which replaces what a previous init made
 * (sys/, proc/, icmquota-sim/) and leaves anything else alone.
 */
int sim_host_init(const char *root, const struct sim_host_params *params,
		  struct iq_err *err);

/*
 * Recompute the debugfs page counters of every PF (only the counter files
 * that exist: deleting one simulates a kernel without it) and
 * /proc/meminfo from the firmware state and the huge page pools in the
 * tree. A pool whose nr_hugepages was lowered below the pages in use is
 * put back to them, as the kernel only releases free huge pages.
 */
int sim_host_refresh(const char *root, struct iq_err *err);

/*
 * ICM pages one MR of that many bytes costs: icm_model_pages_per_mr()
 * (controller/core/icm_model.h, the one calibration), as one page request
 * (a 32-bit count; UINT32_MAX past it, which no cap grants).
 */
uint32_t sim_host_pages_per_mr(uint64_t bytes);

/* host.json: what sim_host_refresh and register need back. */
struct sim_host_info {
	uint64_t mem_total;
	uint64_t host_used;
	uint64_t default_hugepage_bytes;
};
int sim_host_load_info(const char *root, struct sim_host_info *info,
		       struct iq_err *err);

/* One VF's outcome of a register or reset. */
struct sim_vf_result {
	char vf[PCI_ADDR_LEN];
	char pf[PCI_ADDR_LEN];
	uint16_t function_id;
	uint16_t vhca_id;
	uint64_t granted; /* MRs granted in this call */
	uint64_t refused; /* MRs refused in this call (ENOMEM in the guest) */
	uint32_t cap;	  /* max_alloc_icm_th after, 4 KiB units */
	uint32_t cur;	  /* cur_alloc_icm after, 4 KiB units */
};

struct sim_register_req {
	const char (*vfs)[PCI_ADDR_LEN];
	size_t nvfs;
	uint64_t bytes;	      /* size of each buffer */
	unsigned mrs_per_hca; /* MRs per buffer per HCA (2: relaxed ordering) */
	unsigned buffers;     /* buffers registered on every VF */
};

/*
 * A guest registers req->buffers buffers of req->bytes on each VF, with
 * req->mrs_per_hca MRs per HCA: each MR is one all-or-nothing page
 * request of sim_host_pages_per_mr() pages on the VF's function. Fills
 * results[0..nvfs) and *pages_per_mr, then refreshes the counters. A VF
 * that is not an enabled ConnectX VF of the sim is IQ_EREFUSED naming it.
 */
int sim_host_register(const char *root, const struct sim_register_req *req,
		      struct sim_vf_result *results, uint32_t *pages_per_mr,
		      struct iq_err *err);

/* Function level reset of a VF (VM stop): its ICM goes back; refreshes. */
int sim_host_flr(const char *root, const char *vf, struct sim_vf_result *result,
		 struct iq_err *err);

#endif
