// SPDX-License-Identifier: MIT
/* VM facts: the PCI list and the life cycle of struct vm_facts. */
#include "controller/sources/vm.h"
#include "lib/pci.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/*
 * Copy at most 40 bytes of untrusted text for a message, control bytes
 * replaced, so an error always stays on one line.
 */
static void printable_excerpt(const char *text, char *out, size_t len)
{
	size_t n = 0;

	for (; text[n] && n + 1 < len && n < 40; n++)
		out[n] = iscntrl((unsigned char)text[n]) ? '?' : text[n];
	out[n] = '\0';
}

int vm_add_pci(struct vm_facts *vm, const char *pci, struct iq_err *err)
{
	char addr[PCI_ADDR_LEN];
	char(*grown)[PCI_ADDR_LEN];
	size_t pos = 0;

	if (!pci || !pci_addr_normalize(pci, addr)) {
		char shown[48];

		printable_excerpt(pci ? pci : "", shown, sizeof(shown));
		return iq_fail(err, IQ_EREFUSED,
			       "'%s' is not a PCI address (expected "
			       "DDDD:BB:SS.F, e.g. 0000:3b:00.2)",
			       shown);
	}
	if (vm->npci >= VM_MAX_PCI)
		return iq_fail(err, IQ_EREFUSED,
			       "%s: more than %d PCI devices (no VM has that "
			       "many)",
			       vm->name[0] ? vm->name : "VM", VM_MAX_PCI);
	/* The list is short (a few dozen VFs at most): a linear scan keeps
	 * it sorted and free of duplicates. */
	while (pos < vm->npci && strcmp(vm->pci[pos], addr) < 0)
		pos++;
	if (pos < vm->npci && strcmp(vm->pci[pos], addr) == 0)
		return IQ_OK;
	grown = realloc(vm->pci, (vm->npci + 1) * sizeof(*vm->pci));
	if (!grown)
		return iq_fail(err, IQ_EENV, "%s: out of memory adding %s",
			       vm->name[0] ? vm->name : "VM", addr);
	vm->pci = grown;
	memmove(&vm->pci[pos + 1], &vm->pci[pos],
		(vm->npci - pos) * sizeof(*vm->pci));
	memcpy(vm->pci[pos], addr, PCI_ADDR_LEN);
	vm->npci++;
	return IQ_OK;
}

int vm_add_huge(struct vm_facts *vm, uint64_t page_bytes, uint64_t host_nodes,
		uint64_t bytes, struct iq_err *err)
{
	size_t i = 0;

	if (!bytes)
		return IQ_OK;
	while (i < vm->nhuge && (vm->huge[i].page_bytes != page_bytes ||
				 vm->huge[i].host_nodes != host_nodes))
		i++;
	if (i == VM_HUGE_MAX)
		return iq_fail(err, IQ_EREFUSED,
			       "%s: memory backed by more than %d huge page "
			       "sizes and host node sets",
			       vm->name[0] ? vm->name : "VM", VM_HUGE_MAX);
	if (i == vm->nhuge) {
		vm->huge[i].page_bytes = page_bytes;
		vm->huge[i].host_nodes = host_nodes;
		vm->huge[i].bytes = 0;
		vm->nhuge++;
	}
	vm->huge[i].bytes = vm->huge[i].bytes > UINT64_MAX - bytes
				    ? UINT64_MAX
				    : vm->huge[i].bytes + bytes;
	vm->hugepages = true;
	return IQ_OK;
}

uint64_t vm_huge_bytes(const struct vm_facts *vm)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < vm->nhuge && i < VM_HUGE_MAX; i++)
		sum = sum > UINT64_MAX - vm->huge[i].bytes
			      ? UINT64_MAX
			      : sum + vm->huge[i].bytes;
	return sum < vm->memory_bytes ? sum : vm->memory_bytes;
}

uint64_t vm_huge_bytes_of_size(const struct vm_facts *vm, uint64_t page_bytes,
			       uint64_t default_page_bytes)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < vm->nhuge && i < VM_HUGE_MAX; i++) {
		uint64_t size = vm->huge[i].page_bytes ? vm->huge[i].page_bytes
						       : default_page_bytes;

		if (size == page_bytes)
			sum += vm->huge[i].bytes;
	}
	return sum;
}

void vm_facts_free(struct vm_facts *vm)
{
	if (!vm)
		return;
	free(vm->pci);
	vm->pci = NULL;
	vm->npci = 0;
	free(vm->source);
	vm->source = NULL;
}

int vm_set_source(struct vm_facts *vm, const char *text, struct iq_err *err)
{
	char *copy = NULL;

	if (text && text[0]) {
		copy = strndup(text, VM_SOURCE_MAX);
		if (!copy)
			return iq_fail(err, IQ_EENV,
				       "%s: out of memory keeping where its "
				       "facts came from",
				       vm->name[0] ? vm->name : "VM");
	}
	free(vm->source);
	vm->source = copy;
	return IQ_OK;
}

int vm_facts_copy(struct vm_facts *dst, const struct vm_facts *src,
		  struct iq_err *err)
{
	*dst = *src;
	dst->pci = NULL;
	dst->npci = 0;
	dst->source = NULL;
	if (vm_set_source(dst, src->source, err))
		return IQ_EENV;
	if (!src->npci)
		return IQ_OK;
	dst->pci = malloc(src->npci * sizeof(*src->pci));
	if (!dst->pci) {
		vm_facts_free(dst);
		return iq_fail(err, IQ_EENV,
			       "%s: out of memory copying VM facts",
			       src->name[0] ? src->name : "VM");
	}
	memcpy(dst->pci, src->pci, src->npci * sizeof(*src->pci));
	dst->npci = src->npci;
	return IQ_OK;
}

const struct policy_vm *vm_policy_view(const struct vm_facts *vm,
				       struct policy_vm *view)
{
	if (!vm)
		return NULL;
	view->name = vm->name;
	view->uuid = vm->uuid;
	view->class_name = vm->class_name;
	return view;
}
