/* SPDX-License-Identifier: MIT */
/*
 * Live libvirt as a VM source: the running domains of a connection URI, read
 * through the libvirt API (plan/apply/status --connect URI).
 */
#ifndef ICMQUOTA_VM_LIBVIRT_LIVE_H
#define ICMQUOTA_VM_LIBVIRT_LIVE_H

#include "controller/sources/vm_list.h"
#include "lib/err.h"

/* The URI used when a command names none and a daemon socket exists. */
#define VM_LIBVIRT_SYSTEM_URI "qemu:///system"

/*
 * Append the active domains of uri (running or paused: both hold their
 * devices) to list, as VM facts read from each domain's live XML through
 * vm_from_libvirt_xml, labelled "libvirt domain NAME (URI)", in name order.
 * The connection is read-only (enough for this, and allowed to non-root).
 * libvirt never prints: its errors become one line in err, naming the URI.
 * Cannot connect or list: IQ_EENV ("is libvirtd running? pass --connect
 * URI"); a domain whose XML is unusable: that domain's error (IQ_EREFUSED).
 * On failure nothing of uri is added, except when out of memory midway;
 * the caller frees list either way.
 */
int vm_libvirt_list_running(const char *uri, struct vm_list *list,
			    struct iq_err *err);

/*
 * The URI to use when none is given: VM_LIBVIRT_SYSTEM_URI when a system
 * daemon socket exists (libvirtd's or virtqemud's, read-write or read-only,
 * under /run/libvirt or /var/run/libvirt), else NULL: no live source.
 */
const char *vm_libvirt_default_uri(void);

/*
 * The same with the socket paths under root ("" = this host), so a
 * simulated host (--root DIR) never picks up the real host's domains.
 */
const char *vm_libvirt_default_uri_at(const char *root);

#endif
