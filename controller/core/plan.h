/* SPDX-License-Identifier: MIT */
/*
 * Desired caps vs the firmware's read-back, then only the writes needed.
 *
 * A plan covers every VF of every ConnectX PF on the host: the VFs of the
 * running VMs get their policy cap, the others the idle cap. A scope limits
 * what is read back and written (a VM start touches only that VM's VFs),
 * while the whole picture still feeds the memory split.
 */
#ifndef ICMQUOTA_PLAN_H
#define ICMQUOTA_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/core/host.h"
#include "controller/core/state.h"
#include "controller/sources/vm.h"
#include "devx/codec.h"
#include "lib/err.h"
#include "policy/policy.h"

struct plan_vf {
	struct host_pf *pf;
	struct host_vf *vf;
	const struct vm_facts *vm;	 /* NULL: idle */
	struct policy_decision decision; /* what the policy says */
	uint64_t desired_bytes;		 /* after admission (scale) */
	/* desired_bytes is below the policy's cap because host.admission:
	 * scale lowered it (at this start, or the journal's since then);
	 * raised_from: the cap apply raised it from this run (rescale.h),
	 * 0 when it did not. */
	bool scaled;
	uint64_t raised_from;
	bool in_scope; /* read back and written */
	bool have_actual;
	struct prm_vhca_icm_ctrl actual; /* read-back (then as written) */
	uint32_t read_cap_pages;	 /* max_alloc_icm_th as read back,
					    before any write (4 KiB units) */
	uint32_t asked_pages;		 /* cap icmquota last wrote (journal),
					    0 when it has no record */
	/* cur_alloc_icm as the firmware said it this run (4 KiB pages):
	 * read back in scope, or plan_read_idle_held for an idle VF. */
	bool held_known;
	uint32_t held_pages;
	bool write; /* firmware differs: one write */
	bool written;
	/* This run brings the firmware to desired_bytes (lifecycle: a VF in
	 * scope of an apply, a VM start or stop, a PF reconcile). Otherwise
	 * the cap in force is the one read back, or the one the journal
	 * says was written, and the split charges the larger. */
	bool will_write;
	/* vm_cap: the group this VF shares a budget in (index into
	 * plan->groups), -1 for none. */
	int group;
	/* A vm_cap applies but the PF has no vHCA groups (or its firmware
	 * was not read): the per-VF cap stands alone. */
	bool group_unsupported;
	uint16_t journal_group; /* the group the journal put it in, 0 none */
	uint16_t desired_group; /* what the write carries (read-back known) */
};

/*
 * One VM's VFs on one PF sharing a budget (vm_cap) through a vHCA group
 * (VHCA_GROUP_ICM_CTRL). Ids come from 1..vhca_group_id_max of the PF:
 * the one the journal has for the VM there, else the lowest id no
 * journalled VF of another VM holds.
 */
struct plan_group {
	struct host_pf *pf;
	const struct vm_facts *vm;
	uint16_t id;
	struct policy_decision decision; /* the vm_cap and its rule */
	uint64_t desired_bytes;
	unsigned members;
	bool in_scope;
	bool have_actual;
	struct prm_vhca_group_icm_ctrl actual;
	bool write;
	bool written;
	bool will_write; /* as plan_vf.will_write */
};

/*
 * Firmware rounding of max_alloc_icm_th (prm.md: "firmware may round up
 * to its page size"). A device that stores a cap rounded up is learnt from
 * a pair (the cap icmquota asked for, the cap read back): the smallest
 * power of two P, at most ICM_ROUNDING_MAX_PAGES (2 MiB), such that
 * rounding asked up to a multiple of P gives got. Returns P (4 KiB pages),
 * 1 when got == asked, 0 when the pair is no rounding (got below asked,
 * further above it than 2 MiB, or not a multiple): someone else set it.
 */
#define ICM_ROUNDING_MAX_PAGES 512u
uint32_t icm_rounding_from(uint32_t asked, uint32_t got);
/*
 * The cap read back holds the desired one (4 KiB units): equal, or above it
 * by less than the PF's learnt rounding (0 or 1: exact only). Unlimited
 * (PRM_ICM_UNLIMITED) only matches itself.
 */
bool icm_cap_matches(uint32_t actual, uint32_t desired, uint32_t rounding);

/*
 * A passed-through device that is not a ConnectX VF: a GPU, left alone;
 * or a whole ConnectX PF (vendor 0x15b3, no physfn link), whose firmware
 * pages the host cannot cap (VHCA_ICM_CTRL acts on the functions a host
 * PF manages, and a PF given to a guest is managed by the guest).
 */
struct plan_other {
	const struct vm_facts *vm;
	char pci[PCI_ADDR_LEN];
	bool connectx_pf;
	bool in_scope; /* a device of the VM the plan is for (or no scope) */
};

struct plan {
	struct plan_vf *vfs;
	size_t nvfs;
	struct plan_other *others;
	size_t nothers;
	struct plan_group *groups;
	size_t ngroups;
	size_t nwrites; /* writes needed (after read-back), groups too */
	/*
	 * apply (plan_build_all): a stale fact (a journal VM's device gone),
	 * an unreachable PF or a failed read or write is one line here and
	 * everything else is still capped; the caller reports them and
	 * exits non-zero. Elsewhere the first such fact is the error.
	 */
	bool lenient;
	char (*problems)[512];
	size_t nproblems;
	/* Of the problems, PFs that could not be reached: each one line for
	 * all its VFs, none of which was checked or capped. */
	size_t unreachable_pfs;
};

/*
 * Map the VMs' PCI devices onto the host and compute every VF's desired
 * cap. Errors (IQ_EREFUSED): a device that does not exist on the host, a
 * VF claimed by two VMs (names both), a cap above a PF's total ICM
 * (file:line:col of the policy value). scope NULL: every VF is in scope;
 * else the VFs among scope's PCI devices that no other VM holds (a VM
 * starting, or one stopping, which need not be among vms). VMs the
 * journal marks as scaled keep their journalled caps.
 */
int plan_build(struct host *host, const struct policy *policy,
	       const struct state *state, const struct vm_facts *vms,
	       size_t nvms, const struct vm_facts *scope, struct plan *plan,
	       struct iq_err *err);
/*
 * plan_build over every VF for apply: what would be an error is a problem
 * in plan->problems (a VM's PCI device missing from the host), and
 * read-back and writes go on
 * past a VF or PF that fails. Errors: out of memory, a policy cap above a
 * PF's total ICM, a VF claimed by two VMs (the sources contradict).
 */
int plan_build_all(struct host *host, const struct policy *policy,
		   const struct state *state, const struct vm_facts *vms,
		   size_t nvms, struct plan *plan, struct iq_err *err);
/*
 * Read back the in-scope VFs (and groups) of supported PFs; mark the
 * writes needed. A VF's write keeps the group it is in unless the plan
 * puts it in one (vm_cap) or takes it out of one icmquota made.
 */
int plan_read_back(struct host *host, struct plan *plan, struct iq_err *err);
/*
 * Issue the writes marked by plan_read_back: group budgets first (one
 * VHCA_GROUP_ICM_CTRL each), then one VHCA_ICM_CTRL per VF.
 */
int plan_execute(struct host *host, struct plan *plan, struct iq_err *err);
/*
 * A new desired cap for a VF after read-back (rescale): whether it needs
 * a write, and plan->nwrites, follow.
 */
void plan_set_desired(struct plan *plan, struct plan_vf *pv, uint64_t bytes);
/* Journal the in-scope VFs (what was programmed, for which VM, why). */
int plan_record(const struct plan *plan, const struct policy *policy,
		struct state *state, struct iq_err *err);

/*
 * What an idle VF (no VM) holds, for the memory split (bytes in *bytes):
 * PLAN_HELD_KNOWN when the firmware said it this run (cur_alloc_icm), or
 * when its PF's debugfs fw_pages_vfs is 0 (no VF of that PF holds a
 * page); PLAN_HELD_IN_PF_TOTAL when only fw_pages_total is there (the
 * VFs' pages are inside the PF's term already); PLAN_HELD_UNKNOWN with
 * the reason in why (never counted as 0).
 */
enum plan_held { PLAN_HELD_KNOWN, PLAN_HELD_IN_PF_TOTAL, PLAN_HELD_UNKNOWN };
enum plan_held plan_idle_held(const struct plan_vf *pv, uint64_t *bytes,
			      char *why, size_t why_len);
/*
 * Ask the firmware what each idle VF outside the scope holds
 * (VHCA_ICM_CTRL read, vhca_id on demand) when plan_idle_held cannot say
 * it otherwise: a VM start's split then charges what the idle VFs hold.
 * One read per such VF (debugfs answers for a PF none of whose VFs holds
 * a page). A VF whose PF was not probed, cannot be reached or has no
 * VHCA_ICM_CTRL, or whose read fails, stays unknown (the split says so);
 * the only error is a failed end of batch (host_fw_flush).
 */
int plan_read_idle_held(struct host *host, struct plan *plan,
			struct iq_err *err);
/*
 * Idle VFs that plan_read_idle_held would have to ask the firmware about
 * (debugfs cannot answer for them), on PFs not probed yet: the caller
 * opens the firmware first.
 */
bool plan_idle_held_needs_firmware(const struct plan *plan);
/*
 * Copy what was read back (caps, cur_alloc_icm) from src into dst, a
 * plan of the same host built with another policy (policy diff, policy
 * set), so that dst's split charges what the VFs hold too.
 */
void plan_copy_readings(struct plan *dst, const struct plan *src);

/* The plan's row of a host VF (every VF of the host has one). */
struct plan_vf *plan_find_vf(const struct plan *plan, const struct host_vf *vf);
/* Read back, the VF holds more ICM than its cap allows (not reclaimed). */
bool plan_vf_over_cap(const struct plan_vf *pv);

/*
 * What a VM's VF commits in the memory split, in bytes: its cap; an
 * unlimited cap, or one its PF cannot hold (no VHCA_ICM_CTRL), as the
 * PF's total ICM (mem_total when unknown); a VF read
 * back above its cap, what it holds. A VF this run does not write is
 * charged the larger of its desired cap and the cap in force (read back,
 * else the journal's): a cap lowered in the policy but not yet written
 * bounds nothing yet.
 */
uint64_t plan_vf_cap_charge(const struct plan_vf *pv, uint64_t mem_total);
/*
 * What a group costs the memory split, once for all its VFs: the smaller
 * of its budget and its members' caps summed (bytes); the budget in force
 * (read back) when this run does not write it and it is larger; never
 * less than what the group holds when that was read back (a budget
 * lowered below it does not reclaim pages).
 */
uint64_t plan_group_charge(const struct plan *plan, const struct plan_group *g,
			   uint64_t mem_total);
/*
 * Read the vHCA groups of the other VMs (out of scope, firmware open):
 * what each holds may be above its budget (a budget lowered below it),
 * and the split charges it (plan_group_charge). One VHCA_GROUP_ICM_CTRL
 * read per group. IQ_EENV naming the group when a read fails.
 */
int plan_read_groups_held(struct plan *plan, struct iq_err *err);
/* Mark the VFs and groups in scope as written to their desired caps by
 * this run (lifecycle, before the split). */
void plan_mark_will_write(struct plan *plan);

void plan_free(struct plan *plan);

#endif
