// SPDX-License-Identifier: MIT
/*
 * The simulated host: builds the tree (sim_tree.c) and the firmware state
 * (devx/simfw.c), models the guest side (memory registration = page
 * requests, FLR) and derives the host's counters from the firmware state
 * the way the mlx5 driver and the kernel would show them.
 */
#include "controller/sim/sim_host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controller/core/host.h"
#include "controller/core/icm_model.h"
#include "controller/sim/sim_tree.h"
#include "controller/sim/simfw.h"
#include "lib/file.h"
#include "lib/pci.h"
#include "lib/size.h"

#define HOST_JSON	       SIMFW_DIR "/host.json"
#define REFRESH_LOCK	       SIMFW_DIR "/refresh.lock"
#define DEFAULT_HUGEPAGE_BYTES (2ULL << 20)
#define FIRST_IOMMU_GROUP      16

/* Buses of the ConnectX PFs and GPUs of an HGX-like host. */
static const unsigned pf_buses[SIM_MAX_PFS] = {
	0x0c, 0x2a, 0x41, 0x58, 0x86, 0xa5, 0xbd, 0xd5,
};
static const unsigned gpu_buses[SIM_MAX_GPUS] = {
	0x1b, 0x3d, 0x4e, 0x5f, 0x9a, 0xab, 0xc2, 0xdb,
};
static const char *const gpu_pcis[SIM_MAX_GPUS] = {
	"0000:1b:00.0", "0000:3d:00.0", "0000:4e:00.0", "0000:5f:00.0",
	"0000:9a:00.0", "0000:ab:00.0", "0000:c2:00.0", "0000:db:00.0",
};

/* Devices on the second half of the buses hang off the second socket. */
static unsigned numa_node_of_bus(unsigned bus)
{
	return bus >= 0x80 ? 1 : 0;
}

void sim_host_params_default(struct sim_host_params *params)
{
	memset(params, 0, sizeof(*params));
	params->npfs = 8;
	params->total_vfs = 16;
	params->enabled_vfs = 8;
	params->mem_total = 2ULL << 40;
	params->host_used = 16ULL << 30;
	params->total_icm_bytes = 128ULL << 30;
	params->pf_pages = 65536;
	params->ngpus = 0;
	params->fwctl = true;
}

bool sim_host_pf_pci(unsigned index, uint32_t domain, char out[PCI_ADDR_LEN])
{
	return index < SIM_MAX_PFS &&
	       pci_addr_format(domain, pf_buses[index], 0, 0, out);
}

const char *sim_host_gpu_pci(unsigned index)
{
	return index < SIM_MAX_GPUS ? gpu_pcis[index] : NULL;
}

uint32_t sim_host_pages_per_mr(uint64_t bytes)
{
	uint64_t pages = icm_model_pages_per_mr(bytes);

	return pages >= UINT32_MAX ? UINT32_MAX : (uint32_t)pages;
}

static int root_path(char *out, size_t len, const char *root, const char *rel,
		     struct iq_err *err)
{
	char abs[PATH_MAX];

	snprintf(abs, sizeof(abs), "/%s", rel);
	if (path_join(out, len, root, abs) != 0)
		return iq_fail(err, IQ_EUSAGE, "%s: path too long", root);
	return IQ_OK;
}

/* --- params and host.json --------------------------------------------- */

static int check_params(const struct sim_host_params *p, struct iq_err *err)
{
	if (p->npfs < 1 || p->npfs > SIM_MAX_PFS)
		return iq_fail(err, IQ_EUSAGE,
			       "--pfs %u: the simulation has 1 to %d PFs",
			       p->npfs, SIM_MAX_PFS);
	if (p->total_vfs > SIM_MAX_VFS)
		return iq_fail(err, IQ_EUSAGE,
			       "--vfs %u: at most %d VFs per PF", p->total_vfs,
			       SIM_MAX_VFS);
	if (p->enabled_vfs > p->total_vfs)
		return iq_fail(err, IQ_EUSAGE,
			       "--enabled-vfs %u is more than --vfs %u",
			       p->enabled_vfs, p->total_vfs);
	if (p->ngpus > SIM_MAX_GPUS)
		return iq_fail(err, IQ_EUSAGE,
			       "--gpus %u: the simulation has 0 to %d GPUs",
			       p->ngpus, SIM_MAX_GPUS);
	if (p->mem_total == 0 || p->mem_total == IQ_UNLIMITED)
		return iq_fail(err, IQ_EUSAGE,
			       "--mem: give the host's memory as a size");
	if (p->host_used == IQ_UNLIMITED || p->host_used > p->mem_total)
		return iq_fail(err, IQ_EUSAGE,
			       "--host-used is more than --mem");
	if (p->total_icm_bytes == 0)
		return iq_fail(err, IQ_EUSAGE,
			       "--total-icm 0: give a size or unlimited");
	if (p->npools > SIM_MAX_POOLS)
		return iq_fail(err, IQ_EUSAGE, "at most %d huge page pools",
			       SIM_MAX_POOLS);
	for (size_t i = 0; i < p->npools; i++) {
		const struct sim_hugepage_spec *pool = &p->pools[i];

		if (pool->page_bytes < 4096 ||
		    (pool->page_bytes & (pool->page_bytes - 1)) != 0)
			return iq_fail(err, IQ_EUSAGE,
				       "--hugepages: page size %llu bytes is "
				       "not a power of two of at least 4KiB",
				       (unsigned long long)pool->page_bytes);
		if (pool->free > pool->count)
			return iq_fail(err, IQ_EUSAGE,
				       "--hugepages: %llu free of %llu pages",
				       (unsigned long long)pool->free,
				       (unsigned long long)pool->count);
		for (size_t j = 0; j < i; j++)
			if (p->pools[j].page_bytes == pool->page_bytes)
				return iq_fail(
					err, IQ_EUSAGE,
					"--hugepages: page size %llu "
					"given twice",
					(unsigned long long)pool->page_bytes);
	}
	for (size_t i = 0; i < p->n_no_icm_ctrl; i++) {
		char pci[PCI_ADDR_LEN], first[PCI_ADDR_LEN];
		bool found = false;

		for (unsigned j = 0; j < p->npfs; j++)
			found |= sim_host_pf_pci(j, p->pf_domain, pci) &&
				 strcmp(pci, p->no_icm_ctrl[i]) == 0;
		sim_host_pf_pci(0, p->pf_domain, first);
		if (!found)
			return iq_fail(err, IQ_EUSAGE,
				       "--no-icm-ctrl %s: not one of the %u "
				       "simulated PFs (%s ...)",
				       p->no_icm_ctrl[i], p->npfs, first);
	}
	for (size_t i = 0; i < p->n_no_groups; i++) {
		char pci[PCI_ADDR_LEN], first[PCI_ADDR_LEN];
		bool found = false;

		for (unsigned j = 0; j < p->npfs; j++)
			found |= sim_host_pf_pci(j, p->pf_domain, pci) &&
				 strcmp(pci, p->no_groups[i]) == 0;
		sim_host_pf_pci(0, p->pf_domain, first);
		if (!found)
			return iq_fail(err, IQ_EUSAGE,
				       "--no-groups %s: not one of the %u "
				       "simulated PFs (%s ...)",
				       p->no_groups[i], p->npfs, first);
	}
	return IQ_OK;
}

static void json_add_u64(struct json_object *obj, const char *key,
			 uint64_t value)
{
	json_object_object_add(obj, key, json_object_new_uint64(value));
}

static int write_host_json(const char *root, const struct sim_host_params *p,
			   struct iq_err *err)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *pools = json_object_new_array();
	struct json_object *pfs = json_object_new_array();
	struct json_object *gpus = json_object_new_array();
	char path[PATH_MAX];
	const char *text;
	int rc;

	json_add_u64(obj, "version", 1);
	json_add_u64(obj, "mem_total", p->mem_total);
	json_add_u64(obj, "host_used", p->host_used);
	json_add_u64(obj, "default_hugepage_bytes",
		     p->npools ? p->pools[0].page_bytes
			       : DEFAULT_HUGEPAGE_BYTES);
	json_add_u64(obj, "total_icm_bytes", p->total_icm_bytes);
	json_add_u64(obj, "pf_pages", p->pf_pages);
	for (size_t i = 0; i < p->npools; i++) {
		struct json_object *pool = json_object_new_object();

		json_add_u64(pool, "page_bytes", p->pools[i].page_bytes);
		json_add_u64(pool, "count", p->pools[i].count);
		json_add_u64(pool, "free", p->pools[i].free);
		/* Pages VMs hold: the kernel never releases these. */
		json_add_u64(pool, "in_use",
			     p->pools[i].count - p->pools[i].free);
		json_object_array_add(pools, pool);
	}
	json_object_object_add(obj, "hugepages", pools);
	for (unsigned i = 0; i < p->npfs; i++) {
		char pci[PCI_ADDR_LEN];

		sim_host_pf_pci(i, p->pf_domain, pci);
		json_object_array_add(pfs, json_object_new_string(pci));
	}
	json_object_object_add(obj, "pfs", pfs);
	for (unsigned i = 0; i < p->ngpus; i++)
		json_object_array_add(gpus,
				      json_object_new_string(gpu_pcis[i]));
	json_object_object_add(obj, "gpus", gpus);

	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY);
	rc = root_path(path, sizeof(path), root, HOST_JSON, err);
	if (!rc)
		rc = file_write_atomic(path, text, strlen(text), false, err);
	json_object_put(obj);
	return rc;
}

static int json_u64(struct json_object *obj, const char *key, uint64_t *value,
		    const char *path, struct iq_err *err)
{
	struct json_object *field;

	if (!json_object_object_get_ex(obj, key, &field) ||
	    (!json_object_is_type(field, json_type_int) &&
	     !json_object_is_type(field, json_type_double)))
		return iq_fail(err, IQ_EENV,
			       "%s: no number \"%s\"; re-create it with "
			       "icmquota sim init --force",
			       path, key);
	*value = json_object_get_uint64(field);
	return IQ_OK;
}

static int load_host_json(const char *root, struct json_object **obj,
			  char *path, size_t len, struct iq_err *err)
{
	char *text = NULL;
	size_t text_len;
	enum json_tokener_error jerr;
	int rc = root_path(path, len, root, HOST_JSON, err);

	if (!rc)
		rc = file_read_all(path, &text, &text_len, err);
	if (rc)
		return iq_err_prefix(err,
				     "%s is not a simulated host (icmquota "
				     "sim init DIR makes one)",
				     root);
	*obj = json_tokener_parse_verbose(text, &jerr);
	free(text);
	if (!*obj || !json_object_is_type(*obj, json_type_object)) {
		json_object_put(*obj);
		return iq_fail(err, IQ_EENV,
			       "%s: not a JSON object (%s); re-create it with "
			       "icmquota sim init --force",
			       path, json_tokener_error_desc(jerr));
	}
	return IQ_OK;
}

static int parse_info(struct json_object *obj, const char *path,
		      struct sim_host_info *info, struct iq_err *err)
{
	int rc;

	memset(info, 0, sizeof(*info));
	rc = json_u64(obj, "mem_total", &info->mem_total, path, err);
	if (!rc)
		rc = json_u64(obj, "host_used", &info->host_used, path, err);
	if (!rc)
		rc = json_u64(obj, "default_hugepage_bytes",
			      &info->default_hugepage_bytes, path, err);
	return rc;
}

int sim_host_load_info(const char *root, struct sim_host_info *info,
		       struct iq_err *err)
{
	struct json_object *obj;
	char path[PATH_MAX];
	int rc = load_host_json(root, &obj, path, sizeof(path), err);

	if (rc)
		return rc;
	rc = parse_info(obj, path, info, err);
	json_object_put(obj);
	return rc;
}

/* --- init --------------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 ? 0 : errno;
}

/* --force: remove what an earlier init made, nothing else. */
static int remove_previous(const char *root, struct iq_err *err)
{
	static const char *const made[] = {"sys", "proc", SIMFW_DIR};
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		int rc = root_path(path, sizeof(path), root, made[i], err);
		struct stat st;

		if (rc)
			return rc;
		if (lstat(path, &st) != 0)
			continue; /* not there: nothing to replace */
		rc = nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		if (rc != 0)
			return iq_fail(err, IQ_EENV,
				       "%s: cannot remove the previous "
				       "simulation: %s",
				       path, strerror(rc > 0 ? rc : errno));
	}
	return IQ_OK;
}

static int prepare_root(const char *root, bool force, struct iq_err *err)
{
	DIR *dir;
	struct dirent *entry;
	bool empty = true;

	if (!root || !root[0])
		return iq_fail(err, IQ_EUSAGE,
			       "sim init needs a directory (never the real /)");
	dir = opendir(root);
	if (!dir && errno == ENOENT)
		return mkdir_p(root, 0755, err);
	if (!dir)
		return iq_fail(err, IQ_EENV, "%s: cannot open: %s", root,
			       strerror(errno));
	while ((entry = readdir(dir)))
		if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, ".."))
			empty = false;
	closedir(dir);
	if (empty)
		return IQ_OK;
	/* Well-formed, but refused: it would replace what is there. */
	if (!force)
		return iq_fail(err, IQ_EREFUSED,
			       "%s is not empty; use --force to replace a "
			       "simulated host there",
			       root);
	return remove_previous(root, err);
}

static int create_pf_firmware(const char *root, const struct sim_host_params *p,
			      unsigned index, struct iq_err *err)
{
	char pci[PCI_ADDR_LEN];
	struct simfw_pf pf;
	bool icm_ctrl = true;
	uint16_t groups = 16;
	int rc;

	sim_host_pf_pci(index, p->pf_domain, pci);
	for (size_t i = 0; i < p->n_no_icm_ctrl; i++)
		if (strcmp(p->no_icm_ctrl[i], pci) == 0)
			icm_ctrl = false;
	for (size_t i = 0; i < p->n_no_groups; i++)
		if (strcmp(p->no_groups[i], pci) == 0)
			groups = 0;
	/* Every cap unlimited (the firmware's default), groups 1..16. */
	if (simfw_pf_init(&pf, pci, index, (uint16_t)p->total_vfs,
			  (uint16_t)p->enabled_vfs,
			  icm_bytes_to_pages(p->total_icm_bytes), groups) != 0)
		return iq_fail(err, IQ_EENV, "%s: out of memory", pci);
	pf.vhca_icm_ctrl = icm_ctrl;
	pf.nic_cap_reg = icm_ctrl;
	pf.access_register_user = !p->no_access_register_user;
	pf.cap_round = p->icm_rounding;
	/* The PF's own firmware pages, given at driver load. */
	pf.funcs[0].cur = pf.funcs[0].max_reached = p->pf_pages;
	rc = simfw_pf_create(root, &pf, err);
	simfw_pf_free(&pf);
	return rc;
}

int sim_host_init(const char *root, const struct sim_host_params *p,
		  struct iq_err *err)
{
	unsigned iommu_group = FIRST_IOMMU_GROUP;
	char path[PATH_MAX];
	int rc = check_params(p, err);

	if (!rc)
		rc = prepare_root(root, p->force, err);
	if (!rc)
		rc = root_path(path, sizeof(path), root, SIMFW_DIR, err);
	if (!rc)
		rc = mkdir_p(path, 0755, err);
	if (!rc)
		rc = sim_tree_skeleton(root, p->fwctl, err);
	for (unsigned i = 0; !rc && i < p->npfs; i++) {
		struct sim_tree_pf pf = {
			.domain = p->pf_domain,
			.fw_pages_files = p->fw_pages_files,
			.bus = pf_buses[i],
			.index = i,
			.total_vfs = p->total_vfs,
			.enabled_vfs = p->enabled_vfs,
			.numa_node = numa_node_of_bus(pf_buses[i]),
			.fwctl = p->fwctl,
		};

		rc = sim_tree_add_pf(root, &pf, &iommu_group, err);
		if (!rc)
			rc = create_pf_firmware(root, p, i, err);
	}
	for (unsigned i = 0; !rc && i < p->ngpus; i++)
		rc = sim_tree_add_gpu(root, gpu_buses[i],
				      numa_node_of_bus(gpu_buses[i]),
				      &iommu_group, err);
	for (size_t i = 0; !rc && i < p->npools; i++)
		rc = sim_tree_add_pool(root, p->pools[i].page_bytes,
				       p->pools[i].count, p->pools[i].free,
				       err);
	if (!rc)
		rc = write_host_json(root, p, err);
	if (!rc)
		rc = sim_host_refresh(root, err);
	if (rc)
		iq_err_prefix(err, "sim init %s", root);
	return rc;
}

/* --- refresh ------------------------------------------------------------ */

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
	rc = root_path(path, sizeof(path), root, rel, err);
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

	rc = json_u64(pool, "page_bytes", &page_bytes, json_path, err);
	if (!rc)
		rc = json_u64(pool, "in_use", &in_use, json_path, err);
	if (rc)
		return rc;
	snprintf(rel, sizeof(rel),
		 "sys/kernel/mm/hugepages/hugepages-%llukB/nr_hugepages",
		 (unsigned long long)(page_bytes / 1024));
	rc = root_path(path, sizeof(path), root, rel, err);
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
	rc = root_path(path, sizeof(path), root, "proc/meminfo", err);
	return rc ? rc : file_write_atomic(path, text, used, false, err);
}

int sim_host_refresh(const char *root, struct iq_err *err)
{
	struct sim_host_info info;
	struct json_object *obj = NULL;
	char json_path[PATH_MAX], lock_path[PATH_MAX];
	uint64_t fw_pages_all = 0;
	int lock_fd;
	int rc = root_path(lock_path, sizeof(lock_path), root, REFRESH_LOCK,
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
	rc = load_host_json(root, &obj, json_path, sizeof(json_path), err);
	if (!rc)
		rc = parse_info(obj, json_path, &info, err);
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

/* --- the guest side ----------------------------------------------------- */

/* Find the PF and function of a VF through the tree, like the host does. */
static int locate_vf(const char *root, const char *vf_text,
		     struct sim_vf_result *result, struct iq_err *err)
{
	struct host host;
	struct host_pf *pf = NULL;
	struct host_vf *vf;
	char pci[PCI_ADDR_LEN];
	int rc;

	memset(result, 0, sizeof(*result));
	if (!pci_addr_normalize(vf_text, pci))
		return iq_fail(err, IQ_EUSAGE,
			       "\"%s\" is not a PCI address (DDDD:BB:SS.F)",
			       vf_text);
	rc = host_discover(root, &host, err);
	if (rc)
		return rc;
	vf = host_find_vf(&host, pci, &pf);
	if (vf) {
		snprintf(result->vf, sizeof(result->vf), "%s", vf->pci);
		snprintf(result->pf, sizeof(result->pf), "%s", pf->pci);
		result->function_id = vf->function_id;
	} else {
		rc = iq_fail(err, IQ_EREFUSED,
			     "%s is not an enabled ConnectX VF of the "
			     "simulated host %s (icmquota --root %s sim show "
			     "lists them)",
			     pci, root, root);
	}
	host_free(&host);
	return rc;
}

static void fill_result(struct sim_vf_result *result,
			const struct simfw_func *fn)
{
	result->vhca_id = fn->vhca_id;
	result->cap = fn->cap;
	result->cur = fn->cur;
}

static int function_of(struct simfw_pf *pf, const struct sim_vf_result *result,
		       struct simfw_func **fn, struct iq_err *err)
{
	*fn = simfw_func_by_id(pf, result->function_id);
	if (!*fn || result->function_id > pf->enabled_vfs)
		return iq_fail(err, IQ_EREFUSED,
			       "%s: function %u is not enabled in the "
			       "simulated firmware of %s (sriov_numvfs and "
			       "the firmware disagree)",
			       result->vf, result->function_id, result->pf);
	return IQ_OK;
}

/* Save (when the work succeeded) and unlock; the first error wins. */
static int unlock_pf(const char *root, struct simfw_pf *pf, int lock_fd, int rc,
		     struct iq_err *err)
{
	struct iq_err unlock_err = {0};
	int unlock_rc =
		simfw_pf_unlock(root, pf, lock_fd, rc == IQ_OK, &unlock_err);

	if (unlock_rc && !rc) {
		*err = unlock_err;
		rc = unlock_rc;
	}
	return rc;
}

static int register_on_vf(const char *root, uint64_t requests, uint32_t pages,
			  struct sim_vf_result *result, struct iq_err *err)
{
	struct simfw_pf pf;
	struct simfw_func *fn;
	int lock_fd;
	int rc = simfw_pf_lock_load(root, result->pf, &pf, &lock_fd, err);

	if (rc)
		return rc;
	rc = function_of(&pf, result, &fn, err);
	for (uint64_t i = 0; !rc && i < requests; i++) {
		if (simfw_alloc(&pf, fn, pages))
			result->granted++;
		else
			result->refused++;
	}
	if (!rc)
		fill_result(result, fn);
	return unlock_pf(root, &pf, lock_fd, rc, err);
}

int sim_host_register(const char *root, const struct sim_register_req *req,
		      struct sim_vf_result *results, uint32_t *pages_per_mr,
		      struct iq_err *err)
{
	struct sim_host_info info;
	uint64_t requests;
	int rc;

	if (req->nvfs == 0 || req->mrs_per_hca == 0 || req->buffers == 0 ||
	    req->bytes == 0 || req->bytes == IQ_UNLIMITED)
		return iq_fail(err, IQ_EUSAGE,
			       "sim register needs at least one --vf, a "
			       "--bytes size and non-zero --mrs-per-hca and "
			       "--buffers");
	rc = sim_host_load_info(root, &info, err);
	if (rc)
		return rc;
	*pages_per_mr = sim_host_pages_per_mr(req->bytes);
	requests = (uint64_t)req->buffers * req->mrs_per_hca;
	/* Check every VF first: a typo registers nothing anywhere. */
	for (size_t i = 0; !rc && i < req->nvfs; i++)
		rc = locate_vf(root, req->vfs[i], &results[i], err);
	for (size_t i = 0; !rc && i < req->nvfs; i++) {
		rc = register_on_vf(root, requests, *pages_per_mr, &results[i],
				    err);
		if (rc)
			iq_err_prefix(err, "sim register %s", results[i].vf);
	}
	return rc ? rc : sim_host_refresh(root, err);
}

int sim_host_flr(const char *root, const char *vf, struct sim_vf_result *result,
		 struct iq_err *err)
{
	struct simfw_pf pf;
	struct simfw_func *fn;
	int lock_fd;
	int rc = locate_vf(root, vf, result, err);

	if (!rc)
		rc = simfw_pf_lock_load(root, result->pf, &pf, &lock_fd, err);
	if (rc)
		return rc;
	rc = function_of(&pf, result, &fn, err);
	if (!rc) {
		simfw_flr(&pf, fn);
		fill_result(result, fn);
	}
	rc = unlock_pf(root, &pf, lock_fd, rc, err);
	return rc ? rc : sim_host_refresh(root, err);
}
