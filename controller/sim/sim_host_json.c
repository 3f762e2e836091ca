// SPDX-License-Identifier: MIT
/*
 * host.json, what of the simulated host its tree does not hold: memory,
 * what the host itself uses, the default huge page size, each pool's pages
 * in use, the PFs and GPUs. Written by sim init (sim_host.c), read back
 * by refresh (sim_host_refresh.c) and register; a file missing a field is
 * refused with the fix (sim init --force).
 */
#include "controller/sim/sim_host_json.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "controller/sim/simfw.h"
#include "lib/file.h"

#define HOST_JSON	       SIMFW_DIR "/host.json"
#define DEFAULT_HUGEPAGE_BYTES (2ULL << 20)

static void json_add_u64(struct json_object *obj, const char *key,
			 uint64_t value)
{
	json_object_object_add(obj, key, json_object_new_uint64(value));
}

int sim_host_json_write(const char *root, const struct sim_host_params *p,
			struct iq_err *err)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *pools = json_object_new_array();
	struct json_object *pfs = json_object_new_array();
	struct json_object *gpus = json_object_new_array();
	char path[PATH_MAX];
	const char *text;
	int rc;

	json_add_u64(obj, "version", 1);
	json_add_u64(obj, "mem_total", p->mem_total);
	json_add_u64(obj, "host_used", p->host_used);
	json_add_u64(obj, "default_hugepage_bytes",
		     p->npools ? p->pools[0].page_bytes
			       : DEFAULT_HUGEPAGE_BYTES);
	json_add_u64(obj, "total_icm_bytes", p->total_icm_bytes);
	json_add_u64(obj, "pf_pages", p->pf_pages);
	for (size_t i = 0; i < p->npools; i++) {
		struct json_object *pool = json_object_new_object();

		json_add_u64(pool, "page_bytes", p->pools[i].page_bytes);
		json_add_u64(pool, "count", p->pools[i].count);
		json_add_u64(pool, "free", p->pools[i].free);
		/* Pages VMs hold: the kernel never releases these. */
		json_add_u64(pool, "in_use",
			     p->pools[i].count - p->pools[i].free);
		json_object_array_add(pools, pool);
	}
	json_object_object_add(obj, "hugepages", pools);
	for (unsigned i = 0; i < p->npfs; i++) {
		char pci[PCI_ADDR_LEN];

		sim_host_pf_pci(i, p->pf_domain, pci);
		json_object_array_add(pfs, json_object_new_string(pci));
	}
	json_object_object_add(obj, "pfs", pfs);
	for (unsigned i = 0; i < p->ngpus; i++)
		json_object_array_add(
			gpus, json_object_new_string(sim_host_gpu_pci(i)));
	json_object_object_add(obj, "gpus", gpus);

	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY);
	rc = sim_host_path(path, sizeof(path), root, HOST_JSON, err);
	if (!rc)
		rc = file_write_atomic(path, text, strlen(text), false, err);
	json_object_put(obj);
	return rc;
}

int sim_host_json_u64(struct json_object *obj, const char *key, uint64_t *value,
		      const char *path, struct iq_err *err)
{
	struct json_object *field;

	if (!json_object_object_get_ex(obj, key, &field) ||
	    (!json_object_is_type(field, json_type_int) &&
	     !json_object_is_type(field, json_type_double)))
		return iq_fail(err, IQ_EENV,
			       "%s: no number \"%s\"; re-create it with "
			       "icmquota sim init --force",
			       path, key);
	*value = json_object_get_uint64(field);
	return IQ_OK;
}

int sim_host_json_load(const char *root, struct json_object **obj, char *path,
		       size_t len, struct iq_err *err)
{
	char *text = NULL;
	size_t text_len;
	enum json_tokener_error jerr;
	int rc = sim_host_path(path, len, root, HOST_JSON, err);

	if (!rc)
		rc = file_read_all(path, &text, &text_len, err);
	if (rc)
		return iq_err_prefix(err,
				     "%s is not a simulated host (icmquota "
				     "sim init DIR makes one)",
				     root);
	*obj = json_tokener_parse_verbose(text, &jerr);
	free(text);
	if (!*obj || !json_object_is_type(*obj, json_type_object)) {
		json_object_put(*obj);
		return iq_fail(err, IQ_EENV,
			       "%s: not a JSON object (%s); re-create it with "
			       "icmquota sim init --force",
			       path, json_tokener_error_desc(jerr));
	}
	return IQ_OK;
}

int sim_host_json_info(struct json_object *obj, const char *path,
		       struct sim_host_info *info, struct iq_err *err)
{
	int rc;

	memset(info, 0, sizeof(*info));
	rc = sim_host_json_u64(obj, "mem_total", &info->mem_total, path, err);
	if (!rc)
		rc = sim_host_json_u64(obj, "host_used", &info->host_used, path,
				       err);
	if (!rc)
		rc = sim_host_json_u64(obj, "default_hugepage_bytes",
				       &info->default_hugepage_bytes, path,
				       err);
	return rc;
}

int sim_host_load_info(const char *root, struct sim_host_info *info,
		       struct iq_err *err)
{
	struct json_object *obj;
	char path[PATH_MAX];
	int rc = sim_host_json_load(root, &obj, path, sizeof(path), err);

	if (rc)
		return rc;
	rc = sim_host_json_info(obj, path, info, err);
	json_object_put(obj);
	return rc;
}
