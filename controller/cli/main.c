// SPDX-License-Identifier: MIT
/*
 * icmquota: global options, settings file, dispatch. The only place that
 * prints an error and picks the exit code.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controller/cli/cli.h"
#include "controller/sim/sim_devlink.h"
#include "controller/sim/simfw.h"
#include "controller/cli/config.h"
#include "controller/cli/help.h"
#include "controller/core/state.h"
#include "lib/file.h"

static const struct {
	const char *name;
	cli_cmd_fn fn;
} commands[] = {
	{"status", cmd_status},
	{"plan", cmd_plan},
	{"apply", cmd_apply},
	{"vm", cmd_vm},
	{"explain", cmd_explain},
	{"policy", cmd_policy},
	{"hook", cmd_hook},
	{"sim", cmd_sim},
	{"daemon", cmd_daemon},
	{"metrics", cmd_metrics},
	{"hwm", cmd_hwm},
	{"top", cmd_top},
	{"recommend", cmd_recommend},
	{"doctor", cmd_doctor},
	{"estimate", cmd_estimate},
};

struct globals {
	const char *policy, *state, *lock, *root, *backend, *trace, *config;
	const char *lock_timeout;
	bool json, help, version;
	bool doctor; /* the command is doctor (settings trust: see there) */
	int verbose;
};

/* Options that take a value: --name VALUE or --name=VALUE. */
static const char **value_slot(struct globals *g, const char *name)
{
	if (!strcmp(name, "--policy"))
		return &g->policy;
	if (!strcmp(name, "--state"))
		return &g->state;
	if (!strcmp(name, "--lock"))
		return &g->lock;
	if (!strcmp(name, "--lock-timeout"))
		return &g->lock_timeout;
	if (!strcmp(name, "--root"))
		return &g->root;
	if (!strcmp(name, "--backend"))
		return &g->backend;
	if (!strcmp(name, "--trace-fw"))
		return &g->trace;
	if (!strcmp(name, "--config"))
		return &g->config;
	return NULL;
}

/*
 * Take the global options out of argv wherever they stand (before "--"),
 * leaving the command and its own arguments in rest. The hook's
 * positional arguments come from libvirt and are never options.
 */
static int extract_globals(int argc, char **argv, struct globals *g,
			   char **rest, int *nrest, struct iq_err *err)
{
	bool in_hook = false, dashdash = false;

	*nrest = 0;
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];
		char name[64];
		const char *eq = strchr(arg, '=');
		const char **slot;

		if (in_hook || dashdash || arg[0] != '-' || !strcmp(arg, "-")) {
			if (*nrest == 0 && !strcmp(arg, "hook"))
				in_hook = true;
			rest[(*nrest)++] = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			dashdash = true;
			rest[(*nrest)++] = arg;
			continue;
		}
		snprintf(name, sizeof(name), "%.*s",
			 (int)(eq ? (size_t)(eq - arg) : strlen(arg)), arg);
		slot = value_slot(g, name);
		if (slot) {
			if (eq) {
				*slot = eq + 1;
			} else if (i + 1 < argc) {
				*slot = argv[++i];
			} else {
				return iq_fail(err, IQ_EUSAGE,
					       "%s needs a value (see icmquota "
					       "--help)",
					       name);
			}
		} else if (!strcmp(arg, "-j") || !strcmp(arg, "--json")) {
			g->json = true;
		} else if (!strcmp(arg, "-v") || !strcmp(arg, "--verbose")) {
			g->verbose++;
		} else if (!strcmp(arg, "-vv")) {
			g->verbose += 2;
		} else if ((!strcmp(arg, "-h") || !strcmp(arg, "--help")) &&
			   *nrest == 0) {
			g->help = true;
		} else if (!strcmp(arg, "--version")) {
			g->version = true;
		} else {
			rest[(*nrest)++] = arg; /* the command's own option */
		}
	}
	rest[*nrest] = NULL;
	return IQ_OK;
}

/*
 * --trace-fw FILE: never through a symlink (O_NOFOLLOW), only a regular
 * file, truncated after the checks, so a name planted in /tmp cannot make
 * root overwrite another file. A new file is 0600.
 */
static int open_trace(struct run_ctx *ctx, const char *path, struct iq_err *err)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return iq_fail(err, IQ_EENV,
			       "--trace-fw %s: %s (a symlink is refused: name "
			       "a regular file)",
			       path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		close(fd);
		return iq_fail(err, IQ_EENV,
			       "--trace-fw %s: not a regular file of yours "
			       "(name a new file)",
			       path);
	}
	if (ftruncate(fd, 0) < 0 || !(ctx->trace = fdopen(fd, "w"))) {
		int saved = errno;

		close(fd);
		return iq_fail(err, IQ_EENV, "--trace-fw %s: %s", path,
			       strerror(saved));
	}
	return IQ_OK;
}

static int apply_settings(struct run_ctx *ctx, struct globals *g,
			  struct config *cfg, struct iq_err *err)
{
	bool explicit_config = g->config != NULL;
	char *end;

	ctx->config_path = g->config ? g->config : CONFIG_DEFAULT_PATH;
	ctx->config_rc = IQ_OK;
	ctx->on_error = "deny"; /* safe default on every early return */
	if (strcmp(ctx->config_path, "none") == 0) {
		memset(cfg, 0, sizeof(*cfg));
	} else if (explicit_config || access(ctx->config_path, F_OK) == 0 ||
		   errno != ENOENT) {
		struct iq_err cfg_err = {0};

		ctx->config_rc = file_check_trusted(
			ctx->config_path, "the settings file", &cfg_err);
		/* doctor reads it anyway: it reports the file's modes itself,
		 * as one of its checks, and goes on with the values. */
		if (ctx->config_rc == IQ_EREFUSED && g->doctor)
			ctx->config_rc = IQ_OK;
		if (ctx->config_rc == IQ_OK)
			ctx->config_rc =
				config_load(ctx->config_path, cfg, &cfg_err);
		else
			memset(cfg, 0, sizeof(*cfg));
		snprintf(ctx->config_msg, sizeof(ctx->config_msg), "%s",
			 cfg_err.msg);
		/* A file named on the command line must be there; one that
		 * others could write is never used. */
		if (ctx->config_rc == IQ_EUSAGE ||
		    ctx->config_rc == IQ_EREFUSED ||
		    (ctx->config_rc && explicit_config))
			return iq_fail(err, ctx->config_rc, "%s", cfg_err.msg);
	} else {
		memset(cfg, 0, sizeof(*cfg));
		ctx->config_rc = IQ_EENV;
		snprintf(ctx->config_msg, sizeof(ctx->config_msg),
			 "%s: No such file or directory", ctx->config_path);
	}
	/* Command line first, then the settings file, then defaults. */
	ctx->policy_path = g->policy	    ? g->policy
			   : cfg->policy[0] ? cfg->policy
					    : POLICY_DEFAULT_PATH;
	ctx->state_path = g->state	  ? g->state
			  : cfg->state[0] ? cfg->state
					  : STATE_DEFAULT_PATH;
	ctx->root = g->root ? g->root : cfg->root;
	/*
	 * A simulated host keeps its journal under its root, as it keeps its
	 * lock: a run with --root must never write the real host's journal.
	 */
	if (!g->state && !cfg->state[0] && ctx->root && ctx->root[0]) {
		static char rooted_state[4096];

		if (path_join(rooted_state, sizeof(rooted_state), ctx->root,
			      STATE_DEFAULT_PATH) < 0)
			return iq_fail(err, IQ_EUSAGE,
				       "--root %s: path too long", ctx->root);
		ctx->state_path = rooted_state;
	}
	ctx->lock_path = g->lock;
	ctx->on_error = cfg->on_error[0] ? cfg->on_error : "deny";
	ctx->interval = cfg->interval;
	ctx->metrics_dir = cfg->metrics_dir;
	ctx->ch_dir = cfg->ch_dir;
	ctx->libvirt_uri = cfg->libvirt_uri;
	ctx->json = g->json;
	ctx->verbose = g->verbose;
	if (!fw_backend_parse(g->backend	? g->backend
			      : cfg->backend[0] ? cfg->backend
						: "auto",
			      &ctx->backend))
		return iq_fail(err, IQ_EUSAGE,
			       "%s%sbackend must be auto, devx, fwctl or sim, "
			       "not '%s'",
			       g->backend ? "--" : ctx->config_path,
			       g->backend ? "" : ": ",
			       g->backend ? g->backend : cfg->backend);
	ctx->lock_timeout_s = 30.0;
	if (g->lock_timeout) {
		ctx->lock_timeout_s = strtod(g->lock_timeout, &end);
		/* !(x <= max) also refuses nan, which would never time out. */
		if (*end || end == g->lock_timeout ||
		    !(ctx->lock_timeout_s >= 0 &&
		      ctx->lock_timeout_s <= LOCK_TIMEOUT_MAX_S))
			return iq_fail(err, IQ_EUSAGE,
				       "--lock-timeout takes seconds from 0 to "
				       "%d, not '%s'",
				       LOCK_TIMEOUT_MAX_S, g->lock_timeout);
	}
	if (g->trace)
		return open_trace(ctx, g->trace, err);
	return IQ_OK;
}

/* Is the last directory of path (before its last '/') named dir? */
static bool parent_is(const char *path, const char *slash, const char *dir)
{
	size_t n = strlen(dir), dirlen = (size_t)(slash - path);

	return dirlen >= n && memcmp(slash - n, dir, n) == 0 &&
	       (dirlen == n || slash[-(int)n - 1] == '/');
}

/*
 * Run as a libvirt hook: libvirtd executes each file of
 * /etc/libvirt/hooks/qemu.d, and the single /etc/libvirt/hooks/qemu, as
 * `PATH DOMAIN OPERATION SUB_OPERATION EXTRA` (libvirt
 * src/util/virhook.c). The packaged hook is a symlink to this binary, so
 * argv[0] is that path. Executed directly, a start pays one process per
 * hook call and no shell (about 1 ms less per call here).
 */
static bool run_as_libvirt_hook(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	if (!slash)
		return false;
	return parent_is(argv0, slash, "qemu.d") ||
	       (strcmp(slash + 1, "qemu") == 0 &&
		parent_is(argv0, slash, "hooks"));
}

int main(int argc, char **argv)
{
	struct run_ctx ctx = {.out = stdout,
			      .log = stderr,
			      .sim_transport = &simfw_transport,
			      .sim_devlink = &sim_devlink_channel};
	struct globals g = {0};
	struct config cfg;
	struct iq_err err = {0};
	char **rest = calloc((size_t)argc + 1, sizeof(*rest));
	char **hook_argv = NULL;
	int nrest = 0, rc;
	cli_cmd_fn fn = NULL;

	if (!rest)
		return IQ_EENV;
	/* Not a terminal: buffered as before, in 64 KiB writes, not 4 KiB
	 * (a fleet plan table is 100 KiB). glibc ignores the size unless
	 * given the buffer. */
	static char out_buf[1 << 16];

	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, out_buf, _IOFBF, sizeof(out_buf));
	if (argc >= 1 && run_as_libvirt_hook(argv[0])) {
		/* Positional only (extract_globals stops at "hook"): a domain
		 * named "--help" stays a domain name. */
		hook_argv = calloc((size_t)argc + 4, sizeof(*hook_argv));
		free(rest);
		rest = calloc((size_t)argc + 4, sizeof(*rest));
		if (!hook_argv || !rest) {
			free(hook_argv);
			free(rest);
			return IQ_EENV;
		}
		hook_argv[0] = argv[0];
		hook_argv[1] = "hook";
		hook_argv[2] = "libvirt";
		hook_argv[3] = "qemu";
		for (int i = 1; i < argc; i++)
			hook_argv[i + 3] = argv[i];
		argv = hook_argv;
		argc += 3;
	}
	rc = extract_globals(argc, argv, &g, rest, &nrest, &err);
	if (rc == IQ_OK && g.version) {
		printf("icmquota %s\n", ICMQUOTA_VERSION);
		goto out;
	}
	if (rc == IQ_OK && (g.help || nrest == 0)) {
		help_print_main(g.help ? stdout : stderr);
		rc = g.help ? IQ_OK : IQ_EUSAGE;
		goto out;
	}
	if (rc == IQ_OK && !strcmp(rest[0], "help")) {
		const struct help_entry *e =
			nrest > 1 ? help_find(rest[1]) : NULL;

		if (nrest > 1 && !strcmp(rest[1], "--man"))
			help_print_man(stdout);
		else if (e)
			help_print_command(stdout, e);
		else if (nrest > 1)
			rc = iq_fail(&err, IQ_EUSAGE,
				     "help: unknown command '%s' (see "
				     "icmquota --help)",
				     rest[1]);
		else
			help_print_main(stdout);
		if (rc)
			fprintf(stderr, "icmquota: %s\n", err.msg);
		goto out;
	}
	for (size_t i = 0;
	     rc == IQ_OK && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(rest[0], commands[i].name))
			fn = commands[i].fn;
	if (rc == IQ_OK && !fn)
		rc = iq_fail(&err, IQ_EUSAGE,
			     "unknown command '%s' (see icmquota --help)",
			     rest[0]);
	if (rc == IQ_OK) {
		g.doctor = fn == cmd_doctor;
		rc = apply_settings(&ctx, &g, &cfg, &err);
		/*
		 * The hook decides itself what broken settings mean (refuse a
		 * start, let a running guest be): it gets the error, not exit 2.
		 */
		if (rc && fn == cmd_hook) {
			if (!ctx.config_rc) {
				ctx.config_rc = rc;
				snprintf(ctx.config_msg, sizeof(ctx.config_msg),
					 "%s", err.msg);
			}
			iq_err_clear(&err);
			rc = IQ_OK;
		}
	}
	if (rc == IQ_OK)
		rc = fn(&ctx, nrest, rest, &err);
	if (rc != IQ_OK && err.msg[0])
		fprintf(stderr, "icmquota: %s\n", err.msg);
out:
	if (ctx.trace)
		fclose(ctx.trace);
	free(rest);
	free(hook_argv);
	return rc;
}
