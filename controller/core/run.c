// SPDX-License-Identifier: MIT
#include "controller/core/run.h"

#include <stdarg.h>

void run_note(const struct run_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fputs("icmquota: ", ctx->log);
	va_start(ap, fmt);
	vfprintf(ctx->log, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->log);
}

void run_verbose(const struct run_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->verbose <= 0)
		return;
	fputs("icmquota: ", ctx->log);
	va_start(ap, fmt);
	vfprintf(ctx->log, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->log);
}
