/* SPDX-License-Identifier: MIT */
/*
 * The few fwctl uAPI items icmquota uses. The real header is
 * <fwctl/fwctl.h> (the kernel's include/uapi/fwctl/fwctl.h, installed by
 * linux-libc-dev from Linux 6.15 on); it is used when the build system has
 * it. Debian 12's kernel headers (6.1) predate fwctl, so the same items are
 * spelled out here, guarded by FWCTL_TYPE.
 *
 * Facts: ioctl type 0x9A; FWCTL_INFO is command 0, FWCTL_RPC command 1,
 * both _IO(). Each ioctl argument starts with its own size. An RPC is
 * delivered at a scope: CONFIGURATION and DEBUG_READ_ONLY need nothing
 * beyond the open device node; DEBUG_WRITE taints the kernel;
 * DEBUG_WRITE_FULL also needs CAP_SYS_RAWIO (drivers/fwctl/main.c,
 * fwctl_cmd_rpc). An mlx5 fwctl device reports device type 1.
 */
#ifndef ICMQUOTA_FWCTL_UAPI_H
#define ICMQUOTA_FWCTL_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#if defined(__has_include)
/* cppcheck-suppress preprocessorErrorDirective ; cppcheck 2.10 cannot
 * evaluate __has_include; the compilers can */
#if __has_include(<fwctl/fwctl.h>)
#include <fwctl/fwctl.h>
#endif
#endif

#ifndef FWCTL_TYPE
#define FWCTL_TYPE 0x9A

enum {
	FWCTL_CMD_INFO = 0,
	FWCTL_CMD_RPC = 1,
};

enum fwctl_device_type {
	FWCTL_DEVICE_TYPE_ERROR = 0,
	FWCTL_DEVICE_TYPE_MLX5 = 1,
};

/* ioctl(FWCTL_INFO): what kind of device this fd talks to. */
struct fwctl_info {
	__u32 size;	       /* sizeof(struct fwctl_info) */
	__u32 flags;	       /* 0 */
	__u32 out_device_type; /* enum fwctl_device_type */
	__u32 device_data_len; /* in: room at out_device_data, may be 0 */
	__aligned_u64 out_device_data;
};
#define FWCTL_INFO _IO(FWCTL_TYPE, FWCTL_CMD_INFO)

enum fwctl_rpc_scope {
	FWCTL_RPC_CONFIGURATION = 0,
	FWCTL_RPC_DEBUG_READ_ONLY = 1,
	FWCTL_RPC_DEBUG_WRITE = 2,
	FWCTL_RPC_DEBUG_WRITE_FULL = 3,
};

/* ioctl(FWCTL_RPC): one device command, in and out in device format. */
struct fwctl_rpc {
	__u32 size; /* sizeof(struct fwctl_rpc) */
	__u32 scope;
	__u32 in_len;
	__u32 out_len;
	__aligned_u64 in;
	__aligned_u64 out;
};
#define FWCTL_RPC _IO(FWCTL_TYPE, FWCTL_CMD_RPC)
#endif /* FWCTL_TYPE */

#endif
