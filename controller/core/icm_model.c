// SPDX-License-Identifier: MIT
/*
 * The registration cost model (icm_model.h): MTT entries per 4 KiB page,
 * a power-of-two (buddy) sized table, whole 4 KiB ICM pages.
 */
#include "controller/core/icm_model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/size.h"

#define ENTRIES_PER_ICM_PAGE (ICM_PAGE_BYTES / ICM_MODEL_MTT_ENTRY_BYTES)

/* Smallest power of two >= x (x >= 1); 0 when it does not fit 64 bits. */
static uint64_t pow2ceil(uint64_t x)
{
	uint64_t p = 1;

	while (p < x) {
		if (p > UINT64_MAX / 2)
			return 0;
		p <<= 1;
	}
	return p;
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
	if (a && b > UINT64_MAX / a)
		return UINT64_MAX;
	return a * b;
}

uint64_t icm_model_pages_per_mr(uint64_t buffer_bytes)
{
	uint64_t granules;
	uint64_t entries;
	uint64_t pages;

	if (buffer_bytes == 0)
		return 0;
	granules = buffer_bytes / ICM_MODEL_MTT_PAGE_BYTES +
		   (buffer_bytes % ICM_MODEL_MTT_PAGE_BYTES != 0);
	entries = pow2ceil(granules);
	if (entries == 0)
		return UINT64_MAX;
	/* Both powers of two: the division is exact. */
	pages = entries / ENTRIES_PER_ICM_PAGE;
	return pages ? pages : 1;
}

uint64_t icm_model_max_buffer_bytes(uint64_t cap_bytes, uint64_t mrs)
{
	uint64_t per_mr_pages;
	uint64_t p = 1;

	if (mrs == 0 || cap_bytes == IQ_UNLIMITED)
		return UINT64_MAX;
	per_mr_pages = cap_bytes / ICM_PAGE_BYTES / mrs;
	if (per_mr_pages == 0)
		return 0;
	while (p <= per_mr_pages / 2)
		p <<= 1;
	/* p ICM pages hold p * 512 entries, each mapping 4 KiB. */
	return mul_sat(mul_sat(p, ENTRIES_PER_ICM_PAGE),
		       ICM_MODEL_MTT_PAGE_BYTES);
}

int icm_pattern_parse(const char *text, struct icm_workload *w,
		      struct iq_err *err)
{
	static const char prefix[] = "ucx-max-hca=";

	if (strcmp(text, "nccl") == 0) {
		w->hcas_per_buffer = 1;
		w->mrs_per_hca = 1;
		return IQ_OK;
	}
	if (strcmp(text, "nixl-auto") == 0) {
		w->hcas_per_buffer = 0;
		w->mrs_per_hca = 1;
		return IQ_OK;
	}
	if (strcmp(text, "nixl-try") == 0) {
		w->hcas_per_buffer = 0;
		w->mrs_per_hca = 2;
		return IQ_OK;
	}
	if (strncmp(text, prefix, sizeof(prefix) - 1) == 0) {
		const char *num = text + sizeof(prefix) - 1;
		char *end;
		unsigned long n;

		errno = 0;
		n = strtoul(num, &end, 10);
		if (*num >= '0' && *num <= '9' && !*end && !errno && n >= 1 &&
		    n <= 1024) {
			w->hcas_per_buffer = (unsigned)n;
			w->mrs_per_hca = 2;
			return IQ_OK;
		}
		return iq_fail(err, IQ_EUSAGE,
			       "--pattern %s: N in ucx-max-hca=N is a number "
			       "of HCAs, 1 to 1024",
			       text);
	}
	return iq_fail(err, IQ_EUSAGE,
		       "--pattern %s: unknown pattern (nccl, nixl-auto, "
		       "nixl-try, ucx-max-hca=N)",
		       text);
}

unsigned icm_workload_fanout(const struct icm_workload *w)
{
	if (w->hcas_per_buffer == 0 || w->hcas_per_buffer > w->hcas)
		return w->hcas;
	return w->hcas_per_buffer;
}

uint64_t icm_workload_buffers_per_nic(const struct icm_workload *w)
{
	uint64_t pairs = (uint64_t)w->gpus * icm_workload_fanout(w);

	if (w->hcas == 0)
		return 0;
	return (pairs + w->hcas - 1) / w->hcas;
}

uint64_t icm_workload_mrs_per_nic(const struct icm_workload *w)
{
	return mul_sat(icm_workload_buffers_per_nic(w), w->mrs_per_hca);
}

uint64_t icm_workload_pages_per_nic(const struct icm_workload *w,
				    uint64_t per_gpu_bytes)
{
	return mul_sat(icm_workload_mrs_per_nic(w),
		       icm_model_pages_per_mr(per_gpu_bytes));
}

uint64_t icm_workload_pages_host(const struct icm_workload *w,
				 uint64_t per_gpu_bytes)
{
	uint64_t mrs = mul_sat((uint64_t)w->gpus * icm_workload_fanout(w),
			       w->mrs_per_hca);

	return mul_sat(mrs, icm_model_pages_per_mr(per_gpu_bytes));
}
