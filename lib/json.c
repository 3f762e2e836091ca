// SPDX-License-Identifier: MIT
#include "lib/json.h"

#include "lib/size.h"

json_object *json_size(uint64_t bytes)
{
	if (bytes == IQ_UNLIMITED)
		return json_object_new_string("unlimited");
	return json_object_new_uint64(bytes);
}

json_object *json_bytes_signed(int64_t bytes)
{
	return json_object_new_int64(bytes);
}

void json_print(FILE *out, json_object *obj)
{
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(
			obj, JSON_C_TO_STRING_PRETTY |
				     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}
