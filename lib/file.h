/* SPDX-License-Identifier: MIT */
/* Files: paths under a root, whole-file reads, crash-safe replaces. */
#ifndef ICMQUOTA_LIB_FILE_H
#define ICMQUOTA_LIB_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

/* Join root and an absolute path: ("/tmp/h", "/sys/x") -> "/tmp/h/sys/x". */
int path_join(char *out, size_t len, const char *root, const char *path);

/* The bound of file_read_all: simulated host files, meminfo, fixtures. */
#define FILE_READ_DEFAULT_MAX (64u << 20)

/*
 * Read a whole file (NUL-terminated) of at most max bytes. *out is
 * malloc'd. Errors (IQ_EENV) name the path and errno, or "PATH: larger
 * than N bytes" for a longer file, so /dev/zero or a runaway file cannot
 * grow memory until the kernel kills the run.
 */
int file_read_max(const char *path, size_t max, char **out, size_t *len,
		  struct iq_err *err);
/* file_read_max with FILE_READ_DEFAULT_MAX. */
int file_read_all(const char *path, char **out, size_t *len,
		  struct iq_err *err);
/* Read the first line of a small sysfs-style file, trailing newline cut. */
int file_read_line(const char *path, char *buf, size_t len, struct iq_err *err);
/* Read a decimal or 0x-hex unsigned integer from a sysfs-style file. */
int file_read_u64(const char *path, uint64_t *value, struct iq_err *err);
/*
 * Crash-safe replace: write a new temp file PATH.tmp.PID.XXXXXX beside
 * path (created O_EXCL, so never through a planted symlink or into an
 * existing file; mode 0644), fsync, rename over path, fsync the directory.
 * Either the old or the new content survives a crash. Temp files of path
 * left by killed runs (their PID no longer exists) are removed first.
 */
int file_write_atomic(const char *path, const void *data, size_t len,
		      bool durable, struct iq_err *err);
/*
 * Remove PATH.tmp.PID[.XXXXXX] files whose PID no longer runs (left by a
 * killed file_write_atomic); best effort. Call it under the lock that
 * serialises writers of path.
 */
void file_remove_stale_tmp(const char *path);
/* Plain write (sysfs knobs, simulated counters). */
int file_write_str(const char *path, const char *text, struct iq_err *err);
/*
 * sshd's StrictModes for what root reads: path (or, when it does not exist
 * yet, its nearest existing directory) and every directory above it, after
 * symlinks are resolved, must be owned by root and not writable by group or
 * others, or anyone could replace what root trusts. A root-owned directory
 * with the sticky bit (/tmp) is fine: others cannot rename in it. Device
 * nodes are the kernel's and skipped. Skipped entirely when not run as root
 * (a user's run trusts that user's files; it cannot write firmware).
 * Returns IQ_EREFUSED with "PATH: writable by group or others (mode 0NNN):
 * root does not trust WHAT; run chmod go-w PATH" or "... owned by uid N ...;
 * run chown root PATH". what names the file's role ("the policy").
 */
int file_check_trusted(const char *path, const char *what, struct iq_err *err);
/* mkdir -p */
int mkdir_p(const char *path, unsigned mode, struct iq_err *err);

#endif
