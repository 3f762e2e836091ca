// SPDX-License-Identifier: MIT
/*
 * The devlink codec: requests built and answers parsed with libnl's own
 * message API (genlmsg_put, nla_put_*, genlmsg_parse, nla_for_each_*), on
 * the bytes as they were received, so a message cut short or a foreign
 * one is refused before any field of it is used. Shapes:
 * include/uapi/linux/devlink.h, net/devlink/port.c (devlink_nl_port_fill)
 * and net/devlink/health.c (devlink_fmsg_prepare_skb: flags for nest
 * starts and ends, OBJ_NAME strings, OBJ_VALUE_TYPE before OBJ_VALUE_DATA).
 */
#include <errno.h>
#include <string.h>

#include <linux/devlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "devx/devlink.h"
#include "devx/nl_dl.h"

/* Value types of DEVLINK_ATTR_FMSG_OBJ_VALUE_TYPE: the kernel's NLA_U8,
 * NLA_U32, NLA_U64 (net/netlink.h), kept as DEVLINK_VAR_ATTR_TYPE_* with
 * the same numbers since Linux 6.15. */
#define FMSG_TYPE_U8  1
#define FMSG_TYPE_U32 3
#define FMSG_TYPE_U64 4

static struct nl_msg *request(int family, int flags, uint8_t cmd)
{
	struct iq_err why = {0};
	struct nl_msg *msg;

	/* The requests are built before any channel is opened in the unit
	 * tests: load libnl here too (devlink_open() reports a failure). */
	if (nl_dl_load(&why))
		return NULL;
	msg = nlmsg_alloc();
	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, cmd,
			 DEVLINK_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static struct nl_msg *request_dev(int family, uint8_t cmd, const char *pf)
{
	struct nl_msg *msg = request(family, 0, cmd);

	if (msg && (nla_put_string(msg, DEVLINK_ATTR_BUS_NAME, "pci") < 0 ||
		    nla_put_string(msg, DEVLINK_ATTR_DEV_NAME, pf) < 0)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

struct nl_msg *devlink_msg_port_dump(int family)
{
	return request(family, NLM_F_DUMP, DEVLINK_CMD_PORT_GET);
}

struct nl_msg *devlink_msg_eswitch_get(int family, const char *pf)
{
	return request_dev(family, DEVLINK_CMD_ESWITCH_GET, pf);
}

struct nl_msg *devlink_msg_diagnose(int family, const char *pf,
				    uint32_t port_index, const char *reporter)
{
	struct nl_msg *msg =
		request_dev(family, DEVLINK_CMD_HEALTH_REPORTER_DIAGNOSE, pf);

	if (msg && (nla_put_u32(msg, DEVLINK_ATTR_PORT_INDEX, port_index) < 0 ||
		    nla_put_string(msg, DEVLINK_ATTR_HEALTH_REPORTER_NAME,
				   reporter) < 0)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* --- answers ------------------------------------------------------------ */

/* Attributes in [head, head+len) are whole and fill it exactly. */
static bool attrs_whole(const struct nlattr *head, int len)
{
	const struct nlattr *pos;
	int rem;

	nla_for_each_attr(pos, head, len, rem)
	{
	}
	/* The last attribute may lack its alignment padding. */
	return rem == 0 || (rem < 0 && rem > -NLA_ALIGNTO);
}

/*
 * The generic checks of every answer: whole, of the devlink family, with
 * whole attributes; then the attribute table by policy.
 */
static int parse_common(const struct nlmsghdr *cnlh, size_t len, int family,
			const char *what, struct nlattr **tb,
			const struct nla_policy *policy, struct iq_err *err)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)cnlh;
	struct genlmsghdr *ghdr;
	int rc = nl_dl_load(err);

	if (rc)
		return rc;
	if (len < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN ||
	    nlh->nlmsg_len > len)
		return iq_fail(err, IQ_EENV,
			       "devlink %s answer truncated: %zu bytes "
			       "received, the header says %u",
			       what, len,
			       len >= NLMSG_HDRLEN ? nlh->nlmsg_len : 0);
	if (nlh->nlmsg_type != family)
		return iq_fail(err, IQ_EENV,
			       "devlink %s answer of message type %u, not the "
			       "devlink family (%d)",
			       what, nlh->nlmsg_type, family);
	if (!genlmsg_valid_hdr(nlh, 0))
		return iq_fail(err, IQ_EENV,
			       "devlink %s answer truncated: no whole generic "
			       "netlink header in %u bytes",
			       what, nlh->nlmsg_len);
	ghdr = genlmsg_hdr(nlh);
	if (!attrs_whole(genlmsg_attrdata(ghdr, 0), genlmsg_attrlen(ghdr, 0)))
		return iq_fail(err, IQ_EENV,
			       "devlink %s answer truncated: an attribute runs "
			       "past the end of the %u-byte message",
			       what, nlh->nlmsg_len);
	rc = genlmsg_parse(nlh, 0, tb, DEVLINK_ATTR_MAX,
			   (struct nla_policy *)policy);
	if (rc < 0)
		return iq_fail(err, IQ_EENV,
			       "devlink %s answer malformed: %s (an attribute "
			       "of the wrong size or an unterminated string)",
			       what, nl_geterror(rc));
	return IQ_OK;
}

static void copy_string(char *out, size_t len, const struct nlattr *a)
{
	out[0] = '\0';
	if (a)
		snprintf(out, len, "%s", nla_get_string((struct nlattr *)a));
}

static const struct nla_policy port_policy[DEVLINK_ATTR_MAX + 1] = {
	[DEVLINK_ATTR_BUS_NAME] = {.type = NLA_STRING},
	[DEVLINK_ATTR_DEV_NAME] = {.type = NLA_STRING},
	[DEVLINK_ATTR_PORT_INDEX] = {.type = NLA_U32},
	[DEVLINK_ATTR_PORT_FLAVOUR] = {.type = NLA_U16},
	[DEVLINK_ATTR_PORT_NETDEV_NAME] = {.type = NLA_STRING},
	[DEVLINK_ATTR_PORT_PCI_PF_NUMBER] = {.type = NLA_U16},
	[DEVLINK_ATTR_PORT_PCI_VF_NUMBER] = {.type = NLA_U16},
	[DEVLINK_ATTR_PORT_EXTERNAL] = {.type = NLA_U8},
};

int devlink_parse_port(const struct nlmsghdr *nlh, size_t len, int family,
		       struct devlink_port *port, struct iq_err *err)
{
	struct nlattr *tb[DEVLINK_ATTR_MAX + 1];
	int rc = parse_common(nlh, len, family, "port", tb, port_policy, err);

	memset(port, 0, sizeof(*port));
	if (rc)
		return rc;
	if (!tb[DEVLINK_ATTR_BUS_NAME] || !tb[DEVLINK_ATTR_DEV_NAME] ||
	    !tb[DEVLINK_ATTR_PORT_INDEX])
		return iq_fail(err, IQ_EENV,
			       "devlink port answer without bus name, device "
			       "name or port index");
	copy_string(port->bus, sizeof(port->bus), tb[DEVLINK_ATTR_BUS_NAME]);
	copy_string(port->dev, sizeof(port->dev), tb[DEVLINK_ATTR_DEV_NAME]);
	port->index = nla_get_u32(tb[DEVLINK_ATTR_PORT_INDEX]);
	if (tb[DEVLINK_ATTR_PORT_FLAVOUR]) {
		port->have_flavour = true;
		port->flavour = nla_get_u16(tb[DEVLINK_ATTR_PORT_FLAVOUR]);
	}
	if (tb[DEVLINK_ATTR_PORT_PCI_PF_NUMBER]) {
		port->have_pfnum = true;
		port->pfnum = nla_get_u16(tb[DEVLINK_ATTR_PORT_PCI_PF_NUMBER]);
	}
	if (tb[DEVLINK_ATTR_PORT_PCI_VF_NUMBER]) {
		port->have_vfnum = true;
		port->vfnum = nla_get_u16(tb[DEVLINK_ATTR_PORT_PCI_VF_NUMBER]);
	}
	if (tb[DEVLINK_ATTR_PORT_EXTERNAL])
		port->external = nla_get_u8(tb[DEVLINK_ATTR_PORT_EXTERNAL]);
	copy_string(port->netdev, sizeof(port->netdev),
		    tb[DEVLINK_ATTR_PORT_NETDEV_NAME]);
	return IQ_OK;
}

static const struct nla_policy eswitch_policy[DEVLINK_ATTR_MAX + 1] = {
	[DEVLINK_ATTR_BUS_NAME] = {.type = NLA_STRING},
	[DEVLINK_ATTR_DEV_NAME] = {.type = NLA_STRING},
	[DEVLINK_ATTR_ESWITCH_MODE] = {.type = NLA_U16},
};

int devlink_parse_eswitch(const struct nlmsghdr *nlh, size_t len, int family,
			  uint16_t *mode, bool *have, struct iq_err *err)
{
	struct nlattr *tb[DEVLINK_ATTR_MAX + 1];
	int rc = parse_common(nlh, len, family, "eswitch", tb, eswitch_policy,
			      err);

	*have = false;
	if (rc)
		return rc;
	if (tb[DEVLINK_ATTR_ESWITCH_MODE]) {
		*have = true;
		*mode = nla_get_u16(tb[DEVLINK_ATTR_ESWITCH_MODE]);
	}
	return IQ_OK;
}

/* --- fmsg --------------------------------------------------------------- */

static const struct nla_policy fmsg_policy[DEVLINK_ATTR_MAX + 1] = {
	[DEVLINK_ATTR_FMSG] = {.type = NLA_NESTED},
};

void devlink_fmsg_scan_init(struct devlink_fmsg_scan *scan, const char *want)
{
	memset(scan, 0, sizeof(*scan));
	scan->want = want;
	scan->value_type = -1;
}

static int fmsg_value(struct devlink_fmsg_scan *scan, const struct nlattr *a,
		      struct iq_err *err)
{
	int len = nla_len(a);

	if (scan->value_type == FMSG_TYPE_U8 && len >= 1)
		scan->value = *(const uint8_t *)nla_data(a);
	else if (scan->value_type == FMSG_TYPE_U32 && len == 4)
		scan->value = nla_get_u32((struct nlattr *)a);
	else if (scan->value_type == FMSG_TYPE_U64 && len == 8)
		scan->value = nla_get_u64((struct nlattr *)a);
	else
		return iq_fail(err, IQ_EENV,
			       "devlink diagnose: \"%s\" has value type %d "
			       "with %d bytes, not an unsigned integer",
			       scan->want, scan->value_type, len);
	scan->found = true;
	return IQ_OK;
}

static int fmsg_item(struct devlink_fmsg_scan *scan, const struct nlattr *a,
		     struct iq_err *err)
{
	int type = nla_type(a);

	switch (type) {
	case DEVLINK_ATTR_FMSG_OBJ_NEST_START:
	case DEVLINK_ATTR_FMSG_PAIR_NEST_START:
	case DEVLINK_ATTR_FMSG_ARR_NEST_START:
		if (scan->depth == sizeof(scan->stack))
			return iq_fail(err, IQ_EENV,
				       "devlink diagnose: fmsg nested deeper "
				       "than %zu",
				       sizeof(scan->stack));
		scan->stack[scan->depth] = (uint8_t)type;
		scan->stack_want[scan->depth] = false;
		scan->depth++;
		scan->name_next = type == DEVLINK_ATTR_FMSG_PAIR_NEST_START;
		return IQ_OK;
	case DEVLINK_ATTR_FMSG_NEST_END:
		if (!scan->depth)
			return iq_fail(err, IQ_EENV,
				       "devlink diagnose: fmsg nest end "
				       "without a start");
		scan->depth--;
		scan->name_next = false;
		return IQ_OK;
	case DEVLINK_ATTR_FMSG_OBJ_NAME: {
		const char *s = nla_data(a);
		int len = nla_len(a);

		if (len < 1 || s[len - 1] != '\0')
			return iq_fail(err, IQ_EENV,
				       "devlink diagnose: fmsg name not a "
				       "terminated string");
		if (scan->name_next)
			scan->stack_want[scan->depth - 1] =
				strcmp(s, scan->want) == 0;
		scan->name_next = false;
		return IQ_OK;
	}
	case DEVLINK_ATTR_FMSG_OBJ_VALUE_TYPE:
		if (nla_len(a) < 1)
			return iq_fail(err, IQ_EENV,
				       "devlink diagnose: empty fmsg value "
				       "type");
		scan->value_type = *(const uint8_t *)nla_data(a);
		return IQ_OK;
	case DEVLINK_ATTR_FMSG_OBJ_VALUE_DATA:
		if (scan->depth &&
		    scan->stack[scan->depth - 1] ==
			    DEVLINK_ATTR_FMSG_PAIR_NEST_START &&
		    scan->stack_want[scan->depth - 1])
			return fmsg_value(scan, a, err);
		return IQ_OK;
	default:
		return IQ_OK; /* an item a newer kernel added */
	}
}

int devlink_fmsg_feed(struct devlink_fmsg_scan *scan,
		      const struct nlmsghdr *nlh, size_t len, int family,
		      struct iq_err *err)
{
	struct nlattr *tb[DEVLINK_ATTR_MAX + 1];
	struct nlattr *item;
	int rem, rc;

	rc = parse_common(nlh, len, family, "diagnose", tb, fmsg_policy, err);
	if (rc)
		return rc;
	scan->parts++;
	if (!tb[DEVLINK_ATTR_FMSG])
		return IQ_OK;
	if (!attrs_whole(nla_data(tb[DEVLINK_ATTR_FMSG]),
			 nla_len(tb[DEVLINK_ATTR_FMSG])))
		return iq_fail(err, IQ_EENV,
			       "devlink diagnose answer truncated inside the "
			       "fmsg");
	nla_for_each_nested(item, tb[DEVLINK_ATTR_FMSG], rem)
	{
		rc = fmsg_item(scan, item, err);
		if (rc)
			return rc;
	}
	return IQ_OK;
}

int devlink_fmsg_finish(const struct devlink_fmsg_scan *scan,
			struct iq_err *err)
{
	if (!scan->parts)
		return iq_fail(err, IQ_EENV,
			       "devlink diagnose: no answer message");
	if (scan->depth)
		return iq_fail(err, IQ_EENV,
			       "devlink diagnose answer cut short: %u fmsg "
			       "nest(s) left open",
			       scan->depth);
	return IQ_OK;
}

const char *devlink_eswitch_mode_name(uint16_t mode)
{
	static __thread char buf[16];

	if (mode == DEVLINK_ESWITCH_MODE_LEGACY)
		return "legacy";
	if (mode == DEVLINK_ESWITCH_MODE_SWITCHDEV)
		return "switchdev";
	snprintf(buf, sizeof(buf), "mode %u", mode);
	return buf;
}
