// SPDX-License-Identifier: MIT
/*
 * VM facts from libvirt domain XML (controller/sources/vm_libvirt.c) and the PCI
 * list helpers (controller/sources/vm.c). Fixtures in tests/fixtures/libvirt/ are
 * shaped like what libvirt 9.0 writes and what operators define; small
 * variations are built inline.
 */
#include "controller/sources/vm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/unit/test.h"

#define FIXTURES "tests/fixtures/libvirt/"

/*
 * A test parses many documents into one vm: the helpers free what the last
 * parse left, and FREED frees the facts when they go out of scope.
 */
#define FREED __attribute__((cleanup(vm_facts_free)))

/* Facts of a fixture, or a failed check naming the error. */
static int load(const char *name, struct vm_facts *vm, struct iq_err *err)
{
	char path[512];
	int rc;

	snprintf(path, sizeof(path), FIXTURES "%s", name);
	iq_err_clear(err);
	vm_facts_free(vm);
	rc = vm_from_libvirt_xml_file(path, vm, err);
	return rc;
}

static int parse_text(const char *xml, struct vm_facts *vm, struct iq_err *err)
{
	iq_err_clear(err);
	vm_facts_free(vm);
	return vm_from_libvirt_xml(xml, strlen(xml), "t.xml", vm, err);
}

/* A minimal domain around a fragment of children. */
static int parse_domain(struct vm_facts *vm, struct iq_err *err,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int parse_domain(struct vm_facts *vm, struct iq_err *err,
			const char *fmt, ...)
{
	char body[4096], xml[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(xml, sizeof(xml),
		 "<domain type='kvm'>\n<name>t</name>\n%s\n</domain>\n", body);
	return parse_text(xml, vm, err);
}

/* An error leaves nothing behind (nothing to free, no partial facts). */
static void check_zeroed(const struct vm_facts *vm)
{
	CHECK(vm->pci == NULL);
	CHECK_U64(vm->npci, 0);
	CHECK_STR(vm->name, "");
	CHECK_U64(vm->memory_bytes, 0);
	CHECK_STR(vm_source(vm), "");
}

static void check_pci(const struct vm_facts *vm, const char *const *want,
		      size_t nwant)
{
	CHECK_U64(vm->npci, nwant);
	for (size_t i = 0; i < nwant && i < vm->npci; i++)
		CHECK_STR(vm->pci[i], want[i]);
}

#define GiB (1ULL << 30)

static void test_small_diskless(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	CHECK_U64(load("small-diskless.xml", &vm, &err), IQ_OK);
	CHECK_STR(vm.name, "tiny");
	CHECK_STR(vm.uuid, "8f0c1a3e-5b2d-4c7e-9a61-2f3b4c5d6e7f");
	CHECK_U64(vm.memory_bytes, 64ULL << 20);
	CHECK(!vm.hugepages);
	CHECK_STR(vm.class_name, "");
	CHECK_U64(vm.npci, 0);
	CHECK(vm.pci == NULL);
	CHECK_STR(vm_source(&vm), FIXTURES "small-diskless.xml");
	vm_facts_free(&vm);
}

static void test_gpu_training_vm(void)
{
	/* 8 GPUs and 8 VFs, sorted; no guest-side address among them. */
	static const char *const want[] = {
		"0000:18:00.0", "0000:1a:00.2", "0000:2a:00.0", "0000:2c:00.2",
		"0000:3a:00.0", "0000:3c:00.2", "0000:5d:00.0", "0000:5e:00.2",
		"0000:9a:00.0", "0000:9c:00.2", "0000:ab:00.0", "0000:ad:00.2",
		"0000:ba:00.0", "0000:bc:00.2", "0000:db:00.0", "0000:dc:01.3",
	};
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	CHECK_U64(load("gpu-train-8x.xml", &vm, &err), IQ_OK);
	CHECK_STR(vm.name, "train-llm-07");
	CHECK_STR(vm.uuid, "3f5c8e2a-9b41-4d7e-a0c6-52e1f7d9b8a3");
	CHECK_U64(vm.memory_bytes, 1800 * GiB);
	CHECK(vm.hugepages);
	/* The icmquota namespace under prefix "iq", not acme's <class>. */
	CHECK_STR(vm.class_name, "gpu-8x");
	check_pci(&vm, want, sizeof(want) / sizeof(want[0]));
	CHECK_STR(vm_source(&vm), FIXTURES "gpu-train-8x.xml");
	vm_facts_free(&vm);
}

static void check_train03(const struct vm_facts *vm)
{
	static const char *const want[] = {"0000:3b:00.2", "0000:3b:00.3",
					   "0000:86:00.2"};

	CHECK_STR(vm->name, "train-03");
	CHECK_STR(vm->uuid, "4dea22b3-1d52-d8f3-2516-782e98ab3fa0");
	CHECK_U64(vm->memory_bytes, 64 * GiB);
	CHECK(vm->hugepages);
	CHECK_STR(vm->class_name, "small");
	check_pci(vm, want, 3);
}

/* What a hook sees at prepare (id=, seclabels) and release (no id). */
static void test_hook_prepare_and_release(void)
{
	struct vm_facts prepare FREED = {0}, release FREED = {0};
	struct iq_err err;

	CHECK_U64(load("hook-prepare.xml", &prepare, &err), IQ_OK);
	check_train03(&prepare);
	CHECK_STR(vm_source(&prepare), FIXTURES "hook-prepare.xml");
	CHECK_U64(load("hook-release.xml", &release, &err), IQ_OK);
	check_train03(&release);
	CHECK_STR(vm_source(&release), FIXTURES "hook-release.xml");
	vm_facts_free(&prepare);
	vm_facts_free(&release);
}

static void test_non_pci_hostdevs_ignored(void)
{
	static const char *const want[] = {"0000:af:00.4"};
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	CHECK_U64(load("other-hostdevs.xml", &vm, &err), IQ_OK);
	CHECK_STR(vm.name, "desk-42");
	/* Upper-case UUIDs are libvirt's too; kept lowercase. */
	CHECK_STR(vm.uuid, "b6e5c1a2-7f3d-4e09-8a1b-c2d3e4f5a6b7");
	/* <memory> wins over a smaller <currentMemory>. */
	CHECK_U64(vm.memory_bytes, 16 * GiB);
	CHECK(!vm.hugepages);
	CHECK_STR(vm.class_name, "");
	check_pci(&vm, want, 1);
	vm_facts_free(&vm);
}

static void test_decimal_and_default_numbers(void)
{
	static const char *const want[] = {"0000:3b:00.2", "0000:3b:00.3",
					   "0000:86:00.2", "0000:af:00.0",
					   "0001:00:1f.7"};
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	CHECK_U64(load("decimal-bus.xml", &vm, &err), IQ_OK);
	CHECK_STR(vm.name, "handmade");
	CHECK_STR(vm.uuid, "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");
	/* No unit: KiB. */
	CHECK_U64(vm.memory_bytes, 4 * GiB);
	check_pci(&vm, want, 5);
	vm_facts_free(&vm);
}

static void test_current_memory_fallback(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	/* Neither <maxMemory> nor the DIMM's size is the guest's memory. */
	CHECK_U64(load("memory-hotplug.xml", &vm, &err), IQ_OK);
	CHECK_STR(vm.name, "elastic-01");
	CHECK_STR(vm.uuid, "");
	CHECK_U64(vm.memory_bytes, 6 * GiB);
	CHECK(!vm.hugepages);
	CHECK_U64(vm.npci, 0);
	vm_facts_free(&vm);
}

static void test_memory_units(void)
{
	static const struct {
		const char *unit; /* NULL: no unit attribute */
		const char *value;
		unsigned long long bytes;
	} cases[] = {
		{NULL, "1", 1024ULL},
		{"", "2", 2048ULL},
		{"b", "4096", 4096ULL},
		{"bytes", "8192", 8192ULL},
		{"Byte", "1024", 1024ULL},
		{"KB", "1024", 1024000ULL},
		{"k", "2", 2048ULL},
		{"KiB", "3", 3072ULL},
		{"MB", "2048", 2048000000ULL},
		{"M", "512", 512ULL << 20},
		{"MiB", "513", 513ULL << 20},
		{"GB", "64", 64000000000ULL},
		{"G", "16", 16ULL << 30},
		{"GiB", "17", 17ULL << 30},
		{"gib", "18", 18ULL << 30},
		{"TB", "2", 2000000000000ULL},
		{"T", "2", 2ULL << 40},
		{"TiB", "3", 3ULL << 40},
		{"PB", "1", 1000000000000000ULL},
		{"P", "1", 1ULL << 50},
		{"PiB", "2", 2ULL << 50},
		{"EB", "3", 3000000000000000000ULL},
		{"E", "1", 1ULL << 60},
		{"EiB", "15", 15ULL << 60},
		/* libvirt keeps KiB and rounds up: so do we. */
		{"b", "1000", 1024ULL},
		{"MB", "1", 1000448ULL},
		/* White space around the number is tolerated. */
		{"GiB", " 64\n", 64ULL << 30},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vm_facts vm FREED = {0};
		struct iq_err err;
		char attr[64] = "";
		int rc;

		if (cases[i].unit)
			snprintf(attr, sizeof(attr), " unit='%s'",
				 cases[i].unit);
		rc = parse_domain(&vm, &err, "<memory%s>%s</memory>", attr,
				  cases[i].value);
		if (rc != IQ_OK || vm.memory_bytes != cases[i].bytes)
			fprintf(stderr, "unit '%s' value '%s': %s\n",
				cases[i].unit ? cases[i].unit : "(none)",
				cases[i].value, rc ? err.msg : "wrong bytes");
		CHECK_U64(rc, IQ_OK);
		CHECK_U64(vm.memory_bytes, cases[i].bytes);
		vm_facts_free(&vm);
	}
}

static void test_memory_errors(void)
{
	static const struct {
		const char *element;
		const char *message;
	} cases[] = {
		{"<memory unit='E'>16</memory>",
		 "t.xml:3: <memory> 16 E is more than 16 EiB"},
		{"<memory unit='EB'>19</memory>",
		 "t.xml:3: <memory> 19 EB is more than 16 EiB"},
		{"<memory unit='b'>18446744073709551615</memory>",
		 "t.xml:3: <memory> 18446744073709551615 b is more than 16 "
		 "EiB"},
		{"<memory>18446744073709551616</memory>",
		 "t.xml:3: <memory> value is too large"},
		{"<memory unit='XB'>1</memory>",
		 "t.xml:3: <memory unit='XB'>: unknown unit (use b, KB, "
		 "k/KiB, MB, M/MiB, GB, G/GiB, TB, T/TiB, PB, P/PiB, EB or "
		 "E/EiB)"},
		{"<memory unit='KiBs'>1</memory>", "unknown unit"},
		{"<memory unit='kilobytes'>1</memory>", "unknown unit"},
		{"<memory unit='GiB'>-1</memory>",
		 "t.xml:3: <memory> value '-1' is not a whole number (e.g. "
		 "<memory unit='GiB'>64</memory>)"},
		{"<memory unit='GiB'>1.5</memory>", "'1.5' is not a whole"},
		{"<memory>0x10</memory>", "'0x10' is not a whole"},
		{"<memory unit='GiB'></memory>", "'' is not a whole"},
		{"<memory unit='KiB'>0</memory>",
		 "t.xml:3: <memory> is 0: a domain needs memory"},
		{"<currentMemory unit='MiB'>lots</currentMemory>",
		 "t.xml:3: <currentMemory> value 'lots' is not a whole"},
		{"<vcpu>2</vcpu>",
		 "t.xml: the domain has neither <memory> nor <currentMemory> "
		 "(libvirt requires one)"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vm_facts vm FREED = {0};
		struct iq_err err;

		CHECK_U64(parse_domain(&vm, &err, "%s", cases[i].element),
			  IQ_EREFUSED);
		CHECK_U64(err.code, IQ_EREFUSED);
		CHECK_CONTAINS(err.msg, cases[i].message);
		check_zeroed(&vm);
	}
}

static void test_hugepages(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	CHECK_U64(parse_domain(&vm, &err,
			       "<memory>1024</memory><memoryBacking>"
			       "<hugepages/></memoryBacking>"),
		  IQ_OK);
	CHECK(vm.hugepages);
	/* A bare <hugepages/>: all of it, in the host's default size. */
	CHECK_U64(vm.nhuge, 1);
	CHECK_U64(vm.huge[0].page_bytes, 0);
	CHECK_U64(vm.huge[0].bytes, 1024 * 1024);
	CHECK_U64(vm_huge_bytes(&vm), 1024 * 1024);
	/* Shared memfd memory is not huge pages. */
	CHECK_U64(parse_domain(&vm, &err,
			       "<memory>1024</memory><memoryBacking>"
			       "<source type='memfd'/><access mode='shared'/>"
			       "</memoryBacking>"),
		  IQ_OK);
	CHECK(!vm.hugepages);
	CHECK_U64(vm_huge_bytes(&vm), 0);
}

/*
 * Huge pages for some NUMA cells only (issue 7 case 3): 1 TiB in two
 * 512 GiB cells, 1 GiB pages for cell 0 only; cell 1 is ordinary memory.
 */
static void test_hugepages_numa_partial(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	CHECK_U64(load("numa-partial-hugepages.xml", &vm, &err), IQ_OK);
	CHECK_U64(vm.memory_bytes, 1024 * GiB);
	CHECK(vm.hugepages);
	CHECK_U64(vm.nhuge, 1);
	CHECK_U64(vm.huge[0].page_bytes, GiB);
	CHECK_U64(vm.huge[0].bytes, 512 * GiB);
	CHECK_U64(vm_huge_bytes(&vm), 512 * GiB);
	CHECK_U64(vm_huge_bytes_of_size(&vm, GiB, 2 << 20), 512 * GiB);
	CHECK_U64(vm_huge_bytes_of_size(&vm, 2 << 20, 2 << 20), 0);
	vm_facts_free(&vm);
}

/*
 * <numatune> binds each guest cell's huge pages to host nodes: the
 * fixture (as virsh dumpxml writes it) has <memnode> cell 0 on node 0,
 * cell 1 on node 1, 48 GiB each in 1 GiB pages. Only strict (the
 * default) and restrictive bind; interleave, preferred and
 * placement='auto' leave any node; a node of 64 or more: any node.
 */
static void test_hugepages_numatune(void)
{
	static const struct {
		const char *numatune;
		uint64_t nodes;
	} cases[] = {
		{"<memory nodeset='1'/>", 1u << 1},
		{"<memory mode='restrictive' nodeset='0-2,^1'/>", 5},
		{"<memory mode='interleave' nodeset='1'/>", 0},
		{"<memory mode='preferred' nodeset='1'/>", 0},
		{"<memory mode='strict' placement='auto'/>", 0},
		{"<memory mode='strict' nodeset='1,64'/>", 0},
		{"<memory mode='strict' nodeset='3'/><memnode cellid='0' "
		 "mode='strict' nodeset='2'/>",
		 1u << 3},
	};
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	CHECK_U64(load("hugepages-numatune.xml", &vm, &err), IQ_OK);
	CHECK_U64(vm.memory_bytes, 96 * GiB);
	CHECK_U64(vm.nhuge, 2);
	CHECK_U64(vm.huge[0].page_bytes, GiB);
	CHECK_U64(vm.huge[0].host_nodes, 1u << 0);
	CHECK_U64(vm.huge[0].bytes, 48 * GiB);
	CHECK_U64(vm.huge[1].host_nodes, 1u << 1);
	CHECK_U64(vm.huge[1].bytes, 48 * GiB);
	CHECK_U64(vm_huge_bytes_of_size(&vm, GiB, 2 << 20), 96 * GiB);
	vm_facts_free(&vm);
	/* Without <numa> cells, <memnode> names none: <memory> binds. */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_U64(
			parse_domain(&vm, &err,
				     "<memory unit='GiB'>8</memory>"
				     "<memoryBacking><hugepages/>"
				     "</memoryBacking><numatune>%s</numatune>",
				     cases[i].numatune),
			IQ_OK);
		CHECK_U64(vm.nhuge, 1);
		CHECK_U64(vm.huge[0].host_nodes, cases[i].nodes);
	}
	CHECK_U64(parse_domain(&vm, &err,
			       "<memory unit='GiB'>8</memory><memoryBacking>"
			       "<hugepages/></memoryBacking><numatune><memory "
			       "nodeset='1-'/></numatune>"),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "<numatune><memory nodeset='1-'>: not a set "
				"of host NUMA nodes");
}

/*
 * Several <page> sizes: cell 0 in 1 GiB pages (nodeset 0), cell 1 in 2 MiB
 * (nodeset '1-2,^2'), cell 2 in the page without nodeset (2048 KiB); the
 * two 2 MiB spellings are one pool.
 */
static void test_hugepages_several_sizes(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	CHECK_U64(load("hugepages-mixed-sizes.xml", &vm, &err), IQ_OK);
	CHECK_U64(vm.memory_bytes, 192 * GiB);
	CHECK_U64(vm.nhuge, 2);
	CHECK_U64(vm_huge_bytes_of_size(&vm, GiB, GiB), 64 * GiB);
	CHECK_U64(vm_huge_bytes_of_size(&vm, 2 << 20, GiB), 128 * GiB);
	CHECK_U64(vm_huge_bytes(&vm), 192 * GiB);
	vm_facts_free(&vm);

	/* <page> without nodeset and no <numa>: all of it in that size. */
	CHECK_U64(parse_domain(&vm, &err,
			       "<memory unit='GiB'>64</memory><memoryBacking>"
			       "<hugepages><page size='2048' unit='KiB'/>"
			       "</hugepages></memoryBacking>"),
		  IQ_OK);
	CHECK_U64(vm.nhuge, 1);
	CHECK_U64(vm_huge_bytes_of_size(&vm, 2 << 20, GiB), 64 * GiB);
	/* A nodeset naming node 0 without <numa>: node 0 is all memory. */
	CHECK_U64(parse_domain(&vm, &err,
			       "<memory unit='GiB'>64</memory><memoryBacking>"
			       "<hugepages><page size='1' unit='GiB' "
			       "nodeset='0'/></hugepages></memoryBacking>"),
		  IQ_OK);
	CHECK_U64(vm_huge_bytes_of_size(&vm, GiB, 2 << 20), 64 * GiB);
	/* A nodeset naming other nodes only: ordinary memory. */
	CHECK_U64(parse_domain(&vm, &err,
			       "<memory unit='GiB'>64</memory><memoryBacking>"
			       "<hugepages><page size='1' unit='GiB' "
			       "nodeset='1'/></hugepages></memoryBacking>"),
		  IQ_OK);
	CHECK_U64(vm_huge_bytes(&vm), 0);
	CHECK(!vm.hugepages);
	/* Malformed nodeset and page size: refused, naming the value. */
	CHECK_U64(parse_domain(&vm, &err,
			       "<memory unit='GiB'>64</memory><memoryBacking>"
			       "<hugepages><page size='1' unit='GiB' "
			       "nodeset='0-'/></hugepages></memoryBacking>"),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "<page nodeset='0-'>: not a NUMA node set");
	CHECK_U64(parse_domain(&vm, &err,
			       "<memory unit='GiB'>64</memory><memoryBacking>"
			       "<hugepages><page size='big'/></hugepages>"
			       "</memoryBacking>"),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "<page> size='big' is not a whole number");
}

static void test_uuid_forms(void)
{
	static const struct {
		const char *text;
		const char *want; /* NULL: refused */
	} cases[] = {
		{"4DEA22B3-1D52-D8F3-2516-782E98AB3FA0",
		 "4dea22b3-1d52-d8f3-2516-782e98ab3fa0"},
		{"4dea22b31d52d8f32516782e98ab3fa0",
		 "4dea22b3-1d52-d8f3-2516-782e98ab3fa0"},
		{"  4dea22b3-1d52-d8f3-2516-782e98ab3fa0\n",
		 "4dea22b3-1d52-d8f3-2516-782e98ab3fa0"},
		{"4dea22b3-1d52-d8f3-2516-782e98ab3fa", NULL},
		{"4dea22b3-1d52-d8f3-2516-782e98ab3fa0aa", NULL},
		{"4dea22b3-1d52-d8f3-2516-782e98ab3fg0", NULL},
		{"4dea22b3-1d5-2d8f3-2516-782e98ab3fa0", NULL},
		{"", NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vm_facts vm FREED = {0};
		struct iq_err err;
		int rc = parse_domain(&vm, &err,
				      "<uuid>%s</uuid><memory>1</memory>",
				      cases[i].text);

		if (cases[i].want) {
			CHECK_U64(rc, IQ_OK);
			CHECK_STR(vm.uuid, cases[i].want);
		} else {
			CHECK_U64(rc, IQ_EREFUSED);
			CHECK_CONTAINS(err.msg, "t.xml:3: <uuid> '");
			CHECK_CONTAINS(err.msg, "' is not a UUID");
		}
	}
}

static void test_class_by_namespace_uri(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	/* Prefix "icmquota" bound to another URI: not ours. */
	CHECK_U64(parse_domain(&vm, &err,
			       "<metadata><icmquota:vm xmlns:icmquota="
			       "'https://icmquota.dev/xmlns/2'><class>wrong"
			       "</class></icmquota:vm></metadata>"
			       "<memory>1</memory>"),
		  IQ_OK);
	CHECK_STR(vm.class_name, "");
	/* Our URI as the default namespace: <class> is then ours too. */
	CHECK_U64(parse_domain(&vm, &err,
			       "<metadata><vm xmlns='https://icmquota.dev/"
			       "xmlns/1'><class> gpu-8x\n</class></vm>"
			       "</metadata><memory>1</memory>"),
		  IQ_OK);
	CHECK_STR(vm.class_name, "gpu-8x");
	/* A <class> outside our element is someone else's. */
	CHECK_U64(parse_domain(&vm, &err,
			       "<metadata><class>gpu-8x</class><x:vm "
			       "xmlns:x='https://icmquota.dev/xmlns/1'/>"
			       "</metadata><memory>1</memory>"),
		  IQ_OK);
	CHECK_STR(vm.class_name, "");
	/* An empty class is a mistake worth refusing, not "no class". */
	CHECK_U64(parse_domain(&vm, &err,
			       "<metadata>\n<x:vm xmlns:x='https://icmquota.dev"
			       "/xmlns/1'><class> </class></x:vm></metadata>"
			       "<memory>1</memory>"),
		  IQ_EREFUSED);
	CHECK_STR(err.msg, "t.xml:4: <class> in icmquota metadata must be 1 "
			   "to 127 bytes without control characters (or "
			   "leave it out)");
	check_zeroed(&vm);
	CHECK_U64(parse_domain(&vm, &err,
			       "<metadata><x:vm xmlns:x='https://icmquota.dev/"
			       "xmlns/1'><class>a</class></x:vm>\n<y:vm "
			       "xmlns:y='https://icmquota.dev/xmlns/1'><class>"
			       "b</class></y:vm></metadata><memory>1</memory>"),
		  IQ_EREFUSED);
	CHECK_STR(err.msg, "t.xml:4: a second <vm> element in namespace "
			   "https://icmquota.dev/xmlns/1 (keep one)");
	/* Any prefix names our URI; the prefix alone never does. */
	CHECK_U64(parse_domain(&vm, &err,
			       "<metadata><icmquota:vm xmlns:icmquota='urn:x'>"
			       "<class>theirs</class></icmquota:vm>"
			       "<_.z-9:vm xmlns:_.z-9='https://icmquota.dev/"
			       "xmlns/1'><_.z-9:class>ours</_.z-9:class>"
			       "</_.z-9:vm></metadata><memory>1</memory>"),
		  IQ_OK);
	CHECK_STR(vm.class_name, "ours");
	vm_facts_free(&vm);
}

/*
 * A VF from a <forward mode='hostdev'> network: at prepare only
 * <interface type='network'> (pending, no PCI address); at start begin the
 * same interface resolved to <interface type='hostdev'> with its VF.
 */
static void test_hostdev_network_stages(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	CHECK_U64(load("hostdev-net-prepare.xml", &vm, &err), IQ_OK);
	CHECK_U64(vm.npci, 0);
	CHECK_U64(vm.pending_ifaces, 2);
	CHECK_U64(vm.memory_bytes, 16 * GiB);
	vm_facts_free(&vm);
	CHECK_U64(load("hostdev-net-start.xml", &vm, &err), IQ_OK);
	CHECK_U64(vm.npci, 1);
	if (vm.npci == 1)
		CHECK_STR(vm.pci[0], "0000:0c:00.3");
	/* The bridge network stays type='network': no VF. */
	CHECK_U64(vm.pending_ifaces, 1);
	CHECK_U64(vm.hidden_vfs, 0);
	vm_facts_free(&vm);
	/* As libvirt 9.0 formats it after allocating the port: no address,
	 * alias hostdev0 (net1 is the bridge). */
	CHECK_U64(load("hostdev-net-libvirt9.xml", &vm, &err), IQ_OK);
	CHECK_U64(vm.npci, 0);
	CHECK_U64(vm.pending_ifaces, 2);
	CHECK_U64(vm.hidden_vfs, 1);
	vm_facts_free(&vm);
}

/* Intel VMD domains (libvirt accepts up to 0xffffffff): kept, normalised. */
static void test_wide_pci_domains(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	CHECK_U64(load("vmd-nvme.xml", &vm, &err), IQ_OK);
	CHECK_U64(vm.npci, 3);
	if (vm.npci == 3) {
		CHECK_STR(vm.pci[0], "0000:0c:00.1");
		CHECK_STR(vm.pci[1], "10000:0c:00.2");
		CHECK_STR(vm.pci[2], "10001:01:00.0");
	}
	vm_facts_free(&vm);
	CHECK_U64(parse_domain(&vm, &err,
			       "<memory>1</memory><devices><hostdev "
			       "type='pci'><source><address "
			       "domain='0xffffffff' bus='0xff' slot='0x1f' "
			       "function='7'/></source></hostdev></devices>"),
		  IQ_OK);
	CHECK_U64(vm.npci, 1);
	if (vm.npci == 1)
		CHECK_STR(vm.pci[0], "ffffffff:ff:1f.7");
	vm_facts_free(&vm);
}

static void test_pci_address_errors(void)
{
	static const struct {
		const char *address;
		const char *message;
	} cases[] = {
		{"bus='0x100'",
		 "t.xml:6: /domain/devices/hostdev[2]/source/address: "
		 "bus='0x100' is out of range (0x0-0xff)"},
		{"domain='0x100000000'", "domain='0x100000000' is out of "
					 "range (0x0-0xffffffff)"},
		{"slot='32'", "slot='32' is out of range (0x0-0x1f)"},
		{"function='0x8'", "function='0x8' is out of range (0x0-0x7)"},
		{"bus='zz'",
		 "t.xml:6: /domain/devices/hostdev[2]/source/address: "
		 "bus='zz' is not a number (use hex, e.g. bus='0x3b')"},
		{"bus='-1'", "bus='-1' is not a number"},
		{"bus=''", "bus='' is not a number"},
		{"bus='0x3b '", "bus='0x3b ' is not a number"},
		/* libvirt reads a leading 0 as octal: 08 is no number. */
		{"bus='08'", "bus='08' is not a number"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vm_facts vm FREED = {0};
		struct iq_err err;

		/* The first, valid hostdev must not survive the error. */
		CHECK_U64(parse_domain(&vm, &err,
				       "<memory>1</memory><devices>\n"
				       "<hostdev mode='subsystem' type='pci'>"
				       "<source><address bus='0x3b'/></source>"
				       "</hostdev>\n<hostdev mode='subsystem' "
				       "type='pci'><source>\n<address %s/>"
				       "</source></hostdev></devices>",
				       cases[i].address),
			  IQ_EREFUSED);
		CHECK_CONTAINS(err.msg, cases[i].message);
		check_zeroed(&vm);
	}
}

static void test_pci_interface_and_missing_source(void)
{
	static const char *const octal[] = {"0000:08:00.0"};
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	CHECK_U64(parse_domain(&vm, &err,
			       "<memory>1</memory><devices><interface "
			       "type='network'/>\n<interface type='hostdev'>"
			       "<source><address type='pci' function='9'/>"
			       "</source></interface></devices>"),
		  IQ_EREFUSED);
	CHECK_STR(err.msg, "t.xml:4: /domain/devices/interface[2]/source/"
			   "address: function='9' is out of range (0x0-0x7)");
	/* Only a guest-side address: never taken for the host's. */
	CHECK_U64(parse_domain(&vm, &err,
			       "<memory>1</memory><devices>\n<hostdev "
			       "mode='subsystem' type='pci'><address "
			       "type='pci' bus='0x05'/></hostdev></devices>"),
		  IQ_EREFUSED);
	CHECK_STR(err.msg, "t.xml:4: /domain/devices/hostdev[1]: a PCI "
			   "passthrough device without <source><address> "
			   "(libvirt requires the host address)");
	check_zeroed(&vm);
	/* As libvirt (strtoul base 0): a leading 0 is octal. */
	CHECK_U64(parse_domain(&vm, &err,
			       "<memory>1</memory><devices><hostdev "
			       "type='pci'><source><address bus='010'/>"
			       "</source></hostdev></devices>"),
		  IQ_OK);
	check_pci(&vm, octal, 1);
	vm_facts_free(&vm);
}

static void test_not_well_formed(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	CHECK_U64(load("truncated.xml", &vm, &err), IQ_EREFUSED);
	CHECK_STR(err.msg, FIXTURES "truncated.xml:110: unclosed token (the "
				    "XML is truncated or not well-formed)");
	check_zeroed(&vm);

	CHECK_U64(load("empty.xml", &vm, &err), IQ_EREFUSED);
	CHECK_STR(err.msg, FIXTURES "empty.xml:1: no element found (the XML "
				    "is truncated or not well-formed)");
	check_zeroed(&vm);

	iq_err_clear(&err);
	CHECK_U64(vm_from_libvirt_xml("", 0, "stdin", &vm, &err), IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "stdin:1: ");
	CHECK_CONTAINS(err.msg, " (the XML is truncated or not well-formed)");
	iq_err_clear(&err);
	CHECK_U64(vm_from_libvirt_xml(NULL, 0, NULL, &vm, &err), IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "domain XML:1: ");

	/* A mismatched tag: line of the error, one line, no XML echoed. */
	CHECK_U64(parse_text("<domain>\n<name>x</name>\n<memory>1</memry>\n"
			     "</domain>\n",
			     &vm, &err),
		  IQ_EREFUSED);
	CHECK_STR(err.msg, "t.xml:3: mismatched tag (the XML is truncated or "
			   "not well-formed)");
	CHECK(!strchr(err.msg, '\n'));
	CHECK(!strstr(err.msg, "<memory>"));
	check_zeroed(&vm);
	/* An entity only a DTD could declare. */
	CHECK_U64(parse_domain(&vm, &err, "<memory>1</memory>&nbsp;"),
		  IQ_EREFUSED);
	CHECK_STR(err.msg, "t.xml:3: undefined entity (the XML is truncated "
			   "or not well-formed)");
}

/* A domain whose metadata nests depth elements deep, the domain's
 * included; the innermost one on line depth. */
static char *nested_domain(unsigned depth)
{
	size_t len = 256 + 8 * (size_t)depth;
	char *xml = malloc(len), *p = xml;

	if (!xml)
		abort();
	p += sprintf(p, "<domain>\n<name>deep</name><memory>1</memory>"
			"<metadata>\n");
	for (unsigned i = 2; i < depth; i++)
		p += sprintf(p, "<a>\n");
	for (unsigned i = 2; i < depth; i++)
		p += sprintf(p, "</a>");
	sprintf(p, "</metadata></domain>");
	return xml;
}

/* Nesting beyond VM_XML_MAX_DEPTH: refused where it goes too deep. */
static void test_depth_limit(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;
	char *xml;

	xml = nested_domain(VM_XML_MAX_DEPTH + 1);
	CHECK_U64(parse_text(xml, &vm, &err), IQ_EREFUSED);
	CHECK_STR(err.msg, "t.xml:257: elements nested more than 256 deep (a "
			   "libvirt domain is far shallower)");
	check_zeroed(&vm);
	free(xml);
	/* At the bound: a domain (with someone's deep metadata). */
	xml = nested_domain(VM_XML_MAX_DEPTH);
	CHECK_U64(parse_text(xml, &vm, &err), IQ_OK);
	CHECK_STR(vm.name, "deep");
	vm_facts_free(&vm);
	free(xml);
}

/*
 * Values come decoded: libvirt writes & and ' in names and attributes as
 * &amp; and &apos; (virBufferEscapeString), character references are
 * allowed anywhere.
 */
static void test_entities_decoded(void)
{
	static const char *const want[] = {"0000:3b:00.2"};
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	CHECK_U64(parse_text("<domain type='kvm'><name>R&amp;D&apos;s vm</name>"
			     "<memory unit='G&#105;B'>2</memory><metadata>"
			     "<q:vm xmlns:q='https://icmquota.dev/xmlns/1'>"
			     "<class>gpu&amp;&apos;x</class></q:vm></metadata>"
			     "<devices><hostdev mode='subsystem' "
			     "type='p&#x63;i'><source><address domain='0' "
			     "bus='0x&#51;b' slot='0' function='2'/></source>"
			     "</hostdev></devices></domain>",
			     &vm, &err),
		  IQ_OK);
	CHECK_STR(vm.name, "R&D's vm");
	CHECK_U64(vm.memory_bytes, 2 * GiB);
	CHECK_STR(vm.class_name, "gpu&'x");
	check_pci(&vm, want, 1);
	vm_facts_free(&vm);
	/* &apos; inside a quoted value does not end it. */
	CHECK_U64(
		parse_domain(&vm, &err, "<memory unit='Gi&apos;B'>1</memory>"),
		IQ_EREFUSED);
	CHECK_STR(err.msg, "t.xml:3: <memory unit='Gi'B'>: unknown unit (use "
			   "b, KB, k/KiB, MB, M/MiB, GB, G/GiB, TB, T/TiB, PB, "
			   "P/PiB, EB or E/EiB)");
}

static void test_wrong_document(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	CHECK_U64(load("network.xml", &vm, &err), IQ_EREFUSED);
	CHECK_STR(err.msg, FIXTURES "network.xml: not a libvirt domain XML "
				    "(root element <network>)");
	check_zeroed(&vm);

	CHECK_U64(load("missing-name.xml", &vm, &err), IQ_EREFUSED);
	CHECK_STR(err.msg, FIXTURES "missing-name.xml: the domain has no "
				    "<name> (libvirt requires one)");
	check_zeroed(&vm);

	CHECK_U64(parse_text("<domain xmlns='http://example.com/d'><name>x"
			     "</name><memory>1</memory></domain>",
			     &vm, &err),
		  IQ_EREFUSED);
	CHECK_STR(err.msg, "t.xml: not a libvirt domain XML (root element "
			   "<domain> in namespace http://example.com/d)");

	/* A name libvirt would refuse (a newline) never reaches a log. */
	CHECK_U64(parse_text("<domain>\n<name>a&#10;b</name><memory>1</memory>"
			     "</domain>",
			     &vm, &err),
		  IQ_EREFUSED);
	CHECK_STR(err.msg, "t.xml:2: <name> must be 1 to 255 bytes without "
			   "control characters");
	CHECK_U64(parse_text("<domain><name></name><memory>1</memory>"
			     "</domain>",
			     &vm, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "<name> must be 1 to 255 bytes");
}

/* Entities are never expanded: a DOCTYPE is refused outright. */
static void test_doctype_refused(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	CHECK_U64(parse_text("<!DOCTYPE domain [<!ENTITY n 'evil'>]>\n"
			     "<domain><name>&n;</name><memory>1</memory>"
			     "</domain>",
			     &vm, &err),
		  IQ_EREFUSED);
	CHECK_STR(err.msg, "t.xml:1: the domain XML has a <!DOCTYPE> (libvirt "
			   "never writes one; remove it)");
	check_zeroed(&vm);
	CHECK_U64(parse_text("<!DOCTYPE domain SYSTEM 'file:///etc/passwd'>\n"
			     "<domain><name>x</name><memory>1</memory>"
			     "</domain>",
			     &vm, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "<!DOCTYPE>");
	/* Its own line, after the declaration and a comment. */
	CHECK_U64(parse_text("<?xml version='1.0'?>\n<!-- x -->\n"
			     "<!DOCTYPE domain [<!ENTITY a 'b'>]>\n"
			     "<domain><name>x</name><memory>1</memory>"
			     "</domain>",
			     &vm, &err),
		  IQ_EREFUSED);
	CHECK_STR(err.msg, "t.xml:3: the domain XML has a <!DOCTYPE> (libvirt "
			   "never writes one; remove it)");
	check_zeroed(&vm);
}

static void test_bad_values_stay_one_line(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	CHECK_U64(parse_domain(&vm, &err, "<memory unit='GiB'>12\n34</memory>"),
		  IQ_EREFUSED);
	CHECK_STR(err.msg, "t.xml:3: <memory> value '12?34' is not a whole "
			   "number (e.g. <memory unit='GiB'>64</memory>)");
	/* Long values are cut, not echoed whole. */
	CHECK_U64(parse_domain(&vm, &err, "<uuid>%s</uuid><memory>1</memory>",
			       "0123456789012345678901234567890123456789"
			       "0123456789012345678901234567890123456789"),
		  IQ_EREFUSED);
	CHECK(strlen(err.msg) < 150);
	CHECK(!strchr(err.msg, '\n'));
}

static void test_file_errors(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	iq_err_clear(&err);
	CHECK_U64(vm_from_libvirt_xml_file(FIXTURES "no-such-domain.xml", &vm,
					   &err),
		  IQ_EENV);
	CHECK_STR(err.msg, FIXTURES "no-such-domain.xml: cannot read domain "
				    "XML: No such file or directory");
	check_zeroed(&vm);
	iq_err_clear(&err);
	CHECK_U64(vm_from_libvirt_xml_file(FIXTURES, &vm, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, FIXTURES ": cannot read domain XML: ");
}

static void test_add_pci_sorted_unique(void)
{
	static const char *const want[] = {"0000:3b:00.2", "0000:3b:00.3",
					   "0000:86:00.2", "0001:00:00.1"};
	struct vm_facts vm FREED = {0}, copy FREED = {0};
	struct iq_err err;

	memset(&vm, 0, sizeof(vm));
	snprintf(vm.name, sizeof(vm.name), "v");
	CHECK_U64(vm_add_pci(&vm, "0000:86:00.2", &err), IQ_OK);
	CHECK_U64(vm_add_pci(&vm, "3B:00.3", &err), IQ_OK);
	CHECK_U64(vm_add_pci(&vm, "0001:00:00.1", &err), IQ_OK);
	CHECK_U64(vm_add_pci(&vm, "0000:3b:00.2", &err), IQ_OK);
	CHECK_U64(vm_add_pci(&vm, "0000:3b:00.3", &err), IQ_OK);
	CHECK_U64(vm_add_pci(&vm, "86:00.2", &err), IQ_OK);
	check_pci(&vm, want, 4);

	iq_err_clear(&err);
	CHECK_U64(vm_add_pci(&vm, "0000:3b:00.8", &err), IQ_EREFUSED);
	CHECK_STR(err.msg, "'0000:3b:00.8' is not a PCI address (expected "
			   "DDDD:BB:SS.F, e.g. 0000:3b:00.2)");
	CHECK_U64(vm_add_pci(&vm, "eth0\n", &err), IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "'eth0?' is not a PCI address");
	CHECK_U64(vm_add_pci(&vm, NULL, &err), IQ_EREFUSED);
	check_pci(&vm, want, 4);

	CHECK_U64(vm_facts_copy(&copy, &vm, &err), IQ_OK);
	CHECK(copy.pci != vm.pci);
	check_pci(&copy, want, 4);
	CHECK_STR(copy.name, "v");
	CHECK_U64(vm_add_pci(&copy, "0000:00:01.0", &err), IQ_OK);
	CHECK_U64(copy.npci, 5);
	CHECK_STR(copy.pci[0], "0000:00:01.0");
	check_pci(&vm, want, 4);
	vm_facts_free(&copy);
	vm_facts_free(&vm);
	CHECK(vm.pci == NULL);
	CHECK_U64(vm.npci, 0);
	vm_facts_free(&vm);

	/* Copy of a VM without devices. */
	CHECK_U64(vm_facts_copy(&copy, &vm, &err), IQ_OK);
	CHECK(copy.pci == NULL);
	CHECK_U64(copy.npci, 0);
}

int main(void)
{
	RUN(test_small_diskless);
	RUN(test_gpu_training_vm);
	RUN(test_hook_prepare_and_release);
	RUN(test_non_pci_hostdevs_ignored);
	RUN(test_decimal_and_default_numbers);
	RUN(test_current_memory_fallback);
	RUN(test_memory_units);
	RUN(test_memory_errors);
	RUN(test_hugepages);
	RUN(test_uuid_forms);
	RUN(test_class_by_namespace_uri);
	RUN(test_hostdev_network_stages);
	RUN(test_wide_pci_domains);
	RUN(test_hugepages_numa_partial);
	RUN(test_hugepages_several_sizes);
	RUN(test_pci_address_errors);
	RUN(test_pci_interface_and_missing_source);
	RUN(test_not_well_formed);
	RUN(test_wrong_document);
	RUN(test_doctype_refused);
	RUN(test_hugepages_numatune);
	RUN(test_depth_limit);
	RUN(test_entities_decoded);
	RUN(test_bad_values_stay_one_line);
	RUN(test_file_errors);
	RUN(test_add_pci_sorted_unique);
	return TEST_SUMMARY("test_vm_libvirt");
}
