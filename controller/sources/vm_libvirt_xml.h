/* SPDX-License-Identifier: MIT */
/*
 * Inside the libvirt domain XML reader (vm_from_libvirt_xml, vm.h): what
 * its files share, and nothing outside them includes. Split so that each
 * file holds one part of the domain:
 *
 *   vm_libvirt.c          the document, the order facts are read in, name,
 *                         uuid, the class in icmquota's metadata
 *   vm_libvirt_xml.c      reading one element: tests, bounded copies,
 *                         excerpts for messages
 *   vm_libvirt_memory.c   memory, huge pages per guest NUMA cell
 *   vm_libvirt_devices.c  passed-through PCI devices (hostdev, interface)
 *
 * A part reader fills its fields of vm; a refusal is IQ_EREFUSED (IQ_EENV
 * when out of memory), one line "LABEL:LINE: ..." naming the element,
 * never echoing more of the XML than a short sanitised excerpt.
 */
#ifndef ICMQUOTA_VM_LIBVIRT_XML_H
#define ICMQUOTA_VM_LIBVIRT_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "controller/sources/vm.h"
#include "controller/sources/xml_tree.h"
#include "lib/err.h"

/* ---- vm_libvirt_xml.c ------------------------------------------------ */

/* At most 40 bytes of untrusted text into out[len], control bytes as '?'. */
void lvxml_printable_excerpt(const char *text, char *out, size_t len);
/* An element of that name in no namespace (libvirt's own elements). */
bool lvxml_is_element(const struct xml_node *node, const char *name);
/* The element's line in the document, for messages. */
long lvxml_line_of(const struct xml_node *node);
/*
 * An attribute's value copied into buf ("" when absent); false when it does
 * not fit. present says whether the attribute exists.
 */
bool lvxml_attr_copy(const struct xml_node *node, const char *name, char *buf,
		     size_t len, bool *present);
bool lvxml_attr_equals(const struct xml_node *node, const char *name,
		       const char *expected);
/* An element's text without surrounding white space; false: too long. */
bool lvxml_text_copy(const struct xml_node *node, char *buf, size_t len);

/* ---- vm_libvirt_memory.c --------------------------------------------- */

/* <memory> (else <currentMemory>) -> vm->memory_bytes, KiB rounded up. */
int lvxml_parse_memory(const struct xml_node *domain, const char *label,
		       struct vm_facts *vm, struct iq_err *err);
/*
 * <memoryBacking><hugepages> per <cpu><numa><cell> -> vm->huge; after
 * lvxml_parse_memory (memory outside the cells follows their rule).
 */
int lvxml_parse_hugepages(const struct xml_node *domain, const char *label,
			  struct vm_facts *vm, struct iq_err *err);

/* ---- vm_libvirt_devices.c -------------------------------------------- */

/*
 * Host PCI addresses of <hostdev> and <interface type='hostdev'> ->
 * vm->pci; <interface type='network'> -> pending_ifaces, hidden_vfs.
 */
int lvxml_parse_pci(const struct xml_node *domain, const char *label,
		    struct vm_facts *vm, struct iq_err *err);

#endif
