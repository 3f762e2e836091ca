// SPDX-License-Identifier: MIT
/*
 * A libvirt domain's memory: <memory> (or <currentMemory>) with libvirt's
 * units, and its huge page backing per guest NUMA cell (<memoryBacking>
 * <hugepages><page size nodeset>, <cpu><numa><cell memory>), charged to
 * the page size QEMU gets from libvirt and to the host nodes <numatune>
 * binds the cell to. Numbers and units are parsed as libvirt parses them,
 * rounded up to KiB as libvirt keeps them.
 */
#include "controller/sources/vm.h"
#include "controller/sources/vm_libvirt_xml.h"
#include "controller/sources/xml_tree.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

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

int lvxml_parse_memory(const struct xml_node *domain, const char *label,
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
	if (!lvxml_attr_copy(node, "unit", unit, sizeof(unit), &has_unit) ||
	    !(scale = memory_unit_scale(unit))) {
		lvxml_printable_excerpt(unit, shown, sizeof(shown));
		return iq_fail(
			err, IQ_EREFUSED,
			"%s:%ld: <%s unit='%s'>: unknown unit (use b, "
			"KB, k/KiB, MB, M/MiB, GB, G/GiB, TB, T/TiB, PB, "
			"P/PiB, EB or E/EiB)",
			label, lvxml_line_of(node), what, shown);
	}
	/* Digits only: no sign, no fraction, no hex (as libvirt). */
	if (!lvxml_text_copy(node, text, sizeof(text)))
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: <%s> value is longer than %zu "
			       "characters: not a whole number of at most 20 "
			       "digits (e.g. <%s unit='GiB'>64</%s>)",
			       label, lvxml_line_of(node), what,
			       sizeof(text) - 1, what, what);
	digits = text[0] != '\0';

	for (const char *p = text; digits && *p; p++) {
		unsigned digit = (unsigned)(*p - '0');

		if (!isdigit((unsigned char)*p)) {
			digits = false;
		} else if (count > (UINT64_MAX - digit) / 10) {
			return iq_fail(err, IQ_EREFUSED,
				       "%s:%ld: <%s> value is too large", label,
				       lvxml_line_of(node), what);
		} else {
			count = count * 10 + digit;
		}
	}
	if (!digits) {
		lvxml_printable_excerpt(text, shown, sizeof(shown));
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: <%s> value '%s' is not a whole number "
			       "(e.g. <%s unit='GiB'>64</%s>)",
			       label, lvxml_line_of(node), what, shown, what,
			       what);
	}
	/* libvirt keeps memory in KiB, rounding up: so do we. */
	if (count > UINT64_MAX / scale || count * scale > UINT64_MAX - 1023) {
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: <%s> %llu %s is more than 16 EiB",
			       label, lvxml_line_of(node), what,
			       (unsigned long long)count,
			       has_unit ? unit : "KiB");
	}
	bytes = (count * scale + 1023) / 1024 * 1024;
	if (bytes == 0)
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: <%s> is 0: a domain needs memory",
			       label, lvxml_line_of(node), what);
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

	if (!lvxml_attr_copy(node, unit_attr, unit, sizeof(unit), &has_unit) ||
	    !(scale = memory_unit_scale(unit))) {
		lvxml_printable_excerpt(unit, shown, sizeof(shown));
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: %s %s='%s': unknown unit (use b, KiB, "
			       "MiB, GiB, TiB, ...)",
			       label, lvxml_line_of(node), what, unit_attr,
			       shown);
	}
	if (!lvxml_attr_copy(node, attr, text, sizeof(text), &present) ||
	    !present || !isdigit((unsigned char)text[0]) ||
	    (errno = 0, count = strtoull(text, &end, 10), *end) || errno ||
	    count > (UINT64_MAX - 1023) / scale) {
		lvxml_printable_excerpt(text, shown, sizeof(shown));
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: %s %s='%s' is not a whole number (e.g. "
			       "%s='512' %s='GiB')",
			       label, lvxml_line_of(node), what, attr, shown,
			       attr, unit_attr);
	}
	*bytes = (count * scale + 1023) / 1024 * 1024;
	return IQ_OK;
}

/*
 * The next range of a libvirt node set ("0", "0-3,5", "0-7,^2") at *p,
 * moved past it and its comma: [lo, hi], negate for "^N" (never a range).
 * false: the set is malformed there.
 */
static bool nodeset_range(const char **p, bool *negate, unsigned long *lo,
			  unsigned long *hi)
{
	const char *s = *p;
	char *end;

	bool neg = *s == '^';

	if (neg)
		s++;
	*negate = neg;
	if (!isdigit((unsigned char)*s))
		return false;
	*lo = *hi = strtoul(s, &end, 10);
	s = end;
	if (*s == '-' && !neg) {
		if (!isdigit((unsigned char)s[1]))
			return false;
		*hi = strtoul(s + 1, &end, 10);
		s = end;
	}
	if (*hi < *lo || (*s && *s != ',') || (*s == ',' && !s[1]))
		return false;
	*p = s + (*s == ',');
	return true;
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
		bool negate;
		unsigned long lo, hi;

		if (!nodeset_range(&p, &negate, &lo, &hi))
			goto bad;
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

	lvxml_printable_excerpt(text, shown, sizeof(shown));
	return iq_fail(err, IQ_EREFUSED,
		       "%s:%ld: <page nodeset='%s'>: not a NUMA node set "
		       "(e.g. nodeset='0' or '0-1,3')",
		       label, lvxml_line_of(page), shown);
}
}

/*
 * A <page> of the system's page size (4 KiB on x86_64) is no huge page:
 * libvirt backs that memory as if no huge pages were asked for
 * (qemuBuildMemoryBackendProps compares with virGetSystemPageSizeKB).
 */
static bool is_system_page(uint64_t bytes)
{
	long sys = sysconf(_SC_PAGESIZE);

	return sys > 0 && bytes == (uint64_t)sys;
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

		if (!lvxml_is_element(page, "page"))
			continue;
		any_page = true;
		rc = parse_scaled(page, "size", "unit", "<page>", label, &bytes,
				  err);
		if (!rc && bytes == 0)
			rc = iq_fail(err, IQ_EREFUSED,
				     "%s:%ld: <page size='0'>: a page has a "
				     "size",
				     label, lvxml_line_of(page));
		if (rc)
			return rc;
		if (!lvxml_attr_copy(page, "nodeset", nodeset, sizeof(nodeset),
				     &has_nodeset))
			return iq_fail(err, IQ_EREFUSED,
				       "%s:%ld: <page nodeset>: too long",
				       label, lvxml_line_of(page));
		if (!has_nodeset) {
			have_default = true;
			default_bytes = bytes;
			continue;
		}
		rc = nodeset_has(page, nodeset, node, label, &has, err);
		if (rc)
			return rc;
		if (has) {
			*huge = !is_system_page(bytes);
			*page_bytes = *huge ? bytes : 0;
			return IQ_OK;
		}
	}
	if (have_default || !any_page) {
		*huge = !have_default || !is_system_page(default_bytes);
		*page_bytes = *huge ? default_bytes : 0;
	}
	return IQ_OK;
}

/*
 * A host node set of <numatune> ("0-1", "0-7,^3") as a mask of nodes
 * 0..63. A set naming a node of 64 or more is 0 (any node): such a VM is
 * checked against the host's pools as a whole. Malformed or empty:
 * IQ_EREFUSED naming the element.
 */
static int host_nodeset(const struct xml_node *el, const char *text,
			const char *label, uint64_t *mask, struct iq_err *err)
{
	uint64_t in = 0, out = 0;
	bool beyond = false;
	const char *p = text;

	while (*p) {
		bool negate;
		unsigned long lo, hi;

		if (!nodeset_range(&p, &negate, &lo, &hi))
			goto bad;
		beyond |= !negate && hi >= 64;
		for (unsigned long id = lo; id <= hi && id < 64; id++) {
			if (negate)
				out |= 1ULL << id;
			else
				in |= 1ULL << id;
		}
	}
	if (p == text || (!beyond && !(in & ~out)))
		goto bad;
	*mask = beyond ? 0 : in & ~out;
	return IQ_OK;
bad : {
	char shown[48];

	lvxml_printable_excerpt(text, shown, sizeof(shown));
	return iq_fail(err, IQ_EREFUSED,
		       "%s:%ld: <numatune><%s nodeset='%s'>: not a set of host "
		       "NUMA nodes (e.g. nodeset='0' or '0-1,3')",
		       label, lvxml_line_of(el), el->name, shown);
}
}

/*
 * The host nodes a <numatune> element (<memory> or <memnode>) binds
 * memory to: its nodeset when mode is strict (libvirt's default) or
 * restrictive, where the kernel takes huge pages from those nodes' pools
 * only (mempolicy MPOL_BIND, cgroup cpuset.mems). interleave and
 * preferred fall back to other nodes, placement='auto' leaves the nodes
 * to numad at start: any node (0), as without <numatune>.
 */
static int numatune_nodes(const struct xml_node *el, const char *label,
			  uint64_t *mask, struct iq_err *err)
{
	char mode[32], nodeset[256];
	bool has_mode, has_nodeset;

	*mask = 0;
	if (!el)
		return IQ_OK;
	if (!lvxml_attr_copy(el, "mode", mode, sizeof(mode), &has_mode))
		has_mode = false, mode[0] = '\0';
	if (has_mode && strcmp(mode, "strict") && strcmp(mode, "restrictive"))
		return IQ_OK;
	if (!lvxml_attr_copy(el, "nodeset", nodeset, sizeof(nodeset),
			     &has_nodeset))
		return iq_fail(err, IQ_EREFUSED,
			       "%s:%ld: <numatune><%s nodeset>: too long",
			       label, lvxml_line_of(el), el->name);
	if (!has_nodeset || lvxml_attr_equals(el, "placement", "auto"))
		return IQ_OK;
	return host_nodeset(el, nodeset, label, mask, err);
}

/*
 * The host nodes guest cell cell's memory is bound to: its <memnode
 * cellid> when there is one, else <numatune><memory>. Memory outside the
 * cells (cell UINT_MAX) follows <memory>.
 */
static int cell_host_nodes(const struct xml_node *domain, unsigned cell,
			   const char *label, uint64_t *mask,
			   struct iq_err *err)
{
	const struct xml_node *numatune = xml_child(domain, "numatune");

	for (const struct xml_node *el = numatune ? numatune->child : NULL;
	     el && cell != UINT_MAX; el = el->next) {
		char id[16], *end;
		bool has_id;

		if (!lvxml_is_element(el, "memnode") ||
		    !lvxml_attr_copy(el, "cellid", id, sizeof(id), &has_id) ||
		    !has_id || !isdigit((unsigned char)id[0]))
			continue;
		if (strtoul(id, &end, 10) == cell && !*end)
			return numatune_nodes(el, label, mask, err);
	}
	return numatune_nodes(xml_child(numatune, "memory"), label, mask, err);
}

/*
 * Huge page backing per guest NUMA cell (<cpu><numa><cell memory>): each
 * cell's memory is charged to the page size libvirt gives it (node_page)
 * and the host nodes <numatune> binds it to (cell_host_nodes), or stays
 * ordinary memory. Memory outside every cell (no <numa>: all of it, node
 * 0) follows node 0's rule without cells, else the default page.
 */
int lvxml_parse_hugepages(const struct xml_node *domain, const char *label,
			  struct vm_facts *vm, struct iq_err *err)
{
	const struct xml_node *hugepages =
		xml_child(xml_child(domain, "memoryBacking"), "hugepages");
	const struct xml_node *numa =
		xml_child(xml_child(domain, "cpu"), "numa");
	uint64_t in_cells = 0, page_bytes, nodes = 0;
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

		if (!lvxml_is_element(cell, "cell"))
			continue;
		if (!lvxml_attr_copy(cell, "id", id_text, sizeof(id_text),
				     &has_id))
			has_id = false;
		if (has_id) {
			char *end;

			id = strtoul(id_text, &end, 10);
			if (!id_text[0] || *end || id > 65535)
				return iq_fail(err, IQ_EREFUSED,
					       "%s:%ld: <cell id='%s'> is not "
					       "a NUMA node number",
					       label, lvxml_line_of(cell),
					       id_text);
		}
		index++;
		rc = parse_scaled(cell, "memory", "unit", "<numa><cell>", label,
				  &bytes, err);
		if (!rc)
			rc = node_page(hugepages, (unsigned)id, label, &huge,
				       &page_bytes, err);
		if (!rc && huge)
			rc = cell_host_nodes(domain, (unsigned)id, label,
					     &nodes, err);
		if (!rc && huge)
			rc = vm_add_huge(vm, page_bytes, nodes, bytes, err);
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
		rc = cell_host_nodes(domain, UINT_MAX, label, &nodes, err);
	if (!rc && huge)
		rc = vm_add_huge(vm, page_bytes, nodes,
				 vm->memory_bytes - in_cells, err);
	return rc;
}
