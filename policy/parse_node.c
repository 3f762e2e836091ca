// SPDX-License-Identifier: MIT
/*
 * The policy parser's view of libyaml's document: where a node stands
 * (LABEL:LINE:COL), what kind of node it is, a mapping's pairs and keys,
 * and the one-line refusals every error is made of, YAML syntax errors
 * included. Apart from the schema walk (parse.c) so that the walk reads as
 * the schema and nothing else.
 */
#include "policy/parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct policy_pos pol_mark_pos(yaml_mark_t mark)
{
	struct policy_pos pos = {
		.line = (unsigned)mark.line + 1,
		.col = (unsigned)mark.column + 1,
	};

	return pos;
}

struct policy_pos pol_node_pos(const yaml_node_t *node)
{
	return pol_mark_pos(node->start_mark);
}

__attribute__((format(printf, 3, 4))) int
pol_fail_pos(struct parser *p, struct policy_pos pos, const char *fmt, ...)
{
	char msg[1536];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return iq_fail(p->err, IQ_EREFUSED, "%s:%u:%u: %s", p->label, pos.line,
		       pos.col, msg);
}

__attribute__((format(printf, 3, 4))) int
pol_fail_at(struct parser *p, const yaml_node_t *node, const char *fmt, ...)
{
	struct policy_pos pos = pol_node_pos(node);
	char msg[1536];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pol_fail_pos(p, pos, "%s", msg);
}

yaml_node_t *pol_get_node(struct parser *p, int index)
{
	return yaml_document_get_node(p->doc, index);
}

const char *pol_scalar_text(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

/* A plain empty, "~" or "null" scalar: YAML's way of writing nothing. */
bool pol_is_null(const yaml_node_t *node)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	if (node->type != YAML_SCALAR_NODE ||
	    node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(pol_scalar_text(node), nulls[i]) == 0)
			return true;
	return false;
}

/* What a node is, for "expected X, got Y" messages. */
const char *pol_node_kind(const yaml_node_t *node, char *buf, size_t len)
{
	if (node->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (node->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (pol_is_null(node))
		return "nothing";
	snprintf(buf, len, "'%.*s'", ECHO_MAX, pol_scalar_text(node));
	return buf;
}

int pol_fail_type(struct parser *p, const yaml_node_t *node, const char *path,
		  const char *expected)
{
	char kind[ECHO_MAX + 8];

	return pol_fail_at(p, node, "%s: expected %s, got %s", path, expected,
			   pol_node_kind(node, kind, sizeof(kind)));
}

/* Mapping pairs of node; a null value counts as an empty mapping. */
int pol_mapping_pairs(struct parser *p, const yaml_node_t *node,
		      const char *path, const char *expected,
		      yaml_node_pair_t **start, yaml_node_pair_t **end)
{
	*start = *end = NULL;
	if (pol_is_null(node))
		return IQ_OK;
	if (node->type != YAML_MAPPING_NODE)
		return pol_fail_type(p, node, path, expected);
	*start = node->data.mapping.pairs.start;
	*end = node->data.mapping.pairs.top;
	return IQ_OK;
}

size_t pol_pair_count(yaml_node_pair_t *start, yaml_node_pair_t *end)
{
	return start ? (size_t)(end - start) : 0;
}

/*
 * The key of *pair as text, refusing keys that are not plain text and keys
 * that another pair of the same mapping (first..end) also uses.
 */
int pol_pair_key(struct parser *p, const char *path, yaml_node_pair_t *first,
		 yaml_node_pair_t *end, yaml_node_pair_t *pair,
		 const char **key, yaml_node_t **key_node,
		 yaml_node_t **value_node)
{
	yaml_node_t *k = pol_get_node(p, pair->key);
	yaml_node_t *v = pol_get_node(p, pair->value);

	if (pair == first) {
		int rc = pol_check_duplicate_keys(p, path, first, end);

		if (rc)
			return rc;
	}
	if (!k || !v)
		return pol_fail_pos(p, (struct policy_pos){1, 1, 0},
				    "%s: malformed YAML document", path);
	if (k->type != YAML_SCALAR_NODE)
		return pol_fail_type(p, k, path, "a key name");
	if (strlen(pol_scalar_text(k)) != k->data.scalar.length)
		return pol_fail_at(p, k, "%s: a key contains a NUL character",
				   path);
	*key = pol_scalar_text(k);
	*key_node = k;
	*value_node = v;
	return IQ_OK;
}

int pol_unknown_key(struct parser *p, const yaml_node_t *key_node,
		    const char *path, const char *expected)
{
	return pol_fail_at(p, key_node, "%s: unknown key '%.*s' (expected %s)",
			   path, ECHO_MAX, pol_scalar_text(key_node), expected);
}

/* 1-based line:column of a byte offset (reader errors carry only that). */
static struct policy_pos offset_pos(const char *text, size_t len, size_t offset)
{
	struct policy_pos pos = {1, 1, 0};

	for (size_t i = 0; i < offset && i < len; i++) {
		if (text[i] == '\n') {
			pos.line++;
			pos.col = 1;
		} else {
			pos.col++;
		}
	}
	return pos;
}

int pol_syntax_error(struct parser *p, const yaml_parser_t *yp)
{
	struct policy_pos pos;
	const char *problem = yp->problem ? yp->problem : "unknown problem";
	const char *hint = "";

	if (yp->error == YAML_MEMORY_ERROR)
		return iq_fail(p->err, IQ_EENV,
			       "%s: out of memory while reading the policy",
			       p->label);
	if (yp->error == YAML_READER_ERROR) {
		pos = offset_pos(p->text, p->len, yp->problem_offset);
		return pol_fail_pos(p, pos,
				    "invalid YAML: %s (save the file as UTF-8 "
				    "text)",
				    problem);
	}
	pos = pol_mark_pos(yp->problem_mark);
	if (yp->problem_mark.index < p->len &&
	    p->text[yp->problem_mark.index] == '\t')
		hint = " (YAML indents with spaces, not tabs)";
	if (yp->context)
		return pol_fail_pos(
			p, pos, "invalid YAML: %s (%s that starts at %u:%u)%s",
			problem, yp->context,
			pol_mark_pos(yp->context_mark).line,
			pol_mark_pos(yp->context_mark).col, hint);
	return pol_fail_pos(p, pos, "invalid YAML: %s%s", problem, hint);
}
