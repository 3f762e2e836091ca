// SPDX-License-Identifier: MIT
#include "controller/core/split.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

bool split_total_icm_known(const struct host_pf *pf)
{
	return pf->probed && pf->total_icm_bytes &&
	       pf->total_icm_bytes != IQ_UNLIMITED;
}

/* A running VM's VF on a PF without VHCA_ICM_CTRL: UNCAPPED. */
static void count_uncapped(const struct plan_vf *pv, uint64_t charge,
			   struct split *split)
{
	split->uncapped_vf_bytes = sat_add(split->uncapped_vf_bytes, charge);
	split->uncapped_vfs_at_memtotal += !split_total_icm_known(pv->pf);
	if (split->uncapped_vfs++)
		return;
	snprintf(split->uncapped_vf, sizeof(split->uncapped_vf), "%s",
		 pv->vf->pci);
	snprintf(split->uncapped_vf_pf, sizeof(split->uncapped_vf_pf), "%s",
		 pv->pf->pci);
	snprintf(split->uncapped_vf_vm, sizeof(split->uncapped_vf_vm), "%s",
		 pv->vm->name);
}

void split_compute(const struct host *host, const struct policy *policy,
		   const struct plan *plan, const struct vm_facts *vms,
		   size_t nvms, struct split *split)
{
	uint64_t charge;
	bool uncapped;

	memset(split, 0, sizeof(*split));
	split->mem_total = host->mem.mem_total;
	split->mem_available = host->mem.mem_available;
	split->reserve = policy->reserve.bytes;
	for (size_t i = 0; i < plan->nvfs; i++) {
		const struct plan_vf *pv = &plan->vfs[i];

		if (!pv->vm)
			continue;
		/* A VF its PF cannot cap runs unlimited, whatever was asked. */
		uncapped = pv->pf->probed && !pv->pf->supported &&
			   !pv->pf->unreachable;
		split->unlimited_caps +=
			pv->desired_bytes == IQ_UNLIMITED || uncapped;
		/* Not read back: what the policy asks, assumed, said so. */
		split->vf_caps_assumed_vfs += pf_silent(pv->pf);
		/* A group's VFs are charged once, below, for the group. */
		if (pv->group >= 0)
			continue;
		charge = plan_vf_cap_charge(pv, split->mem_total);
		split->vf_caps = sat_add(split->vf_caps, charge);
		if (uncapped)
			count_uncapped(pv, charge, split);
		else if (pv->desired_bytes == IQ_UNLIMITED) {
			split->unlimited_asked++;
			split->unlimited_asked_at_memtotal +=
				!split_total_icm_known(pv->pf);
		}
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
	split_hugepages(host, vms, nvms, split);
	split->committed = sat_add(
		sat_add(sat_add(split->reserve, split->vf_caps),
			sat_add(split->pf_fw_pages, split->vm_nonhuge)),
		sat_add(sat_add(split->hugepage_pools, split->hugepage_surplus),
			split->idle_vf_held));
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

void split_uncapped_charge(const struct split *split, char *buf, size_t len)
{
	char each[32];
	unsigned n = split->uncapped_vfs;

	if (!n) {
		snprintf(buf, len, "%s", "");
		return;
	}
	if (split->uncapped_vfs_at_memtotal == n) {
		size_format(split->mem_total, each, sizeof(each));
		snprintf(buf, len, "MemTotal %s%s, as %s total ICM is unknown",
			 each, n == 1 ? "" : " each",
			 n == 1 ? "that PF's" : "their PFs'");
	} else if (!split->uncapped_vfs_at_memtotal && n == 1) {
		size_format(split->uncapped_vf_bytes, each, sizeof(each));
		snprintf(buf, len, "its PF's total ICM %s", each);
	} else {
		snprintf(buf, len, "%s total ICM (MemTotal where unknown)",
			 n == 1 ? "its PF's" : "their PFs'");
	}
}

void split_uncapped_advice(const struct split *split, char *buf, size_t len)
{
	char charge[160];

	if (!split->uncapped_vfs) {
		snprintf(buf, len, "%s", "");
		return;
	}
	split_uncapped_charge(split, charge, sizeof(charge));
	snprintf(buf, len,
		 "VM %s's VF %s runs UNCAPPED (the firmware of PF %s lacks "
		 "VHCA_ICM_CTRL) and, whatever vf_cap says, is charged %s: "
		 "stop that VM, or update that PF's firmware%s",
		 split->uncapped_vf_vm, split->uncapped_vf,
		 split->uncapped_vf_pf, charge,
		 split->uncapped_vfs > 1 ? " (and the others' without it)"
					 : "");
}

/* ", 1 unlimited, charged its PF's total ICM" for the caps term. */
static void unlimited_words(const struct split *split, char *buf, size_t len)
{
	unsigned n = split->unlimited_asked, at_mem;

	at_mem = split->unlimited_asked_at_memtotal;
	if (!n)
		snprintf(buf, len, "%s", "");
	else
		snprintf(buf, len, "%u unlimited, charged %s", n,
			 at_mem == n ? "MemTotal (total ICM unknown)"
			 : at_mem    ? "their PF's total ICM (MemTotal where "
				       "unknown)"
				     : "their PF's total ICM");
}

/* Append to buf (what is there ends at *used), as far as it goes. */
static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	*used = n < 0 ? len : *used + (size_t)n;
}

void split_caps_term(const struct split *split, char *buf, size_t len)
{
	char caps[32], part[32], uncapped[32], charge[160], unlimited[96];
	unsigned n = split->uncapped_vfs;
	size_t used = 0;

	size_format(split->vf_caps, caps, sizeof(caps));
	unlimited_words(split, unlimited, sizeof(unlimited));
	append(buf, len, &used, "%s", caps);
	if (n) {
		/* The capped part beside the uncapped: 8GiB next to 2TiB
		 * would vanish in one rounded sum. */
		size_format(split->vf_caps - split->uncapped_vf_bytes, part,
			    sizeof(part));
		size_format(split->uncapped_vf_bytes, uncapped,
			    sizeof(uncapped));
		split_uncapped_charge(split, charge, sizeof(charge));
		if (split->vf_caps > split->uncapped_vf_bytes)
			append(buf, len, &used, " (%s capped%s%s + %s", part,
			       unlimited[0] ? ", " : "", unlimited, uncapped);
		else
			append(buf, len, &used, " (all of it");
		append(buf, len, &used,
		       " for %u VF%s that run%s UNCAPPED: %s%s of VM %s on PF "
		       "%s, whose firmware lacks VHCA_ICM_CTRL, charged %s)",
		       n, n == 1 ? "" : "s", n == 1 ? "s" : "",
		       n == 1 ? "" : "the first ", split->uncapped_vf,
		       split->uncapped_vf_vm, split->uncapped_vf_pf, charge);
	} else if (unlimited[0]) {
		append(buf, len, &used, " (%s)", unlimited);
	}
	if (!split->vf_caps_assumed_vfs)
		return;
	size_format(split->vf_caps_assumed, part, sizeof(part));
	append(buf, len, &used,
	       " (%s of it ASSUMED: %u VF%s on %s%s, which did not answer, "
	       "counted at the policy's cap, not read back)",
	       part, split->vf_caps_assumed_vfs,
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
	char total[32], reserve[32], caps[768], pf[256], nonhuge[32], pools[32],
		surplus[32], headroom[32], idle[384], pfs[224] = "";

	size_format(split->mem_total, total, sizeof(total));
	size_format(split->reserve, reserve, sizeof(reserve));
	split_caps_term(split, caps, sizeof(caps));
	split_pf_term(split, pf, sizeof(pf));
	size_format(split->vm_nonhuge, nonhuge, sizeof(nonhuge));
	size_format(split->hugepage_pools, pools, sizeof(pools));
	size_format(split->hugepage_surplus, surplus, sizeof(surplus));
	size_format_signed(split->headroom, headroom, sizeof(headroom));
	split_idle_term(split, idle, sizeof(idle));
	if (split->uncapped_pfs)
		snprintf(pfs, sizeof(pfs),
			 " - UNKNOWN for %u whole PF%s passed through (%s)",
			 split->uncapped_pfs,
			 split->uncapped_pfs == 1 ? "" : "s",
			 split->uncapped_pf_why);
	snprintf(buf, len,
		 "MemTotal %s - reserve %s - VF caps %s - PF firmware %s - "
		 "idle VFs' firmware pages %s%s - non-hugepage VM memory %s - "
		 "huge page pools %s - huge page surplus %s = headroom %s",
		 total, reserve, caps, pf, idle, pfs, nonhuge, pools, surplus,
		 headroom);
}

/* The shortfall of a split that does not fit, for people. */
void split_shortfall_text(const struct split *split, char *buf, size_t len)
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

bool split_overcommit_describe(const struct split *split, char *buf, size_t len)
{
	char over[32], terms[1536], uncapped[512];

	if (split->headroom >= 0) {
		snprintf(buf, len, "%s", "");
		return false;
	}
	split_shortfall_text(split, over, sizeof(over));
	split_describe(split, terms, sizeof(terms));
	/* A VF no cap bounds is charged what no vf_cap lowers: first. */
	split_uncapped_advice(split, uncapped, sizeof(uncapped));
	snprintf(buf, len,
		 "the host is overcommitted by %s (%s); %s%slower vf_cap "
		 "(policy vms/classes/defaults) or host.reserve, or stop a VM",
		 over, terms, uncapped, uncapped[0] ? "; else " : "");
	return true;
}
