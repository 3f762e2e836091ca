// SPDX-License-Identifier: MIT
#include "controller/core/history.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

const char *history_path(const char *state_path, char *buf, size_t len)
{
	const char *slash = strrchr(state_path, '/');

	if (!slash)
		snprintf(buf, len, "%s", HISTORY_FILE);
	else
		snprintf(buf, len, "%.*s/%s", (int)(slash - state_path),
			 state_path, HISTORY_FILE);
	return buf;
}

int history_append(const char *path, const struct history_sample *samples,
		   size_t n, struct iq_err *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	ssize_t written;
	int fd, rc = IQ_OK;

	if (!mem)
		return iq_fail(err, IQ_EENV, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct history_sample *s = &samples[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "time",
				       json_object_new_int64(s->time));
		json_object_object_add(o, "vf", json_object_new_string(s->vf));
		json_object_object_add(o, "pf", json_object_new_string(s->pf));
		json_object_object_add(o, "vm", json_object_new_string(s->vm));
		json_object_object_add(o, "class",
				       json_object_new_string(s->class_name));
		json_object_object_add(
			o, "max_reached_bytes",
			json_object_new_uint64(s->max_reached_bytes));
		json_object_object_add(o, "cur_bytes",
				       json_object_new_uint64(s->cur_bytes));
		fprintf(mem, "%s\n",
			json_object_to_json_string_ext(
				o, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	}
	fclose(mem);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = iq_fail(err, IQ_EENV, "%s: cannot append: %s", path,
			     strerror(errno));
	} else {
		written = write(fd, text, len);
		if (written < 0 || (size_t)written != len)
			rc = iq_fail(err, IQ_EENV, "%s: short write: %s", path,
				     written < 0 ? strerror(errno)
						 : "disk full?");
		if (close(fd) < 0 && rc == IQ_OK)
			rc = iq_fail(err, IQ_EENV, "%s: %s", path,
				     strerror(errno));
	}
	free(text);
	return rc;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool jint(json_object *o, const char *key, int64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return *out >= 0;
}

int history_load(const char *path, struct history_sample **samples, size_t *n,
		 struct iq_err *err)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0, alloc = 0;
	ssize_t got;
	int rc = IQ_OK;

	*samples = NULL;
	*n = 0;
	if (!f) {
		if (errno == ENOENT)
			return IQ_OK;
		return iq_fail(err, IQ_EENV, "%s: cannot read: %s", path,
			       strerror(errno));
	}
	while (rc == IQ_OK && (got = getline(&line, &cap, f)) >= 0) {
		struct history_sample s = {0};
		json_object *o;
		const char *vf, *pf, *vm, *cls;
		int64_t t, hwm, cur = 0;

		lineno++;
		if (got <= 1)
			continue;
		o = json_tokener_parse(line);
		vf = o ? jstr(o, "vf") : NULL;
		pf = o ? jstr(o, "pf") : NULL;
		vm = o ? jstr(o, "vm") : NULL;
		cls = o ? jstr(o, "class") : NULL;
		if (!o || !vf || !vm || !jint(o, "time", &t) ||
		    !jint(o, "max_reached_bytes", &hwm) ||
		    !pci_addr_normalize(vf, s.vf)) {
			rc = iq_fail(err, IQ_EENV,
				     "%s:%zu: not a history sample (want "
				     "{\"time\",\"vf\",\"vm\","
				     "\"max_reached_bytes\",...}); fix or "
				     "remove the line",
				     path, lineno);
			json_object_put(o);
			break;
		}
		jint(o, "cur_bytes", &cur);
		s.time = t;
		if (!pf || !pci_addr_normalize(pf, s.pf))
			s.pf[0] = '\0';
		snprintf(s.vm, sizeof(s.vm), "%s", vm);
		snprintf(s.class_name, sizeof(s.class_name), "%s",
			 cls ? cls : "");
		s.max_reached_bytes = (uint64_t)hwm;
		s.cur_bytes = (uint64_t)cur;
		json_object_put(o);
		if (*n == alloc) {
			size_t grow = alloc ? alloc * 2 : 64;
			struct history_sample *g =
				realloc(*samples, grow * sizeof(*g));

			if (!g) {
				rc = iq_fail(err, IQ_EENV, "out of memory");
				break;
			}
			*samples = g;
			alloc = grow;
		}
		(*samples)[(*n)++] = s;
	}
	free(line);
	fclose(f);
	if (rc) {
		free(*samples);
		*samples = NULL;
		*n = 0;
	}
	return rc;
}
