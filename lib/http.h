/* SPDX-License-Identifier: MIT */
/*
 * An HTTP/1.1 client for a local Unix stream socket: one GET per
 * connection ("Connection: close"), the answer read strictly after RFC
 * 9112 (status line, header fields, a Content-Length, chunked or
 * close-delimited body), bounded in size and time. Why our own and not
 * libcurl: see the top of http.c.
 */
#ifndef ICMQUOTA_LIB_HTTP_H
#define ICMQUOTA_LIB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

/* The status line and header fields of one answer together, bytes. */
#define HTTP_HEAD_MAX 16384
/* One chunk-size line or trailer field line, bytes. */
#define HTTP_LINE_MAX 1024
/* Interim (1xx) answers passed over before the final one. */
#define HTTP_INTERIM_MAX 8

/* Why an exchange failed, for callers that word it for their server. */
enum http_failure {
	HTTP_FAIL_NONE,
	HTTP_FAIL_CONNECT,   /* socket()/connect() failed: sys_errno */
	HTTP_FAIL_TIMEOUT,   /* no (complete) answer before the deadline */
	HTTP_FAIL_BROKEN,    /* the connection ended or broke early */
	HTTP_FAIL_MALFORMED, /* not an HTTP/1.x answer we can read */
	HTTP_FAIL_TOO_LARGE, /* the head or the body past its limit */
	HTTP_FAIL_NOMEM,
};

struct http_answer {
	int status;	 /* the final answer's status code, 200..599 */
	char *body;	 /* body_len bytes and a NUL; malloc'ed, never NULL
			    once complete (free with http_answer_free) */
	size_t body_len; /* <= the body_max asked for */
	enum http_failure failure;
	int sys_errno;	  /* the errno behind CONNECT or BROKEN, else 0 */
	char detail[256]; /* the failure in words, one line, no socket path */
};

struct http_get {
	const char *socket_path; /* an AF_UNIX stream socket */
	const char *target;	 /* origin-form: "/api/v1/vm.info" */
	const char *accept;	 /* the Accept field's value, or NULL */
	size_t body_max;	 /* bytes */
	unsigned connect_ms;	 /* connect() on a full listen backlog */
	unsigned timeout_ms;	 /* the whole exchange, connect included */
};

/*
 * GET req->target over req->socket_path. IQ_OK when a final answer was
 * read whole, whatever its status (ans->status, ans->body). Otherwise
 * ans->failure and ans->detail say why, and err (one line) is "SOCKET:
 * DETAIL": IQ_EREFUSED for MALFORMED and TOO_LARGE (whoever answered
 * does not speak HTTP/1.x as we read it), IQ_EENV for the rest. A body
 * past body_max, a head past HTTP_HEAD_MAX, a Transfer-Encoding other
 * than chunked or a Content-Encoding other than identity (none is asked
 * for) are refused, not truncated. SIGPIPE is never raised.
 */
int http_unix_get(const struct http_get *req, struct http_answer *ans,
		  struct iq_err *err);
void http_answer_free(struct http_answer *ans);

/*
 * The answer parser alone, fed the bytes as they arrive (the fuzz target
 * and the unit tests drive it): the result is the same however the bytes
 * are split. Not a public protocol: the fields are its own.
 */
enum http_parse {
	HTTP_PARSE_MORE,  /* give it more bytes (or the end) */
	HTTP_PARSE_DONE,  /* ans holds the final answer */
	HTTP_PARSE_ERROR, /* ans->failure and ans->detail say why */
};

struct http_parser {
	struct http_answer *ans;
	size_t head_max, body_max;
	int state;
	char head[HTTP_HEAD_MAX];
	size_t head_len, line_start;
	unsigned lines;	  /* lines of the current head */
	unsigned interim; /* 1xx answers passed over */
	bool cr;	  /* the previous byte was CR */
	bool seen_any;	  /* a byte arrived */
	int minor;	  /* HTTP/1.minor of the current head */
	bool chunked, has_length;
	uint64_t length;    /* Content-Length */
	uint64_t remaining; /* body or chunk bytes still to come */
	size_t body_cap;
	char line[HTTP_LINE_MAX];
	size_t line_len;
	size_t trailer_bytes;
};

/*
 * Start on a new answer into ans (zeroed). head_max <= HTTP_HEAD_MAX
 * (0: HTTP_HEAD_MAX); body_max bytes.
 */
void http_parser_init(struct http_parser *p, struct http_answer *ans,
		      size_t head_max, size_t body_max);
/* Feed len bytes; *used says how many were taken (all unless DONE). */
enum http_parse http_parser_feed(struct http_parser *p, const char *data,
				 size_t len, size_t *used);
/* The connection ended: DONE for a close-delimited body, else ERROR. */
enum http_parse http_parser_end(struct http_parser *p);

#endif
