// SPDX-License-Identifier: MIT
/*
 * Reading one element of a libvirt domain XML (xml_tree.c's tree): element
 * tests, attribute and text copies bounded by their buffer, and excerpts
 * of untrusted text short and on one line for messages. Shared by the
 * files that read the domain's parts (controller/sources/vm_libvirt_xml.h).
 */
#include "controller/sources/vm_libvirt_xml.h"

#include <ctype.h>
#include <string.h>

/*
 * Copy at most 40 bytes of untrusted text for a message, control bytes
 * replaced, so an error always stays on one line and never carries the XML.
 */
void lvxml_printable_excerpt(const char *text, char *out, size_t len)
{
	size_t n = 0;

	for (; text[n] && n + 1 < len && n < 40; n++)
		out[n] = iscntrl((unsigned char)text[n]) ? '?' : text[n];
	out[n] = '\0';
}

bool lvxml_is_element(const struct xml_node *node, const char *name)
{
	return !node->ns && strcmp(node->name, name) == 0;
}

long lvxml_line_of(const struct xml_node *node)
{
	return (long)node->line;
}

/*
 * An attribute's value copied into buf ("" when absent); false when it does
 * not fit. present says whether the attribute exists.
 */
bool lvxml_attr_copy(const struct xml_node *node, const char *name, char *buf,
		     size_t len, bool *present)
{
	const char *value = xml_attr(node, name);
	bool fits;

	*present = value != NULL;
	buf[0] = '\0';
	if (!value)
		return true;
	fits = strlen(value) < len;
	if (fits)
		strcpy(buf, value);
	return fits;
}

bool lvxml_attr_equals(const struct xml_node *node, const char *name,
		       const char *expected)
{
	const char *value = xml_attr(node, name);

	return value && strcmp(value, expected) == 0;
}

/*
 * An element's text, leading and trailing white space cut, into buf.
 * Returns false when it does not fit.
 */
bool lvxml_text_copy(const struct xml_node *node, char *buf, size_t len)
{
	const char *start = node->text;
	size_t n = node->text_len;

	while (n && isspace((unsigned char)*start)) {
		start++;
		n--;
	}
	while (n && isspace((unsigned char)start[n - 1]))
		n--;
	if (n >= len) {
		buf[0] = '\0';
		return false;
	}
	memcpy(buf, start, n);
	buf[n] = '\0';
	return true;
}
