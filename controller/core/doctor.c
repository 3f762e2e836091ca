// SPDX-License-Identifier: MIT
/*
 * The checks of icmquota doctor, in the order a person would fix them:
 * the kernel and what it offers, the NICs, rdma-core, the firmware
 * channel, each PF's VHCA_ICM_CTRL, fwctl, devlink, debugfs, the libvirt
 * hook and libvirtd, the files, the policy, the daemon.
 */
#include "controller/core/doctor.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "controller/core/devlink_view.h"
#include "controller/core/host.h"
#include "lib/file.h"
#include "lib/size.h"
#include "policy/policy.h"

/* fwctl (mlx5_fwctl) and the vnic reporter's icm_consumption. */
#define KERNEL_FEATURES_MAJOR 6
#define KERNEL_FEATURES_MINOR 15

const char *doctor_status_name(enum doctor_status status)
{
	static const char *const names[] = {"ok", "warn", "fail", "unknown"};

	return status <= DOCTOR_UNKNOWN ? names[status] : "unknown";
}

static int add(struct doctor_report *r, enum doctor_status status,
	       const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int add(struct doctor_report *r, enum doctor_status status,
	       const char *name, const char *fmt, ...)
{
	struct doctor_check *grown, *c;
	va_list ap;

	grown = realloc(r->checks, (r->n + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	r->checks = grown;
	c = &r->checks[r->n++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->status = status;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	r->count[status]++;
	return 0;
}

/* ROOT + path; "" on overflow (then nothing is found there). */
static const char *under(const char *root, const char *path, char *buf,
			 size_t len)
{
	if (path_join(buf, len, root, path) != 0)
		buf[0] = '\0';
	return buf;
}

/* --- the kernel --------------------------------------------------------- */

static int check_kernel(const char *root, struct doctor_report *r)
{
	char path[PATH_MAX], release[256] = "";
	struct iq_err ignored = {0};
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (file_read_line(under(root, "/proc/sys/kernel/osrelease", path,
				 sizeof(path)),
			   release, sizeof(release), &ignored) != IQ_OK) {
		if (root[0] || uname(&u) != 0)
			return add(r, DOCTOR_UNKNOWN, "kernel",
				   "%s: unreadable: cannot tell which kernel "
				   "this is",
				   path);
		snprintf(release, sizeof(release), "%s", u.release);
	}
	if (sscanf(release, "%u.%u", &major, &minor) != 2)
		return add(r, DOCTOR_UNKNOWN, "kernel",
			   "release \"%s\" is not MAJOR.MINOR...", release);
	if (major > KERNEL_FEATURES_MAJOR ||
	    (major == KERNEL_FEATURES_MAJOR && minor >= KERNEL_FEATURES_MINOR))
		return add(r, DOCTOR_OK, "kernel",
			   "Linux %s: new enough for fwctl (mlx5_fwctl) and "
			   "the vnic reporter's icm_consumption",
			   release);
	return add(r, DOCTOR_WARN, "kernel",
		   "Linux %s: before %u.%u, so no fwctl and no "
		   "icm_consumption cross-check; DevX still caps VFs",
		   release, KERNEL_FEATURES_MAJOR, KERNEL_FEATURES_MINOR);
}

/* --- rdma-core ---------------------------------------------------------- */

static int check_rdma_core(const char *root, struct doctor_report *r)
{
	char path[PATH_MAX];

	/* rdma-core (ibverbs-providers) installs the mlx5 provider's
	 * driver file; libibverbs loads libmlx5 through it. */
	under(root, "/etc/libibverbs.d/mlx5.driver", path, sizeof(path));
	if (access(path, R_OK) == 0)
		return add(r, DOCTOR_OK, "rdma_core",
			   "%s present (mlx5 provider); libibverbs and "
			   "libmlx5 linked",
			   path);
	return add(r, DOCTOR_FAIL, "rdma_core",
		   "%s: %s: the DevX backend needs rdma-core's mlx5 provider "
		   "(apt-get install ibverbs-providers rdma-core)",
		   path, strerror(errno));
}

/* --- firmware: channel, access_register_user, VHCA_ICM_CTRL ------------ */

static int check_firmware(const struct run_ctx *ctx, struct host *host,
			  bool *probed, struct doctor_report *r)
{
	struct iq_err err = {0};
	const char *via = "";
	int rc;

	*probed = false;
	host->sim_transport = ctx->sim_transport;
	rc = host_probe_firmware(host, ctx->backend, NULL, &err);
	if (rc)
		return add(r, DOCTOR_FAIL, "firmware_channel", "%s", err.msg);
	*probed = true;
	for (size_t i = 0; i < host->npfs; i++)
		if (host->pfs[i].fw)
			via = host->pfs[i].fw->ops->name;
	return add(r, DOCTOR_OK, "firmware_channel",
		   "backend %s: %zu PF(s) answer QUERY_HCA_CAP and NIC_CAP_REG",
		   via, host->npfs);
}

static int check_access_register_user(const struct host *host, bool probed,
				      struct doctor_report *r)
{
	bool all_fwctl = probed && host->npfs > 0;

	for (size_t i = 0; all_fwctl && i < host->npfs; i++)
		all_fwctl = host->pfs[i].fw &&
			    !strcmp(host->pfs[i].fw->ops->name, "fwctl");
	if (all_fwctl)
		return add(r, DOCTOR_OK, "access_register_user",
			   "not needed: the fwctl backend reads and writes "
			   "registers with ACCESS_REG");
	/* The HCA cap bit (cmd_hca_cap.access_register_user, 0xd2) is not
	 * decoded by this build's devx/codec; say so rather than guess. */
	return add(r, DOCTOR_UNKNOWN, "access_register_user",
		   "this build does not decode the HCA cap "
		   "access_register_user; a DevX register access the firmware "
		   "refuses fails with BAD_OP naming ACCESS_REGISTER_USER");
}

static int check_icm_ctrl(struct host *host, bool probed,
			  struct doctor_report *r)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < host->npfs; i++) {
		struct host_pf *pf = &host->pfs[i];
		char name[64], total[32];

		snprintf(name, sizeof(name), "vhca_icm_ctrl %s", pf->pci);
		if (!probed || !pf->probed)
			rc = add(r, DOCTOR_UNKNOWN, name,
				 "no firmware channel (see firmware_channel)");
		else if (!pf->supported)
			rc = add(r, DOCTOR_FAIL, name, "%s",
				 pf->unsupported_why);
		else {
			size_format(pf->total_icm_bytes, total, sizeof(total));
			rc = add(r, DOCTOR_OK, name,
				 "supported; total ICM %s, %zu VF(s) enabled",
				 total, pf->nvfs);
		}
	}
	return rc;
}

/* --- fwctl, devlink, debugfs -------------------------------------------- */

static int check_fwctl(const struct run_ctx *ctx, const struct host *host,
		       struct doctor_report *r)
{
	char path[PATH_MAX], missing[256] = "";
	size_t have = 0;
	bool module;

	for (size_t i = 0; i < host->npfs; i++) {
		if (host->pfs[i].fwctl[0])
			have++;
		else if (!missing[0])
			snprintf(missing, sizeof(missing), "%s",
				 host->pfs[i].pci);
	}
	if (host->npfs && have == host->npfs)
		return add(r, DOCTOR_OK, "fwctl",
			   "every PF has a fwctl device (/sys/class/fwctl)");
	if (!host->npfs &&
	    access(under(host->root, "/sys/class/fwctl", path, sizeof(path)),
		   F_OK) == 0)
		return add(r, DOCTOR_OK, "fwctl",
			   "%s present (no ConnectX PF to match)", path);
	module = access(under(host->root, "/sys/module/mlx5_fwctl", path,
			      sizeof(path)),
			F_OK) == 0;
	return add(r,
		   ctx->backend == FW_BACKEND_FWCTL ? DOCTOR_FAIL : DOCTOR_WARN,
		   "fwctl", "%s%s%s: %s",
		   missing[0] ? "no fwctl device for " : "no /sys/class/fwctl",
		   missing,
		   ctx->backend == FW_BACKEND_FWCTL
			   ? " (--backend fwctl needs one)"
			   : "",
		   module ? "mlx5_fwctl is loaded: is the PF bound to "
			    "mlx5_core?"
			  : "mlx5_fwctl not loaded (modprobe mlx5_fwctl; "
			    "Linux 6.15+); DevX serves instead");
}

static const char *first_vf_reason(const struct devlink_view *v)
{
	for (size_t p = 0; p < v->npfs; p++) {
		if (v->pfs[p].why[0])
			return v->pfs[p].why;
		for (size_t i = 0; i < v->pfs[p].nvfs; i++)
			if (v->pfs[p].vfs[i].why[0])
				return v->pfs[p].vfs[i].why;
	}
	return NULL;
}

static int check_devlink(const struct run_ctx *ctx, struct host *host,
			 bool probed, struct doctor_report *r)
{
	struct devlink_view v;
	struct iq_err err = {0};
	unsigned with_icm = 0, nvfs = 0;
	const char *why;
	int rc;

	if (devlink_view_read(host, devlink_view_channel(ctx), &v, &err))
		return add(r, DOCTOR_UNKNOWN, "devlink", "%s", err.msg);
	if (!v.family) {
		rc = add(r, DOCTOR_WARN, "devlink", "%s", v.why);
		if (!rc)
			rc = add(r, DOCTOR_UNKNOWN, "vnic_reporter",
				 "no devlink: no icm_consumption cross-check");
		devlink_view_free(&v);
		return rc;
	}
	for (size_t p = 0; p < v.npfs; p++)
		for (size_t i = 0; i < v.pfs[p].nvfs; i++) {
			nvfs++;
			with_icm += v.pfs[p].vfs[i].have_icm;
		}
	why = first_vf_reason(&v);
	rc = add(r, why && !with_icm ? DOCTOR_WARN : DOCTOR_OK, "devlink",
		 "family answers (%s): %u port(s)%s%s", v.channel, v.ports,
		 why && !with_icm ? "; " : "", why && !with_icm ? why : "");
	if (rc)
		;
	else if (v.disagree)
		rc = add(r, DOCTOR_FAIL, "vnic_reporter",
			 "%u VF(s) where icm_consumption and the firmware's "
			 "cur_alloc_icm disagree: icmquota may be reading "
			 "another function (see icmquota status)",
			 v.disagree);
	else if (!nvfs)
		rc = add(r, DOCTOR_UNKNOWN, "vnic_reporter",
			 "no VF enabled: nothing to cross-check");
	else if (with_icm == nvfs)
		rc = add(r, probed ? DOCTOR_OK : DOCTOR_UNKNOWN,
			 "vnic_reporter", "icm_consumption of all %u VF(s)%s",
			 nvfs,
			 probed ? " agrees with cur_alloc_icm"
				: " read; no firmware side to compare");
	else
		rc = add(r, DOCTOR_WARN, "vnic_reporter",
			 "icm_consumption for %u of %u VF(s): %s", with_icm,
			 nvfs, why ? why : "");
	devlink_view_free(&v);
	return rc;
}

static int check_debugfs(const char *root, const struct host *host,
			 struct doctor_report *r)
{
	char path[PATH_MAX], dir[PATH_MAX];
	struct iq_err err = {0};
	uint64_t value;

	under(root, "/sys/kernel/debug/mlx5", dir, sizeof(dir));
	if (access(dir, F_OK) != 0) {
		under(root, "/sys/kernel/debug", path, sizeof(path));
		return add(r, DOCTOR_WARN, "debugfs",
			   "%s: %s: PF firmware pages are unknown in the "
			   "split (%s)",
			   dir, strerror(errno),
			   access(path, R_OK) == 0
				   ? "is mlx5_core loaded?"
				   : "mount -t debugfs none /sys/kernel/debug");
	}
	for (size_t i = 0; i < host->npfs; i++) {
		char rel[PATH_MAX];

		snprintf(rel, sizeof(rel),
			 "/sys/kernel/debug/mlx5/%s/pages/fw_pages_total",
			 host->pfs[i].pci);
		if (file_read_u64(under(root, rel, path, sizeof(path)), &value,
				  &err) != IQ_OK)
			return add(r, DOCTOR_FAIL, "debugfs",
				   "%s (run as root; kernels before 2022 have "
				   "no pages/ directory)",
				   err.msg);
	}
	return add(r, DOCTOR_OK, "debugfs",
		   "%s readable: fw_pages_total of %zu PF(s)", dir, host->npfs);
}

/* --- processes ---------------------------------------------------------- */

bool doctor_process_start(const char *root, long pid, double *epoch)
{
	char path[PATH_MAX], rel[64], *text = NULL, *p;
	struct iq_err ignored = {0};
	unsigned long long start = 0, btime = 0;
	size_t len;
	long ticks = sysconf(_SC_CLK_TCK);
	bool ok = false;

	snprintf(rel, sizeof(rel), "/proc/%ld/stat", pid);
	if (file_read_all(under(root, rel, path, sizeof(path)), &text, &len,
			  &ignored) == IQ_OK &&
	    (p = strrchr(text, ')'))) {
		/* Fields after "(comm)": state is field 3, starttime 22. */
		p++;
		for (int field = 3; field <= 22 && p; field++) {
			p += strspn(p, " ");
			if (field == 22)
				ok = sscanf(p, "%llu", &start) == 1;
			p = strchr(p, ' ');
		}
	}
	free(text);
	text = NULL;
	if (ok) {
		ok = false;
		if (file_read_all(under(root, "/proc/stat", path, sizeof(path)),
				  &text, &len, &ignored) == IQ_OK &&
		    (p = strstr(text, "\nbtime ")))
			ok = sscanf(p + 7, "%llu", &btime) == 1;
		free(text);
	}
	if (ok)
		*epoch = (double)btime +
			 (double)start / (double)(ticks > 0 ? ticks : 100);
	return ok;
}

/* Processes whose comm is one of names (NULL-terminated); fills pid of
 * the first; returns how many. */
static unsigned find_processes(const char *root, const char *const *names,
			       long *pid, char *which, size_t which_len)
{
	char dir[PATH_MAX];
	struct dirent *e;
	unsigned n = 0;
	DIR *d = opendir(under(root, "/proc", dir, sizeof(dir)));

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char rel[PATH_MAX], path[PATH_MAX], comm[64];
		struct iq_err ignored = {0};

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(rel, sizeof(rel), "/proc/%s/comm", e->d_name);
		if (file_read_line(under(root, rel, path, sizeof(path)), comm,
				   sizeof(comm), &ignored) != IQ_OK)
			continue;
		for (size_t i = 0; names[i]; i++) {
			if (strcmp(comm, names[i]) != 0)
				continue;
			if (!n++) {
				*pid = atol(e->d_name);
				snprintf(which, which_len, "%s", comm);
			}
		}
	}
	closedir(d);
	return n;
}

/* Is pid's command line `... icmquota ... daemon ...`? */
static bool is_daemon(const char *root, const char *pid)
{
	char rel[PATH_MAX], path[PATH_MAX], *text = NULL;
	struct iq_err ignored = {0};
	size_t len;
	bool icmquota = false, daemon = false;

	snprintf(rel, sizeof(rel), "/proc/%s/cmdline", pid);
	if (file_read_all(under(root, rel, path, sizeof(path)), &text, &len,
			  &ignored) != IQ_OK)
		return false;
	for (size_t off = 0; off < len; off += strlen(text + off) + 1) {
		const char *arg = text + off, *slash = strrchr(arg, '/');

		if (off == 0)
			icmquota = !strcmp(slash ? slash + 1 : arg, "icmquota");
		else if (!strcmp(arg, "daemon"))
			daemon = true;
	}
	free(text);
	return icmquota && daemon;
}

/* --- libvirt ------------------------------------------------------------ */

static bool executable_file(const char *path, struct stat *st)
{
	return stat(path, st) == 0 && S_ISREG(st->st_mode) &&
	       access(path, X_OK) == 0;
}

/* Does the file mention icmquota (a dispatcher that calls it)? */
static bool mentions_icmquota(const char *path)
{
	char *text = NULL;
	size_t len;
	struct iq_err ignored = {0};
	bool yes;

	if (file_read_all(path, &text, &len, &ignored) != IQ_OK)
		return false;
	/* memmem: a binary holds NUL bytes before its strings. */
	yes = memmem(text, len, "icmquota", strlen("icmquota")) != NULL;
	free(text);
	return yes;
}

/* The binary the installed hook runs: its `icmquota=PATH` line. */
static bool hook_target(const char *hook, char *out, size_t len)
{
	char *text = NULL, *p;
	size_t n;
	struct iq_err ignored = {0};

	out[0] = '\0';
	if (file_read_all(hook, &text, &n, &ignored) != IQ_OK)
		return false;
	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, "icmquota=", 9)) {
			snprintf(out, len, "%.*s", (int)strcspn(p + 9, "\n"),
				 p + 9);
			break;
		}
	free(text);
	return out[0] != '\0';
}

static double stat_time(const struct stat *st)
{
	const struct timespec *m = &st->st_mtim, *c = &st->st_ctim;
	const struct timespec *t =
		c->tv_sec > m->tv_sec || (c->tv_sec == m->tv_sec &&
					  c->tv_nsec > m->tv_nsec)
			? c
			: m;

	return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

static int check_libvirtd_started(const char *root, const struct stat *used,
				  struct doctor_report *r);

static int check_libvirt(const char *root, struct doctor_report *r)
{
	char hook[PATH_MAX], disp[PATH_MAX], target[PATH_MAX], tpath[PATH_MAX];
	struct stat hs, ds, ts;
	bool have_hook, via_disp;
	const struct stat *used;
	int rc;

	under(root, DOCTOR_HOOK_PATH, hook, sizeof(hook));
	under(root, DOCTOR_DISPATCHER_PATH, disp, sizeof(disp));
	/*
	 * The packaged hook is a symlink to the binary. libvirt skips an
	 * entry that does not resolve to an executable file, silently: the
	 * VMs then start uncapped. Its target is looked up under root.
	 */
	if (lstat(hook, &hs) == 0 && S_ISLNK(hs.st_mode)) {
		ssize_t n = readlink(hook, target, sizeof(target) - 1);

		target[n > 0 ? n : 0] = '\0';
		/* A relative target is relative to the hook's directory. */
		if (n > 0 && target[0] != '/')
			snprintf(tpath, sizeof(tpath), "%.*s/%s",
				 (int)(strrchr(hook, '/') - hook), hook,
				 target);
		else if (n > 0)
			under(root, target, tpath, sizeof(tpath));
		if (n <= 0 || !executable_file(tpath, &ts))
			return add(r, DOCTOR_FAIL, "libvirt_hook",
				   "%s points to %s, which is missing or not "
				   "an executable file: libvirt skips it and "
				   "VMs start uncapped; reinstall icmquota",
				   hook, n > 0 ? target : "nothing");
		if (!mentions_icmquota(tpath))
			return add(r, DOCTOR_FAIL, "libvirt_hook",
				   "%s points to %s, which is not icmquota: "
				   "VMs start uncapped; make it a symlink to "
				   "the icmquota binary",
				   hook, target);
		/* libvirt re-runs the target at each call: an upgraded
		 * binary needs no restart, a new link does (lstat times). */
		if (executable_file(disp, &ds) && mentions_icmquota(disp))
			rc = add(r, DOCTOR_WARN, "libvirt_hook",
				 "both %s and the dispatcher %s call icmquota: "
				 "each event runs it twice; keep one",
				 hook, disp);
		else
			rc = add(r, DOCTOR_OK, "libvirt_hook",
				 "%s is a symlink to %s (libvirt runs "
				 "qemu.d/* in order)",
				 hook, target);
		if (rc)
			return rc;
		return check_libvirtd_started(root, &hs, r);
	}
	have_hook = executable_file(hook, &hs);
	via_disp = executable_file(disp, &ds) && mentions_icmquota(disp);
	if (!have_hook && !via_disp) {
		if (stat(hook, &hs) == 0)
			rc = add(r, DOCTOR_FAIL, "libvirt_hook",
				 "%s is not an executable file (mode %04o): "
				 "libvirt skips it; chmod 0755 it and restart "
				 "libvirtd",
				 hook, (unsigned)(hs.st_mode & 07777));
		else
			rc = add(r, DOCTOR_FAIL, "libvirt_hook",
				 "%s: not installed: VMs start uncapped (make "
				 "install or the package, then restart "
				 "libvirtd)",
				 hook);
		return rc ? rc
			  : add(r, DOCTOR_UNKNOWN, "libvirtd_after_hook",
				"no hook installed");
	}
	used = have_hook ? &hs : &ds;
	if (have_hook && hook_target(hook, target, sizeof(target)) &&
	    !executable_file(under(root, target, tpath, sizeof(tpath)), &ts))
		rc = add(r, DOCTOR_FAIL, "libvirt_hook",
			 "%s runs %s, which is missing or not executable: "
			 "every VM start with a VF is refused",
			 hook, tpath);
	else if (have_hook && via_disp)
		rc = add(r, DOCTOR_WARN, "libvirt_hook",
			 "both %s and the dispatcher %s call icmquota: each "
			 "event runs it twice; keep one",
			 hook, disp);
	else
		rc = add(r, DOCTOR_OK, "libvirt_hook", "%s is executable%s%s",
			 have_hook ? hook : disp,
			 have_hook ? "" : " (a dispatcher that calls icmquota)",
			 have_hook ? " (libvirt runs qemu.d/* in order)" : "");
	if (rc)
		return rc;
	return check_libvirtd_started(root, used, r);
}

/* libvirt reads the hooks directory when it starts, only. */
static int check_libvirtd_started(const char *root, const struct stat *used,
				  struct doctor_report *r)
{
	static const char *const daemons[] = {"libvirtd", "virtqemud", NULL};
	char which[64] = "";
	double started, installed;
	long pid = 0;

	if (!find_processes(root, daemons, &pid, which, sizeof(which)))
		return add(r, DOCTOR_WARN, "libvirtd_after_hook",
			   "no libvirtd or virtqemud running: it will find "
			   "the hook when it starts");
	installed = stat_time(used);
	if (!doctor_process_start(root, pid, &started))
		return add(r, DOCTOR_UNKNOWN, "libvirtd_after_hook",
			   "%s (pid %ld): start time unreadable in /proc",
			   which, pid);
	/* btime has a resolution of one second: allow it. */
	if (installed > started + 1.0)
		return add(r, DOCTOR_FAIL, "libvirtd_after_hook",
			   "%s (pid %ld) started %.0f s before the hook was "
			   "installed or changed: it never runs it; restart "
			   "%s",
			   which, pid, installed - started, which);
	return add(r, DOCTOR_OK, "libvirtd_after_hook",
		   "%s (pid %ld) started after the hook was installed", which,
		   pid);
}

/* --- files, policy, daemon ---------------------------------------------- */

static int check_mode(const char *name, const char *path, bool optional,
		      struct doctor_report *r)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return add(r, optional ? DOCTOR_OK : DOCTOR_WARN, name,
			   "%s: %s%s", path, strerror(errno),
			   optional ? " (written on the first apply)" : "");
	if (st.st_uid != 0)
		return add(r, DOCTOR_FAIL, name,
			   "%s is owned by uid %u, not root: whoever owns it "
			   "decides the caps (chown root: %s)",
			   path, (unsigned)st.st_uid, path);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return add(r, DOCTOR_FAIL, name,
			   "%s is mode %04o: group/other may rewrite it "
			   "(chmod go-w %s)",
			   path, (unsigned)(st.st_mode & 07777), path);
	return add(r, DOCTOR_OK, name, "%s: root-owned, mode %04o", path,
		   (unsigned)(st.st_mode & 07777));
}

static int check_files(const struct run_ctx *ctx, struct doctor_report *r)
{
	char dir[PATH_MAX];
	char *slash;
	int rc;

	if (!strcmp(ctx->config_path, "none"))
		rc = add(r, DOCTOR_UNKNOWN, "settings",
			 "--config none: the hook's settings are not checked");
	else if (ctx->config_rc)
		rc = add(r, DOCTOR_FAIL, "settings",
			 "%s: the hook refuses VM starts with VFs without "
			 "its settings",
			 ctx->config_msg);
	else
		rc = check_mode("settings", ctx->config_path, false, r);
	if (!rc)
		rc = check_mode("policy_file", ctx->policy_path, false, r);
	if (!rc)
		rc = check_mode("state_file", ctx->state_path, true, r);
	snprintf(dir, sizeof(dir), "%s", ctx->state_path);
	slash = strrchr(dir, '/');
	if (!rc && slash && slash != dir) {
		*slash = '\0';
		rc = check_mode("state_dir", dir, true, r);
	}
	return rc;
}

static int check_policy(const struct run_ctx *ctx, struct doctor_report *r)
{
	struct policy policy;
	struct iq_err err = {0};
	int rc;

	if (access(ctx->policy_path, F_OK) != 0 && errno == ENOENT)
		return add(r, DOCTOR_WARN, "policy",
			   "%s: none: built-in defaults (reserve 64GiB, "
			   "vf_cap 8GiB, idle_vf_cap 256MiB)",
			   ctx->policy_path);
	if (policy_load(ctx->policy_path, &policy, &err) != IQ_OK)
		return add(r, DOCTOR_FAIL, "policy", "%s", err.msg);
	rc = add(r, DOCTOR_OK, "policy", "%s valid (sha256 %.12s)",
		 ctx->policy_path, policy.digest);
	policy_free(&policy);
	return rc;
}

static int check_daemon(const char *root, struct doctor_report *r)
{
	char dir[PATH_MAX], wants[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(under(root, "/proc", dir, sizeof(dir)));
	struct stat st;
	long pid = 0;
	bool enabled;

	while (d && !pid && (e = readdir(d)))
		if (isdigit((unsigned char)e->d_name[0]) &&
		    is_daemon(root, e->d_name))
			pid = atol(e->d_name);
	if (d)
		closedir(d);
	/*
	 * Enabled is the wants link being there (what `systemctl enable`
	 * makes), not its target: under --root an absolute target names
	 * the real host's /lib, which a simulated host must not depend on.
	 */
	enabled = lstat(under(root, DOCTOR_UNIT_WANTS, wants, sizeof(wants)),
			&st) == 0;
	if (pid)
		return add(r, DOCTOR_OK, "daemon",
			   "icmquota daemon runs (pid %ld)", pid);
	if (enabled)
		return add(r, DOCTOR_FAIL, "daemon",
			   "icmquota.service is enabled (%s) but no icmquota "
			   "daemon runs: see journalctl -u icmquota",
			   wants);
	return add(r, DOCTOR_WARN, "daemon",
		   "no icmquota daemon: the hook still gates VM starts, but "
		   "hot-plugged VFs, Cloud Hypervisor VMs and drift go "
		   "unnoticed (systemctl enable --now icmquota)");
}

/* --- the run ------------------------------------------------------------ */

int doctor_run(const struct run_ctx *ctx, struct doctor_report *report,
	       struct iq_err *err)
{
	const char *root = ctx->root ? ctx->root : "";
	struct host host;
	struct iq_err herr = {0};
	bool have_host, probed = false;
	int rc;

	memset(report, 0, sizeof(*report));
	rc = check_kernel(root, report);
	have_host = host_discover(root, NULL, &host, &herr) == IQ_OK;
	if (!rc && !have_host)
		rc = add(report, DOCTOR_FAIL, "connectx", "%s", herr.msg);
	else if (!rc && !host.npfs)
		rc = add(report, DOCTOR_FAIL, "connectx",
			 "no ConnectX PF with SR-IOV under "
			 "%s/sys/bus/pci/devices "
			 "(vendor 0x15b3, sriov_totalvfs)",
			 root);
	else if (!rc) {
		size_t vfs = 0;

		for (size_t i = 0; i < host.npfs; i++)
			vfs += host.pfs[i].nvfs;
		rc = add(report, DOCTOR_OK, "connectx",
			 "%zu PF(s) with SR-IOV, %zu VF(s) enabled", host.npfs,
			 vfs);
	}
	if (!rc)
		rc = check_rdma_core(root, report);
	if (!have_host) {
		/* The checks that need no PF still run on an empty host. */
		memset(&host, 0, sizeof(host));
		snprintf(host.root, sizeof(host.root), "%s", root);
	}
	host_read_fw_pages(&host);
	if (!rc && host.npfs)
		rc = check_firmware(ctx, &host, &probed, report);
	else if (!rc)
		rc = add(report, DOCTOR_UNKNOWN, "firmware_channel",
			 "no ConnectX PF to open a channel to");
	if (!rc)
		rc = check_access_register_user(&host, probed, report);
	if (!rc)
		rc = check_icm_ctrl(&host, probed, report);
	if (!rc)
		rc = check_fwctl(ctx, &host, report);
	if (!rc)
		rc = check_devlink(ctx, &host, probed, report);
	if (!rc)
		rc = check_debugfs(root, &host, report);
	if (have_host)
		host_free(&host);
	if (!rc)
		rc = check_libvirt(root, report);
	if (!rc)
		rc = check_files(ctx, report);
	if (!rc)
		rc = check_policy(ctx, report);
	if (!rc)
		rc = check_daemon(root, report);
	if (rc) {
		doctor_report_free(report);
		return iq_fail(err, IQ_EENV, "doctor: out of memory");
	}
	return IQ_OK;
}

void doctor_report_free(struct doctor_report *report)
{
	free(report->checks);
	memset(report, 0, sizeof(*report));
}
