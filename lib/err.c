// SPDX-License-Identifier: MIT
#include "lib/err.h"

#include <stdio.h>
#include <string.h>

#include "lib/text.h"

int iq_vfail(struct iq_err *err, int code, const char *fmt, va_list ap)
{
	if (!err)
		return code;
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	/* Names from outside (VM names, YAML scalars, XML values) may carry
	 * control characters: the message stays one line for a terminal or
	 * syslog. */
	text_escape_inplace(err->msg, sizeof(err->msg));
	return code;
}

int iq_fail(struct iq_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	iq_vfail(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int iq_err_prefix(struct iq_err *err, const char *fmt, ...)
{
	char prefix[512];
	/* Room for both parts: the result is cut to msg's size below. */
	char joined[sizeof(prefix) + sizeof(err->msg) + 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	text_escape_inplace(prefix, sizeof(prefix));
	snprintf(joined, sizeof(joined), "%s: %s", prefix, err->msg);
	snprintf(err->msg, sizeof(err->msg), "%.*s", (int)sizeof(err->msg) - 1,
		 joined);
	return err->code;
}

void iq_err_clear(struct iq_err *err)
{
	err->code = IQ_OK;
	err->msg[0] = '\0';
}
