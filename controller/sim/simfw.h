/* SPDX-License-Identifier: MIT */
/*
 * The simulated firmware: a model of the PRM semantics icmquota relies on
 * (prm.md; simfw.c), one state file per PF under ROOT/icmquota-sim/fw/
 * (simfw_state.c). The sim transport feeds it raw input mailboxes and
 * returns what the firmware would; `icmquota sim register/flr` drive the
 * guest side (page requests, function reset).
 */
#ifndef ICMQUOTA_SIMFW_H
#define ICMQUOTA_SIMFW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/pci.h"

#define SIMFW_DIR "icmquota-sim"

struct simfw_func {
	uint16_t function_id; /* 0 = the PF, VF index + 1 for a VF */
	uint16_t vhca_id;
	uint32_t cap;	      /* max_alloc_icm_th, 4 KiB units */
	uint32_t cur;	      /* cur_alloc_icm */
	uint32_t max_reached; /* max_reached_alloc_icm */
	uint16_t group;	      /* vhca_group_id, 0 = none */
	uint64_t granted;     /* page requests granted */
	uint64_t refused;     /* page requests refused by a cap */
};

struct simfw_group {
	uint16_t id;
	uint32_t cap;
	uint32_t cur;
	uint32_t max_reached;
};

struct simfw_pf {
	char pci[PCI_ADDR_LEN];
	uint32_t total_icm; /* 4 KiB units */
	bool vhca_icm_ctrl; /* NIC_CAP_REG.vhca_icm_ctrl */
	bool nic_cap_reg;   /* false: old firmware, register unknown */
	uint16_t group_id_max;
	uint16_t enabled_vfs; /* functions 1..enabled_vfs exist */
	size_t nfuncs;	      /* PF + sriov_totalvfs */
	struct simfw_func *funcs;
	struct simfw_group *groups; /* group_id_max entries, id 1.. */
	/*
	 * Fault injection (`sim inject`): the next inject_count commands are
	 * answered with inject_status and change nothing (e.g. NOT_READY
	 * during a firmware reset, RESOURCE_BUSY).
	 */
	uint8_t inject_status;
	uint32_t inject_count;
	/* Commands answered normally before the injected ones start (a PF
	 * that opens and answers its probe, then fails a read). */
	uint32_t inject_after;
	/*
	 * HCA cap access_register_user: false refuses ACCESS_REGISTER_USER
	 * (BAD_OP) as such firmware does; ACCESS_REG (the fwctl path) works.
	 */
	bool access_register_user;
	/*
	 * A cap written is stored rounded up to a multiple of cap_round pages
	 * (prm.md: the firmware may round max_alloc_icm_th up); 0, 1: exact.
	 */
	uint32_t cap_round;
	/*
	 * vhca_id << 16 | index into funcs, one per function, sorted: built
	 * by simfw_pf_index() so a command finds its function by binary
	 * search (8 steps for 255 functions) on any function; NULL:
	 * simfw_func_by_vhca() scans.
	 */
	uint32_t *by_vhca;
};

/*
 * A fresh PF (for sim init and tests): the PF and total_vfs VFs with the
 * vhca_ids of simfw_vhca_id_for(), every cap unlimited, nothing
 * allocated, groups 1..group_id_max unlimited, NIC_CAP_REG and
 * VHCA_ICM_CTRL supported. Returns 0, -1 when out of memory. Free with
 * simfw_pf_free().
 */
int simfw_pf_init(struct simfw_pf *pf, const char *pci, unsigned pf_index,
		  uint16_t total_vfs, uint16_t enabled_vfs, uint32_t total_icm,
		  uint16_t group_id_max);
/*
 * Write a fresh PF state (sim init). groups may be NULL (all unlimited);
 * a group's cur is derived from its members.
 */
int simfw_pf_create(const char *root, const struct simfw_pf *pf,
		    struct iq_err *err);
/*
 * The PF's state lock (flock on ROOT/icmquota-sim/fw/PCI.lock, taken by
 * every process driving the sim): simfw_pf_lock() waits for it (IQ_EENV
 * when the PF has no simulated firmware), simfw_pf_release() drops it.
 * A process takes the locks of several PFs in PCI address order.
 */
int simfw_pf_lock(const char *root, const char *pci, int *lock_fd,
		  struct iq_err *err);
void simfw_pf_release(int lock_fd);
/*
 * Load the PF's state; the caller holds the lock. state_fd (may be NULL)
 * gets an open descriptor of the file loaded, for simfw_pf_unchanged().
 */
int simfw_pf_load(const char *root, const char *pci, struct simfw_pf *pf,
		  int *state_fd, struct iq_err *err);
/* Under the lock: true when the state file is still the one state_fd
 * loaded (nobody saved since). */
bool simfw_pf_unchanged(const char *root, const char *pci, int state_fd);
/*
 * Lock the PF's state and load it. Always pair with simfw_pf_unlock().
 */
int simfw_pf_lock_load(const char *root, const char *pci, struct simfw_pf *pf,
		       int *lock_fd, struct iq_err *err);
/* Write the state (atomic replace); the lock stays held. */
int simfw_pf_save(const char *root, const struct simfw_pf *pf,
		  struct iq_err *err);
/* Save when dirty (atomic replace), then unlock and free. */
int simfw_pf_unlock(const char *root, struct simfw_pf *pf, int lock_fd,
		    bool dirty, struct iq_err *err);
void simfw_pf_free(struct simfw_pf *pf);
/*
 * Build pf->by_vhca (after loading or building a PF): simfw_func_by_vhca()
 * is then a binary search. Returns 0, -1 when out of memory (the scan
 * still works).
 */
int simfw_pf_index(struct simfw_pf *pf);

/*
 * After the next `after` commands (answered normally), answer count
 * commands to PF pci with status (0x01..0xff), changing nothing else
 * (count 0 clears it). IQ_EENV when the PF has no simulated firmware.
 */
int simfw_inject(const char *root, const char *pci, uint8_t status,
		 uint32_t count, uint32_t after, struct iq_err *err);

/* The PF names of the simulated firmware (sorted); *pcis is malloc'd. */
int simfw_list_pfs(const char *root, char (**pcis)[PCI_ADDR_LEN], size_t *n,
		   struct iq_err *err);

/*
 * Execute one command with PRM semantics. Always fills out (status,
 * syndrome, data); returns true when the state changed (an injected
 * answer counts down, which is a change).
 */
bool simfw_exec(struct simfw_pf *pf, const void *in, size_t inlen, void *out,
		size_t outlen);

struct simfw_func *simfw_func_by_id(struct simfw_pf *pf, uint16_t function_id);
struct simfw_func *simfw_func_by_vhca(struct simfw_pf *pf, uint16_t vhca_id);

/*
 * A page request from a function (a guest registering memory): granted
 * when it fits the function's cap, its group's cap and the device's
 * total ICM. Returns true when granted.
 */
bool simfw_alloc(struct simfw_pf *pf, struct simfw_func *fn, uint32_t pages);
/* Function level reset: the function's ICM returns to the host. */
void simfw_flr(struct simfw_pf *pf, struct simfw_func *fn);
/*
 * Every group's cur as the sum of its members' (its high-water mark
 * following): after a PF's state is built or read (simfw_state.c), where
 * the groups' cur is derived, never trusted.
 */
void simfw_groups_recompute(struct simfw_pf *pf);

/* The vhca_id the simulated firmware gives a function (stable). */
uint16_t simfw_vhca_id_for(unsigned pf_index, uint16_t function_id);

/* True when root holds a simulated firmware (ROOT/icmquota-sim/fw). */
bool simfw_root_present(const char *root);
/*
 * The transport that hands mailboxes to this model (sim_transport.c); give
 * it as fw_open_args.sim / run_ctx.sim_transport. Speaks
 * ACCESS_REGISTER_USER like the DevX path it stands in for.
 */
struct fw_transport_ops;
extern const struct fw_transport_ops simfw_transport;
/*
 * The same model reached as through fwctl (ACCESS_REG); simfw_transport's
 * reg_fallback, so auto on a simulated root goes there when
 * access_register_user is 0 (sim init --no-access-register-user).
 */
extern const struct fw_transport_ops simfw_transport_fwctl;

#endif
