// SPDX-License-Identifier: MIT
/*
 * devlink codec and client on messages built with libnl's own API from the
 * fixtures in tests/fixtures/devlink/ (see its README): a port dump with
 * uplink, PF, VF and external ports, a multipart diagnose answer with
 * icm_consumption, legacy mode, unknown attributes skipped, truncated and
 * foreign messages refused; the client through a channel that replays
 * them; and the kernel's channel on this machine (no mlx5: it must say
 * why devlink is not there, or answer with no ConnectX ports). libnl is
 * not linked (devx/nl_dl.h): every entry point is called with its table
 * emptied, so one that does not load libnl itself crashes this binary.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/devlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "devx/devlink.h"
#include "devx/nl_dl.h"
#include "test.h"

#define FAMILY 27
#define FIXDIR "tests/fixtures/devlink/"

static const struct {
	const char *name;
	int value;
} names[] = {
	{"PORT_NEW", DEVLINK_CMD_PORT_NEW},
	{"ESWITCH_GET", DEVLINK_CMD_ESWITCH_GET},
	{"HEALTH_REPORTER_DIAGNOSE", DEVLINK_CMD_HEALTH_REPORTER_DIAGNOSE},
	{"BUS_NAME", DEVLINK_ATTR_BUS_NAME},
	{"DEV_NAME", DEVLINK_ATTR_DEV_NAME},
	{"PORT_INDEX", DEVLINK_ATTR_PORT_INDEX},
	{"PORT_TYPE", DEVLINK_ATTR_PORT_TYPE},
	{"PORT_NETDEV_NAME", DEVLINK_ATTR_PORT_NETDEV_NAME},
	{"PORT_FLAVOUR", DEVLINK_ATTR_PORT_FLAVOUR},
	{"PORT_NUMBER", DEVLINK_ATTR_PORT_NUMBER},
	{"PORT_PCI_PF_NUMBER", DEVLINK_ATTR_PORT_PCI_PF_NUMBER},
	{"PORT_PCI_VF_NUMBER", DEVLINK_ATTR_PORT_PCI_VF_NUMBER},
	{"PORT_EXTERNAL", DEVLINK_ATTR_PORT_EXTERNAL},
	{"PORT_CONTROLLER_NUMBER", DEVLINK_ATTR_PORT_CONTROLLER_NUMBER},
	{"PORT_FUNCTION", DEVLINK_ATTR_PORT_FUNCTION},
	{"ESWITCH_MODE", DEVLINK_ATTR_ESWITCH_MODE},
	{"ESWITCH_INLINE_MODE", DEVLINK_ATTR_ESWITCH_INLINE_MODE},
	{"ESWITCH_ENCAP_MODE", DEVLINK_ATTR_ESWITCH_ENCAP_MODE},
	{"FMSG", DEVLINK_ATTR_FMSG},
	{"FMSG_OBJ_NEST_START", DEVLINK_ATTR_FMSG_OBJ_NEST_START},
	{"FMSG_PAIR_NEST_START", DEVLINK_ATTR_FMSG_PAIR_NEST_START},
	{"FMSG_ARR_NEST_START", DEVLINK_ATTR_FMSG_ARR_NEST_START},
	{"FMSG_NEST_END", DEVLINK_ATTR_FMSG_NEST_END},
	{"FMSG_OBJ_NAME", DEVLINK_ATTR_FMSG_OBJ_NAME},
	{"FMSG_OBJ_VALUE_TYPE", DEVLINK_ATTR_FMSG_OBJ_VALUE_TYPE},
	{"FMSG_OBJ_VALUE_DATA", DEVLINK_ATTR_FMSG_OBJ_VALUE_DATA},
};

static int lookup(const char *name)
{
	char *end;
	long v = strtol(name, &end, 10);

	if (!*end)
		return (int)v;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i].name, name))
			return names[i].value;
	fprintf(stderr, "fixture: unknown name %s\n", name);
	abort();
}

struct fixture {
	struct nl_msg *msgs[16];
	const struct nlmsghdr *hdrs[16];
	size_t n;
};

/*
 * The test's own libnl calls (fixtures, reading requests back) go through
 * devx/nl_dl.h as the code under test's do: with_libnl() loads it for
 * them. without_libnl() empties the table, as in a process that has not
 * loaded libnl yet (the library stays mapped: messages built stay valid).
 */
static void with_libnl(void)
{
	struct iq_err err = {0};

	if (nl_dl_load(&err)) {
		fprintf(stderr, "%s\n", err.msg);
		abort();
	}
}

static void without_libnl(void)
{
	memset(&nl_dl, 0, sizeof(nl_dl));
}

/* Build the messages a fixture file describes, with libnl; the code under
 * test then starts without it. */
static void load(const char *file, struct fixture *fx)
{
	char path[256], line[512];
	struct nlattr *nests[8];
	size_t depth = 0;
	FILE *f;

	with_libnl();
	snprintf(path, sizeof(path), FIXDIR "%s", file);
	f = fopen(path, "r");
	if (!f) {
		perror(path);
		abort();
	}
	memset(fx, 0, sizeof(*fx));
	while (fgets(line, sizeof(line), f)) {
		char op[16] = "", attr[64] = "", *value;
		struct nl_msg *m = fx->n ? fx->msgs[fx->n - 1] : NULL;
		int n = 0, rc = 0;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		sscanf(line, "%15s %63s %n", op, attr, &n);
		value = line + n;
		if (!strcmp(op, "msg")) {
			m = nlmsg_alloc();
			genlmsg_put(m, 0, 0, FAMILY, 0,
				    strstr(value, "multi") ? NLM_F_MULTI : 0,
				    (uint8_t)lookup(attr),
				    DEVLINK_GENL_VERSION);
			fx->msgs[fx->n++] = m;
		} else if (!strcmp(op, "str")) {
			rc = nla_put_string(m, lookup(attr), value);
		} else if (!strcmp(op, "u8")) {
			rc = nla_put_u8(m, lookup(attr), (uint8_t)atoi(value));
		} else if (!strcmp(op, "u16")) {
			rc = nla_put_u16(m, lookup(attr),
					 (uint16_t)atoi(value));
		} else if (!strcmp(op, "u32")) {
			rc = nla_put_u32(m, lookup(attr),
					 (uint32_t)strtoul(value, NULL, 10));
		} else if (!strcmp(op, "u64")) {
			rc = nla_put_u64(m, lookup(attr),
					 strtoull(value, NULL, 10));
		} else if (!strcmp(op, "flag")) {
			rc = nla_put_flag(m, lookup(attr));
		} else if (!strcmp(op, "nest")) {
			nests[depth++] = nla_nest_start(m, lookup(attr));
		} else if (!strcmp(op, "end")) {
			rc = nla_nest_end(m, nests[--depth]);
		} else {
			fprintf(stderr, "%s: bad line %s\n", path, line);
			abort();
		}
		if (rc < 0) {
			fprintf(stderr, "%s: libnl refused %s\n", path, line);
			abort();
		}
	}
	fclose(f);
	for (size_t i = 0; i < fx->n; i++)
		fx->hdrs[i] = nlmsg_hdr(fx->msgs[i]);
	without_libnl();
}

static void unload(struct fixture *fx)
{
	with_libnl();
	for (size_t i = 0; i < fx->n; i++)
		nlmsg_free(fx->msgs[i]);
	fx->n = 0;
}

static const struct nlmsghdr *hdr(struct fixture *fx, size_t i)
{
	return fx->hdrs[i];
}

static size_t len_of(struct fixture *fx, size_t i)
{
	return hdr(fx, i)->nlmsg_len;
}

/* --- codec -------------------------------------------------------------- */

static void test_port_dump_switchdev(void)
{
	struct fixture fx;
	struct devlink_port p;
	struct iq_err err = {0};

	load("port-dump-switchdev.nl", &fx);
	CHECK_U64(fx.n, 7);
	/* The uplink: physical flavour, no pf/vf numbers. */
	CHECK_U64(devlink_parse_port(hdr(&fx, 0), len_of(&fx, 0), FAMILY, &p,
				     &err),
		  IQ_OK);
	CHECK_STR(p.bus, "pci");
	CHECK_STR(p.dev, "0000:3b:00.0");
	CHECK_U64(p.index, 65535);
	CHECK_U64(p.flavour, DEVLINK_PORT_FLAVOUR_PHYSICAL);
	CHECK(!p.have_vfnum);
	CHECK_STR(p.netdev, "enp59s0f0np0");
	/* The PF's own port. */
	CHECK_U64(devlink_parse_port(hdr(&fx, 1), len_of(&fx, 1), FAMILY, &p,
				     &err),
		  IQ_OK);
	CHECK_U64(p.flavour, DEVLINK_PORT_FLAVOUR_PCI_PF);
	CHECK(p.have_pfnum && !p.have_vfnum);
	/* VF 0 and VF 1 (whose message carries attributes we skip). */
	CHECK_U64(devlink_parse_port(hdr(&fx, 2), len_of(&fx, 2), FAMILY, &p,
				     &err),
		  IQ_OK);
	CHECK_U64(p.flavour, DEVLINK_PORT_FLAVOUR_PCI_VF);
	CHECK_U64(p.index, 1);
	CHECK(p.have_pfnum && p.have_vfnum && !p.external);
	CHECK_U64(p.pfnum, 0);
	CHECK_U64(p.vfnum, 0);
	CHECK_STR(p.netdev, "enp59s0f0npf0vf0");
	CHECK_U64(devlink_parse_port(hdr(&fx, 3), len_of(&fx, 3), FAMILY, &p,
				     &err),
		  IQ_OK);
	CHECK_U64(p.vfnum, 1);
	CHECK_U64(p.index, 2);
	CHECK_STR(p.netdev, "enp59s0f0npf0vf1");
	/* VF 0 of the second PF and an external host's VF. */
	CHECK_U64(devlink_parse_port(hdr(&fx, 5), len_of(&fx, 5), FAMILY, &p,
				     &err),
		  IQ_OK);
	CHECK_STR(p.dev, "0000:3b:00.1");
	CHECK_U64(p.pfnum, 1);
	CHECK_U64(p.index, 65537);
	CHECK_U64(devlink_parse_port(hdr(&fx, 6), len_of(&fx, 6), FAMILY, &p,
				     &err),
		  IQ_OK);
	CHECK(p.external);
	unload(&fx);
}

static void test_eswitch_legacy(void)
{
	struct fixture fx;
	struct iq_err err = {0};
	uint16_t mode = 99;
	bool have;

	load("eswitch-legacy.nl", &fx);
	CHECK_U64(devlink_parse_eswitch(hdr(&fx, 0), len_of(&fx, 0), FAMILY,
					&mode, &have, &err),
		  IQ_OK);
	CHECK(have);
	CHECK_U64(mode, DEVLINK_ESWITCH_MODE_LEGACY);
	CHECK_STR(devlink_eswitch_mode_name(mode), "legacy");
	CHECK_STR(devlink_eswitch_mode_name(DEVLINK_ESWITCH_MODE_SWITCHDEV),
		  "switchdev");
	unload(&fx);
}

static void test_diagnose_icm_multipart(void)
{
	struct fixture fx;
	struct devlink_fmsg_scan scan;
	struct iq_err err = {0};

	load("diagnose-vnic-icm.nl", &fx);
	devlink_fmsg_scan_init(&scan, DEVLINK_ICM_PAIR);
	CHECK_U64(devlink_fmsg_feed(&scan, hdr(&fx, 0), len_of(&fx, 0), FAMILY,
				    &err),
		  IQ_OK);
	CHECK(!scan.found);	  /* not in the first part */
	CHECK_U64(scan.depth, 3); /* object, "vNIC env counters", object */
	CHECK_U64(devlink_fmsg_feed(&scan, hdr(&fx, 1), len_of(&fx, 1), FAMILY,
				    &err),
		  IQ_OK);
	CHECK(scan.found);
	CHECK_U64(scan.value, 123456);
	CHECK_U64(devlink_fmsg_finish(&scan, &err), IQ_OK);
	/* The u64 counter of the same answer, by name. */
	devlink_fmsg_scan_init(&scan, "nic_receive_steering_discard");
	CHECK_U64(devlink_fmsg_feed(&scan, hdr(&fx, 0), len_of(&fx, 0), FAMILY,
				    &err),
		  IQ_OK);
	CHECK(scan.found);
	CHECK_U64(scan.value, 99);
	/* The nest's own name is not a value. */
	devlink_fmsg_scan_init(&scan, "vNIC env counters");
	devlink_fmsg_feed(&scan, hdr(&fx, 0), len_of(&fx, 0), FAMILY, &err);
	devlink_fmsg_feed(&scan, hdr(&fx, 1), len_of(&fx, 1), FAMILY, &err);
	CHECK(!scan.found);
	unload(&fx);
}

static void test_diagnose_without_icm(void)
{
	struct fixture fx;
	struct devlink_fmsg_scan scan;
	struct iq_err err = {0};

	load("diagnose-vnic-no-icm.nl", &fx);
	devlink_fmsg_scan_init(&scan, DEVLINK_ICM_PAIR);
	CHECK_U64(devlink_fmsg_feed(&scan, hdr(&fx, 0), len_of(&fx, 0), FAMILY,
				    &err),
		  IQ_OK);
	CHECK_U64(devlink_fmsg_finish(&scan, &err), IQ_OK);
	CHECK(!scan.found);
	unload(&fx);
}

static void test_diagnose_cut_short(void)
{
	struct fixture fx;
	struct devlink_fmsg_scan scan;
	struct iq_err err = {0};

	load("diagnose-cut-short.nl", &fx);
	devlink_fmsg_scan_init(&scan, DEVLINK_ICM_PAIR);
	CHECK_U64(devlink_fmsg_feed(&scan, hdr(&fx, 0), len_of(&fx, 0), FAMILY,
				    &err),
		  IQ_OK);
	CHECK_U64(devlink_fmsg_finish(&scan, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "cut short: 3 fmsg nest(s) left open");
	/* No part at all. */
	devlink_fmsg_scan_init(&scan, DEVLINK_ICM_PAIR);
	CHECK_U64(devlink_fmsg_finish(&scan, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "no answer message");
	unload(&fx);
}

/* Bytes received short of what the header says; an attribute whose
 * length runs past the message; a foreign message type. */
static void test_truncated_refused(void)
{
	struct fixture fx;
	struct devlink_port p;
	struct devlink_fmsg_scan scan;
	struct iq_err err = {0};
	unsigned char buf[1024];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	size_t len;

	load("port-dump-switchdev.nl", &fx);
	len = len_of(&fx, 2);
	memcpy(buf, hdr(&fx, 2), len);
	CHECK_U64(devlink_parse_port(nlh, len - 8, FAMILY, &p, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "port answer truncated");
	CHECK_U64(devlink_parse_port(nlh, 10, FAMILY, &p, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "truncated");
	/* The header shortened to cut the last attribute in half. */
	nlh->nlmsg_len = (uint32_t)(len - 6);
	CHECK_U64(devlink_parse_port(nlh, len, FAMILY, &p, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "runs past the end");
	nlh->nlmsg_len = (uint32_t)len;
	/* Only the generic netlink header half there. */
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	CHECK_U64(devlink_parse_port(nlh, len, FAMILY, &p, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "generic netlink header");
	nlh->nlmsg_len = (uint32_t)len;
	CHECK_U64(devlink_parse_port(nlh, len, FAMILY + 1, &p, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "not the devlink family");
	/* A u32 attribute of two bytes: the policy refuses it. */
	CHECK_U64(devlink_parse_port(nlh, len, FAMILY, &p, &err), IQ_OK);
	unload(&fx);

	load("diagnose-vnic-icm.nl", &fx);
	len = len_of(&fx, 1);
	memcpy(buf, hdr(&fx, 1), len);
	/* The FMSG nest claims more than the message holds. */
	{
		struct nlattr *fmsg =
			(struct nlattr *)(buf + NLMSG_HDRLEN + GENL_HDRLEN);

		fmsg->nla_len = (uint16_t)(fmsg->nla_len + 16);
	}
	devlink_fmsg_scan_init(&scan, DEVLINK_ICM_PAIR);
	CHECK_U64(devlink_fmsg_feed(&scan, nlh, len, FAMILY, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "diagnose answer truncated");
	CHECK(!scan.found);
	unload(&fx);
}

static void test_wrong_size_refused(void)
{
	struct nl_msg *m;
	struct devlink_port p;
	struct iq_err err = {0};
	uint16_t two = 1;

	with_libnl();
	m = nlmsg_alloc();
	genlmsg_put(m, 0, 0, FAMILY, 0, NLM_F_MULTI, DEVLINK_CMD_PORT_NEW,
		    DEVLINK_GENL_VERSION);
	nla_put_string(m, DEVLINK_ATTR_BUS_NAME, "pci");
	nla_put_string(m, DEVLINK_ATTR_DEV_NAME, "0000:3b:00.0");
	nla_put(m, DEVLINK_ATTR_PORT_INDEX, sizeof(two), &two);
	CHECK_U64(devlink_parse_port(nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len,
				     FAMILY, &p, &err),
		  IQ_EENV);
	CHECK_CONTAINS(err.msg, "malformed");
	nlmsg_free(m);
	/* No port index at all. */
	m = nlmsg_alloc();
	genlmsg_put(m, 0, 0, FAMILY, 0, 0, DEVLINK_CMD_PORT_NEW,
		    DEVLINK_GENL_VERSION);
	nla_put_string(m, DEVLINK_ATTR_BUS_NAME, "pci");
	CHECK_U64(devlink_parse_port(nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len,
				     FAMILY, &p, &err),
		  IQ_EENV);
	CHECK_CONTAINS(err.msg, "without bus name");
	nlmsg_free(m);
}

/* The requests: what the kernel will parse. Each builder loads libnl. */
static void test_requests(void)
{
	struct nl_msg *m;
	struct nlattr *tb[DEVLINK_ATTR_MAX + 1];
	struct genlmsghdr *g;

	without_libnl();
	m = devlink_msg_diagnose(FAMILY, "0000:3b:00.0", 3,
				 DEVLINK_VNIC_REPORTER);
	CHECK(m != NULL);
	CHECK(nl_dl.loaded);
	CHECK_U64(nlmsg_hdr(m)->nlmsg_type, FAMILY);
	g = genlmsg_hdr(nlmsg_hdr(m));
	CHECK_U64(g->cmd, DEVLINK_CMD_HEALTH_REPORTER_DIAGNOSE);
	CHECK_U64(genlmsg_parse(nlmsg_hdr(m), 0, tb, DEVLINK_ATTR_MAX, NULL),
		  0);
	CHECK_STR(nla_get_string(tb[DEVLINK_ATTR_BUS_NAME]), "pci");
	CHECK_STR(nla_get_string(tb[DEVLINK_ATTR_DEV_NAME]), "0000:3b:00.0");
	CHECK_U64(nla_get_u32(tb[DEVLINK_ATTR_PORT_INDEX]), 3);
	CHECK_STR(nla_get_string(tb[DEVLINK_ATTR_HEALTH_REPORTER_NAME]),
		  "vnic");
	nlmsg_free(m);
	without_libnl();
	m = devlink_msg_port_dump(FAMILY);
	CHECK(m != NULL);
	CHECK(nlmsg_hdr(m)->nlmsg_flags & NLM_F_DUMP);
	CHECK_U64(genlmsg_hdr(nlmsg_hdr(m))->cmd, DEVLINK_CMD_PORT_GET);
	nlmsg_free(m);
	without_libnl();
	m = devlink_msg_eswitch_get(FAMILY, "0000:3b:00.1");
	CHECK(m != NULL);
	g = genlmsg_hdr(nlmsg_hdr(m));
	CHECK_U64(g->cmd, DEVLINK_CMD_ESWITCH_GET);
	CHECK_U64(genlmsg_parse(nlmsg_hdr(m), 0, tb, DEVLINK_ATTR_MAX, NULL),
		  0);
	CHECK_STR(nla_get_string(tb[DEVLINK_ATTR_DEV_NAME]), "0000:3b:00.1");
	nlmsg_free(m);
}

/* --- the client through a channel that replays a fixture ---------------- */

struct replay {
	const char *file;
	int kerr;
	struct nl_msg *last_req;
};
static struct replay replay;

static int replay_open(const char *root, void **priv, int *family,
		       struct iq_err *err)
{
	(void)root;
	(void)err;
	*priv = &replay;
	*family = FAMILY;
	return IQ_OK;
}

static int replay_transact(void *priv, struct nl_msg *req,
			   devlink_reply_fn on_reply, void *arg, int *kerr,
			   struct iq_err *err)
{
	struct replay *r = priv;
	struct fixture fx;
	int rc = IQ_OK;

	(void)req;
	*kerr = r->kerr;
	if (r->kerr)
		return IQ_OK;
	load(r->file, &fx);
	for (size_t i = 0; !rc && i < fx.n; i++)
		rc = on_reply(hdr(&fx, i), len_of(&fx, i), arg, err);
	unload(&fx);
	return rc;
}

static void replay_close(void *priv)
{
	(void)priv;
}

static const struct devlink_channel_ops replay_ops = {
	.name = "replay",
	.open = replay_open,
	.transact = replay_transact,
	.close = replay_close,
};

static void test_client(void)
{
	struct devlink dl;
	struct devlink_port_list list;
	struct iq_err err = {0};
	uint64_t pages = 0;
	bool found;
	int kerr;

	/* The channel's requests and answers are libnl's: open loads it. */
	without_libnl();
	CHECK_U64(devlink_open(&replay_ops, "", &dl, &err), IQ_OK);
	CHECK(nl_dl.loaded);
	replay = (struct replay){.file = "port-dump-switchdev.nl"};
	CHECK_U64(devlink_port_dump(&dl, &list, &err), IQ_OK);
	CHECK_U64(list.n, 7);
	CHECK_STR(list.ports[4].netdev, "enp59s0f0npf0vf2");
	devlink_port_list_free(&list);

	replay = (struct replay){.file = "diagnose-vnic-icm.nl"};
	CHECK_U64(devlink_vnic_icm(&dl, "0000:3b:00.0", 2, &pages, &found,
				   &kerr, &err),
		  IQ_OK);
	CHECK(found);
	CHECK_U64(kerr, 0);
	CHECK_U64(pages, 123456);

	replay = (struct replay){.file = "diagnose-cut-short.nl"};
	CHECK_U64(devlink_vnic_icm(&dl, "0000:3b:00.0", 2, &pages, &found,
				   &kerr, &err),
		  IQ_EENV);
	CHECK_CONTAINS(err.msg, "pci/0000:3b:00.0/2: devlink diagnose");

	/* The kernel's "no such reporter" for that port. */
	replay = (struct replay){.kerr = -EINVAL};
	CHECK_U64(devlink_vnic_icm(&dl, "0000:3b:00.0", 2, &pages, &found,
				   &kerr, &err),
		  IQ_OK);
	CHECK_U64(kerr, (uint64_t)(int64_t)-EINVAL);
	CHECK(!found);
	/* A refused dump is an error that says so. */
	replay = (struct replay){.kerr = -EPERM};
	CHECK_U64(devlink_port_dump(&dl, &list, &err), IQ_EENV);
	CHECK_CONTAINS(err.msg, "port dump refused");
	devlink_close(&dl);
}

/* The running kernel: no ConnectX here. Either no devlink family (what
 * these machines have) or a family with no port of a ConnectX PF. */
static void test_kernel_channel(void)
{
	struct devlink dl;
	struct devlink_port_list list;
	struct iq_err err = {0};
	int rc;

	without_libnl();
	rc = devlink_open(&devlink_channel_netlink, "", &dl, &err);
	if (rc) {
		CHECK_U64(rc, IQ_EENV);
		CHECK_CONTAINS(err.msg, "no devlink generic netlink family");
		return;
	}
	CHECK(dl.family > 0);
	rc = devlink_port_dump(&dl, &list, &err);
	CHECK_U64(rc, IQ_OK);
	for (size_t i = 0; i < list.n; i++)
		CHECK(strcmp(list.ports[i].bus, "pci") != 0 ||
		      list.ports[i].flavour != DEVLINK_PORT_FLAVOUR_PCI_VF);
	devlink_port_list_free(&list);
	devlink_close(&dl);
}

int main(void)
{
	RUN(test_port_dump_switchdev);
	RUN(test_eswitch_legacy);
	RUN(test_diagnose_icm_multipart);
	RUN(test_diagnose_without_icm);
	RUN(test_diagnose_cut_short);
	RUN(test_truncated_refused);
	RUN(test_wrong_size_refused);
	RUN(test_requests);
	RUN(test_client);
	RUN(test_kernel_channel);
	return TEST_SUMMARY("test_devlink");
}
