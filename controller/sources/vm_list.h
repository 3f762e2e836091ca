/* SPDX-License-Identifier: MIT */
/* A list of VMs from the sources a command names (files, directories). */
#ifndef ICMQUOTA_VM_LIST_H
#define ICMQUOTA_VM_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "controller/sources/vm.h"
#include "lib/err.h"

/*
 * What a VMM socket answered in this run: whether it confirmed that it
 * runs no VM (vm_ch_confirmed_gone). A socket is asked once per run: a
 * hung VMM costs VM_CH_TIMEOUT_S a question, and its second answer would
 * be no better than the first.
 */
struct vm_socket_answer {
	char *path;
	bool confirmed_gone;
};

struct vm_list {
	struct vm_facts *vms;
	size_t n;
	size_t cap; /* entries allocated (vm_list_push doubles it) */
	/* The sockets asked (vm_ch_list_dir, vm_ch_confirmed_gone). */
	struct vm_socket_answer *answers;
	size_t nanswers;
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
/* Every VM and answer of src moved to the end of dst (src left empty). */
int vm_list_move(struct vm_list *dst, struct vm_list *src, struct iq_err *err);
/* The answer recorded for path this run, NULL when it was not asked. */
const struct vm_socket_answer *vm_list_answer(const struct vm_list *list,
					      const char *path);
/* Record what path answered (a copy of path is kept). */
int vm_list_record_answer(struct vm_list *list, const char *path,
			  bool confirmed_gone, struct iq_err *err);
void vm_list_free(struct vm_list *list);

#endif
