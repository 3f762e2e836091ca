// SPDX-License-Identifier: MIT
/*
 * Replays fuzz inputs without libFuzzer: `replay_NAME FILE|DIR...` runs
 * every file through LLVMFuzzerTestOneInput (built with ASan/UBSan, so a
 * crash, leak or undefined behaviour fails) and prints
 * "fuzz_NAME: N passed, 0 failed" (a crash never reaches the summary).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

static unsigned long replayed;

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "%s: cannot read\n", path);
		if (f)
			fclose(f);
		return 1;
	}
	buf = malloc((size_t)len + 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "%s: cannot read\n", path);
		free(buf);
		fclose(f);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	replayed++;
	return 0;
}

static int replay(const char *path)
{
	struct dirent **names;
	struct stat st;
	int n, bad = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: missing\n", path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		char child[4096];

		if (names[i]->d_name[0] != '.' &&
		    snprintf(child, sizeof(child), "%s/%s", path,
			     names[i]->d_name) < (int)sizeof(child))
			bad |= replay(child);
		free(names[i]);
	}
	free(names);
	return bad;
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1
						 : argv[0];
	int bad = 0;

	if (!strncmp(name, "replay_", 7))
		name += 7;
	if (argc < 2) {
		/* make check: the seed corpus, run from the top directory. */
		char dir[256];

		snprintf(dir, sizeof(dir), "tests/fuzz/corpus/%s", name);
		bad |= replay(dir);
		if (!replayed)
			bad = 1; /* an empty corpus tests nothing */
	}
	for (int i = 1; i < argc; i++)
		bad |= replay(argv[i]);
	printf("fuzz_%s: %lu passed, %d failed\n", name, replayed, bad);
	return bad;
}
