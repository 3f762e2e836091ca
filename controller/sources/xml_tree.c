// SPDX-License-Identifier: MIT
/*
 * XML -> element tree, from expat's callbacks (xml_tree.h says why).
 *
 * Nodes, names and attribute values go into an arena freed at once; the
 * text of every element goes into one buffer in document order, each
 * element keeping where its own text begins and ends, so an element's text
 * (its children's included, as libxml2's xmlNodeGetContent) costs no copy.
 */
#include "controller/sources/xml_tree.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

/*
 * Between a namespace URI and a local name in the names expat hands over.
 * No local name can hold it (XML 1.0 forbids U+0001 anywhere), so the last
 * one in a name always ends the URI.
 */
#define NS_SEP '\x01'

struct xml_arena {
	struct xml_arena *next;
	size_t used, size;
	max_align_t data[];
};

struct builder {
	XML_Parser parser;
	struct xml_doc *doc;
	struct xml_node *open; /* the element being read; NULL: none yet */
	unsigned depth, max_depth;
	char *text;
	size_t text_len, text_cap;
	enum xml_fail fail; /* 0 while all is well */
	unsigned long fail_line;
};

/* A real domain XML (a few KiB) fits in the first block. */
#define ARENA_FIRST (16u << 10)
#define ARENA_MAX   (1u << 20)

static void *arena_alloc(struct xml_doc *doc, size_t len)
{
	struct xml_arena *a = doc->arena;
	const size_t align = sizeof(max_align_t);

	len = (len + align - 1) / align * align;
	if (!a || a->size - a->used < len) {
		size_t size = a ? a->size * 2 : ARENA_FIRST;

		if (size > ARENA_MAX)
			size = ARENA_MAX;
		if (size < len)
			size = len;
		a = malloc(sizeof(*a) + size);
		if (!a)
			return NULL;
		a->size = size;
		a->used = 0;
		a->next = doc->arena;
		doc->arena = a;
	}
	a->used += len;
	return (char *)a->data + a->used - len;
}

static char *arena_strndup(struct xml_doc *doc, const char *s, size_t n)
{
	char *copy = arena_alloc(doc, n + 1);

	if (copy) {
		memcpy(copy, s, n);
		copy[n] = '\0';
	}
	return copy;
}

/* Stop at the first failure; the line is where expat is now. */
static void fail(struct builder *b, enum xml_fail kind)
{
	if (b->fail)
		return;
	b->fail = kind;
	b->fail_line = XML_GetCurrentLineNumber(b->parser);
	XML_StopParser(b->parser, XML_FALSE);
}

/* "URI<NS_SEP>local" or "local" -> *ns (NULL: none) and *local. */
static bool split_name(struct builder *b, const XML_Char *raw, const char **ns,
		       const char **local)
{
	const char *sep = strrchr(raw, NS_SEP);

	*ns = NULL;
	if (sep && !(*ns = arena_strndup(b->doc, raw, (size_t)(sep - raw))))
		return false;
	if (sep)
		raw = sep + 1;
	*local = arena_strndup(b->doc, raw, strlen(raw));
	return *local != NULL;
}

static bool copy_attrs(struct builder *b, struct xml_node *node,
		       const XML_Char **atts)
{
	struct xml_attr *attrs;
	size_t n = 0;

	while (atts[2 * n])
		n++;
	if (!n)
		return true;
	attrs = arena_alloc(b->doc, n * sizeof(*attrs));
	if (!attrs)
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *value = atts[2 * i + 1];

		if (!split_name(b, atts[2 * i], &attrs[i].ns, &attrs[i].name) ||
		    !(attrs[i].value =
			      arena_strndup(b->doc, value, strlen(value))))
			return false;
	}
	node->attrs = attrs;
	node->nattrs = n;
	return true;
}

static void XMLCALL on_start(void *user, const XML_Char *name,
			     const XML_Char **atts)
{
	struct builder *b = user;
	struct xml_node *node;

	if (b->fail)
		return;
	if (b->depth >= b->max_depth) {
		fail(b, XML_FAIL_DEPTH);
		return;
	}
	node = arena_alloc(b->doc, sizeof(*node));
	if (!node) {
		fail(b, XML_FAIL_NOMEM);
		return;
	}
	memset(node, 0, sizeof(*node));
	node->line = XML_GetCurrentLineNumber(b->parser);
	node->text_begin = b->text_len;
	if (!split_name(b, name, &node->ns, &node->name) ||
	    !copy_attrs(b, node, atts)) {
		fail(b, XML_FAIL_NOMEM);
		return;
	}
	/* Children are pushed in front; on_end puts them in order. */
	node->parent = b->open;
	if (b->open) {
		node->next = b->open->child;
		b->open->child = node;
	} else {
		b->doc->root = node;
	}
	b->open = node;
	b->depth++;
}

static void XMLCALL on_end(void *user, const XML_Char *name)
{
	struct builder *b = user;
	struct xml_node *node = b->open, *prev = NULL, *child;

	(void)name; /* expat checked it matches the start tag */
	if (b->fail || !node)
		return;
	node->text_len = b->text_len - node->text_begin;
	for (child = node->child; child;) {
		struct xml_node *next = child->next;

		child->next = prev;
		prev = child;
		child = next;
	}
	node->child = prev;
	b->open = node->parent;
	b->depth--;
}

static void XMLCALL on_text(void *user, const XML_Char *s, int len)
{
	struct builder *b = user;
	size_t n = (size_t)len;

	if (b->fail || !b->open || len <= 0)
		return;
	if (b->text_cap - b->text_len < n) {
		size_t cap = b->text_cap ? b->text_cap : 4096;
		char *grown;

		while (cap - b->text_len < n) {
			if (cap > SIZE_MAX / 2) {
				fail(b, XML_FAIL_NOMEM);
				return;
			}
			cap *= 2;
		}
		grown = realloc(b->text, cap);
		if (!grown) {
			fail(b, XML_FAIL_NOMEM);
			return;
		}
		b->text = grown;
		b->text_cap = cap;
	}
	memcpy(b->text + b->text_len, s, n);
	b->text_len += n;
}

/* A DTD is where entities are declared: refused before any is read. */
static void XMLCALL on_doctype(void *user, const XML_Char *name,
			       const XML_Char *sysid, const XML_Char *pubid,
			       int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	fail(user, XML_FAIL_DOCTYPE);
}

static void XMLCALL on_entity(void *user, const XML_Char *name, int is_param,
			      const XML_Char *value, int value_len,
			      const XML_Char *base, const XML_Char *sysid,
			      const XML_Char *pubid, const XML_Char *notation)
{
	(void)name;
	(void)is_param;
	(void)value;
	(void)value_len;
	(void)base;
	(void)sysid;
	(void)pubid;
	(void)notation;
	fail(user, XML_FAIL_DOCTYPE);
}

/* Every element's text pointer, once the buffer stops moving. */
static void resolve_text(struct xml_doc *doc)
{
	struct xml_node *node = doc->root;

	while (node) {
		node->text = doc->text + node->text_begin;
		if (node->child) {
			node = node->child;
			continue;
		}
		while (node && !node->next)
			node = node->parent;
		if (node)
			node = node->next;
	}
}

static int run_parser(struct builder *b, const char *buf, size_t len)
{
	/* XML_Parse takes an int: a larger input goes in pieces. */
	const size_t piece = 1u << 30;
	size_t off = 0;

	do {
		size_t n = len - off < piece ? len - off : piece;
		bool final = off + n == len;

		if (XML_Parse(b->parser, buf + off, (int)n, final) !=
		    XML_STATUS_OK)
			return -1;
		off += n;
	} while (off < len);
	return 0;
}

int xml_parse(const char *buf, size_t len, unsigned max_depth,
	      struct xml_doc *doc, struct xml_error *error)
{
	struct builder b = {.doc = doc, .max_depth = max_depth};
	int rc;

	memset(doc, 0, sizeof(*doc));
	memset(error, 0, sizeof(*error));
	b.parser = XML_ParserCreateNS(NULL, NS_SEP);
	if (!b.parser) {
		error->kind = XML_FAIL_NOMEM;
		error->line = 1;
		return -1;
	}
	XML_SetUserData(b.parser, &b);
	XML_SetElementHandler(b.parser, on_start, on_end);
	XML_SetCharacterDataHandler(b.parser, on_text);
	XML_SetStartDoctypeDeclHandler(b.parser, on_doctype);
	XML_SetEntityDeclHandler(b.parser, on_entity);
	rc = run_parser(&b, buf ? buf : "", buf ? len : 0);
	if (rc && b.fail) {
		error->kind = b.fail;
		error->line = b.fail_line;
	} else if (rc) {
		enum XML_Error code = XML_GetErrorCode(b.parser);
		const char *msg = XML_ErrorString(code);

		error->kind = code == XML_ERROR_NO_MEMORY ? XML_FAIL_NOMEM
							  : XML_FAIL_SYNTAX;
		error->line = XML_GetErrorLineNumber(b.parser);
		snprintf(error->msg, sizeof(error->msg), "%s",
			 msg ? msg : "not well-formed");
	} else if (!b.text && !(b.text = malloc(1))) {
		error->kind = XML_FAIL_NOMEM;
		error->line = 1;
		rc = -1;
	}
	XML_ParserFree(b.parser);
	if (rc) {
		free(b.text);
		xml_doc_free(doc);
		return -1;
	}
	doc->text = b.text;
	resolve_text(doc);
	return 0;
}

void xml_doc_free(struct xml_doc *doc)
{
	struct xml_arena *a = doc->arena;

	while (a) {
		struct xml_arena *next = a->next;

		free(a);
		a = next;
	}
	free(doc->text);
	memset(doc, 0, sizeof(*doc));
}

const char *xml_attr(const struct xml_node *node, const char *name)
{
	for (size_t i = 0; i < node->nattrs; i++)
		if (!node->attrs[i].ns && !strcmp(node->attrs[i].name, name))
			return node->attrs[i].value;
	return NULL;
}

bool xml_has_attr(const struct xml_node *node, const char *name)
{
	for (size_t i = 0; i < node->nattrs; i++)
		if (!strcmp(node->attrs[i].name, name))
			return true;
	return false;
}

struct xml_node *xml_child(const struct xml_node *parent, const char *name)
{
	if (!parent)
		return NULL;
	for (struct xml_node *child = parent->child; child; child = child->next)
		if (!child->ns && !strcmp(child->name, name))
			return child;
	return NULL;
}
