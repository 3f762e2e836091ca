// SPDX-License-Identifier: MIT
/*
 * libvirt domain XML -> VM facts.
 *
 * The hook gets the domain XML on stdin at every lifecycle stage; this file
 * reads what admission needs from it: name, uuid, memory, whether the RAM is
 * hugepage-backed, the class named in icmquota's metadata, and the host PCI
 * addresses of every passed-through device. Numbers and units follow
 * libvirt's own parsing, so the controller sees the devices QEMU gets.
 *
 * The XML is untrusted input: no network, no entity expansion, no DOCTYPE,
 * and it is never echoed back in a message (only short, sanitised attribute
 * values are).
 *
 * This file is the document, the order facts are read in, and the facts of
 * one element each (name, uuid, class); memory and huge pages are
 * vm_libvirt_memory.c, passed-through devices vm_libvirt_devices.c, the
 * element reads they share vm_libvirt_xml.c (all in vm_libvirt_xml.h).
 */
#include "controller/sources/vm.h"
#include "controller/sources/vm_libvirt_xml.h"
#include "controller/sources/vm_memo.h"
#include "controller/sources/xml_tree.h"
#include "lib/file.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Parse into doc (xml_tree.c: expat, no DTD, so no entity is ever expanded
 * or fetched, and no network). Errors name the line expat stopped at.
 */
static int parse_xml(const char *xml, size_t len, const char *label,
		     struct xml_doc *doc, struct iq_err *err)
{
	struct xml_error why;

	if (len > VM_XML_MAX_BYTES)
		return iq_fail(err, IQ_EREFUSED,
			       "%s: domain XML of %zu bytes is too large to be "
			       "a libvirt domain (at most %u bytes)",
			       label, len, VM_XML_MAX_BYTES);
	if (!xml_parse(xml, len, VM_XML_MAX_DEPTH, doc, &why))
		return IQ_OK;
	switch (why.kind) {
	case XML_FAIL_DOCTYPE:
		/* A libvirt domain never has one; refusing it rules out
		 * entities. */
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%lu: the domain XML has a <!DOCTYPE> "
			       "(libvirt never writes one; remove it)",
			       label, why.line);
	case XML_FAIL_DEPTH:
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%lu: elements nested more than %u deep (a "
			       "libvirt domain is far shallower)",
			       label, why.line, VM_XML_MAX_DEPTH);
	case XML_FAIL_NOMEM:
		return iq_fail(err, IQ_EENV,
			       "%s: out of memory parsing domain XML", label);
	case XML_FAIL_SYNTAX:
		break;
	}
	return iq_fail(err, IQ_EREFUSED,
		       "%s:%lu: %s (the XML is truncated or not well-formed)",
		       label, why.line, why.msg);
}

static bool has_control_bytes(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (iscntrl((unsigned char)text[i]))
			return true;
	return false;
}

static int parse_name(const struct xml_node *domain, const char *label,
		      struct vm_facts *vm, struct iq_err *err)
{
	const struct xml_node *node = xml_child(domain, "name");

	if (!node)
		return iq_fail(err, IQ_EREFUSED,
			       "%s: the domain has no <name> (libvirt requires "
			       "one)",
			       label);
	/* Not trimmed: libvirt takes the name as written. */
	if (node->text_len == 0 || node->text_len >= sizeof(vm->name) ||
	    has_control_bytes(node->text, node->text_len))
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: <name> must be 1 to %zu bytes without "
			       "control characters",
			       label, lvxml_line_of(node),
			       sizeof(vm->name) - 1);
	memcpy(vm->name, node->text, node->text_len);
	vm->name[node->text_len] = '\0';
	return IQ_OK;
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * libvirt's UUID forms: 32 hex digits in either case, dashes allowed between
 * byte pairs (the canonical 8-4-4-4-12 or none at all), surrounding white
 * space ignored. Output: canonical lowercase 8-4-4-4-12.
 */
static bool uuid_canonical(const char *text, char out[37])
{
	unsigned char bytes[16];
	const char *p = text;
	size_t nbytes = 0;

	while (isspace((unsigned char)*p))
		p++;
	while (nbytes < sizeof(bytes) && *p) {
		int hi, lo;

		if (*p == '-') {
			p++;
			continue;
		}
		hi = hex_digit((unsigned char)p[0]);
		lo = hi < 0 ? -1 : hex_digit((unsigned char)p[1]);
		if (lo < 0)
			return false;
		bytes[nbytes++] = (unsigned char)(hi << 4 | lo);
		p += 2;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (nbytes != sizeof(bytes) || *p)
		return false;
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5],
		 bytes[6], bytes[7], bytes[8], bytes[9], bytes[10], bytes[11],
		 bytes[12], bytes[13], bytes[14], bytes[15]);
	return true;
}

static int parse_uuid(const struct xml_node *domain, const char *label,
		      struct vm_facts *vm, struct iq_err *err)
{
	const struct xml_node *node = xml_child(domain, "uuid");
	char text[128];

	if (!node)
		return IQ_OK;
	if (!lvxml_text_copy(node, text, sizeof(text)) ||
	    !uuid_canonical(text, vm->uuid)) {
		char shown[48];

		lvxml_printable_excerpt(text, shown, sizeof(shown));
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: <uuid> '%s' is not a UUID (expected 32 "
			       "hex digits, e.g. "
			       "4dea22b3-1d52-d8f3-2516-782e98ab3fa0)",
			       label, lvxml_line_of(node), shown);
	}
	return IQ_OK;
}

static bool in_icmquota_ns(const struct xml_node *node)
{
	return node->ns && strcmp(node->ns, ICMQUOTA_XMLNS) == 0;
}

/*
 * <metadata><X:vm xmlns:X="ICMQUOTA_XMLNS"><class>NAME</class></X:vm>:
 * matched by namespace URI, whatever the prefix. <class> may be in no
 * namespace (as written above) or in icmquota's (a default xmlns).
 */
static int parse_class(const struct xml_node *domain, const char *label,
		       struct vm_facts *vm, struct iq_err *err)
{
	const struct xml_node *metadata = xml_child(domain, "metadata");
	const struct xml_node *ours = NULL, *class_node = NULL;

	if (!metadata)
		return IQ_OK;
	for (const struct xml_node *node = metadata->child; node;
	     node = node->next) {
		if (!in_icmquota_ns(node) || strcmp(node->name, "vm") != 0)
			continue;
		if (ours)
			return iq_fail(err, IQ_EREFUSED,
				       "%s:%ld: a second <vm> element in "
				       "namespace %s (keep one)",
				       label, lvxml_line_of(node),
				       ICMQUOTA_XMLNS);
		ours = node;
	}
	if (!ours)
		return IQ_OK;
	for (const struct xml_node *node = ours->child; node;
	     node = node->next) {
		if ((!node->ns || in_icmquota_ns(node)) &&
		    strcmp(node->name, "class") == 0) {
			class_node = node;
			break;
		}
	}
	if (!class_node)
		return IQ_OK;
	if (!lvxml_text_copy(class_node, vm->class_name,
			     sizeof(vm->class_name)) ||
	    !vm->class_name[0] ||
	    has_control_bytes(vm->class_name, strlen(vm->class_name))) {
		vm->class_name[0] = '\0';
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: <class> in icmquota metadata must be 1 "
			       "to %zu bytes without control characters (or "
			       "leave it out)",
			       label, lvxml_line_of(class_node),
			       sizeof(vm->class_name) - 1);
	}
	return IQ_OK;
}

static int facts_from_doc(const struct xml_doc *doc, const char *label,
			  struct vm_facts *vm, struct iq_err *err)
{
	const struct xml_node *root = doc->root;
	int rc;

	if (!root || !lvxml_is_element(root, "domain")) {
		char shown[48], ns[48];

		lvxml_printable_excerpt(root ? root->name : "", shown,
					sizeof(shown));
		lvxml_printable_excerpt(root && root->ns ? root->ns : "", ns,
					sizeof(ns));
		return iq_fail(err, IQ_EREFUSED,
			       "%s: not a libvirt domain XML (root element "
			       "<%s>%s%s)",
			       label, shown, ns[0] ? " in namespace " : "", ns);
	}
	rc = parse_name(root, label, vm, err);
	if (!rc)
		rc = parse_uuid(root, label, vm, err);
	if (!rc)
		rc = lvxml_parse_memory(root, label, vm, err);
	if (!rc)
		rc = parse_class(root, label, vm, err);
	if (!rc)
		rc = lvxml_parse_pci(root, label, vm, err);
	if (!rc)
		rc = lvxml_parse_hugepages(root, label, vm, err);
	return rc;
}

/*
 * The test build (MEMO_VERIFY) parses every domain the memo answered for
 * as well and stops the run when the facts differ.
 */
static void memo_verify(const char *xml, size_t len, const char *label,
			const struct vm_facts *vm)
{
#ifdef MEMO_VERIFY
	struct iq_err err = {0};
	struct xml_doc doc;
	struct vm_facts parsed = {0};
	bool same = false;

	if (parse_xml(xml, len, label, &doc, &err) == IQ_OK) {
		same = facts_from_doc(&doc, label, &parsed, &err) == IQ_OK &&
		       vm_memo_same(vm, &parsed);
		xml_doc_free(&doc);
	}
	vm_facts_free(&parsed);
	if (!same) {
		fprintf(stderr, "%s: the domain memo differs from a parse\n",
			label);
		abort();
	}
#else
	(void)xml;
	(void)len;
	(void)label;
	(void)vm;
#endif
}

int vm_from_libvirt_xml(const char *xml, size_t len, const char *label,
			struct vm_facts *vm, struct iq_err *err)
{
	struct xml_doc doc;
	int rc;

	memset(vm, 0, sizeof(*vm));
	if (!label)
		label = "domain XML";
	if (!xml)
		len = 0;
	if (vm_memo_find(xml ? xml : "", len, vm)) {
		memo_verify(xml, len, label, vm);
	} else {
		rc = parse_xml(xml, len, label, &doc, err);
		if (rc)
			return rc;
		rc = facts_from_doc(&doc, label, vm, err);
		xml_doc_free(&doc);
		if (rc) {
			vm_facts_free(vm);
			memset(vm, 0, sizeof(*vm));
			return rc;
		}
		vm_memo_add(xml ? xml : "", len, vm);
	}
	rc = vm_set_source(vm, label, err);
	if (rc) {
		vm_facts_free(vm);
		memset(vm, 0, sizeof(*vm));
		return rc;
	}
	snprintf(vm->origin, sizeof(vm->origin), "%s", VM_ORIGIN_LIBVIRT);
	return IQ_OK;
}

int vm_from_libvirt_xml_file(const char *path, struct vm_facts *vm,
			     struct iq_err *err)
{
	char *xml = NULL;
	size_t len = 0;
	int rc;

	memset(vm, 0, sizeof(*vm));
	rc = file_read_max(path, VM_XML_MAX_BYTES, &xml, &len, err);
	if (rc) {
		/* file_read_all says "PATH: CAUSE"; say what was being read. */
		size_t plen = strlen(path);
		const char *cause = err->msg;
		char saved[sizeof(err->msg)];

		if (!strncmp(cause, path, plen) && cause[plen] == ':' &&
		    cause[plen + 1] == ' ')
			cause += plen + 2;
		snprintf(saved, sizeof(saved), "%s", cause);
		return iq_fail(err, rc, "%s: cannot read domain XML: %s", path,
			       saved);
	}
	rc = vm_from_libvirt_xml(xml, len, path, vm, err);
	free(xml);
	return rc;
}
