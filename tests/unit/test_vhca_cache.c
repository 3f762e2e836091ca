// SPDX-License-Identifier: MIT
/*
 * The vhca_id cache's key: an entry found by its virtfnN link holds only
 * for the same PF, VF count, link inode and PF directory ctime. A link
 * with a reused inode number in a changed directory (ext4 hands freed
 * inode numbers back) is a miss, never another VF's address.
 */
#include "controller/core/vhca_cache.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/test.h"

static void put(struct vhca_cache *c, const char *vf, uint16_t fid,
		uint64_t ino, int64_t ctime_ns, uint16_t vhca)
{
	struct vhca_cache_entry e = {0};
	struct iq_err err = {0};

	snprintf(e.vf, sizeof(e.vf), "%s", vf);
	snprintf(e.pf, sizeof(e.pf), "0000:0c:00.0");
	e.pf_numvfs = 2;
	e.function_id = fid;
	e.link_ino = ino;
	e.pf_dir_ctime_ns = ctime_ns;
	e.vhca_id = vhca;
	CHECK_U64(vhca_cache_put(c, &e, &err), IQ_OK);
}

static void test_find_link_key(void)
{
	struct vhca_cache c;
	const struct vhca_cache_entry *e;
	uint16_t vhca = 0;

	vhca_cache_load(&c, "", "/sim", "");
	put(&c, "0000:0c:00.1", 1, 100, 5000, 0x1a0);
	put(&c, "0000:0c:00.2", 2, 101, 5000, 0x1a1);
	e = vhca_cache_find_link(&c, "0000:0c:00.0", 2, 2, 101, 5000);
	CHECK(e != NULL);
	if (e) {
		CHECK_STR(e->vf, "0000:0c:00.2");
		CHECK_U64(e->vhca_id, 0x1a1);
	}
	/* The same inode in a PF directory that changed: a miss. */
	CHECK(!vhca_cache_find_link(&c, "0000:0c:00.0", 2, 2, 101, 5001));
	/* Another inode, another VF count, another PF: misses. */
	CHECK(!vhca_cache_find_link(&c, "0000:0c:00.0", 2, 2, 102, 5000));
	CHECK(!vhca_cache_find_link(&c, "0000:0c:00.0", 3, 2, 101, 5000));
	CHECK(!vhca_cache_find_link(&c, "0000:2a:00.0", 2, 2, 101, 5000));
	CHECK_U64(c.hits, 1);
	CHECK_U64(c.misses, 4);
	/* The lookup by address keys on the same. */
	CHECK(vhca_cache_get(&c, "0000:0c:00.1", "0000:0c:00.0", 2, 1, 100,
			     5000, &vhca));
	CHECK_U64(vhca, 0x1a0);
	CHECK(!vhca_cache_get(&c, "0000:0c:00.1", "0000:0c:00.0", 2, 1, 100,
			      4999, &vhca));
	vhca_cache_free(&c);
}

/* A cache file of one line after the header: n entries loaded (0: bad),
 * the first in *first when there is one. */
static size_t load_line(const char *line, struct vhca_cache_entry *first)
{
	char path[] = "/tmp/test_vhca_cache.XXXXXX";
	struct vhca_cache c;
	size_t n;
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	CHECK(f != NULL);
	if (!f)
		return 0;
	fprintf(f, "icmquota vhca-ids 3\nboot_id b1\nroot /sim\n%s\n", line);
	fclose(f);
	vhca_cache_load(&c, path, "/sim", "b1");
	n = c.n;
	if (n)
		*first = c.entries[0];
	vhca_cache_free(&c);
	unlink(path);
	return n;
}

/*
 * The numbers of a line, read without strtoull: every field's largest
 * value is taken, one above is a bad file (an empty cache: the vhca_ids
 * are asked again), and so is anything but plain digits.
 */
static void test_line_numbers(void)
{
	struct vhca_cache_entry e = {0};

	CHECK_U64(load_line("0000:0c:00.1 0000:0c:00.0 127 1 11002050 "
			    "1796049132090163841 1a0",
			    &e),
		  1);
	CHECK_U64(load_line("0000:0c:00.1 0000:0c:00.0 4294967295 65535 "
			    "18446744073709551615 9223372036854775807 ffff",
			    &e),
		  1);
	CHECK_U64(e.vhca_id, 0xffff);
	CHECK_U64(e.link_ino, UINT64_MAX);
	CHECK_U64((uint64_t)e.pf_dir_ctime_ns, INT64_MAX);
	CHECK_U64(e.pf_numvfs, UINT32_MAX);
	CHECK_U64(e.function_id, UINT16_MAX);
	CHECK_U64(load_line("0000:0c:00.1 0000:0c:00.0 127 1 11002050 5 FFFF",
			    &e),
		  1);
	static const char *const bad[] = {
		/* one above each field's largest value */
		"0000:0c:00.1 0000:0c:00.0 4294967296 1 1 5 1a0",
		"0000:0c:00.1 0000:0c:00.0 127 65536 1 5 1a0",
		"0000:0c:00.1 0000:0c:00.0 127 1 18446744073709551616 5 1a0",
		"0000:0c:00.1 0000:0c:00.0 127 1 1 9223372036854775808 1a0",
		"0000:0c:00.1 0000:0c:00.0 127 1 1 5 10000",
		/* not plain digits */
		"0000:0c:00.1 0000:0c:00.0 127 1 1 5 0x1a0",
		"0000:0c:00.1 0000:0c:00.0 127 1 1 -5 1a0",
		"0000:0c:00.1 0000:0c:00.0 +127 1 1 5 1a0",
		"0000:0c:00.1 0000:0c:00.0 127 1 1 5 1a0g",
		"0000:0c:00.1 0000:0c:00.0 127 1a 1 5 1a0",
		"0000:0c:00.1 0000:0c:00.0 127  1 1 5 1a0",
		"0000:0c:00.1 0000:0c:00.0 127 1 1 5",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = load_line(bad[i], &e);

		if (n)
			fprintf(stderr, "  taken: %s\n", bad[i]);
		CHECK_U64(n, 0);
	}
}

/*
 * Two lines for one VF, or for one PF's virtfn link, are a bad file too:
 * the writer keeps one of each, and with the same keys a lookup would
 * give whichever it met first (here 0x1a3, another VF's vhca_id).
 */
static void test_duplicates(void)
{
	struct vhca_cache_entry e = {0};

	CHECK_U64(load_line("0000:0c:00.1 0000:0c:00.0 4 1 100 5 1a0\n"
			    "0000:0c:00.2 0000:0c:00.0 4 2 101 5 1a1",
			    &e),
		  2);
	/* One VF twice (a line copied, its vhca_id edited). */
	CHECK_U64(load_line("0000:0c:00.1 0000:0c:00.0 4 1 100 5 1a0\n"
			    "0000:0c:00.2 0000:0c:00.0 4 2 101 5 1a1\n"
			    "0000:0c:00.1 0000:0c:00.0 4 1 100 5 1a3",
			    &e),
		  0);
	/* virtfn0 twice (a line copied, its address edited). */
	CHECK_U64(load_line("0000:0c:00.1 0000:0c:00.0 4 1 100 5 1a0\n"
			    "0000:0c:00.2 0000:0c:00.0 4 2 101 5 1a1\n"
			    "0000:0c:00.3 0000:0c:00.0 4 1 100 5 1a0",
			    &e),
		  0);
	/* The same function id of two PFs is no duplicate. */
	CHECK_U64(load_line("0000:0c:00.1 0000:0c:00.0 4 1 100 5 1a0\n"
			    "0000:2a:00.1 0000:2a:00.0 4 1 200 6 1c0",
			    &e),
		  2);
}

int main(void)
{
	RUN(test_find_link_key);
	RUN(test_line_numbers);
	RUN(test_duplicates);
	return TEST_SUMMARY("test_vhca_cache");
}
