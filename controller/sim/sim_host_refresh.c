// SPDX-License-Identifier: MIT
/*
 * The simulated host's counters, derived from the firmware state the way
 * the mlx5 driver and the kernel would show them: each PF's debugfs
 * fw_pages_* counters, huge page pools put back to the pages VMs hold, and
 * /proc/meminfo. One refresh at a time (refresh.lock): several sim
 * commands may run at once.
 */
#include "controller/sim/sim_host.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "controller/core/host.h"
#include "controller/sim/sim_host_json.h"
#include "controller/sim/sim_tree.h"
#include "controller/sim/simfw.h"
#include "lib/file.h"
#include "lib/size.h"

#define REFRESH_LOCK SIMFW_DIR "/refresh.lock"

struct pf_pages {
	uint64_t total;
	uint64_t vfs;
	uint64_t host_pf;
};

static int sum_pf_pages(const char *root, const char *pci,
			struct pf_pages *pages, struct iq_err *err)
{
	struct simfw_pf pf;
	int lock_fd;
	int rc = simfw_pf_lock_load(root, pci, &pf, &lock_fd, err);

	if (rc)
		return rc;
	memset(pages, 0, sizeof(*pages));
	for (size_t i = 0; i < pf.nfuncs; i++) {
		pages->total += pf.funcs[i].cur;
		if (pf.funcs[i].function_id == 0)
			pages->host_pf += pf.funcs[i].cur;
		else
			pages->vfs += pf.funcs[i].cur;
	}
	return simfw_pf_unlock(root, &pf, lock_fd, false, err);
}

/* Rewrite a counter only where the file exists (see sim_host.h). */
static int update_counter(const char *root, const char *pci, const char *name,
			  uint64_t value, struct iq_err *err)
{
	char rel[PATH_MAX], path[PATH_MAX], text[32];
	int rc;

	snprintf(rel, sizeof(rel), "sys/kernel/debug/mlx5/%s/pages/%s", pci,
		 name);
	rc = sim_host_path(path, sizeof(path), root, rel, err);
	if (rc || access(path, F_OK) != 0)
		return rc;
	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)value);
	return file_write_str(path, text, err);
}

static int refresh_counters(const char *root, uint64_t *fw_pages_all,
			    struct iq_err *err)
{
	char(*pcis)[PCI_ADDR_LEN] = NULL;
	size_t npfs = 0;
	int rc = simfw_list_pfs(root, &pcis, &npfs, err);

	*fw_pages_all = 0;
	for (size_t i = 0; !rc && i < npfs; i++) {
		struct pf_pages pages;

		rc = sum_pf_pages(root, pcis[i], &pages, err);
		if (!rc)
			rc = update_counter(root, pcis[i], "fw_pages_total",
					    pages.total, err);
		if (!rc)
			rc = update_counter(root, pcis[i], "fw_pages_vfs",
					    pages.vfs, err);
		if (!rc)
			rc = update_counter(root, pcis[i], "fw_pages_host_pf",
					    pages.host_pf, err);
		/* No embedded-CPU VFs or SFs in the simulation. */
		if (!rc)
			rc = update_counter(root, pcis[i], "fw_pages_ec_vfs", 0,
					    err);
		if (!rc)
			rc = update_counter(root, pcis[i], "fw_pages_sfs", 0,
					    err);
		*fw_pages_all += pages.total;
	}
	free(pcis);
	return rc;
}

/*
 * Apply a changed nr_hugepages the way the kernel would: never below the
 * pages VMs hold; the rest of the pool is free.
 */
static int reconcile_pool(const char *root, struct json_object *pool,
			  const char *json_path, struct iq_err *err)
{
	uint64_t page_bytes, in_use, nr;
	char rel[PATH_MAX], path[PATH_MAX];
	int rc;

	rc = sim_host_json_u64(pool, "page_bytes", &page_bytes, json_path, err);
	if (!rc)
		rc = sim_host_json_u64(pool, "in_use", &in_use, json_path, err);
	if (rc)
		return rc;
	snprintf(rel, sizeof(rel),
		 "sys/kernel/mm/hugepages/hugepages-%llukB/nr_hugepages",
		 (unsigned long long)(page_bytes / 1024));
	rc = sim_host_path(path, sizeof(path), root, rel, err);
	if (!rc)
		rc = file_read_u64(path, &nr, err);
	if (rc)
		return rc;
	if (nr < in_use)
		nr = in_use;
	return sim_tree_write_pool(root, page_bytes, nr, nr - in_use, err);
}

static int reconcile_pools(const char *root, struct json_object *obj,
			   const char *json_path, struct iq_err *err)
{
	struct json_object *pools;
	int rc = IQ_OK;

	if (!json_object_object_get_ex(obj, "hugepages", &pools) ||
	    !json_object_is_type(pools, json_type_array))
		return iq_fail(err, IQ_EENV,
			       "%s: no \"hugepages\" array; re-create it with "
			       "icmquota sim init --force",
			       json_path);
	for (size_t i = 0; !rc && i < json_object_array_length(pools); i++)
		rc = reconcile_pool(root, json_object_array_get_idx(pools, i),
				    json_path, err);
	return rc;
}

static void meminfo_kb(char *buf, size_t len, size_t *used, const char *label,
		       uint64_t bytes)
{
	/* The kernel's layout: label padded to 16, value right in 8. */
	if (*used < len)
		*used += (size_t)snprintf(buf + *used, len - *used,
					  "%-16s%8llu kB\n", label,
					  (unsigned long long)(bytes / 1024));
}

static void meminfo_count(char *buf, size_t len, size_t *used,
			  const char *label, uint64_t count)
{
	if (*used < len)
		*used += (size_t)snprintf(buf + *used, len - *used,
					  "%-19s%5llu\n", label,
					  (unsigned long long)count);
}

static int write_meminfo(const char *root, const struct sim_host_info *info,
			 uint64_t fw_pages_all, struct iq_err *err)
{
	struct host_mem mem = {0};
	struct hugepage_pool def = {0};
	uint64_t hugetlb = 0, committed, mem_free;
	char path[PATH_MAX], text[1024];
	size_t used = 0;
	int rc = host_read_hugepage_pools(root, &mem, err);

	if (rc)
		return rc;
	for (size_t i = 0; i < mem.npools; i++) {
		hugetlb += mem.pools[i].total * mem.pools[i].page_bytes;
		if (mem.pools[i].page_bytes == info->default_hugepage_bytes)
			def = mem.pools[i];
	}
	committed = info->host_used + hugetlb + fw_pages_all * ICM_PAGE_BYTES;
	mem_free =
		info->mem_total > committed ? info->mem_total - committed : 0;
	meminfo_kb(text, sizeof(text), &used, "MemTotal:", info->mem_total);
	meminfo_kb(text, sizeof(text), &used, "MemFree:", mem_free);
	meminfo_kb(text, sizeof(text), &used, "MemAvailable:", mem_free);
	meminfo_count(text, sizeof(text), &used, "HugePages_Total:", def.total);
	meminfo_count(text, sizeof(text), &used, "HugePages_Free:", def.free);
	meminfo_count(text, sizeof(text), &used, "HugePages_Rsvd:", def.resv);
	meminfo_count(text, sizeof(text), &used,
		      "HugePages_Surp:", def.surplus);
	meminfo_kb(text, sizeof(text), &used,
		   "Hugepagesize:", info->default_hugepage_bytes);
	meminfo_kb(text, sizeof(text), &used, "Hugetlb:", hugetlb);
	if (used >= sizeof(text))
		return iq_fail(err, IQ_EENV, "meminfo text too long");
	rc = sim_host_path(path, sizeof(path), root, "proc/meminfo", err);
	return rc ? rc : file_write_atomic(path, text, used, false, err);
}

int sim_host_refresh(const char *root, struct iq_err *err)
{
	struct sim_host_info info;
	struct json_object *obj = NULL;
	char json_path[PATH_MAX], lock_path[PATH_MAX];
	uint64_t fw_pages_all = 0;
	int lock_fd;
	int rc = sim_host_path(lock_path, sizeof(lock_path), root, REFRESH_LOCK,
			       err);

	if (rc)
		return rc;
	/* One refresh at a time: several sim commands may run at once. */
	lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock_fd < 0)
		return iq_fail(err, IQ_EENV,
			       "%s: cannot open: %s; is %s a "
			       "simulated host (icmquota sim init)?",
			       lock_path, strerror(errno), root);
	if (flock(lock_fd, LOCK_EX) != 0) {
		rc = iq_fail(err, IQ_EENV, "%s: cannot lock: %s", lock_path,
			     strerror(errno));
		close(lock_fd);
		return rc;
	}
	rc = sim_host_json_load(root, &obj, json_path, sizeof(json_path), err);
	if (!rc)
		rc = sim_host_json_info(obj, json_path, &info, err);
	if (!rc)
		rc = refresh_counters(root, &fw_pages_all, err);
	if (!rc)
		rc = reconcile_pools(root, obj, json_path, err);
	if (!rc)
		rc = write_meminfo(root, &info, fw_pages_all, err);
	json_object_put(obj);
	close(lock_fd);
	return rc;
}
