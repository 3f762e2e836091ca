/* SPDX-License-Identifier: MIT */
/*
 * A small read-only element tree of an XML document, built from expat's
 * callbacks: what the domain XML parser (vm_libvirt.c) walks.
 *
 * Why not libxml2: libvirt's domain XML needs elements, attributes, text
 * and line numbers, nothing more; Debian's libxml2 brings ICU and
 * libstdc++ (about 0.9 ms of loading per process, three processes per VM
 * start through the libvirt hook), expat only libc.
 *
 * Untrusted input: a DOCTYPE (hence any DTD, entity declaration or
 * external entity) is refused where it starts, so no entity is ever
 * expanded or fetched; nesting is bounded by the caller's max_depth; the
 * tree is walked and freed without recursion.
 */
#ifndef ICMQUOTA_XML_TREE_H
#define ICMQUOTA_XML_TREE_H

#include <stdbool.h>
#include <stddef.h>

/* An attribute, value decoded (entities and character references). */
struct xml_attr {
	const char *ns;	  /* namespace URI; NULL: in no namespace */
	const char *name; /* local name (the prefix is not kept) */
	const char *value;
};

/* An element. Comments, processing instructions and the XML declaration
 * are not kept; text is. */
struct xml_node {
	const char *ns;	  /* namespace URI; NULL: in no namespace */
	const char *name; /* local name (the prefix is not kept) */
	/* Line of the start tag's '<', from 1 (expat's count of "\n",
	 * "\r\n" and "\r"). */
	unsigned long line;
	const struct xml_attr *attrs;
	size_t nattrs;
	struct xml_node *parent, *child, *next; /* child: the first one */
	/*
	 * The text of the element and of every element in it, in document
	 * order (libxml2's xmlNodeGetContent): character data and CDATA
	 * decoded, not trimmed, never NULL. Not NUL-terminated: text_len.
	 * XML 1.0 forbids NUL, so the text holds none.
	 */
	const char *text;
	size_t text_len;
	size_t text_begin; /* private: offsets while the tree is built */
};

struct xml_arena;

struct xml_doc {
	struct xml_node *root;
	char *text; /* every element's text lives here */
	struct xml_arena *arena;
};

/* Why a document was refused. */
enum xml_fail {
	XML_FAIL_SYNTAX = 1, /* not well-formed (expat's message) */
	XML_FAIL_DOCTYPE,    /* a <!DOCTYPE> */
	XML_FAIL_DEPTH,	     /* elements nested deeper than max_depth */
	XML_FAIL_NOMEM,
};

struct xml_error {
	enum xml_fail kind;
	unsigned long line; /* from 1, where expat found it */
	char msg[128];	    /* expat's message (XML_FAIL_SYNTAX), else "" */
};

/*
 * Parse len bytes of buf (need not be NUL-terminated; encoding from its
 * XML declaration or BOM, UTF-8 by default; names and text come out in
 * UTF-8) with namespace processing into doc. Elements may nest max_depth
 * deep (the root is depth 1). Returns 0, or -1 with *error filled and doc
 * left empty (xml_doc_free() is harmless either way).
 */
int xml_parse(const char *buf, size_t len, unsigned max_depth,
	      struct xml_doc *doc, struct xml_error *error);

void xml_doc_free(struct xml_doc *doc);

/* The value of attribute name in no namespace (as libxml2's
 * xmlGetNoNsProp), NULL when absent. */
const char *xml_attr(const struct xml_node *node, const char *name);

/* Whether node has an attribute name in any namespace (xmlHasProp). */
bool xml_has_attr(const struct xml_node *node, const char *name);

/* The first child of parent named name in no namespace, NULL if none or
 * parent is NULL. */
struct xml_node *xml_child(const struct xml_node *parent, const char *name);

#endif
