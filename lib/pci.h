/* SPDX-License-Identifier: MIT */
/* PCI addresses as sysfs, libvirt and the kernel write them. */
#ifndef ICMQUOTA_LIB_PCI_H
#define ICMQUOTA_LIB_PCI_H

#include <stdbool.h>

/*
 * "DDDDDDDD:BB:SS.F" plus NUL. The domain is 32 bits wide (Intel VMD puts
 * devices at 10000: and above; libvirt accepts up to 0xffffffff) and is
 * written as the kernel names sysfs devices: at least 4 hex digits, as many
 * as needed above 0xffff ("0000:3b:00.0", "10000:01:00.0").
 */
#define PCI_ADDR_LEN   17
#define PCI_DOMAIN_MAX 0xffffffffUL

/*
 * Normalise a PCI address: "3b:00.2", "0000:3B:00.2" -> "0000:3b:00.2",
 * "010000:01:00.0" -> "10000:01:00.0". Returns false when the text is not
 * a PCI address (domain of more than 32 bits included).
 */
bool pci_addr_normalize(const char *in, char out[PCI_ADDR_LEN]);
/* The same from numeric parts; false when a part is out of range. */
bool pci_addr_format(unsigned long domain, unsigned long bus,
		     unsigned long slot, unsigned long function,
		     char out[PCI_ADDR_LEN]);
/*
 * Order of two normalised addresses by (domain, bus, slot, function), as
 * strcmp: "ffff:00:00.0" sorts before "10000:00:00.0".
 */
int pci_addr_cmp(const char *a, const char *b);
/*
 * The address of a PF's virtfn<index> (0-based) by the SR-IOV
 * capability's arithmetic: VF n's routing ID (bus << 8 | devfn) is the
 * PF's + First VF Offset + (n - 1) * VF Stride, in the PF's domain (PCIe
 * Base Spec, SR-IOV capability; the kernel's pci_iov_virtfn_bus/devfn).
 * offset, stride as sysfs sriov_offset, sriov_stride give them. false when
 * pf is not a normalised address or the ID passes bus 0xff.
 */
bool pci_vf_addr(const char *pf, unsigned long offset, unsigned long stride,
		 unsigned index, char out[PCI_ADDR_LEN]);

#endif
