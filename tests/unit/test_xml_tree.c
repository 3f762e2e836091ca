// SPDX-License-Identifier: MIT
/*
 * The expat element tree (controller/sources/xml_tree.c): shape, names by
 * namespace URI, decoded values, text as libxml2's xmlNodeGetContent gave
 * it, line numbers, and what it refuses (malformed input with its line,
 * DOCTYPE and entities, nesting beyond the bound). Inputs are shaped like
 * libvirt's domain XML.
 */
#include "controller/sources/xml_tree.h"

#include <stdio.h>
#include <stdlib.h>

#include "tests/unit/test.h"

#define ICMQ_NS "https://icmquota.dev/xmlns/1"

static int parse(const char *xml, unsigned depth, struct xml_doc *doc,
		 struct xml_error *why)
{
	return xml_parse(xml, strlen(xml), depth, doc, why);
}

/* An element's text as a C string (test buffer). */
static const char *text_of(const struct xml_node *node)
{
	static char buf[256];
	size_t n = node->text_len < sizeof(buf) - 1 ? node->text_len
						    : sizeof(buf) - 1;

	memcpy(buf, node->text, n);
	buf[n] = '\0';
	return buf;
}

static void test_shape_lines_and_order(void)
{
	static const char xml[] =
		"<?xml version='1.0'?>\n"
		"<domain type='kvm' id='7'>\n"
		"  <name>train-03</name>\n"
		"  <!-- a comment is not kept -->\n"
		"  <devices>\n"
		"    <hostdev mode='subsystem' type='pci'><source>\n"
		"      <address domain='0x0000' bus='0x3b'/></source>"
		"</hostdev>\n"
		"    <?pi not kept?><interface type='network'/>\n"
		"  </devices>\n"
		"</domain>\n";
	struct xml_doc doc;
	struct xml_error why;
	const struct xml_node *root, *devices, *hostdev, *address, *n;

	CHECK_U64(parse(xml, 256, &doc, &why), 0);
	root = doc.root;
	CHECK(root != NULL);
	if (!root)
		return;
	CHECK_STR(root->name, "domain");
	CHECK(root->ns == NULL);
	CHECK(root->parent == NULL);
	CHECK_U64(root->line, 2);
	CHECK_U64(root->nattrs, 2);
	CHECK_STR(xml_attr(root, "type"), "kvm");
	CHECK_STR(xml_attr(root, "id"), "7");
	CHECK(xml_attr(root, "missing") == NULL);
	/* Children in document order; comments and PIs are not nodes. */
	n = root->child;
	CHECK(n && !strcmp(n->name, "name") && n->line == 3);
	n = n ? n->next : NULL;
	CHECK(n && !strcmp(n->name, "devices") && n->line == 5);
	CHECK(n && n->next == NULL);
	devices = xml_child(root, "devices");
	CHECK(devices == n);
	hostdev = xml_child(devices, "hostdev");
	CHECK(hostdev && hostdev->line == 6 && hostdev->parent == devices);
	CHECK(hostdev && hostdev->next && hostdev->next->line == 8 &&
	      !strcmp(hostdev->next->name, "interface"));
	address = xml_child(xml_child(hostdev, "source"), "address");
	CHECK(address && address->line == 7);
	CHECK(address && !strcmp(xml_attr(address, "bus"), "0x3b"));
	CHECK(xml_child(NULL, "x") == NULL);
	CHECK(xml_child(root, "nothing") == NULL);
	CHECK_STR(text_of(xml_child(root, "name")), "train-03");
	xml_doc_free(&doc);
	xml_doc_free(&doc); /* harmless twice */
}

/*
 * An element's text holds its descendants' text in document order, as
 * libxml2's xmlNodeGetContent did: character data, CDATA, references.
 */
static void test_text_and_entities_decoded(void)
{
	static const char xml[] =
		"<domain name='a&amp;b&apos;c&quot;d&lt;&gt;&#x41;&#66;'>"
		"<name> x&amp;y&apos;z </name>"
		"<description>one<b>two</b><![CDATA[<three/>]]>four"
		"</description><empty/></domain>";
	struct xml_doc doc;
	struct xml_error why;
	const struct xml_node *name, *desc;

	CHECK_U64(parse(xml, 256, &doc, &why), 0);
	if (!doc.root)
		return;
	CHECK_STR(xml_attr(doc.root, "name"), "a&b'c\"d<>AB");
	name = xml_child(doc.root, "name");
	CHECK(name != NULL);
	if (name) /* not trimmed: that is the walker's choice */
		CHECK_STR(text_of(name), " x&y'z ");
	desc = xml_child(doc.root, "description");
	CHECK(desc != NULL);
	if (desc) {
		CHECK_STR(text_of(desc), "onetwo<three/>four");
		CHECK_STR(text_of(desc->child), "two");
	}
	CHECK_U64(xml_child(doc.root, "empty")->text_len, 0);
	CHECK(xml_child(doc.root, "empty")->text != NULL);
	xml_doc_free(&doc);
}

/* Matched by URI, whatever the prefix; attributes in a namespace are not
 * libvirt's (xml_attr), but count as present (xml_has_attr). */
static void test_namespaces_by_uri(void)
{
	static const char xml[] =
		"<domain><metadata>"
		"<zz9_plural-Z:vm xmlns:zz9_plural-Z='" ICMQ_NS "'>"
		"<class>gpu</class><zz9_plural-Z:class>ns</zz9_plural-Z:class>"
		"</zz9_plural-Z:vm>"
		"<icmquota:vm xmlns:icmquota='https://example.com/other'/>"
		"<vm xmlns='" ICMQ_NS "'><class/></vm>"
		"</metadata><address q:type='usb' xmlns:q='urn:q' bus='1'/>"
		"</domain>";
	struct xml_doc doc;
	struct xml_error why;
	const struct xml_node *meta, *ours, *other, *dflt, *address;

	CHECK_U64(parse(xml, 256, &doc, &why), 0);
	if (!doc.root)
		return;
	meta = xml_child(doc.root, "metadata");
	ours = meta ? meta->child : NULL;
	CHECK(ours && ours->ns && !strcmp(ours->ns, ICMQ_NS) &&
	      !strcmp(ours->name, "vm"));
	CHECK(ours && ours->child && ours->child->ns == NULL &&
	      !strcmp(ours->child->name, "class"));
	CHECK(ours && ours->child && ours->child->next &&
	      !strcmp(ours->child->next->ns, ICMQ_NS));
	/* The icmquota prefix bound elsewhere is not ours. */
	other = ours ? ours->next : NULL;
	CHECK(other && !strcmp(other->ns, "https://example.com/other"));
	/* A default namespace applies to the children too. */
	dflt = other ? other->next : NULL;
	CHECK(dflt && !strcmp(dflt->ns, ICMQ_NS) && dflt->child &&
	      !strcmp(dflt->child->ns, ICMQ_NS));
	/* xml_child looks for elements in no namespace only. */
	CHECK(xml_child(meta, "vm") == NULL);
	address = xml_child(doc.root, "address");
	CHECK(address && xml_attr(address, "type") == NULL);
	CHECK(address && xml_has_attr(address, "type"));
	CHECK(address && !xml_has_attr(address, "slot"));
	CHECK(address && address->nattrs == 2); /* xmlns: is no attribute */
	xml_doc_free(&doc);
}

static void test_malformed_with_line(void)
{
	struct xml_doc doc;
	struct xml_error why;

	CHECK_U64(parse("<domain>\n<name>x</name>\n<memory>1</memry>\n"
			"</domain>\n",
			256, &doc, &why),
		  -1);
	CHECK_U64(why.kind, XML_FAIL_SYNTAX);
	CHECK_U64(why.line, 3);
	CHECK_STR(why.msg, "mismatched tag");
	CHECK(doc.root == NULL && doc.arena == NULL && doc.text == NULL);
	xml_doc_free(&doc);

	/* Cut short inside an attribute on line 2. */
	CHECK_U64(parse("<domain>\n<memory unit='Gi", 256, &doc, &why), -1);
	CHECK_U64(why.kind, XML_FAIL_SYNTAX);
	CHECK_U64(why.line, 2);
	CHECK_STR(why.msg, "unclosed token");

	CHECK_U64(xml_parse("", 0, 256, &doc, &why), -1);
	CHECK_U64(why.line, 1);
	CHECK_STR(why.msg, "no element found");
	CHECK_U64(xml_parse(NULL, 0, 256, &doc, &why), -1);
	CHECK_STR(why.msg, "no element found");

	/* Without a DTD only the five predefined entities exist. */
	CHECK_U64(parse("<domain>\n\n<name>&nbsp;</name></domain>", 256, &doc,
			&why),
		  -1);
	CHECK_U64(why.line, 3);
	CHECK_STR(why.msg, "undefined entity");

	/* An undeclared prefix is not namespace-well-formed. */
	CHECK_U64(parse("<domain><q:vm/></domain>", 256, &doc, &why), -1);
	CHECK_STR(why.msg, "unbound prefix");

	/* The length is what counts, not a NUL. */
	CHECK_U64(xml_parse("<a/>junk", 4, 256, &doc, &why), 0);
	xml_doc_free(&doc);
	CHECK_U64(xml_parse("<a/>\0<b/>", 9, 256, &doc, &why), -1);
	CHECK_U64(why.kind, XML_FAIL_SYNTAX);
}

/* A DTD is where entities are declared: refused before any is read. */
static void test_doctype_refused(void)
{
	static const char *const inputs[] = {
		"<!DOCTYPE domain>\n<domain/>",
		"<!DOCTYPE domain [<!ENTITY n 'evil'>]>\n"
		"<domain><name>&n;</name></domain>",
		"<!DOCTYPE domain SYSTEM 'file:///etc/passwd'>\n<domain/>",
		"<!DOCTYPE d [<!ENTITY a 'x'><!ENTITY b '&a;&a;&a;&a;'>"
		"<!ENTITY c '&b;&b;&b;&b;&b;'>]><d>&c;</d>",
		"<!DOCTYPE d [<!ENTITY % p SYSTEM 'http://example.com/p'>%p;]>"
		"<d/>",
	};
	struct xml_doc doc;
	struct xml_error why;

	for (size_t i = 0; i < sizeof(inputs) / sizeof(*inputs); i++) {
		CHECK_U64(parse(inputs[i], 256, &doc, &why), -1);
		CHECK_U64(why.kind, XML_FAIL_DOCTYPE);
		CHECK_U64(why.line, 1);
		CHECK(doc.root == NULL);
	}
	CHECK_U64(parse("<?xml version='1.0'?>\n<!-- libvirt -->\n"
			"<!DOCTYPE domain>\n<domain/>",
			256, &doc, &why),
		  -1);
	CHECK_U64(why.kind, XML_FAIL_DOCTYPE);
	CHECK_U64(why.line, 3);
}

/* Nested n deep: <domain><a><a>...</a></a></domain>, a line each. */
static char *nested(unsigned n)
{
	size_t len = 64 + (size_t)n * 8;
	char *xml = malloc(len), *p = xml;

	if (!xml)
		abort();
	p += sprintf(p, "<domain>\n");
	for (unsigned i = 1; i < n; i++)
		p += sprintf(p, "<a>\n");
	for (unsigned i = 1; i < n; i++)
		p += sprintf(p, "</a>");
	sprintf(p, "</domain>");
	return xml;
}

static void test_depth_limit(void)
{
	struct xml_doc doc;
	struct xml_error why;
	char *xml;
	unsigned depth = 0;

	xml = nested(256);
	CHECK_U64(parse(xml, 256, &doc, &why), 0);
	for (const struct xml_node *n = doc.root; n; n = n->child)
		depth++;
	CHECK_U64(depth, 256);
	xml_doc_free(&doc);
	free(xml);

	/* One more: refused at the element too deep, on its line. */
	xml = nested(257);
	CHECK_U64(parse(xml, 256, &doc, &why), -1);
	CHECK_U64(why.kind, XML_FAIL_DEPTH);
	CHECK_U64(why.line, 257);
	CHECK(doc.root == NULL);
	free(xml);

	/* Far deeper: refused as fast, no recursion anywhere. */
	xml = nested(200000);
	CHECK_U64(parse(xml, 256, &doc, &why), -1);
	CHECK_U64(why.kind, XML_FAIL_DEPTH);
	free(xml);
	CHECK_U64(parse("<a><b/></a>", 1, &doc, &why), -1);
	CHECK_U64(why.line, 1);
	CHECK_U64(why.kind, XML_FAIL_DEPTH);
}

/* Names and text come out in UTF-8 whatever the input's encoding. */
static void test_encodings(void)
{
	struct xml_doc doc;
	struct xml_error why;

	CHECK_U64(parse("<?xml version='1.0' encoding='ISO-8859-1'?>"
			"<domain><name>caf\xe9</name></domain>",
			256, &doc, &why),
		  0);
	if (doc.root)
		CHECK_STR(text_of(doc.root->child), "caf\xc3\xa9");
	xml_doc_free(&doc);
	CHECK_U64(parse("<?xml version='1.0' encoding='bogus'?><domain/>", 256,
			&doc, &why),
		  -1);
	CHECK_STR(why.msg, "unknown encoding");
	/* Invalid UTF-8 is refused, never passed on. */
	CHECK_U64(parse("<domain><name>\xff\xfe</name></domain>", 256, &doc,
			&why),
		  -1);
	CHECK_U64(why.kind, XML_FAIL_SYNTAX);
}

/* Many elements and much text: arena blocks and text buffer grow. */
static void test_large_document(void)
{
	const unsigned n = 20000;
	size_t len = 64 + (size_t)n * 64;
	char *xml = malloc(len), *p = xml;
	struct xml_doc doc;
	struct xml_error why;
	unsigned count = 0;
	bool in_order = true;

	if (!xml)
		abort();
	p += sprintf(p, "<domain><devices>");
	for (unsigned i = 0; i < n; i++)
		p += sprintf(p, "<hostdev index='%u'>text-%u</hostdev>\n", i,
			     i);
	sprintf(p, "</devices></domain>");
	CHECK_U64(parse(xml, 256, &doc, &why), 0);
	for (const struct xml_node *h = doc.root ? doc.root->child->child
						 : NULL;
	     h; h = h->next) {
		char want[32];

		snprintf(want, sizeof(want), "text-%u", count);
		if (strtoul(xml_attr(h, "index"), NULL, 10) != count ||
		    strcmp(text_of(h), want))
			in_order = false;
		count++;
	}
	CHECK_U64(count, n);
	CHECK(in_order);
	/* The devices' text is every hostdev's text and the newlines. */
	if (doc.root)
		CHECK_U64(doc.root->child->text_len, doc.root->text_len);
	xml_doc_free(&doc);
	free(xml);
}

int main(void)
{
	RUN(test_shape_lines_and_order);
	RUN(test_text_and_entities_decoded);
	RUN(test_namespaces_by_uri);
	RUN(test_malformed_with_line);
	RUN(test_doctype_refused);
	RUN(test_depth_limit);
	RUN(test_encodings);
	RUN(test_large_document);
	return TEST_SUMMARY("test_xml_tree");
}
