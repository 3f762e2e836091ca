// SPDX-License-Identifier: MIT
/*
 * Merging a later policy file (a drop-in) into what the earlier files gave,
 * key by key (precedence in policy.h, policy_merge). Pure: structures in,
 * structure out; every value keeps the file and line:col it came from.
 */
#include "lib/pci.h"
#include "policy/policy.h"

#include <stdlib.h>
#include <string.h>

/* A position of the later file, renumbered into the merged file list. */
static struct policy_pos moved(struct policy_pos pos, unsigned file)
{
	if (pos.line)
		pos.file = file;
	return pos;
}

static void take_size(struct policy_size *into, const struct policy_size *later,
		      unsigned file)
{
	if (!later->set)
		return;
	*into = *later;
	into->pos = moved(later->pos, file);
}

static bool same_match(const struct policy_vm_rule *a,
		       const struct policy_vm_rule *b)
{
	return strcmp(a->name_glob, b->name_glob) == 0 &&
	       strcmp(a->uuid, b->uuid) == 0;
}

static void merge_rule(struct policy_vm_rule *into,
		       const struct policy_vm_rule *later, unsigned file)
{
	if (later->class_name[0]) {
		memcpy(into->class_name, later->class_name,
		       sizeof(into->class_name));
		into->class_pos = moved(later->class_pos, file);
	}
	take_size(&into->vf_cap, &later->vf_cap, file);
	take_size(&into->vm_cap, &later->vm_cap, file);
	into->pos = moved(later->pos, file);
}

static int merge_classes(struct policy *p, const struct policy *later,
			 unsigned file, struct iq_err *err)
{
	for (size_t i = 0; i < later->nclasses; i++) {
		const struct policy_class *lc = &later->classes[i];
		struct policy_class *c = NULL;

		for (size_t j = 0; j < p->nclasses && !c; j++)
			if (strcmp(p->classes[j].name, lc->name) == 0)
				c = &p->classes[j];
		if (!c) {
			struct policy_class *grown =
				realloc(p->classes, (p->nclasses +
						     1) * sizeof(*p->classes));

			if (!grown)
				return iq_fail(err, IQ_EENV, "out of memory");
			p->classes = grown;
			c = &p->classes[p->nclasses++];
			memset(c, 0, sizeof(*c));
			memcpy(c->name, lc->name, sizeof(c->name));
			c->pos = moved(lc->pos, file);
		}
		take_size(&c->vf_cap, &lc->vf_cap, file);
		take_size(&c->vm_cap, &lc->vm_cap, file);
	}
	return IQ_OK;
}

static int merge_devices(struct policy *p, const struct policy *later,
			 unsigned file, struct iq_err *err)
{
	for (size_t i = 0; i < later->ndevices; i++) {
		const struct policy_device *ld = &later->devices[i];
		struct policy_device *d = NULL;

		for (size_t j = 0; j < p->ndevices && !d; j++)
			if (strcmp(p->devices[j].pci, ld->pci) == 0)
				d = &p->devices[j];
		if (!d) {
			struct policy_device *grown =
				realloc(p->devices, (p->ndevices +
						     1) * sizeof(*p->devices));

			if (!grown)
				return iq_fail(err, IQ_EENV, "out of memory");
			p->devices = grown;
			d = &p->devices[p->ndevices++];
			memset(d, 0, sizeof(*d));
			memcpy(d->pci, ld->pci, sizeof(d->pci));
			d->pos = moved(ld->pos, file);
		}
		take_size(&d->vf_cap, &ld->vf_cap, file);
		take_size(&d->vm_cap, &ld->vm_cap, file);
	}
	return IQ_OK;
}

/*
 * The later file's rules first, in their order (each merged with an
 * earlier rule of the same match, which leaves its old place), then the
 * earlier rules that no later rule replaced.
 */
static int merge_vms(struct policy *p, const struct policy *later,
		     unsigned file, struct iq_err *err)
{
	size_t n = p->nvms + later->nvms, out = 0;
	struct policy_vm_rule *rules;
	bool *used;

	if (!later->nvms)
		return IQ_OK;
	rules = calloc(n, sizeof(*rules));
	used = calloc(p->nvms + 1, sizeof(*used));
	if (!rules || !used) {
		free(rules);
		free(used);
		return iq_fail(err, IQ_EENV, "out of memory");
	}
	for (size_t i = 0; i < later->nvms; i++) {
		struct policy_vm_rule *r = &rules[out++];
		const struct policy_vm_rule *earlier = NULL;

		for (size_t j = 0; j < p->nvms && !earlier; j++)
			if (!used[j] &&
			    same_match(&p->vms[j], &later->vms[i])) {
				earlier = &p->vms[j];
				used[j] = true;
			}
		if (earlier) {
			*r = *earlier;
		} else {
			memcpy(r->name_glob, later->vms[i].name_glob,
			       sizeof(r->name_glob));
			memcpy(r->uuid, later->vms[i].uuid, sizeof(r->uuid));
		}
		merge_rule(r, &later->vms[i], file);
	}
	for (size_t j = 0; j < p->nvms; j++)
		if (!used[j])
			rules[out++] = p->vms[j];
	free(used);
	free(p->vms);
	p->vms = rules;
	p->nvms = out;
	return IQ_OK;
}

int policy_merge(struct policy *p, const struct policy *later,
		 struct iq_err *err)
{
	unsigned file = (unsigned)p->nfiles;
	char **grown;
	int rc;

	grown = realloc(p->files, (p->nfiles + 1) * sizeof(*p->files));
	if (!grown)
		return iq_fail(err, IQ_EENV, "out of memory");
	p->files = grown;
	p->files[file] = strdup(later->nfiles ? later->files[0] : later->path);
	if (!p->files[file])
		return iq_fail(err, IQ_EENV, "out of memory");
	p->nfiles++;

	take_size(&p->reserve, &later->reserve, file);
	if (later->admission_pos.line) {
		p->admission = later->admission;
		p->admission_pos = moved(later->admission_pos, file);
	}
	if (later->hugepages_pos.line) {
		p->hugepages = later->hugepages;
		p->hugepages_pos = moved(later->hugepages_pos, file);
	}
	take_size(&p->vf_cap, &later->vf_cap, file);
	take_size(&p->vm_cap, &later->vm_cap, file);
	take_size(&p->idle_vf_cap, &later->idle_vf_cap, file);
	take_size(&p->min_vf_cap, &later->min_vf_cap, file);
	rc = merge_classes(p, later, file, err);
	if (rc == IQ_OK)
		rc = merge_devices(p, later, file, err);
	if (rc == IQ_OK)
		rc = merge_vms(p, later, file, err);
	return rc;
}
