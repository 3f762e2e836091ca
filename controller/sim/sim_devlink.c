// SPDX-License-Identifier: MIT
/*
 * The simulated kernel's devlink: a devlink channel that answers the
 * requests of devx/devlink.c with messages built by libnl exactly as the
 * kernel shapes them (net/devlink/port.c, net/devlink/health.c, mlx5
 * esw/devlink_port.c and diag/reporter_vnic.c), from the simulated
 * firmware's state and ROOT/icmquota-sim/devlink.json:
 *
 *   {"pfs": {"0000:3b:00.0": {"eswitch": "switchdev",
 *                             "vnic_reporter": true,
 *                             "icm_consumption": true,
 *                             "skew_pages": {"2": 100}}}}
 *
 * No file: the kernel has no devlink family. A PF not listed: no devlink
 * instance (ENODEV). "legacy": the uplink port only, as mlx5 registers VF
 * ports in switchdev mode only. vnic_reporter false: the diagnose is
 * EINVAL (no such reporter, kernels before 6.5); icm_consumption false: the
 * reporter answers without the pair (kernels before it was added).
 * skew_pages adds to a VF's icm_consumption (by VF index), to make the
 * cross-check disagree. Defaults: switchdev, reporter, icm_consumption.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/devlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "controller/sim/sim_devlink.h"
#include "controller/sim/simfw.h"
#include "devx/devlink.h"
#include "devx/nl_dl.h"
#include "lib/file.h"
#include "lib/pci.h"

#define SIM_FAMILY   0x1b
#define DEVLINK_JSON SIMFW_DIR "/devlink.json"

struct sim_dl {
	char root[PATH_MAX];
	json_object *cfg; /* the "pfs" object */
	json_object *doc;
};

static bool cfg_bool(json_object *pf, const char *key)
{
	json_object *v;

	return !json_object_object_get_ex(pf, key, &v) ||
	       json_object_get_boolean(v);
}

/* Absent or null: switchdev, the default of this simulation. */
static bool is_switchdev(json_object *pf)
{
	json_object *v = NULL;
	const char *mode;

	if (!json_object_object_get_ex(pf, "eswitch", &v) || !v)
		return true;
	mode = json_object_get_string(v);
	return !mode || strcmp(mode, "legacy") != 0;
}

static int sim_dl_open(const char *root, void **privp, int *family,
		       struct iq_err *err)
{
	char path[PATH_MAX];
	struct sim_dl *dl;
	json_object *pfs;

	*privp = NULL;
	if (path_join(path, sizeof(path), root, "/" DEVLINK_JSON) < 0)
		return iq_fail(err, IQ_EENV, "%s: path too long", root);
	if (access(path, F_OK) != 0)
		return iq_fail(err, IQ_EENV,
			       "the kernel has no devlink generic netlink "
			       "family (simulated host: no %s)",
			       path);
	dl = calloc(1, sizeof(*dl));
	if (!dl)
		return iq_fail(err, IQ_EENV, "out of memory");
	dl->doc = json_object_from_file(path);
	if (!dl->doc || !json_object_object_get_ex(dl->doc, "pfs", &pfs) ||
	    !json_object_is_type(pfs, json_type_object)) {
		json_object_put(dl->doc);
		free(dl);
		return iq_fail(err, IQ_EENV,
			       "%s: not a JSON object with a \"pfs\" object",
			       path);
	}
	dl->cfg = pfs;
	snprintf(dl->root, sizeof(dl->root), "%s", root);
	*family = SIM_FAMILY;
	*privp = dl;
	return IQ_OK;
}

static void sim_dl_close(void *priv)
{
	struct sim_dl *dl = priv;

	json_object_put(dl->doc);
	free(dl);
}

static bool sim_dl_present(const char *root)
{
	return simfw_root_present(root);
}

/* --- answers, shaped as the kernel's ----------------------------------- */

static struct nl_msg *answer(uint8_t cmd, int flags)
{
	struct nl_msg *m = nlmsg_alloc();

	if (m && !genlmsg_put(m, 0, 0, SIM_FAMILY, 0, flags, cmd,
			      DEVLINK_GENL_VERSION)) {
		nlmsg_free(m);
		m = NULL;
	}
	return m;
}

static int deliver(struct nl_msg *m, devlink_reply_fn fn, void *arg,
		   struct iq_err *err)
{
	int rc;

	if (!m)
		return iq_fail(err, IQ_EENV, "sim devlink: out of memory");
	rc = fn(nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len, arg, err);
	nlmsg_free(m);
	return rc;
}

/* mlx5_get_dev_index: the PF's PCI function number. */
static unsigned pf_number(const char *pci)
{
	const char *dot = strrchr(pci, '.');

	return dot ? (unsigned)atoi(dot + 1) : 0;
}

static struct nl_msg *port_msg(const char *pci, uint32_t index,
			       uint16_t flavour, int vf, const char *netdev)
{
	struct nl_msg *m = answer(DEVLINK_CMD_PORT_NEW, NLM_F_MULTI);

	if (!m)
		return NULL;
	if (nla_put_string(m, DEVLINK_ATTR_BUS_NAME, "pci") < 0 ||
	    nla_put_string(m, DEVLINK_ATTR_DEV_NAME, pci) < 0 ||
	    nla_put_u32(m, DEVLINK_ATTR_PORT_INDEX, index) < 0 ||
	    nla_put_u16(m, DEVLINK_ATTR_PORT_TYPE, DEVLINK_PORT_TYPE_ETH) < 0 ||
	    nla_put_string(m, DEVLINK_ATTR_PORT_NETDEV_NAME, netdev) < 0 ||
	    nla_put_u16(m, DEVLINK_ATTR_PORT_FLAVOUR, flavour) < 0 ||
	    (flavour != DEVLINK_PORT_FLAVOUR_PHYSICAL &&
	     nla_put_u16(m, DEVLINK_ATTR_PORT_PCI_PF_NUMBER,
			 (uint16_t)pf_number(pci)) < 0) ||
	    (vf >= 0 && (nla_put_u16(m, DEVLINK_ATTR_PORT_PCI_VF_NUMBER,
				     (uint16_t)vf) < 0 ||
			 nla_put_u8(m, DEVLINK_ATTR_PORT_EXTERNAL, 0) < 0))) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

static int enabled_vfs(const char *root, const char *pci, unsigned *n,
		       struct iq_err *err)
{
	struct simfw_pf pf;
	int lock_fd;
	int rc = simfw_pf_lock_load(root, pci, &pf, &lock_fd, err);

	if (rc)
		return rc;
	*n = pf.enabled_vfs;
	return simfw_pf_unlock(root, &pf, lock_fd, false, err);
}

static int port_dump(struct sim_dl *dl, devlink_reply_fn fn, void *arg,
		     struct iq_err *err)
{
	int rc = IQ_OK;

	json_object_object_foreach(dl->cfg, pci, pf)
	{
		unsigned p = pf_number(pci), nvfs = 0;
		char netdev[64];

		snprintf(netdev, sizeof(netdev), "simp%unp0", p);
		rc = deliver(port_msg(pci, p << 16 | 0xffff,
				      DEVLINK_PORT_FLAVOUR_PHYSICAL, -1,
				      netdev),
			     fn, arg, err);
		if (rc || !is_switchdev(pf))
			continue;
		snprintf(netdev, sizeof(netdev), "pf%uhpf", p);
		rc = deliver(port_msg(pci, p << 16, DEVLINK_PORT_FLAVOUR_PCI_PF,
				      -1, netdev),
			     fn, arg, err);
		if (!rc)
			rc = enabled_vfs(dl->root, pci, &nvfs, err);
		for (unsigned v = 0; !rc && v < nvfs; v++) {
			snprintf(netdev, sizeof(netdev), "simp%unpf%uvf%u", p,
				 p, v);
			rc = deliver(port_msg(pci, p << 16 | (v + 1),
					      DEVLINK_PORT_FLAVOUR_PCI_VF,
					      (int)v, netdev),
				     fn, arg, err);
		}
		if (rc)
			break;
	}
	return rc;
}

static int eswitch_get(json_object *pf, const char *pci, devlink_reply_fn fn,
		       void *arg, struct iq_err *err)
{
	struct nl_msg *m = answer(DEVLINK_CMD_ESWITCH_GET, 0);

	if (m &&
	    (nla_put_string(m, DEVLINK_ATTR_BUS_NAME, "pci") < 0 ||
	     nla_put_string(m, DEVLINK_ATTR_DEV_NAME, pci) < 0 ||
	     nla_put_u16(m, DEVLINK_ATTR_ESWITCH_MODE,
			 is_switchdev(pf) ? DEVLINK_ESWITCH_MODE_SWITCHDEV
					  : DEVLINK_ESWITCH_MODE_LEGACY) < 0)) {
		nlmsg_free(m);
		m = NULL;
	}
	return deliver(m, fn, arg, err);
}

/* One "name": u32 pair of the fmsg (devlink_fmsg_u32_pair_put). */
static int fmsg_u32_pair(struct nl_msg *m, const char *name, uint32_t v)
{
	return nla_put_flag(m, DEVLINK_ATTR_FMSG_PAIR_NEST_START) < 0 ||
			       nla_put_string(m, DEVLINK_ATTR_FMSG_OBJ_NAME,
					      name) < 0 ||
			       nla_put_u8(m, DEVLINK_ATTR_FMSG_OBJ_VALUE_TYPE,
					  3 /* NLA_U32 */) < 0 ||
			       nla_put_u32(m, DEVLINK_ATTR_FMSG_OBJ_VALUE_DATA,
					   v) < 0 ||
			       nla_put_flag(m, DEVLINK_ATTR_FMSG_NEST_END) < 0
		       ? -1
		       : 0;
}

static int vf_icm(struct sim_dl *dl, const char *pci, json_object *pf,
		  unsigned vf, uint32_t *pages, struct iq_err *err)
{
	struct simfw_pf fw;
	struct simfw_func *fn;
	json_object *skew, *v;
	char key[16];
	int lock_fd;
	int rc = simfw_pf_lock_load(dl->root, pci, &fw, &lock_fd, err);

	if (rc)
		return rc;
	fn = simfw_func_by_id(&fw, (uint16_t)(vf + 1));
	*pages = fn ? fn->cur : 0;
	rc = simfw_pf_unlock(dl->root, &fw, lock_fd, false, err);
	snprintf(key, sizeof(key), "%u", vf);
	if (json_object_object_get_ex(pf, "skew_pages", &skew) &&
	    json_object_object_get_ex(skew, key, &v))
		*pages += (uint32_t)json_object_get_int64(v);
	return rc;
}

static int diagnose(struct sim_dl *dl, json_object *pf, const char *pci,
		    struct nlattr **tb, int *kerr, devlink_reply_fn fn,
		    void *arg, struct iq_err *err)
{
	unsigned p = pf_number(pci), nvfs = 0;
	uint32_t index, vport, pages = 0;
	struct nl_msg *m;
	struct nlattr *fmsg;
	int rc;

	if (!tb[DEVLINK_ATTR_PORT_INDEX] ||
	    !tb[DEVLINK_ATTR_HEALTH_REPORTER_NAME]) {
		*kerr = -EINVAL;
		return IQ_OK;
	}
	index = nla_get_u32(tb[DEVLINK_ATTR_PORT_INDEX]);
	vport = index & 0xffff;
	rc = enabled_vfs(dl->root, pci, &nvfs, err);
	if (rc)
		return rc;
	/* No such port (legacy mode has no VF ports): ENODEV. */
	if (!is_switchdev(pf) || index >> 16 != p || vport < 1 ||
	    vport > nvfs) {
		*kerr = -ENODEV;
		return IQ_OK;
	}
	if (strcmp(nla_get_string(tb[DEVLINK_ATTR_HEALTH_REPORTER_NAME]),
		   DEVLINK_VNIC_REPORTER) != 0 ||
	    !cfg_bool(pf, "vnic_reporter")) {
		*kerr = -EINVAL;
		return IQ_OK;
	}
	rc = vf_icm(dl, pci, pf, vport - 1, &pages, err);
	if (rc)
		return rc;
	m = answer(DEVLINK_CMD_HEALTH_REPORTER_DIAGNOSE, NLM_F_MULTI);
	if (!m)
		return iq_fail(err, IQ_EENV, "sim devlink: out of memory");
	fmsg = nla_nest_start(m, DEVLINK_ATTR_FMSG);
	if (!fmsg || nla_put_flag(m, DEVLINK_ATTR_FMSG_OBJ_NEST_START) < 0 ||
	    nla_put_flag(m, DEVLINK_ATTR_FMSG_PAIR_NEST_START) < 0 ||
	    nla_put_string(m, DEVLINK_ATTR_FMSG_OBJ_NAME, "vNIC env counters") <
		    0 ||
	    nla_put_flag(m, DEVLINK_ATTR_FMSG_OBJ_NEST_START) < 0 ||
	    fmsg_u32_pair(m, "total_error_queues", 0) < 0 ||
	    (cfg_bool(pf, "icm_consumption") &&
	     fmsg_u32_pair(m, DEVLINK_ICM_PAIR, pages) < 0) ||
	    nla_put_flag(m, DEVLINK_ATTR_FMSG_NEST_END) < 0 ||
	    nla_put_flag(m, DEVLINK_ATTR_FMSG_NEST_END) < 0 ||
	    nla_put_flag(m, DEVLINK_ATTR_FMSG_NEST_END) < 0 ||
	    nla_nest_end(m, fmsg) < 0) {
		nlmsg_free(m);
		return iq_fail(err, IQ_EENV, "sim devlink: message too long");
	}
	return deliver(m, fn, arg, err);
}

static int sim_dl_transact(void *priv, struct nl_msg *req, devlink_reply_fn fn,
			   void *arg, int *kerr, struct iq_err *err)
{
	struct sim_dl *dl = priv;
	struct nlmsghdr *nlh = nlmsg_hdr(req);
	struct nlattr *tb[DEVLINK_ATTR_MAX + 1];
	json_object *pf = NULL;
	const char *pci = NULL;
	uint8_t cmd;

	*kerr = 0;
	if (genlmsg_parse(nlh, 0, tb, DEVLINK_ATTR_MAX, NULL) < 0) {
		*kerr = -EINVAL;
		return IQ_OK;
	}
	cmd = genlmsg_hdr(nlh)->cmd;
	if (cmd == DEVLINK_CMD_PORT_GET && (nlh->nlmsg_flags & NLM_F_DUMP))
		return port_dump(dl, fn, arg, err);
	if (tb[DEVLINK_ATTR_DEV_NAME])
		pci = nla_get_string(tb[DEVLINK_ATTR_DEV_NAME]);
	if (!pci || !json_object_object_get_ex(dl->cfg, pci, &pf)) {
		*kerr = -ENODEV; /* no devlink instance pci/PCI */
		return IQ_OK;
	}
	if (cmd == DEVLINK_CMD_ESWITCH_GET)
		return eswitch_get(pf, pci, fn, arg, err);
	if (cmd == DEVLINK_CMD_HEALTH_REPORTER_DIAGNOSE)
		return diagnose(dl, pf, pci, tb, kerr, fn, arg, err);
	*kerr = -EOPNOTSUPP;
	return IQ_OK;
}

const struct devlink_channel_ops sim_devlink_channel = {
	.name = "sim",
	.open = sim_dl_open,
	.transact = sim_dl_transact,
	.close = sim_dl_close,
	.present = sim_dl_present,
};
