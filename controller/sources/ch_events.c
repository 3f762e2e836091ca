// SPDX-License-Identifier: MIT
/*
 * Cloud Hypervisor's event-monitor stream -> events (ch_events.h): a byte
 * scanner that finds where each top-level object ends (strings and escapes
 * respected), then json-c for the object itself.
 */
#include "controller/sources/ch_events.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

void ch_event_stream_init(struct ch_event_stream *s)
{
	memset(s, 0, sizeof(*s));
}

void ch_event_stream_free(struct ch_event_stream *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

static int keep(struct ch_event_stream *s, char c, struct iq_err *err)
{
	if (s->skipping)
		return IQ_OK;
	if (s->len + 1 >= s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		char *grown = realloc(s->buf, cap);

		if (!grown)
			return iq_fail(err, IQ_EENV, "out of memory");
		s->buf = grown;
		s->cap = cap;
	}
	s->buf[s->len++] = c;
	return IQ_OK;
}

static void copy_string(json_object *obj, const char *key, char *out,
			size_t len)
{
	json_object *v = NULL;

	out[0] = '\0';
	if (json_object_object_get_ex(obj, key, &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(out, len, "%s", json_object_get_string(v));
}

static int parse_object(json_object *root, struct ch_event *ev,
			struct iq_err *err)
{
	json_object *ts = NULL, *v = NULL, *props = NULL;

	if (!json_object_is_type(root, json_type_object))
		return iq_fail(err, IQ_EREFUSED, "not a JSON object");
	if (!json_object_object_get_ex(root, "event", &v) ||
	    !json_object_is_type(v, json_type_string))
		return iq_fail(err, IQ_EREFUSED, "no \"event\" string");
	if (strlen(json_object_get_string(v)) >= sizeof(ev->event))
		return iq_fail(err, IQ_EREFUSED, "\"event\" too long");
	snprintf(ev->event, sizeof(ev->event), "%s", json_object_get_string(v));
	if (!json_object_object_get_ex(root, "source", &v) ||
	    !json_object_is_type(v, json_type_string))
		return iq_fail(err, IQ_EREFUSED, "no \"source\" string");
	if (strlen(json_object_get_string(v)) >= sizeof(ev->source))
		return iq_fail(err, IQ_EREFUSED, "\"source\" too long");
	snprintf(ev->source, sizeof(ev->source), "%s",
		 json_object_get_string(v));
	/* serde's Duration: {"secs": u64, "nanos": u32}; optional for us. */
	if (json_object_object_get_ex(root, "timestamp", &ts) &&
	    json_object_is_type(ts, json_type_object)) {
		if (json_object_object_get_ex(ts, "secs", &v) &&
		    json_object_is_type(v, json_type_int))
			ev->secs = json_object_get_uint64(v);
		if (json_object_object_get_ex(ts, "nanos", &v) &&
		    json_object_is_type(v, json_type_int))
			ev->nanos = (uint32_t)json_object_get_uint64(v);
	}
	if (json_object_object_get_ex(root, "properties", &props) && props) {
		if (!json_object_is_type(props, json_type_object))
			return iq_fail(err, IQ_EREFUSED,
				       "\"properties\" is neither null nor an "
				       "object");
		copy_string(props, "id", ev->id, sizeof(ev->id));
		copy_string(props, "bdf", ev->bdf, sizeof(ev->bdf));
	}
	for (const char *p = ev->event; *p; p++)
		if (iscntrl((unsigned char)*p))
			return iq_fail(err, IQ_EREFUSED,
				       "control byte in \"event\"");
	return IQ_OK;
}

int ch_event_parse(const char *json, size_t len, struct ch_event *ev,
		   struct iq_err *err)
{
	json_tokener *tok = json_tokener_new();
	json_object *root;
	int rc;

	memset(ev, 0, sizeof(*ev));
	if (!tok)
		return iq_fail(err, IQ_EENV, "out of memory");
	root = json_tokener_parse_ex(tok, json, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success)
		rc = iq_fail(
			err, IQ_EREFUSED, "malformed JSON: %s",
			json_tokener_error_desc(json_tokener_get_error(tok)));
	else
		rc = parse_object(root, ev, err);
	json_object_put(root);
	json_tokener_free(tok);
	if (rc)
		memset(ev, 0, sizeof(*ev));
	return rc;
}

int ch_event_feed(struct ch_event_stream *s, const char *data, size_t len,
		  size_t *used, struct ch_event *ev, bool *got,
		  struct iq_err *err)
{
	size_t i;
	int rc;

	*got = false;
	for (i = 0; i < len; i++) {
		char c = data[i];
		unsigned long at = s->bytes++;

		if (s->depth == 0) {
			if (isspace((unsigned char)c))
				continue;
			if (c != '{') {
				*used = i + 1;
				return iq_fail(
					err, IQ_EREFUSED,
					"byte %lu: '%c' outside an event "
					"object",
					at,
					isprint((unsigned char)c) ? c : '?');
			}
			s->len = 0;
			s->skipping = false;
		}
		if ((rc = keep(s, c, err))) {
			*used = i + 1;
			return rc;
		}
		if (s->in_string) {
			if (s->escaped)
				s->escaped = false;
			else if (c == '\\')
				s->escaped = true;
			else if (c == '"')
				s->in_string = false;
		} else if (c == '"') {
			s->in_string = true;
		} else if (c == '{') {
			s->depth++;
		} else if (c == '}') {
			s->depth--;
		}
		if (!s->skipping && s->len > CH_EVENT_MAX) {
			s->skipping = true;
			s->len = 0;
			*used = i + 1;
			return iq_fail(err, IQ_EREFUSED,
				       "byte %lu: event larger than %u bytes: "
				       "skipped",
				       at, CH_EVENT_MAX);
		}
		if (s->depth == 0) {
			bool skipped = s->skipping;

			*used = i + 1;
			s->skipping = false;
			if (skipped)
				return IQ_OK;
			rc = ch_event_parse(s->buf, s->len, ev, err);
			s->len = 0;
			if (rc)
				return iq_err_prefix(
					err, "event ending at byte %lu", at);
			*got = true;
			return IQ_OK;
		}
	}
	*used = len;
	return IQ_OK;
}

enum ch_event_action ch_event_action_of(const struct ch_event *ev)
{
	static const char *const running[] = {
		"booted",   "rebooted",	      "resumed",
		"restored", "device-removed", "migration-receive-finished",
	};

	if (!strcmp(ev->source, "vmm"))
		return strcmp(ev->event, "shutdown") ? CH_EVENT_IGNORE
						     : CH_EVENT_GONE;
	if (strcmp(ev->source, "vm") != 0)
		return CH_EVENT_IGNORE;
	if (!strcmp(ev->event, "shutdown") || !strcmp(ev->event, "deleted"))
		return CH_EVENT_GONE;
	for (size_t i = 0; i < sizeof(running) / sizeof(running[0]); i++)
		if (!strcmp(ev->event, running[i]))
			return CH_EVENT_RUNNING;
	return CH_EVENT_IGNORE;
}
