// SPDX-License-Identifier: MIT
/*
 * controller/core/state.c: the journal (a missing file is empty; save then load
 * keeps every fact of VMs and VFs, unlimited caps included; corrupt, wrong
 * version and malformed entries are errors naming the file and the fix;
 * a directory that cannot be made is an error naming it), the in-memory
 * edits (put/replace/drop keep order, copy deeply, leak nothing) and the
 * lock (a second holder waits out its timeout and learns who holds it,
 * then gets it once released).
 */
#include "controller/core/state.h"
#include "lib/size.h"

#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/test.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static char tmpdir[PATH_MAX];

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/iq-test-state-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		exit(1);
	}
}

static void teardown(void)
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

/* VM facts as a source would give them; pci NULL-terminated. */
static void make_facts(struct vm_facts *vm, const char *name,
		       uint64_t memory_bytes, bool hugepages,
		       const char *class_name, const char *const *pci)
{
	struct iq_err err = {0};

	memset(vm, 0, sizeof(*vm));
	snprintf(vm->name, sizeof(vm->name), "%s", name);
	snprintf(vm->uuid, sizeof(vm->uuid),
		 "4dea22b3-1d52-d8f3-2516-782e98ab3f%02zx", strlen(name));
	vm->memory_bytes = memory_bytes;
	if (hugepages && vm_add_huge(vm, 0, 0, memory_bytes, &err))
		fprintf(stderr, "vm_add_huge: %s\n", err.msg);
	snprintf(vm->class_name, sizeof(vm->class_name), "%s", class_name);
	{
		char source[300];

		snprintf(source, sizeof(source), "/etc/libvirt/qemu/%s.xml",
			 name);
		vm_set_source(vm, source, &err);
	}
	for (size_t i = 0; pci && pci[i]; i++)
		if (vm_add_pci(vm, pci[i], &err) != IQ_OK)
			fprintf(stderr, "vm_add_pci: %s\n", err.msg);
}

static void make_vf(struct state_vf *vf, const char *pci, const char *vm,
		    uint64_t cap_bytes)
{
	memset(vf, 0, sizeof(*vf));
	snprintf(vf->pci, sizeof(vf->pci), "%s", pci);
	snprintf(vf->pf, sizeof(vf->pf), "0000:3b:00.0");
	vf->vhca_id = 0x1a2;
	snprintf(vf->vm, sizeof(vf->vm), "%s", vm);
	vf->cap_bytes = cap_bytes;
	snprintf(vf->rule, sizeof(vf->rule), "%s",
		 vm[0] ? "class gpu-8x" : "defaults.idle_vf_cap");
	snprintf(vf->policy_digest, sizeof(vf->policy_digest), "%064d", 7);
	vf->time = 1700000000;
}

static void test_missing_is_empty(void)
{
	struct state st;
	struct iq_err err = {0};
	char path[PATH_MAX];

	setup();
	in_tmp(path, sizeof(path), "never/written/state.json");
	memset(&st, 0xa5, sizeof(st));
	CHECK_U64(state_load(path, &st, &err), IQ_OK);
	CHECK_U64(st.nvms, 0);
	CHECK_U64(st.nvfs, 0);
	CHECK_U64(st.released_hugepages, 0);
	CHECK(state_find_vm(&st, "any") == NULL);
	CHECK(state_find_vf(&st, "0000:3b:00.2") == NULL);
	state_free(&st);
	teardown();
}

static void test_round_trip(void)
{
	static const char *const train_pci[] = {
		"3b:00.3",
		"0000:1B:00.0",
		"0000:3b:00.2",
		NULL,
	};
	struct state st = {0}, back;
	struct vm_facts train, web;
	struct state_vf vf;
	struct state_vm *vm;
	struct state_vf *got;
	struct iq_err err = {0};
	char path[PATH_MAX], dir[PATH_MAX];
	int64_t before = (int64_t)time(NULL);

	setup();
	make_facts(&train, "train-01", 512 * GiB, true, "gpu-8x", train_pci);
	make_facts(&web, "web", 8 * GiB, false, "", NULL);
	/* 256 GiB in 1 GiB pages bound to host nodes 0 and 2, 256 GiB in
	 * the default size. */
	train.huge[0].bytes = 256 * GiB;
	CHECK_U64(vm_add_huge(&train, GiB, 5, 256 * GiB, &err), IQ_OK);
	snprintf(train.origin, sizeof(train.origin), VM_ORIGIN_LIBVIRT);
	snprintf(web.origin, sizeof(web.origin), VM_ORIGIN_CH);
	CHECK_U64(state_put_vm(&st, &train, "libvirt-hook", &err), IQ_OK);
	CHECK_U64(state_put_vm(&st, &web, "cli", &err), IQ_OK);
	vm = state_find_vm(&st, "train-01");
	CHECK(vm != NULL);
	if (vm) {
		CHECK(vm->started >= before);
		vm->scale.scaled = true;
		vm->scale.cap_bytes = 6 * GiB + 512 * MiB;
		vm->scale.from_bytes = 8 * GiB;
		vm->scale.short_bytes = GiB + 512 * MiB;
	}
	make_vf(&vf, "0000:3b:00.2", "train-01", 16 * GiB);
	CHECK_U64(state_put_vf(&st, &vf, &err), IQ_OK);
	make_vf(&vf, "0000:3b:00.4", "", IQ_UNLIMITED);
	CHECK_U64(state_put_vf(&st, &vf, &err), IQ_OK);
	st.released_hugepages = 5;
	snprintf(st.boot_id, sizeof(st.boot_id),
		 "0c3e9a3b-9b1d-4a4e-8f3e-5d2c7a1b6e90");

	/* The directory is created. */
	in_tmp(path, sizeof(path), "var/lib/icmquota/state.json");
	CHECK_U64(state_save(path, &st, &err), IQ_OK);
	in_tmp(dir, sizeof(dir), "var/lib/icmquota");
	/* The journal and its memo, no temporary left. */
	CHECK_U64(count_entries(dir), 2);

	CHECK_U64(state_load(path, &back, &err), IQ_OK);
	CHECK_U64(back.nvms, 2);
	CHECK_U64(back.nvfs, 2);
	CHECK_U64(back.released_hugepages, 5);
	CHECK_STR(back.boot_id, "0c3e9a3b-9b1d-4a4e-8f3e-5d2c7a1b6e90");
	if (back.nvms == 2) {
		const struct state_vm *a = &back.vms[0], *b = &back.vms[1];

		CHECK_STR(a->facts.name, "train-01");
		CHECK_STR(a->facts.uuid, train.uuid);
		CHECK_U64(a->facts.memory_bytes, 512 * GiB);
		CHECK(a->facts.hugepages);
		CHECK_U64(a->facts.nhuge, 2);
		CHECK_U64(vm_huge_bytes_of_size(&a->facts, GiB, 2 * MiB),
			  256 * GiB);
		CHECK_U64(vm_huge_bytes_of_size(&a->facts, 2 * MiB, 2 * MiB),
			  256 * GiB);
		/* The node binding survives: later starts are checked
		 * against those nodes' pools. */
		CHECK_U64(a->facts.huge[0].host_nodes, 0);
		CHECK_U64(a->facts.huge[1].page_bytes, GiB);
		CHECK_U64(a->facts.huge[1].host_nodes, 5);
		CHECK_STR(a->facts.class_name, "gpu-8x");
		CHECK_STR(vm_source(&a->facts),
			  "/etc/libvirt/qemu/train-01.xml");
		CHECK_STR(a->origin, "libvirt-hook");
		CHECK_STR(a->facts.origin, VM_ORIGIN_LIBVIRT);
		CHECK(a->started >= before);
		CHECK(a->scale.scaled);
		CHECK_U64(a->scale.cap_bytes, 6 * GiB + 512 * MiB);
		CHECK_U64(a->scale.from_bytes, 8 * GiB);
		CHECK_U64(a->scale.short_bytes, GiB + 512 * MiB);
		/* Normalised and sorted, as vm_add_pci keeps them. */
		CHECK_U64(a->facts.npci, 3);
		if (a->facts.npci == 3) {
			CHECK_STR(a->facts.pci[0], "0000:1b:00.0");
			CHECK_STR(a->facts.pci[1], "0000:3b:00.2");
			CHECK_STR(a->facts.pci[2], "0000:3b:00.3");
		}
		CHECK_STR(b->facts.name, "web");
		CHECK_U64(b->facts.memory_bytes, 8 * GiB);
		CHECK(!b->facts.hugepages);
		CHECK_STR(b->facts.class_name, "");
		CHECK_STR(b->origin, "cli");
		CHECK_STR(b->facts.origin, VM_ORIGIN_CH);
		CHECK(!b->scale.scaled);
		CHECK_U64(b->scale.cap_bytes, 0);
		CHECK_U64(b->facts.npci, 0);
	}
	got = state_find_vf(&back, "0000:3b:00.2");
	CHECK(got != NULL);
	if (got) {
		CHECK_STR(got->pf, "0000:3b:00.0");
		CHECK_U64(got->vhca_id, 0x1a2);
		CHECK_STR(got->vm, "train-01");
		CHECK_U64(got->cap_bytes, 16 * GiB);
		CHECK_STR(got->rule, "class gpu-8x");
		CHECK_STR(got->policy_digest, vf.policy_digest);
		CHECK_U64(got->time, 1700000000);
	}
	got = state_find_vf(&back, "0000:3b:00.4");
	CHECK(got != NULL);
	if (got) {
		CHECK_STR(got->vm, "");
		CHECK_U64(got->cap_bytes, IQ_UNLIMITED);
		CHECK_STR(got->rule, "defaults.idle_vf_cap");
	}
	/* Saving what was loaded gives the same journal again. */
	CHECK_U64(state_save(path, &back, &err), IQ_OK);
	state_free(&back);
	CHECK_U64(state_load(path, &back, &err), IQ_OK);
	CHECK_U64(back.nvms, 2);
	CHECK(back.nvfs == 2 && back.vfs[1].cap_bytes == IQ_UNLIMITED);
	CHECK_U64(back.vms[0].facts.npci, 3);
	state_free(&back);
	CHECK_U64(back.nvms, 0);
	CHECK(back.vms == NULL);

	vm_facts_free(&train);
	vm_facts_free(&web);
	state_free(&st);
	teardown();
}

/* A journal written before VMs named their VMM: derived from the origin. */
static void test_load_without_vmm(void)
{
	struct state st;
	struct iq_err err = {0};
	char path[PATH_MAX];

	setup();
	in_tmp(path, sizeof(path), "state.json");
	write_file(path, "{\"version\": 1, \"vms\": ["
			 "{\"name\": \"a\", \"origin\": \"ch\"},"
			 "{\"name\": \"b\", \"origin\": \"libvirt-hook\"},"
			 "{\"name\": \"c\", \"origin\": \"cli\","
			 " \"vmm\": \"ch\", \"memory_bytes\": 1073741824,"
			 " \"hugepages\": true}]}");
	CHECK_U64(state_load(path, &st, &err), IQ_OK);
	CHECK_U64(st.nvms, 3);
	CHECK_U64(st.nvfs, 0);
	if (st.nvms == 3) {
		CHECK_STR(st.vms[0].facts.origin, VM_ORIGIN_CH);
		CHECK_STR(st.vms[1].facts.origin, VM_ORIGIN_LIBVIRT);
		CHECK_STR(st.vms[2].facts.origin, VM_ORIGIN_CH);
		/* Absent fields are empty, not garbage. */
		CHECK_U64(st.vms[1].facts.memory_bytes, 0);
		CHECK_U64(st.vms[1].facts.npci, 0);
		CHECK(!st.vms[1].scale.scaled);
		/* A journal from before per-size backing: all of it in
		 * the default size. */
		CHECK_U64(st.vms[2].facts.nhuge, 1);
		CHECK_U64(st.vms[2].facts.huge[0].page_bytes, 0);
		CHECK_U64(vm_huge_bytes(&st.vms[2].facts), 1ULL << 30);
	}
	state_free(&st);
	teardown();
}

static void expect_corrupt(const char *text, const char *want)
{
	struct state st;
	struct iq_err err = {0};
	char path[PATH_MAX];

	in_tmp(path, sizeof(path), "state.json");
	write_file(path, text);
	CHECK_U64(state_load(path, &st, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, path);
	CHECK_CONTAINS(err.msg, want);
	/* Nothing half-loaded to free. */
	CHECK_U64(st.nvms, 0);
	CHECK_U64(st.nvfs, 0);
	state_free(&st);
}

static void test_corrupt(void)
{
	setup();
	expect_corrupt("{ \"version\": 1, \"vms\": [ {", "move it aside");
	expect_corrupt("not json at all", "move it aside");
	/* Truncated says so (json-c's word is "continue"), and the advice
	 * names the VM sources an apply needs to keep running VMs' caps. */
	expect_corrupt("{ \"version\": 1, \"vms\": [ {", "(cut short)");
	expect_corrupt("not json at all",
		       "with every VM source (--connect URI");
	expect_corrupt("", "corrupt journal");
	expect_corrupt("[1, 2]", "move it aside");
	expect_corrupt("\"version\"", "corrupt journal");
	/* Valid JSON, wrong or no version. */
	expect_corrupt("{\"version\": 2, \"vms\": [], \"vfs\": []}",
		       "version 2");
	expect_corrupt("{\"version\": 2}", "move it aside");
	expect_corrupt("{\"vms\": [], \"vfs\": []}", "version 0");
	/* Entries that cannot be used: the later ones are freed too. */
	expect_corrupt("{\"version\": 1, \"vms\": ["
		       "{\"name\": \"a\", \"pci\": [\"0000:3b:00.2\"]},"
		       "{\"name\": \"b\", \"pci\": [\"3b:00\"]}]}",
		       "VM b");
	expect_corrupt("{\"version\": 1, \"vms\": ["
		       "{\"name\": \"a\", \"pci\": [\"0000:3b:00.2\"]},"
		       "{\"uuid\": \"x\"}]}",
		       "vms[1].name is missing or empty");
	expect_corrupt("{\"version\": 1, \"vms\": [], \"vfs\": ["
		       "{\"pci\": \"0000:3b:00.2\"}, {\"pci\": \"garbage\"}]}",
		       "vfs[1].pci is not a PCI address");
	/* issue 8: wrong types are corrupt, never read as defaults. */
	expect_corrupt("{\"version\": 1, \"vms\": {\"a\": 1}}",
		       "vms is not an array");
	expect_corrupt("{\"version\": 1, \"vfs\": [{\"pci\": "
		       "\"0000:3b:00.2\", \"cap_bytes\": -1}]}",
		       "vfs[0].cap_bytes is not a number of bytes >= 0");
	expect_corrupt("{\"version\": 1, \"vms\": [{\"name\": \"a\", "
		       "\"scaled\": true, \"scaled_cap_bytes\": -1}]}",
		       "vms[0].scaled_cap_bytes is not a number of bytes");
	expect_corrupt("{\"version\": 1, \"vms\": [{\"name\": \"a\", "
		       "\"scaled\": \"yes\"}]}",
		       "vms[0].scaled is not true or false");
	expect_corrupt("{\"version\": 1, \"vms\": [{\"name\": "
		       "\"a\\u0000b\"}]}",
		       "vms[0].name contains a NUL character");
	expect_corrupt("{\"version\": 1, \"vms\": []} trailing",
		       "text after the end");
	expect_corrupt("{\"version\": 1, \"vms\": [], \"extra\": 1}",
		       "extra is not a journal key");
	expect_corrupt("{\"version\": 1, \"vms\": [{\"name\": \"a\"}, "
		       "{\"name\": \"a\"}]}",
		       "VM 'a' appears twice");
	expect_corrupt("{\"version\": 1, \"vfs\": [{\"pci\": "
		       "\"0000:3b:00.2\", \"vhca_id\": 70000}]}",
		       "vfs[0].vhca_id is out of range");
	expect_corrupt("{\"version\": \"1\"}", "version is not an integer");
	/* A node set holds node numbers 0..63, at least one. */
	expect_corrupt("{\"version\": 1, \"vms\": [{\"name\": \"a\", "
		       "\"huge\": [{\"page_bytes\": 1073741824, \"bytes\": "
		       "1073741824, \"host_nodes\": [64]}]}]}",
		       "vms[0].huge[0].host_nodes holds a node out of 0..63");
	expect_corrupt("{\"version\": 1, \"vms\": [{\"name\": \"a\", "
		       "\"huge\": [{\"page_bytes\": 1073741824, \"bytes\": "
		       "1073741824, \"host_nodes\": []}]}]}",
		       "host_nodes is not a non-empty array");
	teardown();
}

static void test_save_cannot_create_dir(void)
{
	struct state st = {0};
	struct iq_err err = {0};
	char blocker[PATH_MAX], path[PATH_MAX], dir[PATH_MAX];

	setup();
	/* A file where a directory should be: fails even as root. */
	in_tmp(blocker, sizeof(blocker), "var");
	write_file(blocker, "not a directory");
	in_tmp(path, sizeof(path), "var/lib/state.json");
	in_tmp(dir, sizeof(dir), "var/lib");
	CHECK_U64(state_save(path, &st, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, dir);
	CHECK_CONTAINS(err.msg, "cannot write journal");
	/* The file in the way is untouched. */
	CHECK_U64(count_entries(tmpdir), 1);
	teardown();
}

static void put(struct state *st, const char *name, const char *pci,
		const char *origin)
{
	const char *const list[] = {pci, NULL};
	struct vm_facts vm;
	struct iq_err err = {0};

	make_facts(&vm, name, 4 * GiB, false, "", pci ? list : NULL);
	CHECK_U64(state_put_vm(st, &vm, origin, &err), IQ_OK);
	/* The journal keeps its own copy. */
	vm_facts_free(&vm);
}

static void test_put_replace_drop(void)
{
	struct state st = {0};
	struct state_vm *vm;

	put(&st, "a", "3b:00.2", "cli");
	put(&st, "b", "3b:00.3", "cli");
	put(&st, "c", NULL, "ch");
	put(&st, "d", "3b:00.6", "cli");
	CHECK_U64(st.nvms, 4);
	vm = state_find_vm(&st, "b");
	CHECK(vm != NULL);
	if (vm) {
		vm->scale.scaled = true;
		vm->scale.cap_bytes = GiB;
	}
	/* Replace keeps the position, takes the new facts, clears scaled. */
	put(&st, "b", "3b:00.5", "libvirt-hook");
	CHECK_U64(st.nvms, 4);
	if (st.nvms == 4) {
		CHECK_STR(st.vms[0].facts.name, "a");
		CHECK_STR(st.vms[1].facts.name, "b");
		CHECK_STR(st.vms[2].facts.name, "c");
		CHECK_STR(st.vms[3].facts.name, "d");
		CHECK_STR(st.vms[1].origin, "libvirt-hook");
		CHECK(!st.vms[1].scale.scaled);
		CHECK_U64(st.vms[1].scale.cap_bytes, 0);
		CHECK(st.vms[1].facts.npci == 1 &&
		      strcmp(st.vms[1].facts.pci[0], "0000:3b:00.5") == 0);
		CHECK(st.vms[0].facts.npci == 1 &&
		      strcmp(st.vms[0].facts.pci[0], "0000:3b:00.2") == 0);
	}
	/* Drop from the middle keeps the others in order. */
	state_drop_vm(&st, "b");
	CHECK_U64(st.nvms, 3);
	CHECK(state_find_vm(&st, "b") == NULL);
	if (st.nvms == 3) {
		CHECK_STR(st.vms[0].facts.name, "a");
		CHECK_STR(st.vms[1].facts.name, "c");
		CHECK_STR(st.vms[2].facts.name, "d");
		CHECK(st.vms[2].facts.npci == 1 &&
		      strcmp(st.vms[2].facts.pci[0], "0000:3b:00.6") == 0);
	}
	/* Dropping what is not there changes nothing. */
	state_drop_vm(&st, "b");
	state_drop_vm(&st, "zzz");
	CHECK_U64(st.nvms, 3);
	/* Last, first, the only one; then add again. */
	state_drop_vm(&st, "d");
	state_drop_vm(&st, "a");
	CHECK(st.nvms == 1 && strcmp(st.vms[0].facts.name, "c") == 0);
	state_drop_vm(&st, "c");
	CHECK_U64(st.nvms, 0);
	put(&st, "e", "3b:00.7", "cli");
	CHECK_U64(st.nvms, 1);
	CHECK(state_find_vm(&st, "e") == &st.vms[0]);
	state_free(&st);
	CHECK_U64(st.nvms, 0);
	/* Freeing twice is harmless. */
	state_free(&st);
}

static void test_put_vf(void)
{
	struct state st = {0};
	struct state_vf vf;
	struct state_vf *got;
	struct iq_err err = {0};

	make_vf(&vf, "0000:3b:00.2", "train-01", 16 * GiB);
	CHECK_U64(state_put_vf(&st, &vf, &err), IQ_OK);
	make_vf(&vf, "0000:3b:00.3", "", 256 * MiB);
	CHECK_U64(state_put_vf(&st, &vf, &err), IQ_OK);
	CHECK_U64(st.nvfs, 2);
	/* The same VF again replaces it in place. */
	make_vf(&vf, "0000:3b:00.2", "", 256 * MiB);
	vf.time = 1800000000;
	CHECK_U64(state_put_vf(&st, &vf, &err), IQ_OK);
	CHECK_U64(st.nvfs, 2);
	got = state_find_vf(&st, "0000:3b:00.2");
	CHECK(got == &st.vfs[0]);
	if (got) {
		CHECK_STR(got->vm, "");
		CHECK_U64(got->cap_bytes, 256 * MiB);
		CHECK_U64(got->time, 1800000000);
	}
	make_vf(&vf, "0000:3b:00.4", "web", IQ_UNLIMITED);
	CHECK_U64(state_put_vf(&st, &vf, &err), IQ_OK);
	CHECK_U64(st.nvfs, 3);
	CHECK(state_find_vf(&st, "0000:3b:00.4") == &st.vfs[2]);
	CHECK(state_find_vf(&st, "0000:3b:00.5") == NULL);
	state_free(&st);
}

/* VMs journalled in another boot do not run any more. */
static void test_forget_other_boot(void)
{
	struct state st = {0};
	struct state_vf vf;
	struct iq_err err = {0};

	put(&st, "a", "3b:00.2", "cli");
	put(&st, "b", "3b:00.3", "libvirt-hook");
	make_vf(&vf, "0000:3b:00.2", "a", 8 * GiB);
	CHECK_U64(state_put_vf(&st, &vf, &err), IQ_OK);
	make_vf(&vf, "0000:3b:00.3", "b", 8 * GiB);
	CHECK_U64(state_put_vf(&st, &vf, &err), IQ_OK);
	st.released_hugepages = 7;

	/* A journal from before boot ids: adopt this boot, keep the VMs. */
	CHECK_U64(state_forget_other_boot(&st, "boot-1"), 0);
	CHECK_STR(st.boot_id, "boot-1");
	CHECK_U64(st.nvms, 2);
	/* The same boot, or no boot id known: nothing changes. */
	CHECK_U64(state_forget_other_boot(&st, "boot-1"), 0);
	CHECK_U64(state_forget_other_boot(&st, ""), 0);
	CHECK_STR(st.boot_id, "boot-1");
	CHECK_U64(st.nvms, 2);
	CHECK_U64(st.released_hugepages, 7);

	/* Rebooted: every VM goes, the VFs stay but belong to nobody. */
	CHECK_U64(state_forget_other_boot(&st, "boot-2"), 2);
	CHECK_STR(st.boot_id, "boot-2");
	CHECK_U64(st.nvms, 0);
	CHECK(state_find_vm(&st, "a") == NULL);
	CHECK_U64(st.nvfs, 2);
	CHECK(st.nvfs == 2 && st.vfs[0].vm[0] == '\0' &&
	      st.vfs[1].vm[0] == '\0');
	CHECK(st.nvfs == 2 && st.vfs[0].cap_bytes == 8 * GiB);
	CHECK_U64(st.released_hugepages, 0);
	/* And the journal goes on from there. */
	put(&st, "c", "3b:00.4", "cli");
	CHECK_U64(st.nvms, 1);
	state_free(&st);
}

/* --- the lock ------------------------------------------------------------- */

struct child_result {
	int rc;
	double waited;
	char msg[sizeof(((struct iq_err *)0)->msg)];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* lock_acquire in a child process; its result comes back through a pipe. */
static struct child_result acquire_in_child(const char *path, double timeout)
{
	struct child_result res = {.rc = -1};
	int fds[2];
	pid_t pid;

	if (pipe(fds) != 0) {
		perror("pipe");
		return res;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		struct iq_err err = {0};
		struct child_result out = {0};
		double start = now_s();
		int fd = -1;

		close(fds[0]);
		out.rc = lock_acquire(path, timeout, &fd, &err);
		out.waited = now_s() - start;
		snprintf(out.msg, sizeof(out.msg), "%s", err.msg);
		if (out.rc == IQ_OK)
			lock_release(fd);
		if (write(fds[1], &out, sizeof(out)) != (ssize_t)sizeof(out))
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], &res, sizeof(res)) != (ssize_t)sizeof(res))
		res.rc = -1;
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return res;
}

static void test_lock(void)
{
	struct iq_err err = {0};
	struct child_result res;
	char path[PATH_MAX], pid[32];
	int fd = -1;

	setup();
	/* The lock's directory is created. */
	in_tmp(path, sizeof(path), "run/icmquota/lock");
	CHECK_U64(lock_acquire(path, 1.0, &fd, &err), IQ_OK);
	CHECK(fd >= 0);

	res = acquire_in_child(path, 0.3);
	CHECK_U64(res.rc, IQ_EENV);
	/* It waited its timeout, and not much longer. */
	CHECK(res.waited >= 0.3);
	CHECK(res.waited < 1.5);
	CHECK_CONTAINS(res.msg, path);
	CHECK_CONTAINS(res.msg, "holds the lock");
	snprintf(pid, sizeof(pid), "pid %ld", (long)getpid());
	CHECK_CONTAINS(res.msg, pid);
	CHECK_CONTAINS(res.msg, "--lock-timeout");

	/* A zero timeout gives up at once. */
	res = acquire_in_child(path, 0);
	CHECK_U64(res.rc, IQ_EENV);
	CHECK(res.waited < 0.5);

	lock_release(fd);
	res = acquire_in_child(path, 0.3);
	CHECK_U64(res.rc, IQ_OK);
	CHECK(res.waited < 0.3);
	/* And once the child let go, this process gets it again. */
	CHECK_U64(lock_acquire(path, 0.3, &fd, &err), IQ_OK);
	lock_release(fd);
	/* Releasing nothing is harmless. */
	lock_release(-1);
	teardown();
}

static void test_lock_cannot_create_dir(void)
{
	struct iq_err err = {0};
	char blocker[PATH_MAX], path[PATH_MAX];
	int fd = -1;

	setup();
	in_tmp(blocker, sizeof(blocker), "run");
	write_file(blocker, "x");
	in_tmp(path, sizeof(path), "run/icmquota/lock");
	CHECK_U64(lock_acquire(path, 0.1, &fd, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, blocker);
	CHECK(fd == -1);
	teardown();
}

int main(void)
{
	RUN(test_missing_is_empty);
	RUN(test_round_trip);
	RUN(test_load_without_vmm);
	RUN(test_corrupt);
	RUN(test_save_cannot_create_dir);
	RUN(test_put_replace_drop);
	RUN(test_put_vf);
	RUN(test_forget_other_boot);
	RUN(test_lock);
	RUN(test_lock_cannot_create_dir);
	return TEST_SUMMARY("test_state");
}
