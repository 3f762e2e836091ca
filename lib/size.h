/* SPDX-License-Identifier: MIT */
/* Sizes and units: bytes as people write them, and 4 KiB ICM pages. */
#ifndef ICMQUOTA_LIB_SIZE_H
#define ICMQUOTA_LIB_SIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ICM_PAGE_BYTES 4096ULL
/* "unlimited" everywhere a size in bytes is kept. */
#define IQ_UNLIMITED UINT64_MAX
/* PRM's "unlimited" for max_alloc_icm_th / total_icm, in 4 KiB units. */
#define PRM_ICM_UNLIMITED 0xFFFFFFFFu

/*
 * Parse a size: "8GiB", "256MiB", "1.5G", "4096", "4096B", "unlimited".
 * B, KiB, MiB, GiB, TiB and k/K/M/G/T (powers of 1024). IQ_UNLIMITED for
 * "unlimited". Returns false with a reason in why (a static string); a
 * decimal unit (GB) is refused saying that only binary units are taken.
 */
bool size_parse(const char *text, uint64_t *bytes, const char **why);
/*
 * size_parse() plus the decimal units KB, MB, GB, TB (powers of 1000), for
 * workload sizes as GPU and library documentation write them ("40 GB" is
 * 40e9 bytes, "40GiB" 40 * 2^30).
 */
bool size_parse_decimal(const char *text, uint64_t *bytes, const char **why);
/* "8.0GiB", "256MiB", "unlimited": human units for tables. */
void size_format(uint64_t bytes, char *buf, size_t len);
/* Signed variant for headroom: "-3.5GiB". */
void size_format_signed(int64_t bytes, char *buf, size_t len);

/* Bytes to 4 KiB ICM pages (rounded up), IQ_UNLIMITED -> PRM unlimited. */
uint32_t icm_bytes_to_pages(uint64_t bytes);
/* 4 KiB pages to bytes; PRM unlimited -> IQ_UNLIMITED. */
uint64_t icm_pages_to_bytes(uint32_t pages);

#endif
