// SPDX-License-Identifier: MIT
/*
 * The vhca_id cache's key: an entry found by its virtfnN link holds only
 * for the same PF, VF count, link inode and PF directory ctime. A link
 * with a reused inode number in a changed directory (ext4 hands freed
 * inode numbers back) is a miss, never another VF's address.
 */
#include "controller/core/vhca_cache.h"

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

int main(void)
{
	RUN(test_find_link_key);
	return TEST_SUMMARY("test_vhca_cache");
}
