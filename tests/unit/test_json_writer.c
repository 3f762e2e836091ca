// SPDX-License-Identifier: MIT
/*
 * lib/json_writer.c writes the text json-c writes (PLAIN, NOSLASHESCAPE):
 * every byte in a string, the integer extremes, booleans, compared with
 * json-c's own output byte for byte.
 */
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/json_writer.h"
#include "test.h"

#define FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static bool same_str(const char *s)
{
	json_object *o = json_object_new_string(s);
	struct buf w = {.ok = true};
	bool same;

	jw_str(&w, s);
	same = w.ok &&
	       strcmp(w.data, json_object_to_json_string_ext(o, FLAGS)) == 0;
	if (!same)
		fprintf(stderr, "jw \"%s\" json-c \"%s\"\n", w.data,
			json_object_to_json_string_ext(o, FLAGS));
	json_object_put(o);
	buf_free(&w);
	return same;
}

static void test_every_byte(void)
{
	for (int c = 1; c < 256; c++) {
		char s[4] = {'a', (char)c, 'b', '\0'};
		char alone[2] = {(char)c, '\0'};

		CHECK(same_str(s));
		CHECK(same_str(alone));
	}
	CHECK(same_str(""));
	CHECK(same_str("vm \"q\" \\ / \t\n\x01\x7f caf\xc3\xa9 \xff"));
	CHECK(same_str("/run/libvirt/qemu/gpu-01.xml"));
}

static void test_numbers(void)
{
	static const int64_t is[] = {0,		1,	   -1,	       42,
				     INT64_MAX, INT64_MIN, -1796038004};
	static const uint64_t us[] = {0, 1, 536870912, UINT64_MAX,
				      (uint64_t)INT64_MAX + 1};

	for (size_t i = 0; i < sizeof(is) / sizeof(is[0]); i++) {
		json_object *o = json_object_new_int64(is[i]);
		struct buf w = {.ok = true};

		jw_i64(&w, is[i]);
		CHECK_STR(w.data, json_object_to_json_string_ext(o, FLAGS));
		json_object_put(o);
		buf_free(&w);
	}
	for (size_t i = 0; i < sizeof(us) / sizeof(us[0]); i++) {
		json_object *o = json_object_new_uint64(us[i]);
		struct buf w = {.ok = true};

		jw_u64(&w, us[i]);
		CHECK_STR(w.data, json_object_to_json_string_ext(o, FLAGS));
		json_object_put(o);
		buf_free(&w);
	}
}

static void test_object(void)
{
	json_object *o = json_object_new_object();
	struct buf w = {.ok = true};

	json_object_object_add(o, "name", json_object_new_string("a\"b"));
	json_object_object_add(o, "on", json_object_new_boolean(true));
	json_object_object_add(o, "off", json_object_new_boolean(false));
	jw_raw(&w, "{");
	jw_key(&w, "name", true);
	jw_str(&w, "a\"b");
	jw_key(&w, "on", false);
	jw_bool(&w, true);
	jw_key(&w, "off", false);
	jw_bool(&w, false);
	jw_raw(&w, "}");
	CHECK_STR(w.data, json_object_to_json_string_ext(o, FLAGS));
	json_object_put(o);
	buf_free(&w);
}

int main(void)
{
	RUN(test_every_byte);
	RUN(test_numbers);
	RUN(test_object);
	return TEST_SUMMARY("test_json_writer");
}
