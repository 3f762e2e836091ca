/* SPDX-License-Identifier: MIT */
/* One VM named on the command line: a domain XML file or a CH socket. */
#ifndef ICMQUOTA_VM_SOURCE_H
#define ICMQUOTA_VM_SOURCE_H

#include "controller/sources/vm.h"
#include "lib/err.h"

struct vm_source {
	const char *libvirt_xml; /* file */
	const char *ch_socket;	 /* Cloud Hypervisor API socket */
	const char *name;	 /* a VM the journal knows */
};

int vm_source_load(const struct vm_source *src, struct vm_facts *vm,
		   struct iq_err *err);

#endif
