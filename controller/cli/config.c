// SPDX-License-Identifier: MIT
#include "controller/cli/config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/core/run.h"
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

#define KEY(name, doc)                                                         \
	{                                                                      \
#name, offsetof(struct config, name),                          \
			sizeof(((struct config *)0)->name), doc                \
	}

const struct config_key config_keys[] = {
	KEY(policy, "the policy (--policy; default /etc/icmquota/policy.yaml)"),
	KEY(state, "the journal (--state; default "
		   "/var/lib/icmquota/state.json)"),
	KEY(root, "a simulated host's tree instead of / (--root)"),
	KEY(backend, "auto|devx|fwctl|sim (--backend; default auto)"),
	KEY(on_error, "deny|allow: the hook when caps cannot be worked out"),
	KEY(interval, "daemon: seconds between reconciles, 1..86400 (60)"),
	KEY(libvirt_uri, "daemon: libvirt URI to follow (--connect; none)"),
	KEY(ch_dir, "daemon: Cloud Hypervisor socket dir (--ch-dir; none)"),
	KEY(metrics_dir, "daemon: node_exporter textfile dir (--metrics-dir)"),
};

const size_t config_nkeys = sizeof(config_keys) / sizeof(config_keys[0]);

void config_key_list(char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < config_nkeys && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s",
				       i ? ", " : "", config_keys[i].key);
}

void config_print_keys(FILE *out)
{
	fprintf(out,
		"Settings file (--config FILE, default %s):\n"
		"`key = value` lines, `#` comments; a command-line option "
		"wins over\n"
		"its key. Every key it takes:\n",
		CONFIG_DEFAULT_PATH);
	for (size_t i = 0; i < config_nkeys; i++)
		fprintf(out, "  %-12s %s\n", config_keys[i].key,
			config_keys[i].doc);
}

static int set_key(struct config *cfg, const char *key, const char *value,
		   const char *path, unsigned line, unsigned *seen,
		   struct iq_err *err)
{
	char list[256];

	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		char *dst = (char *)cfg + k->offset;

		if (strcmp(key, k->key) != 0)
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
		if (strlen(value) >= k->len)
			return iq_fail(err, IQ_EUSAGE,
				       "%s:%u: %s: value too long (at most "
				       "%zu bytes)",
				       path, line, key, k->len - 1);
		snprintf(dst, k->len, "%s", value);
		seen[i] = line;
		return IQ_OK;
	}
	config_key_list(list, sizeof(list));
	return iq_fail(err, IQ_EUSAGE,
		       "%s:%u: unknown key '%.64s' (expected %s)", path, line,
		       key, list);
}

int config_parse(const char *text_in, size_t len, const char *path,
		 struct config *cfg, struct iq_err *err)
{
	unsigned seen[sizeof(config_keys) / sizeof(config_keys[0])] = {0};
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
