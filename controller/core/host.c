// SPDX-License-Identifier: MIT
/*
 * Host discovery. Everything comes from the tree under host->root ("" on
 * a real host): sysfs for the PCI functions and their links, debugfs for
 * the firmware page counters, procfs and the hugepages directory for
 * memory. Nothing is assumed fixed: VFs come and go, so each run reads
 * what is there now.
 */
#include "controller/core/host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controller/core/host_paths.h"
#include "devx/codec.h"
#include "devx/fw.h"
#include "devx/prm.h"
#include "lib/file.h"
#include "lib/pci.h"
#include "lib/size.h"

#define PCI_DEVICES "/sys/bus/pci/devices"

int host_join(char *out, size_t len, const char *root, const char *path,
	      struct iq_err *err)
{
	if (path_join(out, len, root, path) != 0)
		return iq_fail(err, IQ_EENV, "%s%s: path too long", root, path);
	return IQ_OK;
}

/* "ROOT/sys/bus/pci/devices/PCI/name" */
static int device_file(char *out, size_t len, const char *root, const char *pci,
		       const char *name, struct iq_err *err)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), PCI_DEVICES "/%s%s%s", pci,
		 name[0] ? "/" : "", name);
	return host_join(out, len, root, rel, err);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/*
 * The PCI function a resolved sysfs path belongs to: the last component
 * that is a PCI address (a class device may hang off an auxiliary device
 * of the PCI function, as fwctl does).
 */
static bool pci_of_path(const char *resolved, char pci[PCI_ADDR_LEN])
{
	char buf[PATH_MAX];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", resolved);
	while ((slash = strrchr(buf, '/'))) {
		if (pci_addr_normalize(slash + 1, pci))
			return true;
		*slash = '\0';
	}
	return false;
}

/* The PCI function a link (e.g. class/infiniband/X/device) resolves to. */
static bool link_pci(const char *link, char pci[PCI_ADDR_LEN])
{
	char resolved[PATH_MAX];

	return realpath(link, resolved) && pci_of_path(resolved, pci);
}

/* "DDDD:BB:SS.F" as sysfs names PCI functions (any domain width). */
static bool pci_shaped(const char *s, size_t len)
{
	return len >= 12 && s[len - 2] == '.' && s[len - 5] == ':' &&
	       s[len - 8] == ':';
}

/*
 * qsort, after an O(n) look: what discovery sorts (a PF's VFs by index,
 * the VFs of PFs found in address order) mostly arrives sorted.
 */
static void sort_unless_sorted(void *base, size_t n, size_t size,
			       int (*cmp)(const void *, const void *))
{
	for (size_t i = 1; i < n; i++)
		if (cmp((const char *)base + (i - 1) * size,
			(const char *)base + i * size) > 0) {
			qsort(base, n, size, cmp);
			return;
		}
}

/*
 * PCI addresses in address order (pci_addr_cmp: strverscmp reads hex
 * wrongly, "1c" before "16", and cost a fleet host's 1,032 devices 2 M
 * instructions), before other names; other names in natural order
 * (hugepages-2048kB before hugepages-1048576kB).
 */
static int cmp_natural(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t lx = strlen(x), ly = strlen(y);
	bool px = pci_shaped(x, lx), py = pci_shaped(y, ly);

	/* pci_addr_cmp: a longer domain is larger, else the text decides. */
	if (px && py)
		return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
	if (px != py)
		return px ? -1 : 1;
	return strverscmp(x, y);
}

/* Entry names of a directory (no dot entries): PCI addresses in address
 * order first, then the others in natural order. */
int host_list_dir(const char *path, char ***names, size_t *n, bool *missing,
		  struct iq_err *err)
{
	DIR *dir = opendir(path);
	struct dirent *entry;
	char **list = NULL;
	size_t count = 0, cap = 0;

	*names = NULL;
	*n = 0;
	*missing = false;
	if (!dir) {
		if (errno == ENOENT || errno == ENOTDIR) {
			*missing = true;
			return IQ_OK;
		}
		return iq_fail(err, IQ_EENV, "%s: cannot list: %s", path,
			       strerror(errno));
	}
	while ((errno = 0, entry = readdir(dir))) {
		char **grown;

		if (entry->d_name[0] == '.')
			continue;
		grown = list;
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(list, cap * sizeof(*list));
		}
		if (!grown || !(grown[count] = strdup(entry->d_name))) {
			list = grown ? grown : list;
			for (size_t i = 0; i < count; i++)
				free(list[i]);
			free(list);
			closedir(dir);
			return iq_fail(err, IQ_EENV, "%s: out of memory", path);
		}
		list = grown;
		count++;
	}
	if (errno) {
		int saved = errno;

		for (size_t i = 0; i < count; i++)
			free(list[i]);
		free(list);
		closedir(dir);
		return iq_fail(err, IQ_EENV, "%s: cannot list: %s", path,
			       strerror(saved));
	}
	closedir(dir);
	if (count)
		qsort(list, count, sizeof(*list), cmp_natural);
	*names = list;
	*n = count;
	return IQ_OK;
}

void host_free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The basename of a link's target ("" when it is not a link). */
static void link_basename(const char *link, char *out, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	const char *base;

	out[0] = '\0';
	if (n <= 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(out, len, "%s", base ? base + 1 : target);
}

/* --- discovery ---------------------------------------------------------- */

/*
 * Read a sysfs number of a device; *gone when the device disappeared
 * meanwhile (a VF being removed), which is not an error.
 */
static int read_device_u64(const char *root, const char *pci, const char *name,
			   uint64_t *value, bool *gone, struct iq_err *err)
{
	char path[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	int rc = device_file(path, sizeof(path), root, pci, name, err);

	*gone = false;
	if (!rc)
		rc = device_file(dir, sizeof(dir), root, pci, "", err);
	if (rc)
		return rc;
	rc = file_read_u64(path, value, err);
	if (rc && stat(dir, &st) != 0 && errno == ENOENT) {
		*gone = true;
		return IQ_OK;
	}
	return rc;
}

static int cmp_vf(const void *a, const void *b)
{
	const struct host_vf *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

static int cmp_pf(const void *a, const void *b)
{
	return pci_addr_cmp(((const struct host_pf *)a)->pci,
			    ((const struct host_pf *)b)->pci);
}

/* A PF's VF array, one more slot. */
static struct host_vf *new_vf(struct host_pf *pf, size_t *cap,
			      struct iq_err *err)
{
	struct host_vf *vf;

	if (pf->nvfs == *cap) {
		size_t grown_cap = *cap ? *cap * 2 : 64;
		struct host_vf *grown =
			realloc(pf->vfs, grown_cap * sizeof(*pf->vfs));

		if (!grown) {
			iq_fail(err, IQ_EENV, "%s: out of memory", pf->pci);
			return NULL;
		}
		pf->vfs = grown;
		*cap = grown_cap;
	}
	vf = &pf->vfs[pf->nvfs];
	memset(vf, 0, sizeof(*vf));
	return vf;
}

/*
 * One virtfnN link of a PF: the VF it names. The link's target ends in the
 * VF's address ("../0000:3b:00.2"): one readlinkat and one fstatat beside
 * the PF's open directory, no path walked from the root each time.
 */
static int add_vf(int dfd, const char *dir, struct host_pf *pf, size_t *cap,
		  const char *link_name, unsigned index, uint64_t link_ino,
		  struct iq_err *err)
{
	char target[PATH_MAX];
	struct host_vf *vf;
	const char *base;
	struct stat st;
	ssize_t len;

	len = readlinkat(dfd, link_name, target, sizeof(target) - 1);
	/* Gone meanwhile: a VF being removed right now. */
	if (len < 0)
		return errno == ENOENT
			       ? IQ_OK
			       : iq_fail(err, IQ_EENV,
					 "%s/%s: cannot read link: %s", dir,
					 link_name, strerror(errno));
	target[len] = '\0';
	/* A dangling link is a VF being removed right now: it is gone. */
	if (fstatat(dfd, link_name, &st, 0) < 0)
		return errno == ENOENT
			       ? IQ_OK
			       : iq_fail(err, IQ_EENV, "%s/%s: cannot stat: %s",
					 dir, link_name, strerror(errno));
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	vf = new_vf(pf, cap, err);
	if (!vf)
		return err->code;
	if (!pci_addr_normalize(base, vf->pci))
		return iq_fail(err, IQ_EENV,
			       "%s/%s points to %s, not a PCI function", dir,
			       link_name, target);
	vf->index = index;
	/* The vport number: virtfn0 is function 1 (prm.md). */
	vf->function_id = (uint16_t)(index + 1);
	vf->link_ino = link_ino;
	pf->nvfs++;
	return IQ_OK;
}

/*
 * Whether vf is the address of the PF's virtfn<index> by the SR-IOV
 * arithmetic (host_pf.sriov_offset): a cache line edited or damaged into
 * another well-formed address is not taken for the link.
 */
static bool vf_addr_fits(const struct host_pf *pf, unsigned index,
			 const char *vf)
{
	char want[PCI_ADDR_LEN];

	return pf->sriov_offset >= 0 && pf->sriov_stride >= 0 &&
	       pci_vf_addr(pf->pci, (unsigned long)pf->sriov_offset,
			   (unsigned long)pf->sriov_stride, index, want) &&
	       strcmp(want, vf) == 0;
}

/* A VF the vhca_id cache knows by its link: no read of the link. */
static int add_cached_vf(struct host_pf *pf, size_t *cap,
			 const struct vhca_cache_entry *e, unsigned index,
			 struct iq_err *err)
{
	struct host_vf *vf = new_vf(pf, cap, err);

	if (!vf)
		return err->code;
	memcpy(vf->pci, e->vf, PCI_ADDR_LEN);
	vf->index = index;
	vf->function_id = (uint16_t)(index + 1);
	vf->link_ino = e->link_ino;
	vf->vhca_id = e->vhca_id;
	vf->vhca_known = vf->vhca_cached = true;
	pf->nvfs++;
	return IQ_OK;
}

int host_vf_read_driver(const struct host *host, struct host_vf *vf,
			struct iq_err *err)
{
	char link[PATH_MAX];
	int rc = device_file(link, sizeof(link), host->root, vf->pci, "driver",
			     err);

	if (!rc)
		link_basename(link, vf->driver, sizeof(vf->driver));
	return rc;
}

struct vf_link {
	unsigned index;
	uint64_t ino;
};

static int cmp_vf_link(const void *a, const void *b)
{
	const struct vf_link *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * The PF's virtfnN links, read in one pass (readdir gives each link's
 * inode), then each resolved: from the cache when it knows that link with
 * this many VFs, else by reading the link.
 */
static int find_vfs(const char *root, struct host_pf *pf,
		    struct vhca_cache *cache, struct iq_err *err)
{
	char dir[PATH_MAX], name[32];
	struct dirent *entry;
	struct stat st;
	struct vf_link *links = NULL;
	size_t cap = 0, nlinks = 0, lcap = 0;
	DIR *d;
	int dfd;
	int rc = device_file(dir, sizeof(dir), root, pf->pci, "", err);

	if (rc)
		return rc;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT || errno == ENOTDIR
			       ? IQ_OK /* the PF went away meanwhile */
			       : iq_fail(err, IQ_EENV, "%s: cannot list: %s",
					 dir, strerror(errno));
	if (fstat(dfd, &st) < 0) {
		rc = iq_fail(err, IQ_EENV, "%s: cannot stat: %s", dir,
			     strerror(errno));
		close(dfd);
		return rc;
	}
	pf->dir_ctime_ns =
		(int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
	d = fdopendir(dfd);
	if (!d) {
		rc = iq_fail(err, IQ_EENV, "%s: cannot list: %s", dir,
			     strerror(errno));
		close(dfd);
		return rc;
	}
	while (!rc && (errno = 0, entry = readdir(d))) {
		char *end;
		unsigned long index;

		if (strncmp(entry->d_name, "virtfn", 6) != 0)
			continue;
		errno = 0;
		index = strtoul(entry->d_name + 6, &end, 10);
		if (errno || end == entry->d_name + 6 || *end ||
		    index > UINT16_MAX - 1)
			continue; /* not a virtfnN link */
		if (nlinks == lcap) {
			size_t grown_cap = lcap ? lcap * 2 : 64;
			struct vf_link *grown =
				realloc(links, grown_cap * sizeof(*links));

			if (!grown) {
				rc = iq_fail(err, IQ_EENV, "%s: out of memory",
					     pf->pci);
				break;
			}
			links = grown;
			lcap = grown_cap;
		}
		links[nlinks].index = (unsigned)index;
		links[nlinks].ino = (uint64_t)entry->d_ino;
		nlinks++;
	}
	if (!rc && errno)
		rc = iq_fail(err, IQ_EENV, "%s: cannot list: %s", dir,
			     strerror(errno));
	if (!rc && nlinks)
		qsort(links, nlinks, sizeof(*links), cmp_vf_link);
	for (size_t i = 0; !rc && i < nlinks; i++) {
		const struct vhca_cache_entry *e =
			cache ? vhca_cache_find_link(
					cache, pf->pci, (unsigned)nlinks,
					(uint16_t)(links[i].index + 1),
					links[i].ino, pf->dir_ctime_ns)
			      : NULL;

		if (e && vf_addr_fits(pf, links[i].index, e->vf)) {
			rc = add_cached_vf(pf, &cap, e, links[i].index, err);
			continue;
		}
		snprintf(name, sizeof(name), "virtfn%u", links[i].index);
		rc = add_vf(dfd, dir, pf, &cap, name, links[i].index,
			    links[i].ino, err);
	}
	free(links);
	closedir(d); /* closes dfd */
	if (!rc && pf->nvfs)
		sort_unless_sorted(pf->vfs, pf->nvfs, sizeof(*pf->vfs), cmp_vf);
	return rc;
}

/*
 * The PCI function a class device belongs to (its device link): the link's
 * target names it ("../../../0000:3b:00.0") when the device hangs off the
 * PCI function itself; one through an auxiliary device (fwctl) needs the
 * full resolution.
 */
static bool class_device_pci(const char *link, char pci[PCI_ADDR_LEN])
{
	char target[PATH_MAX];
	ssize_t len = readlink(link, target, sizeof(target) - 1);
	const char *base;

	if (len < 0)
		return false;
	target[len] = '\0';
	base = strrchr(target, '/');
	if (pci_addr_normalize(base ? base + 1 : target, pci))
		return true;
	return link_pci(link, pci);
}

/*
 * Each PF's first class device (natural order) whose device link leads to
 * it: class/infiniband/mlx5_N, class/fwctl/fwctlN. The class directory is
 * read once for all PFs. field: offset of the name in struct host_pf.
 */
static int assign_class_devices(const char *root, struct host *host,
				const char *class_dir, size_t field, size_t len,
				struct iq_err *err)
{
	char dir[PATH_MAX], link[PATH_MAX], owner[PCI_ADDR_LEN];
	char **names;
	size_t n;
	bool missing;
	int rc = host_join(dir, sizeof(dir), root, class_dir, err);

	if (!rc)
		rc = host_list_dir(dir, &names, &n, &missing, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct host_pf *pf;
		char *out;

		snprintf(link, sizeof(link), "%s/%s/device", dir, names[i]);
		if (!class_device_pci(link, owner) ||
		    !(pf = host_find_pf(host, owner)))
			continue;
		out = (char *)pf + field;
		if (!out[0])
			snprintf(out, len, "%s", names[i]);
	}
	host_free_names(names, n);
	return IQ_OK;
}

/* No infiniband class entry: the PF's own infiniband/ directory, if any. */
static int find_own_ibdev(const char *root, struct host_pf *pf,
			  struct iq_err *err)
{
	char dir[PATH_MAX];
	char **names;
	size_t n;
	bool missing;
	int rc =
		device_file(dir, sizeof(dir), root, pf->pci, "infiniband", err);

	if (!rc)
		rc = host_list_dir(dir, &names, &n, &missing, err);
	if (rc)
		return rc;
	if (n)
		snprintf(pf->ibdev, sizeof(pf->ibdev), "%s", names[0]);
	host_free_names(names, n);
	return IQ_OK;
}

/* Is this PCI function a ConnectX PF with SR-IOV? Fills pf when it is. */
static int probe_pf(const char *root, struct vhca_cache *cache, const char *pci,
		    struct host_pf *pf, bool *is_pf, struct iq_err *err)
{
	char path[PATH_MAX];
	uint64_t vendor, device, total_vfs;
	bool gone;
	int rc;

	*is_pf = false;
	/* Only a PF with SR-IOV has sriov_totalvfs: one stat rules out the
	 * other functions before any file is read. */
	rc = device_file(path, sizeof(path), root, pci, "sriov_totalvfs", err);
	if (rc || !exists(path))
		return rc;
	rc = read_device_u64(root, pci, "vendor", &vendor, &gone, err);
	if (rc || gone || vendor != MLX_VENDOR_ID)
		return rc;
	/* A VF has a physfn link; only PFs own VFs. */
	rc = device_file(path, sizeof(path), root, pci, "physfn", err);
	if (rc || exists(path))
		return rc;
	rc = read_device_u64(root, pci, "device", &device, &gone, err);
	if (!rc && !gone)
		rc = read_device_u64(root, pci, "sriov_totalvfs", &total_vfs,
				     &gone, err);
	if (rc || gone)
		return rc;

	memset(pf, 0, sizeof(*pf));
	snprintf(pf->pci, sizeof(pf->pci), "%s", pci);
	pf->device_id = (uint16_t)device;
	pf->total_vfs = (unsigned)total_vfs;
	pf->fw_pages = (struct host_fw_pages){
		.total = -1, .vfs = -1, .ec_vfs = -1, .sfs = -1, .host_pf = -1};
	pf->total_icm_bytes = IQ_UNLIMITED;
	pf->sriov_offset = pf->sriov_stride = -1;
	if (cache && cache->n) {
		uint64_t offset, stride;
		struct iq_err ignored = {0};

		/* Missing (an old kernel): unknown, the links are read. */
		if (device_file(path, sizeof(path), root, pci, "sriov_offset",
				&ignored) == IQ_OK &&
		    file_read_u64(path, &offset, &ignored) == IQ_OK &&
		    device_file(path, sizeof(path), root, pci, "sriov_stride",
				&ignored) == IQ_OK &&
		    file_read_u64(path, &stride, &ignored) == IQ_OK &&
		    offset <= 0xffff && stride <= 0xffff) {
			pf->sriov_offset = (long)offset;
			pf->sriov_stride = (long)stride;
		}
	}
	rc = find_vfs(root, pf, cache, err);
	if (rc) {
		free(pf->vfs);
		pf->vfs = NULL;
		return rc;
	}
	*is_pf = true;
	return IQ_OK;
}

static int cmp_vf_ref(const void *a, const void *b)
{
	return strcmp(((const struct host_vf_ref *)a)->pci,
		      ((const struct host_vf_ref *)b)->pci);
}

/* Every VF's seq, and the index host_find_vf() searches. */
static int index_vfs(struct host *host, struct iq_err *err)
{
	size_t n = 0;

	for (size_t p = 0; p < host->npfs; p++)
		n += host->pfs[p].nvfs;
	host->vf_index = calloc(n ? n : 1, sizeof(*host->vf_index));
	if (!host->vf_index)
		return iq_fail(err, IQ_EENV, "out of memory");
	for (size_t p = 0; p < host->npfs; p++) {
		for (size_t v = 0; v < host->pfs[p].nvfs; v++) {
			struct host_vf *vf = &host->pfs[p].vfs[v];

			vf->seq = host->nvf_index;
			host->vf_index[host->nvf_index++] =
				(struct host_vf_ref){.pci = vf->pci,
						     .pf = &host->pfs[p],
						     .vf = vf};
		}
	}
	sort_unless_sorted(host->vf_index, host->nvf_index,
			   sizeof(*host->vf_index), cmp_vf_ref);
	return IQ_OK;
}

/* The VF addresses of the PFs found so far, sorted (bsearch). */
struct known_vfs {
	char (*pcis)[PCI_ADDR_LEN];
	size_t n;
};

static int cmp_pci(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool known_vf(const struct known_vfs *k, const char *pci)
{
	return k->n && bsearch(pci, k->pcis, k->n, sizeof(*k->pcis), cmp_pci);
}

static int known_vfs_add(struct known_vfs *k, const struct host_pf *pf,
			 struct iq_err *err)
{
	char(*grown)[PCI_ADDR_LEN];

	if (!pf->nvfs)
		return IQ_OK;
	grown = realloc(k->pcis, (k->n + pf->nvfs) * sizeof(*k->pcis));
	if (!grown)
		return iq_fail(err, IQ_EENV, "out of memory");
	k->pcis = grown;
	for (size_t i = 0; i < pf->nvfs; i++)
		memcpy(k->pcis[k->n++], pf->vfs[i].pci, PCI_ADDR_LEN);
	sort_unless_sorted(k->pcis, k->n, sizeof(*k->pcis), cmp_pci);
	return IQ_OK;
}

int host_discover(const char *root, struct vhca_cache *cache, struct host *host,
		  struct iq_err *err)
{
	struct known_vfs vfs = {0};
	char dir[PATH_MAX];
	char **names;
	size_t n;
	bool missing;
	int rc;

	memset(host, 0, sizeof(*host));
	if (!root)
		root = "";
	if (strlen(root) >= sizeof(host->root))
		return iq_fail(err, IQ_EUSAGE, "--root %s: path too long",
			       root);
	snprintf(host->root, sizeof(host->root), "%s", root);
	rc = host_join(dir, sizeof(dir), root, PCI_DEVICES, err);
	if (!rc)
		rc = host_list_dir(dir, &names, &n, &missing, err);
	if (rc)
		return rc;
	if (missing)
		return iq_fail(err, IQ_EENV,
			       "%s: no such directory: is sysfs mounted%s%s?",
			       dir, root[0] ? ", or is --root right: " : "",
			       root);
	for (size_t i = 0; !rc && i < n; i++) {
		char pci[PCI_ADDR_LEN];
		struct host_pf pf, *grown;
		bool is_pf;

		if (!pci_addr_normalize(names[i], pci))
			continue; /* sysfs names every PCI function so */
		/* The VFs of the PFs found so far: no need to look. */
		if (known_vf(&vfs, pci))
			continue;
		rc = probe_pf(root, cache, pci, &pf, &is_pf, err);
		if (rc || !is_pf)
			continue;
		grown = realloc(host->pfs, (host->npfs + 1) * sizeof(pf));
		if (!grown) {
			free(pf.vfs);
			rc = iq_fail(err, IQ_EENV, "out of memory");
			break;
		}
		host->pfs = grown;
		host->pfs[host->npfs++] = pf;
		rc = known_vfs_add(&vfs, &pf, err);
	}
	free(vfs.pcis);
	host_free_names(names, n);
	if (rc) {
		host_free(host);
		return rc;
	}
	if (host->npfs)
		qsort(host->pfs, host->npfs, sizeof(*host->pfs), cmp_pf);
	if (host->npfs)
		rc = index_vfs(host, err);
	if (!rc && host->npfs)
		rc = assign_class_devices(root, host, "/sys/class/infiniband",
					  offsetof(struct host_pf, ibdev),
					  sizeof(host->pfs[0].ibdev), err);
	for (size_t i = 0; !rc && i < host->npfs; i++)
		if (!host->pfs[i].ibdev[0])
			rc = find_own_ibdev(root, &host->pfs[i], err);
	if (!rc && host->npfs)
		rc = assign_class_devices(root, host, "/sys/class/fwctl",
					  offsetof(struct host_pf, fwctl),
					  sizeof(host->pfs[0].fwctl), err);
	if (rc) {
		host_free(host);
		return rc;
	}
	return IQ_OK;
}

/* --- lookups ------------------------------------------------------------ */

struct host_vf *host_find_vf(struct host *host, const char *pci,
			     struct host_pf **pf)
{
	char norm[PCI_ADDR_LEN];
	struct host_vf_ref key = {.pci = norm};
	const struct host_vf_ref *ref;

	if (pf)
		*pf = NULL;
	if (!pci || !pci_addr_normalize(pci, norm))
		return NULL;
	if (host->vf_index) {
		ref = host->nvf_index
			      ? bsearch(&key, host->vf_index, host->nvf_index,
					sizeof(*host->vf_index), cmp_vf_ref)
			      : NULL;
		if (!ref)
			return NULL;
		if (pf)
			*pf = ref->pf;
		return ref->vf;
	}
	/* A host put together by hand (tests): no index. */
	for (size_t i = 0; i < host->npfs; i++) {
		for (size_t j = 0; j < host->pfs[i].nvfs; j++) {
			if (strcmp(host->pfs[i].vfs[j].pci, norm) != 0)
				continue;
			if (pf)
				*pf = &host->pfs[i];
			return &host->pfs[i].vfs[j];
		}
	}
	return NULL;
}

static int cmp_pf_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct host_pf *)elem)->pci);
}

struct host_pf *host_find_pf(struct host *host, const char *pci)
{
	char norm[PCI_ADDR_LEN];

	if (!pci || !pci_addr_normalize(pci, norm) || !host->npfs)
		return NULL;
	/* host->pfs is sorted by address (host_discover). */
	return bsearch(norm, host->pfs, host->npfs, sizeof(*host->pfs),
		       cmp_pf_key);
}

bool host_pci_exists(const struct host *host, const char *pci)
{
	char norm[PCI_ADDR_LEN], path[PATH_MAX], rel[PATH_MAX];

	if (!pci || !pci_addr_normalize(pci, norm))
		return false;
	snprintf(rel, sizeof(rel), PCI_DEVICES "/%s", norm);
	return path_join(path, sizeof(path), host->root, rel) == 0 &&
	       exists(path);
}

bool host_pci_is_connectx_pf(const struct host *host, const char *pci)
{
	char norm[PCI_ADDR_LEN], path[PATH_MAX];
	struct iq_err ignored = {0};
	uint64_t vendor;
	bool gone;

	if (!pci || !pci_addr_normalize(pci, norm))
		return false;
	if (read_device_u64(host->root, norm, "vendor", &vendor, &gone,
			    &ignored) ||
	    gone || vendor != MLX_VENDOR_ID)
		return false;
	return device_file(path, sizeof(path), host->root, norm, "physfn",
			   &ignored) == IQ_OK &&
	       !exists(path);
}

void host_free(struct host *host)
{
	for (size_t i = 0; i < host->npfs; i++) {
		fw_dev_close(host->pfs[i].fw);
		free(host->pfs[i].vfs);
	}
	free(host->pfs);
	free(host->vf_index);
	host->pfs = NULL;
	host->npfs = 0;
	host->vf_index = NULL;
	host->nvf_index = 0;
}
