/* SPDX-License-Identifier: MIT */
/*
 * VM facts: what the controller needs to know of a guest, whatever the
 * source (libvirt domain XML, Cloud Hypervisor vm.info, the journal).
 */
#ifndef ICMQUOTA_VM_H
#define ICMQUOTA_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/err.h"
#include "controller/util.h"

struct vm_facts {
	char name[256];
	char uuid[40];           /* lowercase canonical, "" if none */
	uint64_t memory_bytes;
	bool hugepages;          /* guest RAM backed by huge pages */
	char class_name[128];    /* "" when the VM names no class */
	/* Every passed-through PCI source address, normalised, sorted. */
	char (*pci)[PCI_ADDR_LEN];
	size_t npci;
	char source[4096];       /* file or socket it came from, for messages */
};

/* libvirt domain XML (controller/vm_libvirt.c). label names the input. */
int vm_from_libvirt_xml(const char *xml, size_t len, const char *label,
			struct vm_facts *vm, struct iq_err *err);
int vm_from_libvirt_xml_file(const char *path, struct vm_facts *vm,
			     struct iq_err *err);

/* Add a PCI address (normalised, kept sorted, no duplicates). */
int vm_add_pci(struct vm_facts *vm, const char *pci, struct iq_err *err);
void vm_facts_free(struct vm_facts *vm);
/* Deep copy. */
int vm_facts_copy(struct vm_facts *dst, const struct vm_facts *src,
		  struct iq_err *err);

#endif
