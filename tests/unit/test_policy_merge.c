// SPDX-License-Identifier: MIT
/*
 * Policy drop-ins: the main policy and policy.d/NAME.yaml merged in lexical
 * order (tests/fixtures/policy/merged/), precedence key by key, every
 * value's file:line:col, the digest over all files, a replacement text
 * standing in for a drop-in; and the tool's drop-in edited and emitted.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/size.h"
#include "policy/policy.h"
#include "policy/yaml_dl.h"

#include "tests/unit/test.h"

#define DIR  "tests/fixtures/policy/merged/"
#define MAIN DIR "policy.yaml"
#define GiB  (1ULL << 30)
#define MiB  (1ULL << 20)

static struct policy_vm vm(const char *name, const char *class_name)
{
	struct policy_vm v = {
		.name = name, .uuid = "", .class_name = class_name};

	return v;
}

static void test_merge_order_and_positions(void)
{
	struct policy p;
	struct iq_err err = {0};
	struct policy_decision d;
	struct policy_vm v;

	CHECK_U64(policy_load_merged(MAIN, false, NULL, &p, &err), IQ_OK);
	CHECK_STR(err.msg, "");
	/* README.txt is skipped: only *.yaml are drop-ins. */
	CHECK_U64(p.nfiles, 3);
	if (p.nfiles != 3)
		return;
	CHECK_STR(p.files[0], MAIN);
	CHECK_STR(p.files[1], DIR "policy.d/10-site.yaml");
	CHECK_STR(p.files[2], DIR "policy.d/99-icmquota-local.yaml");
	/* host.reserve from the main file, admission from 10-site. */
	CHECK_U64(p.reserve.bytes, 64 * GiB);
	CHECK_U64(p.reserve.pos.file, 0);
	CHECK_U64(p.reserve.pos.line, 4);
	CHECK_U64(p.admission, POLICY_ADMIT_SCALE);
	CHECK_U64(p.admission_pos.file, 1);
	CHECK_U64(p.admission_pos.line, 4);
	CHECK_U64(p.admission_pos.col, 14);
	/* defaults.vf_cap: 99 wins over main; idle_vf_cap stays main's. */
	CHECK_U64(p.vf_cap.bytes, 12 * GiB);
	CHECK_STR(policy_file(&p, p.vf_cap.pos),
		  DIR "policy.d/99-icmquota-local.yaml");
	CHECK_U64(p.vf_cap.pos.line, 4);
	CHECK_U64(p.vf_cap.pos.col, 11);
	CHECK_U64(p.idle_vf_cap.bytes, 256 * MiB);
	CHECK_U64(p.idle_vf_cap.pos.file, 0);
	/* Classes merged per key; a class only a drop-in defines. */
	CHECK_U64(p.nclasses, 3);
	CHECK_STR(p.classes[0].name, "gpu-8x");
	CHECK_U64(p.classes[0].vf_cap.bytes, 16 * GiB);
	CHECK_U64(p.classes[0].vf_cap.pos.file, 0);
	CHECK_U64(p.classes[0].vm_cap.bytes, 48 * GiB);
	CHECK_U64(p.classes[0].vm_cap.pos.file, 1);
	CHECK_U64(p.classes[0].vm_cap.pos.line, 6);
	CHECK_STR(p.classes[2].name, "inference");
	/* vms: the later file's rules first; same match merged in place. */
	CHECK_U64(p.nvms, 4);
	CHECK_STR(p.vms[0].name_glob, "train-7");
	CHECK_STR(p.vms[1].name_glob, "infer-*");
	CHECK_STR(p.vms[2].name_glob, "web-*");
	CHECK_STR(p.vms[2].class_name, "small");
	CHECK_U64(p.vms[2].class_pos.file, 0);
	CHECK_U64(p.vms[2].vf_cap.bytes, 3 * GiB);
	CHECK_U64(p.vms[2].vf_cap.pos.file, 1);
	CHECK_U64(p.vms[2].vf_cap.pos.line, 12);
	CHECK_STR(p.vms[3].name_glob, "train-*");
	/* Devices per key. */
	CHECK_U64(p.ndevices, 1);
	CHECK_U64(p.devices[0].vf_cap.bytes, 4 * GiB);
	CHECK_U64(p.devices[0].vm_cap.bytes, 10 * GiB);
	CHECK_U64(p.devices[0].vm_cap.pos.file, 2);

	/* Evaluation on the merged policy. */
	v = vm("train-7", "");
	policy_vf_cap(&p, &v, "0000:3b:00.0", &d);
	CHECK_U64(d.cap_bytes, 4 * GiB);
	CHECK_STR(d.rule, "vms[0] (name train-7)");
	CHECK_U64(d.pos.file, 2);
	v = vm("train-3", "");
	policy_vf_cap(&p, &v, "0000:af:00.0", &d);
	CHECK_U64(d.cap_bytes, 16 * GiB);
	CHECK(policy_vm_cap(&p, &v, "0000:af:00.0", &d));
	CHECK_U64(d.cap_bytes, 48 * GiB);
	CHECK_STR(d.rule, "class gpu-8x");
	v = vm("web-1", "");
	policy_vf_cap(&p, &v, "0000:3b:00.0", &d);
	CHECK_U64(d.cap_bytes, 3 * GiB);
	/* No class vm_cap for web-1: the device's vm_cap (file 99). */
	CHECK(policy_vm_cap(&p, &v, "0000:3b:00.0", &d));
	CHECK_U64(d.cap_bytes, 10 * GiB);
	CHECK_STR(d.rule, "devices 0000:3b:00.0");
	CHECK(!policy_vm_cap(&p, &v, "0000:af:00.0", &d));
	CHECK_STR(d.rule, "none");
	v = vm("infer-2", "");
	policy_vf_cap(&p, &v, "0000:af:00.0", &d);
	CHECK_U64(d.cap_bytes, 6 * GiB);
	CHECK_U64(strlen(p.digest), 64);
	policy_free(&p);
}

static void test_digest_covers_every_file(void)
{
	static const char text[] = "version: 1\ndefaults: { vf_cap: 6GiB }\n";
	struct policy_text t = {DIR "policy.d/99-icmquota-local.yaml", text,
				sizeof(text) - 1};
	struct policy a, b, main_only;
	struct iq_err err = {0};

	CHECK_U64(policy_load_merged(MAIN, false, NULL, &a, &err), IQ_OK);
	CHECK_U64(policy_load_merged(MAIN, false, &t, &b, &err), IQ_OK);
	CHECK_U64(policy_load(MAIN, &main_only, &err), IQ_OK);
	CHECK(strcmp(a.digest, b.digest) != 0);
	CHECK(strcmp(a.digest, main_only.digest) != 0);
	/* The replacement stood in for the tool's drop-in. */
	CHECK_U64(b.nfiles, 3);
	CHECK_U64(b.vf_cap.bytes, 6 * GiB);
	CHECK_U64(b.nvms, 3); /* train-7 is gone with the old text */
	policy_free(&a);
	policy_free(&b);
	policy_free(&main_only);
}

static void test_replace_new_file_takes_its_lexical_place(void)
{
	static const char text[] = "version: 1\nvms:\n"
				   "  - match: { name: \"db-*\" }\n"
				   "    class: small\n";
	struct policy_text t = {DIR "policy.d/50-db.yaml", text,
				sizeof(text) - 1};
	struct policy p;
	struct iq_err err = {0};

	/* A class of the main file used by a drop-in: checked merged. */
	CHECK_U64(policy_load_merged(MAIN, false, &t, &p, &err), IQ_OK);
	CHECK_STR(err.msg, "");
	CHECK_U64(p.nfiles, 4);
	if (p.nfiles == 4)
		CHECK_STR(p.files[2], DIR "policy.d/50-db.yaml");
	/* 99's rule first, then 50's, then 10's, then main's. */
	CHECK_STR(p.vms[0].name_glob, "train-7");
	CHECK_STR(p.vms[1].name_glob, "db-*");
	CHECK_STR(p.vms[2].name_glob, "infer-*");
	policy_free(&p);
}

static void test_unknown_class_names_the_dropin(void)
{
	static const char text[] = "version: 1\nvms:\n"
				   "  - match: { name: \"db-*\" }\n"
				   "    class: nosuch\n";
	struct policy_text t = {DIR "policy.d/50-db.yaml", text,
				sizeof(text) - 1};
	struct policy p;
	struct iq_err err = {0};

	CHECK_U64(policy_load_merged(MAIN, false, &t, &p, &err), IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, DIR "policy.d/50-db.yaml:4:12: vms[1].class: "
				    "unknown class 'nosuch'");
	CHECK(p.files == NULL);
}

static void test_builtin_main_with_dropins(void)
{
	struct policy p;
	struct iq_err err = {0};

	CHECK_U64(policy_load_merged(DIR "absent.yaml", true, NULL, &p, &err),
		  IQ_OK);
	CHECK_U64(p.nfiles, 3);
	if (p.nfiles)
		CHECK_STR(p.files[0], "(built-in defaults)");
	CHECK_U64(p.vf_cap.bytes, 12 * GiB);
	CHECK_U64(p.reserve.bytes, 64 * GiB); /* built-in */
	CHECK_U64(p.reserve.pos.line, 0);
	policy_free(&p);
}

/*
 * No main file (built-in defaults) and a policy.d others may write: refused
 * as beside a main file, even when its only drop-in is a symlink to a
 * root-owned file elsewhere (whose own check resolves past policy.d).
 */
static void test_builtin_main_untrusted_dropin_dir(void)
{
	char tmp[] = "/tmp/iq-test-dropins-XXXXXX";
	char dir[128], safe[128], link[128], main_path[128], want[256];
	struct policy p;
	struct iq_err err = {0};
	FILE *f;

	if (geteuid() != 0) {
		fprintf(stderr, "not root: trust checks are skipped, so is "
				"this case\n");
		return;
	}
	CHECK(mkdtemp(tmp) != NULL);
	snprintf(dir, sizeof(dir), "%s/policy.d", tmp);
	snprintf(safe, sizeof(safe), "%s/safe.yaml", tmp);
	snprintf(link, sizeof(link), "%s/10-x.yaml", dir);
	snprintf(main_path, sizeof(main_path), "%s/policy.yaml", tmp);
	CHECK(mkdir(dir, 0755) == 0);
	f = fopen(safe, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("version: 1\ndefaults: { vf_cap: unlimited }\n", f);
		fclose(f);
	}
	CHECK(symlink(safe, link) == 0);
	CHECK_U64(policy_load_merged(main_path, true, NULL, &p, &err), IQ_OK);
	CHECK_U64(p.vf_cap.bytes, IQ_UNLIMITED);
	policy_free(&p);
	CHECK(chmod(dir, 0777) == 0);
	CHECK_U64(policy_load_merged(main_path, true, NULL, &p, &err),
		  IQ_EREFUSED);
	snprintf(want, sizeof(want),
		 "%s: writable by group or others (mode 0777): root does not "
		 "trust the policy drop-ins; run chmod go-w %s",
		 dir, dir);
	CHECK_CONTAINS(err.msg, want);
	policy_free(&p);
	unlink(link);
	unlink(safe);
	rmdir(dir);
	rmdir(tmp);
}

static void test_missing_main_is_an_error(void)
{
	struct policy p;
	struct iq_err err = {0};

	CHECK_U64(policy_load_merged(DIR "absent.yaml", false, NULL, &p, &err),
		  IQ_EENV);
	CHECK_CONTAINS(err.msg, DIR "absent.yaml: cannot read policy");
}

static void test_edit_set_emit_roundtrip(void)
{
	static const char want[] = "# tool\n"
				   "version: 1\n"
				   "defaults:\n"
				   "  vf_cap: 6GiB\n"
				   "classes:\n"
				   "  gpu: {vm_cap: 12GiB}\n"
				   "vms:\n"
				   "- match: {uuid: "
				   "4dea22b3-1d52-d8f3-2516-782e98ab3fa0}\n"
				   "  vf_cap: 1536MiB\n"
				   "- match: {name: train-7}\n"
				   "  class: gpu\n"
				   "  vf_cap: 4GiB\n"
				   "devices:\n"
				   "  0000:3b:00.0: {vf_cap: unlimited}\n";
	struct policy_selector vm7 = {POLICY_SEL_VM, "train-7"};
	struct policy_selector cls = {POLICY_SEL_CLASS, "gpu"};
	struct policy_selector def = {POLICY_SEL_DEFAULTS, NULL};
	struct policy_selector uuid = {POLICY_SEL_UUID,
				       "4DEA22B3-1D52-D8F3-2516-782E98AB3FA0"};
	struct policy_selector dev = {POLICY_SEL_DEVICE, "3b:00.0"};
	struct policy f, back;
	struct iq_err err = {0};
	char *text = NULL;
	size_t len = 0;
	bool changed;

	/* Parse and emit each load libyaml (not linked) themselves. */
	memset(&yaml_dl, 0, sizeof(yaml_dl));
	CHECK_U64(policy_parse_fragment("version: 1\n", 11, "t", &f, &err),
		  IQ_OK);
	CHECK_U64(policy_edit_set(&f, &vm7, "vf_cap", "4GiB", &err), IQ_OK);
	CHECK_U64(policy_edit_set(&f, &vm7, "class", "gpu", &err), IQ_OK);
	CHECK_U64(policy_edit_set(&f, &cls, "vm_cap", "12G", &err), IQ_OK);
	CHECK_U64(policy_edit_set(&f, &cls, "vf_cap", "8GiB", &err), IQ_OK);
	CHECK_U64(policy_edit_unset(&f, &cls, "vf_cap", &changed, &err), IQ_OK);
	CHECK(changed);
	CHECK_U64(policy_edit_set(&f, &def, "vf_cap", "6GiB", &err), IQ_OK);
	CHECK_U64(policy_edit_set(&f, &uuid, "vf_cap", "1.5GiB", &err), IQ_OK);
	CHECK_U64(policy_edit_set(&f, &dev, "vf_cap", "unlimited", &err),
		  IQ_OK);
	memset(&yaml_dl, 0, sizeof(yaml_dl));
	CHECK_U64(policy_emit(&f, "# tool\n", &text, &len, &err), IQ_OK);
	CHECK_STR(text, want);
	CHECK_U64(len, sizeof(want) - 1);
	/* What was emitted parses back to the same values. */
	CHECK_U64(policy_parse_fragment(text, len, "t", &back, &err), IQ_OK);
	CHECK_U64(back.vf_cap.bytes, 6 * GiB);
	CHECK_U64(back.nvms, 2);
	CHECK_U64(back.vms[0].vf_cap.bytes, 1536 * MiB);
	CHECK_U64(back.vms[1].vf_cap.bytes, 4 * GiB);
	CHECK_U64(back.classes[0].vm_cap.bytes, 12 * GiB);
	CHECK(!back.classes[0].vf_cap.set);
	CHECK_U64(back.devices[0].vf_cap.bytes, IQ_UNLIMITED);
	policy_free(&back);
	free(text);

	/* Unsetting the last key of an entry removes the entry. */
	CHECK_U64(policy_edit_unset(&f, &dev, "vf_cap", &changed, &err), IQ_OK);
	CHECK(changed);
	CHECK_U64(f.ndevices, 0);
	CHECK_U64(policy_edit_unset(&f, &dev, "vf_cap", &changed, &err), IQ_OK);
	CHECK(!changed);
	policy_free(&f);
}

static void test_edit_refusals(void)
{
	struct policy_selector cls = {POLICY_SEL_CLASS, "gpu"};
	struct policy_selector host = {POLICY_SEL_HOST, NULL};
	struct policy_selector dev = {POLICY_SEL_DEVICE, "nonsense"};
	struct policy f;
	struct iq_err err = {0};

	CHECK_U64(policy_parse_fragment("version: 1\n", 11, "t", &f, &err),
		  IQ_OK);
	CHECK_U64(policy_edit_set(&f, &cls, "idle_vf_cap", "1GiB", &err),
		  IQ_EUSAGE);
	CHECK_CONTAINS(err.msg, "unknown key 'idle_vf_cap' (use vf_cap, "
				"vm_cap)");
	CHECK_U64(policy_edit_set(&f, &cls, "vf_cap", "5000", &err), IQ_EUSAGE);
	CHECK_CONTAINS(err.msg, "5000 bytes is not a multiple of 4 KiB");
	CHECK_U64(policy_edit_set(&f, &cls, "vf_cap", "8 parsecs", &err),
		  IQ_EUSAGE);
	CHECK_U64(policy_edit_set(&f, &host, "admission", "lax", &err),
		  IQ_EUSAGE);
	CHECK_CONTAINS(err.msg, "use strict, scale or warn");
	CHECK_U64(policy_edit_set(&f, &host, "admission", "warn", &err), IQ_OK);
	CHECK_U64(f.admission, POLICY_ADMIT_WARN);
	CHECK_U64(policy_edit_set(&f, &dev, "vf_cap", "1GiB", &err), IQ_EUSAGE);
	CHECK_CONTAINS(err.msg, "bad PCI address 'nonsense'");
	/* Refused edits added nothing. */
	CHECK_U64(f.nclasses, 0);
	CHECK_U64(f.ndevices, 0);
	policy_free(&f);
}

static void test_size_exact(void)
{
	char buf[32];

	policy_size_exact(12 * GiB, buf, sizeof(buf));
	CHECK_STR(buf, "12GiB");
	policy_size_exact(1536 * MiB, buf, sizeof(buf));
	CHECK_STR(buf, "1536MiB");
	policy_size_exact(4100 * 1024, buf, sizeof(buf));
	CHECK_STR(buf, "4100KiB");
	policy_size_exact(2ULL << 40, buf, sizeof(buf));
	CHECK_STR(buf, "2TiB");
	policy_size_exact(IQ_UNLIMITED, buf, sizeof(buf));
	CHECK_STR(buf, "unlimited");
}

int main(void)
{
	RUN(test_merge_order_and_positions);
	RUN(test_digest_covers_every_file);
	RUN(test_replace_new_file_takes_its_lexical_place);
	RUN(test_unknown_class_names_the_dropin);
	RUN(test_builtin_main_with_dropins);
	RUN(test_builtin_main_untrusted_dropin_dir);
	RUN(test_missing_main_is_an_error);
	RUN(test_edit_set_emit_roundtrip);
	RUN(test_edit_refusals);
	RUN(test_size_exact);
	return TEST_SUMMARY("test_policy_merge");
}
