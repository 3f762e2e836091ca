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
		   const char *path, unsigned line, struct iq_err *err)
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
		if (strlen(value) >= keys[i].len)
			return iq_fail(err, IQ_EUSAGE,
				       "%s:%u: %s: value too long", path, line,
				       key);
		snprintf(keys[i].dst, keys[i].len, "%s", value);
		return IQ_OK;
	}
	return iq_fail(err, IQ_EUSAGE,
		       "%s:%u: unknown key '%s' (expected policy, state, root, "
		       "backend, on_error, interval, metrics_dir, ch_dir, "
		       "libvirt_uri)",
		       path, line, key);
}

int config_load(const char *path, struct config *cfg, struct iq_err *err)
{
	char *text, *line, *save = NULL;
	unsigned lineno = 0;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	rc = file_read_all(path, &text, NULL, err);
	if (rc)
		return iq_err_prefix(err, "cannot read icmquota settings");
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
			     err);
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
