// SPDX-License-Identifier: MIT
/*
 * An HTTP/1.x answer as it arrives on a Unix socket (lib/http.c): the
 * input is the bytes on the wire. Beyond "no crash": fed whole and fed a
 * byte at a time (the worst split a stream can have) the parser gives the
 * same result, status, body, failure and message alike; a complete
 * answer's body is within the limit and NUL-terminated, a final status is
 * 200-599; a failure has a kind and a one-line message. The limits are
 * small so that the fuzzer reaches them.
 */
#include "tests/fuzz/fuzz.h"

#include "lib/http.h"

#define FUZZ_HEAD_MAX 1024
#define FUZZ_BODY_MAX 8192

static enum http_parse parse(const uint8_t *data, size_t size, size_t step,
			     struct http_parser *p, struct http_answer *ans)
{
	enum http_parse r = HTTP_PARSE_MORE;
	size_t off = 0;

	http_parser_init(p, ans, FUZZ_HEAD_MAX, FUZZ_BODY_MAX);
	while (r == HTTP_PARSE_MORE && off < size) {
		size_t n = size - off < step ? size - off : step, used = 0;

		r = http_parser_feed(p, (const char *)data + off, n, &used);
		/* Every byte is taken until the answer is complete. */
		if (used > n || (r == HTTP_PARSE_MORE && used != n))
			abort();
		off += used;
	}
	if (r == HTTP_PARSE_MORE)
		r = http_parser_end(p);
	return r;
}

static void check(enum http_parse r, const struct http_answer *a)
{
	if (r == HTTP_PARSE_DONE) {
		if (!a->body || a->body[a->body_len] != '\0' ||
		    a->body_len > FUZZ_BODY_MAX || a->status < 200 ||
		    a->status > 599 || a->failure != HTTP_FAIL_NONE)
			abort();
	} else if (r == HTTP_PARSE_ERROR) {
		if (a->failure == HTTP_FAIL_NONE || !a->detail[0])
			abort();
		fuzz_check_one_line(a->detail);
	} else {
		abort(); /* the end of the input always settles it */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_parser whole, bytewise;
	struct http_answer a, b;
	enum http_parse ra, rb;

	ra = parse(data, size, size ? size : 1, &whole, &a);
	rb = parse(data, size, 1, &bytewise, &b);
	check(ra, &a);
	check(rb, &b);
	if (ra != rb || a.failure != b.failure || strcmp(a.detail, b.detail))
		abort();
	if (ra == HTTP_PARSE_DONE &&
	    (a.status != b.status || a.body_len != b.body_len ||
	     memcmp(a.body, b.body, a.body_len)))
		abort();
	http_answer_free(&a);
	http_answer_free(&b);
	return 0;
}
