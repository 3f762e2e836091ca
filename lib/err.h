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

/*
 * Exit codes, the CLI contract (the table of `icmquota --help` and the man
 * page, controller/cli/help.c; tests/integration/test_exit_codes.sh):
 */
enum iq_exit {
	IQ_OK = 0,
	/* Understood but not accepted, or names what is not here: a VM does
	 * not fit, the policy is invalid, an untrusted file, a VM/VF/PF not
	 * on this host or in the journal. */
	IQ_EREFUSED = 1,
	/* The command line (or the settings file): unknown option, missing
	 * or extra argument, a value of the wrong form. */
	IQ_EUSAGE = 2,
	/* The environment: a file or device that cannot be read or written,
	 * no permission, the firmware said no, the lock; and a partial
	 * result (every other VF done, one line per problem). */
	IQ_EENV = 3,
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
