// SPDX-License-Identifier: MIT
#include "controller/sources/vm_source.h"

#include "controller/sources/vm_ch.h"

int vm_source_load(const struct vm_source *src, struct vm_facts *vm,
		   struct iq_err *err)
{
	if (src->libvirt_xml)
		return vm_from_libvirt_xml_file(src->libvirt_xml, vm, err);
	if (src->ch_socket)
		return vm_from_ch_socket(src->ch_socket, vm, err);
	return iq_fail(err, IQ_EUSAGE, "no VM source given");
}
