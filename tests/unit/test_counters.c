// SPDX-License-Identifier: MIT
/*
 * The counters file: deltas appended and summed, a torn last append lost
 * alone, a large file compacted to one line per counter with the same
 * totals, a damaged line an error naming FILE:LINE.
 */
#include "controller/core/counters.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/test.h"

static char dir[64], state_path[128], path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/icmquota-counters.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(state_path, sizeof(state_path), "%s/state.json", dir);
	snprintf(path, sizeof(path), "%s/counters", dir);
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

static void put(const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static off_t size_of(void)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void test_appends_sum(void)
{
	struct counters d = {0}, c;
	struct iq_err err = {0};

	setup();
	d.v[CNT_HOOK_CALLS] = 1;
	for (int i = 0; i < 5; i++)
		CHECK_U64(counters_add(state_path, &d, &err), IQ_OK);
	d.v[CNT_HOOK_CALLS] = 0;
	d.v[CNT_ADMISSIONS_REFUSED] = 2;
	CHECK_U64(counters_add(state_path, &d, &err), IQ_OK);
	CHECK_U64(counters_load(state_path, &c, &err), IQ_OK);
	CHECK_U64(c.v[CNT_HOOK_CALLS], 5);
	CHECK_U64(c.v[CNT_ADMISSIONS_REFUSED], 2);
	CHECK_U64(c.v[CNT_DRIFT_REPAIRED], 0);
	/* Only what changed is written: 6 short lines. */
	CHECK_U64(size_of(), 5 * strlen("hook_calls_total 1\n") +
				     strlen("admissions_refused_total 2\n"));
	/* Nothing to add: the file stays as it is. */
	memset(&d, 0, sizeof(d));
	CHECK_U64(counters_add(state_path, &d, &err), IQ_OK);
	CHECK_U64(size_of(), 5 * strlen("hook_calls_total 1\n") +
				     strlen("admissions_refused_total 2\n"));
	teardown();
}

static void test_torn_append(void)
{
	struct counters c;
	struct iq_err err = {0};

	setup();
	/* A crash cut the last append short: that delta alone is lost. */
	put("hook_calls_total 7\ndrift_repaired_total 3\nhook_calls_tot");
	CHECK_U64(counters_load(state_path, &c, &err), IQ_OK);
	CHECK_U64(c.v[CNT_HOOK_CALLS], 7);
	CHECK_U64(c.v[CNT_DRIFT_REPAIRED], 3);
	put("hook_calls_total 7\nhook_calls_total 1");
	CHECK_U64(counters_load(state_path, &c, &err), IQ_OK);
	CHECK_U64(c.v[CNT_HOOK_CALLS], 7);
	/* The next append does not join the torn line: it is cut off. */
	{
		struct counters d = {0};

		d.v[CNT_HOOK_CALLS] = 2;
		CHECK_U64(counters_add(state_path, &d, &err), IQ_OK);
		CHECK_U64(counters_load(state_path, &c, &err), IQ_OK);
		CHECK_U64(c.v[CNT_HOOK_CALLS], 9);
		CHECK_U64(size_of(), strlen("hook_calls_total 7\n"
					    "hook_calls_total 2\n"));
	}
	teardown();
}

static void test_compacts(void)
{
	struct counters d = {0}, c;
	struct iq_err err = {0};
	int runs = 0;

	setup();
	d.v[CNT_HOOK_CALLS] = 1;
	d.v[CNT_FW_COMMAND_ERRORS] = 2;
	while (size_of() < 16384 && runs < 10000) {
		CHECK_U64(counters_add(state_path, &d, &err), IQ_OK);
		runs++;
	}
	CHECK(runs > 100);
	CHECK_U64(counters_add(state_path, &d, &err), IQ_OK);
	runs++;
	/* One line per counter, the same totals. */
	CHECK(size_of() < 1024);
	CHECK_U64(counters_load(state_path, &c, &err), IQ_OK);
	CHECK_U64(c.v[CNT_HOOK_CALLS], (uint64_t)runs);
	CHECK_U64(c.v[CNT_FW_COMMAND_ERRORS], 2 * (uint64_t)runs);
	teardown();
}

static void test_damaged_line(void)
{
	struct counters c;
	struct iq_err err = {0};

	setup();
	put("hook_calls_total 7\nhook_calls_total x\n");
	CHECK_U64(counters_load(state_path, &c, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "counters:2: expected `NAME COUNT`");
	CHECK_U64(c.v[CNT_HOOK_CALLS], 0);
	/* A negative count is damage, not 2^64 - 1. */
	put("hook_calls_total -1\n");
	CHECK_U64(counters_load(state_path, &c, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "counters:1: expected `NAME COUNT`");
	teardown();
}

int main(void)
{
	RUN(test_appends_sum);
	RUN(test_torn_append);
	RUN(test_compacts);
	RUN(test_damaged_line);
	return TEST_SUMMARY("test_counters");
}
