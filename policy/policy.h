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

/*
 * Where a value stood (1-based line:col) and in which of the files merged
 * (index into policy->files: 0 is the main policy, then the drop-ins in
 * the order merged). line 0: the value is built in, no file gives it.
 */
struct policy_pos {
	unsigned line;
	unsigned col;
	unsigned file;
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

/*
 * vm_cap: one budget shared by all VFs of one VM on one PF (a vHCA group,
 * VHCA_GROUP_ICM_CTRL); it stands wherever vf_cap may stand. Unset: no
 * group, each VF has its own cap only.
 */
struct policy_class {
	char name[128];
	struct policy_size vf_cap;
	struct policy_size vm_cap;
	struct policy_pos pos; /* of the class name (its key) */
};

struct policy_vm_rule {
	char name_glob[256];	     /* "" when the rule matches on uuid only */
	char uuid[40];		     /* "" when not matched on uuid */
	char class_name[128];	     /* "" when the rule gives no class */
	struct policy_pos class_pos; /* of the class value, 0:0 when none */
	struct policy_size vf_cap;
	struct policy_size vm_cap;
	struct policy_pos pos; /* of the rule (its list item) */
};

struct policy_device {
	char pci[PCI_ADDR_LEN]; /* normalised */
	struct policy_size vf_cap;
	struct policy_size vm_cap;
	struct policy_pos pos; /* of the PCI address (its key) */
};

struct policy {
	char path[4096]; /* the main policy */
	char digest[65]; /* sha256 of the main file's bytes; with drop-ins,
			     of every merged file's name and bytes */
	char **files;	 /* every file merged, main first (policy_pos.file) */
	size_t nfiles;
	struct policy_size reserve;
	enum policy_admission admission;
	struct policy_pos admission_pos; /* line 0: not set (built-in) */
	enum policy_hugepages hugepages;
	struct policy_pos hugepages_pos;
	struct policy_size vf_cap;
	struct policy_size vm_cap; /* defaults.vm_cap */
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
 * IQ_EENV when the file cannot be read or libyaml or libmd cannot be
 * loaded ("LABEL: cannot load ...: ... apt install PACKAGE"; both are
 * loaded on the first parse, policy/yaml_dl.h, lib/digest.h). On any
 * failure *policy is left
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

/*
 * One file of a merged policy (a drop-in, or the main file before the
 * merge): the schema and errors of policy_parse, except what needs the
 * whole (a vms rule naming a class another file defines, min_vf_cap
 * against vf_cap): policy_check does that on the merged result.
 */
int policy_parse_fragment(const char *text, size_t len, const char *label,
			  struct policy *policy, struct iq_err *err);
/*
 * Merge a later file into policy (pure; later is one parsed fragment).
 * Precedence, documented in help and architecture.md: a later file wins,
 * key by key:
 *   host.*, defaults.*        each key the later file sets replaces
 *   classes.NAME.*            per class, per key; new classes are added
 *   devices.PCI.*             per device (normalised address), per key
 *   vms                       a later rule with the same match (same
 *                             name glob and uuid) is merged into the
 *                             earlier one key by key; the later file's
 *                             rules are tried before the earlier file's
 *                             (first match wins), so a drop-in can
 *                             override a glob of the main file for one VM
 * Errors: IQ_EENV (out of memory).
 */
int policy_merge(struct policy *policy, const struct policy *later,
		 struct iq_err *err);
/*
 * What needs the merged whole: every vms rule's class is defined, and
 * min_vf_cap <= vf_cap. Errors "FILE:LINE:COL: ..." (IQ_EREFUSED).
 */
int policy_check(struct policy *policy, struct iq_err *err);

/* The file a position is in ("(built-in)" for line 0). */
const char *policy_file(const struct policy *policy, struct policy_pos pos);

/* The tool's own drop-in (policy set/unset write it, nothing else). */
#define POLICY_TOOL_DROPIN "99-icmquota-local.yaml"

/* Drop-ins of main_path: DIR(main_path)/policy.d. Returns buf. */
const char *policy_dropin_dir(const char *main_path, char *buf, size_t len);

/* A file's text given in memory instead of read from disk. */
struct policy_text {
	const char *path;
	const char *text;
	size_t len;
};

/*
 * The main policy, then DIR/policy.d/\*.yaml in lexical (byte) order,
 * merged (policy_merge) and checked (policy_check). builtin_main: no main
 * file, the built-in defaults stand for it (labelled "(built-in
 * defaults)"). replace (may be NULL): its text stands in for the drop-in
 * of the same base name, or is merged in that name's place when no such
 * file exists (validating an edit before writing it, `policy diff`);
 * with replace->path equal to main_path, it replaces the main file.
 * The digest covers every file merged. Errors: as policy_load, naming the
 * file; a missing policy.d is no error.
 */
int policy_load_merged(const char *main_path, bool builtin_main,
		       const struct policy_text *replace, struct policy *policy,
		       struct iq_err *err);

/* --- editing the tool's drop-in (policy/edit.c) ----------------------- */

/* What `policy set/unset` names. */
enum policy_selector_kind {
	POLICY_SEL_HOST,     /* host.* */
	POLICY_SEL_DEFAULTS, /* defaults.* */
	POLICY_SEL_CLASS,    /* classes.NAME.* */
	POLICY_SEL_VM,	     /* the vms rule matching { name: NAME } */
	POLICY_SEL_UUID,     /* the vms rule matching { uuid: UUID } */
	POLICY_SEL_DEVICE,   /* devices.PCI.* */
};

struct policy_selector {
	enum policy_selector_kind kind;
	const char *name; /* class, VM name (glob), uuid, PCI; NULL else */
};

/* The keys a selector takes, as "vf_cap, vm_cap". */
const char *policy_selector_keys(enum policy_selector_kind kind);
/*
 * Set KEY to VALUE (a size like 8GiB or unlimited, a mode, a class name)
 * in the fragment f, creating the entry (a new vms rule goes first).
 * Values are checked as far as their type; the caller re-parses the
 * emitted text for the rest (4 KiB multiples, limits). Errors IQ_EUSAGE
 * (unknown key for the selector, bad value), IQ_EENV (out of memory).
 */
int policy_edit_set(struct policy *f, const struct policy_selector *sel,
		    const char *key, const char *value, struct iq_err *err);
/*
 * Remove KEY; an entry left with nothing set goes. *changed says whether
 * f set it at all.
 */
int policy_edit_unset(struct policy *f, const struct policy_selector *sel,
		      const char *key, bool *changed, struct iq_err *err);
/*
 * The fragment as YAML (libyaml's emitter, loaded here: IQ_EENV naming the
 * package when it cannot be) after header (comment lines, may be NULL);
 * only what f sets. *text is malloc'd, NUL-terminated.
 */
int policy_emit(const struct policy *f, const char *header, char **text,
		size_t *len, struct iq_err *err);
/* Exact size text in the largest unit that divides ("12GiB"). */
void policy_size_exact(uint64_t bytes, char *buf, size_t len);

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
 * The budget shared by vm's VFs on pf_pci (vm_cap, same precedence as
 * vf_cap: vms rule, class, device, defaults). Returns false when no
 * vm_cap applies (decision->rule then says "none").
 */
bool policy_vm_cap(const struct policy *policy, const struct policy_vm *vm,
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
