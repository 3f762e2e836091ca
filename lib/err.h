/* SPDX-License-Identifier: MIT */
/*
 * Error reporting shared by every layer.
 *
 * Functions that can fail return 0 or one of the exit codes below and fill a
 * struct iq_err with one line a user can act on. Callers add context (the
 * device, the file:line) with iq_err_prefix() on the way up, so the message
 * that reaches stderr names the object and the cause, libvirt-style.
 */
#ifndef ICMQUOTA_ERR_H
#define ICMQUOTA_ERR_H

#include <stdarg.h>

/* Exit codes, the CLI contract of architecture.md. */
enum iq_exit {
	IQ_OK = 0,
	IQ_EREFUSED = 1, /* a VM does not fit, the policy is invalid */
	IQ_EUSAGE = 2,	 /* bad command line */
	IQ_EENV = 3,	 /* no device, no permission, firmware said no */
};

struct iq_err {
	int code;
	char msg[2048];
};

/*
 * Set the error (code and message) and return code. Control characters in
 * the result (from names and values quoted in it) are escaped as \xNN
 * (lib/text.h), here and in iq_err_prefix(), so every message is one line.
 */
int iq_fail(struct iq_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int iq_vfail(struct iq_err *err, int code, const char *fmt, va_list ap);

/* Prepend "context: " to the message; returns err->code. */
int iq_err_prefix(struct iq_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void iq_err_clear(struct iq_err *err);

#endif
