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
 */
#include "controller/sources/vm.h"
#include "controller/sources/xml_tree.h"
#include "lib/file.h"
#include "lib/pci.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Copy at most 40 bytes of untrusted text for a message, control bytes
 * replaced, so an error always stays on one line and never carries the XML.
 */
static void printable_excerpt(const char *text, char *out, size_t len)
{
	size_t n = 0;

	for (; text[n] && n + 1 < len && n < 40; n++)
		out[n] = iscntrl((unsigned char)text[n]) ? '?' : text[n];
	out[n] = '\0';
}

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

static bool is_element(const struct xml_node *node, const char *name)
{
	return !node->ns && strcmp(node->name, name) == 0;
}

static long line_of(const struct xml_node *node)
{
	return (long)node->line;
}

/*
 * An attribute's value copied into buf ("" when absent); false when it does
 * not fit. present says whether the attribute exists.
 */
static bool attr_copy(const struct xml_node *node, const char *name, char *buf,
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

static bool attr_equals(const struct xml_node *node, const char *name,
			const char *expected)
{
	const char *value = xml_attr(node, name);

	return value && strcmp(value, expected) == 0;
}

/*
 * An element's text, leading and trailing white space cut, into buf.
 * Returns false when it does not fit.
 */
static bool text_copy(const struct xml_node *node, char *buf, size_t len)
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
			       label, line_of(node), sizeof(vm->name) - 1);
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
	if (!text_copy(node, text, sizeof(text)) ||
	    !uuid_canonical(text, vm->uuid)) {
		char shown[48];

		printable_excerpt(text, shown, sizeof(shown));
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: <uuid> '%s' is not a UUID (expected 32 "
			       "hex digits, e.g. "
			       "4dea22b3-1d52-d8f3-2516-782e98ab3fa0)",
			       label, line_of(node), shown);
	}
	return IQ_OK;
}

/*
 * libvirt's memory units, case-insensitive: b/byte/bytes; a one-letter or
 * "?iB" suffix is a power of 1024, "?B" a power of 1000, the letter being
 * k, m, g, t, p or e. No unit means KiB. Returns 0 for an unknown unit.
 */
static uint64_t memory_unit_scale(const char *unit)
{
	static const char prefixes[] = "kmgtpe";
	const char *prefix;
	uint64_t base, scale = 1;

	if (!unit[0])
		return 1024;
	if (!strcasecmp(unit, "b") || !strcasecmp(unit, "byte") ||
	    !strcasecmp(unit, "bytes"))
		return 1;
	if (!unit[1] || !strcasecmp(unit + 1, "iB"))
		base = 1024;
	else if (tolower((unsigned char)unit[1]) == 'b' && !unit[2])
		base = 1000;
	else
		return 0;
	prefix = strchr(prefixes, tolower((unsigned char)unit[0]));
	if (!prefix)
		return 0;
	for (const char *p = prefixes; p <= prefix; p++)
		scale *= base;
	return scale;
}

static int parse_memory(const struct xml_node *domain, const char *label,
			struct vm_facts *vm, struct iq_err *err)
{
	const struct xml_node *node = xml_child(domain, "memory");
	const char *what = "memory";
	char text[64], unit[16], shown[48];
	bool has_unit, digits;
	uint64_t count = 0, scale, bytes;

	if (!node) {
		node = xml_child(domain, "currentMemory");
		what = "currentMemory";
	}
	if (!node)
		return iq_fail(err, IQ_EREFUSED,
			       "%s: the domain has neither <memory> nor "
			       "<currentMemory> (libvirt requires one)",
			       label);
	if (!attr_copy(node, "unit", unit, sizeof(unit), &has_unit) ||
	    !(scale = memory_unit_scale(unit))) {
		printable_excerpt(unit, shown, sizeof(shown));
		return iq_fail(
			err, IQ_EREFUSED,
			"%s:%ld: <%s unit='%s'>: unknown unit (use b, "
			"KB, k/KiB, MB, M/MiB, GB, G/GiB, TB, T/TiB, PB, "
			"P/PiB, EB or E/EiB)",
			label, line_of(node), what, shown);
	}
	/* Digits only: no sign, no fraction, no hex (as libvirt). */
	if (!text_copy(node, text, sizeof(text)))
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: <%s> value is longer than %zu "
			       "characters: not a whole number of at most 20 "
			       "digits (e.g. <%s unit='GiB'>64</%s>)",
			       label, line_of(node), what, sizeof(text) - 1,
			       what, what);
	digits = text[0] != '\0';

	for (const char *p = text; digits && *p; p++) {
		unsigned digit = (unsigned)(*p - '0');

		if (!isdigit((unsigned char)*p)) {
			digits = false;
		} else if (count > (UINT64_MAX - digit) / 10) {
			return iq_fail(err, IQ_EREFUSED,
				       "%s:%ld: <%s> value is too large", label,
				       line_of(node), what);
		} else {
			count = count * 10 + digit;
		}
	}
	if (!digits) {
		printable_excerpt(text, shown, sizeof(shown));
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: <%s> value '%s' is not a whole number "
			       "(e.g. <%s unit='GiB'>64</%s>)",
			       label, line_of(node), what, shown, what, what);
	}
	/* libvirt keeps memory in KiB, rounding up: so do we. */
	if (count > UINT64_MAX / scale || count * scale > UINT64_MAX - 1023) {
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: <%s> %llu %s is more than 16 EiB",
			       label, line_of(node), what,
			       (unsigned long long)count,
			       has_unit ? unit : "KiB");
	}
	bytes = (count * scale + 1023) / 1024 * 1024;
	if (bytes == 0)
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: <%s> is 0: a domain needs memory",
			       label, line_of(node), what);
	vm->memory_bytes = bytes;
	return IQ_OK;
}

/*
 * A count with a libvirt memory unit (unit_attr; default KiB) from
 * attribute attr of node, in bytes, rounded up to KiB as libvirt does.
 */
static int parse_scaled(const struct xml_node *node, const char *attr,
			const char *unit_attr, const char *what,
			const char *label, uint64_t *bytes, struct iq_err *err)
{
	char text[64], unit[16], shown[48];
	bool present, has_unit;
	uint64_t count = 0, scale;
	char *end;

	if (!attr_copy(node, unit_attr, unit, sizeof(unit), &has_unit) ||
	    !(scale = memory_unit_scale(unit))) {
		printable_excerpt(unit, shown, sizeof(shown));
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: %s %s='%s': unknown unit (use b, KiB, "
			       "MiB, GiB, TiB, ...)",
			       label, line_of(node), what, unit_attr, shown);
	}
	if (!attr_copy(node, attr, text, sizeof(text), &present) || !present ||
	    !isdigit((unsigned char)text[0]) ||
	    (errno = 0, count = strtoull(text, &end, 10), *end) || errno ||
	    count > (UINT64_MAX - 1023) / scale) {
		printable_excerpt(text, shown, sizeof(shown));
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: %s %s='%s' is not a whole number (e.g. "
			       "%s='512' %s='GiB')",
			       label, line_of(node), what, attr, shown, attr,
			       unit_attr);
	}
	*bytes = (count * scale + 1023) / 1024 * 1024;
	return IQ_OK;
}

/*
 * Whether NUMA node id is in a libvirt nodeset ("0", "0-3,5", "0-7,^2").
 * A malformed nodeset: IQ_EREFUSED naming it.
 */
static int nodeset_has(const struct xml_node *page, const char *text,
		       unsigned id, const char *label, bool *has,
		       struct iq_err *err)
{
	bool any = false, excluded = false;
	const char *p = text;

	*has = false;
	while (*p) {
		bool negate = *p == '^';
		unsigned long lo, hi;
		char *end;

		p += negate;
		if (!isdigit((unsigned char)*p))
			goto bad;
		lo = hi = strtoul(p, &end, 10);
		p = end;
		if (*p == '-' && !negate) {
			if (!isdigit((unsigned char)p[1]))
				goto bad;
			hi = strtoul(p + 1, &end, 10);
			p = end;
		}
		if (hi < lo || (*p && *p != ','))
			goto bad;
		if (*p == ',' && !p[1])
			goto bad;
		p += *p == ',';
		if (id >= lo && id <= hi) {
			if (negate)
				excluded = true;
			else
				any = true;
		}
	}
	if (p == text)
		goto bad;
	*has = any && !excluded;
	return IQ_OK;
bad : {
	char shown[48];

	printable_excerpt(text, shown, sizeof(shown));
	return iq_fail(err, IQ_EREFUSED,
		       "%s:%ld: <page nodeset='%s'>: not a NUMA node set "
		       "(e.g. nodeset='0' or '0-1,3')",
		       label, line_of(page), shown);
}
}

/*
 * The page size a guest NUMA node's memory is backed by, as QEMU gets it
 * from libvirt: the <page> whose nodeset holds the node, else the <page>
 * without nodeset, else (a bare <hugepages/>) the host's default size;
 * *huge false when the node is ordinary memory (some <page> elements
 * name other nodes only). page_bytes 0: the host's default size.
 */
static int node_page(const struct xml_node *hugepages, unsigned node,
		     const char *label, bool *huge, uint64_t *page_bytes,
		     struct iq_err *err)
{
	bool any_page = false, have_default = false;
	uint64_t default_bytes = 0;

	*huge = false;
	*page_bytes = 0;
	for (const struct xml_node *page = hugepages->child; page;
	     page = page->next) {
		char nodeset[256];
		bool has_nodeset, has;
		uint64_t bytes;
		int rc;

		if (!is_element(page, "page"))
			continue;
		any_page = true;
		rc = parse_scaled(page, "size", "unit", "<page>", label, &bytes,
				  err);
		if (!rc && bytes == 0)
			rc = iq_fail(err, IQ_EREFUSED,
				     "%s:%ld: <page size='0'>: a page has a "
				     "size",
				     label, line_of(page));
		if (rc)
			return rc;
		if (!attr_copy(page, "nodeset", nodeset, sizeof(nodeset),
			       &has_nodeset))
			return iq_fail(err, IQ_EREFUSED,
				       "%s:%ld: <page nodeset>: too long",
				       label, line_of(page));
		if (!has_nodeset) {
			have_default = true;
			default_bytes = bytes;
			continue;
		}
		rc = nodeset_has(page, nodeset, node, label, &has, err);
		if (rc)
			return rc;
		if (has) {
			*huge = true;
			*page_bytes = bytes;
			return IQ_OK;
		}
	}
	if (have_default || !any_page) {
		*huge = true;
		*page_bytes = default_bytes;
	}
	return IQ_OK;
}

/*
 * Huge page backing per guest NUMA cell (<cpu><numa><cell memory>): each
 * cell's memory is charged to the page size libvirt gives it (node_page),
 * or stays ordinary memory. Memory outside every cell (no <numa>: all of
 * it, node 0) follows node 0's rule without cells, else the default page.
 */
static int parse_hugepages(const struct xml_node *domain, const char *label,
			   struct vm_facts *vm, struct iq_err *err)
{
	const struct xml_node *hugepages =
		xml_child(xml_child(domain, "memoryBacking"), "hugepages");
	const struct xml_node *numa =
		xml_child(xml_child(domain, "cpu"), "numa");
	uint64_t in_cells = 0, page_bytes;
	unsigned index = 0;
	bool huge;
	int rc;

	if (!hugepages)
		return IQ_OK;
	for (const struct xml_node *cell = numa ? numa->child : NULL; cell;
	     cell = cell->next) {
		char id_text[16];
		bool has_id;
		unsigned long id = index;
		uint64_t bytes;

		if (!is_element(cell, "cell"))
			continue;
		if (!attr_copy(cell, "id", id_text, sizeof(id_text), &has_id))
			has_id = false;
		if (has_id) {
			char *end;

			id = strtoul(id_text, &end, 10);
			if (!id_text[0] || *end || id > 65535)
				return iq_fail(err, IQ_EREFUSED,
					       "%s:%ld: <cell id='%s'> is not "
					       "a NUMA node number",
					       label, line_of(cell), id_text);
		}
		index++;
		rc = parse_scaled(cell, "memory", "unit", "<numa><cell>", label,
				  &bytes, err);
		if (!rc)
			rc = node_page(hugepages, (unsigned)id, label, &huge,
				       &page_bytes, err);
		if (!rc && huge)
			rc = vm_add_huge(vm, page_bytes, bytes, err);
		if (rc)
			return rc;
		in_cells += bytes;
	}
	if (in_cells >= vm->memory_bytes)
		return IQ_OK;
	if (index == 0) {
		rc = node_page(hugepages, 0, label, &huge, &page_bytes, err);
	} else {
		/* Beyond the cells: only a page without nodeset applies. */
		rc = node_page(hugepages, UINT_MAX, label, &huge, &page_bytes,
			       err);
	}
	if (!rc && huge)
		rc = vm_add_huge(vm, page_bytes, vm->memory_bytes - in_cells,
				 err);
	return rc;
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
				       label, line_of(node), ICMQUOTA_XMLNS);
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
	if (!text_copy(class_node, vm->class_name, sizeof(vm->class_name)) ||
	    !vm->class_name[0] ||
	    has_control_bytes(vm->class_name, strlen(vm->class_name))) {
		vm->class_name[0] = '\0';
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: <class> in icmquota metadata must be 1 "
			       "to %zu bytes without control characters (or "
			       "leave it out)",
			       label, line_of(class_node),
			       sizeof(vm->class_name) - 1);
	}
	return IQ_OK;
}

/*
 * One address attribute as libvirt reads it (strtoul, base 0): "0x" is hex,
 * a leading "0" octal, else decimal; absent means 0.
 */
static int pci_part(const struct xml_node *address, const char *name,
		    unsigned long max, const char *where, const char *label,
		    unsigned long *value, struct iq_err *err)
{
	char text[32], shown[48];
	bool present;
	char *end;
	unsigned long long parsed;

	*value = 0;
	if (!attr_copy(address, name, text, sizeof(text), &present))
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: %s: %s= is not a number (use hex, "
			       "e.g. bus='0x3b')",
			       label, line_of(address), where, name);
	if (!present)
		return IQ_OK;
	errno = 0;
	parsed = strtoull(text, &end, 0);
	if (!text[0] || strchr(text, '-') || end == text || *end || errno) {
		printable_excerpt(text, shown, sizeof(shown));
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: %s: %s='%s' is not a number (use hex, "
			       "e.g. bus='0x3b')",
			       label, line_of(address), where, name, shown);
	}
	if (parsed > max)
		return iq_fail(
			err, IQ_EREFUSED,
			"%s:%ld: %s: %s='%s' is out of range (0x0-0x%lx)",
			label, line_of(address), where, name, text, max);
	*value = (unsigned long)parsed;
	return IQ_OK;
}

/* The host side of a passthrough device: its <source><address>. */
static int add_source_address(const struct xml_node *device, const char *where,
			      const char *label, struct vm_facts *vm,
			      struct iq_err *err)
{
	const struct xml_node *address =
		xml_child(xml_child(device, "source"), "address");
	unsigned long domain, bus, slot, function;
	char addr[PCI_ADDR_LEN];
	char path[128];
	int rc;

	if (!address)
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: %s: a PCI passthrough device without "
			       "<source><address> (libvirt requires the host "
			       "address)",
			       label, line_of(device), where);
	snprintf(path, sizeof(path), "%s/source/address", where);
	rc = pci_part(address, "domain", PCI_DOMAIN_MAX, path, label, &domain,
		      err);
	if (!rc)
		rc = pci_part(address, "bus", 0xff, path, label, &bus, err);
	if (!rc)
		rc = pci_part(address, "slot", 0x1f, path, label, &slot, err);
	if (!rc)
		rc = pci_part(address, "function", 7, path, label, &function,
			      err);
	if (rc)
		return rc;
	if (!pci_addr_format(domain, bus, slot, function, addr))
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: %s: not a PCI address", label,
			       line_of(address), path);
	rc = vm_add_pci(vm, addr, err);
	if (rc)
		return iq_err_prefix(err, "%s:%ld", label, line_of(address));
	return IQ_OK;
}

/*
 * PCI passthrough: <hostdev mode='subsystem' type='pci'> (mode defaults to
 * subsystem) and <interface type='hostdev'> whose source address is PCI.
 * The guest-side <address> (a direct child) is where the guest sees the
 * device, not which host device it is: never read it. USB, SCSI, mdev and
 * mode='capabilities' hostdevs are not VFs.
 */
static int parse_pci(const struct xml_node *domain, const char *label,
		     struct vm_facts *vm, struct iq_err *err)
{
	const struct xml_node *devices = xml_child(domain, "devices");
	unsigned hostdev_index = 0, interface_index = 0;
	char where[96];

	if (!devices)
		return IQ_OK;
	for (const struct xml_node *dev = devices->child; dev;
	     dev = dev->next) {
		int rc;

		if (is_element(dev, "hostdev")) {
			const char *mode = xml_attr(dev, "mode");
			bool subsystem =
				!mode || strcmp(mode, "subsystem") == 0;

			hostdev_index++;
			if (!subsystem || !attr_equals(dev, "type", "pci"))
				continue;
			snprintf(where, sizeof(where),
				 "/domain/devices/hostdev[%u]", hostdev_index);
		} else if (is_element(dev, "interface")) {
			const struct xml_node *address;

			interface_index++;
			/* Its host device is chosen after prepare. */
			if (attr_equals(dev, "type", "network")) {
				const struct xml_node *alias =
					xml_child(dev, "alias");
				const char *name =
					alias ? xml_attr(alias, "name") : NULL;

				vm->pending_ifaces++;
				/* libvirt names the alias after the actual
				 * type: a VF from a hostdev pool. */
				if (name && !strncmp(name, "hostdev", 7))
					vm->hidden_vfs++;
			}
			if (!attr_equals(dev, "type", "hostdev"))
				continue;
			address =
				xml_child(xml_child(dev, "source"), "address");
			if (address && xml_has_attr(address, "type") &&
			    !attr_equals(address, "type", "pci"))
				continue; /* e.g. a USB network adapter */
			snprintf(where, sizeof(where),
				 "/domain/devices/interface[%u]",
				 interface_index);
		} else {
			continue;
		}
		rc = add_source_address(dev, where, label, vm, err);
		if (rc)
			return rc;
	}
	return IQ_OK;
}

static int facts_from_doc(const struct xml_doc *doc, const char *label,
			  struct vm_facts *vm, struct iq_err *err)
{
	const struct xml_node *root = doc->root;
	int rc;

	if (!root || !is_element(root, "domain")) {
		char shown[48], ns[48];

		printable_excerpt(root ? root->name : "", shown, sizeof(shown));
		printable_excerpt(root && root->ns ? root->ns : "", ns,
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
		rc = parse_memory(root, label, vm, err);
	if (!rc)
		rc = parse_class(root, label, vm, err);
	if (!rc)
		rc = parse_pci(root, label, vm, err);
	if (!rc)
		rc = parse_hugepages(root, label, vm, err);
	return rc;
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
	snprintf(vm->source, sizeof(vm->source), "%s", label);
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
