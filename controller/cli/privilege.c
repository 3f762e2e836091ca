// SPDX-License-Identifier: MIT
/*
 * The privilege check every mutating command makes first, before it reads
 * a source or takes the lock, so a user's run is refused with what to do
 * rather than with whichever file it happened to fail on.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "controller/cli/cli.h"
#include "controller/core/session.h"

/* Whether the nearest existing directory holding path is writable. */
static bool dir_writable(const char *path, char *dir, size_t len)
{
	snprintf(dir, len, "%s", path);
	for (;;) {
		char *slash = strrchr(dir, '/');

		if (!slash) {
			snprintf(dir, len, ".");
			break;
		}
		if (slash == dir) {
			slash[1] = '\0';
			break;
		}
		*slash = '\0';
		if (access(dir, F_OK) == 0)
			break;
	}
	return access(dir, W_OK) == 0;
}

int cli_require_privileges(struct run_ctx *ctx, const char *cmd,
			   struct iq_err *err)
{
	char lock_buf[PATH_MAX], dir[PATH_MAX];
	bool real_host = !ctx->root || !ctx->root[0] || !strcmp(ctx->root, "/");

	if (geteuid() == 0)
		return IQ_OK;
	if (real_host)
		return iq_fail(err, IQ_EENV,
			       "%s: needs root (it programs the NICs' firmware "
			       "and writes %s and the lock); run it as root, "
			       "e.g. sudo icmquota %s",
			       cmd, ctx->state_path, cmd);
	/* A simulated host: writing its journal and lock is the privilege. */
	if (!dir_writable(ctx->state_path, dir, sizeof(dir)))
		return iq_fail(err, IQ_EENV,
			       "%s: cannot write %s (the journal's directory) "
			       "as uid %u; run as its owner or root, or pass "
			       "--state FILE in a directory you can write",
			       cmd, dir, (unsigned)geteuid());
	if (!dir_writable(session_lock_path(ctx, lock_buf, sizeof(lock_buf)),
			  dir, sizeof(dir)))
		return iq_fail(err, IQ_EENV,
			       "%s: cannot write %s (the lock's directory) as "
			       "uid %u; run as its owner or root, or pass "
			       "--lock FILE in a directory you can write",
			       cmd, dir, (unsigned)geteuid());
	return IQ_OK;
}
