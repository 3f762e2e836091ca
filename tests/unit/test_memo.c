// SPDX-License-Identifier: MIT
/*
 * Memos (lib/memo.c) and the journal's memo (state_memo.c): a memo answers
 * only for the exact input and this build, and a journal read from its
 * memo is the journal a parse of its text gives.
 */
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controller/core/state.h"
#include "controller/core/state_json.h"
#include "lib/file.h"
#include "lib/memo.h"
#include "test.h"

static char tmpdir[PATH_MAX];

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void in_tmp(char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s/%s", tmpdir, rel);
}

static bool read_back(const char *path, const char *kind, const char *input,
		      const char *want)
{
	struct memo_view v;
	bool hit = memo_read(path, kind, input, strlen(input), &v);
	bool same = hit && v.blob_len == strlen(want) &&
		    memcmp(v.blob, want, v.blob_len) == 0;

	memo_release(&v);
	return same;
}

/* Rewrite the file with byte at (from the end when negative) flipped, or
 * cut to len. */
static void damage(const char *path, long at, long cut)
{
	char *text;
	size_t len;
	struct iq_err err = {0};
	FILE *f;

	if (file_read_all(path, &text, &len, &err))
		return;
	if (at != 0)
		text[at > 0 ? (size_t)at : len - (size_t)-at] ^= 0x01;
	f = fopen(path, "wb");
	fwrite(text, 1, cut >= 0 ? (size_t)cut : len, f);
	fclose(f);
	free(text);
}

static void test_exact_input_only(void)
{
	char path[PATH_MAX];
	struct iq_err err = {0};
	size_t id_len;

	memo_build_id(&id_len);
	CHECK(id_len > 0); /* the build links with a build-id */
	in_tmp(path, sizeof(path), "m1");
	CHECK(!read_back(path, "k", "input", "blob")); /* no file */
	CHECK(memo_write(path, "k", "input", 5, "blob", 4, &err) == IQ_OK);
	CHECK(read_back(path, "k", "input", "blob"));
	CHECK(!read_back(path, "k", "inpuT", "blob")); /* same length */
	CHECK(!read_back(path, "k", "input ", "blob"));
	CHECK(!read_back(path, "k", "inpu", "blob"));
	CHECK(!read_back(path, "other", "input", "blob"));
	/* Another build's memo: the build-id in the header differs. */
	damage(path, 40, -1);
	CHECK(!read_back(path, "k", "input", "blob"));
	CHECK(memo_write(path, "k", "input", 5, "blob", 4, &err) == IQ_OK);
	damage(path, 0, 20); /* torn */
	CHECK(!read_back(path, "k", "input", "blob"));
	CHECK(memo_write(path, "k", "input", 5, "blob", 4, &err) == IQ_OK);
	damage(path, -6, -1); /* the stored input, not the blob */
	CHECK(!read_back(path, "k", "input", "blob"));
	CHECK(memo_write(path, "k", "", 0, "", 0, &err) == IQ_OK);
	CHECK(read_back(path, "k", "", ""));
}

static void test_integers_and_strings(void)
{
	static const uint64_t values[] = {
		0,	   1,	  127,	      128,
		16383,	   16384, UINT32_MAX, UINT64_MAX - 1,
		UINT64_MAX};
	struct buf b = {.ok = true};
	struct memo_reader r = {.ok = true};
	char s[8];

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		memo_put_u64(&b, values[i]);
	memo_put_str(&b, "abc");
	memo_put_str(&b, "");
	memo_put_str(&b, "12345678"); /* too long for s */
	r.data = b.data;
	r.len = b.len;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		CHECK_U64(memo_get_u64(&r), values[i]);
	memo_get_str(&r, s, sizeof(s));
	CHECK_STR(s, "abc");
	memo_get_str(&r, s, sizeof(s));
	CHECK_STR(s, "");
	CHECK(r.ok);
	memo_get_str(&r, s, sizeof(s));
	CHECK(!r.ok);
	CHECK_STR(s, "");
	buf_free(&b);

	/* An integer past 64 bits, one cut short, a string holding a NUL. */
	{
		static const char big[] = "\xff\xff\xff\xff\xff\xff\xff\xff\xff"
					  "\x02";
		static const char cut[] = "\x80\x80";
		static const char nul[] = "\x03"
					  "a\0b";
		struct memo_reader a = {big, sizeof(big) - 1, 0, true};
		struct memo_reader c = {cut, sizeof(cut) - 1, 0, true};
		struct memo_reader n = {nul, sizeof(nul) - 1, 0, true};

		memo_get_u64(&a);
		CHECK(!a.ok);
		memo_get_u64(&c);
		CHECK(!c.ok);
		memo_get_str(&n, s, sizeof(s));
		CHECK(!n.ok);
	}
}

static struct vm_facts vm_named(const char *name, const char *pci0,
				const char *pci1)
{
	struct vm_facts f;
	struct iq_err err = {0};

	memset(&f, 0, sizeof(f));
	snprintf(f.name, sizeof(f.name), "%s", name);
	f.memory_bytes = 8ull << 30;
	vm_add_huge(&f, 2u << 20, 0, 2ull << 30, &err);
	/* Bound to host node 1 (<numatune>): kept by both memos. */
	vm_add_huge(&f, 1u << 30, 1u << 1, 4ull << 30, &err);
	vm_add_pci(&f, pci0, &err);
	vm_add_pci(&f, pci1, &err);
	f.hidden_vfs = 2; /* not in the journal: 0 read back */
	{
		char source[64];

		snprintf(source, sizeof(source), "/run/libvirt/qemu/%s.xml",
			 name);
		vm_set_source(&f, source, &err);
	}
	return f;
}

static bool same_form(const struct state *a, const struct state *b)
{
	char *x = NULL, *y = NULL;
	size_t xl = 0, yl = 0;
	bool same = state_form(a, &x, &xl) == IQ_OK &&
		    state_form(b, &y, &yl) == IQ_OK && xl == yl &&
		    memcmp(x, y, xl) == 0;

	free(x);
	free(y);
	return same;
}

static void test_journal_memo_reads_as_parse(void)
{
	char path[PATH_MAX], memo[PATH_MAX];
	struct iq_err err = {0};
	struct state st = {0}, loaded, parsed;
	struct state_vf vf = {0};
	struct vm_facts a = vm_named("gpu-b", "0000:2a:00.3", "0000:0c:00.2");
	struct vm_facts c = vm_named("gpu-a", "0000:0c:00.1", "0000:2a:00.1");
	struct stat before, after;
	char *text;
	size_t len;

	in_tmp(path, sizeof(path), "state.json");
	in_tmp(memo, sizeof(memo), "state.json.memo");
	CHECK(state_put_vm(&st, &a, "libvirt-hook", &err) == IQ_OK);
	CHECK(state_put_vm(&st, &c, "ch", &err) == IQ_OK);
	/* Kept in memory, not written: a parse reads 0 and "ch". */
	state_find_vm(&st, "gpu-b")->scale.cap_bytes = 5;
	state_find_vm(&st, "gpu-b")->scale.short_bytes = 6;
	/* Scaled: all of its scaling is written, and read back. */
	state_find_vm(&st, "gpu-a")->scale = (struct state_scaling){
		true, 3ull << 30, 4ull << 30, 1ull << 30};
	state_find_vm(&st, "gpu-a")->facts.origin[0] = '\0';
	snprintf(vf.pci, sizeof(vf.pci), "0000:0c:00.1");
	snprintf(vf.pf, sizeof(vf.pf), "0000:0c:00.0");
	snprintf(vf.vm, sizeof(vf.vm), "gpu-a");
	snprintf(vf.rule, sizeof(vf.rule), "vms.gpu-a.vf_cap (p.yaml:9:5)");
	vf.vhca_id = 0x1a0;
	vf.cap_bytes = IQ_UNLIMITED;
	vf.group_cap_bytes = 7; /* no group: not written */
	vf.hwm_since = 1796000000;
	CHECK(state_put_vf(&st, &vf, &err) == IQ_OK);
	snprintf(vf.pci, sizeof(vf.pci), "0000:0c:00.2");
	vf.group_id = 3;
	vf.group_cap_bytes = 1ull << 30;
	CHECK(state_put_vf(&st, &vf, &err) == IQ_OK);
	CHECK(state_save(path, &st, &err) == IQ_OK);
	CHECK(access(memo, F_OK) == 0); /* the save kept its memo */

	CHECK(state_load(path, &loaded, &err) == IQ_OK);
	CHECK(file_read_all(path, &text, &len, &err) == IQ_OK);
	CHECK(state_parse(text, len, path, &parsed, &err) == IQ_OK);
	CHECK(same_form(&loaded, &parsed));
	CHECK_U64(state_find_vm(&loaded, "gpu-b")->scale.cap_bytes, 0);
	CHECK_U64(state_find_vm(&loaded, "gpu-b")->scale.short_bytes, 0);
	CHECK(state_find_vm(&loaded, "gpu-a")->scale.scaled);
	CHECK_U64(state_find_vm(&loaded, "gpu-a")->scale.from_bytes,
		  4ull << 30);
	CHECK_U64(state_find_vm(&loaded, "gpu-a")->scale.short_bytes,
		  1ull << 30);
	CHECK_STR(state_find_vm(&loaded, "gpu-a")->facts.origin, VM_ORIGIN_CH);
	CHECK_U64(state_find_vm(&loaded, "gpu-a")->facts.hidden_vfs, 0);
	CHECK_U64(state_find_vm(&loaded, "gpu-a")->facts.nhuge, 2);
	CHECK_STR(state_find_vm(&loaded, "gpu-b")->facts.pci[0],
		  "0000:0c:00.2");
	CHECK_U64(state_find_vf(&loaded, "0000:0c:00.1")->group_cap_bytes, 0);
	CHECK_U64(state_find_vf(&loaded, "0000:0c:00.2")->group_cap_bytes,
		  1ull << 30);
	CHECK_U64(state_find_vf(&loaded, "0000:0c:00.1")->cap_bytes,
		  IQ_UNLIMITED);

	/*
	 * Saved unchanged: not written (same inode). The first save writes
	 * the "vmm" a parse filled in; the one after it has nothing to do.
	 */
	CHECK(state_save(path, &loaded, &err) == IQ_OK);
	state_free(&loaded);
	CHECK(state_load(path, &loaded, &err) == IQ_OK);
	CHECK(stat(path, &before) == 0);
	CHECK(state_save(path, &loaded, &err) == IQ_OK);
	CHECK(stat(path, &after) == 0);
	CHECK_U64(after.st_ino, before.st_ino);
	/* One field changed: written, and read back changed. */
	state_find_vf(&loaded, "0000:0c:00.2")->cap_bytes = 1ull << 31;
	CHECK(state_save(path, &loaded, &err) == IQ_OK);
	CHECK(stat(path, &after) == 0);
	CHECK(after.st_ino != before.st_ino);
	state_free(&parsed);
	CHECK(state_load(path, &parsed, &err) == IQ_OK);
	CHECK_U64(state_find_vf(&parsed, "0000:0c:00.2")->cap_bytes,
		  1ull << 31);
	state_free(&parsed);

	/* Edited by hand, same length: the memo no longer answers. */
	free(text);
	CHECK(file_read_all(path, &text, &len, &err) == IQ_OK);
	{
		char *at = strstr(text, "\"cap_bytes\":2147483648");

		CHECK(at != NULL);
		if (at)
			memcpy(at, "\"cap_bytes\":2147483647", 22);
		FILE *f = fopen(path, "w");

		fwrite(text, 1, len, f);
		fclose(f);
	}
	CHECK(state_load(path, &parsed, &err) == IQ_OK);
	CHECK_U64(state_find_vf(&parsed, "0000:0c:00.2")->cap_bytes,
		  2147483647ull);
	state_free(&parsed);

	/* A memo that is garbage: ignored, the journal parsed. */
	CHECK(file_write_str(memo, "garbage", &err) == IQ_OK);
	CHECK(state_load(path, &parsed, &err) == IQ_OK);
	CHECK_U64(state_find_vf(&parsed, "0000:0c:00.2")->cap_bytes,
		  2147483647ull);
	state_free(&parsed);
	free(text);
	state_free(&loaded);
	state_free(&st);
	vm_facts_free(&a);
	vm_facts_free(&c);
}

/* Journals a parse reads in a way the memo must repeat (the test build
 * stops the run on a memo read that differs from the parse). */
static void test_journal_odd_shapes(void)
{
	char path[PATH_MAX];
	struct iq_err err = {0};
	struct state st;

	in_tmp(path, sizeof(path), "odd.json");
	/* From before per-size backing: huge pages, no size, no memory. */
	CHECK(file_write_str(path,
			     "{\"version\":1,\"released_hugepages\":0,"
			     "\"boot_id\":\"\",\"vms\":[{\"name\":\"L\","
			     "\"hugepages\":true,\"origin\":\"cli\","
			     "\"pending_interfaces\":70000}],\"vfs\":[]}\n",
			     &err) == IQ_OK);
	for (int pass = 0; pass < 2; pass++) { /* parse, then the memo */
		CHECK(state_load(path, &st, &err) == IQ_OK);
		CHECK_U64(st.nvms, 1);
		if (st.nvms) {
			CHECK_U64(st.vms[0].facts.nhuge, 0);
			CHECK_U64(st.vms[0].facts.pending_ifaces, 70000);
		}
		state_free(&st);
	}
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/iq-test-memo-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_exact_input_only);
	RUN(test_integers_and_strings);
	RUN(test_journal_memo_reads_as_parse);
	RUN(test_journal_odd_shapes);
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return TEST_SUMMARY("test_memo");
}
