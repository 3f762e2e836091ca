// SPDX-License-Identifier: MIT
/*
 * The huge page terms of the memory split (split.h): per page size, the
 * running VMs' demand on the pool, the surplus pages it takes from
 * ordinary memory, and what the pool cannot serve, of the whole pool and
 * of each host node set a VM is bound to; and their text for people.
 *
 * The kernel's rules (mm/hugetlb.c, mm/hugetlb_sysfs.c): nr_hugepages
 * counts persistent and surplus pages; when a mapping's reservation
 * (hugetlb_acct_memory at mmap, which libvirt's preallocation makes at
 * QEMU start) needs more than the free pages, gather_surplus_pages()
 * allocates surplus pages from the buddy allocator while surplus_hugepages
 * < nr_overcommit_hugepages, and fails otherwise; pages are taken only
 * from the nodes the task's mempolicy and cpuset allow.
 */
#include "controller/core/split.h"

#include <stdio.h>
#include <string.h>

#include "lib/size.h"

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Pages times page size, bytes (sysfs counts are not trusted to fit). */
static uint64_t sat_mul(uint64_t pages, uint64_t page_bytes)
{
	return page_bytes && pages > UINT64_MAX / page_bytes
		       ? UINT64_MAX
		       : pages * page_bytes;
}

/* The page size an entry's memory is in: its own, else the host's default. */
static uint64_t entry_page(const struct host *host, const struct vm_huge *e)
{
	return e->page_bytes ? e->page_bytes : host->mem.default_page_bytes;
}

/* QEMU backs each region with whole pages: rounded up. */
static uint64_t pages_of(uint64_t bytes, uint64_t page_bytes)
{
	return page_bytes ? bytes / page_bytes + (bytes % page_bytes != 0) : 0;
}

static const struct hugepage_pool *pool_of_size(const struct host *host,
						uint64_t page_bytes)
{
	for (size_t i = 0; page_bytes && i < host->mem.npools; i++)
		if (host->mem.pools[i].page_bytes == page_bytes)
			return &host->mem.pools[i];
	return NULL;
}

/* The record of a page size, added (with its pool's figures) when new;
 * NULL when the table is full. */
static struct split_huge *
huge_slot(struct split *split, const struct host *host, uint64_t page_bytes)
{
	const struct hugepage_pool *pool = pool_of_size(host, page_bytes);
	struct split_huge *h;

	for (size_t i = 0; i < split->nhuge; i++)
		if (split->huge[i].page_bytes == page_bytes)
			return &split->huge[i];
	if (split->nhuge == SPLIT_HUGE_SIZES)
		return NULL;
	h = &split->huge[split->nhuge++];
	memset(h, 0, sizeof(*h));
	h->page_bytes = page_bytes;
	/* No pool of that size: nothing to overcommit either. */
	h->overcommit_known = true;
	if (pool) {
		h->pool = true;
		h->total = pool->total;
		h->free = pool->free;
		h->surplus = pool->surplus;
		h->overcommit = pool->overcommit;
		h->overcommit_known = pool->overcommit_known;
	}
	return h;
}

uint64_t split_vm_huge_pages(const struct host *host, const struct vm_facts *vm,
			     uint64_t page_bytes)
{
	uint64_t pages = 0;

	for (size_t k = 0; k < vm->nhuge && k < VM_HUGE_MAX; k++)
		if (entry_page(host, &vm->huge[k]) == page_bytes)
			pages = sat_add(
				pages, pages_of(vm->huge[k].bytes, page_bytes));
	return pages;
}

/* Demand (pages) of this size bound to nodes within the node set. */
static uint64_t nodes_demand(const struct host *host,
			     const struct vm_facts *vms, size_t nvms,
			     uint64_t page_bytes, uint64_t nodes)
{
	uint64_t pages = 0;

	for (size_t i = 0; i < nvms; i++)
		for (size_t k = 0; k < vms[i].nhuge && k < VM_HUGE_MAX; k++) {
			const struct vm_huge *e = &vms[i].huge[k];

			if (e->host_nodes && !(e->host_nodes & ~nodes) &&
			    entry_page(host, e) == page_bytes)
				pages = sat_add(pages,
						pages_of(e->bytes, page_bytes));
		}
	return pages;
}

/*
 * The node set's persistent and free pages of this size; false (why)
 * when a node's pool cannot be read. A node the host does not list has
 * no memory, so no pages.
 */
static bool nodes_pool(const struct host *host, uint64_t page_bytes,
		       uint64_t nodes, uint64_t *persistent, uint64_t *free,
		       char *why, size_t len)
{
	const struct hugepage_pool *pool = pool_of_size(host, page_bytes);

	*persistent = *free = 0;
	if (!host->mem.nodes_listed) {
		snprintf(why, len, "the per-node pools are unknown: %s",
			 host->mem.node_why);
		return false;
	}
	for (unsigned n = 0; n < HOST_MAX_NODES; n++) {
		const struct hugepage_node *node;

		if (!(nodes >> n & 1))
			continue;
		if (host->mem.nodes_unreadable >> n & 1) {
			snprintf(why, len, "host node %u's pool is unknown: %s",
				 n, host->mem.node_why);
			return false;
		}
		if (!pool || !(pool->nodes_read >> n & 1))
			continue;
		node = &pool->node[n];
		*persistent = sat_add(*persistent,
				      node->total > node->surplus
					      ? node->total - node->surplus
					      : 0);
		*free = sat_add(*free, node->free);
	}
	return true;
}

/* The pool of h against the VMs' demand of its size (struct split_huge). */
static void huge_check(const struct host *host, const struct vm_facts *vms,
		       size_t nvms, struct split_huge *h)
{
	uint64_t persistent = h->total > h->surplus ? h->total - h->surplus : 0;
	uint64_t allowed =
		h->overcommit > h->surplus ? h->overcommit : h->surplus;
	uint64_t need = h->demand > persistent ? h->demand - persistent : 0;
	uint64_t over = sat_add(persistent, allowed);
	bool allowance_unknown = false;

	h->short_pages =
		h->overcommit_known && h->demand > over ? h->demand - over : 0;
	h->spare = persistent > h->demand ? persistent - h->demand : 0;
	allowance_unknown = !h->overcommit_known && need;
	/* Each node set a VM is bound to, once. */
	for (size_t i = 0; h->page_bytes && i < nvms; i++)
		for (size_t k = 0; k < vms[i].nhuge && k < VM_HUGE_MAX; k++) {
			const struct vm_huge *e = &vms[i].huge[k];
			uint64_t d, p, f, m_need, m_short;
			bool seen = false;
			char why[sizeof(h->why)];

			if (!e->host_nodes ||
			    entry_page(host, e) != h->page_bytes)
				continue;
			for (size_t i2 = 0; i2 <= i && !seen; i2++)
				for (size_t k2 = 0;
				     k2 < (i2 == i ? k : vms[i2].nhuge) &&
				     k2 < VM_HUGE_MAX && !seen;
				     k2++)
					seen = vms[i2].huge[k2].host_nodes ==
						       e->host_nodes &&
					       entry_page(host,
							  &vms[i2].huge[k2]) ==
						       h->page_bytes;
			if (seen)
				continue;
			d = nodes_demand(host, vms, nvms, h->page_bytes,
					 e->host_nodes);
			if (!nodes_pool(host, h->page_bytes, e->host_nodes, &p,
					&f, why, sizeof(why))) {
				if (!h->unknown)
					snprintf(h->why, sizeof(h->why), "%s",
						 why);
				h->unknown = true;
				h->spare = 0;
				continue;
			}
			m_need = d > p ? d - p : 0;
			if (m_need > need)
				need = m_need;
			if ((p > d ? p - d : 0) < h->spare)
				h->spare = p > d ? p - d : 0;
			if (!h->overcommit_known) {
				allowance_unknown |= m_need > 0;
				continue;
			}
			m_short = d > sat_add(p, allowed) ? d - p - allowed : 0;
			if (m_short > h->short_pages) {
				h->short_pages = m_short;
				h->short_nodes = e->host_nodes;
				h->node_demand = d;
				h->node_pool = p;
				h->node_free = f;
			}
		}
	if (allowance_unknown) {
		if (!h->unknown)
			snprintf(h->why, sizeof(h->why),
				 "%llu pages beyond the pool need surplus "
				 "pages, and how many are allowed is unknown: "
				 "%s",
				 (unsigned long long)need,
				 pool_of_size(host, h->page_bytes)
					 ? pool_of_size(host, h->page_bytes)
						   ->overcommit_why
					 : "");
		h->unknown = true;
	}
	h->surplus_needed = need;
	/* What cannot be served is never taken; what can, is committed. */
	if (h->overcommit_known && need > allowed)
		need = allowed;
	h->surplus_charged = need > h->surplus ? need : h->surplus;
}

bool split_huge_fails(const struct split_huge *h)
{
	return h->page_bytes ? h->short_pages > 0 : h->demand_bytes > 0;
}

void split_hugepages(const struct host *host, const struct vm_facts *vms,
		     size_t nvms, struct split *split)
{
	split->nhuge = 0;
	split->hugepage_pools = 0;
	split->hugepage_surplus = 0;
	split->huge_short = 0;
	split->huge_unknown = 0;
	/* Every pool (sorted by size), then sizes VMs ask of no pool. */
	for (size_t i = 0; i < host->mem.npools; i++)
		huge_slot(split, host, host->mem.pools[i].page_bytes);
	for (size_t i = 0; i < nvms; i++)
		for (size_t k = 0; k < vms[i].nhuge && k < VM_HUGE_MAX; k++) {
			const struct vm_huge *e = &vms[i].huge[k];
			uint64_t page = entry_page(host, e);
			struct split_huge *h = huge_slot(split, host, page);

			/* More sizes than the table: none has a pool. */
			if (!h) {
				split->huge_short++;
				continue;
			}
			h->demand_bytes = sat_add(h->demand_bytes, e->bytes);
			h->demand =
				sat_add(h->demand, pages_of(e->bytes, page));
		}
	for (size_t i = 0; i < split->nhuge; i++) {
		struct split_huge *h = &split->huge[i];

		huge_check(host, vms, nvms, h);
		split->hugepage_pools = sat_add(
			split->hugepage_pools,
			sat_mul(h->total > h->surplus ? h->total - h->surplus
						      : 0,
				h->page_bytes));
		split->hugepage_surplus =
			sat_add(split->hugepage_surplus,
				sat_mul(h->surplus_charged, h->page_bytes));
		if (split_huge_fails(h))
			split->huge_short++;
		else if (h->unknown)
			split->huge_unknown++;
	}
}

void split_nodes_text(uint64_t nodes, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned n = 0; n < 64 && used < len; n++) {
		unsigned last = n;

		if (!(nodes >> n & 1))
			continue;
		while (last + 1 < 64 && nodes >> (last + 1) & 1)
			last++;
		if (last > n)
			used += (size_t)snprintf(buf + used, len - used,
						 "%s%u-%u", used ? "," : "", n,
						 last);
		else
			used += (size_t)snprintf(buf + used, len - used, "%s%u",
						 used ? "," : "", n);
		n = last;
	}
}

void split_huge_text(const struct host *host, const struct split_huge *h,
		     const struct vm_facts *vm, char *buf, size_t len)
{
	char page[32], mine[64] = "", allowed[48], nodes[96], outcome[400];

	if (!h->page_bytes) {
		size_format(h->demand_bytes, page, sizeof(page));
		snprintf(buf, len,
			 "huge pages of the host's default size: demand %s, "
			 "but this host has none (no Hugepagesize in "
			 "/proc/meminfo): CANNOT be served",
			 page);
		return;
	}
	size_format(h->page_bytes, page, sizeof(page));
	if (vm)
		snprintf(mine, sizeof(mine), " (this VM %llu)",
			 (unsigned long long)split_vm_huge_pages(
				 host, vm, h->page_bytes));
	if (!h->pool) {
		snprintf(buf, len,
			 "%s huge pages: demand %llu pages%s, no pool of that "
			 "size here "
			 "(no /sys/kernel/mm/hugepages/hugepages-%llukB): "
			 "CANNOT serve %llu pages",
			 page, (unsigned long long)h->demand, mine,
			 (unsigned long long)(h->page_bytes / 1024),
			 (unsigned long long)h->short_pages);
		return;
	}
	if (h->overcommit_known)
		snprintf(allowed, sizeof(allowed), "%llu",
			 (unsigned long long)h->overcommit);
	else
		snprintf(allowed, sizeof(allowed), "UNKNOWN");
	if (h->short_pages && h->short_nodes) {
		split_nodes_text(h->short_nodes, nodes, sizeof(nodes));
		snprintf(outcome, sizeof(outcome),
			 "; bound to host node%s %s: demand %llu pages, pool "
			 "%llu pages (%llu free): CANNOT serve %llu pages",
			 strchr(nodes, ',') || strchr(nodes, '-') ? "s" : "",
			 nodes, (unsigned long long)h->node_demand,
			 (unsigned long long)h->node_pool,
			 (unsigned long long)h->node_free,
			 (unsigned long long)h->short_pages);
	} else if (h->short_pages) {
		snprintf(outcome, sizeof(outcome), ": CANNOT serve %llu pages",
			 (unsigned long long)h->short_pages);
	} else if (h->unknown) {
		snprintf(outcome, sizeof(outcome),
			 ": UNKNOWN whether it can be served (%s)", h->why);
	} else if (h->surplus_needed) {
		snprintf(outcome, sizeof(outcome),
			 ": %llu pages from surplus (ordinary memory)",
			 (unsigned long long)h->surplus_needed);
	} else {
		snprintf(outcome, sizeof(outcome), ": served by the pool");
	}
	snprintf(buf, len,
		 "%s huge pages: demand %llu pages%s, pool %llu pages (%llu "
		 "free, %llu surplus), surplus allowed %s%s",
		 page, (unsigned long long)h->demand, mine,
		 (unsigned long long)h->total, (unsigned long long)h->free,
		 (unsigned long long)h->surplus, allowed, outcome);
}

void split_huge_fix(const struct split_huge *h, char *buf, size_t len)
{
	uint64_t persistent = h->total > h->surplus ? h->total - h->surplus : 0;
	unsigned long long kb = (unsigned long long)(h->page_bytes / 1024);
	char page[32];

	size_format(h->page_bytes, page, sizeof(page));
	if (!h->page_bytes) {
		snprintf(
			buf, len,
			"reserve huge pages on the host (hugepages=N on the "
			"kernel command line) or drop <hugepages> from the VM");
	} else if (!h->pool) {
		snprintf(buf, len,
			 "boot the host with %s pages (hugepagesz=%llu%s "
			 "hugepages=N on the kernel command line) or back the "
			 "VM with a size this host has",
			 page,
			 kb >= 1048576 ? kb / 1048576
			 : kb >= 1024  ? kb / 1024
				       : kb,
			 kb >= 1048576 ? "G"
			 : kb >= 1024  ? "M"
				       : "K");
	} else if (h->short_pages && h->short_nodes &&
		   !(h->short_nodes & (h->short_nodes - 1))) {
		unsigned n = 0;

		/* One node: a write to its nr_hugepages sets its persistent
		 * pool, as the global file does. */
		while (n < 63 && !(h->short_nodes >> n & 1))
			n++;
		snprintf(buf, len,
			 "raise host node %u's pool to %llu pages (echo %llu > "
			 "/sys/devices/system/node/node%u/hugepages/"
			 "hugepages-%llukB/nr_hugepages)",
			 n, (unsigned long long)(h->node_pool + h->short_pages),
			 (unsigned long long)(h->node_pool + h->short_pages), n,
			 kb);
	} else if (h->short_pages && h->short_nodes) {
		char nodes[96];

		split_nodes_text(h->short_nodes, nodes, sizeof(nodes));
		snprintf(
			buf, len,
			"raise the pools of host nodes %s by %llu pages in all "
			"(/sys/devices/system/node/nodeN/hugepages/"
			"hugepages-%llukB/nr_hugepages)",
			nodes, (unsigned long long)h->short_pages, kb);
	} else if (h->short_pages) {
		snprintf(buf, len,
			 "raise nr_hugepages to %llu (echo %llu > "
			 "/sys/kernel/mm/hugepages/hugepages-%llukB/"
			 "nr_hugepages)",
			 (unsigned long long)(persistent + h->short_pages),
			 (unsigned long long)(persistent + h->short_pages), kb);
	} else {
		snprintf(
			buf, len,
			"make the pool's files readable, or raise nr_hugepages "
			"to %llu so that no surplus page is needed (echo %llu "
			"> /sys/kernel/mm/hugepages/hugepages-%llukB/"
			"nr_hugepages)",
			(unsigned long long)(persistent + h->surplus_needed),
			(unsigned long long)(persistent + h->surplus_needed),
			kb);
	}
}
