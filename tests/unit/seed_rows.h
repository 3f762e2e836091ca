/* SPDX-License-Identifier: MIT */
/*
 * Seed 000's measured rows (tests/fixtures/calibration/seed000.tsv), read
 * for the tests of the calibration: icm_model (the model), the simulated
 * firmware (which uses it) and, through the same file, `estimate`.
 */
#ifndef ICMQUOTA_TEST_SEED_ROWS_H
#define ICMQUOTA_TEST_SEED_ROWS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED_ROWS_FILE "tests/fixtures/calibration/seed000.tsv"
#define SEED_ROWS_MAX  32

struct seed_row {
	char pattern[32];
	unsigned per_gpu_gb; /* the seed's "GB" */
	int host;	     /* 0: fw_pages_per_nic, 1: fw_bytes_host */
	double measured;     /* pages per NIC, or bytes on the host */
	int line;
};

/* Rows of the fixture; -1 when it cannot be read or a line is malformed. */
static int seed_rows_read(struct seed_row *rows, int max)
{
	FILE *f = fopen(SEED_ROWS_FILE, "r");
	char line[512];
	int n = 0, lineno = 0;

	if (!f) {
		perror(SEED_ROWS_FILE);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char quantity[32];
		struct seed_row *r = &rows[n];

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (n == max ||
		    sscanf(line, "%31s %u %31s %lf", r->pattern, &r->per_gpu_gb,
			   quantity, &r->measured) != 4 ||
		    (strcmp(quantity, "fw_pages_per_nic") != 0 &&
		     strcmp(quantity, "fw_bytes_host") != 0)) {
			fprintf(stderr, "%s:%d: malformed row\n",
				SEED_ROWS_FILE, lineno);
			fclose(f);
			return -1;
		}
		r->host = strcmp(quantity, "fw_bytes_host") == 0;
		r->line = lineno;
		n++;
	}
	fclose(f);
	return n;
}

/* |got - want| within 10 % of want. */
static int seed_within_10pct(double got, double want)
{
	double d = got - want;

	return (d < 0 ? -d : d) <= 0.10 * want;
}

#endif
