/* SPDX-License-Identifier: MIT */
/*
 * host.json of the simulated host (sim_host_json.c), used by sim_host.c
 * (written at sim init) and sim_host_refresh.c (read back under the
 * refresh lock, its pools included); the rest of the simulator reads it
 * through sim_host_load_info() (sim_host.h). Errors are IQ_EENV naming the
 * file and the fix (sim init --force), IQ_EUSAGE for a path too long.
 */
#ifndef ICMQUOTA_SIM_HOST_JSON_H
#define ICMQUOTA_SIM_HOST_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "controller/sim/sim_host.h"
#include "lib/err.h"

struct json_object;

/* ROOT/icmquota-sim/host.json from sim init's (checked) parameters. */
int sim_host_json_write(const char *root, const struct sim_host_params *p,
			struct iq_err *err);
/*
 * host.json as a JSON object (*obj, the caller puts it); path[len] gets
 * the file's path for messages. A missing file says root is no simulated
 * host.
 */
int sim_host_json_load(const char *root, struct json_object **obj, char *path,
		       size_t len, struct iq_err *err);
/* mem_total, host_used and default_hugepage_bytes of a loaded host.json. */
int sim_host_json_info(struct json_object *obj, const char *path,
		       struct sim_host_info *info, struct iq_err *err);
/* A number field of obj, as bytes or a count; path names obj's file. */
int sim_host_json_u64(struct json_object *obj, const char *key, uint64_t *value,
		      const char *path, struct iq_err *err);

#endif
