// SPDX-License-Identifier: MIT
/*
 * The YAML policy: parsing the architecture example, every class of error
 * at its exact line:column, built-in defaults, evaluation precedence, and
 * the per-device check of caps against total ICM. libyaml is not linked
 * (policy/yaml_dl.h): every parse starts with its table emptied, so a
 * parse that does not load libyaml itself crashes this binary.
 */
#include "controller/sources/vm.h"
#include "lib/size.h"
#include "policy/policy.h"
#include "policy/yaml_dl.h"

#include "tests/unit/test.h"

/* The policy sees VM facts through their policy view. */
static struct policy_vm pvm_view;
#define PVM(vm) vm_policy_view((vm), &pvm_view)

#define FIXTURES "tests/fixtures/policy/"
#define GiB	 (1ULL << 30)
#define MiB	 (1ULL << 20)

#define UUID_RULE "4dea22b3-1d52-d8f3-2516-782e98ab3fa0"

/* As in a process that has not loaded libyaml yet (it stays mapped). */
static void without_libyaml(void)
{
	memset(&yaml_dl, 0, sizeof(yaml_dl));
}

static int parse_str(const char *yaml, struct policy *policy,
		     struct iq_err *err)
{
	int rc;

	without_libyaml();
	rc = policy_parse(yaml, strlen(yaml), "policy.yaml", policy, err);
	CHECK(yaml_dl.loaded);
	return rc;
}

/*
 * Parsing yaml must fail with IQ_EREFUSED and a message that starts with
 * expected (which holds the label, line:col and key). A failed parse must
 * leave nothing allocated.
 */
static int expect_refused(const char *yaml, const char *expected)
{
	struct policy policy;
	struct iq_err err = {0};
	int rc = parse_str(yaml, &policy, &err);
	int ok = 1;

	if (rc != IQ_EREFUSED) {
		fprintf(stderr, "  rc %d, expected %d for:\n%s\n", rc,
			IQ_EREFUSED, yaml);
		ok = 0;
	}
	if (strncmp(err.msg, expected, strlen(expected)) != 0) {
		fprintf(stderr, "  message \"%s\"\n  expected \"%s...\"\n",
			err.msg, expected);
		ok = 0;
	}
	if (policy.classes || policy.vms || policy.devices || policy.nclasses ||
	    policy.nvms || policy.ndevices) {
		fprintf(stderr, "  failed parse left arrays behind\n");
		ok = 0;
	}
	if (rc == IQ_OK)
		policy_free(&policy);
	return ok;
}

static int load_fixture(const char *name, struct policy *policy,
			struct iq_err *err)
{
	char path[256];

	snprintf(path, sizeof(path), FIXTURES "%s", name);
	return policy_load(path, policy, err);
}

static struct vm_facts vm_named(const char *name, const char *uuid,
				const char *class_name)
{
	struct vm_facts vm;

	memset(&vm, 0, sizeof(vm));
	snprintf(vm.name, sizeof(vm.name), "%s", name);
	snprintf(vm.uuid, sizeof(vm.uuid), "%s", uuid);
	snprintf(vm.class_name, sizeof(vm.class_name), "%s", class_name);
	return vm;
}

/* ---- parsing what is right ---------------------------------------- */

static void test_example_parses(void)
{
	struct policy policy;
	struct iq_err err = {0};
	int rc = load_fixture("example.yaml", &policy, &err);

	CHECK_U64(rc, IQ_OK);
	if (rc) {
		fprintf(stderr, "  %s\n", err.msg);
		return;
	}
	CHECK_STR(policy.path, FIXTURES "example.yaml");
	CHECK_U64(strlen(policy.digest), 64);
	CHECK_U64(policy.reserve.bytes, 64 * GiB);
	CHECK(policy.reserve.set);
	CHECK_U64(policy.reserve.pos.line, 3);
	CHECK_U64(policy.reserve.pos.col, 12);
	CHECK_U64(policy.admission, POLICY_ADMIT_STRICT);
	CHECK_U64(policy.hugepages, POLICY_HUGEPAGES_OBSERVE);
	CHECK_U64(policy.vf_cap.bytes, 8 * GiB);
	CHECK_U64(policy.vf_cap.pos.line, 8);
	CHECK_U64(policy.vf_cap.pos.col, 11);
	CHECK_U64(policy.idle_vf_cap.bytes, 256 * MiB);
	CHECK_U64(policy.idle_vf_cap.pos.line, 9);
	CHECK_U64(policy.idle_vf_cap.pos.col, 16);
	CHECK_U64(policy.min_vf_cap.bytes, 1 * GiB);
	CHECK_U64(policy.min_vf_cap.pos.line, 10);
	CHECK_U64(policy.min_vf_cap.pos.col, 15);

	CHECK_U64(policy.nclasses, 2);
	if (policy.nclasses == 2) {
		CHECK_STR(policy.classes[0].name, "gpu-8x");
		CHECK_U64(policy.classes[0].vf_cap.bytes, 16 * GiB);
		CHECK_U64(policy.classes[0].pos.line, 12);
		CHECK_U64(policy.classes[0].pos.col, 3);
		CHECK_U64(policy.classes[0].vf_cap.pos.line, 12);
		CHECK_U64(policy.classes[0].vf_cap.pos.col, 23);
		CHECK_STR(policy.classes[1].name, "small");
		CHECK_U64(policy.classes[1].vf_cap.bytes, 2 * GiB);
		CHECK_U64(policy.classes[1].vf_cap.pos.line, 13);
	}

	CHECK_U64(policy.nvms, 2);
	if (policy.nvms == 2) {
		CHECK_STR(policy.vms[0].name_glob, "train-*");
		CHECK_STR(policy.vms[0].uuid, "");
		CHECK_STR(policy.vms[0].class_name, "gpu-8x");
		CHECK_U64(policy.vms[0].class_pos.line, 16);
		CHECK_U64(policy.vms[0].class_pos.col, 12);
		CHECK(!policy.vms[0].vf_cap.set);
		CHECK_U64(policy.vms[0].pos.line, 15);
		CHECK_U64(policy.vms[0].pos.col, 5);
		CHECK_STR(policy.vms[1].name_glob, "");
		CHECK_STR(policy.vms[1].uuid, UUID_RULE);
		CHECK_STR(policy.vms[1].class_name, "");
		CHECK(policy.vms[1].vf_cap.set);
		CHECK_U64(policy.vms[1].vf_cap.bytes, 4 * GiB);
		CHECK_U64(policy.vms[1].vf_cap.pos.line, 18);
		CHECK_U64(policy.vms[1].vf_cap.pos.col, 13);
	}

	CHECK_U64(policy.ndevices, 1);
	if (policy.ndevices == 1) {
		CHECK_STR(policy.devices[0].pci, "0000:3b:00.0");
		CHECK_U64(policy.devices[0].vf_cap.bytes, 4 * GiB);
		CHECK_U64(policy.devices[0].pos.line, 20);
		CHECK_U64(policy.devices[0].pos.col, 3);
		CHECK_U64(policy.devices[0].vf_cap.pos.line, 20);
		CHECK_U64(policy.devices[0].vf_cap.pos.col, 29);
	}
	policy_free(&policy);
	CHECK(!policy.classes && !policy.vms && !policy.devices);
	/* Freeing twice is harmless (callers free on every path). */
	policy_free(&policy);
}

static void test_storage_host_parses(void)
{
	struct policy policy;
	struct iq_err err = {0};
	int rc = load_fixture("storage-host.yaml", &policy, &err);

	CHECK_U64(rc, IQ_OK);
	if (rc) {
		fprintf(stderr, "  %s\n", err.msg);
		return;
	}
	CHECK_U64(policy.reserve.bytes, 32 * GiB);
	CHECK_U64(policy.admission, POLICY_ADMIT_SCALE);
	CHECK_U64(policy.hugepages, POLICY_HUGEPAGES_MANAGE);
	CHECK_U64(policy.min_vf_cap.bytes, 512 * MiB);
	CHECK_U64(policy.nclasses, 2);
	if (policy.nclasses == 2)
		CHECK_U64(policy.classes[1].vf_cap.bytes, IQ_UNLIMITED);
	CHECK_U64(policy.nvms, 2);
	if (policy.nvms == 2) {
		/* Decimal sizes; uuid stored lowercase. */
		CHECK_U64(policy.vms[0].vf_cap.bytes, 1536 * MiB);
		CHECK_STR(policy.vms[0].uuid,
			  "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
		CHECK_STR(policy.vms[0].name_glob, "db-*");
	}
	CHECK_U64(policy.ndevices, 1);
	if (policy.ndevices == 1)
		CHECK_STR(policy.devices[0].pci, "0000:5e:00.1");
	policy_free(&policy);
}

static void test_builtin_defaults(void)
{
	struct policy policy;
	struct iq_err err = {0};
	int rc = parse_str("version: 1\n", &policy, &err);

	CHECK_U64(rc, IQ_OK);
	CHECK_U64(policy.reserve.bytes, 64 * GiB);
	CHECK(!policy.reserve.set);
	CHECK_U64(policy.reserve.pos.line, 0);
	CHECK_U64(policy.admission, POLICY_ADMIT_STRICT);
	CHECK_U64(policy.hugepages, POLICY_HUGEPAGES_OBSERVE);
	CHECK_U64(policy.vf_cap.bytes, 8 * GiB);
	CHECK(!policy.vf_cap.set);
	CHECK_U64(policy.idle_vf_cap.bytes, 256 * MiB);
	CHECK_U64(policy.min_vf_cap.bytes, 1 * GiB);
	CHECK_U64(policy.nclasses + policy.nvms + policy.ndevices, 0);
	CHECK_STR(policy.path, "policy.yaml");
	CHECK_STR(policy.digest, "09bfcc6a14b83e2192b8673677725c84883ee9cd0c70e"
				 "45c9ec09daa8f2b2847");
	policy_free(&policy);
}

static void test_empty_sections_and_order(void)
{
	struct policy policy;
	struct iq_err err = {0};
	/* Empty sections are allowed; vms may name a class defined later. */
	int rc = parse_str("vms:\n"
			   "  - match: { name: a }\n"
			   "    class: late\n"
			   "host:\n"
			   "defaults: ~\n"
			   "devices: {}\n"
			   "classes:\n"
			   "  late: { vf_cap: 4KiB }\n"
			   "  empty:\n"
			   "version: 1\n",
			   &policy, &err);

	CHECK_U64(rc, IQ_OK);
	if (rc) {
		fprintf(stderr, "  %s\n", err.msg);
		return;
	}
	CHECK_U64(policy.nclasses, 2);
	CHECK_U64(policy.nvms, 1);
	CHECK_U64(policy.ndevices, 0);
	if (policy.nclasses == 2) {
		CHECK_U64(policy.classes[0].vf_cap.bytes, 4096);
		CHECK(!policy.classes[1].vf_cap.set);
	}
	policy_free(&policy);
}

static void test_sizes_accepted(void)
{
	struct policy policy;
	struct iq_err err = {0};
	int rc = parse_str("version: 1\n"
			   "host: { reserve: 1T }\n"
			   "defaults:\n"
			   "  vf_cap: unlimited\n"
			   "  idle_vf_cap: 4096\n"
			   "  min_vf_cap: 0.5G\n"
			   "classes:\n"
			   "  a: { vf_cap: 8k }\n"
			   "  b: { vf_cap: 4096B }\n"
			   "  c: { vf_cap: 15TiB }\n",
			   &policy, &err);

	CHECK_U64(rc, IQ_OK);
	if (rc) {
		fprintf(stderr, "  %s\n", err.msg);
		return;
	}
	CHECK_U64(policy.reserve.bytes, 1024 * GiB);
	CHECK_U64(policy.vf_cap.bytes, IQ_UNLIMITED);
	CHECK_U64(policy.idle_vf_cap.bytes, 4096);
	CHECK_U64(policy.min_vf_cap.bytes, 512 * MiB);
	CHECK_U64(policy.classes[0].vf_cap.bytes, 8192);
	CHECK_U64(policy.classes[1].vf_cap.bytes, 4096);
	CHECK_U64(policy.classes[2].vf_cap.bytes, 15 * 1024 * GiB);
	policy_free(&policy);
}

/* ---- errors, each at its line:col --------------------------------- */

static void test_error_fixtures(void)
{
	struct policy policy;
	struct iq_err err = {0};

	CHECK_U64(load_fixture("bad-size.yaml", &policy, &err), IQ_EREFUSED);
	CHECK_STR(err.msg, FIXTURES "bad-size.yaml:7:11: defaults.vf_cap: bad "
				    "size '8GB' (use B, KiB, MiB, GiB, TiB or "
				    "unlimited)");
	CHECK(!policy.classes && !policy.vms && !policy.devices);

	CHECK_U64(load_fixture("bad-unknown-key.yaml", &policy, &err),
		  IQ_EREFUSED);
	CHECK_STR(err.msg, FIXTURES "bad-unknown-key.yaml:3:3: host: unknown "
				    "key 'reservee' (expected reserve, "
				    "admission, hugepages)");

	CHECK_U64(load_fixture("bad-version.yaml", &policy, &err), IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, FIXTURES "bad-version.yaml:2:10: version: "
					 "expected 1");

	CHECK_U64(load_fixture("bad-class.yaml", &policy, &err), IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, FIXTURES "bad-class.yaml:8:12: vms[1].class: "
					 "unknown class 'gpu-4x'");
	CHECK(!policy.classes && !policy.vms);

	CHECK_U64(load_fixture("bad-tab.yaml", &policy, &err), IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, FIXTURES "bad-tab.yaml:4:1: invalid YAML: ");
	CHECK_CONTAINS(err.msg, "not tabs");

	CHECK_U64(load_fixture("bad-two-documents.yaml", &policy, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, FIXTURES "bad-two-documents.yaml:4:1: a second "
					 "YAML document");

	CHECK_U64(load_fixture("empty.yaml", &policy, &err), IQ_EREFUSED);
	CHECK_STR(err.msg, FIXTURES "empty.yaml:1:1: empty policy (need at "
				    "least 'version: 1')");
}

static void test_load_missing_file(void)
{
	struct policy policy;
	struct iq_err err = {0};
	int rc;

	/* Even a failed load leaves a struct that policy_free() accepts. */
	memset(&policy, 0xa5, sizeof(policy));
	rc = policy_load("/nonexistent/icmquota/policy.yaml", &policy, &err);
	CHECK(!policy.classes && !policy.vms && !policy.devices);
	policy_free(&policy);

	CHECK_U64(rc, IQ_EENV);
	CHECK_STR(err.msg, "/nonexistent/icmquota/policy.yaml: cannot read "
			   "policy: No such file or directory (create it, or "
			   "pass --policy FILE)");
}

static void test_error_empty(void)
{
	CHECK(expect_refused("", "policy.yaml:1:1: empty policy (need at "
				 "least 'version: 1')"));
	CHECK(expect_refused("---\n", "policy.yaml:1:1: empty policy"));
	CHECK(expect_refused("# only a comment\n\n",
			     "policy.yaml:1:1: empty policy"));
}

static void test_trailing_empty_document(void)
{
	struct policy policy;
	struct iq_err err = {0};

	/* An empty trailing "---" carries nothing and is accepted. */
	CHECK_U64(parse_str("version: 1\n---\n", &policy, &err), IQ_OK);
	policy_free(&policy);
	CHECK(expect_refused("version: 1\n---\nversion: 1\n",
			     "policy.yaml:2:1: a second YAML document"));
}

static void test_error_version(void)
{
	CHECK(expect_refused("host: {}\n", "policy.yaml:1:1: version: missing "
					   "(add 'version: 1'"));
	CHECK(expect_refused("\nversion: 1.0\n",
			     "policy.yaml:2:10: version: expected 1"));
	CHECK(expect_refused("version: [1]\n",
			     "policy.yaml:1:10: version: expected 1, got a "
			     "list"));
	/* The version is judged before anything else in the file. */
	CHECK(expect_refused("bogus: 1\nversion: 2\n",
			     "policy.yaml:2:10: version: expected 1"));
}

static void test_error_unknown_keys(void)
{
	CHECK(expect_refused("version: 1\nhosts:\n  reserve: 1GiB\n",
			     "policy.yaml:2:1: policy: unknown key 'hosts' "
			     "(expected version, host, defaults, classes, "
			     "vms, devices)"));
	CHECK(expect_refused("version: 1\ndefaults:\n  vfcap: 1GiB\n",
			     "policy.yaml:3:3: defaults: unknown key 'vfcap' "
			     "(expected vf_cap, vm_cap, idle_vf_cap, "
			     "min_vf_cap)"));
	CHECK(expect_refused("version: 1\nclasses:\n"
			     "  a: { vf_cap: 1GiB, vfcap: 2GiB }\n",
			     "policy.yaml:3:22: classes.a: unknown key "
			     "'vfcap' (expected vf_cap, vm_cap)"));
	CHECK(expect_refused("version: 1\nvms:\n"
			     "  - match: { name: a }\n"
			     "    vf_cap: 1GiB\n"
			     "    cap: 1GiB\n",
			     "policy.yaml:5:5: vms[0]: unknown key 'cap' "
			     "(expected match, class, vf_cap, vm_cap)"));
	CHECK(expect_refused("version: 1\nvms:\n"
			     "  - match: { nam: a }\n"
			     "    vf_cap: 1GiB\n",
			     "policy.yaml:3:14: vms[0].match: unknown key "
			     "'nam' (expected name, uuid)"));
	CHECK(expect_refused("version: 1\ndevices:\n"
			     "  \"0000:3b:00.0\": { cap: 1GiB }\n",
			     "policy.yaml:3:21: devices.0000:3b:00.0: unknown "
			     "key 'cap' (expected vf_cap, vm_cap)"));
}

static void test_error_wrong_types(void)
{
	CHECK(expect_refused("- version: 1\n",
			     "policy.yaml:1:1: policy: expected a mapping"));
	CHECK(expect_refused("version: 1\nhost:\n  - reserve\n",
			     "policy.yaml:3:3: host: expected a mapping of "
			     "reserve, admission, hugepages, got a list"));
	CHECK(expect_refused("version: 1\nvms:\n  match: x\n",
			     "policy.yaml:3:3: vms: expected a list of rules"));
	CHECK(expect_refused("version: 1\ndefaults:\n  vf_cap: { a: 1 }\n",
			     "policy.yaml:3:11: defaults.vf_cap: expected a "
			     "size like 8GiB, got a mapping"));
	CHECK(expect_refused("version: 1\ndefaults:\n  vf_cap:\n",
			     "policy.yaml:3:10: defaults.vf_cap: expected a "
			     "size like 8GiB, got nothing"));
	CHECK(expect_refused("version: 1\nhost:\n  admission: [strict]\n",
			     "policy.yaml:3:14: host.admission: expected "
			     "strict, scale or warn, got a list"));
	CHECK(expect_refused("version: 1\nclasses: [a, b]\n",
			     "policy.yaml:2:10: classes: expected a mapping"));
	CHECK(expect_refused("version: 1\nclasses:\n  a: 4GiB\n",
			     "policy.yaml:3:6: classes.a: expected a mapping "
			     "like { vf_cap: 4GiB }, got '4GiB'"));
	CHECK(expect_refused("version: 1\nvms:\n  - match: a\n"
			     "    vf_cap: 1GiB\n",
			     "policy.yaml:3:12: vms[0].match: expected a "
			     "mapping"));
	CHECK(expect_refused("version: 1\nvms:\n  - match: { name: [a] }\n"
			     "    vf_cap: 1GiB\n",
			     "policy.yaml:3:20: vms[0].match.name: expected a "
			     "VM name or glob"));
	CHECK(expect_refused("version: 1\nhost:\n  ? [a]\n  : 1\n",
			     "policy.yaml:3:5: host: expected a key name, got "
			     "a list"));
	/* An alias back to its own mapping must not loop the walk. */
	CHECK(expect_refused("version: 1\ndefaults: &d { vf_cap: *d }\n",
			     "policy.yaml:2:11: defaults.vf_cap: expected a "
			     "size like 8GiB, got a mapping"));
}

static void test_error_enums(void)
{
	CHECK(expect_refused("version: 1\nhost:\n  admission: loose\n",
			     "policy.yaml:3:14: host.admission: unknown mode "
			     "'loose' (use strict, scale or warn)"));
	CHECK(expect_refused("version: 1\nhost:\n  hugepages: release\n",
			     "policy.yaml:3:14: host.hugepages: unknown mode "
			     "'release' (use observe or manage)"));
}

static void test_error_duplicates(void)
{
	CHECK(expect_refused("version: 1\ndefaults:\n  vf_cap: 8GiB\n"
			     "  vf_cap: 4GiB\n",
			     "policy.yaml:4:3: defaults: duplicate key "
			     "'vf_cap' (first at line 3; keep one)"));
	CHECK(expect_refused("version: 1\nhost: {}\nhost: {}\n",
			     "policy.yaml:3:1: policy: duplicate key 'host'"));
	CHECK(expect_refused("version: 1\nversion: 1\n",
			     "policy.yaml:2:1: policy: duplicate key "
			     "'version'"));
	CHECK(expect_refused("version: 1\nclasses:\n  a: { vf_cap: 1GiB }\n"
			     "  a: { vf_cap: 2GiB }\n",
			     "policy.yaml:4:3: classes: duplicate key 'a'"));
	/* The same PF written two ways is one device. */
	CHECK(expect_refused("version: 1\ndevices:\n"
			     "  \"3b:00.0\": { vf_cap: 1GiB }\n"
			     "  \"0000:3B:00.0\": { vf_cap: 2GiB }\n",
			     "policy.yaml:4:3: devices: '0000:3B:00.0' is the "
			     "same device as the entry at line 3"));
}

static void test_error_vm_rules(void)
{
	CHECK(expect_refused("version: 1\nvms:\n  - class: a\n"
			     "classes:\n  a: { vf_cap: 1GiB }\n",
			     "policy.yaml:3:5: vms[0]: no match"));
	CHECK(expect_refused("version: 1\nvms:\n  - match: {}\n"
			     "    vf_cap: 1GiB\n",
			     "policy.yaml:3:12: vms[0].match: empty (give "
			     "name: GLOB and/or uuid: UUID)"));
	CHECK(expect_refused("version: 1\nvms:\n"
			     "  - match: { name: a }\n"
			     "    vf_cap: 1GiB\n"
			     "  - match: { name: b }\n",
			     "policy.yaml:5:5: vms[1]: gives neither class "
			     "nor vf_cap"));
	CHECK(expect_refused("version: 1\nvms:\n  -\n", "policy.yaml:"));
	CHECK(expect_refused("version: 1\nvms:\n"
			     "  - match: { name: a }\n"
			     "    class: nope\n",
			     "policy.yaml:4:12: vms[0].class: unknown class "
			     "'nope'"));
	CHECK(expect_refused("version: 1\nvms:\n"
			     "  - match: { uuid: "
			     "4dea22b3-1d52-d8f3-2516-782e98ab3fa }\n"
			     "    vf_cap: 1GiB\n",
			     "policy.yaml:3:20: vms[0].match.uuid: bad uuid "
			     "'4dea22b3-1d52-d8f3-2516-782e98ab3fa'"));
	CHECK(expect_refused("version: 1\nvms:\n"
			     "  - match: { uuid: "
			     "4dea22b3x1d52-d8f3-2516-782e98ab3fa0 }\n"
			     "    vf_cap: 1GiB\n",
			     "policy.yaml:3:20: vms[0].match.uuid: bad uuid"));
	CHECK(expect_refused("version: 1\nvms:\n"
			     "  - match: { name: \"\" }\n"
			     "    vf_cap: 1GiB\n",
			     "policy.yaml:3:20: vms[0].match.name: empty"));
}

static void test_error_pci(void)
{
	CHECK(expect_refused(
		"version: 1\ndevices:\n"
		"  \"3b:00\": { vf_cap: 1GiB }\n",
		"policy.yaml:3:3: devices: bad PCI address '3b:00' "
		"(use DDDD:BB:SS.F"));
	CHECK(expect_refused("version: 1\ndevices:\n"
			     "  \"0000:3b:20.0\": { vf_cap: 1GiB }\n",
			     "policy.yaml:3:3: devices: bad PCI address"));
}

static void test_error_sizes(void)
{
	CHECK(expect_refused("version: 1\ndefaults:\n  vf_cap: -1GiB\n",
			     "policy.yaml:3:11: defaults.vf_cap: bad size "
			     "'-1GiB': negative size"));
	CHECK(expect_refused("version: 1\ndefaults:\n  idle_vf_cap: 8 GB\n",
			     "policy.yaml:3:16: defaults.idle_vf_cap: bad size "
			     "'8 GB' (use B, KiB, MiB, GiB, TiB or "
			     "unlimited)"));
	CHECK(expect_refused("version: 1\ndefaults:\n  idle_vf_cap: lots\n",
			     "policy.yaml:3:16: defaults.idle_vf_cap: bad size "
			     "'lots': not a number"));
	CHECK(expect_refused(
		"version: 1\ndefaults:\n  idle_vf_cap: 1000\n",
		"policy.yaml:3:16: defaults.idle_vf_cap: '1000' is "
		"1000 bytes, not a multiple of 4 KiB (use whole "
		"4096-byte pages, e.g. 4096)"));
	/* Decimals are converted first, then checked. */
	CHECK(expect_refused("version: 1\nclasses:\n  a: { vf_cap: 1.5KiB }\n",
			     "policy.yaml:3:16: classes.a.vf_cap: '1.5KiB' is "
			     "1536 bytes, not a multiple of 4 KiB"));
	CHECK(expect_refused("version: 1\nhost:\n  reserve: unlimited\n",
			     "policy.yaml:3:12: host.reserve: cannot be "
			     "unlimited"));
	CHECK(expect_refused("version: 1\nhost:\n  reserve: 100\n",
			     "policy.yaml:3:12: host.reserve: '100' is 100 "
			     "bytes, not a multiple of 4 KiB"));
	/* 16TiB is 2^32 pages: the register's "unlimited" value. */
	CHECK(expect_refused("version: 1\nvms:\n  - match: { name: a }\n"
			     "    vf_cap: 16TiB\n",
			     "policy.yaml:4:13: vms[0].vf_cap: '16TiB' is "
			     "above the largest cap the firmware can hold"));
}

static void test_small_vf_cap_lowers_builtin_floor(void)
{
	struct policy p;
	struct iq_err err = {0};

	/* The built-in 1GiB floor gives way to a smaller vf_cap. */
	CHECK_U64(policy_parse("version: 1\ndefaults:\n  vf_cap: 512MiB\n", 38,
			       "policy.yaml", &p, &err),
		  IQ_OK);
	CHECK_U64(p.min_vf_cap.bytes, 512ULL << 20);
	CHECK_U64(p.vf_cap.bytes, 512ULL << 20);
	policy_free(&p);
}

static void test_error_min_above_cap(void)
{
	CHECK(expect_refused("version: 1\ndefaults:\n  vf_cap: 2GiB\n"
			     "  min_vf_cap: 4GiB\n",
			     "policy.yaml:4:15: defaults.min_vf_cap: 4.0GiB is "
			     "above defaults.vf_cap (2.0GiB); lower it"));
	CHECK(expect_refused("version: 1\ndefaults:\n  min_vf_cap: 16GiB\n",
			     "policy.yaml:3:15: defaults.min_vf_cap: 16.0GiB "
			     "is above defaults.vf_cap (8.0GiB, built-in)"));
	CHECK(expect_refused("version: 1\ndefaults:\n  vf_cap: 4GiB\n"
			     "  min_vf_cap: unlimited\n",
			     "policy.yaml:4:15: defaults.min_vf_cap: unlimited "
			     "is above"));
}

static void test_error_names_too_long(void)
{
	char yaml[1024], name[301];

	memset(name, 'x', 300);
	name[300] = '\0';
	snprintf(
		yaml, sizeof(yaml),
		"version: 1\nvms:\n  - match: { name: %s }\n    vf_cap: 1GiB\n",
		name);
	CHECK(expect_refused(yaml, "policy.yaml:3:20: vms[0].match.name: too "
				   "long (300 characters; at most 255)"));
	name[128] = '\0';
	snprintf(yaml, sizeof(yaml),
		 "version: 1\nclasses:\n  %s: { vf_cap: 1GiB }\n", name);
	CHECK(expect_refused(yaml, "policy.yaml:3:3: classes: too long (128 "
				   "characters; at most 127)"));
	name[127] = '\0';
	snprintf(yaml, sizeof(yaml),
		 "version: 1\nclasses:\n  %s: { vf_cap: 1GiB }\n", name);
	{
		struct policy policy;
		struct iq_err err = {0};

		CHECK_U64(parse_str(yaml, &policy, &err), IQ_OK);
		policy_free(&policy);
	}
}

static void test_error_syntax(void)
{
	CHECK(expect_refused("version: 1\nhost: { reserve: 1GiB\n",
			     "policy.yaml:3:1: invalid YAML: "));
	CHECK(expect_refused("version: 1\nhost:\n  reserve: 1GiB\n"
			     " admission: strict\n",
			     "policy.yaml:4:2: invalid YAML: "));
	CHECK(expect_refused("version: 1\nvms: *nowhere\n",
			     "policy.yaml:2:6: invalid YAML: found undefined "
			     "alias"));
	/* Not UTF-8: the reader's byte offset becomes line:col. */
	CHECK(expect_refused("version: 1\nhost: \xff\n",
			     "policy.yaml:2:7: invalid YAML: "));
}

/* ---- evaluation --------------------------------------------------- */

static void test_precedence(void)
{
	struct policy policy;
	struct policy_decision d;
	struct iq_err err = {0};
	struct vm_facts vm;

	if (load_fixture("example.yaml", &policy, &err)) {
		CHECK(!"example.yaml loads");
		return;
	}

	/* vms rule class beats the class in the VM's metadata. */
	vm = vm_named("train-42", "", "small");
	policy_vf_cap(&policy, PVM(&vm), "0000:3b:00.0", &d);
	CHECK_U64(d.cap_bytes, 16 * GiB);
	CHECK_U64(d.source, POLICY_FROM_CLASS);
	CHECK_STR(d.rule, "class gpu-8x");
	CHECK_U64(d.pos.line, 12);
	CHECK_U64(d.pos.col, 23);
	CHECK_STR(d.note, "class given by vms[0] (name train-*)");

	/* vms rule vf_cap beats everything; uuid compared without case. */
	vm = vm_named("web-1", "4DEA22B3-1D52-D8F3-2516-782E98AB3FA0", "small");
	policy_vf_cap(&policy, PVM(&vm), "0000:3b:00.0", &d);
	CHECK_U64(d.cap_bytes, 4 * GiB);
	CHECK_U64(d.source, POLICY_FROM_VM_RULE);
	CHECK_STR(d.rule, "vms[1] (uuid " UUID_RULE ")");
	CHECK_U64(d.pos.line, 18);
	CHECK_U64(d.pos.col, 13);
	CHECK_STR(d.note, "");

	/* First match wins: vms[0] (class) before vms[1] (vf_cap). */
	vm = vm_named("train-7", UUID_RULE, "");
	policy_vf_cap(&policy, PVM(&vm), "0000:5e:00.0", &d);
	CHECK_U64(d.cap_bytes, 16 * GiB);
	CHECK_U64(d.source, POLICY_FROM_CLASS);

	/* Metadata class beats the device rule. */
	vm = vm_named("web-1", "", "small");
	policy_vf_cap(&policy, PVM(&vm), "0000:3b:00.0", &d);
	CHECK_U64(d.cap_bytes, 2 * GiB);
	CHECK_U64(d.source, POLICY_FROM_CLASS);
	CHECK_STR(d.rule, "class small");
	CHECK_STR(d.note, "");

	/* Device rule beats defaults; the PF may be written short. */
	vm = vm_named("web-1", "", "");
	policy_vf_cap(&policy, PVM(&vm), "3b:00.0", &d);
	CHECK_U64(d.cap_bytes, 4 * GiB);
	CHECK_U64(d.source, POLICY_FROM_DEVICE);
	CHECK_STR(d.rule, "devices 0000:3b:00.0");
	CHECK_U64(d.pos.line, 20);
	CHECK_U64(d.pos.col, 29);

	/* Nothing names it: defaults.vf_cap. */
	policy_vf_cap(&policy, PVM(&vm), "0000:5e:00.0", &d);
	CHECK_U64(d.cap_bytes, 8 * GiB);
	CHECK_U64(d.source, POLICY_FROM_DEFAULT);
	CHECK_STR(d.rule, "defaults.vf_cap");
	CHECK_U64(d.pos.line, 8);
	CHECK_U64(d.pos.col, 11);

	/* A class the policy does not know falls through, with a note. */
	vm = vm_named("web-1", "", "huge");
	policy_vf_cap(&policy, PVM(&vm), "0000:3b:00.0", &d);
	CHECK_U64(d.cap_bytes, 4 * GiB);
	CHECK_U64(d.source, POLICY_FROM_DEVICE);
	CHECK_STR(d.note, "class 'huge' named by the VM is not in the policy");

	/* A uuid rule never matches a VM without a uuid. */
	vm = vm_named("web-1", "", "");
	policy_vf_cap(&policy, PVM(&vm), "0000:5e:00.0", &d);
	CHECK_U64(d.source, POLICY_FROM_DEFAULT);

	/* Idle VF. */
	policy_vf_cap(&policy, NULL, "0000:3b:00.0", &d);
	CHECK_U64(d.cap_bytes, 256 * MiB);
	CHECK_U64(d.source, POLICY_FROM_IDLE);
	CHECK_STR(d.rule, "defaults.idle_vf_cap");
	CHECK_U64(d.pos.line, 9);
	CHECK_U64(d.pos.col, 16);
	policy_free(&policy);
}

static void test_precedence_rule_keys(void)
{
	struct policy policy;
	struct policy_decision d;
	struct iq_err err = {0};
	struct vm_facts vm;

	if (load_fixture("storage-host.yaml", &policy, &err)) {
		CHECK(!"storage-host.yaml loads");
		return;
	}
	/* name AND uuid must both match; vf_cap wins over a class. */
	vm = vm_named("db-1", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "bulk");
	policy_vf_cap(&policy, PVM(&vm), "0000:5e:00.1", &d);
	CHECK_U64(d.cap_bytes, 1536 * MiB);
	CHECK_U64(d.source, POLICY_FROM_VM_RULE);
	CHECK_STR(d.rule, "vms[0] (name db-*, uuid "
			  "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0)");

	vm = vm_named("db-2", "11111111-2222-3333-4444-555555555555", "");
	policy_vf_cap(&policy, PVM(&vm), "0000:5e:00.1", &d);
	CHECK_U64(d.cap_bytes, 6 * GiB);
	CHECK_STR(d.rule, "class db");

	vm = vm_named("web", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "");
	policy_vf_cap(&policy, PVM(&vm), "0000:5e:00.1", &d);
	CHECK_U64(d.cap_bytes, 1 * GiB);
	CHECK_U64(d.source, POLICY_FROM_DEVICE);

	/* An unlimited class. */
	vm = vm_named("etl", "", "bulk");
	policy_vf_cap(&policy, PVM(&vm), "0000:5e:00.0", &d);
	CHECK_U64(d.cap_bytes, IQ_UNLIMITED);
	CHECK_U64(d.source, POLICY_FROM_CLASS);

	/* Built-in defaults have no position. */
	policy_free(&policy);
	CHECK_U64(
		parse_str("version: 1\nclasses:\n  plain: {}\n", &policy, &err),
		IQ_OK);
	vm = vm_named("etl", "", "plain");
	policy_vf_cap(&policy, PVM(&vm), "0000:5e:00.0", &d);
	CHECK_U64(d.cap_bytes, 8 * GiB);
	CHECK_U64(d.source, POLICY_FROM_DEFAULT);
	CHECK_U64(d.pos.line, 0);
	CHECK_U64(d.pos.col, 0);
	CHECK_STR(d.note, "class 'plain' sets no vf_cap");
	policy_vf_cap(&policy, NULL, NULL, &d);
	CHECK_U64(d.cap_bytes, 256 * MiB);
	CHECK_U64(d.pos.line, 0);
	policy_free(&policy);
}

/* ---- caps against a device's total ICM ---------------------------- */

static void test_check_device(void)
{
	struct policy policy;
	struct iq_err err = {0};

	if (load_fixture("example.yaml", &policy, &err)) {
		CHECK(!"example.yaml loads");
		return;
	}
	CHECK_U64(policy_check_device(&policy, "0000:3b:00.0", 16 * GiB, &err),
		  IQ_OK);
	CHECK_U64(policy_check_device(&policy, "0000:3b:00.0", IQ_UNLIMITED,
				      &err),
		  IQ_OK);
	CHECK_U64(policy_check_device(&policy, "0000:3b:00.0", 10 * GiB, &err),
		  IQ_EREFUSED);
	CHECK_STR(err.msg, FIXTURES "example.yaml:12:23: classes.gpu-8x.vf_cap "
				    "16.0GiB is above the total ICM of "
				    "0000:3b:00.0 (10.0GiB); lower it");
	/* Several too big: the first in file order is reported. */
	CHECK_U64(policy_check_device(&policy, "3b:00.0", 3 * GiB, &err),
		  IQ_EREFUSED);
	CHECK_STR(err.msg, FIXTURES "example.yaml:8:11: defaults.vf_cap 8.0GiB "
				    "is above the total ICM of 0000:3b:00.0 "
				    "(3.0GiB); lower it");
	policy_free(&policy);

	/* Only that PF's devices entry counts; unlimited always passes. */
	CHECK_U64(
		parse_str("version: 1\n"
			  "defaults: { vf_cap: unlimited, idle_vf_cap: 1GiB }\n"
			  "classes:\n  bulk: { vf_cap: unlimited }\n"
			  "devices:\n"
			  "  \"0000:3b:00.0\": { vf_cap: 64GiB }\n"
			  "  \"0000:5e:00.0\": { vf_cap: 2GiB }\n",
			  &policy, &err),
		IQ_OK);
	CHECK_U64(policy_check_device(&policy, "0000:5e:00.0", 32 * GiB, &err),
		  IQ_OK);
	CHECK_U64(policy_check_device(&policy, "0000:3b:00.0", 32 * GiB, &err),
		  IQ_EREFUSED);
	CHECK_STR(err.msg, "policy.yaml:6:29: devices.0000:3b:00.0.vf_cap "
			   "64.0GiB is above the total ICM of 0000:3b:00.0 "
			   "(32.0GiB); lower it");
	policy_free(&policy);

	/* A vms rule's vf_cap, and min_vf_cap, are checked too. */
	CHECK_U64(parse_str("version: 1\n"
			    "defaults: { vf_cap: 1GiB, min_vf_cap: 1GiB }\n"
			    "vms:\n"
			    "  - match: { name: a }\n"
			    "    vf_cap: 3GiB\n",
			    &policy, &err),
		  IQ_OK);
	CHECK_U64(policy_check_device(&policy, "0000:3b:00.0", 2 * GiB, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "policy.yaml:5:13: vms[0].vf_cap 3.0GiB is "
				"above");
	CHECK_U64(policy_check_device(&policy, "0000:3b:00.0", 512 * MiB, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "policy.yaml:2:21: defaults.vf_cap 1.0GiB");
	policy_free(&policy);

	/* Built-in values count when nothing in the file is too big. */
	CHECK_U64(parse_str("version: 1\nclasses:\n  s: { vf_cap: 4KiB }\n",
			    &policy, &err),
		  IQ_OK);
	CHECK_U64(policy_check_device(&policy, "0000:3b:00.0", 4 * GiB, &err),
		  IQ_EREFUSED);
	CHECK_STR(err.msg, "policy.yaml: defaults.vf_cap 8.0GiB (built-in "
			   "default) is above the total ICM of 0000:3b:00.0 "
			   "(4.0GiB); set defaults.vf_cap to at most 4.0GiB "
			   "in the policy");
	policy_free(&policy);
	/* ...but a value written in the file is reported first. */
	CHECK_U64(parse_str("version: 1\nclasses:\n  b: { vf_cap: 6GiB }\n",
			    &policy, &err),
		  IQ_OK);
	CHECK_U64(policy_check_device(&policy, "0000:3b:00.0", 4 * GiB, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "policy.yaml:3:16: classes.b.vf_cap 6.0GiB");
	policy_free(&policy);
}

int main(void)
{
	RUN(test_example_parses);
	RUN(test_storage_host_parses);
	RUN(test_builtin_defaults);
	RUN(test_empty_sections_and_order);
	RUN(test_sizes_accepted);
	RUN(test_error_fixtures);
	RUN(test_load_missing_file);
	RUN(test_error_empty);
	RUN(test_trailing_empty_document);
	RUN(test_error_version);
	RUN(test_error_unknown_keys);
	RUN(test_error_wrong_types);
	RUN(test_error_enums);
	RUN(test_error_duplicates);
	RUN(test_error_vm_rules);
	RUN(test_error_pci);
	RUN(test_error_sizes);
	RUN(test_error_min_above_cap);
	RUN(test_small_vf_cap_lowers_builtin_floor);
	RUN(test_error_names_too_long);
	RUN(test_error_syntax);
	RUN(test_precedence);
	RUN(test_precedence_rule_keys);
	RUN(test_check_device);
	return TEST_SUMMARY("test_policy");
}
