/* SPDX-License-Identifier: MIT */
/* JSON conventions shared by --json output and the journal. */
#ifndef ICMQUOTA_JSONOUT_H
#define ICMQUOTA_JSONOUT_H

#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

/* Exact bytes, or the string "unlimited". */
json_object *json_size(uint64_t bytes);
/* Signed bytes (headroom). */
json_object *json_bytes_signed(int64_t bytes);
/* Print pretty JSON and a newline to out, then release obj. */
void json_print(FILE *out, json_object *obj);

#endif
