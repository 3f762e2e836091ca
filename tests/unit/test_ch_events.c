// SPDX-License-Identifier: MIT
/*
 * Cloud Hypervisor's event-monitor stream (controller/sources/ch_events.c):
 * a stream as CH writes it (tests/fixtures/ch/event-monitor.txt: pretty
 * JSON objects, a blank line after each) fed whole and in every piece
 * size, each event with the right fields and meaning; malformed,
 * oversized and stray input reported and skipped without losing what
 * follows; and a deterministic mutation run (every byte flipped, cut,
 * doubled) that must never crash the parser under ASan/UBSan.
 */
#include "controller/sources/ch_events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/file.h"
#include "tests/unit/test.h"

#define FIXTURE "tests/fixtures/ch/event-monitor.txt"

struct seen {
	struct ch_event ev[32];
	size_t n;
	size_t errors;
	char first_error[2048];
};

/* Feed data in pieces of at most step bytes; collect events and errors. */
static void feed_all(const char *data, size_t len, size_t step,
		     struct seen *seen)
{
	struct ch_event_stream s;

	memset(seen, 0, sizeof(*seen));
	ch_event_stream_init(&s);
	for (size_t off = 0; off < len;) {
		size_t piece = len - off < step ? len - off : step, at = 0;

		while (at < piece) {
			struct iq_err err = {0};
			struct ch_event ev;
			size_t used = 0;
			bool got = false;

			if (ch_event_feed(&s, data + off + at, piece - at,
					  &used, &ev, &got, &err)) {
				if (!seen->errors++)
					snprintf(seen->first_error,
						 sizeof(seen->first_error),
						 "%s", err.msg);
			} else if (got && seen->n < 32) {
				seen->ev[seen->n++] = ev;
			}
			if (used == 0)
				break; /* must not happen: no progress */
			at += used;
		}
		off += piece;
	}
	ch_event_stream_free(&s);
}

static char *fixture(size_t *len)
{
	struct iq_err err = {0};
	char *text = NULL;

	if (file_read_all(FIXTURE, &text, len, &err))
		fprintf(stderr, "%s\n", err.msg);
	return text;
}

static void test_stream_whole_and_in_pieces(void)
{
	size_t len;
	char *text = fixture(&len);
	struct seen seen;

	CHECK(text != NULL);
	if (!text)
		return;
	for (size_t step = 1; step <= len;
	     step = step < 64 ? step + 1 : step * 2) {
		feed_all(text, len, step, &seen);
		CHECK_U64(seen.errors, 0);
		CHECK_U64(seen.n, 12);
	}
	feed_all(text, len, len, &seen);
	CHECK_STR(seen.ev[0].source, "vmm");
	CHECK_STR(seen.ev[2].event, "booted");
	CHECK_U64(seen.ev[2].secs, 0);
	CHECK_U64(seen.ev[2].nanos, 398120034);
	CHECK_STR(seen.ev[3].event, "device-removed");
	CHECK_STR(seen.ev[3].id, "_vfio1");
	CHECK_STR(seen.ev[3].bdf, "0000:00:05.0");
	CHECK_U64(seen.ev[3].secs, 41);
	CHECK_STR(seen.ev[4].source, "cpu_manager");
	CHECK_STR(seen.ev[4].id, "0");
	CHECK_STR(seen.ev[11].source, "vmm");
	CHECK_STR(seen.ev[11].event, "shutdown");
	free(text);
}

static void test_actions(void)
{
	static const struct {
		const char *source, *event;
		enum ch_event_action want;
	} cases[] = {
		{"vm", "booted", CH_EVENT_RUNNING},
		{"vm", "rebooted", CH_EVENT_RUNNING},
		{"vm", "resumed", CH_EVENT_RUNNING},
		{"vm", "restored", CH_EVENT_RUNNING},
		{"vm", "device-removed", CH_EVENT_RUNNING},
		{"vm", "migration-receive-finished", CH_EVENT_RUNNING},
		{"vm", "shutdown", CH_EVENT_GONE},
		{"vm", "deleted", CH_EVENT_GONE},
		{"vmm", "shutdown", CH_EVENT_GONE},
		{"vm", "booting", CH_EVENT_IGNORE},
		{"vm", "paused", CH_EVENT_IGNORE},
		{"vm", "migration-memory-iteration", CH_EVENT_IGNORE},
		{"vmm", "starting", CH_EVENT_IGNORE},
		{"cpu_manager", "shutdown", CH_EVENT_IGNORE},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ch_event ev = {0};

		snprintf(ev.source, sizeof(ev.source), "%s", cases[i].source);
		snprintf(ev.event, sizeof(ev.event), "%s", cases[i].event);
		CHECK_U64(ch_event_action_of(&ev), cases[i].want);
	}
}

static void test_bad_input_skipped(void)
{
	static const char stream[] =
		"{\"source\": \"vm\", \"event\": 7}\n\n" /* bad */
		"garbage\n"				 /* stray */
		"{\"source\": \"vm\", \"event\": \"booted\", "
		"\"properties\": {\"id\": \"a}b\\\"{\"}}\n\n" /* ok */
		"{\"source\": \"vm\", \"event\": \"x\", "
		"\"properties\": [1]}\n\n"		    /* bad */
		"{\"source\": \"vm\" \"event\": \"y\"}\n\n" /* bad */
		"{\"source\": \"vm\", \"event\": \"shutdown\", "
		"\"properties\": null}\n\n"; /* ok */
	struct seen seen;

	feed_all(stream, sizeof(stream) - 1, sizeof(stream), &seen);
	CHECK_U64(seen.n, 2);
	CHECK_STR(seen.ev[0].event, "booted");
	CHECK_STR(seen.ev[0].id, "a}b\"{");
	CHECK_STR(seen.ev[1].event, "shutdown");
	CHECK_U64(seen.errors, 10); /* 1 + "garbage" (7 bytes) + 2 */
	CHECK_CONTAINS(seen.first_error, "no \"event\" string");
}

static void test_oversized_event_skipped(void)
{
	size_t big = CH_EVENT_MAX + 100, n = 0;
	char *stream = malloc(big + 200);
	struct seen seen;

	if (!stream)
		return;
	n += (size_t)sprintf(stream, "{\"source\": \"vm\", \"pad\": \"");
	memset(stream + n, 'x', big);
	n += big;
	n += (size_t)sprintf(stream + n,
			     "\"}\n\n{\"source\": \"vm\", \"event\": "
			     "\"booted\"}\n\n");
	feed_all(stream, n, 4096, &seen);
	CHECK_U64(seen.errors, 1);
	CHECK_CONTAINS(seen.first_error, "larger than 65536 bytes");
	CHECK_U64(seen.n, 1);
	CHECK_STR(seen.ev[0].event, "booted");
	free(stream);
}

/* Every byte of the fixture flipped, dropped or doubled in turn. */
static void test_mutations_never_crash(void)
{
	size_t len;
	char *text = fixture(&len);
	char *buf;
	struct seen seen;
	unsigned long runs = 0;

	if (!text)
		return;
	buf = malloc(len * 2 + 1);
	for (size_t i = 0; buf && i < len; i++) {
		static const char swaps[] = "{}\"\\x\0";

		for (size_t k = 0; k < sizeof(swaps) - 1; k++) {
			memcpy(buf, text, len);
			buf[i] = swaps[k];
			feed_all(buf, len, 7, &seen);
			runs++;
		}
		memcpy(buf, text, i);
		memcpy(buf + i, text + i + 1, len - i - 1);
		feed_all(buf, len - 1, 13, &seen);
		memcpy(buf, text, i + 1);
		memcpy(buf + i + 1, text + i, len - i);
		feed_all(buf, len + 1, 64, &seen);
		runs += 2;
	}
	CHECK(runs > 1000);
	free(buf);
	free(text);
}

int main(void)
{
	RUN(test_stream_whole_and_in_pieces);
	RUN(test_actions);
	RUN(test_bad_input_skipped);
	RUN(test_oversized_event_skipped);
	RUN(test_mutations_never_crash);
	return TEST_SUMMARY("test_ch_events");
}
