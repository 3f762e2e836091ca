/* SPDX-License-Identifier: MIT */
/*
 * Cloud Hypervisor's event-monitor stream (`--event-monitor path=FILE`):
 * the VMM writes one pretty-printed JSON object per event, each followed
 * by a blank line (cloud-hypervisor vmm/src/lib.rs, event_monitor crate):
 *
 *   {
 *     "timestamp": { "secs": 0, "nanos": 412000 },
 *     "source": "vm",
 *     "event": "device-removed",
 *     "properties": { "id": "_vfio0", "bdf": "0000:00:04.0" }
 *   }
 *
 * timestamp is the time since the VMM started; properties is null or an
 * object of strings. vm events: booting, booted, shutdown, rebooting,
 * rebooted, deleted, pausing, paused, resuming, resumed, restoring,
 * restored, snapshotting, snapshotted, resizing, resized, device-removed
 * (id, bdf: the guest's address), migration-*; vmm: shutdown. No event
 * announces an added device (vm.add-device): the periodic reconcile reads
 * vm.info for that.
 *
 * The stream is read in whatever pieces the file gives: bytes are fed in,
 * complete objects come out. Untrusted input, bounded: an object larger
 * than CH_EVENT_MAX is an error and skipped whole.
 */
#ifndef ICMQUOTA_CH_EVENTS_H
#define ICMQUOTA_CH_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

/* No event CH writes comes near this (a few hundred bytes). */
#define CH_EVENT_MAX (64u << 10)

struct ch_event {
	uint64_t secs; /* since the VMM started */
	uint32_t nanos;
	char source[16]; /* "vm", "vmm", "cpu_manager", ... */
	char event[64];	 /* "booted", "shutdown", "device-removed", ... */
	char id[128];	 /* properties.id, "" when absent */
	char bdf[32];	 /* properties.bdf, "" when absent */
};

/* What an event means for the VM's caps. */
enum ch_event_action {
	CH_EVENT_IGNORE,  /* booting, pausing, migration progress, ... */
	CH_EVENT_RUNNING, /* booted, rebooted, resumed, restored,
			     device-removed, migration-receive-finished:
			     read vm.info, program the VM's caps */
	CH_EVENT_GONE,	  /* vm shutdown or deleted, vmm shutdown: the VM's
			     VFs back to idle */
};

struct ch_event_stream {
	char *buf; /* bytes of the object being read */
	size_t len, cap;
	unsigned depth; /* brace depth; 0: between objects */
	bool in_string, escaped;
	bool skipping;	     /* inside an oversized object: drop to its end */
	unsigned long bytes; /* fed so far, for messages */
};

void ch_event_stream_init(struct ch_event_stream *s);
void ch_event_stream_free(struct ch_event_stream *s);

/*
 * Feed up to len bytes of data; stops after the first complete object.
 * *used: bytes consumed (feed the rest again); *got: an event was parsed
 * into ev. A malformed or oversized object, or a byte that cannot start
 * one: IQ_EREFUSED naming what is wrong and the byte offset in the stream;
 * the bad part is consumed, so the next call goes on with what follows.
 */
int ch_event_feed(struct ch_event_stream *s, const char *data, size_t len,
		  size_t *used, struct ch_event *ev, bool *got,
		  struct iq_err *err);

/* Parse one complete JSON object (no stream state). IQ_EREFUSED if bad. */
int ch_event_parse(const char *json, size_t len, struct ch_event *ev,
		   struct iq_err *err);

enum ch_event_action ch_event_action_of(const struct ch_event *ev);

#endif
