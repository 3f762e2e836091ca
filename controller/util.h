/* SPDX-License-Identifier: MIT */
/* Small helpers every layer needs: PCI addresses, sizes, files. */
#ifndef ICMQUOTA_UTIL_H
#define ICMQUOTA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/err.h"

#define ICM_PAGE_BYTES 4096ULL
/* "unlimited" everywhere a size in bytes is kept. */
#define IQ_UNLIMITED UINT64_MAX
/* PRM's "unlimited" for max_alloc_icm_th / total_icm, in 4 KiB units. */
#define PRM_ICM_UNLIMITED 0xFFFFFFFFu

/* "DDDD:BB:SS.F" plus NUL */
#define PCI_ADDR_LEN 13

/*
 * Normalise a PCI address: "3b:00.2", "0000:3B:00.2" -> "0000:3b:00.2".
 * Returns false when the text is not a PCI address.
 */
bool pci_addr_normalize(const char *in, char out[PCI_ADDR_LEN]);
/* The same from numeric parts; false when a part is out of range. */
bool pci_addr_format(unsigned long domain, unsigned long bus,
		     unsigned long slot, unsigned long function,
		     char out[PCI_ADDR_LEN]);

/*
 * Parse a size: "8GiB", "256MiB", "1.5G", "4096", "4096B", "unlimited".
 * B, KiB, MiB, GiB, TiB and k/K/M/G/T (powers of 1024). IQ_UNLIMITED for
 * "unlimited". Returns false with a reason in why (a static string).
 */
bool size_parse(const char *text, uint64_t *bytes, const char **why);
/* "8.0GiB", "256MiB", "unlimited": human units for tables. */
void size_format(uint64_t bytes, char *buf, size_t len);
/* Signed variant for headroom: "-3.5GiB". */
void size_format_signed(int64_t bytes, char *buf, size_t len);

/* Bytes to 4 KiB ICM pages (rounded up), IQ_UNLIMITED -> PRM unlimited. */
uint32_t icm_bytes_to_pages(uint64_t bytes);
/* 4 KiB pages to bytes; PRM unlimited -> IQ_UNLIMITED. */
uint64_t icm_pages_to_bytes(uint32_t pages);

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

/* Glob match for policy rules (fnmatch without flags). */
bool glob_match(const char *pattern, const char *text);

/* SHA-256 hex digest of a buffer (policy digest in the journal). */
void sha256_hex(const void *data, size_t len, char out[65]);

#endif
