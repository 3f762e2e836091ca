// SPDX-License-Identifier: MIT
/*
 * The policy parser's bounds (input from outside is bounded before work
 * grows with it): the text's size and nesting, checked on libyaml's events
 * before the document is built, and a key used twice in one mapping, found
 * by sorting. The limits are POLICY_MAX_* (policy.h); the counts of
 * classes, rules and devices are checked where the walk (parse.c) meets
 * them, before anything is allocated for them.
 */
#include "policy/parse.h"

#include <stdlib.h>
#include <string.h>

struct key_ref {
	const char *text;
	size_t index; /* in document order */
	const yaml_node_t *node;
};

static int cmp_key_ref(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	int c = strcmp(x->text, y->text);

	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * A key used twice in one mapping: sorted once (O(n log n), not a scan of
 * the earlier keys per key), reported at the earliest repetition.
 */
int pol_check_duplicate_keys(struct parser *p, const char *path,
			     yaml_node_pair_t *first, yaml_node_pair_t *end)
{
	size_t n = pol_pair_count(first, end), used = 0;
	const struct key_ref *dup = NULL, *orig = NULL;
	struct key_ref *refs;
	int rc = IQ_OK;

	if (n < 2)
		return IQ_OK;
	refs = calloc(n, sizeof(*refs));
	if (!refs)
		return iq_fail(p->err, IQ_EENV, "%s: out of memory", p->label);
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *k = pol_get_node(p, first[i].key);

		if (k && k->type == YAML_SCALAR_NODE)
			refs[used++] =
				(struct key_ref){pol_scalar_text(k), i, k};
	}
	qsort(refs, used, sizeof(*refs), cmp_key_ref);
	for (size_t i = 1; i < used; i++) {
		if (strcmp(refs[i - 1].text, refs[i].text) != 0)
			continue;
		/* refs[i - 1] is the group's first only when it starts it. */
		if ((i < 2 || strcmp(refs[i - 2].text, refs[i].text) != 0) &&
		    (!dup || refs[i].index < dup->index)) {
			dup = &refs[i];
			orig = &refs[i - 1];
		}
	}
	if (dup)
		rc = pol_fail_at(p, dup->node,
				 "%s: duplicate key '%.*s' (first at line %u; "
				 "keep one)",
				 path, ECHO_MAX, dup->text,
				 pol_node_pos(orig->node).line);
	free(refs);
	return rc;
}

/*
 * Before libyaml builds the document: the text is at most
 * POLICY_MAX_BYTES and nested at most POLICY_MAX_DEPTH deep. libyaml's
 * scanner costs O(depth) per token, so 40,000 levels would take seconds;
 * the events stop at the first level too deep. Syntax errors are left to
 * the load, which reports them with their position.
 */
int pol_check_shape(struct parser *p)
{
	yaml_parser_t yp;
	yaml_event_t ev;
	unsigned depth = 0;
	int rc = IQ_OK;

	if (p->len > POLICY_MAX_BYTES)
		return pol_fail_pos(
			p, (struct policy_pos){1, 1, 0},
			"%zu bytes, more than %u (a policy of every "
			"class and rule a fleet needs is a few "
			"hundred KiB)",
			p->len, POLICY_MAX_BYTES);
	if (!yaml_parser_initialize(&yp))
		return iq_fail(p->err, IQ_EENV,
			       "%s: out of memory while reading the policy",
			       p->label);
	yaml_parser_set_input_string(&yp, (const unsigned char *)p->text,
				     p->len);
	for (;;) {
		yaml_event_type_t type;

		if (!yaml_parser_parse(&yp, &ev))
			break;
		type = ev.type;
		if (type == YAML_SEQUENCE_START_EVENT ||
		    type == YAML_MAPPING_START_EVENT) {
			if (++depth > POLICY_MAX_DEPTH) {
				rc = pol_fail_pos(
					p, pol_mark_pos(ev.start_mark),
					"nested more than %d levels deep "
					"(the policy schema has 5)",
					POLICY_MAX_DEPTH);
				yaml_event_delete(&ev);
				break;
			}
		} else if (type == YAML_SEQUENCE_END_EVENT ||
			   type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&yp);
	return rc;
}
