// SPDX-License-Identifier: MIT
/*
 * The fwctl transport: /dev/fwctl/fwctlN of the PF (Linux 6.15+, driver
 * mlx5_fwctl), one ioctl(FWCTL_RPC) per command. Registers go through
 * ACCESS_REG (0x805), which the DevX filter does not pass but mlx5_fwctl
 * does.
 *
 * Scopes: every command goes at the lowest scope the kernel accepts for it
 * (fwctl_rpc_scope_for). The kernel's mlx5 fwctl driver,
 * drivers/fwctl/mlx5/main.c, mlx5ctl_validate_rpc() (Linux 6.15+), passes
 * ACCESS_REG / ACCESS_REGISTER_USER with op_mod 0 (write) at any scope
 * (its comment: "scope >= FWCTL_RPC_CONFIGURATION"), their reads
 * at DEBUG_READ_ONLY and up, and QUERY_HCA_CAP at any scope. The fwctl
 * core (drivers/fwctl/main.c, fwctl_cmd_rpc()) asks CAP_SYS_RAWIO only
 * for DEBUG_WRITE_FULL and taints the kernel only for DEBUG_WRITE and
 * DEBUG_WRITE_FULL. So a cap write at CONFIGURATION needs no
 * CAP_SYS_RAWIO and leaves the kernel untainted; what it needs is write
 * access to /dev/fwctl/fwctlN (root by default).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devx/codec.h"
#include "devx/fwctl_uapi.h"
#include "devx/prm.h"
#include "devx/transport.h"
#include "lib/file.h"

struct fwctl_priv {
	int fd;
	char path[PATH_MAX];
};

/* A device node name from sysfs: "fwctl0", never a path. */
static bool node_name_ok(const char *name)
{
	if (!name[0] || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	return strchr(name, '/') == NULL;
}

static int open_fail(const struct fw_open_args *args, const char *path,
		     int errnum, struct iq_err *err)
{
	const char *fix;

	switch (errnum) {
	case ENOENT:
	case ENXIO:
	case ENODEV:
		fix = "load the fwctl driver (modprobe mlx5_fwctl; Linux "
		      "6.15+)";
		break;
	case EACCES:
	case EPERM:
		fix = "run icmquota as root";
		break;
	default:
		fix = "check dmesg for mlx5_fwctl errors";
		break;
	}
	return iq_fail(err, IQ_EENV, "%s: fwctl: cannot open %s: %s: %s",
		       args->pf_pci, path, strerror(errnum), fix);
}

static int fwctl_open(const struct fw_open_args *args, void **privp,
		      struct iq_err *err)
{
	struct fwctl_info info;
	struct fwctl_priv *priv;
	char node[PATH_MAX];

	*privp = NULL;
	if (!args->fwctl || !args->fwctl[0])
		return iq_fail(err, IQ_EENV,
			       "%s: fwctl: no fwctl device for this PF under "
			       "/sys/class/fwctl (needs Linux 6.15+ with "
			       "mlx5_fwctl)",
			       args->pf_pci);
	if (!node_name_ok(args->fwctl))
		return iq_fail(err, IQ_EENV,
			       "%s: fwctl: \"%s\" is not a fwctl device name "
			       "(expected e.g. fwctl0 from /sys/class/fwctl)",
			       args->pf_pci, args->fwctl);
	snprintf(node, sizeof(node), "/dev/fwctl/%s", args->fwctl);

	priv = calloc(1, sizeof(*priv));
	if (!priv)
		return iq_fail(err, IQ_EENV, "%s: fwctl: out of memory",
			       args->pf_pci);
	if (path_join(priv->path, sizeof(priv->path), args->root, node) < 0) {
		free(priv);
		return iq_fail(err, IQ_EENV, "%s: fwctl: path too long: %s%s",
			       args->pf_pci, args->root, node);
	}
	priv->fd = open(priv->path, O_RDWR | O_CLOEXEC);
	if (priv->fd < 0) {
		int errnum = errno;

		open_fail(args, priv->path, errnum, err);
		free(priv);
		return IQ_EENV;
	}

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	if (ioctl(priv->fd, FWCTL_INFO, &info) < 0) {
		int errnum = errno;

		if (errnum == ENOTTY || errnum == EINVAL)
			iq_fail(err, IQ_EENV,
				"%s: fwctl: %s is not a fwctl device "
				"(FWCTL_INFO: %s): check the PF's node under "
				"/sys/class/fwctl and /dev/fwctl",
				args->pf_pci, priv->path, strerror(errnum));
		else
			iq_fail(err, IQ_EENV,
				"%s: fwctl: FWCTL_INFO on %s failed: %s: check "
				"dmesg for mlx5_fwctl errors",
				args->pf_pci, priv->path, strerror(errnum));
		close(priv->fd);
		free(priv);
		return IQ_EENV;
	}
	if (info.out_device_type != FWCTL_DEVICE_TYPE_MLX5) {
		iq_fail(err, IQ_EENV,
			"%s: fwctl: %s is a fwctl device of type %u, not mlx5 "
			"(%u): check which /sys/class/fwctl node belongs to "
			"this PF",
			args->pf_pci, priv->path, info.out_device_type,
			FWCTL_DEVICE_TYPE_MLX5);
		close(priv->fd);
		free(priv);
		return IQ_EENV;
	}
	*privp = priv;
	return IQ_OK;
}

uint32_t fwctl_rpc_scope_for(const void *in)
{
	uint16_t opcode = prm_in_opcode(in);

	switch (opcode) {
	case PRM_OP_ACCESS_REG:
	case PRM_OP_ACCESS_REGISTER_USER:
		/* mlx5ctl_validate_rpc: a write passes at CONFIGURATION, a
		 * read needs DEBUG_READ_ONLY. */
		return prm_in_op_mod(in) == PRM_REG_WRITE
			       ? FWCTL_RPC_CONFIGURATION
			       : FWCTL_RPC_DEBUG_READ_ONLY;
	case PRM_OP_QUERY_HCA_CAP:
		return FWCTL_RPC_CONFIGURATION;
	default:
		/* Nothing else is sent; a query at the read-only scope. */
		return FWCTL_RPC_DEBUG_READ_ONLY;
	}
}

const char *fwctl_rpc_scope_name(uint32_t scope)
{
	switch (scope) {
	case FWCTL_RPC_CONFIGURATION:
		return "CONFIGURATION";
	case FWCTL_RPC_DEBUG_READ_ONLY:
		return "DEBUG_READ_ONLY";
	case FWCTL_RPC_DEBUG_WRITE:
		return "DEBUG_WRITE";
	case FWCTL_RPC_DEBUG_WRITE_FULL:
		return "DEBUG_WRITE_FULL";
	}
	return "UNKNOWN";
}

static int fwctl_exec(void *privp, const void *in, size_t inlen, void *out,
		      size_t outlen, struct iq_err *err)
{
	struct fwctl_priv *priv = privp;
	struct fwctl_rpc rpc;
	int errnum;

	memset(&rpc, 0, sizeof(rpc));
	rpc.size = sizeof(rpc);
	rpc.scope = fwctl_rpc_scope_for(in);
	rpc.in_len = (__u32)inlen;
	rpc.out_len = (__u32)outlen;
	rpc.in = (uintptr_t)in;
	rpc.out = (uintptr_t)out;
	if (ioctl(priv->fd, FWCTL_RPC, &rpc) == 0)
		return IQ_OK;

	errnum = errno;
	if (errnum == EPERM || errnum == EACCES)
		return iq_fail(err, IQ_EENV,
			       "fwctl: FWCTL_RPC at scope %s on %s: %s: "
			       "the kernel refused the caller; run icmquota as "
			       "root (write access to the fwctl device node)",
			       fwctl_rpc_scope_name(rpc.scope), priv->path,
			       strerror(errnum));
	if (errnum == EBADMSG)
		return iq_fail(
			err, IQ_EENV,
			"fwctl: mlx5_fwctl does not pass opcode 0x%x "
			"op_mod %u at scope %s (%s): this kernel's fwctl "
			"filter refuses the command; use --backend devx",
			prm_in_opcode(in), prm_in_op_mod(in),
			fwctl_rpc_scope_name(rpc.scope), strerror(errnum));
	if (errnum == ENODEV)
		return iq_fail(err, IQ_EENV,
			       "fwctl: %s: %s: the device went away (unbound "
			       "or hot-unplugged); rerun once it is back",
			       priv->path, strerror(errnum));
	return iq_fail(err, IQ_EENV,
		       "fwctl: FWCTL_RPC at scope %s on %s failed: %s: check "
		       "dmesg for mlx5_fwctl errors",
		       fwctl_rpc_scope_name(rpc.scope), priv->path,
		       strerror(errnum));
}

static void fwctl_close(void *privp)
{
	struct fwctl_priv *priv = privp;

	if (!priv)
		return;
	close(priv->fd);
	free(priv);
}

const struct fw_transport_ops fw_transport_fwctl = {
	.name = "fwctl",
	.access_reg_opcode = PRM_OP_ACCESS_REG,
	.open = fwctl_open,
	.exec = fwctl_exec,
	.close = fwctl_close,
};
