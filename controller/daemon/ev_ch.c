// SPDX-License-Identifier: MIT
#include "controller/daemon/ev_ch.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

struct followed {
	char name[256]; /* the VM: file name without .events */
	int fd;
	off_t offset;
	struct ch_event_stream stream;
};

struct ch_follow {
	char dir[PATH_MAX];
	int ino;
	struct followed *files;
	size_t nfiles;
};

static bool events_name(const char *file, char *name, size_t len)
{
	size_t n = strlen(file), s = strlen(CH_EVENTS_SUFFIX);

	if (n <= s || strcmp(file + n - s, CH_EVENTS_SUFFIX) != 0 ||
	    n - s >= len || file[0] == '.')
		return false;
	snprintf(name, len, "%.*s", (int)(n - s), file);
	return true;
}

static struct followed *find(struct ch_follow *f, const char *name)
{
	for (size_t i = 0; i < f->nfiles; i++)
		if (!strcmp(f->files[i].name, name))
			return &f->files[i];
	return NULL;
}

static void drop(struct ch_follow *f, const char *name)
{
	struct followed *x = find(f, name);

	if (!x)
		return;
	close(x->fd);
	ch_event_stream_free(&x->stream);
	*x = f->files[--f->nfiles];
}

/* Follow DIR/NAME.events from its end (at_end) or its start. */
static int add(struct ch_follow *f, const char *name, bool at_end,
	       struct iq_err *err)
{
	char path[PATH_MAX + 300];
	struct followed *grown, *x;
	struct stat st;
	int fd;

	drop(f, name);
	snprintf(path, sizeof(path), "%s/%s%s", f->dir, name, CH_EVENTS_SUFFIX);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return IQ_OK; /* gone again already */
		return iq_fail(err, IQ_EENV, "%s: cannot open: %s", path,
			       strerror(errno));
	}
	grown = realloc(f->files, (f->nfiles + 1) * sizeof(*f->files));
	if (!grown) {
		close(fd);
		return iq_fail(err, IQ_EENV, "out of memory");
	}
	f->files = grown;
	x = &f->files[f->nfiles++];
	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s", name);
	x->fd = fd;
	x->offset = at_end && fstat(fd, &st) == 0 ? st.st_size : 0;
	ch_event_stream_init(&x->stream);
	return IQ_OK;
}

int ch_follow_open(const char *dir, struct ch_follow **out, struct iq_err *err)
{
	struct ch_follow *f = calloc(1, sizeof(*f));
	struct dirent **names = NULL;
	int n, rc = IQ_OK;

	*out = NULL;
	if (!f)
		return iq_fail(err, IQ_EENV, "out of memory");
	snprintf(f->dir, sizeof(f->dir), "%s", dir);
	f->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (f->ino < 0 ||
	    inotify_add_watch(f->ino, dir,
			      IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE |
				      IN_MOVED_FROM | IN_CLOSE_WRITE) < 0) {
		rc = iq_fail(err, IQ_EENV,
			     "ch_dir %s: cannot watch it: %s (create it, or "
			     "set ch_dir in the settings)",
			     dir, strerror(errno));
		ch_follow_close(f);
		return rc;
	}
	n = scandir(dir, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		char name[256];

		if (rc == IQ_OK &&
		    events_name(names[i]->d_name, name, sizeof(name)))
			rc = add(f, name, true, err);
		free(names[i]);
	}
	free(names);
	if (rc) {
		ch_follow_close(f);
		return rc;
	}
	*out = f;
	return IQ_OK;
}

int ch_follow_fd(const struct ch_follow *f)
{
	return f->ino;
}

static void problem(const struct ch_follow_cb *cb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void problem(const struct ch_follow_cb *cb, const char *fmt, ...)
{
	char msg[2300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cb->problem(cb->opaque, msg);
}

/* Every new byte of one file, through the parser, to the callback. */
static void drain(struct ch_follow *f, struct followed *x,
		  const struct ch_follow_cb *cb)
{
	char buf[8192], sock[PATH_MAX + 300];
	struct stat st;

	snprintf(sock, sizeof(sock), "%s/%s.sock", f->dir, x->name);
	/* Truncated or rewritten from the start: a new VMM's stream. */
	if (fstat(x->fd, &st) == 0 && st.st_size < x->offset) {
		x->offset = 0;
		ch_event_stream_free(&x->stream);
		ch_event_stream_init(&x->stream);
	}
	for (;;) {
		ssize_t n = pread(x->fd, buf, sizeof(buf), x->offset);
		size_t at = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			problem(cb, "%s/%s%s: read: %s", f->dir, x->name,
				CH_EVENTS_SUFFIX, strerror(errno));
			return;
		}
		if (n == 0)
			return;
		x->offset += n;
		while (at < (size_t)n) {
			struct iq_err err = {0};
			struct ch_event ev;
			size_t used = 0;
			bool got;

			if (ch_event_feed(&x->stream, buf + at, (size_t)n - at,
					  &used, &ev, &got, &err))
				problem(cb, "%s/%s%s: %s", f->dir, x->name,
					CH_EVENTS_SUFFIX, err.msg);
			else if (got)
				cb->event(cb->opaque, x->name, sock, &ev);
			at += used;
		}
	}
}

int ch_follow_read(struct ch_follow *f, const struct ch_follow_cb *cb,
		   struct iq_err *err)
{
	char buf[16384]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	int rc = IQ_OK;

	while ((n = read(f->ino, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ie = (const void *)p;
			char name[256];

			p += sizeof(*ie) + ie->len;
			if (!ie->len ||
			    !events_name(ie->name, name, sizeof(name)))
				continue;
			if (ie->mask & (IN_DELETE | IN_MOVED_FROM)) {
				drop(f, name);
				continue;
			}
			if (ie->mask & (IN_CREATE | IN_MOVED_TO))
				rc = add(f, name, false, err);
			if (rc)
				return rc;
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return iq_fail(err, IQ_EENV, "ch_dir %s: inotify: %s", f->dir,
			       strerror(errno));
	/* Cheap when nothing grew: one fstat and one empty pread per file. */
	for (size_t i = 0; i < f->nfiles; i++)
		drain(f, &f->files[i], cb);
	return IQ_OK;
}

void ch_follow_close(struct ch_follow *f)
{
	if (!f)
		return;
	while (f->nfiles)
		drop(f, f->files[0].name);
	free(f->files);
	if (f->ino >= 0)
		close(f->ino);
	free(f);
}
