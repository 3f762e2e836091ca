/* SPDX-License-Identifier: MIT */
/*
 * libyaml, loaded when a policy is first parsed or written (dlopen), not
 * at program start: a libvirt hook call with nothing to do reads no
 * policy and does not pay for loading it (~0.05 ms a process start,
 * measured).
 *
 * The parser (through parse.h) and the emitter (edit.c) include this
 * header after <yaml.h>; their entry points, policy_parse_fragment() and
 * policy_emit(), call yaml_dl_load() before the first libyaml call, and
 * the names below then go through the loaded library. The macros are
 * function-like, as in devx/nl_dl.h. A libyaml function missing from the
 * table is a link error (the binary does not link libyaml); a call before
 * yaml_dl_load() calls through NULL, which tests/unit/test_policy.c makes
 * sure of by calling both entry points with the table emptied.
 */
#ifndef ICMQUOTA_POLICY_YAML_DL_H
#define ICMQUOTA_POLICY_YAML_DL_H

#include <yaml.h>

#include "lib/err.h"

#define YAML_DL(X)                                                             \
	X(yaml_parser_initialize)                                              \
	X(yaml_parser_set_input_string)                                        \
	X(yaml_parser_parse)                                                   \
	X(yaml_parser_load)                                                    \
	X(yaml_parser_delete)                                                  \
	X(yaml_event_delete)                                                   \
	X(yaml_document_get_root_node)                                         \
	X(yaml_document_get_node)                                              \
	X(yaml_document_delete)                                                \
	X(yaml_emitter_initialize)                                             \
	X(yaml_emitter_set_output)                                             \
	X(yaml_emitter_set_unicode)                                            \
	X(yaml_emitter_set_width)                                              \
	X(yaml_emitter_emit)                                                   \
	X(yaml_emitter_flush)                                                  \
	X(yaml_emitter_delete)                                                 \
	X(yaml_stream_start_event_initialize)                                  \
	X(yaml_stream_end_event_initialize)                                    \
	X(yaml_document_start_event_initialize)                                \
	X(yaml_document_end_event_initialize)                                  \
	X(yaml_mapping_start_event_initialize)                                 \
	X(yaml_mapping_end_event_initialize)                                   \
	X(yaml_sequence_start_event_initialize)                                \
	X(yaml_sequence_end_event_initialize)                                  \
	X(yaml_scalar_event_initialize)

struct yaml_dl {
	int loaded;
#define YAML_DL_SLOT(f) __typeof__(f) *f;
	YAML_DL(YAML_DL_SLOT)
#undef YAML_DL_SLOT
};
extern struct yaml_dl yaml_dl;

/*
 * Load libyaml (once per process). IQ_EENV naming the library and the
 * Debian package to install.
 */
int yaml_dl_load(struct iq_err *err);

#ifndef YAML_DL_IMPLEMENTATION
#define yaml_parser_initialize(...) yaml_dl.yaml_parser_initialize(__VA_ARGS__)
#define yaml_parser_set_input_string(...)                                      \
	yaml_dl.yaml_parser_set_input_string(__VA_ARGS__)
#define yaml_parser_parse(...)	yaml_dl.yaml_parser_parse(__VA_ARGS__)
#define yaml_parser_load(...)	yaml_dl.yaml_parser_load(__VA_ARGS__)
#define yaml_parser_delete(...) yaml_dl.yaml_parser_delete(__VA_ARGS__)
#define yaml_event_delete(...)	yaml_dl.yaml_event_delete(__VA_ARGS__)
#define yaml_document_get_root_node(...)                                       \
	yaml_dl.yaml_document_get_root_node(__VA_ARGS__)
#define yaml_document_get_node(...) yaml_dl.yaml_document_get_node(__VA_ARGS__)
#define yaml_document_delete(...)   yaml_dl.yaml_document_delete(__VA_ARGS__)
#define yaml_emitter_initialize(...)                                           \
	yaml_dl.yaml_emitter_initialize(__VA_ARGS__)
#define yaml_emitter_set_output(...)                                           \
	yaml_dl.yaml_emitter_set_output(__VA_ARGS__)
#define yaml_emitter_set_unicode(...)                                          \
	yaml_dl.yaml_emitter_set_unicode(__VA_ARGS__)
#define yaml_emitter_set_width(...) yaml_dl.yaml_emitter_set_width(__VA_ARGS__)
#define yaml_emitter_emit(...)	    yaml_dl.yaml_emitter_emit(__VA_ARGS__)
#define yaml_emitter_flush(...)	    yaml_dl.yaml_emitter_flush(__VA_ARGS__)
#define yaml_emitter_delete(...)    yaml_dl.yaml_emitter_delete(__VA_ARGS__)
#define yaml_stream_start_event_initialize(...)                                \
	yaml_dl.yaml_stream_start_event_initialize(__VA_ARGS__)
#define yaml_stream_end_event_initialize(...)                                  \
	yaml_dl.yaml_stream_end_event_initialize(__VA_ARGS__)
#define yaml_document_start_event_initialize(...)                              \
	yaml_dl.yaml_document_start_event_initialize(__VA_ARGS__)
#define yaml_document_end_event_initialize(...)                                \
	yaml_dl.yaml_document_end_event_initialize(__VA_ARGS__)
#define yaml_mapping_start_event_initialize(...)                               \
	yaml_dl.yaml_mapping_start_event_initialize(__VA_ARGS__)
#define yaml_mapping_end_event_initialize(...)                                 \
	yaml_dl.yaml_mapping_end_event_initialize(__VA_ARGS__)
#define yaml_sequence_start_event_initialize(...)                              \
	yaml_dl.yaml_sequence_start_event_initialize(__VA_ARGS__)
#define yaml_sequence_end_event_initialize(...)                                \
	yaml_dl.yaml_sequence_end_event_initialize(__VA_ARGS__)
#define yaml_scalar_event_initialize(...)                                      \
	yaml_dl.yaml_scalar_event_initialize(__VA_ARGS__)
#endif

#endif
