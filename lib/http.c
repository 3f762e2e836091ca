// SPDX-License-Identifier: MIT
/*
 * HTTP/1.1 over a local Unix socket, our own rather than a library's.
 *
 * The one user is Cloud Hypervisor's API socket (GET /api/v1/vm.info),
 * asked by the daemon on every CH lifecycle event. This was libcurl
 * (dlopen'ed); measured on Debian 12, loading libcurl.so.4 and
 * curl_global_init() cost 3.4-5.2 ms and +8.3 MiB of RSS (1.2 MiB of it
 * anonymous), because Debian's libcurl4 links 31 other libraries for
 * protocols a local socket never uses: OpenSSL (libcrypto alone 3.1 MiB
 * resident in the daemon), GnuTLS and p11-kit (through librtmp), Kerberos,
 * LDAP, SSH, nghttp2, brotli, zstd, libpsl, libidn2. With it the daemon
 * was 11.5 MiB resident; without it about 4 (`make bench`,
 * tests/bench/daemon.sh). Debian 12 has no libcurl built without TLS.
 * The alternatives looked at: libevent 2.1's evhttp resets a connection's
 * fd and connects by host name (AF_UNIX arrived in 2.2, not in Debian
 * 12); nodejs's http-parser 2.9 (libhttp-parser2.9) is archived upstream
 * in favour of llhttp, which Debian 12 ships only inside Node.js; libsoup
 * brings GLib and TLS back, neon links GnuTLS or OpenSSL.
 *
 * What is needed is small and fixed: one GET per connection on a socket
 * we connect ourselves, "Connection: close", and a strict reader of the
 * answer. Cloud Hypervisor's server (firecracker's micro_http) answers
 * "HTTP/1.1 200 \r\n" (an empty reason phrase), "Server:", "Connection:
 * keep-alive" (it keeps the connection open: the answer ends at its
 * Content-Length, never at a close), "Content-Type:", "Content-Length:"
 * (none on 204). The reader also takes chunked and close-delimited
 * bodies and interim 1xx answers, so a proxy or another server in front
 * is read correctly or refused with a reason, never misread.
 *
 * Strict, after RFC 9112: lines end in CRLF (a bare CR or LF is an
 * error); no obsolete line folding; field names are tokens with nothing
 * between name and colon; no control bytes; one Content-Length value
 * (repeats must agree); Transfer-Encoding only "chunked", and never
 * together with Content-Length or in an HTTP/1.0 answer; Content-Encoding
 * only identity. Every size is bounded (HTTP_HEAD_MAX, HTTP_LINE_MAX,
 * body_max) and the whole exchange by one deadline kept with poll().
 *
 * The parser takes the bytes one at a time where it matters (the head,
 * chunk-size and trailer lines) and in runs for body data, so its result
 * does not depend on how the bytes arrive; tests/fuzz/fuzz_http_answer.c
 * checks exactly that, with the seed corpus of answers CH really sends.
 */
#include "lib/http.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/text.h"

/* What a message quotes of a line from the server, before escaping. */
#define QUOTE_MAX 40
/* Read size per recv(). */
#define RECV_CHUNK 16384

enum {
	P_HEAD,
	P_LENGTH,     /* Content-Length bytes to come */
	P_CHUNK_SIZE, /* a chunk-size line */
	P_CHUNK_DATA, /* chunk bytes to come */
	P_CHUNK_CR,   /* the CRLF after chunk data */
	P_CHUNK_LF,
	P_TRAILER,     /* trailer field lines, then an empty line */
	P_UNTIL_CLOSE, /* a close-delimited body */
	P_DONE,
	P_ERROR,
};

__attribute__((format(printf, 3, 4))) static enum http_parse
fail(struct http_parser *p, enum http_failure why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->ans->detail, sizeof(p->ans->detail), fmt, ap);
	va_end(ap);
	text_escape_inplace(p->ans->detail, sizeof(p->ans->detail));
	p->ans->failure = why;
	p->state = P_ERROR;
	return HTTP_PARSE_ERROR;
}

/*
 * text (len bytes, NULs included) quoted for a message: control bytes
 * escaped, cut at QUOTE_MAX bytes with "...".
 */
static const char *quote(const char *text, size_t len, char *out,
			 size_t out_len)
{
	size_t used = text_escape(text, len < QUOTE_MAX ? len : QUOTE_MAX, out,
				  out_len - 3);

	if (used < len)
		strcat(out, "...");
	return out;
}

void http_parser_init(struct http_parser *p, struct http_answer *ans,
		      size_t head_max, size_t body_max)
{
	/* Field by field: the 16 KiB head buffer needs no clearing. */
	memset(ans, 0, sizeof(*ans));
	p->ans = ans;
	p->head_max =
		head_max && head_max < HTTP_HEAD_MAX ? head_max : HTTP_HEAD_MAX;
	p->body_max = body_max < SIZE_MAX / 2 ? body_max : SIZE_MAX / 2;
	p->state = P_HEAD;
	p->head_len = p->line_start = 0;
	p->lines = p->interim = 0;
	p->cr = p->seen_any = p->chunked = p->has_length = false;
	p->minor = 0;
	p->length = p->remaining = 0;
	p->body_cap = p->line_len = p->trailer_bytes = 0;
}

/* RFC 9110 tchar. */
static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* A hexadecimal digit's value, or -1. */
static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* field-vchar, SP or HTAB: VCHAR and obs-text (0x80-0xff). */
static bool is_text(unsigned char c)
{
	return c == ' ' || c == '\t' || (c > 0x20 && c != 0x7f);
}

static bool all_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_text((unsigned char)s[i]))
			return false;
	return true;
}

/* The body buffer holds at least want bytes and a NUL. */
static enum http_parse body_reserve(struct http_parser *p, size_t want)
{
	struct http_answer *a = p->ans;
	size_t cap = p->body_cap ? p->body_cap : 4096;
	char *grown;

	if (want < p->body_cap)
		return HTTP_PARSE_MORE;
	while (cap <= want)
		cap = cap > p->body_max / 2 ? p->body_max + 1 : cap * 2;
	grown = realloc(a->body, cap);
	if (!grown)
		return fail(p, HTTP_FAIL_NOMEM,
			    "out of memory for a %zu-byte body", want);
	a->body = grown;
	p->body_cap = cap;
	return HTTP_PARSE_MORE;
}

static enum http_parse body_append(struct http_parser *p, const char *data,
				   size_t n)
{
	struct http_answer *a = p->ans;

	if (n > p->body_max - a->body_len)
		return fail(p, HTTP_FAIL_TOO_LARGE,
			    "body longer than %zu bytes", p->body_max);
	if (body_reserve(p, a->body_len + n) == HTTP_PARSE_ERROR)
		return HTTP_PARSE_ERROR;
	memcpy(a->body + a->body_len, data, n);
	a->body_len += n;
	a->body[a->body_len] = '\0';
	return HTTP_PARSE_MORE;
}

static enum http_parse done(struct http_parser *p)
{
	/* An empty body is "" too, never NULL. */
	if (body_reserve(p, p->ans->body_len) == HTTP_PARSE_ERROR)
		return HTTP_PARSE_ERROR;
	p->ans->body[p->ans->body_len] = '\0';
	p->state = P_DONE;
	return HTTP_PARSE_DONE;
}

/* "HTTP/1.1 200 OK": version, a three-digit code, a reason (may be empty). */
static enum http_parse status_line(struct http_parser *p, const char *s,
				   size_t len)
{
	char q[QUOTE_MAX * 4 + 8];
	const char *reason;

	if (len < 12 || memcmp(s, "HTTP/", 5) != 0 || s[5] < '0' ||
	    s[5] > '9' || s[6] != '.' || s[7] < '0' || s[7] > '9' ||
	    s[8] != ' ')
		return fail(p, HTTP_FAIL_MALFORMED,
			    "the answer is not HTTP: status line '%s'",
			    quote(s, len, q, sizeof(q)));
	if (s[5] != '1' || s[7] > '1')
		return fail(p, HTTP_FAIL_MALFORMED,
			    "the answer is HTTP/%c.%c, not HTTP/1.0 or 1.1",
			    s[5], s[7]);
	p->minor = s[7] - '0';
	if (s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' ||
	    s[11] < '0' || s[11] > '9' || (len > 12 && s[12] != ' '))
		return fail(p, HTTP_FAIL_MALFORMED,
			    "status line '%s': no status code 100-599",
			    quote(s, len, q, sizeof(q)));
	reason = len > 12 ? s + 13 : s + 12;
	if (!all_text(reason, len - (size_t)(reason - s)))
		return fail(p, HTTP_FAIL_MALFORMED,
			    "status line '%s': a control byte in the reason",
			    quote(s, len, q, sizeof(q)));
	p->ans->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + s[11] - '0';
	return HTTP_PARSE_MORE;
}

/* Split "Name: value" (OWS trimmed); the caller names the line. */
static bool split_field(const char *s, size_t len, size_t *name_len,
			const char **value, size_t *value_len, const char **why)
{
	size_t n = 0, v, end;

	while (n < len && is_tchar((unsigned char)s[n]))
		n++;
	if (n == len || s[n] != ':') {
		size_t w = n;

		while (w < len && (s[w] == ' ' || s[w] == '\t'))
			w++;
		if (n == 0 && w > 0)
			*why = "folded onto the line before (obsolete)";
		else if (w > n && w < len && s[w] == ':')
			*why = "white space before the colon";
		else
			*why = "not a header field (Name: value)";
		return false;
	}
	if (n == 0) {
		*why = "a field without a name";
		return false;
	}
	v = n + 1;
	end = len;
	while (v < end && (s[v] == ' ' || s[v] == '\t'))
		v++;
	while (end > v && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	if (!all_text(s + v, end - v)) {
		*why = "a control byte in the value";
		return false;
	}
	*name_len = n;
	*value = s + v;
	*value_len = end - v;
	return true;
}

static bool name_is(const char *s, size_t len, const char *name)
{
	return len == strlen(name) && strncasecmp(s, name, len) == 0;
}

static enum http_parse content_length(struct http_parser *p, const char *v,
				      size_t len)
{
	char q[QUOTE_MAX * 4 + 8];
	uint64_t n = 0;
	bool huge = false;

	if (len == 0)
		return fail(p, HTTP_FAIL_MALFORMED, "an empty Content-Length");
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return fail(p, HTTP_FAIL_MALFORMED,
				    "Content-Length '%s' is not a number",
				    quote(v, len, q, sizeof(q)));
		if (n > (UINT64_MAX - 9) / 10)
			huge = true;
		else
			n = n * 10 + (uint64_t)(v[i] - '0');
	}
	if (p->has_length && (huge || n != p->length))
		return fail(p, HTTP_FAIL_MALFORMED,
			    "two different Content-Length values");
	if (huge || n > p->body_max)
		return fail(p, HTTP_FAIL_TOO_LARGE,
			    "Content-Length %s is more than the %zu bytes "
			    "allowed",
			    quote(v, len, q, sizeof(q)), p->body_max);
	p->has_length = true;
	p->length = n;
	return HTTP_PARSE_MORE;
}

static enum http_parse transfer_encoding(struct http_parser *p, const char *v,
					 size_t len)
{
	char q[QUOTE_MAX * 4 + 8];

	/* Only "chunked", once: any other coding is unreadable here. */
	if (!name_is(v, len, "chunked"))
		return fail(p, HTTP_FAIL_MALFORMED,
			    "Transfer-Encoding '%s' is not supported (only "
			    "chunked)",
			    quote(v, len, q, sizeof(q)));
	if (p->chunked)
		return fail(p, HTTP_FAIL_MALFORMED,
			    "Transfer-Encoding chunked twice");
	p->chunked = true;
	return HTTP_PARSE_MORE;
}

static enum http_parse field_line(struct http_parser *p, const char *s,
				  size_t len)
{
	char q[QUOTE_MAX * 4 + 8];
	const char *value, *why;
	size_t name_len, value_len;

	if (!split_field(s, len, &name_len, &value, &value_len, &why))
		return fail(p, HTTP_FAIL_MALFORMED, "line %u '%s': %s",
			    p->lines, quote(s, len, q, sizeof(q)), why);
	if (name_is(s, name_len, "Content-Length"))
		return content_length(p, value, value_len);
	if (name_is(s, name_len, "Transfer-Encoding"))
		return transfer_encoding(p, value, value_len);
	/* Nothing asked for an encoding: a compressed body is unreadable. */
	if (name_is(s, name_len, "Content-Encoding") &&
	    !name_is(value, value_len, "identity"))
		return fail(p, HTTP_FAIL_MALFORMED,
			    "Content-Encoding '%s' though none was asked for",
			    quote(value, value_len, q, sizeof(q)));
	return HTTP_PARSE_MORE;
}

/* The empty line: the head is whole; how is the body framed? */
static enum http_parse head_done(struct http_parser *p)
{
	int status = p->ans->status;

	if (status == 101)
		return fail(p, HTTP_FAIL_MALFORMED,
			    "101 Switching Protocols to a plain GET");
	if (status < 200) {
		/* Interim: its fields say nothing of the final answer. */
		if (++p->interim > HTTP_INTERIM_MAX)
			return fail(p, HTTP_FAIL_MALFORMED,
				    "more than %d interim (1xx) answers",
				    HTTP_INTERIM_MAX);
		p->head_len = p->line_start = 0;
		p->lines = 0;
		p->chunked = p->has_length = false;
		p->length = 0;
		p->ans->status = 0;
		return HTTP_PARSE_MORE;
	}
	if (p->chunked && p->has_length)
		return fail(p, HTTP_FAIL_MALFORMED,
			    "both Transfer-Encoding and Content-Length");
	if (p->chunked && p->minor == 0)
		return fail(p, HTTP_FAIL_MALFORMED,
			    "Transfer-Encoding in an HTTP/1.0 answer");
	if (status == 204 || status == 304)
		return done(p);
	if (p->chunked) {
		p->state = P_CHUNK_SIZE;
		p->line_len = 0;
		return HTTP_PARSE_MORE;
	}
	if (p->has_length) {
		if (body_reserve(p, (size_t)p->length) == HTTP_PARSE_ERROR)
			return HTTP_PARSE_ERROR;
		p->remaining = p->length;
		p->state = P_LENGTH;
		return p->length ? HTTP_PARSE_MORE : done(p);
	}
	p->state = P_UNTIL_CLOSE;
	return HTTP_PARSE_MORE;
}

/* One byte of the head (status line and fields). */
static enum http_parse head_byte(struct http_parser *p, char c)
{
	char q[QUOTE_MAX * 4 + 8];
	const char *line;
	size_t line_len;

	if (p->head_len == p->head_max)
		return fail(p, HTTP_FAIL_TOO_LARGE,
			    "status line and header fields longer than %zu "
			    "bytes",
			    p->head_max);
	p->head[p->head_len++] = c;
	line = p->head + p->line_start;
	line_len = p->head_len - p->line_start;
	/* Garbage says so early, not after HTTP_HEAD_MAX bytes. */
	if (p->lines == 0 && line_len == 5 && memcmp(line, "HTTP/", 5) != 0)
		return fail(p, HTTP_FAIL_MALFORMED,
			    "the answer is not HTTP: it begins '%s'",
			    quote(line, line_len, q, sizeof(q)));
	if (p->cr && c != '\n')
		return fail(p, HTTP_FAIL_MALFORMED,
			    "line %u: CR not followed by LF", p->lines + 1);
	if (c == '\r') {
		p->cr = true;
		return HTTP_PARSE_MORE;
	}
	if (c != '\n')
		return HTTP_PARSE_MORE;
	line_len -= p->cr ? 2 : 1;
	if (!p->cr)
		return fail(p, HTTP_FAIL_MALFORMED,
			    "line %u '%s' ends in a bare LF (HTTP needs CRLF)",
			    p->lines + 1, quote(line, line_len, q, sizeof(q)));
	p->cr = false;
	p->line_start = p->head_len;
	p->lines++;
	if (p->lines == 1)
		return status_line(p, line, line_len);
	if (line_len == 0)
		return head_done(p);
	return field_line(p, line, line_len);
}

/* A chunk-size line: 1*HEXDIG [ BWS ";" extension ]. */
static enum http_parse chunk_size(struct http_parser *p)
{
	char q[QUOTE_MAX * 4 + 8];
	const char *s = p->line;
	size_t len = p->line_len, i = 0;
	uint64_t n = 0;

	while (i < len && hex_value(s[i]) >= 0) {
		uint64_t d = (uint64_t)hex_value(s[i]);

		if (n > (UINT64_MAX >> 4))
			return fail(p, HTTP_FAIL_TOO_LARGE,
				    "chunk size '%s' past 64 bits",
				    quote(s, len, q, sizeof(q)));
		n = (n << 4) | d;
		i++;
	}
	if (i == 0)
		return fail(p, HTTP_FAIL_MALFORMED,
			    "chunk size '%s' is not hexadecimal",
			    quote(s, len, q, sizeof(q)));
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < len && (s[i] != ';' || !all_text(s + i, len - i)))
		return fail(p, HTTP_FAIL_MALFORMED,
			    "chunk size line '%s' is malformed",
			    quote(s, len, q, sizeof(q)));
	if (n > p->body_max - p->ans->body_len)
		return fail(p, HTTP_FAIL_TOO_LARGE,
			    "body longer than %zu bytes", p->body_max);
	p->line_len = 0;
	if (n == 0) {
		p->state = P_TRAILER;
		return HTTP_PARSE_MORE;
	}
	if (body_reserve(p, p->ans->body_len + (size_t)n) == HTTP_PARSE_ERROR)
		return HTTP_PARSE_ERROR;
	p->remaining = n;
	p->state = P_CHUNK_DATA;
	return HTTP_PARSE_MORE;
}

static enum http_parse trailer_line(struct http_parser *p)
{
	char q[QUOTE_MAX * 4 + 8];
	const char *value, *why;
	size_t name_len, value_len;

	if (p->line_len == 0)
		return done(p);
	if (!split_field(p->line, p->line_len, &name_len, &value, &value_len,
			 &why))
		return fail(p, HTTP_FAIL_MALFORMED, "trailer '%s': %s",
			    quote(p->line, p->line_len, q, sizeof(q)), why);
	p->line_len = 0;
	return HTTP_PARSE_MORE;
}

/* One byte of a chunk-size or trailer line. */
static enum http_parse line_byte(struct http_parser *p, char c)
{
	const char *what = p->state == P_TRAILER ? "trailer" : "chunk size";

	if (p->state == P_TRAILER && ++p->trailer_bytes > p->head_max)
		return fail(p, HTTP_FAIL_TOO_LARGE,
			    "trailer fields longer than %zu bytes",
			    p->head_max);
	if (p->cr) {
		if (c != '\n')
			return fail(p, HTTP_FAIL_MALFORMED,
				    "%s line: CR not followed by LF", what);
		p->cr = false;
		return p->state == P_TRAILER ? trailer_line(p) : chunk_size(p);
	}
	if (c == '\r') {
		p->cr = true;
		return HTTP_PARSE_MORE;
	}
	if (c == '\n')
		return fail(p, HTTP_FAIL_MALFORMED,
			    "%s line ends in a bare LF (HTTP needs CRLF)",
			    what);
	if (p->line_len == sizeof(p->line))
		return fail(p, HTTP_FAIL_MALFORMED,
			    "%s line longer than %zu bytes", what,
			    sizeof(p->line));
	p->line[p->line_len++] = c;
	return HTTP_PARSE_MORE;
}

enum http_parse http_parser_feed(struct http_parser *p, const char *data,
				 size_t len, size_t *used)
{
	enum http_parse r = HTTP_PARSE_MORE;
	size_t i = 0;

	if (len)
		p->seen_any = true;
	while (i < len && r == HTTP_PARSE_MORE) {
		size_t n;

		switch (p->state) {
		case P_HEAD:
			r = head_byte(p, data[i++]);
			break;
		case P_LENGTH:
		case P_CHUNK_DATA:
			n = len - i < p->remaining ? len - i
						   : (size_t)p->remaining;
			r = body_append(p, data + i, n);
			i += n;
			p->remaining -= n;
			if (r != HTTP_PARSE_MORE || p->remaining)
				break;
			if (p->state == P_LENGTH)
				r = done(p);
			else
				p->state = P_CHUNK_CR;
			break;
		case P_CHUNK_CR:
		case P_CHUNK_LF:
			if (data[i++] != (p->state == P_CHUNK_CR ? '\r' : '\n'))
				r = fail(p, HTTP_FAIL_MALFORMED,
					 "chunk data not followed by CRLF");
			else
				p->state = p->state == P_CHUNK_CR
						   ? P_CHUNK_LF
						   : P_CHUNK_SIZE;
			break;
		case P_CHUNK_SIZE:
		case P_TRAILER:
			r = line_byte(p, data[i++]);
			break;
		case P_UNTIL_CLOSE:
			r = body_append(p, data + i, len - i);
			i = len;
			break;
		case P_DONE:
			r = HTTP_PARSE_DONE;
			break;
		default:
			r = HTTP_PARSE_ERROR;
		}
	}
	if (used)
		*used = i;
	return r;
}

enum http_parse http_parser_end(struct http_parser *p)
{
	switch (p->state) {
	case P_DONE:
		return HTTP_PARSE_DONE;
	case P_ERROR:
		return HTTP_PARSE_ERROR;
	case P_UNTIL_CLOSE:
		return done(p);
	case P_HEAD:
		if (!p->seen_any)
			return fail(p, HTTP_FAIL_BROKEN,
				    "the connection closed without an answer");
		return fail(p, HTTP_FAIL_BROKEN,
			    "the connection closed inside the header fields "
			    "(after %zu bytes)",
			    p->head_len);
	case P_LENGTH:
		return fail(p, HTTP_FAIL_BROKEN,
			    "the connection closed after %zu of %llu body "
			    "bytes",
			    p->ans->body_len, (unsigned long long)p->length);
	default:
		return fail(p, HTTP_FAIL_BROKEN,
			    "the connection closed inside the chunked body "
			    "(after %zu bytes of it)",
			    p->ans->body_len);
	}
}

/* ---- the exchange --------------------------------------------------- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The answer's failure as err: "SOCKET: DETAIL". */
static int answer_err(const struct http_get *req, struct http_answer *ans,
		      enum http_failure why, int sys_errno, struct iq_err *err,
		      const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static int answer_err(const struct http_get *req, struct http_answer *ans,
		      enum http_failure why, int sys_errno, struct iq_err *err,
		      const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(ans->detail, sizeof(ans->detail), fmt, ap);
		va_end(ap);
		text_escape_inplace(ans->detail, sizeof(ans->detail));
		ans->failure = why;
	}
	ans->sys_errno = sys_errno;
	free(ans->body);
	ans->body = NULL;
	ans->body_len = 0;
	ans->status = 0;
	return iq_fail(err,
		       ans->failure == HTTP_FAIL_MALFORMED ||
				       ans->failure == HTTP_FAIL_TOO_LARGE
			       ? IQ_EREFUSED
			       : IQ_EENV,
		       "%s: %s", req->socket_path, ans->detail);
}

/* A connected socket, or -1 with ans filled. */
static int connect_unix(const struct http_get *req, long long deadline,
			struct http_answer *ans, struct iq_err *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	long long left = deadline - now_ms();
	unsigned ms = req->connect_ms;
	struct timeval tv;
	int fd, rc;

	if (strlen(req->socket_path) >= sizeof(addr.sun_path)) {
		answer_err(req, ans, HTTP_FAIL_CONNECT, ENAMETOOLONG, err,
			   "cannot connect: the path is longer than %zu bytes",
			   sizeof(addr.sun_path) - 1);
		return -1;
	}
	memcpy(addr.sun_path, req->socket_path, strlen(req->socket_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		answer_err(req, ans, HTTP_FAIL_CONNECT, errno, err,
			   "cannot create a socket: %s", strerror(errno));
		return -1;
	}
	/* A connect to a listener whose backlog is full waits up to
	 * SO_SNDTIMEO, then fails with EAGAIN: a VMM that accepts nobody. */
	if (left < (long long)ms)
		ms = left > 1 ? (unsigned)left : 1;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (long)(ms % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	do
		rc = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	while (rc < 0 && errno == EINTR && now_ms() < deadline);
	if (rc < 0) {
		int e = errno;

		close(fd);
		if (e == EAGAIN || e == EINTR)
			answer_err(req, ans, HTTP_FAIL_TIMEOUT, e, err,
				   "no connection accepted in %u ms", ms);
		else
			answer_err(req, ans, HTTP_FAIL_CONNECT, e, err,
				   "cannot connect: %s", strerror(e));
		return -1;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		int e = errno;

		close(fd);
		answer_err(req, ans, HTTP_FAIL_CONNECT, e, err,
			   "cannot set the socket non-blocking: %s",
			   strerror(e));
		return -1;
	}
	return fd;
}

/* Wait for events on fd until the deadline: 1 ready, 0 timed out. */
static int wait_for(int fd, short events, long long deadline)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = events};
		long long left = deadline - now_ms();
		int n;

		if (left <= 0)
			return 0;
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return 1; /* the next send/recv says what is wrong */
	}
}

static int send_request(int fd, const struct http_get *req, long long deadline,
			struct http_answer *ans, struct iq_err *err)
{
	char buf[1024];
	size_t off = 0;
	int len;

	len = snprintf(buf, sizeof(buf),
		       "GET %s HTTP/1.1\r\nHost: localhost\r\n%s%s%s"
		       "Connection: close\r\n\r\n",
		       req->target, req->accept ? "Accept: " : "",
		       req->accept ? req->accept : "",
		       req->accept ? "\r\n" : "");
	if (len < 0 || (size_t)len >= sizeof(buf) ||
	    strpbrk(req->target, " \r\n") ||
	    (req->accept && strpbrk(req->accept, "\r\n")))
		return answer_err(req, ans, HTTP_FAIL_CONNECT, EINVAL, err,
				  "cannot send: the request target is "
				  "malformed");
	while (off < (size_t)len) {
		ssize_t n =
			send(fd, buf + off, (size_t)len - off, MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return answer_err(req, ans, HTTP_FAIL_BROKEN, errno,
					  err,
					  "the connection broke sending the "
					  "request: %s",
					  strerror(errno));
		if (!wait_for(fd, POLLOUT, deadline))
			return answer_err(req, ans, HTTP_FAIL_TIMEOUT, 0, err,
					  "no answer in %u ms (the request "
					  "was not taken)",
					  req->timeout_ms);
	}
	return IQ_OK;
}

static int read_answer(int fd, const struct http_get *req, long long deadline,
		       struct http_parser *p, struct http_answer *ans,
		       struct iq_err *err)
{
	char buf[RECV_CHUNK];
	enum http_parse r = HTTP_PARSE_MORE;

	while (r == HTTP_PARSE_MORE) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n > 0) {
			r = http_parser_feed(p, buf, (size_t)n, NULL);
		} else if (n == 0) {
			r = http_parser_end(p);
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN) {
			if (!wait_for(fd, POLLIN, deadline))
				return answer_err(req, ans, HTTP_FAIL_TIMEOUT,
						  0, err, "no answer in %u ms",
						  req->timeout_ms);
		} else {
			return answer_err(req, ans, HTTP_FAIL_BROKEN, errno,
					  err,
					  "the connection broke reading the "
					  "answer: %s",
					  strerror(errno));
		}
	}
	if (r == HTTP_PARSE_ERROR)
		return answer_err(req, ans, ans->failure, 0, err, NULL);
	return IQ_OK;
}

int http_unix_get(const struct http_get *req, struct http_answer *ans,
		  struct iq_err *err)
{
	long long deadline = now_ms() + req->timeout_ms;
	struct http_parser *p;
	int fd, rc;

	memset(ans, 0, sizeof(*ans));
	/* 16 KiB of head: not on the daemon's stack. */
	p = malloc(sizeof(*p));
	if (!p)
		return answer_err(req, ans, HTTP_FAIL_NOMEM, 0, err,
				  "out of memory");
	http_parser_init(p, ans, HTTP_HEAD_MAX, req->body_max);
	fd = connect_unix(req, deadline, ans, err);
	if (fd < 0) {
		free(p);
		return err->code;
	}
	rc = send_request(fd, req, deadline, ans, err);
	if (!rc)
		rc = read_answer(fd, req, deadline, p, ans, err);
	close(fd);
	free(p);
	return rc;
}

void http_answer_free(struct http_answer *ans)
{
	free(ans->body);
	ans->body = NULL;
	ans->body_len = 0;
}
