// SPDX-License-Identifier: MIT
/*
 * icmquota daemon: options and settings -> daemon_opts, then the loop
 * (controller/daemon/). Command-line options win over the settings file.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "controller/cli/cli.h"
#include "controller/cli/help.h"
#include "controller/daemon/daemon.h"
#include "controller/sources/vm_libvirt_live.h"
#include "lib/file.h"

/* Debian's node_exporter textfile directory. */
#define METRICS_DEFAULT_DIR "/var/lib/prometheus/node-exporter"
#define INTERVAL_DEFAULT_S  60.0

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *setting(const char *opt, const char *cfg)
{
	if (opt)
		return opt;
	return cfg && cfg[0] ? cfg : NULL;
}

int cmd_daemon(struct run_ctx *ctx, int argc, char **argv, struct iq_err *err)
{
	static const struct option opts[] = {
		{"interval", required_argument, NULL, 'i'},
		{"metrics-dir", required_argument, NULL, 'm'},
		{"ch-dir", required_argument, NULL, 'C'},
		{"connect", required_argument, NULL, 'c'},
		{"no-uevents", no_argument, NULL, 'U'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *interval = NULL, *metrics = NULL, *ch = NULL, *uri = NULL;
	struct daemon_opts o = {.udev = true};
	char metrics_buf[4096];
	char *end;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			interval = optarg;
			break;
		case 'm':
			metrics = optarg;
			break;
		case 'C':
			ch = optarg;
			break;
		case 'c':
			uri = optarg;
			break;
		case 'U':
			o.udev = false;
			break;
		case 'h':
			help_print_command(ctx->out, help_find("daemon"));
			return IQ_OK;
		default:
			return iq_fail(err, IQ_EUSAGE,
				       "daemon: unknown option or missing "
				       "value: '%s' (see icmquota daemon "
				       "--help)",
				       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return iq_fail(err, IQ_EUSAGE,
			       "daemon: unexpected argument '%s'",
			       argv[optind]);

	interval = setting(interval, ctx->interval);
	o.interval_s = INTERVAL_DEFAULT_S;
	if (interval) {
		o.interval_s = strtod(interval, &end);
		if (end == interval || *end || !isfinite(o.interval_s) ||
		    o.interval_s < 1 || o.interval_s > 86400)
			return iq_fail(
				err, IQ_EUSAGE,
				"daemon: interval takes seconds from 1 "
				"to 86400, not '%s'%s",
				interval,
				ctx->interval && ctx->interval[0] &&
						!strcmp(interval, ctx->interval)
					? " (in the settings file)"
					: "");
	}
	/* metrics_dir: "none" turns it off; unset: Debian's directory
	 * when it exists (under --root on a simulated host). */
	metrics = setting(metrics, ctx->metrics_dir);
	if (metrics && !strcmp(metrics, "none")) {
		metrics = NULL;
	} else if (!metrics) {
		if (path_join(metrics_buf, sizeof(metrics_buf), ctx->root,
			      METRICS_DEFAULT_DIR) == 0 &&
		    is_dir(metrics_buf))
			metrics = metrics_buf;
	} else if (!is_dir(metrics)) {
		return iq_fail(err, IQ_EENV,
			       "daemon: metrics_dir %s is not a directory "
			       "(create it, or set metrics_dir = none)",
			       metrics);
	}
	o.metrics_dir = metrics;
	ch = setting(ch, ctx->ch_dir);
	o.ch_dir = ch && strcmp(ch, "none") ? ch : NULL;
	/* libvirt: the system daemon when its socket exists (under --root),
	 * else none; "none" turns it off. */
	uri = setting(uri, ctx->libvirt_uri);
	if (!uri)
		uri = vm_libvirt_default_uri_at(ctx->root);
	o.libvirt_uri = uri && strcmp(uri, "none") ? uri : NULL;
	return daemon_run(ctx, &o, err);
}
