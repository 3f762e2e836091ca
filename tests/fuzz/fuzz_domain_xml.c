// SPDX-License-Identifier: MIT
/*
 * libvirt domain XML -> VM facts (controller/sources/vm_libvirt*.c), and
 * under it the expat element tree (controller/sources/xml_tree.c), whose
 * shape is checked on every input it accepts: nesting within the bound,
 * lines never going back in document order, each element's text inside
 * its parent's, names and values NUL-free C strings. Messages stay one
 * line.
 */
#include "tests/fuzz/fuzz.h"

#include "controller/sources/vm.h"
#include "controller/sources/xml_tree.h"

/* The tree walked without recursion, as the parser's users walk it. */
static void check_tree(const struct xml_doc *doc)
{
	const struct xml_node *node = doc->root;
	unsigned long last_line = 1;
	unsigned depth = 1;

	while (node) {
		const struct xml_node *up = node->parent;

		if (depth > VM_XML_MAX_DEPTH || node->line < last_line ||
		    !node->name[0] || !node->text)
			abort();
		last_line = node->line;
		if (up &&
		    (node->text < up->text ||
		     node->text + node->text_len > up->text + up->text_len))
			abort();
		if (memchr(node->text, '\0', node->text_len))
			abort();
		for (size_t i = 0; i < node->nattrs; i++)
			if (!node->attrs[i].name[0] || !node->attrs[i].value)
				abort();
		if (node->child) {
			node = node->child;
			depth++;
			continue;
		}
		while (node && !node->next) {
			node = node->parent;
			depth--;
		}
		if (node)
			node = node->next;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_facts vm;
	struct iq_err err = {0};
	struct xml_doc doc;
	struct xml_error why;

	if (vm_from_libvirt_xml((const char *)data, size, "fuzz.xml", &vm,
				&err) == IQ_OK)
		vm_facts_free(&vm);
	else
		fuzz_check_one_line(err.msg);
	if (xml_parse((const char *)data, size, VM_XML_MAX_DEPTH, &doc, &why) ==
	    0) {
		check_tree(&doc);
		xml_doc_free(&doc);
	} else if (why.line == 0 || !why.kind || doc.root) {
		abort();
	}
	return 0;
}
