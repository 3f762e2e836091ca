/* SPDX-License-Identifier: MIT */
/* A list of VMs from the sources a command names (files, directories). */
#ifndef ICMQUOTA_VM_LIST_H
#define ICMQUOTA_VM_LIST_H

#include <stddef.h>

#include "controller/sources/vm.h"
#include "lib/err.h"

struct vm_list {
	struct vm_facts *vms;
	size_t n;
	size_t cap; /* entries allocated (vm_list_push doubles it) */
};

/*
 * A domain XML file, or a directory whose *.xml files (sorted by name)
 * are domain XMLs. Errors name the file.
 */
int vm_list_add_libvirt_path(struct vm_list *list, const char *path,
			     struct iq_err *err);
/* Take ownership of facts (moved, then zeroed). */
int vm_list_push(struct vm_list *list, struct vm_facts *facts,
		 struct iq_err *err);
void vm_list_free(struct vm_list *list);

#endif
