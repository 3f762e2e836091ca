// SPDX-License-Identifier: MIT
#include "controller/core/counters.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/file.h"

static const struct {
	const char *name;
	const char *help;
} counter_info[CNT_N] = {
	[CNT_ADMISSIONS_REFUSED] = {"admissions_refused_total",
				    "VM starts refused by admission (the VM "
				    "did not fit, or its devices were wrong)"},
	[CNT_ADMISSIONS_SCALED] = {"admissions_scaled_total",
				   "VM starts admitted with caps lowered "
				   "(host.admission: scale)"},
	[CNT_DRIFT_REPAIRED] = {"drift_repaired_total",
				"VF caps found different from what was "
				"programmed and written back by the daemon"},
	[CNT_FW_COMMAND_ERRORS] = {"fw_command_errors_total",
				   "firmware commands that failed, in runs "
				   "that held the lock"},
	[CNT_HOOK_CALLS] = {"hook_calls_total",
			    "libvirt hook calls that acted on caps (calls "
			    "for VMs without VFs return before counting)"},
};

const char *counter_name(enum counter_id id)
{
	return counter_info[id].name;
}

const char *counter_help(enum counter_id id)
{
	return counter_info[id].help;
}

bool counters_any(const struct counters *c)
{
	for (int i = 0; i < CNT_N; i++)
		if (c->v[i])
			return true;
	return false;
}

int counters_path(const char *state_path, char *buf, size_t len,
		  struct iq_err *err)
{
	const char *slash = strrchr(state_path, '/');
	int n;

	if (!slash)
		n = snprintf(buf, len, "counters");
	else
		n = snprintf(buf, len, "%.*s/counters",
			     (int)(slash - state_path), state_path);
	if (n < 0 || (size_t)n >= len)
		return iq_fail(err, IQ_EENV, "%s: path too long", state_path);
	return IQ_OK;
}

int counters_load(const char *state_path, struct counters *c,
		  struct iq_err *err)
{
	char path[4096];
	char *text, *line, *next;
	unsigned lineno = 0;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = counters_path(state_path, path, sizeof(path), err);
	if (rc)
		return rc;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return IQ_OK;
	rc = file_read_all(path, &text, NULL, err);
	if (rc)
		return rc;
	for (line = text; line && *line; line = next) {
		char name[64];
		uint64_t value;
		char extra;

		next = strchr(line, '\n');
		/* A last line without its newline: an append cut short by a
		 * crash. Its delta is lost; the others hold. */
		if (!next)
			break;
		*next++ = '\0';
		lineno++;
		if (!*line)
			continue;
		/* SCNu64 would take "-1" as 2^64 - 1. */
		if (sscanf(line, "%63s %" SCNu64 " %c", name, &value, &extra) !=
			    2 ||
		    strchr(line, '-')) {
			rc = iq_fail(err, IQ_EENV,
				     "%s:%u: expected `NAME COUNT` (a damaged "
				     "counters file: delete it to start the "
				     "counters from 0)",
				     path, lineno);
			break;
		}
		/* Each line adds to its counter (counters_add appends). */
		for (int i = 0; i < CNT_N; i++)
			if (!strcmp(name, counter_info[i].name))
				c->v[i] = c->v[i] + value < c->v[i]
						  ? UINT64_MAX
						  : c->v[i] + value;
	}
	free(text);
	if (rc)
		memset(c, 0, sizeof(*c));
	return rc;
}

/*
 * A crash can leave the last append without its newline: cut that partial
 * line off (its delta is lost, the others hold) so the next append starts
 * a line of its own instead of joining it. We hold the lock.
 */
static int cut_torn_tail(int fd, const char *path, struct iq_err *err)
{
	char tail[512];
	struct stat st;
	off_t from;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return iq_fail(err, IQ_EENV, "%s: cannot stat: %s", path,
			       strerror(errno));
	if (st.st_size == 0)
		return IQ_OK;
	from = st.st_size > (off_t)sizeof(tail)
		       ? st.st_size - (off_t)sizeof(tail)
		       : 0;
	n = pread(fd, tail, (size_t)(st.st_size - from), from);
	if (n != st.st_size - from)
		return iq_fail(err, IQ_EENV, "%s: cannot read: %s", path,
			       n < 0 ? strerror(errno) : "short read");
	if (tail[n - 1] == '\n')
		return IQ_OK;
	while (n > 0 && tail[n - 1] != '\n')
		n--;
	/* No newline in the last 512 bytes: not a torn append but a damaged
	 * file, which counters_load reports. */
	if (n == 0 && from > 0)
		return IQ_OK;
	if (ftruncate(fd, from + n) < 0)
		return iq_fail(err, IQ_EENV, "%s: cannot truncate: %s", path,
			       strerror(errno));
	return IQ_OK;
}

/* Past this size the lines are summed into one per counter. */
#define COUNTERS_COMPACT_BYTES 16384

int counters_add(const char *state_path, const struct counters *delta,
		 struct iq_err *err)
{
	struct counters c;
	char path[4096], text[1024];
	struct stat st;
	size_t n = 0;
	int rc, fd;

	rc = counters_path(state_path, path, sizeof(path), err);
	if (rc)
		return rc;
	/*
	 * The common case appends the deltas: one write, no rename, so a hook
	 * call pays no directory update for being counted. A torn append
	 * loses its own line only (counters_load).
	 */
	if (stat(path, &st) < 0 || st.st_size < COUNTERS_COMPACT_BYTES) {
		for (int i = 0; i < CNT_N; i++)
			if (delta->v[i])
				n += (size_t)snprintf(
					text + n, sizeof(text) - n,
					"%s %" PRIu64 "\n",
					counter_info[i].name, delta->v[i]);
		if (!n)
			return IQ_OK;
		fd = open(path,
			  O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			  0644);
		if (fd < 0)
			return iq_fail(err, IQ_EENV, "%s: cannot open: %s",
				       path, strerror(errno));
		rc = cut_torn_tail(fd, path, err);
		if (rc) {
			close(fd);
			return rc;
		}
		if (write(fd, text, n) != (ssize_t)n) {
			rc = iq_fail(err, IQ_EENV, "%s: cannot write: %s", path,
				     errno ? strerror(errno) : "short write");
			close(fd);
			return rc;
		}
		close(fd);
		return IQ_OK;
	}
	rc = counters_load(state_path, &c, err);
	if (rc)
		return rc;
	for (int i = 0; i < CNT_N; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "%s %" PRIu64 "\n", counter_info[i].name,
				      c.v[i] + delta->v[i]);
	/* Not fsync'd: a counter lost to a power cut is no harm. */
	return file_write_atomic(path, text, n, false, err);
}
