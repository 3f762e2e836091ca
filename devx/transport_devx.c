// SPDX-License-Identifier: MIT
/*
 * The DevX transport: the PF's RDMA device opened through rdma-core with
 * a DevX context, one mlx5dv_devx_general_cmd() per command. The kernel
 * passes general commands in [0xB00, 0xD00) and a short allow-list
 * (QUERY_HCA_CAP among them), so registers go through
 * ACCESS_REGISTER_USER (0xB0C), not ACCESS_REG.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <infiniband/mlx5dv.h>
#include <infiniband/verbs.h>

#include "devx/codec.h"
#include "devx/prm.h"
#include "devx/rdma_dl.h"
#include "devx/transport.h"
#include "lib/pci.h"

struct devx_priv {
	struct ibv_context *ctx;
	char ibdev[IBV_SYSFS_NAME_MAX];
};

#define FIX_NO_DEVICE "load mlx5_ib, or use --backend fwctl"

/*
 * The PCI address the RDMA device sits on, from its sysfs directory
 * (ibdev_path/device is a link to the PCI function). False when it cannot
 * be told, e.g. an unusual sysfs layout: the name match then stands.
 */
static bool ibdev_pci(const struct ibv_device *device, char pci[PCI_ADDR_LEN])
{
	char link[PATH_MAX + 8];
	char resolved[PATH_MAX];

	if (snprintf(link, sizeof(link), "%s/device", device->ibdev_path) >=
	    (int)sizeof(link))
		return false;
	if (!realpath(link, resolved))
		return false;
	return pci_addr_normalize(basename(resolved), pci);
}

/* "mlx5_0, mlx5_1" for the message when the wanted device is missing. */
static void list_names(struct ibv_device **list, int num, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < num && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 ibv_get_device_name(list[i]));

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static struct ibv_device *find_device(const struct fw_open_args *args,
				      struct ibv_device **list, int num,
				      struct iq_err *err)
{
	char names[256];
	char pci[PCI_ADDR_LEN];

	for (int i = 0; i < num; i++) {
		if (strcmp(ibv_get_device_name(list[i]), args->ibdev) != 0)
			continue;
		if (ibdev_pci(list[i], pci) && strcmp(pci, args->pf_pci) != 0) {
			iq_fail(err, IQ_EENV,
				"%s: devx: RDMA device %s belongs to %s, not "
				"to "
				"this PF: check the PF's infiniband/ directory "
				"in sysfs, or use --backend fwctl",
				args->pf_pci, args->ibdev, pci);
			return NULL;
		}
		return list[i];
	}
	list_names(list, num, names, sizeof(names));
	iq_fail(err, IQ_EENV,
		"%s: devx: rdma-core lists no RDMA device %s "
		"(ibv_get_device_list found %d devices%s%s): " FIX_NO_DEVICE,
		args->pf_pci, args->ibdev, num, num ? ": " : "", names);
	return NULL;
}

static int open_context(const struct fw_open_args *args,
			struct ibv_device *device, struct devx_priv *priv,
			struct iq_err *err)
{
	struct mlx5dv_context_attr attr = {
		.flags = MLX5DV_CONTEXT_FLAGS_DEVX,
	};
	const char *fix;
	int errnum;

	if (!mlx5dv_is_supported(device))
		return iq_fail(err, IQ_EENV,
			       "%s: devx: RDMA device %s is not driven by mlx5 "
			       "(mlx5dv_is_supported is false): use "
			       "--backend fwctl",
			       args->pf_pci, args->ibdev);
	errno = 0;
	priv->ctx = mlx5dv_open_device(device, &attr);
	if (priv->ctx)
		return IQ_OK;
	errnum = errno ? errno : EIO;
	switch (errnum) {
	case EPERM:
	case EACCES:
		fix = "run icmquota as root (DevX needs CAP_NET_RAW)";
		break;
	case EOPNOTSUPP:
	case EPROTONOSUPPORT:
		fix = "this kernel or firmware has no DevX for the device; use "
		      "--backend fwctl";
		break;
	default:
		fix = "check dmesg for mlx5_ib errors, or use --backend fwctl";
		break;
	}
	return iq_fail(err, IQ_EENV,
		       "%s: devx: cannot open %s with a DevX context "
		       "(mlx5dv_open_device: %s): %s",
		       args->pf_pci, args->ibdev, strerror(errnum), fix);
}

static int devx_open(const struct fw_open_args *args, void **privp,
		     struct iq_err *err)
{
	struct ibv_device **list;
	struct ibv_device *device;
	struct devx_priv *priv;
	int num = 0;
	int rc;

	*privp = NULL;
	if (!args->ibdev || !args->ibdev[0])
		return iq_fail(err, IQ_EENV,
			       "%s: devx: the PF has no RDMA device in sysfs "
			       "(no entry under %s/sys/bus/pci/devices/%s/"
			       "infiniband): " FIX_NO_DEVICE,
			       args->pf_pci, args->root ? args->root : "",
			       args->pf_pci);
	rc = rdma_dl_load(err);
	if (rc)
		return iq_err_prefix(err, "%s: devx", args->pf_pci);

	errno = 0;
	list = ibv_get_device_list(&num);
	if (!list) {
		int errnum = errno ? errno : ENODEV;

		return iq_fail(
			err, IQ_EENV,
			"%s: devx: rdma-core lists no RDMA device %s "
			"(ibv_get_device_list failed: %s): " FIX_NO_DEVICE,
			args->pf_pci, args->ibdev, strerror(errnum));
	}
	device = find_device(args, list, num, err);
	if (!device) {
		ibv_free_device_list(list);
		return IQ_EENV;
	}

	priv = calloc(1, sizeof(*priv));
	if (!priv) {
		ibv_free_device_list(list);
		return iq_fail(err, IQ_EENV, "%s: devx: out of memory",
			       args->pf_pci);
	}
	snprintf(priv->ibdev, sizeof(priv->ibdev), "%s", args->ibdev);
	rc = open_context(args, device, priv, err);
	/* An opened context keeps its device; the list can go. */
	ibv_free_device_list(list);
	if (rc) {
		free(priv);
		return rc;
	}
	*privp = priv;
	return IQ_OK;
}

static int devx_exec(void *privp, const void *in, size_t inlen, void *out,
		     size_t outlen, struct iq_err *err)
{
	struct devx_priv *priv = privp;
	int rc;

	rc = mlx5dv_devx_general_cmd(priv->ctx, in, inlen, out, outlen);
	if (rc == 0)
		return IQ_OK;
	if (rc < 0)
		rc = errno ? errno : EIO;
	/*
	 * Some kernels fail the call when the firmware status is not OK but
	 * still copy the output: then the status in out is the answer.
	 */
	if (prm_out_status(out) != PRM_STATUS_OK)
		return IQ_OK;
	if (rc == EPERM || rc == EACCES)
		return iq_fail(
			err, IQ_EENV,
			"devx: %s refused the command (%s): run icmquota "
			"as root (CAP_NET_RAW, CAP_SYS_RAWIO), or use "
			"--backend fwctl",
			priv->ibdev, strerror(rc));
	if (rc == EINVAL || rc == EOPNOTSUPP)
		return iq_fail(err, IQ_EENV,
			       "devx: the kernel's DevX filter on %s refused "
			       "opcode 0x%x (%s): use --backend fwctl",
			       priv->ibdev, prm_in_opcode(in), strerror(rc));
	return iq_fail(err, IQ_EENV,
		       "devx: mlx5dv_devx_general_cmd on %s failed: %s: check "
		       "dmesg for mlx5_ib errors, or use --backend fwctl",
		       priv->ibdev, strerror(rc));
}

static void devx_close(void *privp)
{
	struct devx_priv *priv = privp;

	if (!priv)
		return;
	ibv_close_device(priv->ctx);
	free(priv);
}

const struct fw_transport_ops fw_transport_devx = {
	.name = "devx",
	.access_reg_opcode = PRM_OP_ACCESS_REGISTER_USER,
	.open = devx_open,
	.exec = devx_exec,
	.close = devx_close,
	.reg_fallback = &fw_transport_fwctl,
};
