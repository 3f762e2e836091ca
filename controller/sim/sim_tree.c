// SPDX-License-Identifier: MIT
/*
 * Writes the sysfs shape of the simulated host. Every device lives under
 * sys/devices/pci0000:RR/0000:RR:01.0/ (a root port per device, RR = the
 * device's bus - 1) and everything else points at it through relative
 * symlinks computed like the kernel does (up to the common ancestor, then
 * down), so realpath() and readlink() behave as on a real host.
 */
#include "controller/sim/sim_tree.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/file.h"
#include "lib/pci.h"

#define VENDOR_MELLANOX	 0x15b3
#define VENDOR_NVIDIA	 0x10de
#define VENDOR_INTEL	 0x8086
#define DEVICE_CX7_PF	 0x1021
#define DEVICE_CX_VF	 0x101e
#define DEVICE_GPU	 0x2335
#define DEVICE_ROOT_PORT 0x352a
#define CLASS_IB	 0x020700
#define CLASS_GPU	 0x030200
#define CLASS_BRIDGE	 0x060400

/* The debugfs counters the mlx5 driver keeps per PF. */
static const char *const fw_page_files[] = {
	"fw_pages_total",	 "fw_pages_vfs",
	"fw_pages_ec_vfs",	 "fw_pages_sfs",
	"fw_pages_host_pf",	 "fw_pages_alloc_failed",
	"fw_pages_give_dropped", "fw_pages_reclaim_discard",
};

static int vformat(char *out, size_t len, struct iq_err *err, const char *fmt,
		   va_list ap)
{
	int n = vsnprintf(out, len, fmt, ap);

	if (n < 0 || (size_t)n >= len)
		return iq_fail(err, IQ_EUSAGE, "simulated path too long: %s",
			       out);
	return IQ_OK;
}

static int format(char *out, size_t len, struct iq_err *err, const char *fmt,
		  ...) __attribute__((format(printf, 4, 5)));
static int format(char *out, size_t len, struct iq_err *err, const char *fmt,
		  ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vformat(out, len, err, fmt, ap);
	va_end(ap);
	return rc;
}

static int in_root(char *out, size_t len, const char *root, const char *path,
		   struct iq_err *err)
{
	if (path_join(out, len, root, path) != 0)
		return iq_fail(err, IQ_EUSAGE, "%s%s: path too long", root,
			       path);
	return IQ_OK;
}

static int make_dir(const char *root, const char *path, struct iq_err *err)
{
	char full[PATH_MAX];
	int rc = in_root(full, sizeof(full), root, path, err);

	return rc ? rc : mkdir_p(full, 0755, err);
}

static int make_parent(const char *full, struct iq_err *err)
{
	char parent[PATH_MAX];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", full);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return IQ_OK;
	*slash = '\0';
	return mkdir_p(parent, 0755, err);
}

/* Write text to the file at path (absolute inside the tree). */
static int put(const char *root, const char *path, const char *text,
	       struct iq_err *err)
{
	char full[PATH_MAX];
	int rc = in_root(full, sizeof(full), root, path, err);

	if (!rc)
		rc = make_parent(full, err);
	return rc ? rc : file_write_str(full, text, err);
}

static int put_hex(const char *root, const char *dir, const char *name,
		   const char *fmt, unsigned value, struct iq_err *err)
{
	char path[PATH_MAX], text[32];
	int rc = format(path, sizeof(path), err, "%s/%s", dir, name);

	if (rc)
		return rc;
	snprintf(text, sizeof(text), fmt, value);
	return put(root, path, text, err);
}

static int put_u64(const char *root, const char *dir, const char *name,
		   uint64_t value, struct iq_err *err)
{
	char path[PATH_MAX], text[32];
	int rc = format(path, sizeof(path), err, "%s/%s", dir, name);

	if (rc)
		return rc;
	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)value);
	return put(root, path, text, err);
}

/* Split "/a/b/c" into components pointing into buf. */
static size_t split_path(char *buf, char **parts, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *p = strtok_r(buf, "/", &save); p && n < max;
	     p = strtok_r(NULL, "/", &save))
		parts[n++] = p;
	return n;
}

int sim_tree_rel_target(char *out, size_t len, const char *link_path,
			const char *target, struct iq_err *err)
{
	char link_buf[PATH_MAX], target_buf[PATH_MAX];
	char *link_parts[64], *target_parts[64];
	size_t nlink, ntarget, common = 0, used = 0;

	snprintf(link_buf, sizeof(link_buf), "%s", link_path);
	snprintf(target_buf, sizeof(target_buf), "%s", target);
	nlink = split_path(link_buf, link_parts, 64);
	ntarget = split_path(target_buf, target_parts, 64);
	if (nlink == 0)
		return iq_fail(err, IQ_EUSAGE, "empty link path");
	nlink--; /* the link's own name: count from its directory */
	/*
	 * Like the kernel, meet at a proper ancestor of the target, so a link
	 * to an ancestor still names it ("../../../0000:0c:00.0").
	 */
	while (common < nlink && common + 1 < ntarget &&
	       strcmp(link_parts[common], target_parts[common]) == 0)
		common++;
	out[0] = '\0';
	for (size_t i = common; i < nlink; i++)
		used += (size_t)snprintf(out + used,
					 len > used ? len - used : 0, "../");
	for (size_t i = common; i < ntarget; i++)
		used += (size_t)snprintf(
			out + used, len > used ? len - used : 0, "%s%s",
			target_parts[i], i + 1 < ntarget ? "/" : "");
	if (used >= len)
		return iq_fail(err, IQ_EUSAGE, "%s: link target too long",
			       link_path);
	return IQ_OK;
}

/* Relative symlink at link_path (inside the tree) to target (inside it). */
static int make_link(const char *root, const char *link_path,
		     const char *target, struct iq_err *err)
{
	char full[PATH_MAX], rel[PATH_MAX];
	int rc = in_root(full, sizeof(full), root, link_path, err);

	if (!rc)
		rc = sim_tree_rel_target(rel, sizeof(rel), link_path, target,
					 err);
	if (!rc)
		rc = make_parent(full, err);
	if (rc)
		return rc;
	if (symlink(rel, full) != 0)
		return iq_fail(err, IQ_EENV, "%s: cannot create link to %s: %s",
			       full, rel, strerror(errno));
	return IQ_OK;
}

/*
 * sys/devices/pciDDDD:RR/DDDD:RR:01.0/DDDD:BB:SS.F: the domain written as
 * the kernel does (4 digits, more above 0xffff: pci10000:00).
 */
static int device_path(char *out, size_t len, uint32_t domain, unsigned bus,
		       unsigned devfn, struct iq_err *err)
{
	char pci[PCI_ADDR_LEN], port[PCI_ADDR_LEN];

	if (bus == 0 || bus > 0xff ||
	    !pci_addr_format(domain, bus, devfn >> 3, devfn & 7, pci) ||
	    !pci_addr_format(domain, bus - 1, 1, 0, port))
		return iq_fail(err, IQ_EUSAGE,
			       "bus 0x%x devfn 0x%x: not a "
			       "PCI address the simulation can place",
			       bus, devfn);
	return format(out, len, err, "/sys/devices/pci%04x:%02x/%s/%s",
		      (unsigned)domain, bus - 1, port, pci);
}

struct pci_function {
	const char *dir; /* its sys/devices path */
	const char *pci;
	unsigned vendor;
	unsigned device;
	unsigned class_code;
	unsigned numa_node;
	const char *driver; /* NULL: unbound */
};

static int add_function(const char *root, const struct pci_function *fn,
			struct iq_err *err)
{
	char path[PATH_MAX];
	int rc;

	rc = put_hex(root, fn->dir, "vendor", "0x%04x\n", fn->vendor, err);
	if (!rc)
		rc = put_hex(root, fn->dir, "device", "0x%04x\n", fn->device,
			     err);
	if (!rc)
		rc = put_hex(root, fn->dir, "class", "0x%06x\n", fn->class_code,
			     err);
	if (!rc)
		rc = put_u64(root, fn->dir, "numa_node", fn->numa_node, err);
	if (!rc)
		rc = format(path, sizeof(path), err, "/sys/bus/pci/devices/%s",
			    fn->pci);
	if (!rc)
		rc = make_link(root, path, fn->dir, err);
	if (rc || !fn->driver)
		return rc;

	/* Bound: driver link on the device, device link in the driver. */
	char drv[PATH_MAX];

	rc = format(drv, sizeof(drv), err, "/sys/bus/pci/drivers/%s",
		    fn->driver);
	if (!rc)
		rc = format(path, sizeof(path), err, "%s/driver", fn->dir);
	if (!rc)
		rc = make_link(root, path, drv, err);
	if (!rc)
		rc = format(path, sizeof(path), err, "%s/%s", drv, fn->pci);
	if (!rc)
		rc = make_link(root, path, fn->dir, err);
	return rc;
}

/* The root port above a device (sys/devices/pciDDDD:RR/DDDD:RR:01.0). */
static int add_root_port(const char *root, uint32_t domain, unsigned bus,
			 unsigned numa_node, struct iq_err *err)
{
	char dir[PATH_MAX], pci[PCI_ADDR_LEN];
	struct pci_function port = {
		.dir = dir,
		.pci = pci,
		.vendor = VENDOR_INTEL,
		.device = DEVICE_ROOT_PORT,
		.class_code = CLASS_BRIDGE,
		.numa_node = numa_node,
		.driver = "pcieport",
	};
	int rc;

	pci_addr_format(domain, bus - 1, 1, 0, pci);
	rc = format(dir, sizeof(dir), err, "/sys/devices/pci%04x:%02x/%s",
		    (unsigned)domain, bus - 1, pci);
	return rc ? rc : add_function(root, &port, err);
}

static int add_iommu_group(const char *root, const char *dir, const char *pci,
			   unsigned group, struct iq_err *err)
{
	char link[PATH_MAX], target[PATH_MAX];
	int rc;

	rc = format(target, sizeof(target), err, "/sys/kernel/iommu_groups/%u",
		    group);
	if (!rc)
		rc = format(link, sizeof(link), err, "%s/iommu_group", dir);
	if (!rc)
		rc = make_link(root, link, target, err);
	if (!rc)
		rc = format(link, sizeof(link), err, "%s/devices/%s", target,
			    pci);
	return rc ? rc : make_link(root, link, dir, err);
}

int sim_tree_skeleton(const char *root, bool fwctl, struct iq_err *err)
{
	static const char *const dirs[] = {
		"/sys/bus/pci/devices",
		"/sys/bus/pci/drivers/mlx5_core",
		"/sys/bus/pci/drivers/vfio-pci",
		"/sys/bus/pci/drivers/nvidia",
		"/sys/bus/pci/drivers/pcieport",
		"/sys/class/infiniband",
		"/sys/class/net",
		"/sys/kernel/iommu_groups",
		"/sys/kernel/debug/mlx5",
		"/sys/kernel/mm/hugepages",
		"/sys/devices/system/node/node0/hugepages",
		"/sys/devices/system/node/node1/hugepages",
		"/proc",
	};
	int rc = IQ_OK;

	for (size_t i = 0; !rc && i < sizeof(dirs) / sizeof(dirs[0]); i++)
		rc = make_dir(root, dirs[i], err);
	/* Kernels without fwctl have no class directory at all. */
	if (!rc && fwctl)
		rc = make_dir(root, "/sys/class/fwctl", err);
	return rc;
}

static int add_pf_ibdev(const char *root, const char *dir, unsigned index,
			struct iq_err *err)
{
	char path[PATH_MAX], ib[PATH_MAX];
	int rc;

	rc = format(ib, sizeof(ib), err, "%s/infiniband/mlx5_%u", dir, index);
	if (!rc)
		rc = make_dir(root, ib, err);
	if (!rc)
		rc = format(path, sizeof(path), err, "%s/device", ib);
	if (!rc)
		rc = make_link(root, path, dir, err);
	if (!rc)
		rc = format(path, sizeof(path), err,
			    "/sys/class/infiniband/mlx5_%u", index);
	return rc ? rc : make_link(root, path, ib, err);
}

/* systemd's predictable name of an IB port at bus B, slot 0: ibpBs0. */
static int add_pf_netdev(const char *root, const char *dir, unsigned bus,
			 struct iq_err *err)
{
	char path[PATH_MAX], net[PATH_MAX];
	int rc;

	rc = format(net, sizeof(net), err, "%s/net/ibp%us0", dir, bus);
	if (!rc)
		rc = make_dir(root, net, err);
	if (!rc)
		rc = format(path, sizeof(path), err, "%s/device", net);
	if (!rc)
		rc = make_link(root, path, dir, err);
	if (!rc)
		rc = format(path, sizeof(path), err, "/sys/class/net/ibp%us0",
			    bus);
	return rc ? rc : make_link(root, path, net, err);
}

static int add_pf_fwctl(const char *root, const char *dir, unsigned index,
			struct iq_err *err)
{
	char path[PATH_MAX], fw[PATH_MAX];
	int rc;

	rc = format(fw, sizeof(fw), err, "%s/fwctl/fwctl%u", dir, index);
	if (!rc)
		rc = make_dir(root, fw, err);
	if (!rc)
		rc = format(path, sizeof(path), err, "%s/device", fw);
	if (!rc)
		rc = make_link(root, path, dir, err);
	if (!rc)
		rc = format(path, sizeof(path), err, "/sys/class/fwctl/fwctl%u",
			    index);
	return rc ? rc : make_link(root, path, fw, err);
}

static int add_pf_debugfs(const char *root, const char *pci,
			  enum sim_fw_pages_files which, struct iq_err *err)
{
	char dir[PATH_MAX];
	int rc;

	if (which == SIM_FW_PAGES_NONE) {
		/* The mlx5 debugfs directory, without pages/. */
		rc = format(dir, sizeof(dir), err, "/sys/kernel/debug/mlx5/%s",
			    pci);
		return rc ? rc : make_dir(root, dir, err);
	}
	rc = format(dir, sizeof(dir), err, "/sys/kernel/debug/mlx5/%s/pages",
		    pci);
	for (size_t i = 0;
	     !rc && i < sizeof(fw_page_files) / sizeof(fw_page_files[0]); i++)
		if (which == SIM_FW_PAGES_ALL ||
		    !strcmp(fw_page_files[i], "fw_pages_total"))
			rc = put_u64(root, dir, fw_page_files[i], 0, err);
	return rc;
}

static int add_vf(const char *root, const struct sim_tree_pf *pf,
		  const char *pf_dir, unsigned vf_index, unsigned *iommu_group,
		  struct iq_err *err)
{
	/* Routing ID offset 1, stride 1: VF i is function devfn 1 + i. */
	unsigned devfn = 1 + vf_index;
	char dir[PATH_MAX], pci[PCI_ADDR_LEN], path[PATH_MAX];
	struct pci_function vf = {
		.dir = dir,
		.pci = pci,
		.vendor = VENDOR_MELLANOX,
		.device = DEVICE_CX_VF,
		.class_code = CLASS_IB,
		.numa_node = pf->numa_node,
		.driver = "vfio-pci",
	};
	int rc;

	rc = device_path(dir, sizeof(dir), pf->domain, pf->bus, devfn, err);
	if (rc)
		return rc;
	pci_addr_format(pf->domain, pf->bus, devfn >> 3, devfn & 7, pci);
	rc = add_function(root, &vf, err);
	if (!rc)
		rc = format(path, sizeof(path), err, "%s/physfn", dir);
	if (!rc)
		rc = make_link(root, path, pf_dir, err);
	if (!rc)
		rc = format(path, sizeof(path), err, "%s/virtfn%u", pf_dir,
			    vf_index);
	if (!rc)
		rc = make_link(root, path, dir, err);
	if (!rc)
		rc = add_iommu_group(root, dir, pci, (*iommu_group)++, err);
	return rc;
}

int sim_tree_add_pf(const char *root, const struct sim_tree_pf *pf,
		    unsigned *iommu_group, struct iq_err *err)
{
	char dir[PATH_MAX], pci[PCI_ADDR_LEN];
	struct pci_function fn = {
		.dir = dir,
		.pci = pci,
		.vendor = VENDOR_MELLANOX,
		.device = DEVICE_CX7_PF,
		.class_code = CLASS_IB,
		.numa_node = pf->numa_node,
		.driver = "mlx5_core",
	};
	int rc;

	if (pf->enabled_vfs > pf->total_vfs || pf->total_vfs > 254)
		return iq_fail(err, IQ_EUSAGE,
			       "%u of %u VFs enabled: not a valid SR-IOV setup",
			       pf->enabled_vfs, pf->total_vfs);
	rc = device_path(dir, sizeof(dir), pf->domain, pf->bus, 0, err);
	if (rc)
		return rc;
	pci_addr_format(pf->domain, pf->bus, 0, 0, pci);
	rc = add_root_port(root, pf->domain, pf->bus, pf->numa_node, err);
	if (!rc)
		rc = add_function(root, &fn, err);
	if (!rc)
		rc = put_u64(root, dir, "sriov_totalvfs", pf->total_vfs, err);
	if (!rc)
		rc = put_u64(root, dir, "sriov_numvfs", pf->enabled_vfs, err);
	if (!rc)
		rc = put_u64(root, dir, "sriov_offset", 1, err);
	if (!rc)
		rc = put_u64(root, dir, "sriov_stride", 1, err);
	if (!rc)
		rc = put_hex(root, dir, "sriov_vf_device", "0x%04x\n",
			     DEVICE_CX_VF, err);
	if (!rc)
		rc = add_iommu_group(root, dir, pci, (*iommu_group)++, err);
	if (!rc)
		rc = add_pf_ibdev(root, dir, pf->index, err);
	if (!rc)
		rc = add_pf_netdev(root, dir, pf->bus, err);
	if (!rc && pf->fwctl)
		rc = add_pf_fwctl(root, dir, pf->index, err);
	if (!rc)
		rc = add_pf_debugfs(root, pci, pf->fw_pages_files, err);
	for (unsigned i = 0; !rc && i < pf->enabled_vfs; i++)
		rc = add_vf(root, pf, dir, i, iommu_group, err);
	if (rc)
		iq_err_prefix(err, "simulated PF %s", pci);
	return rc;
}

int sim_tree_add_gpu(const char *root, unsigned bus, unsigned numa_node,
		     unsigned *iommu_group, struct iq_err *err)
{
	char dir[PATH_MAX], pci[PCI_ADDR_LEN];
	struct pci_function gpu = {
		.dir = dir,
		.pci = pci,
		.vendor = VENDOR_NVIDIA,
		.device = DEVICE_GPU,
		.class_code = CLASS_GPU,
		.numa_node = numa_node,
		.driver = "nvidia",
	};
	int rc = device_path(dir, sizeof(dir), 0, bus, 0, err);

	if (rc)
		return rc;
	pci_addr_format(0, bus, 0, 0, pci);
	rc = add_root_port(root, 0, bus, numa_node, err);
	if (!rc)
		rc = add_function(root, &gpu, err);
	if (!rc)
		rc = add_iommu_group(root, dir, pci, (*iommu_group)++, err);
	return rc;
}

static int pool_dir(char *out, size_t len, const char *base,
		    uint64_t page_bytes, struct iq_err *err)
{
	return format(out, len, err, "%s/hugepages-%llukB", base,
		      (unsigned long long)(page_bytes / 1024));
}

/* A node1 pool file under root, 0 when it cannot be read. */
static uint64_t node1_value(const char *root, uint64_t page_bytes,
			    const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct iq_err ignored = {0};
	uint64_t value = 0;

	if (pool_dir(dir, sizeof(dir),
		     "/sys/devices/system/node/node1/hugepages", page_bytes,
		     &ignored) ||
	    format(path, sizeof(path), &ignored, "%s%s/%s", root, dir, name) ||
	    file_read_u64(path, &value, &ignored))
		return 0;
	return value;
}

int sim_tree_write_pool(const char *root, uint64_t page_bytes, uint64_t count,
			uint64_t free_pages, struct iq_err *err)
{
	/* Node 1 keeps what a test wrote there; node 0 holds the rest. */
	uint64_t node1 = node1_value(root, page_bytes, "nr_hugepages");
	uint64_t node1_free = node1_value(root, page_bytes, "free_hugepages");
	char dir[PATH_MAX];
	int rc;

	rc = pool_dir(dir, sizeof(dir), "/sys/kernel/mm/hugepages", page_bytes,
		      err);
	if (!rc)
		rc = put_u64(root, dir, "nr_hugepages", count, err);
	if (!rc)
		rc = put_u64(root, dir, "free_hugepages", free_pages, err);
	if (!rc)
		rc = pool_dir(dir, sizeof(dir),
			      "/sys/devices/system/node/node0/hugepages",
			      page_bytes, err);
	if (!rc)
		rc = put_u64(root, dir, "nr_hugepages",
			     count > node1 ? count - node1 : 0, err);
	if (!rc)
		rc = put_u64(root, dir, "free_hugepages",
			     free_pages > node1_free ? free_pages - node1_free
						     : 0,
			     err);
	return rc;
}

int sim_tree_add_pool(const char *root, uint64_t page_bytes, uint64_t count,
		      uint64_t free_pages, struct iq_err *err)
{
	static const char *const nodes[] = {
		"/sys/devices/system/node/node0/hugepages",
		"/sys/devices/system/node/node1/hugepages",
	};
	char dir[PATH_MAX];
	int rc;

	rc = pool_dir(dir, sizeof(dir), "/sys/kernel/mm/hugepages", page_bytes,
		      err);
	if (!rc)
		rc = put_u64(root, dir, "resv_hugepages", 0, err);
	if (!rc)
		rc = put_u64(root, dir, "surplus_hugepages", 0, err);
	/* As the kernel boots: no surplus pages allowed. */
	if (!rc)
		rc = put_u64(root, dir, "nr_overcommit_hugepages", 0, err);
	for (size_t i = 0; !rc && i < 2; i++) {
		rc = pool_dir(dir, sizeof(dir), nodes[i], page_bytes, err);
		if (!rc)
			rc = put_u64(root, dir, "surplus_hugepages", 0, err);
		/* node1 holds none of them. */
		if (!rc && i == 1)
			rc = put_u64(root, dir, "nr_hugepages", 0, err);
		if (!rc && i == 1)
			rc = put_u64(root, dir, "free_hugepages", 0, err);
	}
	return rc ? rc
		  : sim_tree_write_pool(root, page_bytes, count, free_pages,
					err);
}
