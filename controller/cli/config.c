// SPDX-License-Identifier: MIT
#include "controller/cli/config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/file.h"

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int set_key(struct config *cfg, const char *key, const char *value,
		   const char *path, unsigned line, unsigned *seen,
		   struct iq_err *err)
{
	struct {
		const char *key;
		char *dst;
		size_t len;
	} keys[] = {
		{"policy", cfg->policy, sizeof(cfg->policy)},
		{"state", cfg->state, sizeof(cfg->state)},
		{"root", cfg->root, sizeof(cfg->root)},
		{"backend", cfg->backend, sizeof(cfg->backend)},
		{"on_error", cfg->on_error, sizeof(cfg->on_error)},
		{"interval", cfg->interval, sizeof(cfg->interval)},
		{"metrics_dir", cfg->metrics_dir, sizeof(cfg->metrics_dir)},
		{"ch_dir", cfg->ch_dir, sizeof(cfg->ch_dir)},
		{"libvirt_uri", cfg->libvirt_uri, sizeof(cfg->libvirt_uri)},
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(key, keys[i].key) != 0)
			continue;
		/* The last of two would win silently: refuse both. */
		if (seen[i])
			return iq_fail(err, IQ_EUSAGE,
				       "%s:%u: duplicate key '%s' (first at "
				       "line %u; keep one)",
				       path, line, key, seen[i]);
		/* "policy =" would silently mean the default. */
		if (!value[0])
			return iq_fail(err, IQ_EUSAGE,
				       "%s:%u: %s has no value (give one, or "
				       "remove the line for the default)",
				       path, line, key);
		if (strlen(value) >= keys[i].len)
			return iq_fail(err, IQ_EUSAGE,
				       "%s:%u: %s: value too long (at most "
				       "%zu bytes)",
				       path, line, key, keys[i].len - 1);
		snprintf(keys[i].dst, keys[i].len, "%s", value);
		seen[i] = line;
		return IQ_OK;
	}
	return iq_fail(
		err, IQ_EUSAGE,
		"%s:%u: unknown key '%.64s' (expected policy, state, root, "
		"backend, on_error, interval, metrics_dir, ch_dir, "
		"libvirt_uri)",
		path, line, key);
}

int config_parse(const char *text_in, size_t len, const char *path,
		 struct config *cfg, struct iq_err *err)
{
	unsigned seen[16] = {0}; /* by key, see set_key() */
	char *text, *line, *save = NULL;
	const char *nul;
	unsigned lineno = 0;
	int rc = IQ_OK;

	memset(cfg, 0, sizeof(*cfg));
	if (len > CONFIG_MAX_BYTES)
		return iq_fail(err, IQ_EUSAGE,
			       "%s: larger than %u bytes: not an icmquota "
			       "settings file",
			       path, CONFIG_MAX_BYTES);
	/* Everything after a NUL would be ignored: refuse it. */
	nul = memchr(text_in, '\0', len);
	if (nul) {
		unsigned at = 1;

		for (const char *c = text_in; c < nul; c++)
			at += *c == '\n';
		return iq_fail(err, IQ_EUSAGE,
			       "%s:%u: a NUL byte (not a text file; rewrite "
			       "it as key = value lines)",
			       path, at);
	}
	text = strndup(text_in, len);
	if (!text)
		return iq_fail(err, IQ_EENV, "%s: out of memory", path);
	/* strtok_r would merge empty lines and lose line numbers. */
	for (line = text; line; line = save) {
		char *eq, *content;

		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		if (strchr(line, '#'))
			*strchr(line, '#') = '\0';
		content = trim(line);
		if (!*content)
			continue;
		eq = strchr(content, '=');
		if (!eq) {
			rc = iq_fail(err, IQ_EUSAGE,
				     "%s:%u: expected `key = value`", path,
				     lineno);
			break;
		}
		*eq = '\0';
		rc = set_key(cfg, trim(content), trim(eq + 1), path, lineno,
			     seen, err);
		if (rc)
			break;
	}
	free(text);
	if (rc == IQ_OK && cfg->on_error[0] && strcmp(cfg->on_error, "allow") &&
	    strcmp(cfg->on_error, "deny"))
		rc = iq_fail(err, IQ_EUSAGE,
			     "%s: on_error must be allow or deny, not '%s'",
			     path, cfg->on_error);
	cfg->loaded = rc == IQ_OK;
	return rc;
}

int config_load(const char *path, struct config *cfg, struct iq_err *err)
{
	char *text;
	size_t len;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	rc = file_read_max(path, CONFIG_MAX_BYTES, &text, &len, err);
	if (rc)
		return iq_err_prefix(err, "cannot read icmquota settings");
	rc = config_parse(text, len, path, cfg, err);
	free(text);
	return rc;
}
