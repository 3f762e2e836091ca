// SPDX-License-Identifier: MIT
/*
 * Running libvirt domains through the API (controller/sources/vm_libvirt_live.c),
 * against libvirt's test driver: real libvirt code running in-process,
 * serving the node XML files in tests/fixtures/libvirt-test-driver/ (or its
 * built-in host, test:///default). Each test:///PATH connection reads PATH
 * afresh, so a fixture's test:runstate is how a domain is paused or shut off.
 */
#include "controller/sources/vm_libvirt_live.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/file.h"
#include "tests/unit/test.h"

#define FIXTURES "tests/fixtures/libvirt-test-driver/"

/* test:///ABSOLUTE/PATH of a fixture (the test driver wants an absolute). */
static void fixture_uri(const char *name, char *uri, size_t len)
{
	char abs[PATH_MAX];

	if (!realpath(FIXTURES "", abs)) {
		fprintf(stderr, "realpath %s: %s\n", FIXTURES, strerror(errno));
		abs[0] = '\0';
	}
	snprintf(uri, len, "test://%s/%s", abs, name);
}

/*
 * stderr around a call: library code must never print, and libvirt prints
 * its errors unless told not to. Captured into a temporary file.
 */
struct stderr_capture {
	int saved_fd;
	FILE *file;
};

static void capture_begin(struct stderr_capture *cap)
{
	fflush(stderr);
	cap->file = tmpfile();
	cap->saved_fd = dup(STDERR_FILENO);
	if (cap->file)
		dup2(fileno(cap->file), STDERR_FILENO);
}

/* Restores stderr; returns how many bytes were written to it meanwhile. */
static long capture_end(struct stderr_capture *cap)
{
	long written = -1;

	fflush(stderr);
	dup2(cap->saved_fd, STDERR_FILENO);
	close(cap->saved_fd);
	if (cap->file) {
		fseek(cap->file, 0, SEEK_END);
		written = ftell(cap->file);
		fclose(cap->file);
	}
	return written;
}

static void check_vm(const struct vm_facts *vm, const char *name,
		     const char *uuid, unsigned long long memory_bytes,
		     bool hugepages, const char *class_name)
{
	CHECK_STR(vm->name, name);
	CHECK_STR(vm->uuid, uuid);
	CHECK_U64(vm->memory_bytes, memory_bytes);
	CHECK(vm->hugepages == hugepages);
	CHECK_STR(vm->class_name, class_name);
}

static void check_source(const struct vm_facts *vm, const char *uri)
{
	char expected[1024];

	snprintf(expected, sizeof(expected), "libvirt domain %s (%s)", vm->name,
		 uri);
	CHECK_STR(vm_source(vm), expected);
}

/*
 * The fixture host: running and paused domains are listed, in name order,
 * with every fact; the shut-off one is not.
 */
static void test_node_running_domains(void)
{
	struct vm_list list = {0};
	struct iq_err err = {0};
	struct stderr_capture cap;
	char uri[PATH_MAX + 64];
	long printed;
	int rc;

	fixture_uri("node.xml", uri, sizeof(uri));
	capture_begin(&cap);
	rc = vm_libvirt_list_running(uri, &list, &err);
	printed = capture_end(&cap);
	CHECK_U64(rc, IQ_OK);
	if (rc)
		fprintf(stderr, "error: %s\n", err.msg);
	CHECK_U64(printed, 0);
	CHECK_U64(list.n, 3);
	if (list.n != 3) {
		vm_list_free(&list);
		return;
	}

	/* Paused: it still holds its VF. */
	check_vm(&list.vms[0], "batch-paused",
		 "a9f8e7d6-c5b4-4a39-8281-706f5e4d3c2b", 1024ULL << 20, false,
		 "batch");
	CHECK_U64(list.vms[0].npci, 1);
	if (list.vms[0].npci == 1)
		CHECK_STR(list.vms[0].pci[0], "0000:5e:01.1");
	check_source(&list.vms[0], uri);

	/* Two VFs, sorted although written in reverse; uuid lowercased. */
	check_vm(&list.vms[1], "train-02",
		 "7e1b9c20-5d3a-4f88-b6e2-0a9c4d7f1b32", 4ULL << 30, true,
		 "gpu-1x");
	CHECK_U64(list.vms[1].npci, 2);
	if (list.vms[1].npci == 2) {
		CHECK_STR(list.vms[1].pci[0], "0000:3b:00.2");
		CHECK_STR(list.vms[1].pci[1], "0000:3b:00.3");
	}
	check_source(&list.vms[1], uri);

	/* No passthrough (a virtio NIC is not one), no class. */
	check_vm(&list.vms[2], "web-01", "0b6a4b52-6c6e-4d7f-9a51-2f1d3c4e5a60",
		 512ULL << 20, false, "");
	CHECK_U64(list.vms[2].npci, 0);
	CHECK(list.vms[2].pci == NULL);
	check_source(&list.vms[2], uri);

	for (size_t i = 0; i < list.n; i++)
		CHECK(strcmp(list.vms[i].name, "old-stopped") != 0);
	vm_list_free(&list);
}

/* Live domains go after what the list already holds, which stays intact. */
static void test_appends_to_list(void)
{
	struct vm_list list = {0};
	struct iq_err err = {0};
	char uri[PATH_MAX + 64];
	int rc;

	rc = vm_list_add_libvirt_path(
		&list, "tests/fixtures/libvirt/small-diskless.xml", &err);
	CHECK_U64(rc, IQ_OK);
	fixture_uri("node.xml", uri, sizeof(uri));
	rc = vm_libvirt_list_running(uri, &list, &err);
	CHECK_U64(rc, IQ_OK);
	CHECK_U64(list.n, 4);
	if (list.n == 4) {
		CHECK_STR(list.vms[0].name, "tiny");
		CHECK_STR(vm_source(&list.vms[0]),
			  "tests/fixtures/libvirt/small-diskless.xml");
		CHECK_STR(list.vms[1].name, "batch-paused");
		CHECK_STR(list.vms[2].name, "train-02");
		CHECK_STR(list.vms[3].name, "web-01");
	}
	vm_list_free(&list);
}

/* Nothing running is an empty answer, not an error. */
static void test_none_running(void)
{
	struct vm_list list = {0};
	struct iq_err err = {0};
	char uri[PATH_MAX + 64];
	int rc;

	fixture_uri("none-running.xml", uri, sizeof(uri));
	rc = vm_libvirt_list_running(uri, &list, &err);
	CHECK_U64(rc, IQ_OK);
	CHECK_U64(list.n, 0);
	CHECK(list.vms == NULL);
	vm_list_free(&list);
}

/*
 * libvirt's built-in test host: one running domain "test", 8 GiB maximum
 * (currentMemory is 2 GiB: <memory> is what the guest may use), a disk, a
 * NIC and a balloon at guest PCI addresses, none of them passthrough.
 */
static void test_default_test_host(void)
{
	struct vm_list list = {0};
	struct iq_err err = {0};
	int rc;

	rc = vm_libvirt_list_running("test:///default", &list, &err);
	CHECK_U64(rc, IQ_OK);
	CHECK_U64(list.n, 1);
	if (list.n == 1) {
		check_vm(&list.vms[0], "test",
			 "6695eb01-f6a4-8304-79aa-97f2502e193f", 8ULL << 30,
			 false, "");
		CHECK_U64(list.vms[0].npci, 0);
		CHECK_STR(vm_source(&list.vms[0]),
			  "libvirt domain test (test:///default)");
	}
	vm_list_free(&list);
}

/* One line naming the URI, the cause and the fix; nothing on stderr. */
static void check_connect_error(const char *uri, int rc,
				const struct iq_err *err,
				const struct vm_list *list, long printed)
{
	CHECK_U64(rc, IQ_EENV);
	CHECK_U64(err->code, IQ_EENV);
	CHECK_CONTAINS(err->msg, uri);
	CHECK_CONTAINS(err->msg, "cannot connect");
	CHECK_CONTAINS(err->msg, "is libvirtd running? pass --connect URI");
	CHECK(strchr(err->msg, '\n') == NULL);
	CHECK_U64(list->n, 0);
	CHECK_U64(printed, 0);
}

static void test_missing_node_file(void)
{
	const char *uri = "test:///nonexistent/path.xml";
	struct vm_list list = {0};
	struct iq_err err = {0};
	struct stderr_capture cap;
	long printed;
	int rc;

	capture_begin(&cap);
	rc = vm_libvirt_list_running(uri, &list, &err);
	printed = capture_end(&cap);
	check_connect_error(uri, rc, &err, &list, printed);
	/* libvirt's own cause is kept: it names the file. */
	CHECK_CONTAINS(err.msg, "/nonexistent/path.xml");
	vm_list_free(&list);
}

/* A file that is not a node XML: the test driver refuses to serve it. */
static void test_not_a_node_file(void)
{
	struct vm_list list = {0};
	struct iq_err err = {0};
	struct stderr_capture cap;
	char uri[PATH_MAX + 64];
	long printed;
	int rc;

	fixture_uri("../libvirt/truncated.xml", uri, sizeof(uri));
	capture_begin(&cap);
	rc = vm_libvirt_list_running(uri, &list, &err);
	printed = capture_end(&cap);
	check_connect_error(uri, rc, &err, &list, printed);
	vm_list_free(&list);
}

/* A URI no libvirt driver serves. */
static void test_unknown_driver(void)
{
	const char *uri = "nosuchhypervisor:///system";
	struct vm_list list = {0};
	struct iq_err err = {0};
	struct stderr_capture cap;
	long printed;
	int rc;

	capture_begin(&cap);
	rc = vm_libvirt_list_running(uri, &list, &err);
	printed = capture_end(&cap);
	check_connect_error(uri, rc, &err, &list, printed);
	vm_list_free(&list);
}

static void test_no_uri(void)
{
	struct vm_list list = {0};
	struct iq_err err = {0};

	CHECK_U64(vm_libvirt_list_running(NULL, &list, &err), IQ_EUSAGE);
	CHECK_CONTAINS(err.msg, "--connect");
	iq_err_clear(&err);
	CHECK_U64(vm_libvirt_list_running("", &list, &err), IQ_EUSAGE);
	CHECK_CONTAINS(err.msg, "--connect");
	CHECK_U64(list.n, 0);
}

/*
 * One unusable domain fails the listing with the parser's error under the
 * domain's label, and nothing from the URI reaches the list (a partial view
 * of the running VMs would under-count what the host owes them).
 */
static void test_unusable_domain_adds_nothing(void)
{
	struct vm_list list = {0};
	struct iq_err err = {0};
	char uri[PATH_MAX + 64], label[PATH_MAX + 128];
	int rc;

	rc = vm_list_add_libvirt_path(
		&list, "tests/fixtures/libvirt/small-diskless.xml", &err);
	CHECK_U64(rc, IQ_OK);
	fixture_uri("bad-class.xml", uri, sizeof(uri));
	rc = vm_libvirt_list_running(uri, &list, &err);
	CHECK_U64(rc, IQ_EREFUSED);
	snprintf(label, sizeof(label), "libvirt domain z-bad-class (%s)", uri);
	CHECK_CONTAINS(err.msg, label);
	CHECK_CONTAINS(err.msg, "<class>");
	CHECK(strchr(err.msg, '\n') == NULL);
	CHECK_U64(list.n, 1);
	if (list.n == 1)
		CHECK_STR(list.vms[0].name, "tiny");
	vm_list_free(&list);
}

/* A unix socket at root + path, as a daemon would leave it. */
static bool make_socket(const char *root, const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct iq_err err = {0};
	char full[sizeof(addr.sun_path)], dir[sizeof(addr.sun_path)];
	int fd;
	bool ok;

	if (path_join(full, sizeof(full), root, path))
		return false;
	snprintf(dir, sizeof(dir), "%s", full);
	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, 0755, &err))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", full);
	ok = bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
	close(fd);
	return ok;
}

static void remove_under(const char *root, const char *path)
{
	char full[PATH_MAX];

	if (path_join(full, sizeof(full), root, path) == 0)
		unlink(full);
}

static void rmdir_under(const char *root, const char *path)
{
	char full[PATH_MAX];

	if (path_join(full, sizeof(full), root, path) == 0)
		rmdir(full);
}

/*
 * The default URI follows the daemon's socket: none -> no live source; a
 * regular file where the socket would be is not a daemon; libvirtd's
 * socket, or only virtqemud's read-only one under /var/run, is.
 */
static void test_default_uri(void)
{
	char root[] = "/tmp/iq-lvlive-XXXXXX";
	char file[PATH_MAX];
	struct iq_err err = {0};
	FILE *f;

	if (!mkdtemp(root)) {
		CHECK(!"mkdtemp");
		return;
	}
	CHECK(vm_libvirt_default_uri_at(root) == NULL);

	CHECK_U64(
		mkdir_p(strcat(strcpy(file, root), "/run/libvirt"), 0755, &err),
		IQ_OK);
	strcat(file, "/libvirt-sock");
	f = fopen(file, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	CHECK(vm_libvirt_default_uri_at(root) == NULL);
	unlink(file);

	CHECK(make_socket(root, "/run/libvirt/libvirt-sock"));
	CHECK_STR(vm_libvirt_default_uri_at(root), "qemu:///system");
	remove_under(root, "/run/libvirt/libvirt-sock");
	CHECK(vm_libvirt_default_uri_at(root) == NULL);

	CHECK(make_socket(root, "/var/run/libvirt/virtqemud-sock-ro"));
	CHECK_STR(vm_libvirt_default_uri_at(root), "qemu:///system");
	remove_under(root, "/var/run/libvirt/virtqemud-sock-ro");

	rmdir_under(root, "/var/run/libvirt");
	rmdir_under(root, "/var/run");
	rmdir_under(root, "/var");
	rmdir_under(root, "/run/libvirt");
	rmdir_under(root, "/run");
	CHECK(rmdir(root) == 0);
}

int main(void)
{
	RUN(test_node_running_domains);
	RUN(test_appends_to_list);
	RUN(test_none_running);
	RUN(test_default_test_host);
	RUN(test_missing_node_file);
	RUN(test_not_a_node_file);
	RUN(test_unknown_driver);
	RUN(test_no_uri);
	RUN(test_unusable_domain_adds_nothing);
	RUN(test_default_uri);
	return TEST_SUMMARY("test_vm_libvirt_live");
}
