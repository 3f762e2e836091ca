// SPDX-License-Identifier: MIT
/*
 * The host's memory (host.h): MemTotal and the rest from /proc/meminfo,
 * the huge page pools per size and NUMA node, and each PF's firmware page
 * counters from debugfs (unknown, never 0, when they cannot be read).
 */
#include "controller/core/host.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controller/core/host_paths.h"
#include "lib/file.h"
#include "lib/pci.h"

/* --- memory ------------------------------------------------------------- */

static int cmp_pool(const void *a, const void *b)
{
	const struct hugepage_pool *x = a, *y = b;

	return x->page_bytes < y->page_bytes ? -1
					     : x->page_bytes > y->page_bytes;
}

static int read_pool(const char *dir, const char *name,
		     struct hugepage_pool *pool, struct iq_err *err)
{
	static const struct {
		const char *file;
		size_t offset;
	} files[] = {
		{"nr_hugepages", offsetof(struct hugepage_pool, total)},
		{"free_hugepages", offsetof(struct hugepage_pool, free)},
		{"resv_hugepages", offsetof(struct hugepage_pool, resv)},
		{"surplus_hugepages", offsetof(struct hugepage_pool, surplus)},
	};
	unsigned long long kb;
	char tail[8], path[PATH_MAX];
	struct iq_err why = {0};

	memset(pool, 0, sizeof(*pool));
	if (sscanf(name, "hugepages-%llukB%7s", &kb, tail) != 1 || kb == 0)
		return iq_fail(err, IQ_EENV,
			       "%s/%s: not a hugepages-<size>kB directory", dir,
			       name);
	pool->page_bytes = (uint64_t)kb * 1024;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int rc;

		snprintf(path, sizeof(path), "%s/%s/%s", dir, name,
			 files[i].file);
		rc = file_read_u64(path,
				   (uint64_t *)((char *)pool + files[i].offset),
				   err);
		if (rc)
			return rc;
	}
	/* Needed only when VMs ask for more than the pool: unknown then. */
	snprintf(path, sizeof(path), "%s/%s/nr_overcommit_hugepages", dir,
		 name);
	pool->overcommit_known =
		file_read_u64(path, &pool->overcommit, &why) == IQ_OK;
	if (!pool->overcommit_known)
		snprintf(pool->overcommit_why, sizeof(pool->overcommit_why),
			 "%s", why.msg);
	return IQ_OK;
}

/* Node id of a "nodeN" entry, or -1. */
static int node_id(const char *name)
{
	char *end;
	unsigned long id;

	if (strncmp(name, "node", 4) != 0 || name[4] < '0' || name[4] > '9')
		return -1;
	id = strtoul(name + 4, &end, 10);
	return *end || id >= HOST_MAX_NODES ? -1 : (int)id;
}

/* The pool of this page size in mem, or NULL. */
static struct hugepage_pool *pool_of(struct host_mem *mem, const char *name)
{
	unsigned long long kb;
	char tail[8];

	if (sscanf(name, "hugepages-%llukB%7s", &kb, tail) != 1)
		return NULL;
	for (size_t i = 0; i < mem->npools; i++)
		if (mem->pools[i].page_bytes == (uint64_t)kb * 1024)
			return &mem->pools[i];
	return NULL;
}

/* One node's pools: nr, free and surplus pages of each size. */
static void read_node(const char *nodes_dir, const char *node_name, unsigned id,
		      struct host_mem *mem)
{
	char dir[PATH_MAX];
	char **names = NULL;
	size_t n = 0;
	bool missing;
	struct iq_err why = {0};
	int rc;

	snprintf(dir, sizeof(dir), "%s/%s/hugepages", nodes_dir, node_name);
	rc = host_list_dir(dir, &names, &n, &missing, &why);
	/* A node without hugepages/ (no memory) holds no huge pages. */
	for (size_t i = 0; rc == IQ_OK && i < n; i++) {
		struct hugepage_pool *pool = pool_of(mem, names[i]);
		struct hugepage_node *node;
		char path[PATH_MAX];

		if (!pool)
			continue;
		node = &pool->node[id];
		snprintf(path, sizeof(path), "%s/%s/nr_hugepages", dir,
			 names[i]);
		rc = file_read_u64(path, &node->total, &why);
		snprintf(path, sizeof(path), "%s/%s/free_hugepages", dir,
			 names[i]);
		if (!rc)
			rc = file_read_u64(path, &node->free, &why);
		snprintf(path, sizeof(path), "%s/%s/surplus_hugepages", dir,
			 names[i]);
		if (!rc)
			rc = file_read_u64(path, &node->surplus, &why);
	}
	host_free_names(names, n);
	for (size_t i = 0; i < mem->npools; i++)
		if (rc == IQ_OK)
			mem->pools[i].nodes_read |= 1ULL << id;
	if (rc == IQ_OK)
		return;
	mem->nodes_unreadable |= 1ULL << id;
	if (!mem->node_why[0])
		snprintf(mem->node_why, sizeof(mem->node_why), "%s", why.msg);
}

/*
 * The per-node pools, read only to check VMs bound to some nodes: what
 * cannot be read is said (mem->nodes_unreadable), not an error.
 */
static void read_nodes(const char *root, struct host_mem *mem)
{
	char dir[PATH_MAX];
	char **names = NULL;
	size_t n = 0;
	bool missing = true;
	struct iq_err why = {0};

	mem->nodes_listed = false;
	mem->nodes_unreadable = 0;
	mem->node_why[0] = '\0';
	if (host_join(dir, sizeof(dir), root, "/sys/devices/system/node",
		      &why) ||
	    host_list_dir(dir, &names, &n, &missing, &why) || missing) {
		snprintf(mem->node_why, sizeof(mem->node_why), "%s",
			 missing && !why.msg[0] ? "no /sys/devices/system/node "
						  "(a kernel without NUMA)"
						: why.msg);
		return;
	}
	mem->nodes_listed = true;
	for (size_t i = 0; i < n; i++) {
		int id = node_id(names[i]);

		if (id >= 0)
			read_node(dir, names[i], (unsigned)id, mem);
	}
	host_free_names(names, n);
}

int host_read_hugepage_pools(const char *root, struct host_mem *mem,
			     struct iq_err *err)
{
	char dir[PATH_MAX];
	char **names;
	size_t n;
	bool missing;
	int rc = host_join(dir, sizeof(dir), root, "/sys/kernel/mm/hugepages",
			   err);

	mem->npools = 0;
	if (!rc)
		rc = host_list_dir(dir, &names, &n, &missing, err);
	if (rc)
		return rc;
	/* A kernel without hugetlbfs has no such directory: no pools. */
	for (size_t i = 0; !rc && i < n; i++) {
		if (strncmp(names[i], "hugepages-", 10) != 0)
			continue;
		if (mem->npools == sizeof(mem->pools) / sizeof(mem->pools[0])) {
			rc = iq_fail(err, IQ_EENV,
				     "%s: more than %zu huge page sizes", dir,
				     sizeof(mem->pools) /
					     sizeof(mem->pools[0]));
			break;
		}
		rc = read_pool(dir, names[i], &mem->pools[mem->npools], err);
		if (!rc)
			mem->npools++;
	}
	host_free_names(names, n);
	if (!rc && mem->npools)
		qsort(mem->pools, mem->npools, sizeof(mem->pools[0]), cmp_pool);
	if (!rc)
		read_nodes(root, mem);
	return rc;
}

/* One "Key:   value kB" line of /proc/meminfo, in bytes. */
static int meminfo_value(const char *text, const char *path, const char *key,
			 uint64_t *bytes, struct iq_err *err)
{
	size_t key_len = strlen(key);

	for (const char *line = text; line && *line;) {
		unsigned long long value;
		char unit[8] = "";

		if (strncmp(line, key, key_len) == 0 && line[key_len] == ':' &&
		    sscanf(line + key_len + 1, "%llu %7s", &value, unit) >= 1) {
			if (strcmp(unit, "kB") != 0)
				return iq_fail(err, IQ_EENV,
					       "%s: %s is not in kB", path,
					       key);
			*bytes = (uint64_t)value * 1024;
			return IQ_OK;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return iq_fail(err, IQ_EENV, "%s: no %s line", path, key);
}

int host_read_memory(struct host *host, struct iq_err *err)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len;
	int rc =
		host_join(path, sizeof(path), host->root, "/proc/meminfo", err);

	if (!rc)
		rc = file_read_all(path, &text, &len, err);
	if (!rc)
		rc = meminfo_value(text, path, "MemTotal", &host->mem.mem_total,
				   err);
	if (!rc)
		rc = meminfo_value(text, path, "MemFree", &host->mem.mem_free,
				   err);
	if (!rc)
		rc = meminfo_value(text, path, "MemAvailable",
				   &host->mem.mem_available, err);
	if (!rc) {
		struct iq_err ignored = {0};

		/* A kernel without hugetlbfs has no such line. */
		if (meminfo_value(text, path, "Hugepagesize",
				  &host->mem.default_page_bytes, &ignored))
			host->mem.default_page_bytes = 0;
	}
	free(text);
	return rc ? rc : host_read_hugepage_pools(host->root, &host->mem, err);
}

/* --- debugfs ------------------------------------------------------------ */

static int64_t read_counter(const char *root, const char *pci, const char *name)
{
	char rel[PATH_MAX], path[PATH_MAX];
	struct iq_err ignored;
	uint64_t value;

	snprintf(rel, sizeof(rel), "/sys/kernel/debug/mlx5/%s/pages/%s", pci,
		 name);
	/* Missing (no debugfs, not root, vhca_id mode): unknown, not 0. */
	if (path_join(path, sizeof(path), root, rel) != 0 ||
	    file_read_u64(path, &value, &ignored) != IQ_OK || value > INT64_MAX)
		return -1;
	return (int64_t)value;
}

void host_read_fw_pages(struct host *host)
{
	for (size_t i = 0; i < host->npfs; i++) {
		struct host_pf *pf = &host->pfs[i];
		struct host_fw_pages *pages = &pf->fw_pages;

		pages->total =
			read_counter(host->root, pf->pci, "fw_pages_total");
		pages->vfs = read_counter(host->root, pf->pci, "fw_pages_vfs");
		pages->ec_vfs =
			read_counter(host->root, pf->pci, "fw_pages_ec_vfs");
		pages->sfs = read_counter(host->root, pf->pci, "fw_pages_sfs");
		pages->host_pf =
			read_counter(host->root, pf->pci, "fw_pages_host_pf");
		pages->why[0] = '\0';
		if (pages->total < 0) {
			char rel[PATH_MAX], path[PATH_MAX];
			struct stat st;

			snprintf(rel, sizeof(rel),
				 "/sys/kernel/debug/mlx5/%s/pages", pf->pci);
			snprintf(pages->why, sizeof(pages->why), "%s",
				 path_join(path, sizeof(path), host->root,
					   rel) == 0 &&
						 stat(path, &st) == 0
					 ? "debugfs pages/fw_pages_total "
					   "unreadable"
					 : "no debugfs pages/ directory "
					   "(kernel before 2022, debugfs not "
					   "mounted, or not root)");
		} else if (pages->vfs < 0) {
			snprintf(pages->why, sizeof(pages->why),
				 "only fw_pages_total (vhca_id page "
				 "management): counted whole");
		}
	}
}
