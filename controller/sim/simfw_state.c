// SPDX-License-Identifier: MIT
/*
 * The simulated firmware's state on disk: one JSON file per PF under
 * ROOT/icmquota-sim/fw/ (PCI.json, replaced whole), guarded by a lock file
 * (PCI.lock, flock) so concurrent processes (hook, CLI, demo) see one
 * consistent firmware. A file is read back field by field, each checked
 * for its type and range, an error naming the file and the field. The
 * model the state feeds is simfw.c.
 */
#include "controller/sim/simfw.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json.h>

#include "controller/sim/simfw_memo.h"
#include "lib/file.h"
#include "lib/json_writer.h"
#include "lib/memo.h"
#include "lib/pci.h"
#include "lib/size.h"

static int state_path(char *out, size_t len, const char *root, const char *pci,
		      const char *ext, struct iq_err *err)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "/%s/fw/%s%s", SIMFW_DIR, pci, ext);
	if (path_join(out, len, root, rel) < 0)
		return iq_fail(err, IQ_EENV, "%s: sim: path too long: %s%s",
			       pci, root, rel);
	return IQ_OK;
}

/* Integers as json_object_new_int64 writes them (the file's history). */
static void put_u64(struct buf *w, const char *key, uint64_t value)
{
	jw_key(w, key, false);
	jw_i64(w, (int64_t)value);
}

/*
 * The file's text (lib/json_writer.c: what json-c writes, a tenth of the
 * cost; a hook call on a fleet host saves 8 PFs of 128 functions).
 */
static char *pf_to_json(const struct simfw_pf *pf)
{
	struct buf w = {.ok = true};

	jw_raw(&w, "{");
	jw_key(&w, "pci", true);
	jw_str(&w, pf->pci);
	put_u64(&w, "total_icm", pf->total_icm);
	jw_key(&w, "nic_cap_reg", false);
	jw_bool(&w, pf->nic_cap_reg);
	jw_key(&w, "vhca_icm_ctrl", false);
	jw_bool(&w, pf->vhca_icm_ctrl);
	put_u64(&w, "group_id_max", pf->group_id_max);
	put_u64(&w, "enabled_vfs", pf->enabled_vfs);
	put_u64(&w, "inject_status", pf->inject_status);
	put_u64(&w, "inject_count", pf->inject_count);
	put_u64(&w, "inject_after", pf->inject_after);
	jw_key(&w, "access_register_user", false);
	jw_bool(&w, pf->access_register_user);
	put_u64(&w, "cap_round", pf->cap_round);
	jw_key(&w, "funcs", false);
	jw_raw(&w, "[");
	for (size_t i = 0; i < pf->nfuncs; i++) {
		const struct simfw_func *fn = &pf->funcs[i];

		jw_raw(&w, i ? ",{" : "{");
		jw_key(&w, "function_id", true);
		jw_i64(&w, fn->function_id);
		put_u64(&w, "vhca_id", fn->vhca_id);
		put_u64(&w, "cap", fn->cap);
		put_u64(&w, "cur", fn->cur);
		put_u64(&w, "max_reached", fn->max_reached);
		put_u64(&w, "group", fn->group);
		put_u64(&w, "granted", fn->granted);
		put_u64(&w, "refused", fn->refused);
		jw_raw(&w, "}");
	}
	jw_raw(&w, "]");
	jw_key(&w, "groups", false);
	jw_raw(&w, "[");
	for (uint16_t g = 0; g < pf->group_id_max; g++) {
		const struct simfw_group *grp = &pf->groups[g];

		jw_raw(&w, g ? ",{" : "{");
		jw_key(&w, "id", true);
		jw_i64(&w, grp->id);
		put_u64(&w, "cap", grp->cap);
		/* Derived from the members; kept for whoever reads the file. */
		put_u64(&w, "cur", grp->cur);
		put_u64(&w, "max_reached", grp->max_reached);
		jw_raw(&w, "}");
	}
	jw_raw(&w, "]}");
	if (!w.ok) {
		buf_free(&w);
		return NULL;
	}
	return w.data;
}

/* Reads a JSON file's field, range-checked; the errors name path and key. */
struct json_reader {
	const char *path;
	struct iq_err *err;
	int rc;
};

static uint64_t get_uint(struct json_reader *rd, json_object *obj,
			 const char *key, uint64_t max)
{
	json_object *val;
	int64_t v;

	if (rd->rc)
		return 0;
	if (!json_object_object_get_ex(obj, key, &val) ||
	    !json_object_is_type(val, json_type_int)) {
		rd->rc = iq_fail(rd->err, IQ_EENV,
				 "%s: sim state: field \"%s\" missing or not "
				 "an integer: re-create it with icmquota sim "
				 "init",
				 rd->path, key);
		return 0;
	}
	v = json_object_get_int64(val);
	if (v < 0 || (uint64_t)v > max) {
		rd->rc = iq_fail(
			rd->err, IQ_EENV,
			"%s: sim state: field \"%s\" = %lld is out of "
			"range 0..%llu: re-create it with icmquota sim "
			"init",
			rd->path, key, (long long)v, (unsigned long long)max);
		return 0;
	}
	return (uint64_t)v;
}

static bool get_bool(struct json_reader *rd, json_object *obj, const char *key)
{
	json_object *val;

	if (rd->rc)
		return false;
	if (!json_object_object_get_ex(obj, key, &val) ||
	    !json_object_is_type(val, json_type_boolean)) {
		rd->rc = iq_fail(rd->err, IQ_EENV,
				 "%s: sim state: field \"%s\" missing or not "
				 "a boolean: re-create it with icmquota sim "
				 "init",
				 rd->path, key);
		return false;
	}
	return json_object_get_boolean(val);
}

static json_object *get_array(struct json_reader *rd, json_object *obj,
			      const char *key)
{
	json_object *val;

	if (rd->rc)
		return NULL;
	if (!json_object_object_get_ex(obj, key, &val) ||
	    !json_object_is_type(val, json_type_array)) {
		rd->rc =
			iq_fail(rd->err, IQ_EENV,
				"%s: sim state: field \"%s\" missing or not "
				"an array: re-create it with icmquota sim init",
				rd->path, key);
		return NULL;
	}
	return val;
}

static void read_funcs(struct json_reader *rd, json_object *arr,
		       struct simfw_pf *pf)
{
	size_t n = json_object_array_length(arr);

	if (n == 0 || n > UINT16_MAX) {
		rd->rc = iq_fail(rd->err, IQ_EENV,
				 "%s: sim state: \"funcs\" has %zu entries "
				 "(expected the PF and its VFs): re-create it "
				 "with icmquota sim init",
				 rd->path, n);
		return;
	}
	pf->funcs = calloc(n, sizeof(*pf->funcs));
	if (!pf->funcs) {
		rd->rc = iq_fail(rd->err, IQ_EENV, "%s: out of memory",
				 rd->path);
		return;
	}
	pf->nfuncs = n;
	for (size_t i = 0; i < n && !rd->rc; i++) {
		json_object *f = json_object_array_get_idx(arr, i);
		struct simfw_func *fn = &pf->funcs[i];

		fn->function_id = get_uint(rd, f, "function_id", UINT16_MAX);
		fn->vhca_id = get_uint(rd, f, "vhca_id", UINT16_MAX);
		fn->cap = get_uint(rd, f, "cap", UINT32_MAX);
		fn->cur = get_uint(rd, f, "cur", UINT32_MAX);
		fn->max_reached = get_uint(rd, f, "max_reached", UINT32_MAX);
		fn->group = get_uint(rd, f, "group", pf->group_id_max);
		fn->granted = get_uint(rd, f, "granted", INT64_MAX);
		fn->refused = get_uint(rd, f, "refused", INT64_MAX);
	}
}

static void read_groups(struct json_reader *rd, json_object *arr,
			struct simfw_pf *pf)
{
	size_t n = json_object_array_length(arr);

	if (n != pf->group_id_max) {
		rd->rc = iq_fail(rd->err, IQ_EENV,
				 "%s: sim state: \"groups\" has %zu entries, "
				 "group_id_max is %u: re-create it with "
				 "icmquota sim init",
				 rd->path, n, pf->group_id_max);
		return;
	}
	if (n == 0)
		return;
	pf->groups = calloc(n, sizeof(*pf->groups));
	if (!pf->groups) {
		rd->rc = iq_fail(rd->err, IQ_EENV, "%s: out of memory",
				 rd->path);
		return;
	}
	for (size_t i = 0; i < n && !rd->rc; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		struct simfw_group *grp = &pf->groups[i];

		grp->id = get_uint(rd, o, "id", UINT16_MAX);
		grp->cap = get_uint(rd, o, "cap", UINT32_MAX);
		grp->max_reached = get_uint(rd, o, "max_reached", UINT32_MAX);
		if (!rd->rc && grp->id != i + 1)
			rd->rc = iq_fail(rd->err, IQ_EENV,
					 "%s: sim state: group %zu has id %u "
					 "(groups are numbered 1..): re-create "
					 "it with icmquota sim init",
					 rd->path, i + 1, grp->id);
	}
}

static int pf_from_json(const char *path, const char *text, struct simfw_pf *pf,
			struct iq_err *err)
{
	struct json_reader rd = {.path = path, .err = err, .rc = IQ_OK};
	enum json_tokener_error jerr;
	json_object *root;
	json_object *pci;

	memset(pf, 0, sizeof(*pf));
	root = json_tokener_parse_verbose(text, &jerr);
	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return iq_fail(err, IQ_EENV,
			       "%s: sim state is not a JSON object (%s): "
			       "re-create it with icmquota sim init",
			       path,
			       root ? "wrong type"
				    : json_tokener_error_desc(jerr));
	}
	if (!json_object_object_get_ex(root, "pci", &pci) ||
	    !pci_addr_normalize(json_object_get_string(pci), pf->pci))
		rd.rc = iq_fail(err, IQ_EENV,
				"%s: sim state: field \"pci\" missing or not a "
				"PCI address: re-create it with icmquota sim "
				"init",
				path);
	pf->total_icm = get_uint(&rd, root, "total_icm", UINT32_MAX);
	pf->nic_cap_reg = get_bool(&rd, root, "nic_cap_reg");
	pf->vhca_icm_ctrl = get_bool(&rd, root, "vhca_icm_ctrl");
	pf->group_id_max = get_uint(&rd, root, "group_id_max", UINT16_MAX);
	pf->enabled_vfs = get_uint(&rd, root, "enabled_vfs", UINT16_MAX);
	/* Optional: states written before it have none (set). */
	pf->access_register_user = true;
	if (json_object_object_get_ex(root, "access_register_user", NULL))
		pf->access_register_user =
			get_bool(&rd, root, "access_register_user");
	if (json_object_object_get_ex(root, "cap_round", NULL))
		pf->cap_round = get_uint(&rd, root, "cap_round", UINT32_MAX);
	/* Optional: states written before fault injection have none. */
	if (json_object_object_get_ex(root, "inject_count", NULL)) {
		pf->inject_status = get_uint(&rd, root, "inject_status", 0xff);
		pf->inject_count =
			get_uint(&rd, root, "inject_count", UINT32_MAX);
	}
	if (json_object_object_get_ex(root, "inject_after", NULL))
		pf->inject_after =
			get_uint(&rd, root, "inject_after", UINT32_MAX);
	if (!rd.rc)
		read_groups(&rd, get_array(&rd, root, "groups"), pf);
	if (!rd.rc)
		read_funcs(&rd, get_array(&rd, root, "funcs"), pf);
	json_object_put(root);
	if (rd.rc) {
		simfw_pf_free(pf);
		return rd.rc;
	}
	simfw_groups_recompute(pf);
	if (simfw_pf_index(pf) < 0) {
		simfw_pf_free(pf);
		return iq_fail(err, IQ_EENV, "%s: out of memory", path);
	}
	return IQ_OK;
}

static int lock_open(const char *root, const char *pci, int *lock_fd,
		     struct iq_err *err)
{
	char path[PATH_MAX];
	int fd;
	int rc;

	rc = state_path(path, sizeof(path), root, pci, ".lock", err);
	if (rc)
		return rc;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return iq_fail(err, IQ_EENV,
			       "%s: sim: cannot open lock %s: %s (run icmquota "
			       "sim init, or check the permissions of the "
			       "simulated root)",
			       pci, path, strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		rc = iq_fail(err, IQ_EENV, "%s: sim: cannot lock %s: %s", pci,
			     path, strerror(errno));
		close(fd);
		return rc;
	}
	*lock_fd = fd;
	return IQ_OK;
}

static void lock_close(int lock_fd)
{
	if (lock_fd < 0)
		return;
	flock(lock_fd, LOCK_UN);
	close(lock_fd);
}

/* PCI.json.memo beside PCI.json; false when the name does not fit. */
static bool memo_path(char *out, size_t len, const char *path)
{
	return (size_t)snprintf(out, len, "%s.memo", path) < len;
}

/*
 * The state in text: from its memo when the memo holds this text (the
 * test build parses it as well and stops when the two differ), else
 * parsed, and the memo kept for the next process.
 */
static int pf_from_text(const char *path, const char *text, size_t len,
			struct simfw_pf *pf, struct iq_err *err)
{
	char memo[PATH_MAX];
	bool named = memo_worth(len) && memo_path(memo, sizeof(memo), path);
	int rc;

	if (named && simfw_memo_read(memo, text, len, pf)) {
#ifdef MEMO_VERIFY
		struct simfw_pf parsed;

		if (pf_from_json(path, text, &parsed, err) ||
		    !simfw_memo_same(pf, &parsed)) {
			fprintf(stderr, "%s: the memo differs from the file\n",
				path);
			abort();
		}
		simfw_pf_free(&parsed);
#endif
		return IQ_OK;
	}
	rc = pf_from_json(path, text, pf, err);
	if (rc == IQ_OK && named)
		simfw_memo_write(memo, text, len, pf);
	return rc;
}

int simfw_pf_save(const char *root, const struct simfw_pf *pf,
		  struct iq_err *err)
{
	char path[PATH_MAX], memo[PATH_MAX];
	char *text;
	int rc;

	rc = state_path(path, sizeof(path), root, pf->pci, ".json", err);
	if (rc)
		return rc;
	text = pf_to_json(pf);
	if (!text)
		return iq_fail(err, IQ_EENV, "%s: out of memory", path);
	/* Not durable: a simulation need not survive a power cut. */
	rc = file_write_atomic(path, text, strlen(text), false, err);
	if (rc == IQ_OK && memo_worth(strlen(text)) &&
	    memo_path(memo, sizeof(memo), path))
		simfw_memo_write(memo, text, strlen(text), pf);
	free(text);
	return rc;
}

static int check_new_pf(const struct simfw_pf *pf, struct iq_err *err)
{
	char pci[PCI_ADDR_LEN];

	if (!pci_addr_normalize(pf->pci, pci) || strcmp(pci, pf->pci) != 0)
		return iq_fail(err, IQ_EUSAGE,
			       "sim: \"%s\" is not a normalised PCI address "
			       "(DDDD:BB:SS.F)",
			       pf->pci);
	if (pf->nfuncs == 0 || !pf->funcs)
		return iq_fail(err, IQ_EUSAGE,
			       "%s: sim: a PF needs at least its own function",
			       pf->pci);
	if (pf->enabled_vfs >= pf->nfuncs)
		return iq_fail(err, IQ_EUSAGE,
			       "%s: sim: %u VFs enabled but only %zu exist",
			       pf->pci, pf->enabled_vfs, pf->nfuncs - 1);
	for (size_t i = 0; i < pf->nfuncs; i++)
		if (pf->funcs[i].group > pf->group_id_max)
			return iq_fail(err, IQ_EUSAGE,
				       "%s: sim: function %u is in group %u, "
				       "above group_id_max %u",
				       pf->pci, pf->funcs[i].function_id,
				       pf->funcs[i].group, pf->group_id_max);
	return IQ_OK;
}

int simfw_pf_create(const char *root, const struct simfw_pf *pf,
		    struct iq_err *err)
{
	struct simfw_pf copy = *pf;
	char dir[PATH_MAX];
	int lock_fd = -1;
	int rc;

	rc = check_new_pf(pf, err);
	if (rc)
		return rc;
	if (path_join(dir, sizeof(dir), root, "/" SIMFW_DIR "/fw") < 0)
		return iq_fail(err, IQ_EENV, "%s: sim: path too long under %s",
			       pf->pci, root);
	rc = mkdir_p(dir, 0755, err);
	if (rc)
		return rc;

	/*
	 * Work on a copy of the groups: their cur is derived here. Groups not
	 * given are all unlimited, as on a fresh device.
	 */
	copy.groups = NULL;
	if (pf->group_id_max) {
		copy.groups = calloc(pf->group_id_max, sizeof(*copy.groups));
		if (!copy.groups)
			return iq_fail(err, IQ_EENV, "%s: out of memory",
				       pf->pci);
		for (uint16_t g = 0; g < pf->group_id_max; g++) {
			if (pf->groups)
				copy.groups[g] = pf->groups[g];
			else
				copy.groups[g].cap = PRM_ICM_UNLIMITED;
			copy.groups[g].id = g + 1;
		}
		simfw_groups_recompute(&copy);
	}

	rc = lock_open(root, pf->pci, &lock_fd, err);
	if (!rc)
		rc = simfw_pf_save(root, &copy, err);
	lock_close(lock_fd);
	free(copy.groups);
	return rc;
}

int simfw_pf_lock(const char *root, const char *pci, int *lock_fd,
		  struct iq_err *err)
{
	char path[PATH_MAX];
	int rc;

	*lock_fd = -1;
	rc = state_path(path, sizeof(path), root, pci, ".json", err);
	if (rc)
		return rc;
	if (access(path, F_OK) < 0)
		return iq_fail(err, IQ_EENV,
			       "%s: sim: no simulated firmware for this PF "
			       "(%s: %s): run icmquota sim init",
			       pci, path, strerror(errno));
	return lock_open(root, pci, lock_fd, err);
}

void simfw_pf_release(int lock_fd)
{
	lock_close(lock_fd);
}

int simfw_pf_load(const char *root, const char *pci, struct simfw_pf *pf,
		  int *state_fd, struct iq_err *err)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len;
	int fd = -1;
	int rc;

	memset(pf, 0, sizeof(*pf));
	if (state_fd)
		*state_fd = -1;
	rc = state_path(path, sizeof(path), root, pci, ".json", err);
	if (rc)
		return rc;
	/* Under the lock the file is not replaced between open and read. */
	if (state_fd) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return iq_fail(err, IQ_EENV,
				       "%s: sim: cannot open %s: %s (run "
				       "icmquota sim init)",
				       pci, path, strerror(errno));
	}
	rc = file_read_all(path, &text, &len, err);
	if (!rc)
		rc = pf_from_text(path, text, len, pf, err);
	free(text);
	if (!rc && strcmp(pf->pci, pci) != 0)
		rc = iq_fail(err, IQ_EENV,
			     "%s: sim state names PF %s: re-create it with "
			     "icmquota sim init",
			     path, pf->pci);
	if (rc) {
		simfw_pf_free(pf);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (state_fd)
		*state_fd = fd;
	return IQ_OK;
}

bool simfw_pf_unchanged(const char *root, const char *pci, int state_fd)
{
	char path[PATH_MAX];
	struct iq_err ignored = {0};
	struct stat now, then;

	/*
	 * The state is only ever replaced whole (rename), and state_fd keeps
	 * the loaded file's inode from being reused: same inode, same state.
	 */
	return state_fd >= 0 &&
	       state_path(path, sizeof(path), root, pci, ".json", &ignored) ==
		       IQ_OK &&
	       stat(path, &now) == 0 && fstat(state_fd, &then) == 0 &&
	       now.st_ino == then.st_ino && now.st_dev == then.st_dev;
}

int simfw_pf_lock_load(const char *root, const char *pci, struct simfw_pf *pf,
		       int *lock_fd, struct iq_err *err)
{
	int rc;

	memset(pf, 0, sizeof(*pf));
	rc = simfw_pf_lock(root, pci, lock_fd, err);
	if (rc)
		return rc;
	rc = simfw_pf_load(root, pci, pf, NULL, err);
	if (rc) {
		lock_close(*lock_fd);
		*lock_fd = -1;
	}
	return rc;
}

int simfw_pf_unlock(const char *root, struct simfw_pf *pf, int lock_fd,
		    bool dirty, struct iq_err *err)
{
	int rc = IQ_OK;

	if (dirty)
		rc = simfw_pf_save(root, pf, err);
	lock_close(lock_fd);
	simfw_pf_free(pf);
	return rc;
}

int simfw_inject(const char *root, const char *pci, uint8_t status,
		 uint32_t count, uint32_t after, struct iq_err *err)
{
	struct simfw_pf pf;
	int lock_fd;
	int rc = simfw_pf_lock_load(root, pci, &pf, &lock_fd, err);

	if (rc)
		return rc;
	pf.inject_status = count ? status : 0;
	pf.inject_count = count;
	pf.inject_after = count ? after : 0;
	return simfw_pf_unlock(root, &pf, lock_fd, true, err);
}

static bool is_state_name(const char *name, char pci[PCI_ADDR_LEN])
{
	size_t len = strlen(name);
	char stem[PCI_ADDR_LEN];

	/* "DDDD:BB:SS.F.json", the domain 4 to 8 digits. */
	if (len < 12 + 5 || len > PCI_ADDR_LEN - 1 + 5 ||
	    strcmp(name + len - 5, ".json"))
		return false;
	memcpy(stem, name, len - 5);
	stem[len - 5] = '\0';
	return pci_addr_normalize(stem, pci) && strcmp(stem, pci) == 0;
}

static int cmp_pci(const void *a, const void *b)
{
	return pci_addr_cmp(a, b);
}

int simfw_list_pfs(const char *root, char (**pcis)[PCI_ADDR_LEN], size_t *n,
		   struct iq_err *err)
{
	char dir_path[PATH_MAX];
	char(*list)[PCI_ADDR_LEN] = NULL;
	size_t count = 0;
	struct dirent *de;
	DIR *dir;

	*pcis = NULL;
	*n = 0;
	if (path_join(dir_path, sizeof(dir_path), root, "/" SIMFW_DIR "/fw") <
	    0)
		return iq_fail(err, IQ_EENV, "sim: path too long under %s",
			       root);
	dir = opendir(dir_path);
	if (!dir)
		return iq_fail(err, IQ_EENV,
			       "%s: %s: no simulated firmware here (run "
			       "icmquota sim init)",
			       dir_path, strerror(errno));
	while ((errno = 0, de = readdir(dir))) {
		char pci[PCI_ADDR_LEN];
		char(*grown)[PCI_ADDR_LEN];

		if (!is_state_name(de->d_name, pci))
			continue;
		grown = realloc(list, (count + 1) * sizeof(*list));
		if (!grown) {
			free(list);
			closedir(dir);
			return iq_fail(err, IQ_EENV, "%s: out of memory",
				       dir_path);
		}
		list = grown;
		memcpy(list[count++], pci, PCI_ADDR_LEN);
	}
	if (errno) {
		int errnum = errno;

		free(list);
		closedir(dir);
		return iq_fail(err, IQ_EENV, "%s: cannot list: %s", dir_path,
			       strerror(errnum));
	}
	closedir(dir);
	if (count)
		qsort(list, count, sizeof(*list), cmp_pci);
	*pcis = list;
	*n = count;
	return IQ_OK;
}
