/* SPDX-License-Identifier: MIT */
/*
 * Inside the host room only (host.c, host_memory.c): paths under the
 * host's root and directory listings, shared by discovery and the memory
 * readers. Not for other layers: they go through host.h.
 */
#ifndef ICMQUOTA_HOST_PATHS_H
#define ICMQUOTA_HOST_PATHS_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

/* root + path into out (len bytes); IQ_EENV naming both when too long. */
int host_join(char *out, size_t len, const char *root, const char *path,
	      struct iq_err *err);
/*
 * The entry names of directory path (no dot entries): PCI addresses first,
 * in address order, then the others in natural order (virtfn2 before
 * virtfn10), malloc'd; *missing when path does not exist
 * (then *n is 0 and IQ_OK). IQ_EENV naming path on other errors.
 */
int host_list_dir(const char *path, char ***names, size_t *n, bool *missing,
		  struct iq_err *err);
void host_free_names(char **names, size_t n);

#endif
