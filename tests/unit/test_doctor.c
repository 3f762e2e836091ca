// SPDX-License-Identifier: MIT
/*
 * The /proc arithmetic doctor uses to tell whether libvirtd started
 * before its hook was installed: starttime (field 22 of /proc/PID/stat,
 * clock ticks after boot, read after the last ')' since a comm may hold
 * spaces and parentheses) plus btime of /proc/stat.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controller/core/doctor.h"
#include "test.h"

static char root[] = "/tmp/icmquota-test-doctor.XXXXXX";

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		abort();
	}
	fputs(text, f);
	fclose(f);
}

static void test_start_time(void)
{
	char dir[512], stat_line[512];
	long ticks = sysconf(_SC_CLK_TCK);
	double epoch = 0;

	snprintf(dir, sizeof(dir), "%s/proc/77", root);
	mkdir(dir, 0755);
	put("/proc/stat", "cpu  1 2 3 4\nintr 5\nbtime 1764000000\n");
	/* comm "a) (b": the parser must take the last ')' */
	snprintf(stat_line, sizeof(stat_line),
		 "77 (a) (b) S 1 77 77 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 "
		 "%ld 1000 10 0\n",
		 25 * ticks);
	put("/proc/77/stat", stat_line);
	CHECK(doctor_process_start(root, 77, &epoch));
	CHECK_U64((uint64_t)epoch, 1764000025);
	/* No such process; no btime. */
	CHECK(!doctor_process_start(root, 78, &epoch));
	put("/proc/stat", "cpu  1 2 3 4\n");
	CHECK(!doctor_process_start(root, 77, &epoch));
	/* A stat line cut before starttime. */
	put("/proc/stat", "btime 1\n");
	put("/proc/77/stat", "77 (x) S 1 77 77 0\n");
	CHECK(!doctor_process_start(root, 77, &epoch));
}

static void test_status_names(void)
{
	CHECK_STR(doctor_status_name(DOCTOR_OK), "ok");
	CHECK_STR(doctor_status_name(DOCTOR_WARN), "warn");
	CHECK_STR(doctor_status_name(DOCTOR_FAIL), "fail");
	CHECK_STR(doctor_status_name(DOCTOR_UNKNOWN), "unknown");
}

int main(void)
{
	char dir[512];
	int rc;

	if (!mkdtemp(root))
		return 1;
	snprintf(dir, sizeof(dir), "%s/proc", root);
	mkdir(dir, 0755);
	RUN(test_start_time);
	RUN(test_status_names);
	rc = TEST_SUMMARY("test_doctor");
	snprintf(dir, sizeof(dir), "rm -rf '%s'", root);
	if (system(dir) != 0)
		return 1;
	return rc;
}
