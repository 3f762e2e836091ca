// SPDX-License-Identifier: MIT
/*
 * icmquota top: the live view. Per PF its firmware pages, per VF current
 * ICM / cap / high-water mark with the change since the last refresh, and
 * the host's MemAvailable and headroom; redrawn in place on a terminal
 * (ANSI, alternate screen, q or Ctrl-C quits and restores the terminal),
 * plain timestamped lines otherwise. Reads only: no lock, no writes.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "controller/cli/cli.h"
#include "controller/cli/help.h"
#include "controller/core/lifecycle.h"
#include "controller/core/readback.h"
#include "lib/json.h"
#include "lib/size.h"

/* One VF's readings, kept from one refresh to the next. */
struct top_vf {
	char pci[PCI_ADDR_LEN];
	bool known;
	uint64_t cur, cap, hwm; /* bytes; cap IQ_UNLIMITED possible */
};

struct top_pf {
	char pci[PCI_ADDR_LEN];
	int64_t fw_pages; /* -1 unknown */
};

struct top_sample {
	struct top_vf *vfs;
	size_t nvfs;
	struct top_pf *pfs;
	size_t npfs;
	uint64_t mem_available;
	int64_t headroom;
	bool valid;
};

static volatile sig_atomic_t top_stop;

static void on_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

static void sample_free(struct top_sample *s)
{
	free(s->vfs);
	free(s->pfs);
	memset(s, 0, sizeof(*s));
}

/* "+248.0MiB", "-1.0GiB", "0", or "" when there is nothing to compare. */
static void delta_text(bool have, uint64_t now, uint64_t before, char *buf,
		       size_t len)
{
	char h[32];

	if (!have || now == IQ_UNLIMITED || before == IQ_UNLIMITED) {
		snprintf(buf, len, "%s", have ? "" : "-");
		return;
	}
	if (now == before) {
		snprintf(buf, len, "0");
		return;
	}
	size_format(now > before ? now - before : before - now, h, sizeof(h));
	snprintf(buf, len, "%c%s", now > before ? '+' : '-', h);
}

static const struct top_vf *prev_vf(const struct top_sample *prev,
				    const char *pci)
{
	for (size_t i = 0; prev && prev->valid && i < prev->nvfs; i++)
		if (strcmp(prev->vfs[i].pci, pci) == 0)
			return &prev->vfs[i];
	return NULL;
}

static const struct top_pf *prev_pf(const struct top_sample *prev,
				    const char *pci)
{
	for (size_t i = 0; prev && prev->valid && i < prev->npfs; i++)
		if (strcmp(prev->pfs[i].pci, pci) == 0)
			return &prev->pfs[i];
	return NULL;
}

/* One refresh: read everything, print it, keep it in *now. */
static int refresh(struct run_ctx *ctx, bool tty, unsigned long iteration,
		   const struct top_sample *prev, struct top_sample *now,
		   struct iq_err *err)
{
	struct session s;
	struct lifecycle_result r;
	FILE *out = ctx->out;
	char stamp[32], h1[32], h2[32], h3[32], d1[32], d2[32], d3[32];
	time_t t = time(NULL);
	struct tm tm;
	json_object *jo = NULL, *jpfs = NULL;
	int rc;

	memset(now, 0, sizeof(*now));
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* A PF that does not answer is shown as unknown, not the end. */
	rc = session_open(ctx,
			  SESSION_POLICY | SESSION_STATE | SESSION_FIRMWARE |
				  SESSION_PARTIAL,
			  &s, err);
	if (rc)
		return rc;
	rc = lifecycle_apply(&s, NULL, 0, LIFECYCLE_SHOW, &r, err);
	if (rc) {
		session_close(&s);
		return rc;
	}
	now->vfs = calloc(r.plan.nvfs + 1, sizeof(*now->vfs));
	now->pfs = calloc(s.host.npfs + 1, sizeof(*now->pfs));
	if (!now->vfs || !now->pfs) {
		lifecycle_result_free(&r);
		session_close(&s);
		return iq_fail(err, IQ_EENV, "out of memory");
	}
	now->mem_available = r.split.mem_available;
	now->headroom = r.split.headroom;
	now->valid = true;
	if (ctx->json) {
		jo = json_object_new_object();
		jpfs = json_object_new_array();
		json_object_object_add(jo, "time", json_object_new_int64(t));
	} else if (tty) {
		/* Home, clear: the frame is redrawn in place. */
		fprintf(out, "\033[H\033[2J");
		fprintf(out,
			"icmquota top  %s  refresh %lu  (q or Ctrl-C "
			"quits)\n\n",
			stamp, iteration);
	}
	for (size_t p = 0; p < s.host.npfs; p++) {
		const struct host_pf *pf = &s.host.pfs[p];
		const struct top_pf *pp = prev_pf(prev, pf->pci);
		struct top_pf *np = &now->pfs[now->npfs++];
		json_object *jpf = NULL, *jvfs = NULL;

		snprintf(np->pci, sizeof(np->pci), "%s", pf->pci);
		np->fw_pages = pf->fw_pages.total;
		snprintf(h1, sizeof(h1), "unknown");
		if (np->fw_pages >= 0)
			size_format((uint64_t)np->fw_pages * ICM_PAGE_BYTES, h1,
				    sizeof(h1));
		delta_text(pp && pp->fw_pages >= 0 && np->fw_pages >= 0,
			   (uint64_t)np->fw_pages * ICM_PAGE_BYTES,
			   pp ? (uint64_t)pp->fw_pages * ICM_PAGE_BYTES : 0, d1,
			   sizeof(d1));
		if (jo) {
			jpf = json_object_new_object();
			jvfs = json_object_new_array();
			json_object_object_add(jpf, "pci",
					       json_object_new_string(pf->pci));
			json_object_object_add(
				jpf, "fw_pages",
				np->fw_pages >= 0
					? json_object_new_int64(np->fw_pages)
					: NULL);
			json_object_object_add(
				jpf, "fw_error",
				readback_pf_unreachable(pf)
					? json_object_new_string(
						  pf->unreachable_why)
					: NULL);
		} else if (tty) {
			fprintf(out, "PF %s  fw_pages %s (%s)%s%s\n", pf->pci,
				h1, d1,
				readback_pf_unreachable(pf)
					? "  unknown: firmware not reachable: "
				: pf->supported ? ""
						: "  no ICM control",
				readback_pf_unreachable(pf)
					? pf->unreachable_why
					: "");
			fprintf(out, "  %-13s %-14s %10s %10s %10s %10s %10s\n",
				"VF", "VM", "CURRENT", "CHANGE", "CAP",
				"HIGH-WATER", "CHANGE");
		} else {
			fprintf(out, "%s pf %s fw_pages %s change %s%s%s\n",
				stamp, pf->pci, h1, d1,
				readback_pf_unreachable(pf)
					? " unknown: firmware not reachable: "
					: "",
				readback_pf_unreachable(pf)
					? pf->unreachable_why
					: "");
		}
		for (size_t i = 0; i < r.plan.nvfs; i++) {
			const struct plan_vf *pv = &r.plan.vfs[i];
			const struct top_vf *pvf;
			struct top_vf *nv;
			const char *vm;
			char why[600];
			bool error;

			if (pv->pf != pf)
				continue;
			/* "?": a read that failed; "-": nothing to read. */
			error = readback_vf(&r.plan, pv, why, sizeof(why)) ==
				READBACK_ERROR;
			nv = &now->vfs[now->nvfs++];
			snprintf(nv->pci, sizeof(nv->pci), "%s", pv->vf->pci);
			nv->known = pv->have_actual;
			if (nv->known) {
				nv->cur = icm_pages_to_bytes(
					pv->actual.cur_alloc_icm);
				nv->cap = icm_pages_to_bytes(
					pv->actual.max_alloc_icm_th);
				nv->hwm = icm_pages_to_bytes(
					pv->actual.max_reached_alloc_icm);
			}
			pvf = prev_vf(prev, nv->pci);
			vm = pv->vm ? pv->vm->name : "(idle)";
			if (jo) {
				json_object *v = json_object_new_object();

				json_object_object_add(
					v, "pci",
					json_object_new_string(nv->pci));
				json_object_object_add(
					v, "vm",
					pv->vm ? json_object_new_string(vm)
					       : NULL);
				json_object_object_add(
					v, "cur_bytes",
					nv->known ? json_size(nv->cur) : NULL);
				json_object_object_add(
					v, "cap_bytes",
					nv->known ? json_size(nv->cap) : NULL);
				json_object_object_add(
					v, "max_reached_bytes",
					nv->known ? json_size(nv->hwm) : NULL);
				json_object_object_add(
					v, "reason",
					nv->known
						? NULL
						: json_object_new_string(why));
				json_object_object_add(
					v, "cur_change_bytes",
					nv->known && pvf && pvf->known
						? json_object_new_int64(
							  (int64_t)nv->cur -
							  (int64_t)pvf->cur)
						: NULL);
				json_object_array_add(jvfs, v);
				continue;
			}
			snprintf(h1, sizeof(h1), "%s", error ? "?" : "-");
			snprintf(h2, sizeof(h2), "%s", error ? "?" : "-");
			snprintf(h3, sizeof(h3), "%s", error ? "?" : "-");
			if (nv->known) {
				size_format(nv->cur, h1, sizeof(h1));
				size_format(nv->cap, h2, sizeof(h2));
				size_format(nv->hwm, h3, sizeof(h3));
			}
			delta_text(nv->known && pvf && pvf->known, nv->cur,
				   pvf ? pvf->cur : 0, d1, sizeof(d1));
			delta_text(nv->known && pvf && pvf->known, nv->hwm,
				   pvf ? pvf->hwm : 0, d2, sizeof(d2));
			if (tty)
				fprintf(out,
					"  %-13s %-14.14s %10s %10s %10s %10s "
					"%10s%s\n",
					nv->pci, vm, h1, d1, h2, h3, d2,
					plan_vf_over_cap(pv) ? "  OVER CAP"
							     : "");
			else
				fprintf(out,
					"%s vf %s vm %s cur %s change %s cap "
					"%s "
					"hwm %s change %s%s\n",
					stamp, nv->pci, vm, h1, d1, h2, h3, d2,
					plan_vf_over_cap(pv) ? " over_cap"
							     : "");
			/* A read that failed on a PF that answered. */
			if (error && !readback_pf_unreachable(pf) && tty)
				fprintf(out, "    unknown: %s\n", why);
			else if (error && !readback_pf_unreachable(pf))
				fprintf(out, "%s vf %s unknown: %s\n", stamp,
					nv->pci, why);
		}
		if (jo) {
			json_object_object_add(jpf, "vfs", jvfs);
			json_object_array_add(jpfs, jpf);
		} else if (tty) {
			fputc('\n', out);
		}
	}
	size_format(now->mem_available, h1, sizeof(h1));
	size_format_signed(now->headroom, h2, sizeof(h2));
	delta_text(prev && prev->valid, now->mem_available,
		   prev ? prev->mem_available : 0, d1, sizeof(d1));
	if (!prev || !prev->valid) {
		snprintf(d3, sizeof(d3), "-");
	} else if (now->headroom == prev->headroom) {
		snprintf(d3, sizeof(d3), "0");
	} else {
		char h[32];

		size_format_signed(now->headroom - prev->headroom, h,
				   sizeof(h));
		snprintf(d3, sizeof(d3), "%s%s",
			 now->headroom > prev->headroom ? "+" : "", h);
	}
	if (jo) {
		json_object_object_add(jo, "pfs", jpfs);
		json_object_object_add(jo, "mem_available_bytes",
				       json_size(now->mem_available));
		json_object_object_add(jo, "headroom_bytes",
				       json_bytes_signed(now->headroom));
		fprintf(out, "%s\n",
			json_object_to_json_string_ext(jo,
						       JSON_C_TO_STRING_PLAIN));
		json_object_put(jo);
	} else if (tty) {
		fprintf(out, "MemAvailable %s (%s)   headroom %s (%s)%s\n", h1,
			d1, h2, d3, now->headroom < 0 ? "  OVERCOMMITTED" : "");
	} else {
		fprintf(out,
			"%s host mem_available %s change %s headroom %s change "
			"%s\n",
			stamp, h1, d1, h2, d3);
	}
	fflush(out);
	lifecycle_result_free(&r);
	session_close(&s);
	return IQ_OK;
}

/*
 * Wait up to seconds for the next refresh; true when the user quit (q,
 * Ctrl-C, SIGTERM). Keys are read only when stdin is a terminal.
 */
static bool wait_next(double seconds, bool keys)
{
	struct timespec start, cur;
	double left = seconds;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!top_stop && left > 0) {
		struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
		int n = poll(keys ? &pfd : NULL, keys ? 1 : 0,
			     (int)(left * 1000) + 1);

		if (n > 0 && (pfd.revents & POLLIN)) {
			char c;

			if (read(STDIN_FILENO, &c, 1) == 1 &&
			    (c == 'q' || c == 'Q' || c == 3))
				return true;
			if (pfd.revents & (POLLHUP | POLLERR))
				keys = false;
		} else if (n > 0) {
			keys = false; /* stdin closed: time only */
		}
		clock_gettime(CLOCK_MONOTONIC, &cur);
		left = seconds - ((double)(cur.tv_sec - start.tv_sec) +
				  (double)(cur.tv_nsec - start.tv_nsec) / 1e9);
	}
	return top_stop != 0;
}

int cmd_top(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	static const struct option opts[] = {
		{"interval", required_argument, NULL, 'd'},
		{"iterations", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	struct top_sample a = {0}, b = {0}, *prev = &a, *now = &b, *swap;
	struct sigaction sa, old_int, old_term;
	struct termios saved_tio, raw;
	double interval = 2.0;
	unsigned long iterations = 0, done = 0;
	bool tty, keys = false, have_tio = false;
	char *end;
	int c, rc = IQ_OK;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "d:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			interval = strtod(optarg, &end);
			if (*end || end == optarg || !(interval >= 0.1) ||
			    interval > 86400)
				return iq_fail(err, IQ_EUSAGE,
					       "top: -d takes seconds between "
					       "0.1 and 86400, not '%s'",
					       optarg);
			break;
		case 'n':
			errno = 0;
			iterations = strtoul(optarg, &end, 10);
			if (*end || end == optarg || errno || !iterations ||
			    optarg[0] == '-')
				return iq_fail(err, IQ_EUSAGE,
					       "top: -n takes a count of "
					       "refreshes (1 or more), not "
					       "'%s'",
					       optarg);
			break;
		case 'h':
			help_print_command(ctx->out, help_find("top"));
			return IQ_OK;
		default:
			return iq_fail(err, IQ_EUSAGE,
				       "top: unknown option or missing value: "
				       "'%s' (see icmquota top --help)",
				       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return iq_fail(err, IQ_EUSAGE, "top: unexpected argument '%s'",
			       argv[optind]);
	tty = !ctx->json && isatty(fileno(ctx->out));
	top_stop = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll returns at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (tty && isatty(STDIN_FILENO) &&
	    tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		raw = saved_tio;
		raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		have_tio = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
		keys = have_tio;
	}
	if (tty) /* alternate screen, cursor hidden */
		fprintf(ctx->out, "\033[?1049h\033[?25l");
	while (!top_stop) {
		rc = refresh(ctx, tty, done + 1, prev, now, err);
		if (rc)
			break;
		done++;
		swap = prev;
		prev = now;
		now = swap;
		sample_free(now);
		if (iterations && done >= iterations)
			break;
		if (wait_next(interval, keys))
			break;
	}
	if (tty) {
		fprintf(ctx->out, "\033[?25h\033[?1049l");
		fflush(ctx->out);
	}
	if (have_tio)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sample_free(&a);
	sample_free(&b);
	return rc;
}
