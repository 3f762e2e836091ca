// SPDX-License-Identifier: MIT
/*
 * The fwctl transport: /dev/fwctl/fwctlN of the PF (Linux 6.15+, driver
 * mlx5_fwctl), one ioctl(FWCTL_RPC) per command. Registers go through
 * ACCESS_REG (0x805), which the DevX filter does not pass but mlx5_fwctl
 * does. Reads run at scope DEBUG_READ_ONLY, register writes at
 * DEBUG_WRITE_FULL.
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

static bool is_register_write(const void *in)
{
	uint16_t opcode = prm_in_opcode(in);

	return (opcode == PRM_OP_ACCESS_REG ||
		opcode == PRM_OP_ACCESS_REGISTER_USER) &&
	       prm_in_op_mod(in) == PRM_REG_WRITE;
}

static const char *scope_name(uint32_t scope)
{
	return scope == FWCTL_RPC_DEBUG_WRITE_FULL ? "DEBUG_WRITE_FULL"
						   : "DEBUG_READ_ONLY";
}

static int fwctl_exec(void *privp, const void *in, size_t inlen, void *out,
		      size_t outlen, struct iq_err *err)
{
	struct fwctl_priv *priv = privp;
	struct fwctl_rpc rpc;
	int errnum;

	memset(&rpc, 0, sizeof(rpc));
	rpc.size = sizeof(rpc);
	rpc.scope = is_register_write(in) ? FWCTL_RPC_DEBUG_WRITE_FULL
					  : FWCTL_RPC_DEBUG_READ_ONLY;
	rpc.in_len = (__u32)inlen;
	rpc.out_len = (__u32)outlen;
	rpc.in = (uintptr_t)in;
	rpc.out = (uintptr_t)out;
	if (ioctl(priv->fd, FWCTL_RPC, &rpc) == 0)
		return IQ_OK;

	errnum = errno;
	if ((errnum == EPERM || errnum == EACCES) &&
	    rpc.scope == FWCTL_RPC_DEBUG_WRITE_FULL)
		return iq_fail(err, IQ_EENV,
			       "fwctl: FWCTL_RPC at scope DEBUG_WRITE_FULL on "
			       "%s: %s: register writes need CAP_SYS_RAWIO "
			       "(run as root); note that this scope taints the "
			       "kernel",
			       priv->path, strerror(errnum));
	if (errnum == EBADMSG)
		return iq_fail(
			err, IQ_EENV,
			"fwctl: mlx5_fwctl does not pass opcode 0x%x "
			"op_mod %u at scope %s (%s): this kernel's fwctl "
			"filter refuses the command; use --backend devx",
			prm_in_opcode(in), prm_in_op_mod(in),
			scope_name(rpc.scope), strerror(errnum));
	if (errnum == ENODEV)
		return iq_fail(err, IQ_EENV,
			       "fwctl: %s: %s: the device went away (unbound "
			       "or hot-unplugged); rerun once it is back",
			       priv->path, strerror(errnum));
	return iq_fail(err, IQ_EENV,
		       "fwctl: FWCTL_RPC at scope %s on %s failed: %s: check "
		       "dmesg for mlx5_fwctl errors",
		       scope_name(rpc.scope), priv->path, strerror(errnum));
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
