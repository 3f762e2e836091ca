/* SPDX-License-Identifier: MIT */
/*
 * Inside the policy parser: what its files share, and nothing outside
 * them includes (policy/'s interface is policy.h). Split so that each file
 * holds one concern:
 *
 *   parse.c         the schema walk: YAML document -> struct policy
 *   parse_node.c    libyaml's nodes: positions, kinds, mapping pairs and
 *                   keys, the one-line refusals, syntax errors
 *   parse_limits.c  the bounds: size and nesting before the document is
 *                   built, duplicate keys while it is walked
 *
 * Every refusal is IQ_EREFUSED "LABEL:LINE:COL: message" (IQ_EENV when out
 * of memory) and returns that code; the caller passes it up unchanged.
 */
#ifndef ICMQUOTA_POLICY_PARSE_H
#define ICMQUOTA_POLICY_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "lib/err.h"
#include "policy/policy.h"
#include "policy/yaml_dl.h"

/* Longest user text echoed back in a message. */
#define ECHO_MAX 80

/* One parse: the document, its text and where results and errors go. */
struct parser {
	yaml_document_t *doc;
	const char *text;
	size_t len;
	const char *label;
	struct policy *policy;
	struct iq_err *err;
};

/* ---- parse_node.c ---------------------------------------------------- */

/* libyaml's 0-based mark as 1-based line:col (file 0). */
struct policy_pos pol_mark_pos(yaml_mark_t mark);
struct policy_pos pol_node_pos(const yaml_node_t *node);
/* The refusal "LABEL:LINE:COL: message" at pos, or at node's start. */
__attribute__((format(printf, 3, 4))) int
pol_fail_pos(struct parser *p, struct policy_pos pos, const char *fmt, ...);
__attribute__((format(printf, 3, 4))) int
pol_fail_at(struct parser *p, const yaml_node_t *node, const char *fmt, ...);
/* "PATH: expected EXPECTED, got KIND" at node. */
int pol_fail_type(struct parser *p, const yaml_node_t *node, const char *path,
		  const char *expected);
/* The node of a document index; NULL for a malformed document. */
yaml_node_t *pol_get_node(struct parser *p, int index);
const char *pol_scalar_text(const yaml_node_t *node);
/* A plain empty, "~" or "null" scalar: YAML's way of writing nothing. */
bool pol_is_null(const yaml_node_t *node);
/* What a node is ("a mapping", "'text'"), written into buf if need be. */
const char *pol_node_kind(const yaml_node_t *node, char *buf, size_t len);
/* Mapping pairs of node; a null value counts as an empty mapping. */
int pol_mapping_pairs(struct parser *p, const yaml_node_t *node,
		      const char *path, const char *expected,
		      yaml_node_pair_t **start, yaml_node_pair_t **end);
size_t pol_pair_count(yaml_node_pair_t *start, yaml_node_pair_t *end);
/*
 * The key of *pair as text, refusing keys that are not plain text and keys
 * that another pair of the same mapping (first..end) also uses.
 */
int pol_pair_key(struct parser *p, const char *path, yaml_node_pair_t *first,
		 yaml_node_pair_t *end, yaml_node_pair_t *pair,
		 const char **key, yaml_node_t **key_node,
		 yaml_node_t **value_node);
/* "PATH: unknown key 'KEY' (expected EXPECTED)" at the key. */
int pol_unknown_key(struct parser *p, const yaml_node_t *key_node,
		    const char *path, const char *expected);
/* libyaml's parser error as a refusal at its position, with a hint. */
int pol_syntax_error(struct parser *p, const yaml_parser_t *yp);

/* ---- parse_limits.c -------------------------------------------------- */

/* A key used twice in one mapping, refused at the earliest repetition. */
int pol_check_duplicate_keys(struct parser *p, const char *path,
			     yaml_node_pair_t *first, yaml_node_pair_t *end);
/*
 * Before the document is built: at most POLICY_MAX_BYTES of text, nested
 * at most POLICY_MAX_DEPTH deep. Syntax errors are left to the load.
 */
int pol_check_shape(struct parser *p);

#endif
