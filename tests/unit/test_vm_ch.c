// SPDX-License-Identifier: MIT
/*
 * Cloud Hypervisor as a VM source (controller/sources/ch_vminfo.c, ch_api.c).
 *
 * First the VmInfo parser on the fixtures in tests/fixtures/ch/ (shaped
 * exactly as CH's OpenAPI file says) and on inline variations; then the
 * HTTP side against tests/chsim/ch-api-server.py, one server process per
 * case on a socket in a private directory, spawned and reaped by PID.
 */
#include "controller/sources/vm_ch.h"
#include "lib/file.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/test.h"

#define FIXTURES "tests/fixtures/ch/"
#define CHSIM	 "tests/chsim/ch-api-server.py"
#define GiB	 (1ULL << 30)

/*
 * A test parses many documents into one vm: the helpers free what the last
 * parse left, and FREED frees the facts when they go out of scope.
 */
#define FREED __attribute__((cleanup(vm_facts_free)))

extern char **environ;

/* ---- the parser ------------------------------------------------------- */

static int load(const char *name, const char *label, struct vm_facts *vm,
		char *state, size_t state_len, struct iq_err *err)
{
	char path[512], *json = NULL;
	size_t len = 0;
	int rc;

	snprintf(path, sizeof(path), FIXTURES "%s", name);
	iq_err_clear(err);
	rc = file_read_all(path, &json, &len, err);
	CHECK_U64(rc, IQ_OK);
	if (rc)
		return rc;
	vm_facts_free(vm);
	rc = vm_from_ch_vminfo(json, len, label, vm, state, state_len, err);
	free(json);
	return rc;
}

static int parse_text(const char *json, struct vm_facts *vm, char *state,
		      struct iq_err *err)
{
	iq_err_clear(err);
	vm_facts_free(vm);
	return vm_from_ch_vminfo(json, strlen(json), "/run/ch/t.sock", vm,
				 state, 16, err);
}

/* A VmInfo around a fragment of config members (after the payload). */
static int parse_config(struct vm_facts *vm, struct iq_err *err,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int parse_config(struct vm_facts *vm, struct iq_err *err,
			const char *fmt, ...)
{
	char members[4096], json[8192], state[16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(members, sizeof(members), fmt, ap);
	va_end(ap);
	snprintf(json, sizeof(json),
		 "{\"config\": {\"payload\": {\"kernel\": \"/k\"}%s%s}, "
		 "\"state\": \"Running\"}",
		 members[0] ? ", " : "", members);
	return parse_text(json, vm, state, err);
}

/* An error leaves nothing behind (nothing to free, no partial facts). */
static void check_zeroed(const struct vm_facts *vm)
{
	CHECK(vm->pci == NULL);
	CHECK_U64(vm->npci, 0);
	CHECK_STR(vm->name, "");
	CHECK_STR(vm->uuid, "");
	CHECK_STR(vm->class_name, "");
	CHECK_U64(vm->memory_bytes, 0);
	CHECK_STR(vm_source(vm), "");
}

static void check_pci(const struct vm_facts *vm, const char *const *want,
		      size_t nwant)
{
	CHECK_U64(vm->npci, nwant);
	for (size_t i = 0; i < nwant && i < vm->npci; i++)
		CHECK_STR(vm->pci[i], want[i]);
}

static const char *const gpu8x_pci[] = {
	"0000:18:00.0", "0000:2a:00.0", "0000:3a:00.0", "0000:3b:00.2",
	"0000:3b:00.3", "0000:5d:00.0", "0000:9a:00.0", "0000:ab:00.0",
	"0000:af:00.2", "0000:ba:00.0", "0000:d8:00.2", "0000:db:00.0",
};

static void check_gpu8x(const struct vm_facts *vm, const char *name)
{
	CHECK_STR(vm->name, name);
	/* The deprecated platform.uuid, given in upper case. */
	CHECK_STR(vm->uuid, "4dea22b3-1d52-d8f3-2516-782e98ab3fa0");
	CHECK_U64(vm->memory_bytes, 1024 * GiB);
	CHECK(vm->hugepages);
	CHECK_STR(vm->class_name, "gpu-8x");
	/* GPUs and VFs, trailing slash or not, upper-case hex, and a VF
	 * named by its /sys/devices path: all sorted, normalised. */
	check_pci(vm, gpu8x_pci, sizeof(gpu8x_pci) / sizeof(gpu8x_pci[0]));
}

static void test_fixture_gpu_8x(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;
	char state[16];

	CHECK_U64(load("gpu-8x.json", "/run/ch/train-01.sock", &vm, state,
		       sizeof(state), &err),
		  IQ_OK);
	check_gpu8x(&vm, "train-01");
	CHECK_STR(state, "Running");
	CHECK_STR(vm_source(&vm), "/run/ch/train-01.sock");
	vm_facts_free(&vm);
}

/*
 * Memory zones with huge pages per zone: 512 GiB in 1 GiB pages, 512 GiB
 * ordinary, 16 GiB in the default size (hugepage_size null); the zones'
 * host_numa_node 0 and 1.
 */
static void test_fixture_zones_mixed_hugepages(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;
	char state[16];

	CHECK_U64(load("zones-mixed-hugepages.json", "/run/ch/mixed.sock", &vm,
		       state, sizeof(state), &err),
		  IQ_OK);
	CHECK_U64(vm.memory_bytes, 1040 * GiB);
	CHECK(vm.hugepages);
	CHECK_U64(vm.nhuge, 2);
	CHECK_U64(vm_huge_bytes_of_size(&vm, GiB, 2 << 20), 512 * GiB);
	/* null: the host's default size, here 2 MiB. */
	CHECK_U64(vm_huge_bytes_of_size(&vm, 2 << 20, 2 << 20), 16 * GiB);
	CHECK_U64(vm_huge_bytes(&vm), 528 * GiB);
	/* Each zone's host_numa_node binds its pages to that node's pool. */
	CHECK_U64(vm.huge[0].page_bytes, GiB);
	CHECK_U64(vm.huge[0].host_nodes, 1u << 0);
	CHECK_U64(vm.huge[1].page_bytes, 0);
	CHECK_U64(vm.huge[1].host_nodes, 1u << 1);
	vm_facts_free(&vm);
}

/* VFIO device paths at Intel VMD domains (10000: and above). */
static void test_fixture_vmd_domains(void)
{
	static const char *const want[] = {"10000:0c:00.2", "10001:01:00.0"};
	struct vm_facts vm FREED = {0};
	struct iq_err err;
	char state[16];

	CHECK_U64(load("vmd-devices.json", "/run/ch/vmd-1.sock", &vm, state,
		       sizeof(state), &err),
		  IQ_OK);
	CHECK_U64(vm.memory_bytes, 16 * GiB);
	check_pci(&vm, want, 2);
	vm_facts_free(&vm);
}

static void test_fixture_memory_zones(void)
{
	static const char *const want[] = {"0000:3b:00.5", "0000:5e:00.4"};
	struct vm_facts vm FREED = {0};
	struct iq_err err;
	char state[16];

	CHECK_U64(load("numa-zones.json", "numa-a.sock", &vm, state,
		       sizeof(state), &err),
		  IQ_OK);
	CHECK_STR(vm.name, "numa-a");
	CHECK_STR(vm.uuid, "0f5b7ac4-2c41-4e8a-9d0c-3f7e51a2b6d9");
	/* size 0 + 32 GiB + (32 GiB + 8 GiB hotplugged) */
	CHECK_U64(vm.memory_bytes, 72 * GiB);
	/* memory.hugepages is false, but the empty default region holds
	 * nothing: every byte is in hugepage-backed zones. */
	CHECK(vm.hugepages);
	CHECK_STR(vm.class_name, "");
	check_pci(&vm, want, 2);
	CHECK_STR(state, "Paused");
	vm_facts_free(&vm);
}

static void test_fixture_created(void)
{
	static const char *const want[] = {"0000:3b:00.7", "0000:3b:01.1"};
	struct vm_facts vm FREED = {0};
	struct iq_err err;
	char state[16];

	CHECK_U64(load("created-small.json", "/run/ch/small-1.sock", &vm, state,
		       sizeof(state), &err),
		  IQ_OK);
	CHECK_STR(vm.name, "small-1");
	CHECK_STR(vm.uuid, "");
	CHECK_U64(vm.memory_bytes, 8 * GiB);
	CHECK(!vm.hugepages);
	CHECK_STR(vm.class_name, "small");
	check_pci(&vm, want, 2);
	CHECK_STR(state, "Created");
	vm_facts_free(&vm);
}

static void test_fixture_not_pci_device(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;
	char state[16] = "x";

	CHECK_U64(load("mdev-device.json", "/run/ch/vgpu.sock", &vm, state,
		       sizeof(state), &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "/run/ch/vgpu.sock: config.devices[1] (id "
				"'vgpu0'): path '/sys/bus/mdev/devices/");
	CHECK_CONTAINS(err.msg, "does not end in a PCI address");
	CHECK(!strchr(err.msg, '\n'));
	check_zeroed(&vm);
	CHECK_STR(state, "");
}

static void test_names_from_label(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;
	const char *json = "{\"config\": {\"payload\": {}, \"memory\": "
			   "{\"size\": 1073741824}}, \"state\": \"Running\"}";

	CHECK_U64(vm_from_ch_vminfo(json, strlen(json), "db-7.sock", &vm, NULL,
				    0, &err),
		  IQ_OK);
	CHECK_STR(vm.name, "db-7");
	CHECK_STR(vm_source(&vm), "db-7.sock");
	CHECK_U64(vm.memory_bytes, GiB);
	CHECK_U64(vm.npci, 0);
	/* Only ".sock" is cut. */
	vm_facts_free(&vm);
	CHECK_U64(vm_from_ch_vminfo(json, strlen(json), "/run/ch/api.socket",
				    &vm, NULL, 0, &err),
		  IQ_OK);
	CHECK_STR(vm.name, "api.socket");
	vm_facts_free(&vm);
	CHECK_U64(vm_from_ch_vminfo(json, strlen(json), "/run/ch/", &vm, NULL,
				    0, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "NAME.sock");
	check_zeroed(&vm);
}

static void test_memory_model(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	/* Top-level hotplugged memory counts: the guest has it now. */
	CHECK_U64(parse_config(&vm, &err,
			       "\"memory\": {\"size\": 4294967296, "
			       "\"hotplug_size\": 8589934592, "
			       "\"hotplugged_size\": 2147483648}"),
		  IQ_OK);
	CHECK_U64(vm.memory_bytes, 6 * GiB);
	CHECK(!vm.hugepages);
	/* A default region and zones add up; each region with huge pages is
	 * charged to them, one without is ordinary memory. */
	CHECK_U64(parse_config(&vm, &err,
			       "\"memory\": {\"size\": 2147483648, "
			       "\"hugepages\": true, \"zones\": ["
			       "{\"id\": \"z0\", \"size\": 1073741824, "
			       "\"hugepages\": true}, "
			       "{\"id\": \"z1\", \"size\": 1073741824}]}"),
		  IQ_OK);
	CHECK_U64(vm.memory_bytes, 4 * GiB);
	CHECK(vm.hugepages);
	CHECK_U64(vm_huge_bytes(&vm), 3 * GiB);
	CHECK_U64(parse_config(&vm, &err,
			       "\"memory\": {\"size\": 2147483648, "
			       "\"hugepages\": true, \"zones\": ["
			       "{\"id\": \"z0\", \"size\": 1073741824, "
			       "\"hugepages\": true}]}"),
		  IQ_OK);
	CHECK_U64(vm.memory_bytes, 3 * GiB);
	CHECK(vm.hugepages);
	/* An empty zone does not spoil a hugepage-backed VM. */
	CHECK_U64(parse_config(&vm, &err,
			       "\"memory\": {\"size\": 0, \"zones\": ["
			       "{\"id\": \"z0\", \"size\": 1073741824, "
			       "\"hugepages\": true}, "
			       "{\"id\": \"z1\", \"size\": 0}]}"),
		  IQ_OK);
	CHECK(vm.hugepages);
	/* Unset Options serialise as null in CH: the same as absent. */
	CHECK_U64(
		parse_config(&vm, &err,
			     "\"memory\": {\"size\": 1073741824, \"zones\": "
			     "null, \"hugepages\": null, \"hotplugged_size\": "
			     "null}, \"devices\": null, \"platform\": null"),
		IQ_OK);
	CHECK_U64(vm.memory_bytes, GiB);
	CHECK_U64(vm.npci, 0);
	/* Sizes above 2^63 are still bytes (u64 in CH). */
	CHECK_U64(parse_config(&vm, &err,
			       "\"memory\": {\"size\": 9223372036854775808}"),
		  IQ_OK);
	CHECK_U64(vm.memory_bytes, 1ULL << 63);
}

static void expect_malformed(const char *members, const char *needle)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	CHECK_U64(parse_config(&vm, &err, "%s", members), IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "/run/ch/t.sock: ");
	CHECK_CONTAINS(err.msg, needle);
	CHECK(!strchr(err.msg, '\n'));
	check_zeroed(&vm);
}

static void test_memory_errors(void)
{
	expect_malformed("", "malformed vm.info: config.memory is missing");
	expect_malformed("\"memory\": [1]",
			 "malformed vm.info: config.memory is not an object");
	expect_malformed("\"memory\": {}",
			 "malformed vm.info: config.memory.size is missing");
	expect_malformed("\"memory\": {\"size\": null}",
			 "malformed vm.info: config.memory.size is missing");
	expect_malformed("\"memory\": {\"size\": \"8G\"}",
			 "malformed vm.info: config.memory.size is not an "
			 "integer");
	expect_malformed("\"memory\": {\"size\": 1.5e9}",
			 "config.memory.size is not an integer");
	expect_malformed("\"memory\": {\"size\": -1}",
			 "config.memory.size is negative");
	expect_malformed("\"memory\": {\"size\": 1, \"hugepages\": \"yes\"}",
			 "config.memory.hugepages is not a boolean");
	expect_malformed("\"memory\": {\"size\": 0, \"zones\": {}}",
			 "config.memory.zones is not an array");
	expect_malformed("\"memory\": {\"size\": 0, \"zones\": [7]}",
			 "config.memory.zones[0] is not an object");
	expect_malformed("\"memory\": {\"size\": 0, \"zones\": [{\"id\": "
			 "\"a\", \"size\": 1}, {\"id\": \"b\"}]}",
			 "config.memory.zones[1].size is missing");
	expect_malformed("\"memory\": {\"size\": 0}",
			 "config.memory.size is 0 and no zone has memory");
	expect_malformed("\"memory\": {\"size\": 18446744073709551615, "
			 "\"zones\": [{\"id\": \"a\", \"size\": 1}]}",
			 "more than 16 EiB");
}

static void test_platform(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;

	/* system_uuid is the current name, uuid the deprecated one. */
	CHECK_U64(
		parse_config(&vm, &err,
			     "\"memory\": {\"size\": 1}, \"platform\": "
			     "{\"system_uuid\": "
			     "\"8F0C1A3E5B2D4C7E9A612F3B4C5D6E7F\", \"uuid\": "
			     "\"4dea22b3-1d52-d8f3-2516-782e98ab3fa0\"}"),
		IQ_OK);
	CHECK_STR(vm.uuid, "8f0c1a3e-5b2d-4c7e-9a61-2f3b4c5d6e7f");
	/* The same class twice is one class; other OEM strings ignored. */
	CHECK_U64(
		parse_config(&vm, &err,
			     "\"memory\": {\"size\": 1}, \"platform\": "
			     "{\"oem_strings\": [\"icmquota.class=a\", "
			     "\"icmquota.classic=b\", \"icmquota.class=a\"]}"),
		IQ_OK);
	CHECK_STR(vm.class_name, "a");
	CHECK_STR(vm.uuid, "");
	expect_malformed("\"memory\": {\"size\": 1}, \"platform\": {\"uuid\": "
			 "\"4dea22b3-1d52-d8f3-2516\"}",
			 "config.platform UUID '4dea22b3-1d52-d8f3-2516' is "
			 "not a UUID");
	expect_malformed("\"memory\": {\"size\": 1}, \"platform\": "
			 "{\"system_uuid\": 5}",
			 "config.platform.system_uuid is not a string");
	expect_malformed("\"memory\": {\"size\": 1}, \"platform\": "
			 "{\"oem_strings\": [\"icmquota.class=a\", "
			 "\"icmquota.class=b\"]}",
			 "names two classes, 'a' and 'b'");
	expect_malformed("\"memory\": {\"size\": 1}, \"platform\": "
			 "{\"oem_strings\": [\"icmquota.class=\"]}",
			 "config.platform.oem_strings[0]: the class");
	expect_malformed("\"memory\": {\"size\": 1}, \"platform\": "
			 "{\"oem_strings\": [\"x\", 3]}",
			 "config.platform.oem_strings[1] is not a string");
	expect_malformed("\"memory\": {\"size\": 1}, \"platform\": []",
			 "config.platform is not an object");
}

static void test_device_errors(void)
{
	expect_malformed("\"memory\": {\"size\": 1}, \"devices\": "
			 "[{\"id\": \"vf9\"}]",
			 "config.devices[0] (id 'vf9') has no sysfs path");
	expect_malformed("\"memory\": {\"size\": 1}, \"devices\": "
			 "[{\"path\": \"/sys/bus/pci/devices/0000:3b:00.2\"}, "
			 "{\"path\": \"/dev/vfio/12\"}]",
			 "config.devices[1]: path '/dev/vfio/12' does not end "
			 "in a PCI address");
	expect_malformed("\"memory\": {\"size\": 1}, \"devices\": "
			 "[{\"path\": \"/\"}]",
			 "config.devices[0]: path '/' does not end");
	expect_malformed("\"memory\": {\"size\": 1}, \"devices\": "
			 "[{\"path\": \"/sys/bus/pci/devices/0000:3b:20.2\"}]",
			 "does not end in a PCI address");
	expect_malformed("\"memory\": {\"size\": 1}, \"devices\": "
			 "[{\"path\": 12}]",
			 "config.devices[0].path is not a string");
	expect_malformed("\"memory\": {\"size\": 1}, \"devices\": [\"/sys\"]",
			 "config.devices[0] is not an object");
	/* A control byte in the path never reaches the message as such. */
	expect_malformed("\"memory\": {\"size\": 1}, \"devices\": "
			 "[{\"path\": \"/x\\ny\", \"id\": \"a\\tb\"}]",
			 "(id 'a\\x09b'): path '/x\\x0ay'");
}

static void test_document_errors(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;
	char state[16];

	CHECK_U64(parse_text("<html>nginx</html>", &vm, state, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "/run/ch/t.sock: not a Cloud Hypervisor API "
				"(vm.info answer is not a JSON object: "
				"'<html>nginx</html>')");
	check_zeroed(&vm);
	CHECK_U64(parse_text("", &vm, state, &err), IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "not a Cloud Hypervisor API");
	CHECK_U64(parse_text("[1, 2]", &vm, state, &err), IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "not a Cloud Hypervisor API");
	CHECK_U64(
		parse_text("{\"config\": {\"memory\": {\"si", &vm, state, &err),
		IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "malformed vm.info: the JSON ends early");
	CHECK_U64(parse_text("{\"state\": Running}", &vm, state, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "malformed vm.info: JSON ");
	CHECK_U64(parse_text("{\"state\": \"Running\"} {}", &vm, state, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "data after the JSON object at byte 21");
	CHECK_U64(parse_text("{\"config\": {}}", &vm, state, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "malformed vm.info: state is missing");
	CHECK_U64(parse_text("{\"state\": \"Booting\", \"config\": {}}", &vm,
			     state, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "state 'Booting' is none of Created");
	CHECK_U64(
		parse_text("{\"state\": 1, \"config\": {}}", &vm, state, &err),
		IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "state is not a string");
	CHECK_U64(parse_text("{\"state\": \"Running\"}", &vm, state, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "malformed vm.info: config is missing");
	CHECK_STR(state, "");
	CHECK_U64(parse_text("{\"state\": \"Running\", \"config\": 3}", &vm,
			     state, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "config is not an object");
	check_zeroed(&vm);
}

/* ---- the API socket: a replay server per case ------------------------ */

struct chsim {
	pid_t pid;
	int out_fd;
};

static char tmpdir[64];

static void sock_path(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", tmpdir, name);
}

/* Reads the server's stdout until "ready" (or EOF, or 10 s). */
static bool wait_ready(int fd)
{
	char buf[64];
	size_t got = 0;

	while (got + 1 < sizeof(buf)) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, 10000) <= 0)
			return false;
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			return false;
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "ready\n"))
			return true;
	}
	return false;
}

static void chsim_stop(struct chsim *sim)
{
	int status = 0;

	if (sim->pid > 0) {
		kill(sim->pid, SIGTERM);
		CHECK(waitpid(sim->pid, &status, 0) == sim->pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	if (sim->out_fd >= 0)
		close(sim->out_fd);
	sim->pid = -1;
	sim->out_fd = -1;
}

/* python3 ch-api-server.py --socket DIR/NAME --mode MODE [--body F] ... */
static bool chsim_start(struct chsim *sim, const char *name, const char *mode,
			const char *body, const char *delay)
{
	char path[256], body_path[256];
	char *argv[16];
	int argc = 0, pipe_fds[2];
	posix_spawn_file_actions_t actions;
	int rc;

	sim->pid = -1;
	sim->out_fd = -1;
	sock_path(path, sizeof(path), name);
	argv[argc++] = "python3";
	argv[argc++] = CHSIM;
	argv[argc++] = "--socket";
	argv[argc++] = path;
	argv[argc++] = "--mode";
	argv[argc++] = (char *)mode;
	argv[argc++] = "--lifetime";
	argv[argc++] = "60";
	if (body) {
		snprintf(body_path, sizeof(body_path), FIXTURES "%s", body);
		argv[argc++] = "--body";
		argv[argc++] = body_path;
	}
	if (delay) {
		argv[argc++] = "--delay";
		argv[argc++] = (char *)delay;
	}
	argv[argc] = NULL;
	if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
		CHECK(!"pipe2");
		return false;
	}
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
	rc = posix_spawnp(&sim->pid, "python3", &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(pipe_fds[1]);
	sim->out_fd = pipe_fds[0];
	if (rc != 0) {
		fprintf(stderr, "posix_spawnp python3: %s\n", strerror(rc));
		sim->pid = -1;
		chsim_stop(sim);
		CHECK(!"spawn");
		return false;
	}
	if (!wait_ready(sim->out_fd)) {
		fprintf(stderr, "%s (%s) never said ready\n", CHSIM, mode);
		chsim_stop(sim);
		CHECK(!"ready");
		return false;
	}
	return true;
}

/* A socket file nobody listens on: what a crashed VMM leaves behind. */
static void make_dead_socket(const char *name)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sock_path(addr.sun_path, sizeof(addr.sun_path), name);
	CHECK(fd >= 0);
	CHECK(bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	close(fd);
}

/* A listening socket that must never be spoken to (a serial console). */
static int make_listener(const char *name)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	sock_path(addr.sun_path, sizeof(addr.sun_path), name);
	CHECK(fd >= 0);
	CHECK(bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	CHECK(listen(fd, 4) == 0);
	return fd;
}

static void remove_in_tmpdir(const char *name)
{
	char path[256];

	sock_path(path, sizeof(path), name);
	unlink(path);
}

/* Query a server of MODE; the caller checks the outcome. */
static int query_mode(const char *name, const char *mode, const char *body,
		      struct vm_facts *vm, char *state, struct iq_err *err)
{
	struct chsim sim;
	char path[256];
	int rc;

	sock_path(path, sizeof(path), name);
	memset(vm, 0, sizeof(*vm));
	iq_err_clear(err);
	if (!chsim_start(&sim, name, mode, body, NULL))
		return -1;
	rc = vm_ch_query(path, vm, state, 16, err);
	chsim_stop(&sim);
	return rc;
}

static void test_socket_created(void)
{
	static const char *const want[] = {"0000:3b:00.7", "0000:3b:01.1"};
	struct vm_facts vm FREED = {0};
	struct iq_err err;
	char state[16], path[256];

	CHECK_U64(query_mode("small-1.sock", "created", "created-small.json",
			     &vm, state, &err),
		  IQ_OK);
	sock_path(path, sizeof(path), "small-1.sock");
	CHECK_STR(state, "Created");
	CHECK_STR(vm.name, "small-1");
	CHECK_STR(vm_source(&vm), path);
	CHECK_U64(vm.memory_bytes, 8 * GiB);
	CHECK(!vm.hugepages);
	CHECK_STR(vm.class_name, "small");
	check_pci(&vm, want, 2);
	vm_facts_free(&vm);
}

static void test_socket_running(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;
	struct chsim sim;
	char path[256];

	sock_path(path, sizeof(path), "train-01.sock");
	if (!chsim_start(&sim, "train-01.sock", "running", "gpu-8x.json", NULL))
		return;
	/* The plain entry point: the facts without the state. */
	CHECK_U64(vm_from_ch_socket(path, &vm, &err), IQ_OK);
	check_gpu8x(&vm, "train-01");
	CHECK_STR(vm_source(&vm), path);
	vm_facts_free(&vm);
	chsim_stop(&sim);
}

static void test_socket_no_vm(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;
	char state[16], path[256];

	sock_path(path, sizeof(path), "novm.sock");
	CHECK_U64(query_mode("novm.sock", "novm", NULL, &vm, state, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, path);
	CHECK_CONTAINS(err.msg, ": Cloud Hypervisor has no VM yet (vm.create "
				"first)");
	check_zeroed(&vm);
	CHECK_STR(state, "");
}

static void test_socket_http_error(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;
	char state[16];

	CHECK_U64(query_mode("err.sock", "error", NULL, &vm, state, &err),
		  IQ_EENV);
	CHECK_CONTAINS(err.msg, "err.sock: vm.info answered HTTP 500 (Error "
				"from API: VmInfo failed)");
	/* Only the first line of CH's answer. */
	CHECK(!strstr(err.msg, "second"));
	check_zeroed(&vm);
}

static void test_socket_refused(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;
	char path[256], hint[400];

	make_dead_socket("dead.sock");
	sock_path(path, sizeof(path), "dead.sock");
	snprintf(hint, sizeof(hint),
		 "is cloud-hypervisor running with --api-socket path=%s?",
		 path);
	CHECK_U64(vm_from_ch_socket(path, &vm, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, path);
	CHECK_CONTAINS(err.msg, "cannot connect: Connection refused");
	CHECK_CONTAINS(err.msg, hint);
	check_zeroed(&vm);
	remove_in_tmpdir("dead.sock");

	sock_path(path, sizeof(path), "missing.sock");
	snprintf(hint, sizeof(hint),
		 "%s: no such socket: is cloud-hypervisor running with "
		 "--api-socket path=%s?",
		 path, path);
	CHECK_U64(vm_from_ch_socket(path, &vm, &err), IQ_EENV);
	CHECK_STR(err.msg, hint);
	check_zeroed(&vm);
}

static void test_socket_not_a_socket(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;
	char path[256];
	FILE *file;

	sock_path(path, sizeof(path), "regular.sock");
	file = fopen(path, "w");
	CHECK(file != NULL);
	if (file)
		fclose(file);
	CHECK_U64(vm_from_ch_socket(path, &vm, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "regular.sock: not a socket: give the path of "
				"cloud-hypervisor's --api-socket");
	unlink(path);
}

static void test_socket_timeout(void)
{
	struct timespec t0, t1;
	struct vm_facts vm FREED = {0};
	struct iq_err err;
	struct chsim sim;
	char path[256];
	double elapsed;

	sock_path(path, sizeof(path), "hung.sock");
	if (!chsim_start(&sim, "hung.sock", "slow", "gpu-8x.json", "7"))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_U64(vm_from_ch_socket(path, &vm, &err), IQ_EENV);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	elapsed = (double)(t1.tv_sec - t0.tv_sec) +
		  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK_CONTAINS(err.msg, path);
	CHECK_CONTAINS(err.msg, ": no answer in 5s (VMM hung?)");
	/* Given up at the timeout, not when the server finally spoke. */
	CHECK(elapsed > VM_CH_TIMEOUT_S - 0.5);
	CHECK(elapsed < 6.5);
	check_zeroed(&vm);
	chsim_stop(&sim);
}

static void test_socket_malformed(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;
	char state[16];

	CHECK_U64(query_mode("bad.sock", "malformed", "gpu-8x.json", &vm, state,
			     &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "bad.sock: malformed vm.info: the JSON ends "
				"early");
	check_zeroed(&vm);
}

static void test_socket_not_http(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;
	char state[16];

	CHECK_U64(query_mode("garbage.sock", "nothttp", NULL, &vm, state, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "garbage.sock: not a Cloud Hypervisor API (");
	CHECK(!strchr(err.msg, '\n'));
	check_zeroed(&vm);
}

static void test_socket_not_pci_device(void)
{
	struct vm_facts vm FREED = {0};
	struct iq_err err;
	char state[16];

	CHECK_U64(query_mode("vgpu.sock", "running", "mdev-device.json", &vm,
			     state, &err),
		  IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "vgpu.sock: config.devices[1] (id 'vgpu0'): "
				"path '/sys/bus/mdev/devices/");
	check_zeroed(&vm);
}

static void test_list_dir(void)
{
	struct vm_list list = {0};
	struct chsim sims[4];
	struct iq_err err;
	char why[512] = "stale", path[256];
	unsigned skipped = 99;
	int console;
	FILE *file;

	if (!chsim_start(&sims[0], "a-train.sock", "running", "gpu-8x.json",
			 NULL))
		return;
	if (!chsim_start(&sims[1], "b-small.sock", "created",
			 "created-small.json", NULL)) {
		chsim_stop(&sims[0]);
		return;
	}
	chsim_start(&sims[2], "d-off.sock", "shutdown", "created-small.json",
		    NULL);
	chsim_start(&sims[3], "e-empty.sock", "novm", NULL, NULL);
	make_dead_socket("c-dead.sock");
	/* Neither a serial console socket nor a stray file is a VMM. */
	console = make_listener("a-train.console");
	sock_path(path, sizeof(path), "f-file.sock");
	file = fopen(path, "w");
	if (file)
		fclose(file);

	iq_err_clear(&err);
	CHECK_U64(vm_ch_list_dir(tmpdir, &list, &skipped, NULL, why,
				 sizeof(why), &err),
		  IQ_OK);
	CHECK_STR(err.msg, "");
	CHECK_U64(list.n, 2);
	if (list.n == 2) {
		check_gpu8x(&list.vms[0], "a-train");
		CHECK_STR(list.vms[1].name, "b-small");
		CHECK_STR(list.vms[1].class_name, "small");
	}
	CHECK_U64(skipped, 1);
	sock_path(path, sizeof(path), "c-dead.sock");
	CHECK_CONTAINS(why, path);
	CHECK_CONTAINS(why, "Connection refused");
	/* Nothing connected to the console socket. */
	CHECK(accept(console, NULL, NULL) < 0 && errno == EAGAIN);
	close(console);
	vm_list_free(&list);

	/* A VM that cannot be read ends the scan: never silently skipped. */
	chsim_stop(&sims[0]);
	if (chsim_start(&sims[0], "a-bad.sock", "running", "mdev-device.json",
			NULL)) {
		CHECK_U64(vm_ch_list_dir(tmpdir, &list, &skipped, NULL, why,
					 sizeof(why), &err),
			  IQ_EREFUSED);
		CHECK_CONTAINS(err.msg, "a-bad.sock: config.devices[1]");
		vm_list_free(&list);
		chsim_stop(&sims[0]);
	}
	for (int i = 1; i < 4; i++)
		chsim_stop(&sims[i]);
	remove_in_tmpdir("a-train.console");
	remove_in_tmpdir("c-dead.sock");
	remove_in_tmpdir("f-file.sock");

	CHECK_U64(vm_ch_list_dir("/nonexistent/ch", &list, &skipped, NULL, why,
				 sizeof(why), &err),
		  IQ_EENV);
	CHECK_CONTAINS(err.msg,
		       "/nonexistent/ch: cannot list Cloud "
		       "Hypervisor sockets: No such file or directory");
	CHECK_U64(list.n, 0);
}

/* Every server removed its socket on SIGTERM; every case its files. */
static void test_tmpdir_left_clean(void)
{
	if (rmdir(tmpdir) < 0) {
		fprintf(stderr, "rmdir %s: %s\n", tmpdir, strerror(errno));
		CHECK(!"temporary directory left clean");
	}
}

int main(void)
{
	RUN(test_fixture_gpu_8x);
	RUN(test_fixture_vmd_domains);
	RUN(test_fixture_zones_mixed_hugepages);
	RUN(test_fixture_memory_zones);
	RUN(test_fixture_created);
	RUN(test_fixture_not_pci_device);
	RUN(test_names_from_label);
	RUN(test_memory_model);
	RUN(test_memory_errors);
	RUN(test_platform);
	RUN(test_device_errors);
	RUN(test_document_errors);

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_vm_ch.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_socket_created);
	RUN(test_socket_running);
	RUN(test_socket_no_vm);
	RUN(test_socket_http_error);
	RUN(test_socket_refused);
	RUN(test_socket_not_a_socket);
	RUN(test_socket_timeout);
	RUN(test_socket_malformed);
	RUN(test_socket_not_http);
	RUN(test_socket_not_pci_device);
	RUN(test_list_dir);
	RUN(test_tmpdir_left_clean);
	return TEST_SUMMARY("test_vm_ch");
}
