/* SPDX-License-Identifier: MIT */
/*
 * The YAML policy, version 1 (architecture.md): parse with libyaml keeping
 * every value's line:column, validate, and evaluate VM facts into per-VF
 * caps with the rule that gave each one.
 */
#ifndef ICMQUOTA_POLICY_H
#define ICMQUOTA_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/pci.h"
#include "lib/size.h"

/* Where a value stood in the policy file (1-based). */
struct policy_pos {
	unsigned line;
	unsigned col;
};

struct policy_size {
	bool set;
	uint64_t bytes; /* IQ_UNLIMITED for "unlimited" */
	struct policy_pos pos;
};

enum policy_admission {
	POLICY_ADMIT_STRICT,
	POLICY_ADMIT_SCALE,
	POLICY_ADMIT_WARN,
};

enum policy_hugepages {
	POLICY_HUGEPAGES_OBSERVE,
	POLICY_HUGEPAGES_MANAGE,
};

struct policy_class {
	char name[128];
	struct policy_size vf_cap;
	struct policy_pos pos; /* of the class name (its key) */
};

struct policy_vm_rule {
	char name_glob[256];	     /* "" when the rule matches on uuid only */
	char uuid[40];		     /* "" when not matched on uuid */
	char class_name[128];	     /* "" when the rule gives no class */
	struct policy_pos class_pos; /* of the class value, 0:0 when none */
	struct policy_size vf_cap;
	struct policy_pos pos; /* of the rule (its list item) */
};

struct policy_device {
	char pci[PCI_ADDR_LEN]; /* normalised */
	struct policy_size vf_cap;
	struct policy_pos pos; /* of the PCI address (its key) */
};

struct policy {
	char path[4096];
	char digest[65]; /* sha256 of the file's bytes */
	struct policy_size reserve;
	enum policy_admission admission;
	enum policy_hugepages hugepages;
	struct policy_size vf_cap;
	struct policy_size idle_vf_cap;
	struct policy_size min_vf_cap;
	struct policy_class *classes;
	size_t nclasses;
	struct policy_vm_rule *vms;
	size_t nvms;
	struct policy_device *devices;
	size_t ndevices;
};

/*
 * Built-in defaults when a key is absent: reserve 64GiB, strict, observe,
 * vf_cap 8GiB, idle_vf_cap 256MiB, min_vf_cap 1GiB.
 * Errors: "FILE:LINE:COL: message" with IQ_EREFUSED (policy invalid), or
 * IQ_EENV when the file cannot be read. On any failure *policy is left
 * empty (nothing allocated; policy_free() on it is harmless). label (the
 * file's path for policy_load) is kept in policy->path for later messages;
 * digest is the sha256 of the text given.
 */
/*
 * Bounds, refused with a LABEL:LINE:COL error before any work grows with
 * them: 4 MiB of text (100,000 rules are about 3 MiB and parse in a
 * fraction of a second), 32 levels of nesting (the schema has 5), 100,000
 * classes or vms rules, 1,024 devices (PFs of one host).
 */
#define POLICY_MAX_BYTES    (4u << 20)
#define POLICY_MAX_DEPTH    32
#define POLICY_MAX_CLASSES  100000
#define POLICY_MAX_VM_RULES 100000
#define POLICY_MAX_DEVICES  1024

int policy_load(const char *path, struct policy *policy, struct iq_err *err);
int policy_parse(const char *text, size_t len, const char *label,
		 struct policy *policy, struct iq_err *err);
void policy_free(struct policy *policy);

/* Why a VF got its cap. */
enum policy_source {
	POLICY_FROM_VM_RULE,
	POLICY_FROM_CLASS,
	POLICY_FROM_DEVICE,
	POLICY_FROM_DEFAULT,
	POLICY_FROM_IDLE,
};

struct policy_decision {
	uint64_t cap_bytes; /* IQ_UNLIMITED possible */
	enum policy_source source;
	struct policy_pos pos; /* of the value that decided (0:0 built-in) */
	char rule[256];	       /* "vms[1] (uuid 4dea...)", "class gpu-8x",
				    "devices 0000:3b:00.0", "defaults.vf_cap" */
	char note[256];	       /* e.g. "class 'x' named by the VM is not in
				    the policy", "" otherwise */
};

/*
 * What evaluation needs to know of a VM; the controller's VM facts give it
 * (vm_policy_view). Evaluation stays pure: facts in, caps out.
 */
struct policy_vm {
	const char *name;
	const char *uuid;	/* lowercase canonical, "" when none */
	const char *class_name; /* "" when the VM names no class */
};

/* Cap for a VF of pf_pci assigned to vm (vm NULL: an idle VF). */
void policy_vf_cap(const struct policy *policy, const struct policy_vm *vm,
		   const char *pf_pci, struct policy_decision *decision);

/*
 * A cap above a device's total ICM is an error at the value that gives it:
 * "FILE:LINE:COL: vf_cap 512GiB is above the total ICM of 0000:3b:00.0
 * (128GiB); lower it". Checks defaults, classes, vms rules and that
 * device's rule. total_icm_bytes IQ_UNLIMITED: nothing to check.
 */
int policy_check_device(const struct policy *policy, const char *pf_pci,
			uint64_t total_icm_bytes, struct iq_err *err);

#endif
