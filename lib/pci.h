/* SPDX-License-Identifier: MIT */
/* PCI addresses as sysfs, libvirt and the kernel write them. */
#ifndef ICMQUOTA_LIB_PCI_H
#define ICMQUOTA_LIB_PCI_H

#include <stdbool.h>

/* "DDDD:BB:SS.F" plus NUL */
#define PCI_ADDR_LEN 13

/*
 * Normalise a PCI address: "3b:00.2", "0000:3B:00.2" -> "0000:3b:00.2".
 * Returns false when the text is not a PCI address.
 */
bool pci_addr_normalize(const char *in, char out[PCI_ADDR_LEN]);
/* The same from numeric parts; false when a part is out of range. */
bool pci_addr_format(unsigned long domain, unsigned long bus,
		     unsigned long slot, unsigned long function,
		     char out[PCI_ADDR_LEN]);

#endif
