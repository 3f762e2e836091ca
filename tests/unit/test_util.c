// SPDX-License-Identifier: MIT
/*
 * lib/ (pci.c, size.c, file.c): PCI addresses (short forms, case, every malformed
 * shape), sizes both ways (every unit, decimals rounded to the byte,
 * "unlimited", overflow), bytes <-> ICM pages (rounding up, the PRM's
 * unlimited, the clamp to the largest finite cap), path joining under a
 * root, sysfs-style reads, the crash-safe write (old content kept and no
 * temporary left on failure), mkdir -p, globs and SHA-256.
 */
#include "lib/digest.h"
#include "lib/dynlib.h"
#include "lib/file.h"
#include "lib/pci.h"
#include "lib/size.h"
#include "lib/text.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/test.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)

static char tmpdir[PATH_MAX];

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/iq-test-util-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		exit(1);
	}
}

static void remove_tmpdir(void)
{
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void in_tmp(char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s/%s", tmpdir, rel);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

/* Entries of tmpdir other than . and .. */
static unsigned count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* --- PCI addresses -------------------------------------------------------- */

static bool normalizes_to(const char *in, const char *expected)
{
	char out[PCI_ADDR_LEN] = "";

	return pci_addr_normalize(in, out) && strcmp(out, expected) == 0;
}

static bool rejected(const char *in)
{
	char out[PCI_ADDR_LEN];

	return !pci_addr_normalize(in, out);
}

static void test_pci_normalize(void)
{
	char out[PCI_ADDR_LEN];

	CHECK(normalizes_to("0000:3b:00.2", "0000:3b:00.2"));
	/* Short form: domain 0. */
	CHECK(normalizes_to("3b:00.2", "0000:3b:00.2"));
	/* Upper case in, lower case out. */
	CHECK(normalizes_to("0000:3B:1F.7", "0000:3b:1f.7"));
	CHECK(normalizes_to("ABCD:EF:1f.0", "abcd:ef:1f.0"));
	/* Parts shorter than their width are zero-padded. */
	CHECK(normalizes_to("1:2:3.4", "0001:02:03.4"));
	CHECK(normalizes_to("b:0.1", "0000:0b:00.1"));
	/* The extremes of every part. */
	CHECK(normalizes_to("ffff:ff:1f.7", "ffff:ff:1f.7"));
	CHECK(normalizes_to("0:0:0.0", "0000:00:00.0"));
	CHECK(pci_addr_normalize("0000:3b:00.2", out));
	CHECK_U64(strlen(out), 12);
	/* Domains wider than 16 bits (Intel VMD, libvirt up to 0xffffffff):
	 * written as sysfs names them, 4 digits or as many as needed. */
	CHECK(normalizes_to("10000:01:00.0", "10000:01:00.0"));
	CHECK(normalizes_to("10001:E1:00.0", "10001:e1:00.0"));
	CHECK(normalizes_to("00010000:3b:00.2", "10000:3b:00.2"));
	CHECK(normalizes_to("00000:3b:00.2", "0000:3b:00.2"));
	CHECK(normalizes_to("000000000000ffff:3b:00.2", "ffff:3b:00.2"));
	CHECK(normalizes_to("ffffffff:ff:1f.7", "ffffffff:ff:1f.7"));
	CHECK(pci_addr_normalize("ffffffff:ff:1f.7", out));
	CHECK_U64(strlen(out), PCI_ADDR_LEN - 1);

	/* Too many digits in a part; a domain above 32 bits. */
	CHECK(rejected("100000000:3b:00.2"));
	CHECK(rejected("fffffffff:3b:00.2"));
	CHECK(rejected("0000:3bb:00.2"));
	CHECK(rejected("0000:3b:000.2"));
	CHECK(rejected("0000:3b:00.02"));
	/* Missing parts. */
	CHECK(rejected("0000:3b:00"));
	CHECK(rejected("3b:00"));
	CHECK(rejected("0000:3b:00."));
	CHECK(rejected(":3b:00.2"));
	CHECK(rejected("0000::00.2"));
	CHECK(rejected("0000:3b:.2"));
	CHECK(rejected("3b.00.2"));
	CHECK(rejected("3b"));
	/* Out of range: function above 7, slot above 0x1f. */
	CHECK(rejected("0000:3b:00.8"));
	CHECK(rejected("0000:3b:00.f"));
	CHECK(rejected("0000:3b:20.0"));
	CHECK(rejected("3b:ff.0"));
	/* Garbage, separators in the wrong places, too many colons. */
	CHECK(rejected("zz:00.0"));
	CHECK(rejected("0x3b:00.2"));
	CHECK(rejected("0000:3b:00.2x"));
	CHECK(rejected("0000:3b:00.2 "));
	CHECK(rejected("0000:3b:00:2"));
	CHECK(rejected("0:0000:3b:00.2"));
	CHECK(rejected("0000-3b-00.2"));
	CHECK(rejected("mlx5_0"));
	CHECK(rejected(""));
	CHECK(rejected(NULL));
}

static void test_pci_format(void)
{
	char out[PCI_ADDR_LEN] = "";

	CHECK(pci_addr_format(0, 0x3b, 0, 2, out));
	CHECK_STR(out, "0000:3b:00.2");
	CHECK(pci_addr_format(0xffff, 0xff, 0x1f, 7, out));
	CHECK_STR(out, "ffff:ff:1f.7");
	CHECK(pci_addr_format(0x10, 0xa, 0x1, 0, out));
	CHECK_STR(out, "0010:0a:01.0");
	/* Out of range: false, out untouched. */
	snprintf(out, sizeof(out), "unchanged");
	CHECK(!pci_addr_format(0x100000000UL, 0, 0, 0, out));
	CHECK(!pci_addr_format(0, 0x100, 0, 0, out));
	CHECK(!pci_addr_format(0, 0, 0x20, 0, out));
	CHECK(!pci_addr_format(0, 0, 0, 8, out));
	CHECK_STR(out, "unchanged");
	CHECK(pci_addr_format(0x10000, 0x3b, 0, 0, out));
	CHECK_STR(out, "10000:3b:00.0");
	CHECK(pci_addr_format(0xffffffffUL, 0, 0, 0, out));
	CHECK_STR(out, "ffffffff:00:00.0");
}

/*
 * VF addresses as the kernel gives them (drivers/pci/iov.c), in the shapes
 * ConnectX hosts have: a dual-port card's two PFs on one bus, the second
 * PF's VFs after the first's (sriov_offset 2 and 9, stride 1, 8 VFs
 * each); VFs past a bus; a VMD domain.
 */
static void test_pci_vf_addr(void)
{
	char out[PCI_ADDR_LEN];

	CHECK(pci_vf_addr("0000:3b:00.0", 2, 1, 0, out));
	CHECK_STR(out, "0000:3b:00.2");
	CHECK(pci_vf_addr("0000:3b:00.0", 2, 1, 6, out));
	CHECK_STR(out, "0000:3b:01.0");
	CHECK(pci_vf_addr("0000:3b:00.1", 9, 1, 0, out));
	CHECK_STR(out, "0000:3b:01.2");
	CHECK(pci_vf_addr("0000:3b:00.1", 9, 1, 7, out));
	CHECK_STR(out, "0000:3b:02.1");
	/* 127 VFs at offset 1: the last is 0c:0f.7 (the fleet shape). */
	CHECK(pci_vf_addr("0000:0c:00.0", 1, 1, 126, out));
	CHECK_STR(out, "0000:0c:0f.7");
	/* Past the PF's bus: the routing ID carries into the bus number. */
	CHECK(pci_vf_addr("0000:af:00.0", 1, 1, 255, out));
	CHECK_STR(out, "0000:b0:00.0");
	CHECK(pci_vf_addr("0000:3b:00.0", 2, 4, 3, out));
	CHECK_STR(out, "0000:3b:01.6");
	CHECK(pci_vf_addr("10000:e1:00.0", 1, 1, 0, out));
	CHECK_STR(out, "10000:e1:00.1");
	/* Past bus ff, or no address: no answer. */
	CHECK(!pci_vf_addr("0000:ff:00.0", 1, 1, 255, out));
	CHECK(!pci_vf_addr("3b:00.0", 2, 1, 0, out));
	CHECK(!pci_vf_addr("0000:3b:00.8", 2, 1, 0, out));
	CHECK(!pci_vf_addr("0000:3b:00.0x", 2, 1, 0, out));
	CHECK(!pci_vf_addr(NULL, 2, 1, 0, out));
}

static void test_pci_cmp(void)
{
	/* By number, not by text: ffff sorts before 10000. */
	CHECK(pci_addr_cmp("ffff:00:00.0", "10000:00:00.0") < 0);
	CHECK(pci_addr_cmp("10000:00:00.0", "ffff:00:00.0") > 0);
	CHECK(pci_addr_cmp("0000:3b:00.0", "0000:3b:00.1") < 0);
	CHECK(pci_addr_cmp("10001:01:00.0", "10000:ff:00.0") > 0);
	CHECK(pci_addr_cmp("10000:3b:00.0", "10000:3b:00.0") == 0);
}

/* --- sizes ---------------------------------------------------------------- */

static bool parses_to(const char *text, uint64_t expected)
{
	const char *why = NULL;
	uint64_t bytes = 0;

	if (!size_parse(text, &bytes, &why)) {
		fprintf(stderr, "size_parse(\"%s\"): %s\n", text, why);
		return false;
	}
	if (bytes != expected)
		fprintf(stderr, "size_parse(\"%s\") = %llu, expected %llu\n",
			text, (unsigned long long)bytes,
			(unsigned long long)expected);
	return bytes == expected;
}

/* Refused with a reason containing want. */
static bool refused_because(const char *text, const char *want)
{
	const char *why = NULL;
	uint64_t bytes = 12345;

	if (size_parse(text, &bytes, &why)) {
		fprintf(stderr, "size_parse(\"%s\") accepted: %llu\n",
			text ? text : "(null)", (unsigned long long)bytes);
		return false;
	}
	if (!why || !strstr(why, want)) {
		fprintf(stderr, "size_parse(\"%s\"): \"%s\" lacks \"%s\"\n",
			text ? text : "(null)", why ? why : "(null)", want);
		return false;
	}
	return true;
}

static void test_size_parse_units(void)
{
	CHECK(parses_to("0", 0));
	CHECK(parses_to("4096", 4096));
	CHECK(parses_to("4096B", 4096));
	CHECK(parses_to("1k", KiB));
	CHECK(parses_to("1K", KiB));
	CHECK(parses_to("3KiB", 3 * KiB));
	CHECK(parses_to("256M", 256 * MiB));
	CHECK(parses_to("256MiB", 256 * MiB));
	CHECK(parses_to("8G", 8 * GiB));
	CHECK(parses_to("8GiB", 8 * GiB));
	CHECK(parses_to("2T", 2 * TiB));
	CHECK(parses_to("2TiB", 2 * TiB));
	CHECK(parses_to("unlimited", IQ_UNLIMITED));
	/* Leading spaces, and spaces between the number and the unit. */
	CHECK(parses_to("  8GiB", 8 * GiB));
	CHECK(parses_to("8 GiB", 8 * GiB));
	CHECK(parses_to(" unlimited", IQ_UNLIMITED));
}

static void test_size_parse_decimals(void)
{
	CHECK(parses_to("1.5GiB", 3 * GiB / 2));
	CHECK(parses_to("1.5G", 1610612736ULL));
	CHECK(parses_to("0.5KiB", 512));
	CHECK(parses_to(".5KiB", 512));
	CHECK(parses_to("1.25MiB", 1310720));
	CHECK(parses_to("2.", 2));
	CHECK(parses_to("2.0TiB", 2 * TiB));
	/* Fractions of a byte round to the nearest byte, half up. */
	CHECK(parses_to("1.5B", 2));
	CHECK(parses_to("1.4B", 1));
	CHECK(parses_to("1.0005KiB", 1025)); /* 1024.512 */
	CHECK(parses_to("1.0004KiB", 1024)); /* 1024.4096 */
	CHECK(parses_to("0.001KiB", 1));     /* 1.024 */
	/* Digits past the ninth decimal do not matter. */
	CHECK(parses_to("1.0000000001GiB", GiB));
}

static void test_size_parse_errors(void)
{
	CHECK(refused_because("", "empty"));
	CHECK(refused_because(NULL, "empty"));
	CHECK(refused_because("   ", "not a number"));
	CHECK(refused_because("GiB", "not a number"));
	CHECK(refused_because(".", "not a number"));
	CHECK(refused_because("lots", "not a number"));
	CHECK(refused_because("-1", "negative"));
	CHECK(refused_because("-1GiB", "negative"));
	CHECK(refused_because(" -0.5G", "negative"));
	CHECK(refused_because("8GB", "bad unit"));
	CHECK(refused_because("8GB", "decimal KB, MB, GB, TB are not taken "
				     "here (use B, KiB, MiB, GiB or TiB"));
	CHECK(refused_because("8XB", "bad unit (use B, KiB, MiB, GiB, TiB or "
				     "unlimited)"));
	CHECK(refused_because("8gib", "bad unit"));
	CHECK(refused_because("8Gi", "bad unit"));
	CHECK(refused_because("8PiB", "bad unit"));
	CHECK(refused_because("1.5.5G", "bad unit"));
	CHECK(refused_because("8 G iB", "bad unit"));
	/* Overflow, in the digits and through the unit. */
	CHECK(refused_because("99999999999999999999", "too large"));
	CHECK(refused_because("18446744073709551616", "too large"));
	/* UINT64_MAX itself means unlimited: not a finite size. */
	CHECK(refused_because("18446744073709551615", "too large"));
	CHECK(refused_because("16777216TiB", "too large")); /* 2^64 */
	CHECK(refused_because("17179869184GiB", "too large"));
	CHECK(parses_to("16777215TiB", 16777215ULL * TiB));
	CHECK(parses_to("18446744073709551600", 18446744073709551600ULL));
}

static const char *formatted(uint64_t bytes, char *buf, size_t len)
{
	size_format(bytes, buf, len);
	return buf;
}

static const char *formatted_signed(int64_t bytes, char *buf, size_t len)
{
	size_format_signed(bytes, buf, len);
	return buf;
}

static void test_size_format(void)
{
	char buf[32];

	CHECK_STR(formatted(0, buf, sizeof(buf)), "0B");
	CHECK_STR(formatted(1, buf, sizeof(buf)), "1B");
	CHECK_STR(formatted(1023, buf, sizeof(buf)), "1023B");
	CHECK_STR(formatted(KiB, buf, sizeof(buf)), "1.0KiB");
	CHECK_STR(formatted(1536, buf, sizeof(buf)), "1.5KiB");
	CHECK_STR(formatted(MiB, buf, sizeof(buf)), "1.0MiB");
	CHECK_STR(formatted(256 * MiB, buf, sizeof(buf)), "256.0MiB");
	CHECK_STR(formatted(8 * GiB, buf, sizeof(buf)), "8.0GiB");
	CHECK_STR(formatted(3 * GiB / 2, buf, sizeof(buf)), "1.5GiB");
	CHECK_STR(formatted(2 * TiB, buf, sizeof(buf)), "2.0TiB");
	CHECK_STR(formatted(1024 * TiB, buf, sizeof(buf)), "1.0PiB");
	/* EiB is the largest unit (a 15 EiB figure is not "15360.0PiB"). */
	CHECK_STR(formatted(1024 * 1024 * TiB, buf, sizeof(buf)), "1.0EiB");
	CHECK_STR(formatted(UINT64_MAX - 1, buf, sizeof(buf)), "16.0EiB");
	CHECK_STR(formatted(IQ_UNLIMITED, buf, sizeof(buf)), "unlimited");
	/* Whole units are written by hand: as "%.1f" writes them. */
	for (unsigned u = 1; u <= 6; u++) {
		static const char *const units[] = {"",	   "KiB", "MiB", "GiB",
						    "TiB", "PiB", "EiB"};
		static const uint64_t ks[] = {1, 2, 9, 10, 99, 100, 512, 1023};

		for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
			char want[32];

			if (u == 6 && ks[i] > 15)
				continue; /* past 2^64 */
			snprintf(want, sizeof(want), "%.1f%s", (double)ks[i],
				 units[u]);
			CHECK_STR(
				formatted(ks[i] << (10 * u), buf, sizeof(buf)),
				want);
		}
	}
	/* A short buffer is cut, never overrun. */
	memset(buf, 'x', sizeof(buf));
	size_format(8 * GiB, buf, 4);
	CHECK_STR(buf, "8.0");
	CHECK(buf[4] == 'x');
}

static void test_size_format_signed(void)
{
	char buf[32];

	CHECK_STR(formatted_signed(0, buf, sizeof(buf)), "0B");
	CHECK_STR(formatted_signed(-1, buf, sizeof(buf)), "-1B");
	CHECK_STR(formatted_signed(-(int64_t)(7 * GiB / 2), buf, sizeof(buf)),
		  "-3.5GiB");
	CHECK_STR(formatted_signed((int64_t)(64 * GiB), buf, sizeof(buf)),
		  "64.0GiB");
	/* 2^63 bytes = 8 EiB, both signs, without overflow. */
	CHECK_STR(formatted_signed(INT64_MIN, buf, sizeof(buf)), "-8.0EiB");
	CHECK_STR(formatted_signed(INT64_MIN + 1, buf, sizeof(buf)), "-8.0EiB");
	CHECK_STR(formatted_signed(INT64_MAX, buf, sizeof(buf)), "8.0EiB");
	/* A negative value is never "unlimited". */
	CHECK(strstr(formatted_signed(-1, buf, sizeof(buf)), "unlimited") ==
	      NULL);
}

/* --- ICM pages ------------------------------------------------------------ */

static void test_icm_pages(void)
{
	CHECK_U64(icm_bytes_to_pages(0), 0);
	CHECK_U64(icm_bytes_to_pages(1), 1);
	CHECK_U64(icm_bytes_to_pages(4095), 1);
	CHECK_U64(icm_bytes_to_pages(4096), 1);
	CHECK_U64(icm_bytes_to_pages(4097), 2);
	CHECK_U64(icm_bytes_to_pages(8 * GiB), 2097152);
	CHECK_U64(icm_bytes_to_pages(IQ_UNLIMITED), PRM_ICM_UNLIMITED);
	/* The largest finite cap the register holds, and past it a clamp. */
	CHECK_U64(icm_bytes_to_pages(0xFFFFFFFEULL * 4096), 0xFFFFFFFEu);
	CHECK_U64(icm_bytes_to_pages(0xFFFFFFFEULL * 4096 + 1), 0xFFFFFFFEu);
	CHECK_U64(icm_bytes_to_pages(0xFFFFFFFFULL * 4096), 0xFFFFFFFEu);
	CHECK_U64(icm_bytes_to_pages(16777215ULL * TiB), 0xFFFFFFFEu);
	/*
	 * Finite sizes within a page of UINT64_MAX must clamp too, not
	 * wrap to a tiny cap ("16777215.9999999999TiB" parses to one).
	 */
	CHECK_U64(icm_bytes_to_pages(UINT64_MAX - 1), 0xFFFFFFFEu);
	CHECK_U64(icm_bytes_to_pages(UINT64_MAX - 4095), 0xFFFFFFFEu);
	{
		const char *why = NULL;
		uint64_t bytes = 0;

		CHECK(size_parse("16777215.9999999999TiB", &bytes, &why));
		CHECK(bytes > UINT64_MAX - 4096 && bytes != IQ_UNLIMITED);
		CHECK_U64(icm_bytes_to_pages(bytes), 0xFFFFFFFEu);
	}

	CHECK_U64(icm_pages_to_bytes(0), 0);
	CHECK_U64(icm_pages_to_bytes(1), 4096);
	CHECK_U64(icm_pages_to_bytes(2097152), 8 * GiB);
	CHECK_U64(icm_pages_to_bytes(0xFFFFFFFEu), 0xFFFFFFFEULL * 4096);
	CHECK_U64(icm_pages_to_bytes(PRM_ICM_UNLIMITED), IQ_UNLIMITED);
	/* Round trip of a page multiple. */
	CHECK_U64(icm_pages_to_bytes(icm_bytes_to_pages(256 * MiB)), 256 * MiB);
	CHECK_U64(icm_pages_to_bytes(icm_bytes_to_pages(IQ_UNLIMITED)),
		  IQ_UNLIMITED);
}

/* --- paths ---------------------------------------------------------------- */

static void test_path_join(void)
{
	char out[64];
	char tiny[8];

	CHECK_U64(path_join(out, sizeof(out), "/tmp/h", "/sys/x"), 0);
	CHECK_STR(out, "/tmp/h/sys/x");
	/* The real host. */
	CHECK_U64(path_join(out, sizeof(out), "", "/sys/x"), 0);
	CHECK_STR(out, "/sys/x");
	CHECK_U64(path_join(out, sizeof(out), NULL, "/proc/meminfo"), 0);
	CHECK_STR(out, "/proc/meminfo");
	/* No "//" from a root given with a trailing slash. */
	CHECK_U64(path_join(out, sizeof(out), "/tmp/h/", "/sys/x"), 0);
	CHECK_STR(out, "/tmp/h/sys/x");
	/* Too long: an error, the output still terminated. */
	CHECK(path_join(tiny, sizeof(tiny), "/tmp/h", "/sys/x") != 0);
	CHECK(memchr(tiny, '\0', sizeof(tiny)) != NULL);
	/* Exactly fitting. */
	CHECK_U64(path_join(tiny, sizeof(tiny), "/ab", "/cde"), 0);
	CHECK_STR(tiny, "/ab/cde");
}

/* --- file reads ----------------------------------------------------------- */

static void test_file_read_all(void)
{
	struct iq_err err = {0};
	char path[PATH_MAX];
	char *text = NULL;
	char *big;
	size_t len = 0;
	size_t big_len = 100000;

	make_tmpdir();
	in_tmp(path, sizeof(path), "missing");
	CHECK_U64(file_read_all(path, &text, &len, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, path);
	CHECK_CONTAINS(err.msg, "No such file");
	CHECK(text == NULL);

	in_tmp(path, sizeof(path), "empty");
	write_file(path, "");
	CHECK_U64(file_read_all(path, &text, &len, &err), IQ_OK);
	CHECK_STR(text, "");
	CHECK_U64(len, 0);
	free(text);
	text = NULL;

	/* Larger than any first buffer: read whole, NUL-terminated. */
	big = malloc(big_len + 1);
	CHECK(big != NULL);
	if (big) {
		for (size_t i = 0; i < big_len; i++)
			big[i] = (char)('a' + i % 26);
		big[big_len] = '\0';
		in_tmp(path, sizeof(path), "big");
		write_file(path, big);
		CHECK_U64(file_read_all(path, &text, &len, &err), IQ_OK);
		CHECK_U64(len, big_len);
		CHECK(text && strcmp(text, big) == 0);
		free(text);
		text = NULL;
		free(big);
	}
	/* len is optional. */
	in_tmp(path, sizeof(path), "small");
	write_file(path, "a\nb\n");
	CHECK_U64(file_read_all(path, &text, NULL, &err), IQ_OK);
	CHECK_STR(text, "a\nb\n");
	free(text);
	text = NULL;
	/* A directory opens but does not read: an error naming it. */
	CHECK_U64(file_read_all(tmpdir, &text, &len, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, tmpdir);
	CHECK(text == NULL);
	remove_tmpdir();
}

static void test_file_read_line(void)
{
	struct iq_err err = {0};
	char path[PATH_MAX];
	char line[16];

	make_tmpdir();
	in_tmp(path, sizeof(path), "f");
	write_file(path, "vfio-pci\n");
	CHECK_U64(file_read_line(path, line, sizeof(line), &err), IQ_OK);
	CHECK_STR(line, "vfio-pci");
	/* Only the first line; trailing spaces cut too. */
	write_file(path, "first  \nsecond\n");
	CHECK_U64(file_read_line(path, line, sizeof(line), &err), IQ_OK);
	CHECK_STR(line, "first");
	/* No newline at the end. */
	write_file(path, "8");
	CHECK_U64(file_read_line(path, line, sizeof(line), &err), IQ_OK);
	CHECK_STR(line, "8");
	/* Empty file: an empty line. */
	write_file(path, "");
	snprintf(line, sizeof(line), "stale");
	CHECK_U64(file_read_line(path, line, sizeof(line), &err), IQ_OK);
	CHECK_STR(line, "");
	/* A line longer than the buffer is cut to it. */
	write_file(path, "0123456789abcdefghij\n");
	CHECK_U64(file_read_line(path, line, sizeof(line), &err), IQ_OK);
	CHECK_STR(line, "0123456789abcde");
	in_tmp(path, sizeof(path), "nope");
	CHECK_U64(file_read_line(path, line, sizeof(line), &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, path);
	remove_tmpdir();
}

static void test_file_read_u64(void)
{
	struct iq_err err = {0};
	char path[PATH_MAX];
	uint64_t value = 0;

	make_tmpdir();
	in_tmp(path, sizeof(path), "n");
	write_file(path, "42\n");
	CHECK_U64(file_read_u64(path, &value, &err), IQ_OK);
	CHECK_U64(value, 42);
	write_file(path, "0x15b3\n");
	CHECK_U64(file_read_u64(path, &value, &err), IQ_OK);
	CHECK_U64(value, 0x15b3);
	write_file(path, "0X1F");
	CHECK_U64(file_read_u64(path, &value, &err), IQ_OK);
	CHECK_U64(value, 31);
	write_file(path, "18446744073709551615\n");
	CHECK_U64(file_read_u64(path, &value, &err), IQ_OK);
	CHECK_U64(value, UINT64_MAX);
	write_file(path, "0\n");
	CHECK_U64(file_read_u64(path, &value, &err), IQ_OK);
	CHECK_U64(value, 0);

	/* Not numbers: the path and the text in the message. */
	write_file(path, "many\n");
	CHECK_U64(file_read_u64(path, &value, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, path);
	CHECK_CONTAINS(err.msg, "not a number");
	CHECK_CONTAINS(err.msg, "'many'");
	write_file(path, "12abc\n");
	CHECK_U64(file_read_u64(path, &value, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "'12abc'");
	write_file(path, "\n");
	CHECK_U64(file_read_u64(path, &value, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "not a number");
	write_file(path, "-1\n");
	CHECK_U64(file_read_u64(path, &value, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "not a number");
	write_file(path, "18446744073709551616\n");
	CHECK_U64(file_read_u64(path, &value, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "not a number");
	write_file(path, "1.5\n");
	CHECK_U64(file_read_u64(path, &value, &err), IQ_EENV);

	in_tmp(path, sizeof(path), "absent");
	CHECK_U64(file_read_u64(path, &value, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, path);
	CHECK_CONTAINS(err.msg, "No such file");
	remove_tmpdir();
}

/* --- writes --------------------------------------------------------------- */

static void test_file_write_atomic(void)
{
	struct iq_err err = {0};
	char path[PATH_MAX], missing[PATH_MAX];
	char *text = NULL;
	size_t len = 0;

	make_tmpdir();
	in_tmp(path, sizeof(path), "state.json");
	CHECK_U64(file_write_atomic(path, "old", 3, true, &err), IQ_OK);
	CHECK_U64(file_read_all(path, &text, &len, &err), IQ_OK);
	CHECK_STR(text, "old");
	free(text);
	text = NULL;
	/* Replaced whole (shorter and longer), not appended or merged. */
	CHECK_U64(file_write_atomic(path, "a much longer content", 21, false,
				    &err),
		  IQ_OK);
	CHECK_U64(file_read_all(path, &text, &len, &err), IQ_OK);
	CHECK_STR(text, "a much longer content");
	free(text);
	text = NULL;
	CHECK_U64(file_write_atomic(path, "new", 3, true, &err), IQ_OK);
	CHECK_U64(file_read_all(path, &text, &len, &err), IQ_OK);
	CHECK_STR(text, "new");
	CHECK_U64(len, 3);
	free(text);
	text = NULL;
	/* Binary data with a NUL is written as given. */
	CHECK_U64(file_write_atomic(path, "a\0b", 3, false, &err), IQ_OK);
	CHECK_U64(file_read_all(path, &text, &len, &err), IQ_OK);
	CHECK_U64(len, 3);
	CHECK(text && text[0] == 'a' && text[1] == '\0' && text[2] == 'b');
	free(text);
	text = NULL;
	/* No temporary file left behind. */
	CHECK_U64(count_entries(tmpdir), 1);

	/* A missing directory: the error names the path, nothing created. */
	in_tmp(missing, sizeof(missing), "no-such-dir/state.json");
	CHECK_U64(file_write_atomic(missing, "x", 1, true, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, missing);
	CHECK_CONTAINS(err.msg, "No such file");
	CHECK_U64(count_entries(tmpdir), 1);
	remove_tmpdir();
}

/*
 * A write that fails half-way (the file size limit: EFBIG, also as root)
 * leaves the old content and no temporary file.
 */
static void test_file_write_atomic_failure_keeps_old(void)
{
	struct iq_err err = {0};
	struct rlimit saved, small;
	char path[PATH_MAX];
	char data[4096];
	char *text = NULL;
	int rc;

	make_tmpdir();
	in_tmp(path, sizeof(path), "journal");
	CHECK_U64(file_write_atomic(path, "old content", 11, true, &err),
		  IQ_OK);
	memset(data, 'n', sizeof(data));
	signal(SIGXFSZ, SIG_IGN);
	CHECK_U64(getrlimit(RLIMIT_FSIZE, &saved), 0);
	small = saved;
	small.rlim_cur = 100;
	CHECK_U64(setrlimit(RLIMIT_FSIZE, &small), 0);
	rc = file_write_atomic(path, data, sizeof(data), true, &err);
	setrlimit(RLIMIT_FSIZE, &saved);
	signal(SIGXFSZ, SIG_DFL);
	CHECK_U64(rc, IQ_EENV);
	CHECK_CONTAINS(err.msg, path);
	CHECK_CONTAINS(err.msg, "nothing was replaced");
	CHECK_U64(file_read_all(path, &text, NULL, &err), IQ_OK);
	CHECK_STR(text, "old content");
	free(text);
	CHECK_U64(count_entries(tmpdir), 1);
	remove_tmpdir();
}

static void test_file_write_str(void)
{
	struct iq_err err = {0};
	char path[PATH_MAX];
	char line[32];

	make_tmpdir();
	in_tmp(path, sizeof(path), "nr_hugepages");
	write_file(path, "1024\n");
	CHECK_U64(file_write_str(path, "29\n", &err), IQ_OK);
	CHECK_U64(file_read_line(path, line, sizeof(line), &err), IQ_OK);
	CHECK_STR(line, "29");
	in_tmp(path, sizeof(path), "gone/knob");
	CHECK_U64(file_write_str(path, "1", &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, path);
	remove_tmpdir();
}

static void test_mkdir_p(void)
{
	struct iq_err err = {0};
	char path[PATH_MAX], file[PATH_MAX];
	struct stat st;

	make_tmpdir();
	in_tmp(path, sizeof(path), "a/b/c");
	CHECK_U64(mkdir_p(path, 0755, &err), IQ_OK);
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	/* Again: existing directories are fine. */
	CHECK_U64(mkdir_p(path, 0755, &err), IQ_OK);
	/* A trailing slash. */
	in_tmp(path, sizeof(path), "d/e/");
	CHECK_U64(mkdir_p(path, 0755, &err), IQ_OK);
	in_tmp(path, sizeof(path), "d/e");
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	/* A file in the way: the error names the component that failed. */
	in_tmp(file, sizeof(file), "a/file");
	write_file(file, "x");
	in_tmp(path, sizeof(path), "a/file/sub/dir");
	CHECK_U64(mkdir_p(path, 0755, &err), IQ_EENV);
	in_tmp(path, sizeof(path), "a/file/sub");
	CHECK_CONTAINS(err.msg, path);
	CHECK_CONTAINS(err.msg, "cannot create");
	remove_tmpdir();
}

/* --- globs and digests ---------------------------------------------------- */

/* The cursor appends the plan table's rows are built with. */
static void test_text_append(void)
{
	char buf[12], small[6];
	char *p = text_append(buf, buf + sizeof(buf), "VF ");
	char hex[8];

	CHECK_U64((size_t)(p - buf), 3);
	p = text_append(p, buf + sizeof(buf), NULL);
	CHECK_U64((size_t)(p - buf), 3);
	p = text_append_hex(p, buf + sizeof(buf), 0x1a0);
	CHECK_STR(buf, "VF 0x1a0");
	CHECK(*p == '\0' && p == buf + 8);
	/* Cut before the end, always terminated. */
	p = text_append(p, buf + sizeof(buf), "; long rule");
	CHECK_STR(buf, "VF 0x1a0; l");
	CHECK(p == buf + sizeof(buf) - 1);
	p = text_append(small, small + sizeof(small), "abc");
	p = text_append_hex(p, small + sizeof(small), 0xff);
	CHECK_STR(small, "abc0x");
	/* As snprintf's "0x%x" prints them. */
	text_append_hex(hex, hex + sizeof(hex), 0);
	CHECK_STR(hex, "0x0");
	text_append_hex(hex, hex + sizeof(hex), 0xffff);
	CHECK_STR(hex, "0xffff");
	{
		char wide[24], want[24];

		text_append_hex(wide, wide + sizeof(wide), UINT64_MAX);
		snprintf(want, sizeof(want), "0x%" PRIx64, UINT64_MAX);
		CHECK_STR(wide, want);
	}
}

static void test_glob_match(void)
{
	CHECK(glob_match("train-*", "train-01"));
	CHECK(glob_match("train-*", "train-"));
	CHECK(!glob_match("train-*", "xtrain-01"));
	CHECK(!glob_match("train-*", "Train-01"));
	CHECK(glob_match("web-?", "web-1"));
	CHECK(!glob_match("web-?", "web-12"));
	CHECK(glob_match("db[0-9]", "db7"));
	CHECK(!glob_match("db[0-9]", "dbx"));
	CHECK(glob_match("exact", "exact"));
	CHECK(!glob_match("exact", "exact2"));
	CHECK(glob_match("*", "anything/with/slashes"));
}

/* A library loaded on first use that is not there, or lacks a function:
 * IQ_EENV naming the library, the function and the package to install. */
static void test_dynlib_errors(void)
{
	void *slot = (void *)&slot;
	struct dynlib_sym missing_lib[] = {{"SHA256Data", &slot}};
	struct dynlib_sym missing_sym[] = {{"icmquota_no_such_fn", &slot}};
	struct iq_err err = {0};

	CHECK_U64(dynlib_load("libicmquota-absent.so.0", missing_lib, 1,
			      "apt install icmquota-absent", &err),
		  IQ_EENV);
	CHECK_CONTAINS(err.msg, "cannot load libicmquota-absent.so.0 (");
	CHECK_CONTAINS(err.msg, "): apt install icmquota-absent");
	CHECK_U64(dynlib_load("libmd.so.0", missing_sym, 1,
			      "apt install libmd0", &err),
		  IQ_EENV);
	CHECK_STR(err.msg,
		  "libmd.so.0 has no icmquota_no_such_fn: apt install libmd0");
	CHECK(slot == NULL);
}

static void test_sha256(void)
{
	struct iq_err err = {0};
	char hex[65];

	/* The first call loads libmd (dlopen): the binary does not link it. */
	CHECK_U64(sha256_hex("abc", 3, hex, &err), IQ_OK);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223"
		       "b00361a396177a9cb410ff61f20015ad");
	CHECK_U64(sha256_hex("", 0, hex, &err), IQ_OK);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb924"
		       "27ae41e4649b934ca495991b7852b855");
	/* The length is honoured, not the NUL. */
	CHECK_U64(sha256_hex("abcd", 3, hex, &err), IQ_OK);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223"
		       "b00361a396177a9cb410ff61f20015ad");
}

int main(void)
{
	RUN(test_pci_normalize);
	RUN(test_pci_format);
	RUN(test_pci_vf_addr);
	RUN(test_pci_cmp);
	RUN(test_size_parse_units);
	RUN(test_size_parse_decimals);
	RUN(test_size_parse_errors);
	RUN(test_size_format);
	RUN(test_size_format_signed);
	RUN(test_icm_pages);
	RUN(test_path_join);
	RUN(test_file_read_all);
	RUN(test_file_read_line);
	RUN(test_file_read_u64);
	RUN(test_file_write_atomic);
	RUN(test_file_write_atomic_failure_keeps_old);
	RUN(test_file_write_str);
	RUN(test_mkdir_p);
	RUN(test_text_append);
	RUN(test_glob_match);
	RUN(test_sha256);
	RUN(test_dynlib_errors);
	return TEST_SUMMARY("test_util");
}
