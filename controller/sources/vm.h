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

#include "lib/err.h"
#include "policy/policy.h"
#include "lib/pci.h"

/*
 * The XML namespace of icmquota's libvirt metadata: a domain names its class
 * in <metadata><icmquota:vm xmlns:icmquota="..."><class>NAME</class>.
 */
#define ICMQUOTA_XMLNS "https://icmquota.dev/xmlns/1"

/*
 * Bounds on a VM's description: QEMU's PCI topology allows 256 buses of
 * 32 slots, but a real VM passes through at most a few dozen devices;
 * 1024 is far above that and keeps the sorted insert cheap. A domain XML
 * is at most 16 MiB: libvirt's remote protocol carries it as one string of
 * at most 4 MiB (REMOTE_STRING_MAX), a real one is a few KiB. Its
 * elements nest at most 256 deep: libxml2's default bound, so libvirt
 * (which parses with it) never accepted a deeper domain; a real one nests
 * fewer than 10.
 */
#define VM_MAX_PCI	 1024
#define VM_XML_MAX_BYTES (16u << 20)
#define VM_XML_MAX_DEPTH 256u

/*
 * Huge page backings of one VM: a page size (2 MiB, 1 GiB, ...) and the
 * host NUMA nodes it is bound to. 16 covers a guest of 8 NUMA cells each
 * bound to its own node, in two page sizes; a real VM has one or two.
 */
#define VM_HUGE_MAX 16

/*
 * Guest memory backed by huge pages of one size, from the host nodes
 * host_nodes (bit N: node N; libvirt <numatune> mode strict or
 * restrictive, Cloud Hypervisor's host_numa_node): the kernel serves
 * those pages from those nodes' pools only. 0: from any node.
 */
struct vm_huge {
	uint64_t page_bytes; /* 0: the host's default size (Hugepagesize) */
	uint64_t host_nodes;
	uint64_t bytes; /* guest memory in pages of that size */
};

struct vm_facts {
	char name[256];
	char uuid[40]; /* lowercase canonical, "" if none */
	uint64_t memory_bytes;
	/*
	 * Huge page backing, per page size (libvirt <page size nodeset>
	 * per NUMA cell, CH memory zones): the rest of memory_bytes is
	 * ordinary memory. hugepages: some memory is huge-page backed.
	 */
	bool hugepages;
	struct vm_huge huge[VM_HUGE_MAX];
	size_t nhuge;
	char class_name[128]; /* "" when the VM names no class */
	/* Every passed-through PCI source address, normalised, sorted. */
	char (*pci)[PCI_ADDR_LEN];
	size_t npci;
	/*
	 * <interface type='network'> devices: libvirt allocates their port
	 * after the `prepare` hook, so one from a <forward mode='hostdev'>
	 * pool (a VF) is unknown until `start begin`, where it arrives as
	 * <interface type='hostdev'>. The VM is admitted for what is known
	 * and stays pending until then.
	 */
	unsigned pending_ifaces;
	/*
	 * <interface type='network'> whose port libvirt already allocated
	 * from a hostdev network (alias hostdevN) but whose VF address the
	 * XML does not carry: libvirt 9.0 formats the hook's XML without the
	 * actual device (seen at stopped/release under a real libvirtd).
	 */
	unsigned hidden_vfs;
	/* Which VMM runs it: VM_ORIGIN_LIBVIRT or VM_ORIGIN_CH. A source that
	 * lists the running VMs of one kind replaces only VMs of that kind. */
	char origin[16];
	/*
	 * The file or socket the facts came from, for messages: owned
	 * (vm_facts_free), NULL when none; read it through vm_source(). On
	 * the heap, not inline: a fleet host holds 127 VMs' facts two or
	 * three times, and 4 KiB of path room each was a page per VM.
	 */
	char *source;
};

/*
 * libvirt domain XML (controller/vm_libvirt.c). label names the input in
 * messages and becomes vm->source. vm is overwritten; on failure it is left
 * zeroed (nothing to free). Malformed or unusable XML: IQ_EREFUSED;
 * an unreadable file: IQ_EENV.
 */
int vm_from_libvirt_xml(const char *xml, size_t len, const char *label,
			struct vm_facts *vm, struct iq_err *err);
int vm_from_libvirt_xml_file(const char *path, struct vm_facts *vm,
			     struct iq_err *err);

/*
 * Add a PCI address (normalised, kept sorted, no duplicates). A text that is
 * not a PCI address: IQ_EREFUSED.
 */
int vm_add_pci(struct vm_facts *vm, const char *pci, struct iq_err *err);
/*
 * bytes more of the guest's memory in pages of page_bytes (0: the host's
 * default size) from host nodes host_nodes (0: any); merged with the entry
 * of that size and nodes. More than VM_HUGE_MAX entries: IQ_EREFUSED.
 */
int vm_add_huge(struct vm_facts *vm, uint64_t page_bytes, uint64_t host_nodes,
		uint64_t bytes, struct iq_err *err);
/* Guest memory backed by huge pages (all sizes), at most memory_bytes. */
uint64_t vm_huge_bytes(const struct vm_facts *vm);
/*
 * Guest memory in pages of page_bytes (from any host node),
 * default_page_bytes being the host's default size (what an entry of size
 * 0 means).
 */
uint64_t vm_huge_bytes_of_size(const struct vm_facts *vm, uint64_t page_bytes,
			       uint64_t default_page_bytes);

/* Frees the PCI list and the source (the struct itself is the caller's);
 * idempotent. */
void vm_facts_free(struct vm_facts *vm);

/* Longest source text kept (a path; the journal refuses longer ones). */
#define VM_SOURCE_MAX 4095

/* vm->source, or "" when there is none. */
static inline const char *vm_source(const struct vm_facts *vm)
{
	return vm->source ? vm->source : "";
}

/*
 * Set vm->source to a copy of text (NULL or "": none), cut at
 * VM_SOURCE_MAX bytes. Out of memory: IQ_EENV, vm->source unchanged.
 */
int vm_set_source(struct vm_facts *vm, const char *text, struct iq_err *err);
/* Deep copy; dst is overwritten as if uninitialised (free it first). */
int vm_facts_copy(struct vm_facts *dst, const struct vm_facts *src,
		  struct iq_err *err);

/* The part of the facts the policy evaluates; points into vm. */
const struct policy_vm *vm_policy_view(const struct vm_facts *vm,
				       struct policy_vm *view);

#define VM_ORIGIN_LIBVIRT "libvirt"
#define VM_ORIGIN_CH	  "ch"

#endif
