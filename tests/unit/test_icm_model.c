// SPDX-License-Identifier: MIT
/*
 * The registration cost model (controller/core/icm_model.c) against every
 * measured row of seed 000 (tests/fixtures/calibration/seed000.tsv), with
 * the seed's "GB" read as GiB and as 10^9 bytes; the inverse (largest
 * buffer under a cap); the patterns; edges.
 */
#include <stdint.h>

#include "controller/core/icm_model.h"
#include "lib/size.h"
#include "tests/unit/seed_rows.h"
#include "tests/unit/test.h"

#define GiB (1ULL << 30)
#define MiB (1ULL << 20)

static struct icm_workload hgx(const char *pattern)
{
	struct icm_workload w = {.gpus = 8, .hcas = 8};
	struct iq_err err = {0};

	CHECK_U64(icm_pattern_parse(pattern, &w, &err), IQ_OK);
	return w;
}

static void test_pages_per_mr(void)
{
	CHECK_U64(icm_model_pages_per_mr(0), 0);
	/* the smallest charge is one page */
	CHECK_U64(icm_model_pages_per_mr(1), 1);
	CHECK_U64(icm_model_pages_per_mr(2 * MiB), 1);
	CHECK_U64(icm_model_pages_per_mr(2 * MiB + 1), 2);
	/* 1 GiB = 262144 entries of 8 B = 512 pages of 4 KiB */
	CHECK_U64(icm_model_pages_per_mr(GiB), 512);
	/* 25, 30 and 32 GiB round up to the same 32 GiB table */
	CHECK_U64(icm_model_pages_per_mr(25 * GiB), 16384);
	CHECK_U64(icm_model_pages_per_mr(30 * GiB), 16384);
	CHECK_U64(icm_model_pages_per_mr(32 * GiB), 16384);
	CHECK_U64(icm_model_pages_per_mr(32 * GiB + 1), 32768);
	CHECK_U64(icm_model_pages_per_mr(75000000000ULL), 65536);
	CHECK_U64(icm_model_pages_per_mr(UINT64_MAX), 1ULL << 43);
}

static void test_seed_rows(void)
{
	struct seed_row rows[SEED_ROWS_MAX];
	int n = seed_rows_read(rows, SEED_ROWS_MAX);

	CHECK(n >= 12);
	for (int i = 0; i < n; i++) {
		struct icm_workload w = hgx(rows[i].pattern);
		const uint64_t sizes[2] = {rows[i].per_gpu_gb * GiB,
					   rows[i].per_gpu_gb * 1000000000ULL};

		for (int k = 0; k < 2; k++) {
			double got =
				rows[i].host
					? (double)icm_workload_pages_host(
						  &w, sizes[k]) *
						  4096.0
					: (double)icm_workload_pages_per_nic(
						  &w, sizes[k]);

			if (!seed_within_10pct(got, rows[i].measured)) {
				fprintf(stderr,
					"%s:%d: %s %u GB (%s): model %.0f, "
					"measured %.0f\n",
					SEED_ROWS_FILE, rows[i].line,
					rows[i].pattern, rows[i].per_gpu_gb,
					k ? "10^9" : "GiB", got,
					rows[i].measured);
				CHECK(0);
			}
		}
	}
	/* exact figures behind the rows */
	CHECK_U64(icm_workload_pages_per_nic(&(struct icm_workload){8, 8, 0, 1},
					     25 * GiB),
		  131072);
	CHECK_U64(icm_workload_pages_per_nic(&(struct icm_workload){8, 8, 0, 2},
					     40 * GiB),
		  524288);
	CHECK_U64(icm_workload_pages_host(&(struct icm_workload){8, 8, 0, 2},
					  80 * GiB) *
			  4096,
		  32 * GiB);
}

static void test_patterns(void)
{
	struct icm_workload w = {.gpus = 8, .hcas = 8};
	struct iq_err err = {0};

	w = hgx("nccl");
	CHECK_U64(icm_workload_fanout(&w), 1);
	CHECK_U64(icm_workload_mrs_per_nic(&w), 1);
	w = hgx("nixl-auto");
	CHECK_U64(icm_workload_fanout(&w), 8);
	CHECK_U64(icm_workload_mrs_per_nic(&w), 8);
	w = hgx("nixl-try");
	CHECK_U64(icm_workload_mrs_per_nic(&w), 16);
	w = hgx("ucx-max-hca=2");
	CHECK_U64(icm_workload_fanout(&w), 2);
	CHECK_U64(icm_workload_buffers_per_nic(&w), 2);
	CHECK_U64(icm_workload_mrs_per_nic(&w), 4);
	/* more HCAs asked than there are: every HCA */
	w = hgx("ucx-max-hca=16");
	CHECK_U64(icm_workload_fanout(&w), 8);
	/* uneven: 8 GPUs x 3 HCAs over 8 NICs -> the busiest NIC has 3 */
	w = hgx("ucx-max-hca=3");
	CHECK_U64(icm_workload_buffers_per_nic(&w), 3);
	/* 8 GPUs on 3 NICs, one HCA each: the busiest NIC has 3 buffers */
	w.hcas = 3;
	w.hcas_per_buffer = 1;
	CHECK_U64(icm_workload_buffers_per_nic(&w), 3);
	CHECK_U64(icm_pattern_parse("nixl", &w, &err), IQ_EUSAGE);
	CHECK_CONTAINS(err.msg, "nccl, nixl-auto, nixl-try, ucx-max-hca=N");
	CHECK_U64(icm_pattern_parse("ucx-max-hca=0", &w, &err), IQ_EUSAGE);
	CHECK_U64(icm_pattern_parse("ucx-max-hca=", &w, &err), IQ_EUSAGE);
	CHECK_U64(icm_pattern_parse("ucx-max-hca=2x", &w, &err), IQ_EUSAGE);
	CHECK_U64(icm_pattern_parse("ucx-max-hca=-1", &w, &err), IQ_EUSAGE);
}

static void test_inverse(void)
{
	const char *patterns[] = {"nccl", "nixl-auto", "nixl-try",
				  "ucx-max-hca=2", "ucx-max-hca=3"};
	const uint64_t caps[] = {4096, 1 * GiB, 2 * GiB, 3 * GiB + 12345,
				 64 * GiB};

	/* MODEL.md: a 2 GiB per-NIC cap allows 64/128/256/1024 GiB per GPU */
	CHECK_U64(icm_model_max_buffer_bytes(
			  2 * GiB, icm_workload_mrs_per_nic(
					   &(struct icm_workload){8, 8, 0, 2})),
		  64 * GiB);
	CHECK_U64(icm_model_max_buffer_bytes(2 * GiB, 8), 128 * GiB);
	CHECK_U64(icm_model_max_buffer_bytes(2 * GiB, 4), 256 * GiB);
	CHECK_U64(icm_model_max_buffer_bytes(2 * GiB, 1), 1024 * GiB);
	for (size_t p = 0; p < sizeof(patterns) / sizeof(*patterns); p++) {
		struct icm_workload w = hgx(patterns[p]);
		uint64_t mrs = icm_workload_mrs_per_nic(&w);

		for (size_t c = 0; c < sizeof(caps) / sizeof(*caps); c++) {
			uint64_t s = icm_model_max_buffer_bytes(caps[c], mrs);

			/* s fits (0: not even one byte does), s + 1 not */
			if (s)
				CHECK(icm_workload_pages_per_nic(&w, s) *
					      4096 <=
				      caps[c]);
			CHECK(icm_workload_pages_per_nic(&w, s + 1) * 4096 >
			      caps[c]);
		}
	}
	CHECK_U64(icm_model_max_buffer_bytes(4095, 1), 0);
	CHECK_U64(icm_model_max_buffer_bytes(4096, 1), 2 * MiB);
	CHECK_U64(icm_model_max_buffer_bytes(4096, 2), 0);
	CHECK_U64(icm_model_max_buffer_bytes(IQ_UNLIMITED, 2), UINT64_MAX);
}

int main(void)
{
	RUN(test_pages_per_mr);
	RUN(test_seed_rows);
	RUN(test_patterns);
	RUN(test_inverse);
	return TEST_SUMMARY("test_icm_model");
}
