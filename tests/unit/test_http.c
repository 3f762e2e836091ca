// SPDX-License-Identifier: MIT
/*
 * HTTP/1.1 over a Unix socket (lib/http.c): the answer parser on answers
 * as Cloud Hypervisor's server (firecracker's micro_http) and the test
 * stand-in (Python's http.server) send them, the framings a proxy may
 * use, every refusal with its message; then whole exchanges against a
 * forked server on a real socket (a keep-alive server, one that never
 * answers, one that hangs up, nobody listening).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/http.h"
#include "tests/unit/test.h"

/* What CH answers GET vm.info with (micro_http: empty reason phrase,
 * keep-alive, Content-Type and Content-Length). */
static const char CH_BODY[] =
	"{\"config\":{\"cpus\":{\"boot_vcpus\":2},\"memory\":{\"size\":"
	"8589934592},\"platform\":{\"oem_strings\":[\"icmquota.class=small\"]}"
	"},\"state\":\"Created\"}";
#define CH_HEAD(len)                                                           \
	"HTTP/1.1 200 \r\nServer: Cloud Hypervisor API\r\nConnection: "        \
	"keep-alive\r\nContent-Type: application/json\r\nContent-Length: " len \
	"\r\n\r\n"

static struct http_parser parser; /* 16 KiB: not on the stack */

static char *ch_answer(size_t *len)
{
	char head[256];
	char *out;
	int n = snprintf(head, sizeof(head), CH_HEAD("%zu"),
			 sizeof(CH_BODY) - 1);

	*len = (size_t)n + sizeof(CH_BODY) - 1;
	out = malloc(*len + 1);
	memcpy(out, head, (size_t)n);
	memcpy(out + n, CH_BODY, sizeof(CH_BODY));
	return out;
}

/* Parse text whole (then the end of the stream if it wants more). */
static enum http_parse parse_all(const char *text, size_t len, size_t body_max,
				 struct http_answer *ans)
{
	enum http_parse r;

	http_parser_init(&parser, ans, 0, body_max);
	r = http_parser_feed(&parser, text, len, NULL);
	return r == HTTP_PARSE_MORE ? http_parser_end(&parser) : r;
}

static enum http_parse parse_str(const char *text, struct http_answer *ans)
{
	return parse_all(text, strlen(text), 4096, ans);
}

static void test_ch_answer_split_anywhere(void)
{
	struct http_answer ans;
	size_t len;
	char *text = ch_answer(&len);

	/* In two pieces, cut at every byte: the same answer each time. */
	for (size_t cut = 0; cut <= len; cut++) {
		enum http_parse r;
		size_t used = 0;

		http_parser_init(&parser, &ans, 0, 4096);
		r = http_parser_feed(&parser, text, cut, &used);
		CHECK(r == (cut == len ? HTTP_PARSE_DONE : HTTP_PARSE_MORE));
		CHECK_U64(used, cut);
		if (r == HTTP_PARSE_MORE)
			r = http_parser_feed(&parser, text + cut, len - cut,
					     &used);
		CHECK(r == HTTP_PARSE_DONE);
		CHECK_U64(ans.status, 200);
		CHECK_U64(ans.body_len, sizeof(CH_BODY) - 1);
		CHECK_STR(ans.body, CH_BODY);
		http_answer_free(&ans);
	}
	free(text);
}

/* micro_http keeps the connection open: the answer ends at its length. */
static void test_answer_ends_at_content_length(void)
{
	struct http_answer ans;
	size_t len, used = 0;
	char *text = ch_answer(&len), *two = malloc(2 * len);

	memcpy(two, text, len);
	memcpy(two + len, text, len);
	http_parser_init(&parser, &ans, 0, 4096);
	CHECK(http_parser_feed(&parser, two, 2 * len, &used) ==
	      HTTP_PARSE_DONE);
	CHECK_U64(used, len);
	CHECK_STR(ans.body, CH_BODY);
	http_answer_free(&ans);
	free(two);
	free(text);
}

static void test_no_content_and_empty_bodies(void)
{
	struct http_answer ans;

	/* CH's 204 (vm.boot and the like): no Content-Length at all. */
	CHECK(parse_str("HTTP/1.1 204 \r\nServer: Cloud Hypervisor API\r\n"
			"Connection: keep-alive\r\n\r\n",
			&ans) == HTTP_PARSE_DONE);
	CHECK_U64(ans.status, 204);
	CHECK_STR(ans.body, "");
	http_answer_free(&ans);
	CHECK(parse_str("HTTP/1.1 400 \r\nContent-Length: 0\r\n\r\n", &ans) ==
	      HTTP_PARSE_DONE);
	CHECK_U64(ans.status, 400);
	CHECK_STR(ans.body, "");
	http_answer_free(&ans);
}

static void test_other_servers(void)
{
	struct http_answer ans;

	/* Python's http.server (tests/chsim) with a reason phrase. */
	CHECK(parse_str("HTTP/1.1 404 Not Found\r\nServer: "
			"cloud-hypervisor-sim Python/3.11.2\r\nDate: Mon, 06 "
			"Jan 2025 10:00:00 GMT\r\nContent-Type: "
			"text/plain\r\nContent-Length: 18\r\n\r\nVM is not "
			"created\n",
			&ans) == HTTP_PARSE_DONE);
	CHECK_U64(ans.status, 404);
	CHECK_STR(ans.body, "VM is not created\n");
	http_answer_free(&ans);
	/* Chunked with an extension and a trailer. */
	CHECK(parse_str(
		      "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
		      "b;name=value\r\n{\"state\":\"R\r\n9 \r\nunning\"}\n\r\n"
		      "0\r\nX-Checksum: 1\r\n\r\n",
		      &ans) == HTTP_PARSE_DONE);
	CHECK_STR(ans.body, "{\"state\":\"Running\"}\n");
	http_answer_free(&ans);
	/* HTTP/1.0 without a length: the body ends with the connection. */
	http_parser_init(&parser, &ans, 0, 4096);
	CHECK(http_parser_feed(&parser, "HTTP/1.0 200 OK\r\n\r\n{\"a\":1}", 26,
			       NULL) == HTTP_PARSE_MORE);
	CHECK(http_parser_end(&parser) == HTTP_PARSE_DONE);
	CHECK_STR(ans.body, "{\"a\":1}");
	http_answer_free(&ans);
	/* Interim answers are passed over; their fields do not count. */
	CHECK(parse_str("HTTP/1.1 100 Continue\r\nContent-Length: 9\r\n\r\n"
			"HTTP/1.1 103 Early Hints\r\n\r\n"
			"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\n{}",
			&ans) == HTTP_PARSE_DONE);
	CHECK_U64(ans.status, 200);
	CHECK_STR(ans.body, "{}");
	http_answer_free(&ans);
	/* A repeated Content-Length that agrees. */
	CHECK(parse_str("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n"
			"Content-Length:2\r\n\r\n{}",
			&ans) == HTTP_PARSE_DONE);
	CHECK_STR(ans.body, "{}");
	http_answer_free(&ans);
}

static void test_refused(void)
{
	static const struct {
		const char *text;
		enum http_failure why;
		const char *detail;
	} cases[] = {
		{"\x01\x02garbage, not HTTP at all\n", HTTP_FAIL_MALFORMED,
		 "the answer is not HTTP: it begins '\\x01\\x02gar'"},
		{"HTTP/2.0 200 OK\r\n\r\n", HTTP_FAIL_MALFORMED,
		 "the answer is HTTP/2.0, not HTTP/1.0 or 1.1"},
		{"HTTP/1.1 20 OK\r\n\r\n", HTTP_FAIL_MALFORMED,
		 "status line 'HTTP/1.1 20 OK': no status code 100-599"},
		{"HTTP/1.1 600 \r\n\r\n", HTTP_FAIL_MALFORMED,
		 "no status code 100-599"},
		{"HTTP/1.1 200 OK\nContent-Length: 0\n\n", HTTP_FAIL_MALFORMED,
		 "line 1 'HTTP/1.1 200 OK' ends in a bare LF (HTTP needs "
		 "CRLF)"},
		{"HTTP/1.1 200 OK\rX: 1\r\n\r\n", HTTP_FAIL_MALFORMED,
		 "line 1: CR not followed by LF"},
		{"HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\n\r\n", HTTP_FAIL_MALFORMED,
		 "line 3 ' b': folded onto the line before (obsolete)"},
		{"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\n{}",
		 HTTP_FAIL_MALFORMED,
		 "line 2 'Content-Length : 2': white space before the colon"},
		{"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
		 HTTP_FAIL_MALFORMED, "not a header field (Name: value)"},
		{"HTTP/1.1 200 OK\r\n: x\r\n\r\n", HTTP_FAIL_MALFORMED,
		 "a field without a name"},
		{"HTTP/1.1 200 OK\r\nX: a\x7f\r\n\r\n", HTTP_FAIL_MALFORMED,
		 "a control byte in the value"},
		{"HTTP/1.1 200 O\x01K\r\n\r\n", HTTP_FAIL_MALFORMED,
		 "a control byte in the reason"},
		{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		 HTTP_FAIL_MALFORMED, "Content-Length '-1' is not a number"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: "
		 "3\r\n\r\n{}x",
		 HTTP_FAIL_MALFORMED, "two different Content-Length values"},
		{"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
		 HTTP_FAIL_MALFORMED, "an empty Content-Length"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: "
		 "chunked\r\n\r\n0\r\n\r\n",
		 HTTP_FAIL_MALFORMED,
		 "both Transfer-Encoding and Content-Length"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		 HTTP_FAIL_MALFORMED,
		 "Transfer-Encoding 'gzip, chunked' is not supported (only "
		 "chunked)"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n",
		 HTTP_FAIL_MALFORMED, "Transfer-Encoding chunked twice"},
		{"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		 HTTP_FAIL_MALFORMED,
		 "Transfer-Encoding in an HTTP/1.0 answer"},
		{"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
		 "Content-Length: 0\r\n\r\n",
		 HTTP_FAIL_MALFORMED,
		 "Content-Encoding 'gzip' though none was asked for"},
		{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
		 HTTP_FAIL_MALFORMED, "101 Switching Protocols to a plain GET"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		 HTTP_FAIL_MALFORMED, "chunk size 'zz' is not hexadecimal"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2x\r\n",
		 HTTP_FAIL_MALFORMED, "chunk size line '2x' is malformed"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "2\r\n{}XX",
		 HTTP_FAIL_MALFORMED, "chunk data not followed by CRLF"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "fffffffffffffffff\r\n",
		 HTTP_FAIL_TOO_LARGE, "past 64 bits"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "0\r\nbad trailer\r\n\r\n",
		 HTTP_FAIL_MALFORMED, "trailer 'bad trailer': not a header"},
		{"", HTTP_FAIL_BROKEN,
		 "the connection closed without an answer"},
		{"HTTP/1.1 200 \r\nServer: Cloud Hyp", HTTP_FAIL_BROKEN,
		 "the connection closed inside the header fields (after 32 "
		 "bytes)"},
		{"HTTP/1.1 200 \r\nContent-Length: 100\r\n\r\n{\"config\":",
		 HTTP_FAIL_BROKEN,
		 "the connection closed after 10 of 100 body bytes"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "4\r\n{\"a\"\r\n",
		 HTTP_FAIL_BROKEN,
		 "the connection closed inside the chunked body (after 4 "
		 "bytes of it)"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_answer ans;

		CHECK(parse_str(cases[i].text, &ans) == HTTP_PARSE_ERROR);
		CHECK_U64(ans.failure, cases[i].why);
		CHECK_CONTAINS(ans.detail, cases[i].detail);
		CHECK(!strchr(ans.detail, '\n'));
		http_answer_free(&ans);
	}
}

static void test_limits(void)
{
	struct http_answer ans;
	char head[200];

	/* The head limit, counted from the first byte. */
	http_parser_init(&parser, &ans, 64, 4096);
	snprintf(head, sizeof(head),
		 "HTTP/1.1 200 OK\r\nX-Padding: %060d\r\n\r\n", 0);
	CHECK(http_parser_feed(&parser, head, strlen(head), NULL) ==
	      HTTP_PARSE_ERROR);
	CHECK_U64(ans.failure, HTTP_FAIL_TOO_LARGE);
	CHECK_STR(ans.detail,
		  "status line and header fields longer than 64 bytes");
	http_answer_free(&ans);
	/* The body limit: a Content-Length past it is refused at once. */
	CHECK(parse_all("HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n", 39, 16,
			&ans) == HTTP_PARSE_ERROR);
	CHECK_U64(ans.failure, HTTP_FAIL_TOO_LARGE);
	CHECK_STR(ans.detail,
		  "Content-Length 17 is more than the 16 bytes allowed");
	http_answer_free(&ans);
	CHECK(parse_all("HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n"
			"0123456789abcdef",
			55, 16, &ans) == HTTP_PARSE_DONE);
	CHECK_U64(ans.body_len, 16);
	http_answer_free(&ans);
	/* ... chunks adding up past it ... */
	http_parser_init(&parser, &ans, 0, 16);
	CHECK(http_parser_feed(&parser,
			       "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
			       "chunked\r\n\r\n8\r\n01234567\r\n9\r\n",
			       63, NULL) == HTTP_PARSE_ERROR);
	CHECK_U64(ans.failure, HTTP_FAIL_TOO_LARGE);
	CHECK_STR(ans.detail, "body longer than 16 bytes");
	http_answer_free(&ans);
	/* ... and a close-delimited body growing past it. */
	http_parser_init(&parser, &ans, 0, 16);
	CHECK(http_parser_feed(&parser, "HTTP/1.0 200 OK\r\n\r\n", 19, NULL) ==
	      HTTP_PARSE_MORE);
	CHECK(http_parser_feed(&parser, "0123456789abcdef", 16, NULL) ==
	      HTTP_PARSE_MORE);
	CHECK(http_parser_feed(&parser, "!", 1, NULL) == HTTP_PARSE_ERROR);
	CHECK_STR(ans.detail, "body longer than 16 bytes");
	http_answer_free(&ans);
	/* More interim answers than any server sends. */
	{
		char many[512] = "";

		for (int i = 0; i <= HTTP_INTERIM_MAX; i++)
			strcat(many, "HTTP/1.1 100 Continue\r\n\r\n");
		CHECK(parse_str(many, &ans) == HTTP_PARSE_ERROR);
		CHECK_STR(ans.detail, "more than 8 interim (1xx) answers");
		http_answer_free(&ans);
	}
}

/* ---- whole exchanges on a real socket -------------------------------- */

enum server_act {
	SERVE_CH,	/* answer as CH does, keep the connection open */
	SERVE_SILENT,	/* read the request, never answer */
	SERVE_HANG_UP,	/* close at once, the request unread */
	SERVE_BARE_LF,	/* a malformed answer */
	SERVE_TOO_LONG, /* a Content-Length past the limit */
};

struct server {
	pid_t pid;
	int listener;
	int req_pipe; /* the request the server read */
	char path[108];
};

static void serve(int fd, enum server_act act, int req_out)
{
	char buf[4096];
	size_t got = 0, len;
	char *answer;

	if (act == SERVE_HANG_UP)
		return;
	while (got < sizeof(buf) - 1) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			break;
	}
	if (write(req_out, buf, got) < 0)
		return;
	close(req_out);
	switch (act) {
	case SERVE_CH:
		answer = ch_answer(&len);
		if (write(fd, answer, len) < 0)
			return;
		free(answer);
		break;
	case SERVE_BARE_LF:
		if (write(fd, "HTTP/1.1 200 OK\nContent-Length: 2\n\n{}", 36) <
		    0)
			return;
		break;
	case SERVE_TOO_LONG:
		if (write(fd, CH_HEAD("100000000"),
			  strlen(CH_HEAD("100000000"))) < 0)
			return;
		break;
	default:
		break;
	}
	/* Keep the connection open until the client closes it. */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static bool server_start(struct server *s, const char *name,
			 enum server_act act)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int pipe_fds[2];

	snprintf(s->path, sizeof(s->path), "/tmp/test_http.%d.%s", getpid(),
		 name);
	unlink(s->path);
	memcpy(addr.sun_path, s->path, strlen(s->path));
	s->listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listener < 0 ||
	    bind(s->listener, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(s->listener, 4) < 0 || pipe(pipe_fds) < 0) {
		CHECK(!"listening socket");
		return false;
	}
	s->pid = fork();
	if (s->pid == 0) {
		int fd = accept(s->listener, NULL, NULL);

		close(pipe_fds[0]);
		if (fd >= 0)
			serve(fd, act, pipe_fds[1]);
		_exit(0);
	}
	close(pipe_fds[1]);
	s->req_pipe = pipe_fds[0];
	return s->pid > 0;
}

/* The request the server read; stops the server. */
static void server_stop(struct server *s, char *req, size_t len)
{
	ssize_t n = read(s->req_pipe, req, len - 1);

	req[n > 0 ? n : 0] = '\0';
	close(s->req_pipe);
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	close(s->listener);
	unlink(s->path);
}

static struct http_get get_of(const char *path, unsigned timeout_ms)
{
	return (struct http_get){.socket_path = path,
				 .target = "/api/v1/vm.info",
				 .accept = "application/json",
				 .body_max = 4096,
				 .connect_ms = 500,
				 .timeout_ms = timeout_ms};
}

static void test_get_from_keep_alive_server(void)
{
	struct http_answer ans;
	struct iq_err err = {0};
	struct server s;
	char req[4096];
	struct http_get get;

	if (!server_start(&s, "ch.sock", SERVE_CH))
		return;
	get = get_of(s.path, 20000);
	/* The server never closes: only the Content-Length ends the read,
	 * else this would be a timeout. */
	CHECK_U64(http_unix_get(&get, &ans, &err), IQ_OK);
	CHECK_STR(err.msg, "");
	CHECK_U64(ans.status, 200);
	CHECK_STR(ans.body, CH_BODY);
	http_answer_free(&ans);
	server_stop(&s, req, sizeof(req));
	CHECK_STR(req, "GET /api/v1/vm.info HTTP/1.1\r\nHost: localhost\r\n"
		       "Accept: application/json\r\nConnection: close\r\n\r\n");
}

static void test_get_failures(void)
{
	struct http_answer ans;
	struct iq_err err = {0};
	struct server s;
	struct http_get get;
	char req[4096], want[256];

	if (server_start(&s, "silent.sock", SERVE_SILENT)) {
		get = get_of(s.path, 300);
		CHECK_U64(http_unix_get(&get, &ans, &err), IQ_EENV);
		CHECK_U64(ans.failure, HTTP_FAIL_TIMEOUT);
		snprintf(want, sizeof(want), "%s: no answer in 300 ms", s.path);
		CHECK_STR(err.msg, want);
		CHECK(ans.body == NULL);
		server_stop(&s, req, sizeof(req));
	}
	/* A hang-up while the request is sent raises no SIGPIPE. */
	if (server_start(&s, "hangup.sock", SERVE_HANG_UP)) {
		get = get_of(s.path, 5000);
		CHECK_U64(http_unix_get(&get, &ans, &err), IQ_EENV);
		CHECK_U64(ans.failure, HTTP_FAIL_BROKEN);
		CHECK_CONTAINS(err.msg, s.path);
		server_stop(&s, req, sizeof(req));
	}
	if (server_start(&s, "badlf.sock", SERVE_BARE_LF)) {
		get = get_of(s.path, 5000);
		CHECK_U64(http_unix_get(&get, &ans, &err), IQ_EREFUSED);
		CHECK_U64(ans.failure, HTTP_FAIL_MALFORMED);
		snprintf(want, sizeof(want),
			 "%s: line 1 'HTTP/1.1 200 OK' ends in a bare LF "
			 "(HTTP needs CRLF)",
			 s.path);
		CHECK_STR(err.msg, want);
		server_stop(&s, req, sizeof(req));
	}
	if (server_start(&s, "big.sock", SERVE_TOO_LONG)) {
		get = get_of(s.path, 5000);
		CHECK_U64(http_unix_get(&get, &ans, &err), IQ_EREFUSED);
		CHECK_U64(ans.failure, HTTP_FAIL_TOO_LARGE);
		CHECK_CONTAINS(err.msg, "Content-Length 100000000 is more "
					"than the 4096 bytes allowed");
		server_stop(&s, req, sizeof(req));
	}
}

static void test_get_nobody_listening(void)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct http_answer ans;
	struct iq_err err = {0};
	struct http_get get;
	char path[108], want[256], longpath[200];
	int fd;

	/* A socket file left by a dead server. */
	snprintf(path, sizeof(path), "/tmp/test_http.%d.dead", getpid());
	unlink(path);
	memcpy(addr.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	close(fd);
	get = get_of(path, 1000);
	CHECK_U64(http_unix_get(&get, &ans, &err), IQ_EENV);
	CHECK_U64(ans.failure, HTTP_FAIL_CONNECT);
	CHECK_U64(ans.sys_errno, ECONNREFUSED);
	snprintf(want, sizeof(want), "%s: cannot connect: %s", path,
		 strerror(ECONNREFUSED));
	CHECK_STR(err.msg, want);
	unlink(path);
	/* No socket at all. */
	CHECK_U64(http_unix_get(&get, &ans, &err), IQ_EENV);
	CHECK_U64(ans.sys_errno, ENOENT);
	/* A path sockaddr_un cannot hold. */
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	get = get_of(longpath, 1000);
	CHECK_U64(http_unix_get(&get, &ans, &err), IQ_EENV);
	CHECK_U64(ans.sys_errno, ENAMETOOLONG);
	CHECK_CONTAINS(err.msg, "cannot connect: the path is longer than "
				"107 bytes");
}

int main(void)
{
	RUN(test_ch_answer_split_anywhere);
	RUN(test_answer_ends_at_content_length);
	RUN(test_no_content_and_empty_bodies);
	RUN(test_other_servers);
	RUN(test_refused);
	RUN(test_limits);
	RUN(test_get_from_keep_alive_server);
	RUN(test_get_failures);
	RUN(test_get_nobody_listening);
	return TEST_SUMMARY("test_http");
}
