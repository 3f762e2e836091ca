// SPDX-License-Identifier: MIT
/*
 * Sizes ("8GiB", "1.5TiB", "unlimited") and PCI addresses
 * ("3b:00.2") as a user or a file writes them (lib/size.c, lib/pci.c):
 * whatever parses formats back and parses again to the same value.
 */
#include "tests/fuzz/fuzz.h"

#include "lib/pci.h"
#include "lib/size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	char pci[PCI_ADDR_LEN], again[PCI_ADDR_LEN], shown[64];
	const char *why = NULL;
	uint64_t bytes;

	if (size_parse(text, &bytes, &why)) {
		size_format(bytes, shown, sizeof(shown));
		(void)icm_pages_to_bytes(icm_bytes_to_pages(bytes));
	} else if (!why) {
		abort(); /* a refusal always says why */
	}
	if (pci_addr_normalize(text, pci)) {
		if (!pci_addr_normalize(pci, again) || strcmp(pci, again))
			abort();
	}
	free(text);
	return 0;
}
