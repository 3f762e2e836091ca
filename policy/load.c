// SPDX-License-Identifier: MIT
/*
 * Reading the main policy and its drop-ins (DIR/policy.d/\*.yaml, lexical
 * order) and merging them: the one place policy/ reads a directory.
 */
#include "lib/digest.h"
#include "lib/file.h"
#include "policy/policy.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int policy_load(const char *path, struct policy *policy, struct iq_err *err)
{
	char cause[sizeof(err->msg)];
	size_t path_len = strlen(path);
	char *text = NULL;
	size_t len = 0;
	int rc;

	/* policy_free() is safe on every return, even before any parse. */
	memset(policy, 0, sizeof(*policy));
	rc = file_read_max(path, POLICY_MAX_BYTES, &text, &len, err);
	if (rc) {
		/* file_read_all says "PATH: CAUSE"; add what to do about it. */
		const char *why = err->msg;

		if (strncmp(why, path, path_len) == 0 &&
		    strncmp(why + path_len, ": ", 2) == 0)
			why += path_len + 2;
		snprintf(cause, sizeof(cause), "%s", why);
		return iq_fail(err, IQ_EENV,
			       "%s: cannot read policy: %s (%s, or pass "
			       "--policy FILE)",
			       path, cause,
			       strstr(cause, "larger than") ? "shorten it"
			       : access(path, F_OK) == 0
				       ? "check its permissions"
				       : "create it");
	}
	rc = policy_parse(text, len, path, policy, err);
	free(text);
	return rc;
}

const char *policy_dropin_dir(const char *main_path, char *buf, size_t len)
{
	const char *slash = strrchr(main_path, '/');

	if (!slash)
		snprintf(buf, len, "policy.d");
	else
		snprintf(buf, len, "%.*s/policy.d", (int)(slash - main_path),
			 main_path);
	return buf;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* NAME.yaml, not hidden: editors' backups (~, .swp) and tmp files skipped. */
static int is_dropin(const struct dirent *de)
{
	size_t len = strlen(de->d_name);

	return de->d_name[0] != '.' && len > 5 &&
	       strcmp(de->d_name + len - 5, ".yaml") == 0;
}

/* One file to merge: its path, its text (owned when malloc'd). */
struct source {
	char path[PATH_MAX];
	char *text;
	size_t len;
	bool owned;
};

static int add_source(struct source **list, size_t *n, const char *path,
		      char *text, size_t len, bool owned, struct iq_err *err)
{
	struct source *grown = realloc(*list, (*n + 1) * sizeof(**list));

	if (!grown) {
		if (owned)
			free(text);
		return iq_fail(err, IQ_EENV, "out of memory");
	}
	*list = grown;
	snprintf(grown[*n].path, sizeof(grown[*n].path), "%s", path);
	grown[*n].text = text;
	grown[*n].len = len;
	grown[*n].owned = owned;
	(*n)++;
	return IQ_OK;
}

/*
 * The drop-ins in order, the replacement standing in for its namesake or
 * taking its lexical place.
 */
static int list_dropins(const char *dir, const struct policy_text *replace,
			struct source **list, size_t *n, struct iq_err *err)
{
	const char *rname = replace ? base_name(replace->path) : NULL;
	bool replaced = false;
	struct dirent **names = NULL;
	int count = scandir(dir, &names, is_dropin, alphasort);
	int rc = IQ_OK;

	if (count < 0 && errno != ENOENT && errno != ENOTDIR)
		return iq_fail(err, IQ_EENV,
			       "%s: cannot list policy drop-ins: %s (check its "
			       "permissions)",
			       dir, strerror(errno));
	for (int i = 0; i < count; i++) {
		char path[PATH_MAX];
		char *text = NULL;
		size_t len = 0;
		int cmp = rname ? strcmp(rname, names[i]->d_name) : 1;

		if (rc == IQ_OK && rname && !replaced && cmp <= 0) {
			rc = add_source(list, n, replace->path,
					(char *)replace->text, replace->len,
					false, err);
			replaced = true;
			if (cmp == 0) {
				free(names[i]);
				continue;
			}
		}
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		free(names[i]);
		if (rc)
			continue;
		rc = file_check_trusted(path, "a policy drop-in", err);
		if (rc == IQ_OK)
			rc = file_read_max(path, POLICY_MAX_BYTES, &text, &len,
					   err);
		if (rc == IQ_OK)
			rc = add_source(list, n, path, text, len, true, err);
	}
	free(names);
	if (rc == IQ_OK && rname && !replaced)
		rc = add_source(list, n, replace->path, (char *)replace->text,
				replace->len, false, err);
	return rc;
}

/* One digest over every file's name and bytes (the main file's alone
 * when there are no drop-ins, as before drop-ins existed). */
static int digest_all(const struct source *list, size_t n, char out[65],
		      struct iq_err *err)
{
	size_t total = 0, at = 0;
	char *buf;
	int rc;

	if (n == 1)
		return sha256_hex(list[0].text, list[0].len, out, err);
	for (size_t i = 0; i < n; i++)
		total += strlen(base_name(list[i].path)) + 1 + list[i].len + 1;
	buf = malloc(total ? total : 1);
	if (!buf) {
		out[0] = '\0';
		return IQ_OK;
	}
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(base_name(list[i].path));

		memcpy(buf + at, base_name(list[i].path), nl + 1);
		at += nl + 1;
		memcpy(buf + at, list[i].text, list[i].len);
		at += list[i].len;
		buf[at++] = '\0';
	}
	rc = sha256_hex(buf, at, out, err);
	free(buf);
	return rc;
}

int policy_load_merged(const char *main_path, bool builtin_main,
		       const struct policy_text *replace, struct policy *policy,
		       struct iq_err *err)
{
	static const char builtin[] = "version: 1\n";
	char dir[PATH_MAX];
	struct source *list = NULL;
	size_t n = 0;
	int rc;

	memset(policy, 0, sizeof(*policy));
	if (replace && strcmp(replace->path, main_path) == 0) {
		rc = add_source(&list, &n, main_path, (char *)replace->text,
				replace->len, false, err);
		replace = NULL;
	} else if (builtin_main) {
		/* No main file, but drop-ins are read all the same: their
		 * directory is trusted or not as it is beside a main file (a
		 * symlinked drop-in's own checks resolve past it). */
		rc = file_check_trusted(
			policy_dropin_dir(main_path, dir, sizeof(dir)),
			"the policy drop-ins", err);
		if (rc == IQ_OK)
			rc = add_source(&list, &n, "(built-in defaults)",
					(char *)builtin, sizeof(builtin) - 1,
					false, err);
	} else {
		char *text = NULL;
		size_t len = 0;

		/* Root trusts only root's files (lib/file.h), drop-ins too. */
		rc = file_check_trusted(main_path, "the policy", err);
		if (rc == IQ_OK)
			rc = file_check_trusted(
				policy_dropin_dir(main_path, dir, sizeof(dir)),
				"the policy drop-ins", err);
		if (rc)
			return rc;
		rc = file_read_max(main_path, POLICY_MAX_BYTES, &text, &len,
				   err);
		if (rc == IQ_OK) {
			rc = add_source(&list, &n, main_path, text, len, true,
					err);
		} else {
			/* policy_load says it with the fix. */
			rc = policy_load(main_path, policy, err);
			policy_free(policy);
		}
	}
	if (rc == IQ_OK)
		rc = list_dropins(
			policy_dropin_dir(main_path, dir, sizeof(dir)), replace,
			&list, &n, err);
	for (size_t i = 0; rc == IQ_OK && i < n; i++) {
		struct policy frag;

		if (i == 0) {
			rc = policy_parse_fragment(list[i].text, list[i].len,
						   list[i].path, policy, err);
			continue;
		}
		rc = policy_parse_fragment(list[i].text, list[i].len,
					   list[i].path, &frag, err);
		if (rc == IQ_OK)
			rc = policy_merge(policy, &frag, err);
		policy_free(&frag);
	}
	if (rc == IQ_OK)
		rc = policy_check(policy, err);
	if (rc == IQ_OK) {
		snprintf(policy->path, sizeof(policy->path), "%s",
			 list[0].path);
		rc = digest_all(list, n, policy->digest, err);
	}
	for (size_t i = 0; i < n; i++)
		if (list[i].owned)
			free(list[i].text);
	free(list);
	if (rc)
		policy_free(policy);
	return rc;
}
