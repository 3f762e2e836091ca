// SPDX-License-Identifier: MIT
#include "controller/core/split.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/file.h"
#include "lib/size.h"

static uint64_t pf_own_fw_bytes(const struct host_pf *pf)
{
	int64_t own;

	/* Unknown: the caller counts it as unknown, never as 0. */
	if (pf->fw_pages.total < 0)
		return 0;
	/* Only the total (vhca_id page management): all of it, VFs' pages
	 * included; over-counting is the safe side. */
	if (pf->fw_pages.vfs < 0)
		return (uint64_t)pf->fw_pages.total * ICM_PAGE_BYTES;
	own = pf->fw_pages.total - pf->fw_pages.vfs -
	      (pf->fw_pages.ec_vfs > 0 ? pf->fw_pages.ec_vfs : 0);
	return own > 0 ? (uint64_t)own * ICM_PAGE_BYTES : 0;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* The PF was asked and its firmware did not answer (host.c marks it). */
static bool pf_silent(const struct host_pf *pf)
{
	return pf->probed && pf->unreachable;
}

/*
 * The PFs that did not answer and leave a term of the split assumed (a
 * running VM's VF cap) or unknown (an idle VF's holding): a PF nobody's
 * figure depends on does not change the split, and is not named here.
 */
static void count_unreachable(const struct host *host, const struct plan *plan,
			      struct split *split)
{
	for (size_t p = 0; p < host->npfs; p++) {
		const struct host_pf *pf = &host->pfs[p];
		bool matters = false;
		uint64_t held;
		char why[8];

		if (!pf_silent(pf))
			continue;
		for (size_t i = 0; i < plan->nvfs && !matters; i++)
			matters = plan->vfs[i].pf == pf &&
				  (plan->vfs[i].vm ||
				   plan_idle_held(&plan->vfs[i], &held, why,
						  sizeof(why)) ==
					   PLAN_HELD_UNKNOWN);
		if (!matters || split->unreachable_pfs++)
			continue;
		snprintf(split->unreachable_pf, sizeof(split->unreachable_pf),
			 "%s", pf->pci);
		snprintf(split->unreachable_why, sizeof(split->unreachable_why),
			 "%s", pf->unreachable_why);
	}
}

void split_compute(const struct host *host, const struct policy *policy,
		   const struct plan *plan, const struct vm_facts *vms,
		   size_t nvms, struct split *split)
{
	uint64_t charge;

	memset(split, 0, sizeof(*split));
	split->mem_total = host->mem.mem_total;
	split->mem_available = host->mem.mem_available;
	split->reserve = policy->reserve.bytes;
	for (size_t i = 0; i < plan->nvfs; i++) {
		const struct plan_vf *pv = &plan->vfs[i];

		if (!pv->vm)
			continue;
		/* A VF its PF cannot cap runs unlimited, whatever was asked. */
		split->unlimited_caps +=
			pv->desired_bytes == IQ_UNLIMITED ||
			(pv->pf->probed && !pv->pf->supported &&
			 !pv->pf->unreachable);
		/* Not read back: what the policy asks, assumed, said so. */
		split->vf_caps_assumed_vfs += pf_silent(pv->pf);
		/* A group's VFs are charged once, below, for the group. */
		if (pv->group >= 0)
			continue;
		charge = plan_vf_cap_charge(pv, split->mem_total);
		split->vf_caps = sat_add(split->vf_caps, charge);
		if (pf_silent(pv->pf))
			split->vf_caps_assumed =
				sat_add(split->vf_caps_assumed, charge);
	}
	for (size_t i = 0; i < plan->ngroups; i++) {
		charge = plan_group_charge(plan, &plan->groups[i],
					   split->mem_total);
		split->vf_caps = sat_add(split->vf_caps, charge);
		if (pf_silent(plan->groups[i].pf))
			split->vf_caps_assumed =
				sat_add(split->vf_caps_assumed, charge);
	}
	for (size_t p = 0; p < host->npfs; p++) {
		const struct host_fw_pages *fp = &host->pfs[p].fw_pages;

		if (fp->total < 0 && !split->pf_fw_unknown++)
			snprintf(split->pf_fw_why, sizeof(split->pf_fw_why),
				 "%s: %s", host->pfs[p].pci, fp->why);
		split->pf_fw_total_only += fp->total >= 0 && fp->vfs < 0;
		split->pf_fw_pages += pf_own_fw_bytes(&host->pfs[p]);
		if (host->pfs[p].fw_pages.total > 0)
			split->fw_pages_bytes +=
				(uint64_t)host->pfs[p].fw_pages.total *
				ICM_PAGE_BYTES;
	}
	/* Idle VFs: what each holds, never a guess (plan_idle_held). */
	for (size_t i = 0; i < plan->nvfs; i++) {
		const struct plan_vf *pv = &plan->vfs[i];
		char why[sizeof(split->idle_vf_why)];
		uint64_t held;

		if (pv->vm)
			continue;
		switch (plan_idle_held(pv, &held, why, sizeof(why))) {
		case PLAN_HELD_KNOWN:
			split->idle_vf_held =
				sat_add(split->idle_vf_held, held);
			break;
		case PLAN_HELD_IN_PF_TOTAL:
			break;
		case PLAN_HELD_UNKNOWN:
			if (!split->idle_vf_unknown++)
				snprintf(split->idle_vf_why,
					 sizeof(split->idle_vf_why), "%s", why);
			break;
		}
	}
	count_unreachable(host, plan, split);
	for (size_t i = 0; i < plan->nothers; i++)
		if (plan->others[i].connectx_pf && !split->uncapped_pfs++)
			snprintf(split->uncapped_pf_why,
				 sizeof(split->uncapped_pf_why), "%s in VM %s",
				 plan->others[i].pci, plan->others[i].vm->name);
	/* Per VM, what is not in huge pages (those are in the pools). */
	for (size_t i = 0; i < nvms; i++)
		split->vm_nonhuge =
			sat_add(split->vm_nonhuge,
				vms[i].memory_bytes - vm_huge_bytes(&vms[i]));
	for (size_t i = 0; i < host->mem.npools; i++)
		split->hugepage_pools =
			sat_add(split->hugepage_pools,
				host->mem.pools[i].total *
					host->mem.pools[i].page_bytes);
	split->committed =
		sat_add(sat_add(sat_add(split->reserve, split->vf_caps),
				sat_add(split->pf_fw_pages, split->vm_nonhuge)),
			sat_add(split->hugepage_pools, split->idle_vf_held));
	if (split->committed >= (uint64_t)INT64_MAX / 2)
		split->headroom = INT64_MIN / 2;
	else
		split->headroom =
			(int64_t)split->mem_total - (int64_t)split->committed;
}

void split_pf_term(const struct split *split, char *buf, size_t len)
{
	char known[32];

	size_format(split->pf_fw_pages, known, sizeof(known));
	if (split->pf_fw_unknown)
		snprintf(buf, len, "%s + UNKNOWN for %u PF%s (%s)", known,
			 split->pf_fw_unknown,
			 split->pf_fw_unknown == 1 ? "" : "s",
			 split->pf_fw_why);
	else if (split->pf_fw_total_only)
		snprintf(buf, len,
			 "%s (fw_pages_total of %u PF%s, VFs' pages "
			 "included)",
			 known, split->pf_fw_total_only,
			 split->pf_fw_total_only == 1 ? "" : "s");
	else
		snprintf(buf, len, "%s", known);
}

void split_caps_term(const struct split *split, char *buf, size_t len)
{
	char caps[32], assumed[32];

	size_format(split->vf_caps, caps, sizeof(caps));
	if (!split->vf_caps_assumed_vfs) {
		snprintf(buf, len, "%s", caps);
		return;
	}
	size_format(split->vf_caps_assumed, assumed, sizeof(assumed));
	snprintf(buf, len,
		 "%s (%s of it ASSUMED: %u VF%s on %s%s, which did not answer, "
		 "counted at the policy's cap, not read back)",
		 caps, assumed, split->vf_caps_assumed_vfs,
		 split->vf_caps_assumed_vfs == 1 ? "" : "s",
		 split->unreachable_pfs > 1 ? "PFs like " : "PF ",
		 split->unreachable_pf);
}

void split_unreachable_advice(const struct split *split, char *buf, size_t len)
{
	if (!split->unreachable_pfs) {
		snprintf(buf, len, "%s", "");
		return;
	}
	if (split->unreachable_pfs == 1)
		snprintf(buf, len,
			 "PF %s did not answer (%s), so the split is not all "
			 "known: fix or reset that PF (icmquota doctor; a "
			 "firmware reset or a reboot) or wait until it answers",
			 split->unreachable_pf, split->unreachable_why);
	else
		snprintf(buf, len,
			 "%u PFs did not answer (the first: %s), so the split "
			 "is not all known: fix or reset those PFs (icmquota "
			 "doctor; a firmware reset or a reboot) or wait until "
			 "they answer",
			 split->unreachable_pfs, split->unreachable_why);
}

void split_idle_term(const struct split *split, char *buf, size_t len)
{
	char known[32];

	size_format(split->idle_vf_held, known, sizeof(known));
	if (split->idle_vf_unknown)
		snprintf(buf, len, "%s + UNKNOWN for %u VF%s (%s)", known,
			 split->idle_vf_unknown,
			 split->idle_vf_unknown == 1 ? "" : "s",
			 split->idle_vf_why);
	else
		snprintf(buf, len, "%s", known);
}

void split_describe(const struct split *split, char *buf, size_t len)
{
	char total[32], reserve[32], caps[256], pf[256], nonhuge[32], pools[32],
		headroom[32], unlimited[64] = "", idle[384], pfs[224] = "";

	size_format(split->mem_total, total, sizeof(total));
	size_format(split->reserve, reserve, sizeof(reserve));
	split_caps_term(split, caps, sizeof(caps));
	split_pf_term(split, pf, sizeof(pf));
	size_format(split->vm_nonhuge, nonhuge, sizeof(nonhuge));
	size_format(split->hugepage_pools, pools, sizeof(pools));
	size_format_signed(split->headroom, headroom, sizeof(headroom));
	split_idle_term(split, idle, sizeof(idle));
	if (split->unlimited_caps)
		snprintf(unlimited, sizeof(unlimited),
			 " (%u unlimited, counted at total ICM)",
			 split->unlimited_caps);
	if (split->uncapped_pfs)
		snprintf(pfs, sizeof(pfs),
			 " - UNKNOWN for %u whole PF%s passed through (%s)",
			 split->uncapped_pfs,
			 split->uncapped_pfs == 1 ? "" : "s",
			 split->uncapped_pf_why);
	snprintf(buf, len,
		 "MemTotal %s - reserve %s - VF caps %s%s - PF firmware %s - "
		 "idle VFs' firmware pages %s%s - non-hugepage VM memory %s - "
		 "huge page pools %s = headroom %s",
		 total, reserve, caps, unlimited, pf, idle, pfs, nonhuge, pools,
		 headroom);
}

static void shortfall_text(const struct split *split, char *buf, size_t len);

bool split_overcommit_describe(const struct split *split, char *buf, size_t len)
{
	char over[32], terms[1024];

	if (split->headroom >= 0) {
		snprintf(buf, len, "%s", "");
		return false;
	}
	shortfall_text(split, over, sizeof(over));
	split_describe(split, terms, sizeof(terms));
	snprintf(buf, len, "the host is overcommitted by %s (%s)", over, terms);
	return true;
}

/* Add one sentence to the admission's one line ("; " between). */
static void adm_say(struct admission *adm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void adm_say(struct admission *adm, const char *fmt, ...)
{
	size_t used = strlen(adm->message);
	va_list ap;

	if (used && used + 2 < sizeof(adm->message)) {
		memcpy(adm->message + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(adm->message + used, sizeof(adm->message) - used, fmt, ap);
	va_end(ap);
}

/* The shortfall of a split that does not fit, for people. */
static void shortfall_text(const struct split *split, char *buf, size_t len)
{
	/* headroom is clamped for huge figures: the shortfall is exact. */
	uint64_t shortfall = split->committed > split->mem_total
				     ? split->committed - split->mem_total
				     : (uint64_t)-split->headroom;

	if (split->committed == UINT64_MAX)
		snprintf(buf, len, "more than 16EiB");
	else
		size_format(shortfall, buf, len);
}

/*
 * Plan a release of free huge pages covering shortfall, on host->mem's
 * pools: never reserved pages, never what the starting VM will need.
 * Largest pages first: fewest pages for the most room. Nothing is
 * written here.
 */
static void plan_release(const struct host *host, const struct vm_facts *vm,
			 uint64_t shortfall, uint64_t release[8])
{
	size_t order[8];
	size_t n = host->mem.npools;

	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		release[i] = 0;
		while (j > 0 && host->mem.pools[order[j - 1]].page_bytes <
					host->mem.pools[i].page_bytes) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	for (size_t k = 0; k < n && shortfall; k++) {
		const struct hugepage_pool *pool = &host->mem.pools[order[k]];
		uint64_t usable =
			pool->free > pool->resv ? pool->free - pool->resv : 0;
		uint64_t free_bytes = usable * pool->page_bytes;
		/* Each page size is the VM's own pool: keep what it needs
		 * of this size. */
		uint64_t keep = vm_huge_bytes_of_size(
			vm, pool->page_bytes, host->mem.default_page_bytes);
		uint64_t spare = free_bytes > keep ? free_bytes - keep : 0;
		uint64_t pages;

		pages = (shortfall + pool->page_bytes - 1) / pool->page_bytes;
		if (pages * pool->page_bytes > spare)
			pages = spare / pool->page_bytes;
		release[order[k]] = pages;
		shortfall = pages * pool->page_bytes >= shortfall
				    ? 0
				    : shortfall - pages * pool->page_bytes;
	}
}

/* Write the planned pool sizes; the kernel releases only free pages. */
static int release_hugepages(struct host *host, const uint64_t release[8],
			     struct admission *adm, struct iq_err *err)
{
	for (size_t i = 0; i < host->mem.npools; i++) {
		struct hugepage_pool *pool = &host->mem.pools[i];
		char path[PATH_MAX], rel[128], value[32];
		uint64_t now;
		int rc;

		if (!release[i])
			continue;
		snprintf(rel, sizeof(rel),
			 "/sys/kernel/mm/hugepages/hugepages-%" PRIu64
			 "kB/nr_hugepages",
			 pool->page_bytes / 1024);
		if (path_join(path, sizeof(path), host->root, rel))
			return iq_fail(err, IQ_EENV, "%s: path too long", rel);
		snprintf(value, sizeof(value), "%" PRIu64 "\n",
			 pool->total - release[i]);
		rc = file_write_str(path, value, err);
		if (rc == IQ_OK)
			rc = file_read_u64(path, &now, err);
		if (rc)
			return iq_err_prefix(
				err, "releasing %" PRIu64 " free huge pages",
				release[i]);
		/* What the kernel really let go, not what was asked. */
		if (now < pool->total) {
			adm->released_hugepages += pool->total - now;
			pool->free -= pool->total - now;
			pool->total = now;
		}
	}
	return IQ_OK;
}

/* Lower this VM's caps toward min_vf_cap, proportionally, by shortfall. */
static bool scale_caps(struct plan *plan, const struct vm_facts *vm,
		       uint64_t min_cap, uint64_t mem_total, uint64_t shortfall,
		       struct admission *adm)
{
	unsigned __int128 reducible = 0;

	for (size_t i = 0; i < plan->nvfs; i++) {
		struct plan_vf *pv = &plan->vfs[i];
		uint64_t charge;

		if (pv->vm != vm || !pv->pf->supported)
			continue;
		charge = plan_vf_cap_charge(pv, mem_total);
		adm->scaled_from += charge;
		if (charge > min_cap)
			reducible += charge - min_cap;
	}
	if (reducible < shortfall)
		return false;
	for (size_t i = 0; i < plan->nvfs; i++) {
		struct plan_vf *pv = &plan->vfs[i];
		uint64_t charge, cut;

		if (pv->vm != vm || !pv->pf->supported)
			continue;
		charge = plan_vf_cap_charge(pv, mem_total);
		if (charge <= min_cap) {
			adm->scaled_to += charge;
			continue;
		}
		/* Round the cut up to whole pages so the sum covers it. */
		cut = (uint64_t)(((unsigned __int128)(charge - min_cap) *
					  shortfall +
				  reducible - 1) /
				 reducible);
		cut = (cut + ICM_PAGE_BYTES - 1) / ICM_PAGE_BYTES *
		      ICM_PAGE_BYTES;
		pv->desired_bytes =
			charge - cut < min_cap ? min_cap : charge - cut;
		adm->scaled_to += pv->desired_bytes;
	}
	adm->scaled = true;
	return true;
}

/*
 * The last try of scale: every VF cap of the VM above min_vf_cap at
 * min_vf_cap (proportional cuts may not do when a vm_cap group binds
 * first). adm->scaled_to is what they charge then.
 */
static void floor_caps(struct plan *plan, const struct vm_facts *vm,
		       uint64_t min_cap, uint64_t mem_total,
		       struct admission *adm)
{
	adm->scaled_to = 0;
	for (size_t i = 0; i < plan->nvfs; i++) {
		struct plan_vf *pv = &plan->vfs[i];

		if (pv->vm != vm || !pv->pf->supported)
			continue;
		if (pv->desired_bytes > min_cap)
			pv->desired_bytes = min_cap;
		adm->scaled_to += plan_vf_cap_charge(pv, mem_total);
	}
}

/*
 * A whole ConnectX PF among the VM's devices: strict refuses (one line:
 * the VM, the PF, what to do), the other modes say it in adm->message.
 */
static int admit_whole_pfs(const struct policy *policy, const struct plan *plan,
			   const struct vm_facts *vm, unsigned *own,
			   struct admission *adm, struct iq_err *err)
{
	*own = 0;
	for (size_t i = 0; i < plan->nothers; i++) {
		const struct plan_other *o = &plan->others[i];

		if (o->vm != vm || !o->connectx_pf)
			continue;
		(*own)++;
		if (policy->admission == POLICY_ADMIT_STRICT)
			return iq_fail(
				err, IQ_EREFUSED,
				"VM %s not started: %s is a whole ConnectX PF "
				"passed through, whose firmware pages "
				"icmquota cannot cap from the host; pass one "
				"of its VFs instead (echo N > "
				"/sys/bus/pci/devices/%s/sriov_numvfs), or "
				"set host.admission: warn to start it uncapped",
				vm->name, o->pci, o->pci);
		adm_say(adm,
			"warning: VM %s: %s is a whole ConnectX PF passed "
			"through: its firmware pages are UNCAPPED and not in "
			"the split (host.admission: %s); pass one of its VFs "
			"instead",
			vm->name, o->pci,
			policy->admission == POLICY_ADMIT_SCALE ? "scale"
								: "warn");
	}
	return IQ_OK;
}

int split_admit(struct host *host, const struct policy *policy,
		struct plan *plan, const struct vm_facts *vms, size_t nvms,
		const struct vm_facts *vm, struct split *split,
		struct admission *adm, struct iq_err *err)
{
	char terms[1024], shortfall_h[32], from[32], to[32], min[32],
		advice[512];
	uint64_t shortfall, *kept;
	unsigned own_pfs;
	int rc;

	memset(adm, 0, sizeof(*adm));
	rc = admit_whole_pfs(policy, plan, vm, &own_pfs, adm, err);
	if (rc)
		return rc;
	split_compute(host, policy, plan, vms, nvms, split);
	if (split->headroom >= 0) {
		adm->admitted = true;
		if (split->pf_fw_unknown) {
			char pf[256];

			split_pf_term(split, pf, sizeof(pf));
			adm_say(adm,
				"VM %s admitted, but the PF firmware pages "
				"are not all known: %s; the headroom may be "
				"overstated",
				vm->name, pf);
		}
		if (split->idle_vf_unknown) {
			char idle[384];

			split_idle_term(split, idle, sizeof(idle));
			adm_say(adm,
				"VM %s admitted, but what idle VFs hold is not "
				"all known: %s; the headroom may be overstated",
				vm->name, idle);
		}
		if (split->unreachable_pfs) {
			split_unreachable_advice(split, advice, sizeof(advice));
			adm_say(adm,
				"VM %s admitted, but %s; the headroom may be "
				"wrong",
				vm->name, advice);
		}
		/* Another VM's whole PF (this VM's is said above). */
		if (split->uncapped_pfs > own_pfs)
			adm_say(adm,
				"VM %s admitted, but %u whole PF%s passed "
				"through (%s) %s uncapped and not in the "
				"split; the headroom may be overstated",
				vm->name, split->uncapped_pfs,
				split->uncapped_pfs == 1 ? "" : "s",
				split->uncapped_pf_why,
				split->uncapped_pfs == 1 ? "is" : "are");
		return IQ_OK;
	}
	if (policy->hugepages == POLICY_HUGEPAGES_MANAGE) {
		uint64_t release[8], freed = 0;

		/* Release only when that alone makes the VM fit: a refused
		 * start leaves the host as it was. */
		plan_release(host, vm, (uint64_t)-split->headroom, release);
		for (size_t i = 0; i < host->mem.npools; i++)
			freed += release[i] * host->mem.pools[i].page_bytes;
		if (freed >= (uint64_t)-split->headroom) {
			rc = release_hugepages(host, release, adm, err);
			if (rc)
				return rc;
			split_compute(host, policy, plan, vms, nvms, split);
		}
		if (split->headroom >= 0) {
			adm->admitted = true;
			adm_say(adm,
				"VM %s: released %" PRIu64
				" free huge pages to make room (hugepages: "
				"manage)",
				vm->name, adm->released_hugepages);
			return IQ_OK;
		}
	}
	/* headroom is clamped for huge figures: the shortfall is exact. */
	shortfall = split->committed > split->mem_total
			    ? split->committed - split->mem_total
			    : (uint64_t)-split->headroom;
	shortfall_text(split, shortfall_h, sizeof(shortfall_h));
	split_describe(split, terms, sizeof(terms));
	split_unreachable_advice(split, advice, sizeof(advice));
	switch (policy->admission) {
	case POLICY_ADMIT_WARN:
		adm->admitted = true;
		adm_say(adm,
			"VM %s admitted although it does not fit by %s "
			"(host.admission: warn): %s%s%s",
			vm->name, shortfall_h, terms, advice[0] ? "; " : "",
			advice);
		return IQ_OK;
	case POLICY_ADMIT_SCALE:
		/* A refusal leaves the plan's caps as they were. */
		kept = malloc((plan->nvfs ? plan->nvfs : 1) * sizeof(*kept));
		if (!kept)
			return iq_fail(err, IQ_EENV, "out of memory");
		for (size_t i = 0; i < plan->nvfs; i++)
			kept[i] = plan->vfs[i].desired_bytes;
		/* With a vm_cap the group may bind before the VF caps do:
		 * scaled VF caps must make it fit in the end. */
		if (scale_caps(plan, vm, policy->min_vf_cap.bytes,
			       split->mem_total, shortfall, adm) &&
		    (split_compute(host, policy, plan, vms, nvms, split),
		     split->headroom >= 0)) {
			size_format(adm->scaled_from, from, sizeof(from));
			size_format(adm->scaled_to, to, sizeof(to));
			adm->admitted = true;
			adm_say(adm,
				"VM %s: VF caps scaled from %s to %s in all "
				"to fit (host.admission: scale)",
				vm->name, from, to);
			free(kept);
			return IQ_OK;
		}
		/* The floor is the last try, and what a refusal quotes:
		 * the figures compared, not the caps before scaling. */
		floor_caps(plan, vm, policy->min_vf_cap.bytes, split->mem_total,
			   adm);
		split_compute(host, policy, plan, vms, nvms, split);
		if (split->headroom >= 0) {
			adm->scaled = true;
			adm->admitted = true;
			size_format(adm->scaled_from, from, sizeof(from));
			size_format(adm->scaled_to, to, sizeof(to));
			adm_say(adm,
				"VM %s: VF caps scaled from %s to %s in all "
				"(min_vf_cap) to fit (host.admission: scale)",
				vm->name, from, to);
			free(kept);
			return IQ_OK;
		}
		adm->scaled = false;
		shortfall_text(split, shortfall_h, sizeof(shortfall_h));
		split_describe(split, terms, sizeof(terms));
		for (size_t i = 0; i < plan->nvfs; i++)
			plan->vfs[i].desired_bytes = kept[i];
		free(kept);
		size_format(policy->min_vf_cap.bytes, min, sizeof(min));
		/* A PF that did not answer is the first thing to fix: the
		 * figures depend on it. */
		return iq_fail(
			err, IQ_EREFUSED,
			"VM %s does not fit even with its VF caps at "
			"min_vf_cap %s: short by %s (%s); %s%s"
			"lower host.reserve or defaults.min_vf_cap, or stop "
			"a VM",
			vm->name, min, shortfall_h, terms, advice,
			advice[0] ? "; else " : "");
	case POLICY_ADMIT_STRICT:
	default:
		return iq_fail(
			err, IQ_EREFUSED,
			"VM %s does not fit: short by %s (%s); %s%slower its "
			"vf_cap (policy vms/classes/defaults) or "
			"host.reserve, or set host.admission: scale",
			vm->name, shortfall_h, terms, advice,
			advice[0] ? "; else " : "");
	}
}
