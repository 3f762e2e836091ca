/* SPDX-License-Identifier: MIT */
/*
 * Kernel uevents of PCI devices through libudev (dlopen'ed): VFs added or
 * removed (sriov_numvfs written), drivers bound or unbound. Each event
 * names one PCI function; uevent_pf() says which ConnectX PF it concerns,
 * so only that PF is re-discovered and reconciled.
 */
#ifndef ICMQUOTA_DAEMON_EV_UDEV_H
#define ICMQUOTA_DAEMON_EV_UDEV_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"
#include "lib/pci.h"

struct udev_watch;

/*
 * Listen for PCI uevents: from udevd when it runs (/run/udev/control),
 * else straight from the kernel. Errors (IQ_EENV) name the fix.
 */
int udev_watch_open(struct udev_watch **w, struct iq_err *err);
int udev_watch_fd(const struct udev_watch *w);
/*
 * One uevent: *got false when none is waiting; action ("add", "remove",
 * "bind", "unbind", "change") and the PCI address of the function.
 */
int udev_watch_read(struct udev_watch *w, bool *got, char *action,
		    size_t action_len, char pci[PCI_ADDR_LEN],
		    struct iq_err *err);
void udev_watch_close(struct udev_watch *w);

/* A VF last seen on a PF: what a "remove" is matched against. */
struct uevent_vf {
	char vf[PCI_ADDR_LEN];
	char pf[PCI_ADDR_LEN];
};

/*
 * The ConnectX PF a uevent for pci concerns, from sysfs under root: pci
 * itself when it is a PF (sriov_totalvfs, vendor 0x15b3), its physfn when
 * it is a VF of one; for a function already gone (remove), the PF it was
 * last seen on (known[], from the last discovery). false: not ours.
 */
bool uevent_pf(const char *root, const struct uevent_vf *known, size_t nknown,
	       const char *pci, char pf[PCI_ADDR_LEN]);

#endif
