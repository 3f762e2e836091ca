// SPDX-License-Identifier: MIT
#include "controller/core/session.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/file.h"

const char *session_lock_path(const struct run_ctx *ctx, char *buf, size_t len)
{
	if (ctx->lock_path)
		return ctx->lock_path;
	/*
	 * One lock per host, whatever journal a run uses: it serialises the
	 * firmware writers. A simulated host has its own, under its root.
	 */
	if (path_join(buf, len, ctx->root, LOCK_DEFAULT_PATH))
		return LOCK_DEFAULT_PATH;
	return buf;
}

/* The kernel's boot_id, "" when it cannot be read (then no check). */
static void read_boot_id(const char *root, char *out, size_t len)
{
	char path[4096];
	struct iq_err ignored = {0};

	out[0] = '\0';
	if (path_join(path, sizeof(path), root,
		      "/proc/sys/kernel/random/boot_id") == 0 &&
	    file_read_line(path, out, len, &ignored) != IQ_OK)
		out[0] = '\0';
}

static int load_policy(struct session *s, struct iq_err *err)
{
	struct run_ctx *ctx = s->ctx;
	bool is_default = strcmp(ctx->policy_path, POLICY_DEFAULT_PATH) == 0;
	int rc;

	if (ctx->policy) {
		s->policy = *ctx->policy;
		s->policy_borrowed = true;
		s->have_policy = true;
		return IQ_OK;
	}
	/* No policy installed yet: built-in defaults (and any drop-ins). */
	s->policy_builtin = is_default && access(ctx->policy_path, F_OK) < 0 &&
			    errno == ENOENT;
	if (s->policy_builtin)
		run_verbose(ctx, "%s not found: using built-in defaults",
			    ctx->policy_path);
	rc = policy_load_merged(ctx->policy_path, s->policy_builtin, NULL,
				&s->policy, err);
	s->have_policy = rc == IQ_OK;
	return rc;
}

/* The vhca_ids of earlier runs, keyed to this boot and root: read before
 * discovery, which takes known VFs from it. */
static void load_vhca_cache(struct session *s)
{
	char path[4096];
	char boot_id[40];

	if (s->have_vhca_cache)
		return;
	vhca_cache_path(s->ctx->state_path, path, sizeof(path));
	read_boot_id(s->ctx->root, boot_id, sizeof(boot_id));
	vhca_cache_load(&s->vhca_cache, path, s->ctx->root, boot_id);
	s->have_vhca_cache = true;
}

/* The firmware channels learn into it. */
static void open_vhca_cache(struct session *s)
{
	load_vhca_cache(s);
	for (size_t i = 0; i < s->host.npfs; i++)
		s->host.pfs[i].vhca_cache = &s->vhca_cache;
}

static void close_vhca_cache(struct session *s)
{
	struct iq_err err = {0};

	if (!s->have_vhca_cache)
		return;
	run_verbose(s->ctx, "vhca_id cache %s: %lu hits, %lu misses",
		    s->vhca_cache.path, s->vhca_cache.hits,
		    s->vhca_cache.misses);
	/* Not saved: the next run asks the firmware again, nothing worse. */
	if (vhca_cache_save(&s->vhca_cache, &err))
		run_verbose(s->ctx, "vhca_id cache not saved: %s", err.msg);
	vhca_cache_free(&s->vhca_cache);
	s->have_vhca_cache = false;
}

int session_open(struct run_ctx *ctx, unsigned needs, struct session *s,
		 struct iq_err *err)
{
	return session_open_reusing(ctx, needs, NULL, s, err);
}

int session_open_reusing(struct run_ctx *ctx, unsigned needs,
			 struct state *earlier, struct session *s,
			 struct iq_err *err)
{
	char lock_buf[4096];
	int rc = IQ_OK;

	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->needs = needs;
	s->lock_fd = -1;
	/* The policy is read and validated before the lock: a large or bad
	 * policy never keeps other runs (the hooks) waiting. */
	if (needs & SESSION_POLICY)
		rc = load_policy(s, err);
	if (rc == IQ_OK && (needs & SESSION_LOCK))
		rc = lock_acquire(
			session_lock_path(ctx, lock_buf, sizeof(lock_buf)),
			ctx->lock_timeout_s, &s->lock_fd, err);
	else if (rc == IQ_OK && (needs & SESSION_LOCK_SHARED))
		rc = lock_acquire_shared(
			session_lock_path(ctx, lock_buf, sizeof(lock_buf)),
			ctx->lock_timeout_s, &s->lock_fd, err);
	if (rc == IQ_OK && (needs & SESSION_STATE)) {
		char boot_id[40];
		size_t forgotten;

		rc = file_check_trusted(ctx->state_path, "the journal", err);
		if (rc == IQ_OK)
			rc = state_load_reusing(ctx->state_path, earlier,
						&s->state, &s->state_reused,
						err);
		s->have_state = rc == IQ_OK;
		read_boot_id(ctx->root, boot_id, sizeof(boot_id));
		forgotten = rc == IQ_OK ? state_forget_other_boot(&s->state,
								  boot_id)
					: 0;
		if (forgotten)
			run_note(ctx,
				 "%s: %zu VM%s journalled before the last "
				 "reboot "
				 "no longer run: forgotten",
				 ctx->state_path, forgotten,
				 forgotten == 1 ? "" : "s");
	}
	if (rc == IQ_OK && (needs & (SESSION_HOST | SESSION_FIRMWARE))) {
		load_vhca_cache(s);
		rc = host_discover(ctx->root, &s->vhca_cache, &s->host, err);
		s->have_host = rc == IQ_OK;
		if (rc == IQ_OK)
			rc = host_read_memory(&s->host, err);
		if (rc == IQ_OK)
			host_read_fw_pages(&s->host);
	}
	if (rc == IQ_OK && (needs & SESSION_FIRMWARE))
		rc = session_open_firmware(s, err);
	if (rc)
		session_close(s);
	return rc;
}

int session_open_firmware(struct session *s, struct iq_err *err)
{
	for (size_t p = 0; p < s->host.npfs; p++)
		if (s->host.pfs[p].probed)
			return IQ_OK;
	s->host.sim_transport = s->ctx->sim_transport;
	if (host_probe_firmware(&s->host, s->ctx->backend, s->ctx->trace,
				err)) {
		bool none_reached = true;

		for (size_t p = 0; p < s->host.npfs; p++)
			none_reached &= s->host.pfs[p].unreachable;
		/* No PF answered: each is marked unreachable with its error,
		 * which a partial view shows PF by PF. */
		if (!(s->needs & SESSION_PARTIAL) || !none_reached)
			return err->code;
		iq_err_clear(err);
	}
	open_vhca_cache(s);
	return IQ_OK;
}

int session_save_state(struct session *s, struct iq_err *err)
{
	if (!s->have_state)
		return IQ_OK;
	return state_save(s->ctx->state_path, &s->state, err);
}

/*
 * What this run counted goes to the counters file while the lock is
 * still held. A failure there must not fail the run that did its work:
 * it is said on the log instead.
 */
static void flush_counters(struct session *s)
{
	struct iq_err err = {0};

	/* Shared holders would race on the file: a view counts nothing. */
	if (s->lock_fd < 0 || (s->needs & SESSION_LOCK_SHARED))
		return;
	if (s->have_host)
		s->counted.v[CNT_FW_COMMAND_ERRORS] += host_fw_errors(&s->host);
	if (counters_any(&s->counted) &&
	    counters_add(s->ctx->state_path, &s->counted, &err))
		run_note(s->ctx, "counters not updated: %s", err.msg);
	memset(&s->counted, 0, sizeof(s->counted));
}

void session_close(struct session *s)
{
	flush_counters(s);
	close_vhca_cache(s);
	if (s->have_host)
		host_free(&s->host);
	if (s->have_state)
		state_free(&s->state);
	if (s->have_policy && !s->policy_borrowed)
		policy_free(&s->policy);
	lock_release(s->lock_fd);
	s->have_host = s->have_state = s->have_policy = false;
	s->lock_fd = -1;
}
