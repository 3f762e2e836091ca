/* SPDX-License-Identifier: MIT */
/*
 * How much ICM (4 KiB firmware pages) a NIC's firmware takes for a guest's
 * RDMA memory registrations: the one calibration of the project, used by
 * the simulated firmware (controller/sim: a registration becomes page
 * requests of this size) and by `icmquota estimate` (a workload becomes a
 * per-NIC, per-host figure and a VF cap).
 *
 * It lives in controller/core/ because it is a model of firmware behaviour
 * that both the simulator and the command line use: devx/ holds only the
 * command interface (PRM layouts and commands, which say nothing of how
 * much memory a registration costs), lib/ knows nothing of the project,
 * and core/ is the lowest room both controller/sim/ and controller/cli/
 * may include.
 *
 * The model (fitted to seed 000's measurements, no free constant): one MR
 * over a buffer of S bytes needs one 8-byte translation (MTT) entry per
 * 4 KiB page of the buffer; the firmware takes that table from a buddy
 * allocator, so its entry count is rounded up to a power of two, and it is
 * held in whole 4 KiB ICM pages (512 entries each, at least one page):
 *
 *   pages_per_mr(S) = max(1, pow2ceil(ceil(S / 4 KiB)) / 512)
 *
 * A NIC pays the sum over the MRs registered on it. It reproduces every
 * seed 000 row within 5 %: 25/30/40 GB per GPU, one MR on each of 8 HCAs:
 * 131,072 / 131,072 / 262,144 pages per NIC (measured ~132k/131k/263k);
 * two MRs: 262,144 / 262,144 / 524,288 (~263k/263k/525k); 75 GB, two MRs:
 * 1,048,576 (~1.1 M); 8 NICs at 40/80 GB per GPU: 16.0/32.0 GiB (16.0/32.1
 * GiB). 25 and 30 GB cost the same because both round up to 32 GiB.
 */
#ifndef ICMQUOTA_ICM_MODEL_H
#define ICMQUOTA_ICM_MODEL_H

#include <stdint.h>

#include "lib/err.h"

/* Translation granule and entry size behind the model. */
#define ICM_MODEL_MTT_PAGE_BYTES  4096ULL
#define ICM_MODEL_MTT_ENTRY_BYTES 8ULL

/*
 * ICM pages (4 KiB) one MR over a buffer of buffer_bytes takes on the NIC
 * it is registered on. 0 for 0 bytes; saturates at UINT64_MAX.
 */
uint64_t icm_model_pages_per_mr(uint64_t buffer_bytes);

/*
 * The largest buffer (bytes) such that mrs MRs of it on one NIC take at
 * most cap_bytes of ICM: mrs * pages_per_mr(S) * 4 KiB <= cap_bytes. The
 * cost is a step function, so the answer is a power-of-two number of
 * 4 KiB pages (2 MiB at the least); 0 when not even the smallest MR fits,
 * UINT64_MAX when mrs is 0 or cap_bytes is IQ_UNLIMITED.
 */
uint64_t icm_model_max_buffer_bytes(uint64_t cap_bytes, uint64_t mrs);

/*
 * A workload: gpus buffers (one per GPU), each registered on
 * hcas_per_buffer of the hcas NICs (0 = every HCA) with mrs_per_hca MRs
 * on each.
 */
struct icm_workload {
	unsigned gpus;		  /* >= 1 */
	unsigned hcas;		  /* >= 1 */
	unsigned hcas_per_buffer; /* 0 = all hcas; more than hcas = all */
	unsigned mrs_per_hca;	  /* >= 1 */
};

/*
 * Set hcas_per_buffer and mrs_per_hca from a registration pattern of the
 * seeds: "nccl" (1 HCA, 1 MR), "nixl-auto" (every HCA, 1 MR), "nixl-try"
 * (every HCA, 2 MRs: NIXL's default, UCX relaxed ordering "try"),
 * "ucx-max-hca=N" (N HCAs, 2 MRs; N 1..1024). IQ_EUSAGE naming the
 * patterns otherwise.
 */
int icm_pattern_parse(const char *text, struct icm_workload *w,
		      struct iq_err *err);

/* HCAs each buffer lands on: hcas_per_buffer capped at hcas (0 = hcas). */
unsigned icm_workload_fanout(const struct icm_workload *w);
/*
 * Buffers on the busiest NIC, buffers spread evenly:
 * ceil(gpus * fanout / hcas).
 */
uint64_t icm_workload_buffers_per_nic(const struct icm_workload *w);
/* MRs on the busiest NIC: buffers_per_nic * mrs_per_hca. */
uint64_t icm_workload_mrs_per_nic(const struct icm_workload *w);
/* ICM pages on the busiest NIC for buffers of per_gpu_bytes (saturating). */
uint64_t icm_workload_pages_per_nic(const struct icm_workload *w,
				    uint64_t per_gpu_bytes);
/* ICM pages on all NICs together: gpus * fanout * mrs * pages_per_mr. */
uint64_t icm_workload_pages_host(const struct icm_workload *w,
				 uint64_t per_gpu_bytes);

#endif
