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

/*
 * Read a whole file (NUL-terminated). *out is malloc'd. Errors name the
 * path and errno.
 */
int file_read_all(const char *path, char **out, size_t *len,
		  struct iq_err *err);
/* Read the first line of a small sysfs-style file, trailing newline cut. */
int file_read_line(const char *path, char *buf, size_t len, struct iq_err *err);
/* Read a decimal or 0x-hex unsigned integer from a sysfs-style file. */
int file_read_u64(const char *path, uint64_t *value, struct iq_err *err);
/*
 * Crash-safe replace: write path.tmp, fsync, rename over path, fsync the
 * directory. Either the old or the new content survives a crash.
 */
int file_write_atomic(const char *path, const void *data, size_t len,
		      bool durable, struct iq_err *err);
/* Plain write (sysfs knobs, simulated counters). */
int file_write_str(const char *path, const char *text, struct iq_err *err);
/* mkdir -p */
int mkdir_p(const char *path, unsigned mode, struct iq_err *err);

#endif
