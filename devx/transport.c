// SPDX-License-Identifier: MIT
/*
 * The transport-independent half of the firmware channel: choosing a
 * backend, tracing and counting every command, and turning a firmware
 * status into an error a user can act on.
 */
#include "devx/transport.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "devx/codec.h"
#include "devx/prm.h"
#include "lib/file.h"

bool fw_backend_parse(const char *text, enum fw_backend *backend)
{
	static const struct {
		const char *name;
		enum fw_backend backend;
	} names[] = {
		{"auto", FW_BACKEND_AUTO},
		{"devx", FW_BACKEND_DEVX},
		{"fwctl", FW_BACKEND_FWCTL},
		{"sim", FW_BACKEND_SIM},
	};

	if (!text)
		return false;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(text, names[i].name) == 0) {
			*backend = names[i].backend;
			return true;
		}
	}
	return false;
}

const char *fw_backend_name(enum fw_backend backend)
{
	switch (backend) {
	case FW_BACKEND_AUTO:
		return "auto";
	case FW_BACKEND_DEVX:
		return "devx";
	case FW_BACKEND_FWCTL:
		return "fwctl";
	case FW_BACKEND_SIM:
		return "sim";
	}
	return "unknown";
}

/* A transport's open error starts with "PF: "; drop it when combining. */
static const char *without_pf(const char *msg, const char *pf)
{
	size_t n = strlen(pf);

	if (n && strncmp(msg, pf, n) == 0 && strncmp(msg + n, ": ", 2) == 0)
		return msg + n + 2;
	return msg;
}

static int open_one(const struct fw_transport_ops *ops,
		    const struct fw_open_args *args, struct fw_dev *dev,
		    struct iq_err *err)
{
	int rc = ops->open(args, &dev->priv, err);

	if (rc)
		return rc;
	dev->ops = ops;
	return IQ_OK;
}

static int open_auto(const struct fw_open_args *args, struct fw_dev *dev,
		     struct iq_err *err)
{
	struct iq_err devx_err = {0};
	struct iq_err fwctl_err = {0};

	if (args->sim && args->sim->present && args->sim->present(args))
		return open_one(args->sim, args, dev, err);
	if (open_one(&fw_transport_devx, args, dev, &devx_err) == IQ_OK)
		return IQ_OK;
	if (open_one(&fw_transport_fwctl, args, dev, &fwctl_err) == IQ_OK)
		return IQ_OK;
	return iq_fail(err, IQ_EENV,
		       "%s: no firmware command channel (tried devx, then "
		       "fwctl): %s; %s",
		       dev->pf, without_pf(devx_err.msg, dev->pf),
		       without_pf(fwctl_err.msg, dev->pf));
}

/* A device handle for args' PF, before any transport is opened. */
static struct fw_dev *dev_new(const struct fw_open_args *args, FILE *trace,
			      struct iq_err *err)
{
	struct fw_dev *dev = calloc(1, sizeof(*dev));

	if (!dev) {
		iq_fail(err, IQ_EENV, "%s: out of memory", args->pf_pci);
		return NULL;
	}
	snprintf(dev->pf, sizeof(dev->pf), "%s", args->pf_pci);
	dev->trace = trace;
	dev->retry_max = FW_RETRY_MAX;
	dev->retry_first_ms = FW_RETRY_FIRST_MS;
	return dev;
}

/* *devp = dev when rc is IQ_OK; dev freed otherwise. */
static int dev_done(struct fw_dev *dev, int rc, struct fw_dev **devp)
{
	if (rc) {
		free(dev);
		return rc;
	}
	*devp = dev;
	return IQ_OK;
}

int fw_dev_open(enum fw_backend backend, const struct fw_open_args *args,
		FILE *trace, struct fw_dev **devp, struct iq_err *err)
{
	struct fw_dev *dev;
	int rc;

	*devp = NULL;
	dev = dev_new(args, trace, err);
	if (!dev)
		return err->code;
	switch (backend) {
	case FW_BACKEND_DEVX:
		rc = open_one(&fw_transport_devx, args, dev, err);
		break;
	case FW_BACKEND_FWCTL:
		rc = open_one(&fw_transport_fwctl, args, dev, err);
		break;
	case FW_BACKEND_SIM:
		if (!args->sim) {
			rc = iq_fail(err, IQ_EENV,
				     "%s: sim: this program has no simulated "
				     "firmware",
				     args->pf_pci);
			break;
		}
		rc = open_one(args->sim, args, dev, err);
		break;
	case FW_BACKEND_AUTO:
	default:
		rc = open_auto(args, dev, err);
		break;
	}
	return dev_done(dev, rc, devp);
}

int fw_dev_open_ops(const struct fw_transport_ops *ops,
		    const struct fw_open_args *args, FILE *trace,
		    struct fw_dev **devp, struct iq_err *err)
{
	struct fw_dev *dev;

	*devp = NULL;
	dev = dev_new(args, trace, err);
	if (!dev)
		return err->code;
	return dev_done(dev, open_one(ops, args, dev, err), devp);
}

int fw_dev_flush(struct fw_dev *dev, struct iq_err *err)
{
	if (!dev || !dev->ops || !dev->ops->flush)
		return IQ_OK;
	if (dev->ops->flush(dev->priv, err))
		return iq_err_prefix(err, "%s: %s", dev->pf, dev->ops->name);
	return IQ_OK;
}

void fw_dev_close(struct fw_dev *dev)
{
	if (!dev)
		return;
	if (dev->ops)
		dev->ops->close(dev->priv);
	free(dev);
}

static void trace_mailbox(FILE *trace, char dir, const void *buf, size_t len)
{
	const unsigned char *bytes = buf;

	fputc(dir, trace);
	fputc(' ', trace);
	for (size_t i = 0; i < len; i++)
		fprintf(trace, "%02x", bytes[i]);
	fputc('\n', trace);
}

static int trace_flush(struct fw_dev *dev, struct iq_err *err)
{
	if (fflush(dev->trace) == 0 && !ferror(dev->trace))
		return IQ_OK;
	return iq_fail(err, IQ_EENV,
		       "%s: cannot write the firmware trace (--trace-fw): %s",
		       dev->pf, strerror(errno));
}

static bool is_register_access(uint16_t opcode)
{
	return opcode == PRM_OP_ACCESS_REG ||
	       opcode == PRM_OP_ACCESS_REGISTER_USER;
}

static bool is_transient(uint8_t status)
{
	return status == PRM_STATUS_RESOURCE_BUSY ||
	       status == PRM_STATUS_NOT_READY;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* One delivery: trace in, run, trace out. */
static int exec_once(struct fw_dev *dev, const char *what, const void *in,
		     size_t inlen, void *out, size_t outlen, struct iq_err *err)
{
	int rc;

	/* The input goes to the trace first: it is there even if we hang. */
	if (dev->trace) {
		trace_mailbox(dev->trace, '>', in, inlen);
		rc = trace_flush(dev, err);
		if (rc)
			return rc;
	}
	memset(out, 0, outlen);
	rc = dev->ops->exec(dev->priv, in, inlen, out, outlen, err);
	if (rc) {
		dev->n_errors++;
		return iq_err_prefix(err, "%s: %s", dev->pf, what);
	}
	if (dev->trace) {
		trace_mailbox(dev->trace, '<', out, outlen);
		rc = trace_flush(dev, err);
		if (rc)
			return rc;
	}
	return IQ_OK;
}

int fw_dev_exec(struct fw_dev *dev, const char *what, const void *in,
		size_t inlen, void *out, size_t outlen, struct iq_err *err)
{
	unsigned tries = 0, waited_ms = 0, wait_ms = dev->retry_first_ms;
	bool reg_write;
	uint8_t status;
	int rc;

	if (inlen < DEVX_ST_SZ_BYTES(prm_cmd_in_hdr) ||
	    outlen < DEVX_ST_SZ_BYTES(prm_cmd_out_hdr))
		return iq_fail(err, IQ_EENV,
			       "%s: %s: mailbox too short (in %zu, out %zu "
			       "bytes; the header alone is 16)",
			       dev->pf, what, inlen, outlen);
	reg_write = is_register_access(prm_in_opcode(in)) &&
		    prm_in_op_mod(in) == PRM_REG_WRITE;
	dev->n_cmds++;
	if (reg_write)
		dev->n_writes++;
	dev->last_status = PRM_STATUS_OK;

	for (;;) {
		rc = exec_once(dev, what, in, inlen, out, outlen, err);
		if (rc)
			return rc;
		status = prm_out_status(out);
		dev->last_status = status;
		if (!is_transient(status) || tries == dev->retry_max)
			break;
		/* prm.md: BUSY and NOT_READY mean "retry later". */
		sleep_ms(wait_ms);
		waited_ms += wait_ms;
		tries++;
		dev->n_retries++;
		if (dev->trace) {
			fprintf(dev->trace,
				"# retry %u/%u after %s (0x%02x), waited %u "
				"ms\n",
				tries, dev->retry_max, prm_status_name(status),
				status, wait_ms);
			rc = trace_flush(dev, err);
			if (rc)
				return rc;
		}
		wait_ms *= 2;
	}
	if (status == PRM_STATUS_OK)
		return IQ_OK;
	dev->n_errors++;
	if (is_transient(status))
		return iq_fail(err, IQ_EENV,
			       "%s: %s: firmware status %s (0x%02x), syndrome "
			       "0x%08x, still after %u retries over %u ms: the "
			       "device is busy or not ready (firmware reset or "
			       "upgrade in progress?); run the command again "
			       "once it is",
			       dev->pf, what, prm_status_name(status), status,
			       prm_out_syndrome(out), tries, waited_ms);
	/* prm.md "DevX filter": fwctl's ACCESS_REG is the way around it. */
	if (reg_write && strcmp(dev->ops->name, "devx") == 0 &&
	    (status == PRM_STATUS_BAD_OP || status == PRM_STATUS_BAD_PARAM))
		return iq_fail(err, IQ_EENV,
			       "%s: %s: firmware status %s (0x%02x), syndrome "
			       "0x%08x: the firmware refuses this register "
			       "write from a DevX user context; use "
			       "--backend fwctl (Linux 6.15+ with mlx5_fwctl)",
			       dev->pf, what, prm_status_name(status), status,
			       prm_out_syndrome(out));
	return iq_fail(err, IQ_EENV,
		       "%s: %s: firmware status %s (0x%02x), syndrome 0x%08x",
		       dev->pf, what, prm_status_name(status), status,
		       prm_out_syndrome(out));
}
