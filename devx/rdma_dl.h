/* SPDX-License-Identifier: MIT */
/*
 * rdma-core (libibverbs, libmlx5, and with them libnl), loaded when the
 * DevX transport is first opened (dlopen), not at program start: a run on
 * fwctl or the simulator, and every libvirt hook call that has no VF to
 * cap, does not pay for loading them.
 *
 * transport_devx.c includes this header after the rdma-core headers and
 * calls rdma_dl_load() before its first rdma-core call; the names below
 * then go through the loaded libraries.
 */
#ifndef ICMQUOTA_RDMA_DL_H
#define ICMQUOTA_RDMA_DL_H

#include <infiniband/mlx5dv.h>
#include <infiniband/verbs.h>

#include "lib/err.h"

#define RDMA_DL_VERBS(X)                                                       \
	X(ibv_get_device_list)                                                 \
	X(ibv_free_device_list)                                                \
	X(ibv_get_device_name)                                                 \
	X(ibv_close_device)
#define RDMA_DL_MLX5(X)                                                        \
	X(mlx5dv_is_supported)                                                 \
	X(mlx5dv_open_device)                                                  \
	X(mlx5dv_devx_general_cmd)

struct rdma_dl {
	int loaded;
#define RDMA_DL_SLOT(f) __typeof__(f) *f;
	RDMA_DL_VERBS(RDMA_DL_SLOT)
	RDMA_DL_MLX5(RDMA_DL_SLOT)
#undef RDMA_DL_SLOT
};
extern struct rdma_dl rdma_dl;

/*
 * Load libibverbs and libmlx5 (once per process). IQ_EENV naming the
 * library and the package to install, or the other transport to use.
 */
int rdma_dl_load(struct iq_err *err);

#ifndef RDMA_DL_IMPLEMENTATION
#undef ibv_get_device_list
#define ibv_get_device_list	(rdma_dl.ibv_get_device_list)
#define ibv_free_device_list	(rdma_dl.ibv_free_device_list)
#define ibv_get_device_name	(rdma_dl.ibv_get_device_name)
#define ibv_close_device	(rdma_dl.ibv_close_device)
#define mlx5dv_is_supported	(rdma_dl.mlx5dv_is_supported)
#define mlx5dv_open_device	(rdma_dl.mlx5dv_open_device)
#define mlx5dv_devx_general_cmd (rdma_dl.mlx5dv_devx_general_cmd)
#endif

#endif
