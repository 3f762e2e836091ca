// SPDX-License-Identifier: MIT
/*
 * Policy evaluation: VM facts -> the cap of each of its VFs, with the rule
 * that gave it (for `explain`), and the per-device sanity check of caps
 * against the NIC's total ICM.
 *
 * Precedence, most specific first: vms rule, class, device rule, defaults.
 */
#include "lib/pci.h"
#include "lib/size.h"
#include "lib/text.h"
#include "policy/policy.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool rule_matches(const struct policy_vm_rule *rule,
			 const struct policy_vm *vm)
{
	/* Validation guarantees a key; every key present must hold. */
	if (!rule->name_glob[0] && !rule->uuid[0])
		return false;
	if (rule->name_glob[0] && !glob_match(rule->name_glob, vm->name))
		return false;
	if (rule->uuid[0] &&
	    (!vm->uuid[0] || strcasecmp(rule->uuid, vm->uuid) != 0))
		return false;
	return true;
}

/*
 * "vms[1] (uuid 4dea...)", "vms[0] (name train-*)"; a very long glob is cut
 * so that the description always fits decision->rule.
 */
static void describe_rule(size_t index, const struct policy_vm_rule *rule,
			  char *buf, size_t len)
{
	if (rule->name_glob[0] && rule->uuid[0])
		snprintf(buf, len, "vms[%zu] (name %.160s, uuid %s)", index,
			 rule->name_glob, rule->uuid);
	else if (rule->name_glob[0])
		snprintf(buf, len, "vms[%zu] (name %.200s)", index,
			 rule->name_glob);
	else
		snprintf(buf, len, "vms[%zu] (uuid %s)", index, rule->uuid);
}

static const struct policy_class *class_named(const struct policy *policy,
					      const char *name)
{
	for (size_t i = 0; i < policy->nclasses; i++)
		if (strcmp(policy->classes[i].name, name) == 0)
			return &policy->classes[i];
	return NULL;
}

static const struct policy_device *device_rule(const struct policy *policy,
					       const char *pf_pci)
{
	char pci[PCI_ADDR_LEN];

	if (!pf_pci || !pci_addr_normalize(pf_pci, pci))
		return NULL;
	for (size_t i = 0; i < policy->ndevices; i++)
		if (strcmp(policy->devices[i].pci, pci) == 0)
			return &policy->devices[i];
	return NULL;
}

static void decide(struct policy_decision *decision, enum policy_source source,
		   const struct policy_size *size)
{
	decision->source = source;
	decision->cap_bytes = size->bytes;
	decision->pos = size->set ? size->pos : (struct policy_pos){0, 0, 0};
}

void policy_vf_cap(const struct policy *policy, const struct policy_vm *vm,
		   const char *pf_pci, struct policy_decision *decision)
{
	const struct policy_vm_rule *matched = NULL;
	const struct policy_device *device;
	const struct policy_class *class;
	const char *class_name;
	char matched_desc[sizeof(decision->rule)] = "";

	memset(decision, 0, sizeof(*decision));
	if (!vm) {
		decide(decision, POLICY_FROM_IDLE, &policy->idle_vf_cap);
		snprintf(decision->rule, sizeof(decision->rule),
			 "defaults.idle_vf_cap");
		return;
	}

	/* First matching vms rule wins, whatever it gives. */
	for (size_t i = 0; i < policy->nvms; i++) {
		if (rule_matches(&policy->vms[i], vm)) {
			matched = &policy->vms[i];
			describe_rule(i, matched, matched_desc,
				      sizeof(matched_desc));
			break;
		}
	}
	if (matched && matched->vf_cap.set) {
		decide(decision, POLICY_FROM_VM_RULE, &matched->vf_cap);
		snprintf(decision->rule, sizeof(decision->rule), "%s",
			 matched_desc);
		return;
	}

	/* A rule's class overrides the class the VM names for itself. */
	class_name = matched && matched->class_name[0] ? matched->class_name
						       : vm->class_name;
	if (class_name[0]) {
		class = class_named(policy, class_name);
		if (class && class->vf_cap.set) {
			decide(decision, POLICY_FROM_CLASS, &class->vf_cap);
			snprintf(decision->rule, sizeof(decision->rule),
				 "class %s", class->name);
			if (class_name != vm->class_name)
				snprintf(decision->note, sizeof(decision->note),
					 "class given by %.200s", matched_desc);
			return;
		}
		if (!class)
			snprintf(decision->note, sizeof(decision->note),
				 "class '%s' named by the VM is not in the "
				 "policy",
				 class_name);
		else
			snprintf(decision->note, sizeof(decision->note),
				 "class '%s' sets no vf_cap", class_name);
	}

	device = device_rule(policy, pf_pci);
	if (device && device->vf_cap.set) {
		decide(decision, POLICY_FROM_DEVICE, &device->vf_cap);
		snprintf(decision->rule, sizeof(decision->rule), "devices %s",
			 device->pci);
		return;
	}

	decide(decision, POLICY_FROM_DEFAULT, &policy->vf_cap);
	snprintf(decision->rule, sizeof(decision->rule), "defaults.vf_cap");
}

bool policy_vm_cap(const struct policy *policy, const struct policy_vm *vm,
		   const char *pf_pci, struct policy_decision *decision)
{
	const struct policy_vm_rule *matched = NULL;
	const struct policy_device *device;
	const struct policy_class *class = NULL;
	const char *class_name;
	size_t index = 0;

	memset(decision, 0, sizeof(*decision));
	decision->cap_bytes = IQ_UNLIMITED;
	snprintf(decision->rule, sizeof(decision->rule), "none");
	if (!vm)
		return false;
	for (size_t i = 0; i < policy->nvms && !matched; i++)
		if (rule_matches(&policy->vms[i], vm)) {
			matched = &policy->vms[i];
			index = i;
		}
	if (matched && matched->vm_cap.set) {
		decide(decision, POLICY_FROM_VM_RULE, &matched->vm_cap);
		describe_rule(index, matched, decision->rule,
			      sizeof(decision->rule));
		return true;
	}
	class_name = matched && matched->class_name[0] ? matched->class_name
						       : vm->class_name;
	if (class_name[0])
		class = class_named(policy, class_name);
	if (class && class->vm_cap.set) {
		decide(decision, POLICY_FROM_CLASS, &class->vm_cap);
		snprintf(decision->rule, sizeof(decision->rule), "class %s",
			 class->name);
		return true;
	}
	device = device_rule(policy, pf_pci);
	if (device && device->vm_cap.set) {
		decide(decision, POLICY_FROM_DEVICE, &device->vm_cap);
		snprintf(decision->rule, sizeof(decision->rule), "devices %s",
			 device->pci);
		return true;
	}
	if (policy->vm_cap.set) {
		decide(decision, POLICY_FROM_DEFAULT, &policy->vm_cap);
		snprintf(decision->rule, sizeof(decision->rule),
			 "defaults.vm_cap");
		return true;
	}
	return false;
}

/* One cap value that could apply to a VF of the device being checked. */
struct cap_candidate {
	const struct policy_size *size;
	char key[320];
};

static bool pos_before(struct policy_pos a, struct policy_pos b)
{
	if (a.file != b.file)
		return a.file < b.file;
	return a.line < b.line || (a.line == b.line && a.col < b.col);
}

/*
 * Keep the candidate to report: values written in the file in file order
 * first, then built-in defaults (which have no place in the file).
 */
static void consider(struct cap_candidate *worst,
		     const struct policy_size *size, uint64_t total_icm_bytes,
		     const char *key)
{
	if (size->bytes == IQ_UNLIMITED || size->bytes <= total_icm_bytes)
		return;
	if (worst->size) {
		if (!size->set)
			return;
		if (worst->size->set &&
		    !pos_before(size->pos, worst->size->pos))
			return;
	}
	worst->size = size;
	snprintf(worst->key, sizeof(worst->key), "%s", key);
}

int policy_check_device(const struct policy *policy, const char *pf_pci,
			uint64_t total_icm_bytes, struct iq_err *err)
{
	const struct policy_device *device = device_rule(policy, pf_pci);
	struct cap_candidate worst = {0};
	char key[320], cap[32], total[32];
	char pci[PCI_ADDR_LEN];

	if (total_icm_bytes == IQ_UNLIMITED)
		return IQ_OK;
	consider(&worst, &policy->vf_cap, total_icm_bytes, "defaults.vf_cap");
	consider(&worst, &policy->idle_vf_cap, total_icm_bytes,
		 "defaults.idle_vf_cap");
	consider(&worst, &policy->min_vf_cap, total_icm_bytes,
		 "defaults.min_vf_cap");
	if (policy->vm_cap.set)
		consider(&worst, &policy->vm_cap, total_icm_bytes,
			 "defaults.vm_cap");
	for (size_t i = 0; i < policy->nclasses; i++) {
		snprintf(key, sizeof(key), "classes.%s.vf_cap",
			 policy->classes[i].name);
		consider(&worst, &policy->classes[i].vf_cap, total_icm_bytes,
			 key);
		snprintf(key, sizeof(key), "classes.%s.vm_cap",
			 policy->classes[i].name);
		if (policy->classes[i].vm_cap.set)
			consider(&worst, &policy->classes[i].vm_cap,
				 total_icm_bytes, key);
	}
	for (size_t i = 0; i < policy->nvms; i++) {
		if (policy->vms[i].vf_cap.set) {
			snprintf(key, sizeof(key), "vms[%zu].vf_cap", i);
			consider(&worst, &policy->vms[i].vf_cap,
				 total_icm_bytes, key);
		}
		if (policy->vms[i].vm_cap.set) {
			snprintf(key, sizeof(key), "vms[%zu].vm_cap", i);
			consider(&worst, &policy->vms[i].vm_cap,
				 total_icm_bytes, key);
		}
	}
	if (device) {
		snprintf(key, sizeof(key), "devices.%s.vf_cap", device->pci);
		consider(&worst, &device->vf_cap, total_icm_bytes, key);
		snprintf(key, sizeof(key), "devices.%s.vm_cap", device->pci);
		if (device->vm_cap.set)
			consider(&worst, &device->vm_cap, total_icm_bytes, key);
	}
	if (!worst.size)
		return IQ_OK;

	if (!pf_pci || !pci_addr_normalize(pf_pci, pci))
		snprintf(pci, sizeof(pci), "%.12s", pf_pci ? pf_pci : "?");
	size_format(worst.size->bytes, cap, sizeof(cap));
	size_format(total_icm_bytes, total, sizeof(total));
	if (!worst.size->set)
		return iq_fail(err, IQ_EREFUSED,
			       "%s: %s %s (built-in default) is above the "
			       "total ICM of %s (%s); set %s to at most %s in "
			       "the policy",
			       policy->path, worst.key, cap, pci, total,
			       worst.key, total);
	return iq_fail(err, IQ_EREFUSED,
		       "%s:%u:%u: %s %s is above the total ICM of %s (%s); "
		       "lower it",
		       policy_file(policy, worst.size->pos),
		       worst.size->pos.line, worst.size->pos.col, worst.key,
		       cap, pci, total);
}
