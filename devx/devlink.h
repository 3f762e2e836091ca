/* SPDX-License-Identifier: MIT */
/*
 * devlink through generic netlink (libnl-3, libnl-genl-3): a read-only
 * second view of the NIC beside the firmware channel.
 *
 * - DEVLINK_CMD_PORT_GET (dump) maps each VF to its devlink port: bus and
 *   device name ("pci", the PF's address), DEVLINK_ATTR_PORT_FLAVOUR
 *   DEVLINK_PORT_FLAVOUR_PCI_VF, DEVLINK_ATTR_PORT_PCI_PF_NUMBER /
 *   _VF_NUMBER and, in switchdev mode, the representor netdev
 *   (DEVLINK_ATTR_PORT_NETDEV_NAME). mlx5 registers VF ports only in
 *   switchdev mode (drivers/net/ethernet/mellanox/mlx5/core/esw/
 *   devlink_port.c: devlink_port_attrs_pci_vf_set(..., vport_num - 1)).
 * - DEVLINK_CMD_HEALTH_REPORTER_DIAGNOSE of the port health reporter
 *   "vnic" on a VF's port (mlx5 en_rep.c, mlx5_rep_vnic_reporter_ops)
 *   answers a devlink fmsg (DEVLINK_ATTR_FMSG) in which
 *   diag/reporter_vnic.c puts the pair "icm_consumption" =
 *   VHCA_ICM_CTRL.cur_alloc_icm of that function (u32, 4 KiB pages,
 *   devlink_fmsg_u32_pair_put) inside the pair "vNIC env counters"; the
 *   kernel sends it as NLM_F_MULTI parts and NLMSG_DONE
 *   (net/devlink/health.c: devlink_fmsg_snd, devlink_fmsg_prepare_skb).
 *
 * Attribute numbers come from <linux/devlink.h> (the uapi header).
 * The codec (devlink_msg.c) builds requests and parses answers from raw
 * message bytes; a channel (netlink socket here, the simulated kernel in
 * controller/sim/) carries them.
 */
#ifndef ICMQUOTA_DEVX_DEVLINK_H
#define ICMQUOTA_DEVX_DEVLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>
#include <netlink/msg.h>

#include "lib/err.h"

#define DEVLINK_VNIC_REPORTER "vnic"
#define DEVLINK_ICM_PAIR      "icm_consumption"

/* One devlink port (DEVLINK_CMD_PORT_NEW answer of a PORT_GET). */
struct devlink_port {
	char bus[16];	/* DEVLINK_ATTR_BUS_NAME: "pci" */
	char dev[64];	/* DEVLINK_ATTR_DEV_NAME: "0000:3b:00.0" */
	uint32_t index; /* DEVLINK_ATTR_PORT_INDEX */
	bool have_flavour;
	uint16_t flavour; /* DEVLINK_PORT_FLAVOUR_* */
	bool have_pfnum, have_vfnum;
	uint16_t pfnum;	 /* DEVLINK_ATTR_PORT_PCI_PF_NUMBER */
	uint16_t vfnum;	 /* DEVLINK_ATTR_PORT_PCI_VF_NUMBER: VF index */
	bool external;	 /* DEVLINK_ATTR_PORT_EXTERNAL: another host's VF */
	char netdev[64]; /* DEVLINK_ATTR_PORT_NETDEV_NAME, "" if none */
};

struct devlink_port_list {
	struct devlink_port *ports;
	size_t n;
};

/* --- codec: requests (libnl messages; free with nlmsg_free) ------------
 * NULL when out of memory or when libnl cannot be loaded (devx/nl_dl.h;
 * devlink_open() says why).
 */

/* PORT_GET with NLM_F_DUMP: every port of every devlink instance. */
struct nl_msg *devlink_msg_port_dump(int family);
/* ESWITCH_GET of pci/PF. */
struct nl_msg *devlink_msg_eswitch_get(int family, const char *pf);
/* HEALTH_REPORTER_DIAGNOSE of reporter on port pci/PF/port_index. */
struct nl_msg *devlink_msg_diagnose(int family, const char *pf,
				    uint32_t port_index, const char *reporter);

/* --- codec: answers, from the bytes received ----------------------------
 * Each checks that the message is whole (len covers nlmsg_len, every
 * attribute inside it, no bytes left over) and of the devlink family
 * (nlmsg_type == family): a truncated or foreign message is IQ_EENV
 * naming what is wrong. Attributes the parser does not know (newer
 * kernels) are skipped. Each loads libnl first (IQ_EENV when it cannot).
 */
int devlink_parse_port(const struct nlmsghdr *nlh, size_t len, int family,
		       struct devlink_port *port, struct iq_err *err);
/* DEVLINK_ATTR_ESWITCH_MODE (DEVLINK_ESWITCH_MODE_*); *have = false when
 * the answer lacks it. */
int devlink_parse_eswitch(const struct nlmsghdr *nlh, size_t len, int family,
			  uint16_t *mode, bool *have, struct iq_err *err);

/*
 * A diagnose answer, fed one message part at a time: the fmsg items
 * (object, pair and array nests, names, typed values) are followed and
 * the value of the pair named `want` (u8/u32/u64 values, at any depth)
 * is kept.
 */
struct devlink_fmsg_scan {
	const char *want;    /* pair name, e.g. DEVLINK_ICM_PAIR */
	uint8_t stack[16];   /* open nests: DEVLINK_ATTR_FMSG_*_NEST_START */
	bool stack_want[16]; /* the pair at this depth is `want` */
	unsigned depth;
	bool name_next; /* a pair was opened: its name comes next */
	int value_type; /* last DEVLINK_ATTR_FMSG_OBJ_VALUE_TYPE, -1 none */
	bool found;
	uint64_t value;
	size_t parts; /* messages fed */
};
void devlink_fmsg_scan_init(struct devlink_fmsg_scan *scan, const char *want);
int devlink_fmsg_feed(struct devlink_fmsg_scan *scan,
		      const struct nlmsghdr *nlh, size_t len, int family,
		      struct iq_err *err);
/* After the last part: every nest closed, else IQ_EENV (cut short). */
int devlink_fmsg_finish(const struct devlink_fmsg_scan *scan,
			struct iq_err *err);

/* --- channels ----------------------------------------------------------- */

/* One answer message; a non-zero return stops the exchange. */
typedef int (*devlink_reply_fn)(const struct nlmsghdr *nlh, size_t len,
				void *arg, struct iq_err *err);

struct devlink_channel_ops {
	const char *name;
	/*
	 * Connect and resolve the devlink family. IQ_EENV with the reason
	 * when the kernel offers none ("genl family devlink not found").
	 */
	int (*open)(const char *root, void **priv, int *family,
		    struct iq_err *err);
	/*
	 * Send req, hand every answer to on_reply until the answer ends
	 * (a non-multipart message, NLMSG_DONE, or an error). *kerr: the
	 * kernel's negative errno (NLMSG_ERROR), 0 when it answered. Returns
	 * non-zero only when the exchange itself failed (socket, timeout,
	 * on_reply's error).
	 */
	int (*transact)(void *priv, struct nl_msg *req,
			devlink_reply_fn on_reply, void *arg, int *kerr,
			struct iq_err *err);
	void (*close)(void *priv);
	/* Optional: true when this channel serves root (the simulated
	 * kernel of a simulated root); NULL: only when asked for. */
	bool (*present)(const char *root);
};

/* The kernel's devlink over a NETLINK_GENERIC socket (2 s answer timeout). */
extern const struct devlink_channel_ops devlink_channel_netlink;

struct devlink {
	const struct devlink_channel_ops *ops;
	void *priv;
	int family;
};

/* Load libnl (devx/nl_dl.h), then open ops (IQ_EENV with the reason when
 * libnl cannot be loaded or there is no devlink family). */
int devlink_open(const struct devlink_channel_ops *ops, const char *root,
		 struct devlink *dl, struct iq_err *err);
void devlink_close(struct devlink *dl);

/* Every port (dump). Free with devlink_port_list_free. */
int devlink_port_dump(struct devlink *dl, struct devlink_port_list *list,
		      struct iq_err *err);
void devlink_port_list_free(struct devlink_port_list *list);
/*
 * The eswitch mode of pci/PF; *kerr the kernel's errno when it refused
 * (-ENODEV: no devlink instance for that PF, -EOPNOTSUPP: no eswitch).
 */
int devlink_eswitch_mode(struct devlink *dl, const char *pf, uint16_t *mode,
			 bool *have, int *kerr, struct iq_err *err);
/*
 * icm_consumption (4 KiB pages) of the vnic reporter on port
 * pci/PF/port_index: *found false when the answer has no such pair
 * (kernels before it was added); *kerr -EINVAL when the port has no vnic
 * reporter, -EPERM without CAP_NET_ADMIN.
 */
int devlink_vnic_icm(struct devlink *dl, const char *pf, uint32_t port_index,
		     uint64_t *pages, bool *found, int *kerr,
		     struct iq_err *err);

/* "switchdev", "legacy", "mode N". */
const char *devlink_eswitch_mode_name(uint16_t mode);

#endif
