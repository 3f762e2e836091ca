// SPDX-License-Identifier: MIT
#include "controller/daemon/textfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/core/metrics.h"
#include "lib/file.h"

int textfile_write(const char *dir, struct session *s,
		   const struct lifecycle_result *r, struct iq_err *err)
{
	struct metrics_input in = {.host = &s->host,
				   .plan = &r->plan,
				   .split = &r->split,
				   .nrunning = r->nrunning};
	struct counters c;
	struct iq_err cerr = {0};
	char path[4096], *text = NULL;
	size_t len = 0;
	FILE *mem;
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, TEXTFILE_NAME) >=
	    (int)sizeof(path))
		return iq_fail(err, IQ_EENV, "%s: path too long", dir);
	/* The file's counters, plus what this run counted and has not
	 * added to it yet (session_close does, after this). */
	if (counters_load(s->ctx->state_path, &c, &cerr) == IQ_OK) {
		for (int i = 0; i < CNT_N; i++)
			c.v[i] += s->counted.v[i];
		c.v[CNT_FW_COMMAND_ERRORS] += host_fw_errors(&s->host);
		in.counters = &c;
	} else {
		in.counters_why = cerr.msg;
	}
	mem = open_memstream(&text, &len);
	if (!mem)
		return iq_fail(err, IQ_EENV, "out of memory");
	rc = metrics_render(mem, &in, err);
	fclose(mem);
	/* node_exporter reads *.prom: the temporary name must not match. */
	if (rc == IQ_OK)
		rc = file_write_atomic(path, text, len, false, err);
	free(text);
	return rc;
}
