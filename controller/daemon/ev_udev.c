// SPDX-License-Identifier: MIT
#include "controller/daemon/ev_udev.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libudev.h>

#include "lib/dynlib.h"
#include "lib/file.h"

static struct {
	bool loaded;
	struct udev *(*new_)(void);
	struct udev *(*unref)(struct udev *);
	struct udev_monitor *(*monitor_new)(struct udev *, const char *);
	int (*filter)(struct udev_monitor *, const char *, const char *);
	int (*enable)(struct udev_monitor *);
	int (*get_fd)(struct udev_monitor *);
	struct udev_device *(*receive)(struct udev_monitor *);
	struct udev_monitor *(*monitor_unref)(struct udev_monitor *);
	const char *(*action)(struct udev_device *);
	const char *(*sysname)(struct udev_device *);
	struct udev_device *(*device_unref)(struct udev_device *);
} ud;

struct udev_watch {
	struct udev *udev;
	struct udev_monitor *mon;
};

static int load(struct iq_err *err)
{
	static const struct dynlib_sym syms[] = {
		{"udev_new", (void **)&ud.new_},
		{"udev_unref", (void **)&ud.unref},
		{"udev_monitor_new_from_netlink", (void **)&ud.monitor_new},
		{"udev_monitor_filter_add_match_subsystem_devtype",
		 (void **)&ud.filter},
		{"udev_monitor_enable_receiving", (void **)&ud.enable},
		{"udev_monitor_get_fd", (void **)&ud.get_fd},
		{"udev_monitor_receive_device", (void **)&ud.receive},
		{"udev_monitor_unref", (void **)&ud.monitor_unref},
		{"udev_device_get_action", (void **)&ud.action},
		{"udev_device_get_sysname", (void **)&ud.sysname},
		{"udev_device_unref", (void **)&ud.device_unref},
	};
	int rc;

	if (ud.loaded)
		return IQ_OK;
	rc = dynlib_load("libudev.so.1", syms, sizeof(syms) / sizeof(syms[0]),
			 "install libudev1 (VF uevents)", err);
	ud.loaded = rc == IQ_OK;
	return rc;
}

int udev_watch_open(struct udev_watch **out, struct iq_err *err)
{
	struct udev_watch *w;
	const char *source =
		access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel";
	int rc;

	*out = NULL;
	rc = load(err);
	if (rc)
		return rc;
	w = calloc(1, sizeof(*w));
	if (!w)
		return iq_fail(err, IQ_EENV, "out of memory");
	w->udev = ud.new_();
	w->mon = w->udev ? ud.monitor_new(w->udev, source) : NULL;
	if (!w->mon || ud.filter(w->mon, "pci", NULL) < 0 ||
	    ud.enable(w->mon) < 0) {
		int saved = errno;

		udev_watch_close(w);
		return iq_fail(err, IQ_EENV,
			       "cannot listen for %s uevents: %s (the daemon "
			       "needs AF_NETLINK; run it as root)",
			       source, strerror(saved));
	}
	*out = w;
	return IQ_OK;
}

int udev_watch_fd(const struct udev_watch *w)
{
	return ud.get_fd(w->mon);
}

int udev_watch_read(struct udev_watch *w, bool *got, char *action,
		    size_t action_len, char pci[PCI_ADDR_LEN],
		    struct iq_err *err)
{
	struct udev_device *dev = ud.receive(w->mon);
	const char *a, *name;

	(void)err;
	*got = false;
	if (!dev)
		return IQ_OK; /* nothing waiting, or a message not for us */
	a = ud.action(dev);
	name = ud.sysname(dev);
	if (a && name && pci_addr_normalize(name, pci)) {
		snprintf(action, action_len, "%s", a);
		*got = true;
	}
	ud.device_unref(dev);
	return IQ_OK;
}

void udev_watch_close(struct udev_watch *w)
{
	if (!w)
		return;
	if (w->mon)
		ud.monitor_unref(w->mon);
	if (w->udev)
		ud.unref(w->udev);
	free(w);
}

static bool is_connectx_pf(const char *root, const char *pci)
{
	char path[PATH_MAX], rel[PATH_MAX], vendor[32];
	struct iq_err ignored = {0};

	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/sriov_totalvfs",
		 pci);
	if (path_join(path, sizeof(path), root, rel) || access(path, F_OK))
		return false;
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/vendor", pci);
	if (path_join(path, sizeof(path), root, rel) ||
	    file_read_line(path, vendor, sizeof(vendor), &ignored))
		return false;
	return strtoul(vendor, NULL, 16) == 0x15b3;
}

bool uevent_pf(const char *root, const struct uevent_vf *known, size_t nknown,
	       const char *pci, char pf[PCI_ADDR_LEN])
{
	char path[PATH_MAX], rel[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	if (is_connectx_pf(root, pci)) {
		snprintf(pf, PCI_ADDR_LEN, "%s", pci);
		return true;
	}
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/physfn", pci);
	if (path_join(path, sizeof(path), root, rel) == 0 &&
	    (n = readlink(path, target, sizeof(target) - 1)) > 0) {
		target[n] = '\0';
		return pci_addr_normalize(basename(target), pf) &&
		       is_connectx_pf(root, pf);
	}
	for (size_t i = 0; i < nknown; i++)
		if (!strcmp(known[i].vf, pci)) {
			snprintf(pf, PCI_ADDR_LEN, "%s", known[i].pf);
			return true;
		}
	return false;
}
