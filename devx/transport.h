/* SPDX-License-Identifier: MIT */
/*
 * One firmware command channel per PF, three implementations behind one
 * vtable: devx (rdma-core), fwctl (/dev/fwctl ioctl) and sim (the
 * simulated firmware). fw_dev_exec() traces and counts every command and
 * turns a non-zero firmware status into an error.
 */
#ifndef ICMQUOTA_TRANSPORT_H
#define ICMQUOTA_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/err.h"
#include "lib/pci.h"

enum fw_backend {
	FW_BACKEND_AUTO,
	FW_BACKEND_DEVX,
	FW_BACKEND_FWCTL,
	FW_BACKEND_SIM,
};

/* "auto" | "devx" | "fwctl" | "sim"; false for anything else. */
bool fw_backend_parse(const char *text, enum fw_backend *backend);
const char *fw_backend_name(enum fw_backend backend);

/* What a transport needs to find the PF's channel. */
struct fw_open_args {
	const char *root;   /* "" for the real host, else the simulated root */
	const char *pf_pci; /* "0000:3b:00.0" */
	const char *ibdev;  /* RDMA device name from sysfs, "" if none */
	const char *fwctl;  /* "fwctl0" from sysfs, "" if none */
	/*
	 * The simulated firmware's transport, given by the layer that links
	 * the simulator (controller/sim): devx never names it. NULL: no
	 * simulator, FW_BACKEND_SIM fails and auto never picks it.
	 */
	const struct fw_transport_ops *sim;
};

struct fw_transport_ops {
	const char *name;
	/* Opcode this channel uses for register access. */
	uint16_t access_reg_opcode;
	int (*open)(const struct fw_open_args *args, void **priv,
		    struct iq_err *err);
	/*
	 * Run one command. Returns non-zero only when the command could not
	 * be delivered (the firmware status is in out, checked by the caller).
	 */
	int (*exec)(void *priv, const void *in, size_t inlen, void *out,
		    size_t outlen, struct iq_err *err);
	/*
	 * Optional: the end of a batch of commands; what they changed now
	 * holds for other processes, which may drive the firmware again (a
	 * channel that batches, like the simulator's).
	 */
	int (*flush)(void *priv, struct iq_err *err);
	void (*close)(void *priv);
	/* Optional: true when this transport serves args (auto picks it
	 * first); NULL means "only when asked for by name". */
	bool (*present)(const struct fw_open_args *args);
	/*
	 * For a channel that reaches registers through ACCESS_REGISTER_USER:
	 * the channel auto falls back to when the function's HCA cap
	 * access_register_user is 0 (devx -> fwctl); NULL for none.
	 */
	const struct fw_transport_ops *reg_fallback;
};

extern const struct fw_transport_ops fw_transport_devx;
extern const struct fw_transport_ops fw_transport_fwctl;

/*
 * The fwctl scope (enum fwctl_rpc_scope, <fwctl/fwctl.h>) an input mailbox
 * is sent at: the lowest the kernel's mlx5 fwctl driver accepts for it
 * (drivers/fwctl/mlx5/main.c, mlx5ctl_validate_rpc). Register writes and
 * QUERY_HCA_CAP: CONFIGURATION (0); register reads: DEBUG_READ_ONLY (1).
 * Never DEBUG_WRITE or DEBUG_WRITE_FULL, which taint the kernel (and the
 * latter needs CAP_SYS_RAWIO). in holds at least the 16-byte header.
 */
uint32_t fwctl_rpc_scope_for(const void *in);
/* "CONFIGURATION", "DEBUG_READ_ONLY", ...; "UNKNOWN" past the four. */
const char *fwctl_rpc_scope_name(uint32_t scope);

/*
 * Retries of a command the firmware answered RESOURCE_BUSY (0x06) or
 * NOT_READY (0x07) (prm.md: "retry later, bounded, with backoff"): up to
 * FW_RETRY_MAX more tries, waiting FW_RETRY_FIRST_MS and doubling each
 * time (10 + 20 + 40 + 80 + 160 = 310 ms at most per command). Every other
 * status is final.
 */
#define FW_RETRY_MAX	  5
#define FW_RETRY_FIRST_MS 10

struct fw_dev {
	const struct fw_transport_ops *ops;
	void *priv;
	char pf[PCI_ADDR_LEN];
	FILE *trace;		 /* --trace-fw, may be NULL */
	unsigned long n_cmds;	 /* commands sent (a retried one once) */
	unsigned long n_writes;	 /* register writes among them */
	unsigned long n_retries; /* resends after BUSY/NOT_READY */
	unsigned long n_errors;	 /* commands that failed (transport, status) */
	uint8_t last_status;	 /* firmware status of the last command */
	unsigned retry_max;	 /* FW_RETRY_MAX from fw_dev_open; 0: none */
	unsigned retry_first_ms; /* first wait, doubled at each retry */
};

/*
 * Open the PF's channel. FW_BACKEND_AUTO: args->sim when it is present for
 * args (a simulated root), else devx, then fwctl; the error then names both
 * failures. FW_BACKEND_SIM without args->sim: IQ_EENV.
 */
int fw_dev_open(enum fw_backend backend, const struct fw_open_args *args,
		FILE *trace, struct fw_dev **dev, struct iq_err *err);
/*
 * Send a command: trace "> HEX" / "< HEX", count it, fail on a transport
 * error or a non-zero status ("PF: CMD: firmware status BAD_PARAM (0x03),
 * syndrome 0x..."). RESOURCE_BUSY and NOT_READY are retried up to
 * dev->retry_max times with doubling waits, each retry counted in
 * n_retries and traced as "# retry N/MAX after STATUS (0xNN), waited MS
 * ms"; still busy after the last: IQ_EENV saying so.
 */
int fw_dev_exec(struct fw_dev *dev, const char *what, const void *in,
		size_t inlen, void *out, size_t outlen, struct iq_err *err);
/*
 * End a batch of commands: what they changed takes effect for other
 * processes too (the transport's flush; a no-op on a device, where each
 * command does). Call it at the end of each step of a run (probe, read
 * back, writes), before journalling the writes. Errors name the PF.
 */
int fw_dev_flush(struct fw_dev *dev, struct iq_err *err);
void fw_dev_close(struct fw_dev *dev);
/* Open args with exactly the transport ops (no choosing); as fw_dev_open. */
int fw_dev_open_ops(const struct fw_transport_ops *ops,
		    const struct fw_open_args *args, FILE *trace,
		    struct fw_dev **dev, struct iq_err *err);

#endif
