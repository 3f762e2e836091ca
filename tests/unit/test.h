/* SPDX-License-Identifier: MIT */
/*
 * A tiny unit-test harness: each tests/unit/test_*.c is one binary whose
 * main() runs its cases with RUN(); every failed CHECK prints file:line and
 * the values; the binary ends with "NAME: N passed, N failed" and exits 1
 * when anything failed.
 */
#ifndef ICMQUOTA_TEST_H
#define ICMQUOTA_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_checks_failed_in_case;
static int test_cases_passed;
static int test_cases_failed;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, \
				__LINE__, #cond);                              \
			test_checks_failed_in_case++;                          \
		}                                                              \
	} while (0)

#define CHECK_U64(a, b)                                                        \
	do {                                                                   \
		unsigned long long va_ = (unsigned long long)(a);              \
		unsigned long long vb_ = (unsigned long long)(b);              \
		if (va_ != vb_) {                                              \
			fprintf(stderr,                                        \
				"%s:%d: %s == %llu, expected %s == %llu\n",    \
				__FILE__, __LINE__, #a, va_, #b, vb_);         \
			test_checks_failed_in_case++;                          \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *sa_ = (a), *sb_ = (b);                             \
		if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                   \
			fprintf(stderr,                                        \
				"%s:%d: %s == \"%s\", expected \"%s\"\n",      \
				__FILE__, __LINE__, #a, sa_ ? sa_ : "(null)",  \
				sb_ ? sb_ : "(null)");                         \
			test_checks_failed_in_case++;                          \
		}                                                              \
	} while (0)

/* Substring check, for error messages. */
#define CHECK_CONTAINS(hay, needle)                                            \
	do {                                                                   \
		const char *h_ = (hay), *n_ = (needle);                        \
		if (!h_ || !strstr(h_, n_)) {                                  \
			fprintf(stderr,                                        \
				"%s:%d: \"%s\" does not contain \"%s\"\n",     \
				__FILE__, __LINE__, h_ ? h_ : "(null)", n_);   \
			test_checks_failed_in_case++;                          \
		}                                                              \
	} while (0)

#define RUN(fn)                                                                \
	do {                                                                   \
		test_checks_failed_in_case = 0;                                \
		fn();                                                          \
		if (test_checks_failed_in_case) {                              \
			fprintf(stderr, "FAIL %s\n", #fn);                     \
			test_cases_failed++;                                   \
		} else {                                                       \
			test_cases_passed++;                                   \
		}                                                              \
	} while (0)

#define TEST_SUMMARY(name)                                                     \
	(printf("%s: %d passed, %d failed\n", (name), test_cases_passed,       \
		test_cases_failed),                                            \
	 test_cases_failed ? 1 : 0)

#endif
