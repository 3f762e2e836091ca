// SPDX-License-Identifier: MIT
/*
 * devlink: the kernel's channel (a libnl NETLINK_GENERIC socket) and the
 * three questions icmquota asks through any channel (ports, eswitch mode,
 * the vnic reporter's icm_consumption). Read-only: nothing here changes
 * the device.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/devlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "devx/devlink.h"
#include "devx/nl_dl.h"

#define ANSWER_TIMEOUT_S 2

/* --- the kernel's channel ----------------------------------------------- */

static int kernel_open(const char *root, void **privp, int *family,
		       struct iq_err *err)
{
	struct timeval tv = {.tv_sec = ANSWER_TIMEOUT_S};
	struct nl_sock *sk;
	int rc;

	(void)root; /* netlink is the running kernel's, whatever the root */
	*privp = NULL;
	sk = nl_socket_alloc();
	if (!sk)
		return iq_fail(err, IQ_EENV, "devlink: out of memory");
	rc = genl_connect(sk);
	if (rc < 0) {
		nl_socket_free(sk);
		return iq_fail(err, IQ_EENV,
			       "devlink: cannot open a generic netlink "
			       "socket: %s",
			       nl_geterror(rc));
	}
	/* Answers end by themselves (single, or NLMSG_DONE): no acks that
	 * could be left behind for the next request. */
	nl_socket_disable_auto_ack(sk);
	setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv,
		   sizeof(tv));
	rc = genl_ctrl_resolve(sk, DEVLINK_GENL_NAME);
	if (rc < 0) {
		nl_socket_free(sk);
		return iq_fail(err, IQ_EENV,
			       "the kernel has no devlink generic netlink "
			       "family (%s): built without CONFIG_NET_DEVLINK "
			       "or no devlink driver loaded",
			       nl_geterror(rc));
	}
	*family = rc;
	*privp = sk;
	return IQ_OK;
}

struct exchange {
	devlink_reply_fn on_reply;
	void *arg;
	struct iq_err *err;
	int rc;
	int kerr;
	bool done;
};

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct exchange *x = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	x->rc = x->on_reply(nlh, nlh->nlmsg_len, x->arg, x->err);
	if (x->rc || !(nlh->nlmsg_flags & NLM_F_MULTI)) {
		x->done = true;
		return NL_STOP;
	}
	return NL_OK;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct exchange *x = arg;

	(void)msg;
	x->done = true;
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct exchange *x = arg;

	(void)nla;
	x->kerr = e->error;
	x->done = true;
	return NL_STOP;
}

static int kernel_transact(void *priv, struct nl_msg *req,
			   devlink_reply_fn on_reply, void *arg, int *kerr,
			   struct iq_err *err)
{
	struct nl_sock *sk = priv;
	struct exchange x = {.on_reply = on_reply, .arg = arg, .err = err};
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int rc;

	*kerr = 0;
	if (!cb)
		return iq_fail(err, IQ_EENV, "devlink: out of memory");
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &x);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &x);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &x);
	rc = nl_send_auto(sk, req);
	while (rc >= 0 && !x.done)
		rc = nl_recvmsgs(sk, cb);
	nl_cb_put(cb);
	if (x.rc)
		return x.rc;
	if (rc < 0 && !x.done)
		return iq_fail(err, IQ_EENV,
			       "devlink: no answer from the kernel: %s "
			       "(waited up to %d s)",
			       nl_geterror(rc), ANSWER_TIMEOUT_S);
	*kerr = x.kerr;
	return IQ_OK;
}

static void kernel_close(void *priv)
{
	nl_socket_free(priv);
}

const struct devlink_channel_ops devlink_channel_netlink = {
	.name = "netlink",
	.open = kernel_open,
	.transact = kernel_transact,
	.close = kernel_close,
};

/* --- questions ---------------------------------------------------------- */

int devlink_open(const struct devlink_channel_ops *ops, const char *root,
		 struct devlink *dl, struct iq_err *err)
{
	int rc;

	memset(dl, 0, sizeof(*dl));
	dl->ops = ops;
	/* Every channel, the simulated kernel's too, speaks through libnl. */
	rc = nl_dl_load(err);
	if (rc)
		return rc;
	return ops->open(root ? root : "", &dl->priv, &dl->family, err);
}

void devlink_close(struct devlink *dl)
{
	if (dl->ops && dl->priv)
		dl->ops->close(dl->priv);
	dl->priv = NULL;
}

static int exchange(struct devlink *dl, struct nl_msg *req, devlink_reply_fn fn,
		    void *arg, int *kerr, struct iq_err *err)
{
	int rc;

	if (!req)
		return iq_fail(err, IQ_EENV, "devlink: out of memory");
	rc = dl->ops->transact(dl->priv, req, fn, arg, kerr, err);
	nlmsg_free(req);
	return rc;
}

static int add_port(const struct nlmsghdr *nlh, size_t len, void *arg,
		    struct iq_err *err)
{
	struct devlink_port_list *list = ((void **)arg)[0];
	const int *family = ((void **)arg)[1];
	struct devlink_port port, *grown;
	int rc = devlink_parse_port(nlh, len, *family, &port, err);

	if (rc)
		return rc;
	grown = realloc(list->ports, (list->n + 1) * sizeof(*grown));
	if (!grown)
		return iq_fail(err, IQ_EENV, "devlink: out of memory");
	list->ports = grown;
	list->ports[list->n++] = port;
	return IQ_OK;
}

int devlink_port_dump(struct devlink *dl, struct devlink_port_list *list,
		      struct iq_err *err)
{
	void *arg[2] = {list, &dl->family};
	int kerr, rc;

	list->ports = NULL;
	list->n = 0;
	rc = exchange(dl, devlink_msg_port_dump(dl->family), add_port, arg,
		      &kerr, err);
	if (!rc && kerr)
		rc = iq_fail(err, IQ_EENV, "devlink port dump refused: %s",
			     strerror(-kerr));
	if (rc)
		devlink_port_list_free(list);
	return rc;
}

void devlink_port_list_free(struct devlink_port_list *list)
{
	free(list->ports);
	list->ports = NULL;
	list->n = 0;
}

struct eswitch_answer {
	int family;
	uint16_t *mode;
	bool *have;
};

static int on_eswitch(const struct nlmsghdr *nlh, size_t len, void *arg,
		      struct iq_err *err)
{
	struct eswitch_answer *a = arg;

	return devlink_parse_eswitch(nlh, len, a->family, a->mode, a->have,
				     err);
}

int devlink_eswitch_mode(struct devlink *dl, const char *pf, uint16_t *mode,
			 bool *have, int *kerr, struct iq_err *err)
{
	struct eswitch_answer a = {dl->family, mode, have};

	*have = false;
	return exchange(dl, devlink_msg_eswitch_get(dl->family, pf), on_eswitch,
			&a, kerr, err);
}

struct diagnose_answer {
	int family;
	struct devlink_fmsg_scan scan;
};

static int on_diagnose(const struct nlmsghdr *nlh, size_t len, void *arg,
		       struct iq_err *err)
{
	struct diagnose_answer *a = arg;

	return devlink_fmsg_feed(&a->scan, nlh, len, a->family, err);
}

int devlink_vnic_icm(struct devlink *dl, const char *pf, uint32_t port_index,
		     uint64_t *pages, bool *found, int *kerr,
		     struct iq_err *err)
{
	struct diagnose_answer a = {.family = dl->family};
	int rc;

	*found = false;
	devlink_fmsg_scan_init(&a.scan, DEVLINK_ICM_PAIR);
	rc = exchange(dl,
		      devlink_msg_diagnose(dl->family, pf, port_index,
					   DEVLINK_VNIC_REPORTER),
		      on_diagnose, &a, kerr, err);
	if (rc || *kerr)
		return rc;
	rc = devlink_fmsg_finish(&a.scan, err);
	if (rc)
		return iq_err_prefix(err, "pci/%s/%u", pf, port_index);
	*found = a.scan.found;
	*pages = a.scan.value;
	return IQ_OK;
}
