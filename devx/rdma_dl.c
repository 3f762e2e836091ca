// SPDX-License-Identifier: MIT
#define RDMA_DL_IMPLEMENTATION
#include "devx/rdma_dl.h"

#include "lib/dynlib.h"

struct rdma_dl rdma_dl;

#define RDMA_DL_SYM(f) {#f, (void **)&rdma_dl.f},

int rdma_dl_load(struct iq_err *err)
{
	static const struct dynlib_sym verbs[] = {RDMA_DL_VERBS(RDMA_DL_SYM)};
	static const struct dynlib_sym mlx5[] = {RDMA_DL_MLX5(RDMA_DL_SYM)};
	int rc;

	if (rdma_dl.loaded)
		return IQ_OK;
	rc = dynlib_load("libibverbs.so.1", verbs,
			 sizeof(verbs) / sizeof(verbs[0]),
			 "install rdma-core's libibverbs1 (Debian: apt install "
			 "ibverbs-providers), or use --backend fwctl",
			 err);
	if (rc == IQ_OK)
		rc = dynlib_load("libmlx5.so.1", mlx5,
				 sizeof(mlx5) / sizeof(mlx5[0]),
				 "install rdma-core's libmlx5 (Debian: apt "
				 "install ibverbs-providers), or use --backend "
				 "fwctl",
				 err);
	rdma_dl.loaded = rc == IQ_OK;
	return rc;
}
