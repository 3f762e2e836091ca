// SPDX-License-Identifier: MIT
/*
 * controller/cli/config.c, the hook's settings file: comments, blank lines,
 * spaces and tabs around '=', CRLF, every key; and the errors a user can
 * act on: PATH:LINE for an unknown key or a line without '=', a bad
 * on_error, a value too long for its key, a missing file.
 */
#include "controller/cli/config.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/test.h"

static char tmpdir[PATH_MAX];
static char conf[PATH_MAX];

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/iq-test-config-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(conf, sizeof(conf), "%s/icmquota.conf", tmpdir);
}

static void teardown(void)
{
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_conf(const char *text)
{
	FILE *f = fopen(conf, "w");

	if (!f) {
		perror(conf);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

/* "PATH:LINE:" as the messages start. */
static const char *at_line(unsigned line)
{
	static char where[PATH_MAX + 16];

	snprintf(where, sizeof(where), "%s:%u: ", conf, line);
	return where;
}

static void test_full_file(void)
{
	struct config cfg;
	struct iq_err err = {0};

	setup();
	write_conf("# icmquota settings for the libvirt hook\n"
		   "\n"
		   "policy = /etc/icmquota/policy.yaml\n"
		   "   # an indented comment\n"
		   "state=/var/lib/icmquota/state.json\n"
		   "\t root\t=\t/tmp/sim   \n"
		   "backend = sim # trailing comment\n"
		   "   \n"
		   "on_error = deny\n");
	CHECK_U64(config_load(conf, &cfg, &err), IQ_OK);
	CHECK(cfg.loaded);
	CHECK_STR(cfg.policy, "/etc/icmquota/policy.yaml");
	CHECK_STR(cfg.state, "/var/lib/icmquota/state.json");
	CHECK_STR(cfg.root, "/tmp/sim");
	CHECK_STR(cfg.backend, "sim");
	CHECK_STR(cfg.on_error, "deny");
	teardown();
}

static void test_values(void)
{
	struct config cfg;
	struct iq_err err = {0};

	setup();
	/* An '=' inside the value belongs to the value. */
	write_conf("root = /srv/a=b\nbackend = fwctl\non_error = allow\n");
	CHECK_U64(config_load(conf, &cfg, &err), IQ_OK);
	CHECK_STR(cfg.root, "/srv/a=b");
	CHECK_STR(cfg.backend, "fwctl");
	CHECK_STR(cfg.on_error, "allow");
	CHECK_STR(cfg.policy, "");
	CHECK_STR(cfg.state, "");

	/* Written on Windows: CR LF. */
	write_conf("policy = /p.yaml\r\nstate = /s.json\r\n");
	CHECK_U64(config_load(conf, &cfg, &err), IQ_OK);
	CHECK_STR(cfg.policy, "/p.yaml");
	CHECK_STR(cfg.state, "/s.json");

	/* No newline at the end of the last line. */
	write_conf("backend = sim");
	CHECK_U64(config_load(conf, &cfg, &err), IQ_OK);
	CHECK_STR(cfg.backend, "sim");

	/* issue 8: a duplicate key is refused (the last one won silently). */
	write_conf("backend = devx\n# again\nbackend = fwctl\n");
	CHECK_U64(config_load(conf, &cfg, &err), IQ_EUSAGE);
	CHECK_CONTAINS(err.msg, ":3: duplicate key 'backend' (first at line 1");
	/* An empty value is refused (it silently meant the default). */
	write_conf("policy =\n");
	CHECK_U64(config_load(conf, &cfg, &err), IQ_EUSAGE);
	CHECK_CONTAINS(err.msg, ":1: policy has no value");
	/* A NUL byte: everything after it was ignored. */
	{
		static const char nul[] = "backend = sim\n\0on_error = allow\n";

		CHECK_U64(config_parse(nul, sizeof(nul) - 1, "x.conf", &cfg,
				       &err),
			  IQ_EUSAGE);
		CHECK_CONTAINS(err.msg, "x.conf:2: a NUL byte");
	}
	/* An empty file is fine. */
	write_conf("");
	CHECK_U64(config_load(conf, &cfg, &err), IQ_OK);
	CHECK(cfg.loaded);
	CHECK_STR(cfg.policy, "");
	CHECK_STR(cfg.on_error, "");
	teardown();
}

/*
 * Every key of the table is parsed into its own field (the table drives
 * the parser, the help and the error, so they cannot disagree), and the
 * unknown-key error lists them all.
 */
static void test_every_key(void)
{
	struct config cfg;
	struct iq_err err = {0};
	char text[128], list[256];

	CHECK_U64(config_nkeys, 9);
	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];

		snprintf(text, sizeof(text), "%s = deny\n", k->key);
		err.msg[0] = '\0';
		CHECK_U64(
			config_parse(text, strlen(text), "k.conf", &cfg, &err),
			IQ_OK);
		CHECK_STR((const char *)&cfg + k->offset, "deny");
		CHECK(k->doc && k->doc[0]);
	}
	config_key_list(list, sizeof(list));
	CHECK_STR(list, "policy, state, root, backend, on_error, interval, "
			"libvirt_uri, ch_dir, metrics_dir");
	CHECK_U64(config_parse("nope = 1\n", 9, "k.conf", &cfg, &err),
		  IQ_EUSAGE);
	CHECK_CONTAINS(err.msg, list);
}

static void test_unknown_key(void)
{
	struct config cfg;
	struct iq_err err = {0};

	setup();
	write_conf("# settings\npolicy = /p.yaml\n\npolcy = /typo.yaml\n");
	CHECK_U64(config_load(conf, &cfg, &err), IQ_EUSAGE);
	CHECK(!cfg.loaded);
	/* Line 4: comments and blank lines are counted. */
	CHECK_CONTAINS(err.msg, at_line(4));
	CHECK_CONTAINS(err.msg, "unknown key 'polcy'");
	/* The user learns which keys exist. */
	CHECK_CONTAINS(err.msg, "on_error");

	/* Keys are case-sensitive. */
	write_conf("Policy = /p.yaml\n");
	CHECK_U64(config_load(conf, &cfg, &err), IQ_EUSAGE);
	CHECK_CONTAINS(err.msg, at_line(1));
	CHECK_CONTAINS(err.msg, "unknown key 'Policy'");

	write_conf("= /p.yaml\n");
	CHECK_U64(config_load(conf, &cfg, &err), IQ_EUSAGE);
	CHECK_CONTAINS(err.msg, at_line(1));
	CHECK_CONTAINS(err.msg, "unknown key ''");
	teardown();
}

static void test_missing_equals(void)
{
	struct config cfg;
	struct iq_err err = {0};

	setup();
	write_conf("policy = /p.yaml\nstate /s.json\nroot = /r\n");
	CHECK_U64(config_load(conf, &cfg, &err), IQ_EUSAGE);
	CHECK(!cfg.loaded);
	CHECK_CONTAINS(err.msg, at_line(2));
	CHECK_CONTAINS(err.msg, "key = value");
	/* An '=' only inside a comment does not count. */
	write_conf("\n\nbackend # = sim\n");
	CHECK_U64(config_load(conf, &cfg, &err), IQ_EUSAGE);
	CHECK_CONTAINS(err.msg, at_line(3));
	teardown();
}

static void test_on_error(void)
{
	struct config cfg;
	struct iq_err err = {0};

	setup();
	write_conf("policy = /p.yaml\non_error = maybe\n");
	CHECK_U64(config_load(conf, &cfg, &err), IQ_EUSAGE);
	CHECK(!cfg.loaded);
	CHECK_CONTAINS(err.msg, conf);
	CHECK_CONTAINS(err.msg, "allow or deny");
	CHECK_CONTAINS(err.msg, "'maybe'");
	write_conf("on_error = Deny\n");
	CHECK_U64(config_load(conf, &cfg, &err), IQ_EUSAGE);
	CHECK_CONTAINS(err.msg, "'Deny'");
	teardown();
}

static void test_value_too_long(void)
{
	struct config cfg;
	struct iq_err err = {0};
	char *text;
	size_t n = sizeof(cfg.policy) + 16;

	setup();
	/* One character over each buffer (its NUL included). */
	text = malloc(n + 32);
	CHECK(text != NULL);
	if (!text) {
		teardown();
		return;
	}
	snprintf(text, n + 32, "\npolicy = /");
	memset(text + strlen(text), 'p', sizeof(cfg.policy) - 1);
	text[11 + sizeof(cfg.policy) - 1] = '\n';
	text[11 + sizeof(cfg.policy)] = '\0';
	write_conf(text);
	CHECK_U64(config_load(conf, &cfg, &err), IQ_EUSAGE);
	CHECK_CONTAINS(err.msg, at_line(2));
	CHECK_CONTAINS(err.msg, "policy: value too long");
	free(text);

	/* Exactly fitting: 15 characters of backend. */
	write_conf("backend = 0123456789abcde\n");
	CHECK_U64(config_load(conf, &cfg, &err), IQ_OK);
	CHECK_STR(cfg.backend, "0123456789abcde");
	write_conf("backend = 0123456789abcdef\n");
	CHECK_U64(config_load(conf, &cfg, &err), IQ_EUSAGE);
	CHECK_CONTAINS(err.msg, at_line(1));
	CHECK_CONTAINS(err.msg, "backend: value too long");
	write_conf("on_error = deny-all-of-it\n");
	CHECK_U64(config_load(conf, &cfg, &err), IQ_EUSAGE);
	CHECK_CONTAINS(err.msg, "on_error: value too long");
	teardown();
}

static void test_missing_file(void)
{
	struct config cfg;
	struct iq_err err = {0};

	setup();
	CHECK_U64(config_load(conf, &cfg, &err), IQ_EENV);
	CHECK(!cfg.loaded);
	CHECK_CONTAINS(err.msg, conf);
	CHECK_CONTAINS(err.msg, "No such file");
	CHECK_CONTAINS(err.msg, "settings");
	teardown();
}

int main(void)
{
	RUN(test_full_file);
	RUN(test_values);
	RUN(test_every_key);
	RUN(test_unknown_key);
	RUN(test_missing_equals);
	RUN(test_on_error);
	RUN(test_value_too_long);
	RUN(test_missing_file);
	return TEST_SUMMARY("test_config");
}
