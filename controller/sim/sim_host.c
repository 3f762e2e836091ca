// SPDX-License-Identifier: MIT
/*
 * The simulated host: its layout (the buses of an HGX-like host's PFs and
 * GPUs, the defaults of sim init) and building it from checked
 * parameters: the tree (sim_tree.c), the firmware state (simfw.c) and
 * host.json (sim_host_json.c). The counters derived from the firmware
 * state are sim_host_refresh.c; the guest side (registration, FLR)
 * sim_host_guest.c.
 */
#include "controller/sim/sim_host.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "controller/core/icm_model.h"
#include "controller/sim/sim_host_json.h"
#include "controller/sim/sim_tree.h"
#include "controller/sim/simfw.h"
#include "lib/file.h"
#include "lib/pci.h"
#include "lib/size.h"

#define FIRST_IOMMU_GROUP 16

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

int sim_host_path(char *out, size_t len, const char *root, const char *rel,
		  struct iq_err *err)
{
	char abs[PATH_MAX];

	snprintf(abs, sizeof(abs), "/%s", rel);
	if (path_join(out, len, root, abs) != 0)
		return iq_fail(err, IQ_EUSAGE, "%s: path too long", root);
	return IQ_OK;
}

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
		int rc = sim_host_path(path, sizeof(path), root, made[i], err);
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
		rc = sim_host_path(path, sizeof(path), root, SIMFW_DIR, err);
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
		rc = sim_host_json_write(root, p, err);
	if (!rc)
		rc = sim_host_refresh(root, err);
	if (rc)
		iq_err_prefix(err, "sim init %s", root);
	return rc;
}
