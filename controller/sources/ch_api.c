// SPDX-License-Identifier: MIT
/*
 * Cloud Hypervisor's API socket: one VMM process per VM serves a REST API
 * on a Unix socket; GET /api/v1/vm.info is asked with libcurl (loaded on
 * first use), bounded in size and time, and handed to the VmInfo parser
 * (ch_vminfo.c). Also the directory scan of `apply --ch-socket-dir`.
 */
#include "controller/sources/vm_ch.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "lib/dynlib.h"
#include "lib/text.h"

#define VM_CH_CONNECT_TIMEOUT_S 2
/* The host part is ignored over a Unix socket; CH's router wants a path. */
#define VM_CH_INFO_URL "http://localhost/api/v1/vm.info"

/* How a query went, beyond the error: what vm_ch_list_dir may skip. */
enum ch_outcome {
	CH_ANSWERED,
	CH_NO_VM, /* the VMM runs, no vm.create yet (404) */
	CH_GONE,  /* no socket, nobody listening, or no answer in time */
	CH_FAILED,
};
struct ch_body {
	char *data;
	size_t len;
	bool too_large;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct ch_body *body = user;
	size_t n = size * nmemb;
	char *grown;

	if (n > VM_CH_BODY_MAX - body->len) {
		body->too_large = true;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	grown = realloc(body->data, body->len + n + 1);
	if (!grown)
		return 0;
	memcpy(grown + body->len, ptr, n);
	body->data = grown;
	body->len += n;
	body->data[body->len] = '\0';
	return n;
}

/*
 * libcurl is loaded when a Cloud Hypervisor socket is asked: linking it
 * would cost every run (the libvirt hook's above all) ~4 ms of loading.
 */
static struct {
	bool loaded;
	void (*easy_cleanup)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	CURL *(*easy_init)(void);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	const char *(*easy_strerror)(CURLcode);
	CURLcode (*global_init)(long);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} cu;

static int curl_load(const char *socket_path, struct iq_err *err)
{
	static const struct dynlib_sym syms[] = {
		{"curl_easy_cleanup", (void **)&cu.easy_cleanup},
		{"curl_easy_getinfo", (void **)&cu.easy_getinfo},
		{"curl_easy_init", (void **)&cu.easy_init},
		{"curl_easy_perform", (void **)&cu.easy_perform},
		{"curl_easy_setopt", (void **)&cu.easy_setopt},
		{"curl_easy_strerror", (void **)&cu.easy_strerror},
		{"curl_global_init", (void **)&cu.global_init},
		{"curl_slist_append", (void **)&cu.slist_append},
		{"curl_slist_free_all", (void **)&cu.slist_free_all},
	};
	int rc;

	if (cu.loaded)
		return IQ_OK;
	rc = dynlib_load("libcurl.so.4", syms, sizeof(syms) / sizeof(syms[0]),
			 "install libcurl4", err);
	if (rc)
		return iq_err_prefix(err, "%s", socket_path);
	cu.loaded = true;
	return IQ_OK;
}

static int ch_curl_init(const char *socket_path, struct iq_err *err)
{
	static bool done;

	if (curl_load(socket_path, err))
		return err->code;
	/* Once per process; the CLI is single-threaded. */
	if (!done && cu.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return iq_fail(err, IQ_EENV, "%s: cannot initialise libcurl",
			       socket_path);
	done = true;
	return IQ_OK;
}

static int no_vmm(const char *socket_path, const char *cause,
		  enum ch_outcome *outcome, struct iq_err *err)
{
	*outcome = CH_GONE;
	return iq_fail(err, IQ_EENV,
		       "%s: %s: is cloud-hypervisor running with --api-socket "
		       "path=%s?",
		       socket_path, cause, socket_path);
}

/* The socket file itself, before curl: the precise cause of a failure. */
static int check_socket_file(const char *socket_path, enum ch_outcome *outcome,
			     struct iq_err *err)
{
	struct stat st;

	if (stat(socket_path, &st) < 0) {
		if (errno == ENOENT)
			return no_vmm(socket_path, "no such socket", outcome,
				      err);
		return iq_fail(err, IQ_EENV,
			       "%s: %s (run icmquota as root or as the VMM's "
			       "user)",
			       socket_path, strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return iq_fail(err, IQ_EENV,
			       "%s: not a socket: give the path of "
			       "cloud-hypervisor's --api-socket",
			       socket_path);
	return IQ_OK;
}

/* A curl failure as the user can act on it. */
static int curl_failure(CURL *curl, CURLcode res, const struct ch_body *body,
			const char *socket_path, const char *detail,
			enum ch_outcome *outcome, struct iq_err *err)
{
	long os_errno = 0;

	switch (res) {
	case CURLE_COULDNT_CONNECT:
		cu.easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
		if (os_errno == EACCES || os_errno == EPERM)
			return iq_fail(err, IQ_EENV,
				       "%s: cannot connect: %s (run icmquota "
				       "as root or as the VMM's user)",
				       socket_path, strerror((int)os_errno));
		if (os_errno == ECONNREFUSED || os_errno == ENOENT) {
			char cause[128];

			snprintf(cause, sizeof(cause), "cannot connect: %s",
				 strerror((int)os_errno));
			return no_vmm(socket_path, cause, outcome, err);
		}
		return iq_fail(err, IQ_EENV,
			       "%s: cannot connect: %s: is cloud-hypervisor "
			       "running with --api-socket path=%s?",
			       socket_path, detail, socket_path);
	case CURLE_OPERATION_TIMEDOUT:
		*outcome = CH_GONE;
		return iq_fail(err, IQ_EENV, "%s: no answer in %ds (VMM hung?)",
			       socket_path, VM_CH_TIMEOUT_S);
	case CURLE_WRITE_ERROR:
		if (body->too_large)
			return iq_fail(
				err, IQ_EREFUSED,
				"%s: not a Cloud Hypervisor API (vm.info "
				"answer larger than %u MiB)",
				socket_path, VM_CH_BODY_MAX >> 20);
		return iq_fail(err, IQ_EENV,
			       "%s: out of memory reading vm.info",
			       socket_path);
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_BAD_CONTENT_ENCODING:
		return iq_fail(err, IQ_EREFUSED,
			       "%s: not a Cloud Hypervisor API (%s)",
			       socket_path, detail);
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		return iq_fail(err, IQ_EENV,
			       "%s: the VMM broke the connection (%s): did "
			       "cloud-hypervisor exit?",
			       socket_path, detail);
	default:
		return iq_fail(err, IQ_EENV, "%s: GET vm.info failed: %s",
			       socket_path, detail);
	}
}

/* An HTTP status other than 200, with the first line of CH's answer. */
static int status_failure(long status, const struct ch_body *body,
			  const char *socket_path, enum ch_outcome *outcome,
			  struct iq_err *err)
{
	const char *text = body->data ? body->data : "";
	size_t line = strcspn(text, "\r\n");
	char shown[136];

	text_excerpt(text, line, 120, shown, sizeof(shown));
	/* The OpenAPI file says 404; some CH versions answer 500 with the
	 * VmNotCreated error instead: the same fact. */
	if (status == 404 || (status == 500 && (strstr(text, "VmNotCreated") ||
						strstr(text, "not created")))) {
		*outcome = CH_NO_VM;
		return iq_fail(err, IQ_EREFUSED,
			       "%s: Cloud Hypervisor has no VM yet (vm.create "
			       "first)",
			       socket_path);
	}
	return iq_fail(err, IQ_EENV, "%s: vm.info answered HTTP %ld%s%s%s",
		       socket_path, status, shown[0] ? " (" : "", shown,
		       shown[0] ? ")" : "");
}

/* GET vm.info; on success body holds the answer of a 200. */
static int ch_get_vminfo(const char *socket_path, struct ch_body *body,
			 enum ch_outcome *outcome, struct iq_err *err)
{
	char detail[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	long status = 0;
	CURLcode res;
	CURL *curl;
	int rc;

	rc = ch_curl_init(socket_path, err);
	if (!rc)
		rc = check_socket_file(socket_path, outcome, err);
	if (rc)
		return rc;
	curl = cu.easy_init();
	headers = cu.slist_append(NULL, "Accept: application/json");
	if (!curl || !headers) {
		cu.easy_cleanup(curl);
		cu.slist_free_all(headers);
		return iq_fail(err, IQ_EENV, "%s: cannot set up libcurl",
			       socket_path);
	}
	cu.easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket_path);
	cu.easy_setopt(curl, CURLOPT_URL, VM_CH_INFO_URL);
	cu.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
	cu.easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	/* A proxy from the environment must not capture a local socket. */
	cu.easy_setopt(curl, CURLOPT_NOPROXY, "*");
	cu.easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	cu.easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	cu.easy_setopt(curl, CURLOPT_TIMEOUT, (long)VM_CH_TIMEOUT_S);
	cu.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
		       (long)VM_CH_CONNECT_TIMEOUT_S);
	cu.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(curl, CURLOPT_ERRORBUFFER, detail);
	cu.easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	cu.easy_setopt(curl, CURLOPT_WRITEDATA, body);
	res = cu.easy_perform(curl);
	if (!detail[0])
		snprintf(detail, sizeof(detail), "%s", cu.easy_strerror(res));
	if (res != CURLE_OK)
		rc = curl_failure(curl, res, body, socket_path, detail, outcome,
				  err);
	else if (cu.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) !=
			 CURLE_OK ||
		 status != 200)
		rc = status_failure(status, body, socket_path, outcome, err);
	cu.slist_free_all(headers);
	cu.easy_cleanup(curl);
	return rc;
}

static int ch_query(const char *socket_path, struct vm_facts *vm, char *state,
		    size_t state_len, enum ch_outcome *outcome,
		    struct iq_err *err)
{
	struct ch_body body = {0};
	int rc;

	memset(vm, 0, sizeof(*vm));
	if (state && state_len)
		state[0] = '\0';
	*outcome = CH_FAILED;
	rc = ch_get_vminfo(socket_path, &body, outcome, err);
	if (!rc) {
		rc = vm_from_ch_vminfo(body.data ? body.data : "", body.len,
				       socket_path, vm, state, state_len, err);
		if (!rc)
			*outcome = CH_ANSWERED;
	}
	free(body.data);
	return rc;
}

int vm_ch_query(const char *socket_path, struct vm_facts *vm, char *state,
		size_t state_len, struct iq_err *err)
{
	enum ch_outcome outcome;

	return ch_query(socket_path, vm, state, state_len, &outcome, err);
}

int vm_from_ch_socket(const char *socket_path, struct vm_facts *vm,
		      struct iq_err *err)
{
	return vm_ch_query(socket_path, vm, NULL, 0, err);
}

/* ---- a directory of API sockets -------------------------------------- */

static bool has_suffix(const char *name, const char *suffix)
{
	size_t len = strlen(name), n = strlen(suffix);

	return len > n && strcmp(name + len - n, suffix) == 0;
}

/* NAME.sock, NAME-socket, or a directory that may hold clh-api.sock. */
static int is_api_entry(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

bool vm_ch_confirmed_gone(const char *socket_path)
{
	enum ch_outcome outcome;
	struct iq_err ignored = {0};
	struct vm_facts vm;
	struct stat st;
	char state[16] = "";
	int rc;

	if (stat(socket_path, &st) < 0)
		return errno == ENOENT;
	rc = ch_query(socket_path, &vm, state, sizeof(state), &outcome,
		      &ignored);
	if (rc == IQ_OK)
		vm_facts_free(&vm);
	return outcome == CH_NO_VM ||
	       (rc == IQ_OK && strcmp(state, "Shutdown") == 0);
}

/* One socket of the directory: add its VM, skip it, or fail. */
static int list_one(const char *path, struct vm_list *list, unsigned *skipped,
		    char *skipped_why, size_t why_len, struct iq_err *err)
{
	enum ch_outcome outcome;
	struct vm_facts vm;
	struct stat st;
	char state[16];
	int rc;

	/* A regular file named *.sock is nobody's API socket. */
	if (stat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		return IQ_OK;
	rc = ch_query(path, &vm, state, sizeof(state), &outcome, err);
	if (outcome == CH_NO_VM) {
		iq_err_clear(err); /* a VMM without a VM runs nothing */
		return IQ_OK;
	}
	if (outcome == CH_GONE) {
		if (*skipped == 0 && skipped_why && why_len)
			snprintf(skipped_why, why_len, "%s", err->msg);
		(*skipped)++;
		iq_err_clear(err);
		return IQ_OK;
	}
	if (rc)
		return rc;
	if (strcmp(state, "Shutdown") == 0) {
		vm_facts_free(&vm);
		return IQ_OK;
	}
	/* Two live VMs never share a name: the later one is named by its
	 * socket's path, which is unique. */
	for (size_t i = 0; i < list->n; i++)
		if (strcmp(list->vms[i].name, vm.name) == 0) {
			snprintf(vm.name, sizeof(vm.name), "%s", path);
			break;
		}
	rc = vm_list_push(list, &vm, err);
	vm_facts_free(&vm);
	return rc;
}

int vm_ch_list_dir(const char *dir, struct vm_list *list, unsigned *skipped,
		   char *skipped_why, size_t why_len, struct iq_err *err)
{
	struct dirent **names;
	struct iq_err local_err;
	unsigned local_skipped;
	int n, rc = IQ_OK;

	if (!err)
		err = &local_err;
	if (!skipped)
		skipped = &local_skipped;
	*skipped = 0;
	if (skipped_why && why_len)
		skipped_why[0] = '\0';
	n = scandir(dir, &names, is_api_entry, alphasort);
	if (n < 0)
		return iq_fail(err, IQ_EENV,
			       "%s: cannot list Cloud Hypervisor sockets: %s",
			       dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];

		const char *name = names[i]->d_name;
		struct stat st;

		if (rc == IQ_OK && snprintf(path, sizeof(path), "%s/%s", dir,
					    name) >= (int)sizeof(path))
			rc = iq_fail(err, IQ_EENV, "%s/%s: path too long", dir,
				     name);
		if (rc == IQ_OK && (has_suffix(name, VM_CH_SOCK_SUFFIX) ||
				    has_suffix(name, VM_CH_LIBVIRT_SUFFIX))) {
			rc = list_one(path, list, skipped, skipped_why, why_len,
				      err);
		} else if (rc == IQ_OK && stat(path, &st) == 0 &&
			   S_ISDIR(st.st_mode)) {
			/* A Kata sandbox: SUBDIR/clh-api.sock. */
			size_t used = strlen(path);

			if (used + 1 + strlen(VM_CH_KATA_SOCK) < sizeof(path)) {
				snprintf(path + used, sizeof(path) - used,
					 "/%s", VM_CH_KATA_SOCK);
				if (stat(path, &st) == 0 &&
				    S_ISSOCK(st.st_mode))
					rc = list_one(path, list, skipped,
						      skipped_why, why_len,
						      err);
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}
