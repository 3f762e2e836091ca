/* SPDX-License-Identifier: MIT */
/*
 * libnl-3 and libnl-genl-3, loaded when devlink is first used (dlopen),
 * not at program start: only `devlink`, `status --devlink` and the like
 * speak netlink, and every other run, the libvirt hook above all, does
 * not pay for loading them (~0.08 ms a process start, measured).
 *
 * devlink.c, devlink_msg.c and the simulated kernel's devlink
 * (controller/sim/sim_devlink.c) include this header after the libnl
 * headers and call nl_dl_load() before their first libnl call: the
 * names below then go through the loaded libraries, libnl's own macros
 * too (nla_for_each_attr expands to nla_ok and nla_next). The macros are
 * function-like so that struct nlattr's fields nla_len and nla_type keep
 * their names. A libnl function missing from this table is a link error
 * (the binary does not link libnl); a call before nl_dl_load() calls
 * through NULL, which tests/unit/test_devlink.c makes sure of by calling
 * every entry point with the table emptied.
 */
#ifndef ICMQUOTA_DEVX_NL_DL_H
#define ICMQUOTA_DEVX_NL_DL_H

#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "lib/err.h"

/* nla_put and nla_put_u64: the unit tests' fixtures (test_devlink.c). */
#define NL_DL_NL(X)                                                            \
	X(nl_socket_alloc)                                                     \
	X(nl_socket_free)                                                      \
	X(nl_socket_get_fd)                                                    \
	X(nl_socket_disable_auto_ack)                                          \
	X(nl_send_auto)                                                        \
	X(nl_recvmsgs)                                                         \
	X(nl_cb_alloc)                                                         \
	X(nl_cb_set)                                                           \
	X(nl_cb_err)                                                           \
	X(nl_cb_put)                                                           \
	X(nl_geterror)                                                         \
	X(nlmsg_alloc)                                                         \
	X(nlmsg_free)                                                          \
	X(nlmsg_hdr)                                                           \
	X(nla_ok)                                                              \
	X(nla_next)                                                            \
	X(nla_type)                                                            \
	X(nla_len)                                                             \
	X(nla_data)                                                            \
	X(nla_get_u8)                                                          \
	X(nla_get_u16)                                                         \
	X(nla_get_u32)                                                         \
	X(nla_get_u64)                                                         \
	X(nla_get_string)                                                      \
	X(nla_put)                                                             \
	X(nla_put_flag)                                                        \
	X(nla_put_u8)                                                          \
	X(nla_put_u16)                                                         \
	X(nla_put_u32)                                                         \
	X(nla_put_u64)                                                         \
	X(nla_put_string)                                                      \
	X(nla_nest_start)                                                      \
	X(nla_nest_end)
#define NL_DL_GENL(X)                                                          \
	X(genl_connect)                                                        \
	X(genl_ctrl_resolve)                                                   \
	X(genlmsg_put)                                                         \
	X(genlmsg_hdr)                                                         \
	X(genlmsg_valid_hdr)                                                   \
	X(genlmsg_attrdata)                                                    \
	X(genlmsg_attrlen)                                                     \
	X(genlmsg_parse)

struct nl_dl {
	int loaded;
#define NL_DL_SLOT(f) __typeof__(f) *f;
	NL_DL_NL(NL_DL_SLOT)
	NL_DL_GENL(NL_DL_SLOT)
#undef NL_DL_SLOT
};
extern struct nl_dl nl_dl;

/*
 * Load libnl-3 and libnl-genl-3 (once per process). IQ_EENV naming the
 * library and the Debian package to install.
 */
int nl_dl_load(struct iq_err *err);

#ifndef NL_DL_IMPLEMENTATION
#define nl_socket_alloc(...)  nl_dl.nl_socket_alloc(__VA_ARGS__)
#define nl_socket_free(...)   nl_dl.nl_socket_free(__VA_ARGS__)
#define nl_socket_get_fd(...) nl_dl.nl_socket_get_fd(__VA_ARGS__)
#define nl_socket_disable_auto_ack(...)                                        \
	nl_dl.nl_socket_disable_auto_ack(__VA_ARGS__)
#define nl_send_auto(...)      nl_dl.nl_send_auto(__VA_ARGS__)
#define nl_recvmsgs(...)       nl_dl.nl_recvmsgs(__VA_ARGS__)
#define nl_cb_alloc(...)       nl_dl.nl_cb_alloc(__VA_ARGS__)
#define nl_cb_set(...)	       nl_dl.nl_cb_set(__VA_ARGS__)
#define nl_cb_err(...)	       nl_dl.nl_cb_err(__VA_ARGS__)
#define nl_cb_put(...)	       nl_dl.nl_cb_put(__VA_ARGS__)
#define nl_geterror(...)       nl_dl.nl_geterror(__VA_ARGS__)
#define nlmsg_alloc(...)       nl_dl.nlmsg_alloc(__VA_ARGS__)
#define nlmsg_free(...)	       nl_dl.nlmsg_free(__VA_ARGS__)
#define nlmsg_hdr(...)	       nl_dl.nlmsg_hdr(__VA_ARGS__)
#define nla_ok(...)	       nl_dl.nla_ok(__VA_ARGS__)
#define nla_next(...)	       nl_dl.nla_next(__VA_ARGS__)
#define nla_type(...)	       nl_dl.nla_type(__VA_ARGS__)
#define nla_len(...)	       nl_dl.nla_len(__VA_ARGS__)
#define nla_data(...)	       nl_dl.nla_data(__VA_ARGS__)
#define nla_get_u8(...)	       nl_dl.nla_get_u8(__VA_ARGS__)
#define nla_get_u16(...)       nl_dl.nla_get_u16(__VA_ARGS__)
#define nla_get_u32(...)       nl_dl.nla_get_u32(__VA_ARGS__)
#define nla_get_u64(...)       nl_dl.nla_get_u64(__VA_ARGS__)
#define nla_get_string(...)    nl_dl.nla_get_string(__VA_ARGS__)
#define nla_put(...)	       nl_dl.nla_put(__VA_ARGS__)
#define nla_put_flag(...)      nl_dl.nla_put_flag(__VA_ARGS__)
#define nla_put_u8(...)	       nl_dl.nla_put_u8(__VA_ARGS__)
#define nla_put_u16(...)       nl_dl.nla_put_u16(__VA_ARGS__)
#define nla_put_u32(...)       nl_dl.nla_put_u32(__VA_ARGS__)
#define nla_put_u64(...)       nl_dl.nla_put_u64(__VA_ARGS__)
#define nla_put_string(...)    nl_dl.nla_put_string(__VA_ARGS__)
#define nla_nest_start(...)    nl_dl.nla_nest_start(__VA_ARGS__)
#define nla_nest_end(...)      nl_dl.nla_nest_end(__VA_ARGS__)
#define genl_connect(...)      nl_dl.genl_connect(__VA_ARGS__)
#define genl_ctrl_resolve(...) nl_dl.genl_ctrl_resolve(__VA_ARGS__)
#define genlmsg_put(...)       nl_dl.genlmsg_put(__VA_ARGS__)
#define genlmsg_hdr(...)       nl_dl.genlmsg_hdr(__VA_ARGS__)
#define genlmsg_valid_hdr(...) nl_dl.genlmsg_valid_hdr(__VA_ARGS__)
#define genlmsg_attrdata(...)  nl_dl.genlmsg_attrdata(__VA_ARGS__)
#define genlmsg_attrlen(...)   nl_dl.genlmsg_attrlen(__VA_ARGS__)
#define genlmsg_parse(...)     nl_dl.genlmsg_parse(__VA_ARGS__)
#endif

#endif
