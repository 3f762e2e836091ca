// SPDX-License-Identifier: MIT
#include "controller/core/run.h"

#include <stdarg.h>
#include <stdio.h>

#include "lib/text.h"

/* One line on the log, text from outside escaped (lib/text.h). */
static void log_line(const struct run_ctx *ctx, const char *fmt, va_list ap)
{
	char line[4096];

	vsnprintf(line, sizeof(line), fmt, ap);
	text_escape_inplace(line, sizeof(line));
	fprintf(ctx->log, "icmquota: %s\n", line);
}

void run_note(const struct run_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(ctx, fmt, ap);
	va_end(ap);
}

void run_verbose(const struct run_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->verbose <= 0)
		return;
	va_start(ap, fmt);
	log_line(ctx, fmt, ap);
	va_end(ap);
}
