// SPDX-License-Identifier: MIT
/*
 * Admission of a VM starting (admission.h): the split with the VM in it,
 * then host.admission's strict, scale or warn, huge pages released first
 * under hugepages: manage.
 */
#include "controller/core/admission.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/file.h"
#include "lib/size.h"

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

/*
 * Plan a release of free huge pages covering shortfall, on host->mem's
 * pools: never reserved pages, never what the starting VM will need from
 * the free ones, never below what the running VMs' demand needs of the
 * pool or of a node set a VM is bound to (split_huge.spare: the kernel
 * may take the pages from any node). Largest pages first: fewest pages
 * for the most room. Nothing is written here.
 */
static void plan_release(const struct host *host, const struct split *split,
			 const struct vm_facts *vm, uint64_t shortfall,
			 uint64_t release[8])
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
		uint64_t pages, room = 0;

		for (size_t h = 0; h < split->nhuge; h++)
			if (split->huge[h].page_bytes == pool->page_bytes)
				room = split->huge[h].spare;
		if (spare / pool->page_bytes > room)
			spare = room * pool->page_bytes;

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
		/* nr_hugepages counts surplus pages, but a write sets the
		 * persistent pool (set_max_huge_pages). */
		snprintf(value, sizeof(value), "%" PRIu64 "\n",
			 pool->total - pool->surplus - release[i]);
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
		pv->scaled = pv->desired_bytes < pv->decision.cap_bytes;
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
		pv->scaled = pv->desired_bytes < pv->decision.cap_bytes;
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

/*
 * The sizes of the VM's huge pages whose pool cannot serve the demand
 * (or cannot say): strict and scale refuse (one line: the VM, the size,
 * the figures, the fix), warn says so in adm->message.
 */
static int admit_hugepages(const struct host *host, const struct policy *policy,
			   const struct vm_facts *vm, const struct split *split,
			   struct admission *adm, struct iq_err *err)
{
	const char *mode = policy->admission == POLICY_ADMIT_WARN    ? "warn"
			   : policy->admission == POLICY_ADMIT_SCALE ? "scale"
								     : "strict";

	for (size_t k = 0; k < vm->nhuge && k < VM_HUGE_MAX; k++) {
		uint64_t page = vm->huge[k].page_bytes
					? vm->huge[k].page_bytes
					: host->mem.default_page_bytes;
		const struct split_huge *h = NULL;
		char text[900], fix[300], size[32];
		bool seen = false;

		for (size_t j = 0; j < k && !seen; j++)
			seen = (vm->huge[j].page_bytes
					? vm->huge[j].page_bytes
					: host->mem.default_page_bytes) == page;
		for (size_t i = 0; !seen && i < split->nhuge; i++)
			if (split->huge[i].page_bytes == page)
				h = &split->huge[i];
		if (seen || (h && !split_huge_fails(h) && !h->unknown))
			continue;
		size_format(page, size, sizeof(size));
		if (!h) {
			/* Past the table: a size of no pool here. */
			snprintf(text, sizeof(text),
				 "%s huge pages: no pool of that size here",
				 size);
			snprintf(fix, sizeof(fix),
				 "back the VM with a size this host has");
		} else {
			split_huge_text(host, h, vm, text, sizeof(text));
			split_huge_fix(h, fix, sizeof(fix));
		}
		if (policy->admission == POLICY_ADMIT_WARN) {
			adm_say(adm,
				"warning: VM %s admitted although %s its huge "
				"pages can be served (host.admission: warn): "
				"%s; QEMU may fail to start it or the guest "
				"get "
				"SIGBUS: %s",
				vm->name,
				h && !split_huge_fails(h)
					? "it is UNKNOWN whether"
					: "NOT all",
				text, fix);
			continue;
		}
		if (h && !split_huge_fails(h))
			return iq_fail(
				err, IQ_EREFUSED,
				"VM %s not started: whether its huge "
				"pages can be served is unknown: %s; %s, "
				"or set host.admission: warn "
				"(host.admission: %s)",
				vm->name, text, fix, mode);
		return iq_fail(err, IQ_EREFUSED,
			       "VM %s not started: its huge pages cannot be "
			       "served: %s; %s, or stop a VM using them "
			       "(host.admission: %s)",
			       vm->name, text, fix, mode);
	}
	return IQ_OK;
}

/*
 * A running VM's VF on a PF whose firmware lacks VHCA_ICM_CTRL (it runs
 * UNCAPPED): the first of vm's (own) or of another VM's; NULL if none.
 */
static const struct plan_vf *uncapped_vf(const struct plan *plan,
					 const struct vm_facts *vm, bool own)
{
	for (size_t i = 0; i < plan->nvfs; i++) {
		const struct plan_vf *pv = &plan->vfs[i];

		if (pv->vm && (pv->vm == vm) == own && pv->pf->probed &&
		    !pv->pf->supported && !pv->pf->unreachable)
			return pv;
	}
	return NULL;
}

/*
 * Why no cap makes room for a VF that runs UNCAPPED, and what does: the
 * split charges it its PF's whole total ICM, or MemTotal when the
 * firmware does not say that (no NIC_CAP_REG), whatever vf_cap or scale
 * say. The VM starting's own VF, or another VM's.
 */
static void uncapped_advice(const struct plan_vf *pv, const struct vm_facts *vm,
			    uint64_t mem_total, char *buf, size_t len)
{
	char charge[32];

	size_format(plan_vf_cap_charge(pv, mem_total), charge, sizeof(charge));
	if (pv->vm != vm)
		snprintf(buf, len,
			 "VM %s's VF %s runs UNCAPPED (the firmware of PF %s "
			 "lacks VHCA_ICM_CTRL) and is charged %s%s: stopping "
			 "that VM, or updating that PF's firmware, makes room",
			 pv->vm->name, pv->vf->pci, pv->pf->pci,
			 split_total_icm_known(pv->pf) ? "its PF's total ICM "
						       : "MemTotal ",
			 charge);
	else if (!split_total_icm_known(pv->pf))
		snprintf(
			buf, len,
			"its VF %s would run UNCAPPED: the firmware of PF %s "
			"lacks VHCA_ICM_CTRL and does not report its total "
			"ICM, so the VF is charged all of MemTotal (%s) and no "
			"vf_cap, min_vf_cap or host.reserve makes room; update "
			"that PF's firmware (icmquota doctor says what it "
			"lacks), or pass the VM a VF of a PF that can cap it "
			"(icm_ctrl yes in icmquota status), or set "
			"host.admission: warn to start it uncapped",
			pv->vf->pci, pv->pf->pci, charge);
	else
		snprintf(
			buf, len,
			"its VF %s would run UNCAPPED: the firmware of PF %s "
			"lacks VHCA_ICM_CTRL, so the VF is charged that PF's "
			"whole total ICM (%s) whatever vf_cap or scale say; "
			"update that PF's firmware, or pass the VM a VF of a "
			"PF that can cap it (icm_ctrl yes in icmquota status), "
			"or make room for the whole PF's ICM (lower "
			"host.reserve, stop a VM), or set host.admission: warn "
			"to start it uncapped",
			pv->vf->pci, pv->pf->pci, charge);
}

/* The VM has VFs this admission can cap (scale can lower them). */
static bool has_capped_vfs(const struct plan *plan, const struct vm_facts *vm)
{
	for (size_t i = 0; i < plan->nvfs; i++)
		if (plan->vfs[i].vm == vm && plan->vfs[i].pf->supported)
			return true;
	return false;
}

int split_admit(struct host *host, const struct policy *policy,
		struct plan *plan, const struct vm_facts *vms, size_t nvms,
		const struct vm_facts *vm, struct split *split,
		struct admission *adm, struct iq_err *err)
{
	char terms[1536], shortfall_h[32], from[32], to[32], min[32],
		advice[512], uncapped[640] = "";
	const struct plan_vf *own, *other;
	uint64_t shortfall, *kept;
	unsigned own_pfs;
	int rc;

	memset(adm, 0, sizeof(*adm));
	rc = admit_whole_pfs(policy, plan, vm, &own_pfs, adm, err);
	if (rc)
		return rc;
	split_compute(host, policy, plan, vms, nvms, split);
	rc = admit_hugepages(host, policy, vm, split, adm, err);
	if (rc)
		return rc;
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
		plan_release(host, split, vm, (uint64_t)-split->headroom,
			     release);
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
	split_shortfall_text(split, shortfall_h, sizeof(shortfall_h));
	split_describe(split, terms, sizeof(terms));
	split_unreachable_advice(split, advice, sizeof(advice));
	/* A VF that runs UNCAPPED: the VM's own (then no vf_cap helps), or
	 * another VM's (stopping it helps). */
	own = uncapped_vf(plan, vm, true);
	other = own ? NULL : uncapped_vf(plan, vm, false);
	if (own || other)
		uncapped_advice(own ? own : other, vm, split->mem_total,
				uncapped, sizeof(uncapped));
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
		adm->scaled_short = shortfall;
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
		split_shortfall_text(split, shortfall_h, sizeof(shortfall_h));
		split_describe(split, terms, sizeof(terms));
		for (size_t i = 0; i < plan->nvfs; i++) {
			plan->vfs[i].desired_bytes = kept[i];
			plan->vfs[i].scaled &= plan->vfs[i].vm != vm;
		}
		free(kept);
		size_format(policy->min_vf_cap.bytes, min, sizeof(min));
		/* A PF that did not answer is the first thing to fix: the
		 * figures depend on it. A VF that runs UNCAPPED is charged
		 * what no min_vf_cap lowers: said instead. */
		if (own)
			return iq_fail(err, IQ_EREFUSED,
				       "VM %s does not fit%s%s: short by %s "
				       "(%s); %s%s%s",
				       vm->name,
				       has_capped_vfs(plan, vm)
					       ? " even with its other VF caps "
						 "at min_vf_cap "
					       : "",
				       has_capped_vfs(plan, vm) ? min : "",
				       shortfall_h, terms, advice,
				       advice[0] ? "; else " : "", uncapped);
		return iq_fail(
			err, IQ_EREFUSED,
			"VM %s does not fit even with its VF caps at "
			"min_vf_cap %s: short by %s (%s); %s%s%s%s"
			"lower host.reserve or defaults.min_vf_cap, or stop "
			"a VM",
			vm->name, min, shortfall_h, terms, advice,
			advice[0] ? "; else " : "", uncapped,
			uncapped[0] ? "; else " : "");
	case POLICY_ADMIT_STRICT:
	default:
		if (own)
			return iq_fail(err, IQ_EREFUSED,
				       "VM %s does not fit: short by %s (%s); "
				       "%s%s%s",
				       vm->name, shortfall_h, terms, advice,
				       advice[0] ? "; else " : "", uncapped);
		return iq_fail(
			err, IQ_EREFUSED,
			"VM %s does not fit: short by %s (%s); %s%s%s%slower "
			"its vf_cap (policy vms/classes/defaults) or "
			"host.reserve, or set host.admission: scale",
			vm->name, shortfall_h, terms, advice,
			advice[0] ? "; else " : "", uncapped,
			uncapped[0] ? "; else " : "");
	}
}
