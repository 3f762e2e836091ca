// SPDX-License-Identifier: MIT
#include "controller/session.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

const char *session_lock_path(const struct cli_ctx *ctx, char *buf,
			      size_t len)
{
	if (ctx->lock_path)
		return ctx->lock_path;
	if (strcmp(ctx->state_path, STATE_DEFAULT_PATH) == 0)
		return LOCK_DEFAULT_PATH;
	/* A private journal gets a private lock: tests and sim hosts. */
	snprintf(buf, len, "%s.lock", ctx->state_path);
	return buf;
}

static int load_policy(struct session *s, struct iq_err *err)
{
	struct cli_ctx *ctx = s->ctx;
	bool is_default = strcmp(ctx->policy_path, POLICY_DEFAULT_PATH) == 0;
	int rc;

	if (is_default && access(ctx->policy_path, F_OK) < 0 &&
	    errno == ENOENT) {
		/* No policy installed yet: built-in defaults, said aloud. */
		static const char builtin[] = "version: 1\n";

		rc = policy_parse(builtin, sizeof(builtin) - 1,
				  "(built-in defaults)", &s->policy, err);
		s->policy_builtin = true;
		cli_verbose(ctx, "%s not found: using built-in defaults",
			    ctx->policy_path);
	} else {
		rc = policy_load(ctx->policy_path, &s->policy, err);
	}
	s->have_policy = rc == IQ_OK;
	return rc;
}

int session_open(struct cli_ctx *ctx, unsigned needs, struct session *s,
		 struct iq_err *err)
{
	char lock_buf[4096];
	int rc = IQ_OK;

	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->lock_fd = -1;
	if (needs & SESSION_LOCK)
		rc = lock_acquire(session_lock_path(ctx, lock_buf,
						    sizeof(lock_buf)),
				  ctx->lock_timeout_s, &s->lock_fd, err);
	if (rc == IQ_OK && (needs & SESSION_POLICY))
		rc = load_policy(s, err);
	if (rc == IQ_OK && (needs & SESSION_STATE)) {
		rc = state_load(ctx->state_path, &s->state, err);
		s->have_state = rc == IQ_OK;
	}
	if (rc == IQ_OK && (needs & (SESSION_HOST | SESSION_FIRMWARE))) {
		rc = host_discover(ctx->root, &s->host, err);
		s->have_host = rc == IQ_OK;
		if (rc == IQ_OK)
			rc = host_read_memory(&s->host, err);
		if (rc == IQ_OK)
			host_read_fw_pages(&s->host);
	}
	if (rc == IQ_OK && (needs & SESSION_FIRMWARE))
		rc = host_probe_firmware(&s->host, ctx->backend, ctx->trace,
					 err);
	if (rc)
		session_close(s);
	return rc;
}

int session_save_state(struct session *s, struct iq_err *err)
{
	if (!s->have_state)
		return IQ_OK;
	return state_save(s->ctx->state_path, &s->state, err);
}

void session_close(struct session *s)
{
	if (s->have_host)
		host_free(&s->host);
	if (s->have_state)
		state_free(&s->state);
	if (s->have_policy)
		policy_free(&s->policy);
	lock_release(s->lock_fd);
	s->have_host = s->have_state = s->have_policy = false;
	s->lock_fd = -1;
}
