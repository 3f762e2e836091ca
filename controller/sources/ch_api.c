// SPDX-License-Identifier: MIT
/*
 * Cloud Hypervisor's API socket: one VMM process per VM serves a REST API
 * on a Unix socket; GET /api/v1/vm.info is asked over lib/http.c (why not
 * libcurl: see there), bounded in size and time, and handed to the VmInfo
 * parser (ch_vminfo.c). Also the directory scan of `apply --ch-socket-dir`.
 */
#include "controller/sources/vm_ch.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/http.h"
#include "lib/text.h"

#define VM_CH_CONNECT_TIMEOUT_S 2
/* CH's router wants this path; the Host field is ignored on a socket. */
#define VM_CH_INFO_PATH "/api/v1/vm.info"

/* How a query went, beyond the error: what vm_ch_list_dir may skip. */
enum ch_outcome {
	CH_ANSWERED,
	CH_NO_VM,   /* the VMM runs, no vm.create yet (404) */
	CH_GONE,    /* nobody listening on the socket */
	CH_MISSING, /* no socket at all: the VMM is gone, confirmed */
	CH_HUNG,    /* a listener that gave no answer in time */
	CH_FAILED,
};

static int no_vmm(const char *socket_path, const char *cause, bool missing,
		  enum ch_outcome *outcome, struct iq_err *err)
{
	*outcome = missing ? CH_MISSING : CH_GONE;
	return iq_fail(err, IQ_EENV,
		       "%s: %s: is cloud-hypervisor running with --api-socket "
		       "path=%s?",
		       socket_path, cause, socket_path);
}

/* The socket file itself, before connecting: the precise cause. */
static int check_socket_file(const char *socket_path, enum ch_outcome *outcome,
			     struct iq_err *err)
{
	struct stat st;

	if (stat(socket_path, &st) < 0) {
		if (errno == ENOENT)
			return no_vmm(socket_path, "no such socket", true,
				      outcome, err);
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

/* A failed exchange as the user can act on it. */
static int http_failure(const struct http_answer *ans, const char *socket_path,
			enum ch_outcome *outcome, struct iq_err *err)
{
	int e = ans->sys_errno;

	switch (ans->failure) {
	case HTTP_FAIL_CONNECT:
		if (e == EACCES || e == EPERM)
			return iq_fail(err, IQ_EENV,
				       "%s: cannot connect: %s (run icmquota "
				       "as root or as the VMM's user)",
				       socket_path, strerror(e));
		if (e == ECONNREFUSED || e == ENOENT) {
			char cause[128];

			snprintf(cause, sizeof(cause), "cannot connect: %s",
				 strerror(e));
			return no_vmm(socket_path, cause, e == ENOENT, outcome,
				      err);
		}
		return iq_fail(err, IQ_EENV,
			       "%s: %s: is cloud-hypervisor running with "
			       "--api-socket path=%s?",
			       socket_path, ans->detail, socket_path);
	case HTTP_FAIL_TIMEOUT:
		*outcome = CH_HUNG;
		return iq_fail(err, IQ_EENV, "%s: no answer in %ds (VMM hung?)",
			       socket_path, VM_CH_TIMEOUT_S);
	case HTTP_FAIL_TOO_LARGE:
	case HTTP_FAIL_MALFORMED:
		return iq_fail(err, IQ_EREFUSED,
			       "%s: not a Cloud Hypervisor API (%s)",
			       socket_path, ans->detail);
	case HTTP_FAIL_BROKEN:
		return iq_fail(err, IQ_EENV,
			       "%s: the VMM broke the connection (%s): did "
			       "cloud-hypervisor exit?",
			       socket_path, ans->detail);
	default:
		return iq_fail(err, IQ_EENV, "%s: GET vm.info failed: %s",
			       socket_path, ans->detail);
	}
}

/* An HTTP status other than 200, with the first line of CH's answer. */
static int status_failure(const struct http_answer *ans,
			  const char *socket_path, enum ch_outcome *outcome,
			  struct iq_err *err)
{
	const char *text = ans->body ? ans->body : "";
	size_t line = strcspn(text, "\r\n");
	char shown[136];

	text_excerpt(text, line, 120, shown, sizeof(shown));
	/* The OpenAPI file says 404; some CH versions answer 500 with the
	 * VmNotCreated error instead: the same fact. */
	if (ans->status == 404 ||
	    (ans->status == 500 &&
	     (strstr(text, "VmNotCreated") || strstr(text, "not created")))) {
		*outcome = CH_NO_VM;
		return iq_fail(err, IQ_EREFUSED,
			       "%s: Cloud Hypervisor has no VM yet (vm.create "
			       "first)",
			       socket_path);
	}
	return iq_fail(err, IQ_EENV, "%s: vm.info answered HTTP %d%s%s%s",
		       socket_path, ans->status, shown[0] ? " (" : "", shown,
		       shown[0] ? ")" : "");
}

/* GET vm.info; on success ans holds the body of a 200. */
static int ch_get_vminfo(const char *socket_path, struct http_answer *ans,
			 enum ch_outcome *outcome, struct iq_err *err)
{
	const struct http_get req = {
		.socket_path = socket_path,
		.target = VM_CH_INFO_PATH,
		.accept = "application/json",
		.body_max = VM_CH_BODY_MAX,
		.connect_ms = VM_CH_CONNECT_TIMEOUT_S * 1000,
		.timeout_ms = VM_CH_TIMEOUT_S * 1000,
	};
	int rc;

	memset(ans, 0, sizeof(*ans));
	rc = check_socket_file(socket_path, outcome, err);
	if (rc)
		return rc;
	if (http_unix_get(&req, ans, err))
		return http_failure(ans, socket_path, outcome, err);
	if (ans->status != 200)
		return status_failure(ans, socket_path, outcome, err);
	return IQ_OK;
}

static int ch_query(const char *socket_path, struct vm_facts *vm, char *state,
		    size_t state_len, enum ch_outcome *outcome,
		    struct iq_err *err)
{
	struct http_answer ans;
	int rc;

	memset(vm, 0, sizeof(*vm));
	if (state && state_len)
		state[0] = '\0';
	*outcome = CH_FAILED;
	rc = ch_get_vminfo(socket_path, &ans, outcome, err);
	if (!rc) {
		rc = vm_from_ch_vminfo(ans.body, ans.body_len, socket_path, vm,
				       state, state_len, err);
		if (!rc)
			*outcome = CH_ANSWERED;
	}
	http_answer_free(&ans);
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

/* No VM behind the socket: no socket, no VM created, or a VM shut down. */
static bool confirms_gone(enum ch_outcome outcome, int rc, const char *state)
{
	return outcome == CH_MISSING || outcome == CH_NO_VM ||
	       (rc == IQ_OK && strcmp(state, "Shutdown") == 0);
}

bool vm_ch_confirmed_gone(struct vm_list *asked, const char *socket_path)
{
	const struct vm_socket_answer *said =
		vm_list_answer(asked, socket_path);
	enum ch_outcome outcome;
	struct iq_err ignored = {0};
	struct vm_facts vm;
	char state[16] = "";
	bool gone;
	int rc;

	if (said)
		return said->confirmed_gone;
	rc = ch_query(socket_path, &vm, state, sizeof(state), &outcome,
		      &ignored);
	if (rc == IQ_OK)
		vm_facts_free(&vm);
	gone = confirms_gone(outcome, rc, state);
	/* Not recorded (out of memory): asked again at worst. */
	if (asked)
		vm_list_record_answer(asked, socket_path, gone, &ignored);
	return gone;
}

/* One socket of the directory: add its VM, skip it, or fail. */
static int list_one(const char *path, struct vm_list *list, unsigned *skipped,
		    unsigned *hung, char *skipped_why, size_t why_len,
		    struct iq_err *err)
{
	enum ch_outcome outcome;
	struct iq_err oom = {0};
	struct vm_facts vm;
	struct stat st;
	char state[16] = "";
	int rc;

	/* A regular file named *.sock is nobody's API socket. */
	if (stat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		return IQ_OK;
	rc = ch_query(path, &vm, state, sizeof(state), &outcome, err);
	/* What it said stands for the rest of the run (vm_list.h). */
	if (vm_list_record_answer(list, path, confirms_gone(outcome, rc, state),
				  &oom)) {
		if (rc == IQ_OK)
			vm_facts_free(&vm);
		return iq_fail(err, IQ_EENV, "out of memory");
	}
	if (outcome == CH_NO_VM) {
		iq_err_clear(err); /* a VMM without a VM runs nothing */
		return IQ_OK;
	}
	if (outcome == CH_GONE || outcome == CH_MISSING || outcome == CH_HUNG) {
		if (*skipped == 0 && skipped_why && why_len)
			snprintf(skipped_why, why_len, "%s", err->msg);
		(*skipped)++;
		*hung += outcome == CH_HUNG;
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
		   unsigned *hung, char *skipped_why, size_t why_len,
		   struct iq_err *err)
{
	struct dirent **names;
	struct iq_err local_err;
	unsigned local_skipped, local_hung;
	int n, rc = IQ_OK;

	if (!err)
		err = &local_err;
	if (!skipped)
		skipped = &local_skipped;
	if (!hung)
		hung = &local_hung;
	*skipped = *hung = 0;
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
			rc = list_one(path, list, skipped, hung, skipped_why,
				      why_len, err);
		} else if (rc == IQ_OK && stat(path, &st) == 0 &&
			   S_ISDIR(st.st_mode)) {
			/* A Kata sandbox: SUBDIR/clh-api.sock. */
			size_t used = strlen(path);

			if (used + 1 + strlen(VM_CH_KATA_SOCK) < sizeof(path)) {
				snprintf(path + used, sizeof(path) - used,
					 "/%s", VM_CH_KATA_SOCK);
				if (stat(path, &st) == 0 &&
				    S_ISSOCK(st.st_mode))
					rc = list_one(path, list, skipped, hung,
						      skipped_why, why_len,
						      err);
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}
