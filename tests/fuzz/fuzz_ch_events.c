// SPDX-License-Identifier: MIT
/*
 * Cloud Hypervisor's event-monitor stream (controller/sources/ch_events.c):
 * the input fed in pieces whose sizes come from its first byte, as a file
 * being appended to gives them; every call must consume something or end
 * the input, and messages stay one line.
 */
#include "tests/fuzz/fuzz.h"

#include "controller/sources/ch_events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ch_event_stream s;
	size_t piece = size ? (size_t)data[0] % 64 + 1 : 1, at = 0;

	ch_event_stream_init(&s);
	while (at < size) {
		size_t len = size - at < piece ? size - at : piece, used = 0;
		struct iq_err err = {0};
		struct ch_event ev;
		bool got = false;

		if (ch_event_feed(&s, (const char *)data + at, len, &used, &ev,
				  &got, &err) != IQ_OK)
			fuzz_check_one_line(err.msg);
		else if (got)
			(void)ch_event_action_of(&ev);
		if (used == 0 && !got)
			break; /* nothing consumed: a complete piece is pending */
		if (used > len)
			abort();
		at += used;
	}
	ch_event_stream_free(&s);
	return 0;
}
