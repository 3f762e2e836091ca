// SPDX-License-Identifier: MIT
#include "lib/file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int path_join(char *out, size_t len, const char *root, const char *path)
{
	int n;

	if (!root)
		root = "";
	/* Avoid "//" when root ends in a slash. */
	n = snprintf(out, len, "%.*s%s",
		     (int)(strlen(root) -
			   (strlen(root) > 1 && root[strlen(root) - 1] == '/')),
		     root, path);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

int file_read_all(const char *path, char **out, size_t *len, struct iq_err *err)
{
	return file_read_max(path, FILE_READ_DEFAULT_MAX, out, len, err);
}

int file_read_max(const char *path, size_t max, char **out, size_t *len,
		  struct iq_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t used = 0, cap, size = 0;

	if (fd < 0)
		return iq_fail(err, IQ_EENV, "%s: %s", path, strerror(errno));
	/*
	 * A regular file's size is known: one buffer, one read (a journal
	 * or a memo of hundreds of KiB is not copied through stdio and a
	 * growing buffer). sysfs and procfs files say 4096 or 0: grown.
	 */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size <= max)
		size = (size_t)st.st_size;
	cap = size ? size + 1 : 8192;
	for (;;) {
		ssize_t n;

		if (used == cap || !buf) {
			char *grown;

			if (buf)
				cap *= 2;
			grown = realloc(buf, cap + 1);
			if (!grown) {
				free(buf);
				close(fd);
				return iq_fail(err, IQ_EENV,
					       "%s: out of memory", path);
			}
			buf = grown;
		}
		n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			free(buf);
			close(fd);
			return iq_fail(err, IQ_EENV, "%s: read failed: %s",
				       path, strerror(saved));
		}
		if (n == 0)
			break;
		used += (size_t)n;
		/*
		 * All the size fstat gave: no read to see the end (127 domain
		 * XMLs a fleet apply). sysfs says 4096 for shorter text and
		 * comes back short before this.
		 */
		if (size && used == size)
			break;
		if (used > max) {
			free(buf);
			close(fd);
			return iq_fail(err, IQ_EENV,
				       "%s: larger than %zu bytes (the limit "
				       "for this file)",
				       path, max);
		}
	}
	close(fd);
	buf[used] = '\0';
	*out = buf;
	if (len)
		*len = used;
	return IQ_OK;
}

int file_read_line(const char *path, char *buf, size_t len, struct iq_err *err)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return iq_fail(err, IQ_EENV, "%s: %s", path, strerror(errno));
	if (!fgets(buf, (int)len, f)) {
		buf[0] = '\0';
		if (ferror(f)) {
			int saved = errno;

			fclose(f);
			return iq_fail(err, IQ_EENV, "%s: read failed: %s",
				       path, strerror(saved));
		}
	}
	fclose(f);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return IQ_OK;
}

int file_read_u64(const char *path, uint64_t *value, struct iq_err *err)
{
	char line[64];
	char *end;
	int rc = file_read_line(path, line, sizeof(line), err);

	if (rc)
		return rc;
	errno = 0;
	*value = strtoull(line, &end, 0);
	if (errno || end == line || *end != '\0' || line[0] == '-')
		return iq_fail(err, IQ_EENV, "%s: not a number: '%s'", path,
			       line);
	return IQ_OK;
}

static int fsync_dir_of(const char *path, struct iq_err *err)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return iq_fail(err, IQ_EENV, "%s: %s", dir, strerror(errno));
	if (fsync(fd) < 0) {
		int saved = errno;

		close(fd);
		return iq_fail(err, IQ_EENV, "%s: fsync failed: %s", dir,
			       strerror(saved));
	}
	close(fd);
	return IQ_OK;
}

/*
 * PATH.tmp.PID[.XXXXXX] files whose PID is gone are leftovers of a killed
 * run: remove them. Best effort (a leftover only costs space).
 */
void file_remove_stale_tmp(const char *path)
{
	char dir[PATH_MAX], prefix[NAME_MAX + 8], victim[PATH_MAX];
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	struct dirent *de;
	DIR *d;

	if (slash)
		snprintf(dir, sizeof(dir), "%.*s",
			 (int)(slash == path ? 1 : slash - path), path);
	else
		snprintf(dir, sizeof(dir), ".");
	if (snprintf(prefix, sizeof(prefix), "%s.tmp.", base) >=
	    (int)sizeof(prefix))
		return;
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long pid;

		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		errno = 0;
		pid = strtol(de->d_name + strlen(prefix), &end, 10);
		if (errno || pid <= 0 || (*end && *end != '.'))
			continue;
		if (pid == (long)getpid() ||
		    (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		if (snprintf(victim, sizeof(victim), "%s/%s", dir, de->d_name) <
		    (int)sizeof(victim))
			unlink(victim);
	}
	closedir(d);
}

int file_write_atomic(const char *path, const void *data, size_t len,
		      bool durable, struct iq_err *err)
{
	char tmp[PATH_MAX];
	const char *p = data;
	size_t left = len;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.XXXXXX", path,
		     (long)getpid()) >= (int)sizeof(tmp))
		return iq_fail(err, IQ_EENV, "%s: path too long", path);
	file_remove_stale_tmp(path);
	/* mkostemp: O_CREAT|O_EXCL (never follows a symlink), mode 0600. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return iq_fail(err, IQ_EENV, "%s: cannot write: %s", tmp,
			       strerror(errno));
	if (fchmod(fd, 0644) < 0) {
		int saved = errno;

		close(fd);
		unlink(tmp);
		return iq_fail(err, IQ_EENV, "%s: chmod failed: %s", tmp,
			       strerror(saved));
	}
	while (left) {
		ssize_t n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved = n < 0 ? errno : EIO;

			close(fd);
			unlink(tmp);
			return iq_fail(
				err, IQ_EENV,
				"%s: write failed: %s (nothing was replaced)",
				tmp, strerror(saved));
		}
		p += n;
		left -= (size_t)n;
	}
	if (durable && fsync(fd) < 0) {
		int saved = errno;

		close(fd);
		unlink(tmp);
		return iq_fail(err, IQ_EENV,
			       "%s: fsync failed: %s (nothing was replaced)",
			       tmp, strerror(saved));
	}
	if (close(fd) < 0) {
		int saved = errno;

		unlink(tmp);
		return iq_fail(err, IQ_EENV,
			       "%s: write failed: %s (nothing was replaced)",
			       tmp, strerror(saved));
	}
	if (rename(tmp, path) < 0) {
		int saved = errno;

		unlink(tmp);
		return iq_fail(err, IQ_EENV, "%s: rename failed: %s", path,
			       strerror(saved));
	}
	return durable ? fsync_dir_of(path, err) : IQ_OK;
}

int file_write_str(const char *path, const char *text, struct iq_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(text);
	ssize_t n;

	if (fd < 0)
		return iq_fail(err, IQ_EENV, "%s: cannot write: %s", path,
			       strerror(errno));
	n = write(fd, text, len);
	if (n < 0 || (size_t)n != len) {
		int saved = n < 0 ? errno : EIO;

		close(fd);
		return iq_fail(err, IQ_EENV, "%s: write failed: %s", path,
			       strerror(saved));
	}
	if (close(fd) < 0)
		return iq_fail(err, IQ_EENV, "%s: write failed: %s", path,
			       strerror(errno));
	return IQ_OK;
}

static int check_one(const char *path, const struct stat *st, const char *what,
		     struct iq_err *err)
{
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		return IQ_OK;
	if (st->st_uid != 0)
		return iq_fail(err, IQ_EREFUSED,
			       "%s: owned by uid %u, not root: root does not "
			       "trust %s another user can replace; run chown "
			       "root %s",
			       path, (unsigned)st->st_uid, what, path);
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) &&
	    !(S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX)))
		return iq_fail(err, IQ_EREFUSED,
			       "%s: writable by group or others (mode %04o): "
			       "root does not trust %s; run chmod go-w %s",
			       path, (unsigned)(st->st_mode & 07777), what,
			       path);
	return IQ_OK;
}

int file_check_trusted(const char *path, const char *what, struct iq_err *err)
{
	char real[PATH_MAX], parent[PATH_MAX];
	struct stat st;

	if (geteuid() != 0)
		return IQ_OK;
	if (!realpath(path, real)) {
		char *slash;

		/* Not there yet (a journal): its directory must be safe. */
		if (errno != ENOENT || snprintf(parent, sizeof(parent), "%s",
						path) >= (int)sizeof(parent))
			return IQ_OK; /* the reader reports it */
		slash = strrchr(parent, '/');
		if (slash == parent)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
		else
			snprintf(parent, sizeof(parent), ".");
		if (!realpath(parent, real))
			return IQ_OK;
	}
	for (;;) {
		char *slash;
		int rc;

		if (stat(real, &st) < 0)
			return IQ_OK; /* gone meanwhile: the reader says so */
		rc = check_one(real, &st, what, err);
		if (rc)
			return rc;
		slash = strrchr(real, '/');
		if (!slash || (slash == real && !real[1]))
			return IQ_OK;
		if (slash == real)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

int mkdir_p(const char *path, unsigned mode, struct iq_err *err)
{
	char buf[PATH_MAX];
	size_t len;

	struct stat st;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return iq_fail(err, IQ_EENV, "%s: path too long", path);
	/* There already (every run after the first): one stat, not a
	 * mkdir per component. */
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return IQ_OK;
	len = strlen(buf);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return iq_fail(err, IQ_EENV, "%s: cannot create: %s",
				       buf, strerror(errno));
		if (i < len)
			buf[i] = '/';
	}
	return IQ_OK;
}
