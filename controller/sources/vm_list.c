// SPDX-License-Identifier: MIT
#include "controller/sources/vm_list.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Room for n more: every entry copied once at most, not per doubling. */
static int reserve(struct vm_list *list, size_t n, struct iq_err *err)
{
	struct vm_facts *grown;

	if (list->cap - list->n >= n)
		return IQ_OK;
	grown = realloc(list->vms, (list->n + n) * sizeof(*list->vms));
	if (!grown)
		return iq_fail(err, IQ_EENV, "out of memory");
	list->vms = grown;
	list->cap = list->n + n;
	return IQ_OK;
}

int vm_list_push(struct vm_list *list, struct vm_facts *facts,
		 struct iq_err *err)
{
	/* Doubling: facts are 4.6 KiB each, a copy per push would be
	 * quadratic on a fleet host's 127 domains. */
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 16;
		struct vm_facts *grown =
			realloc(list->vms, cap * sizeof(*list->vms));

		if (!grown)
			return iq_fail(err, IQ_EENV, "out of memory");
		list->vms = grown;
		list->cap = cap;
	}
	list->vms[list->n++] = *facts;
	memset(facts, 0, sizeof(*facts));
	return IQ_OK;
}

static int add_file(struct vm_list *list, const char *path, struct iq_err *err)
{
	struct vm_facts facts;
	int rc;

	memset(&facts, 0, sizeof(facts));
	rc = vm_from_libvirt_xml_file(path, &facts, err);
	if (rc == IQ_OK)
		rc = vm_list_push(list, &facts, err);
	vm_facts_free(&facts);
	return rc;
}

static int is_xml(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return len > 4 && strcmp(d->d_name + len - 4, ".xml") == 0;
}

int vm_list_add_libvirt_path(struct vm_list *list, const char *path,
			     struct iq_err *err)
{
	struct dirent **names;
	struct stat st;
	int n, rc = IQ_OK;

	if (stat(path, &st) < 0)
		return iq_fail(err, IQ_EENV, "%s: cannot read domain XML: %s",
			       path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return add_file(list, path, err);
	n = scandir(path, &names, is_xml, alphasort);
	if (n < 0)
		return iq_fail(err, IQ_EENV, "%s: cannot list directory: %s",
			       path, strerror(errno));
	rc = reserve(list, (size_t)n, err);
	for (int i = 0; i < n; i++) {
		char file[PATH_MAX];

		if (rc == IQ_OK) {
			snprintf(file, sizeof(file), "%s/%s", path,
				 names[i]->d_name);
			rc = add_file(list, file, err);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

const struct vm_socket_answer *vm_list_answer(const struct vm_list *list,
					      const char *path)
{
	for (size_t i = 0; list && i < list->nanswers; i++)
		if (strcmp(list->answers[i].path, path) == 0)
			return &list->answers[i];
	return NULL;
}

int vm_list_record_answer(struct vm_list *list, const char *path,
			  bool confirmed_gone, struct iq_err *err)
{
	struct vm_socket_answer *grown;
	char *copy;

	if (vm_list_answer(list, path))
		return IQ_OK;
	copy = strdup(path);
	grown = copy ? realloc(list->answers,
			       (list->nanswers + 1) * sizeof(*list->answers))
		     : NULL;
	if (!grown) {
		free(copy);
		return iq_fail(err, IQ_EENV, "out of memory");
	}
	list->answers = grown;
	list->answers[list->nanswers].path = copy;
	list->answers[list->nanswers++].confirmed_gone = confirmed_gone;
	return IQ_OK;
}

int vm_list_move(struct vm_list *dst, struct vm_list *src, struct iq_err *err)
{
	int rc = IQ_OK;

	for (size_t i = 0; i < src->n && rc == IQ_OK; i++)
		rc = vm_list_push(dst, &src->vms[i], err);
	for (size_t i = 0; i < src->nanswers && rc == IQ_OK; i++)
		rc = vm_list_record_answer(dst, src->answers[i].path,
					   src->answers[i].confirmed_gone, err);
	vm_list_free(src);
	return rc;
}

void vm_list_free(struct vm_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		vm_facts_free(&list->vms[i]);
	free(list->vms);
	for (size_t i = 0; i < list->nanswers; i++)
		free(list->answers[i].path);
	free(list->answers);
	memset(list, 0, sizeof(*list));
}
