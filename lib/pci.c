// SPDX-License-Identifier: MIT
#include "lib/pci.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool pci_addr_format(unsigned long domain, unsigned long bus,
		     unsigned long slot, unsigned long function,
		     char out[PCI_ADDR_LEN])
{
	static const char hex[] = "0123456789abcdef";

	if (domain > PCI_DOMAIN_MAX || bus > 0xff || slot > 0x1f ||
	    function > 7)
		return false;
	/* Domains past 16 bits (Intel VMD) take as many digits as needed,
	 * as the kernel writes them. */
	if (domain > 0xffff) {
		snprintf(out, PCI_ADDR_LEN, "%04lx:%02lx:%02lx.%lx", domain,
			 bus, slot, function);
		return true;
	}
	/* "%04lx:%02lx:%02lx.%lx" by hand: discovery formats every VF. */
	out[0] = hex[(domain >> 12) & 0xf];
	out[1] = hex[(domain >> 8) & 0xf];
	out[2] = hex[(domain >> 4) & 0xf];
	out[3] = hex[domain & 0xf];
	out[4] = ':';
	out[5] = hex[bus >> 4];
	out[6] = hex[bus & 0xf];
	out[7] = ':';
	out[8] = hex[slot >> 4];
	out[9] = hex[slot & 0xf];
	out[10] = '.';
	out[11] = hex[function];
	out[12] = '\0';
	return true;
}

/*
 * Parse 1..max_digits hex digits ending at a delimiter. A domain may carry
 * leading zeros beyond that (libvirt and lspci write "00010000").
 */
static bool parse_hex_part(const char **p, unsigned max_digits, char delim,
			   bool leading_zeros, unsigned long *value)
{
	const char *s = *p;
	unsigned n = 0, significant = 0;

	*value = 0;
	while (isxdigit((unsigned char)s[n])) {
		significant += *value != 0 || s[n] != '0';
		if ((leading_zeros ? significant : n + 1) > max_digits ||
		    n >= 32)
			return false;
		*value =
			*value * 16 +
			(unsigned long)(isdigit((unsigned char)s[n])
						? s[n] - '0'
						: tolower((unsigned char)s[n]) -
							  'a' + 10);
		n++;
	}
	if (n == 0 || s[n] != delim)
		return false;
	*p = s + n + (delim ? 1 : 0);
	return true;
}

/* A lowercase hex digit's value (is_normal checked it is one). */
static unsigned hex_value(char c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
}

/* "dddd:bb:ss.f" as pci_addr_format writes it (lowercase, in range). */
static bool is_normal(const char *in)
{
	static const char shape[] = "xxxx:xx:xx.x";

	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		char c = in[i];

		if (shape[i] != 'x' ? c != shape[i]
				    : !((c >= '0' && c <= '9') ||
					(c >= 'a' && c <= 'f')))
			return false;
	}
	return in[12] == '\0' && (in[8] == '0' || in[8] == '1') &&
	       in[11] >= '0' && in[11] <= '7';
}

bool pci_addr_normalize(const char *in, char out[PCI_ADDR_LEN])
{
	unsigned long domain = 0, bus, slot, function;
	const char *p = in;
	int colons = 0;

	if (!in)
		return false;
	/* Journals, caches and sysfs names are normal already: copied. */
	if (is_normal(in)) {
		memcpy(out, in, 13);
		return true;
	}
	for (const char *c = in; *c; c++)
		colons += *c == ':';
	if (colons == 2 && !parse_hex_part(&p, 8, ':', true, &domain))
		return false;
	if (colons != 1 && colons != 2)
		return false;
	if (!parse_hex_part(&p, 2, ':', false, &bus) ||
	    !parse_hex_part(&p, 2, '.', false, &slot) ||
	    !parse_hex_part(&p, 1, '\0', false, &function))
		return false;
	return pci_addr_format(domain, bus, slot, function, out);
}

bool pci_vf_addr(const char *pf, unsigned long offset, unsigned long stride,
		 unsigned index, char out[PCI_ADDR_LEN])
{
	unsigned long domain, bus, slot, function, rid;
	const char *p = pf;

	if (!pf || offset > 0xffff || stride > 0xffff)
		return false;
	if (is_normal(pf)) {
		/* Read in place: discovery asks this for every cached VF. */
		domain = (unsigned long)(hex_value(pf[0]) << 12 |
					 hex_value(pf[1]) << 8 |
					 hex_value(pf[2]) << 4 |
					 hex_value(pf[3]));
		bus = (unsigned long)(hex_value(pf[5]) << 4 | hex_value(pf[6]));
		slot = (unsigned long)(hex_value(pf[8]) << 4 |
				       hex_value(pf[9]));
		function = (unsigned long)hex_value(pf[11]);
	} else if (strlen(pf) >= PCI_ADDR_LEN ||
		   !parse_hex_part(&p, 8, ':', true, &domain) ||
		   !parse_hex_part(&p, 2, ':', false, &bus) ||
		   !parse_hex_part(&p, 2, '.', false, &slot) ||
		   !parse_hex_part(&p, 1, '\0', false, &function) ||
		   slot > 0x1f || function > 7) {
		return false;
	}
	rid = (bus << 8 | slot << 3 | function) + offset +
	      (unsigned long)index * stride;
	return rid <= 0xffff &&
	       pci_addr_format(domain, rid >> 8, (rid >> 3) & 0x1f, rid & 7,
			       out);
}

int pci_addr_cmp(const char *a, const char *b)
{
	size_t la = strcspn(a, ":"), lb = strcspn(b, ":");

	/* Normalised domains have no leading zeros past 4 digits: a longer
	 * one is larger. */
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}
