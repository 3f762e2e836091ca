// SPDX-License-Identifier: MIT
#include "lib/size.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct size_unit {
	const char *suffix;
	uint64_t mult;
};

static const struct size_unit size_units[] = {
	{"", 1},
	{"B", 1},
	{"k", 1ULL << 10},
	{"K", 1ULL << 10},
	{"KiB", 1ULL << 10},
	{"M", 1ULL << 20},
	{"MiB", 1ULL << 20},
	{"G", 1ULL << 30},
	{"GiB", 1ULL << 30},
	{"T", 1ULL << 40},
	{"TiB", 1ULL << 40},
};

/* Decimal units, for workload sizes as vendors write them ("40 GB"). */
static const struct size_unit decimal_units[] = {
	{"KB", 1000ULL},
	{"MB", 1000ULL * 1000},
	{"GB", 1000ULL * 1000 * 1000},
	{"TB", 1000ULL * 1000 * 1000 * 1000},
};

static bool parse_units(const char *text, uint64_t *bytes, bool decimal,
			const char **why)
{
	const char *p = text;
	uint64_t whole = 0;
	uint64_t frac_num = 0, frac_den = 1;
	bool digits = false;

	if (!text || !*text) {
		*why = "empty size";
		return false;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (strcmp(p, "unlimited") == 0) {
		*bytes = IQ_UNLIMITED;
		return true;
	}
	if (*p == '-') {
		*why = "negative size";
		return false;
	}
	while (isdigit((unsigned char)*p)) {
		if (whole > (UINT64_MAX - 9) / 10) {
			*why = "size too large";
			return false;
		}
		whole = whole * 10 + (uint64_t)(*p - '0');
		p++;
		digits = true;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (frac_den < 1000000000ULL) {
				frac_num = frac_num * 10 + (uint64_t)(*p - '0');
				frac_den *= 10;
			}
			p++;
			digits = true;
		}
	}
	if (!digits) {
		*why = "not a number";
		return false;
	}
	while (*p == ' ')
		p++;
	for (size_t i = 0;
	     i <
	     sizeof(size_units) / sizeof(size_units[0]) +
		     (decimal ? sizeof(decimal_units) / sizeof(decimal_units[0])
			      : 0);
	     i++) {
		size_t nbin = sizeof(size_units) / sizeof(size_units[0]);
		const struct size_unit *u =
			i < nbin ? &size_units[i] : &decimal_units[i - nbin];
		uint64_t mult = u->mult;
		unsigned __int128 total;

		if (strcmp(p, u->suffix) != 0)
			continue;
		total = (unsigned __int128)whole * mult +
			((unsigned __int128)frac_num * mult + frac_den / 2) /
				frac_den;
		if (total >= IQ_UNLIMITED) {
			*why = "size too large";
			return false;
		}
		*bytes = (uint64_t)total;
		return true;
	}
	/* A decimal unit where only binary ones are taken: say so, or
	 * "8GB" reads like a typo of a unit the user did write. */
	for (size_t i = 0;
	     !decimal && i < sizeof(decimal_units) / sizeof(decimal_units[0]);
	     i++) {
		if (strcmp(p, decimal_units[i].suffix) == 0) {
			*why = "bad unit: decimal KB, MB, GB, TB are not taken "
			       "here (use B, KiB, MiB, GiB or TiB, powers of "
			       "1024)";
			return false;
		}
	}
	*why = decimal ? "bad unit (use B, KiB, MiB, GiB, TiB, KB, MB, GB, TB "
			 "or unlimited)"
		       : "bad unit (use B, KiB, MiB, GiB, TiB or unlimited)";
	return false;
}

bool size_parse(const char *text, uint64_t *bytes, const char **why)
{
	return parse_units(text, bytes, false, why);
}

bool size_parse_decimal(const char *text, uint64_t *bytes, const char **why)
{
	return parse_units(text, bytes, true, why);
}

void size_format(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B",   "KiB", "MiB", "GiB",
					    "TiB", "PiB", "EiB"};
	unsigned u = 0;
	double v = (double)bytes;

	if (bytes == IQ_UNLIMITED) {
		snprintf(buf, len, "unlimited");
		return;
	}
	while (v >= 1024.0 && u < 6) {
		v /= 1024.0;
		u++;
	}
	/*
	 * A whole number of the unit (caps and budgets nearly always are):
	 * "%.1f" would print "N.0"; written by hand, as a plan of 1,016 VFs
	 * formats two sizes a row. v < 1024 is exact then (N < 2^10 times
	 * a power of two), so the unit is the one the loop picked.
	 */
	if (u > 0 && bytes % (1ull << (10 * u)) == 0) {
		uint64_t n = bytes >> (10 * u);
		char digits[8];
		int nd = 0;

		do {
			digits[nd++] = (char)('0' + n % 10);
			n /= 10;
		} while (n);
		if (len < (size_t)nd + 6) {
			snprintf(buf, len, "%.1f%s", v, units[u]);
			return;
		}
		for (int i = 0; i < nd; i++)
			buf[i] = digits[nd - 1 - i];
		memcpy(buf + nd, ".0", 2);
		strcpy(buf + nd + 2, units[u]);
		return;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 "B", bytes);
	else
		snprintf(buf, len, "%.1f%s", v, units[u]);
}

void size_format_signed(int64_t bytes, char *buf, size_t len)
{
	if (bytes < 0) {
		buf[0] = '-';
		size_format((uint64_t)(-(bytes + 1)) + 1, buf + 1, len - 1);
	} else {
		size_format((uint64_t)bytes, buf, len);
	}
}

uint32_t icm_bytes_to_pages(uint64_t bytes)
{
	uint64_t pages;

	if (bytes == IQ_UNLIMITED)
		return PRM_ICM_UNLIMITED;
	/* Round up without wrapping near UINT64_MAX. */
	pages = bytes / ICM_PAGE_BYTES + (bytes % ICM_PAGE_BYTES != 0);
	/* The largest finite cap the register can hold. */
	if (pages >= PRM_ICM_UNLIMITED)
		return PRM_ICM_UNLIMITED - 1;
	return (uint32_t)pages;
}

uint64_t icm_pages_to_bytes(uint32_t pages)
{
	if (pages == PRM_ICM_UNLIMITED)
		return IQ_UNLIMITED;
	return (uint64_t)pages * ICM_PAGE_BYTES;
}
