// SPDX-License-Identifier: MIT
/*
 * The sim transport: hands each input mailbox to the simulated firmware
 * (simfw.c) under the PF's state lock, so every process driving the
 * simulation sees one firmware. It stands in for the DevX path and so
 * speaks ACCESS_REGISTER_USER.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controller/sim/simfw.h"
#include "devx/prm.h"
#include "devx/transport.h"
#include "lib/file.h"
#include "lib/pci.h"

struct sim_priv {
	char root[PATH_MAX];
	char pci[PCI_ADDR_LEN];
};

static int sim_open(const struct fw_open_args *args, void **privp,
		    struct iq_err *err)
{
	char rel[PATH_MAX];
	char state[PATH_MAX];
	struct sim_priv *priv;

	*privp = NULL;
	snprintf(rel, sizeof(rel), "/%s/fw/%s.json", SIMFW_DIR, args->pf_pci);
	if (path_join(state, sizeof(state), args->root, rel) < 0 ||
	    access(state, F_OK) < 0)
		return iq_fail(err, IQ_EENV,
			       "%s: sim: no simulated firmware for this PF "
			       "under %s/%s (run icmquota sim init)",
			       args->pf_pci, args->root, SIMFW_DIR);
	priv = calloc(1, sizeof(*priv));
	if (!priv)
		return iq_fail(err, IQ_EENV, "%s: sim: out of memory",
			       args->pf_pci);
	snprintf(priv->root, sizeof(priv->root), "%s", args->root);
	snprintf(priv->pci, sizeof(priv->pci), "%s", args->pf_pci);
	*privp = priv;
	return IQ_OK;
}

static int sim_exec(void *privp, const void *in, size_t inlen, void *out,
		    size_t outlen, struct iq_err *err)
{
	struct sim_priv *priv = privp;
	struct simfw_pf pf;
	bool dirty;
	int lock_fd;
	int rc;

	rc = simfw_pf_lock_load(priv->root, priv->pci, &pf, &lock_fd, err);
	if (rc)
		return rc;
	dirty = simfw_exec(&pf, in, inlen, out, outlen);
	return simfw_pf_unlock(priv->root, &pf, lock_fd, dirty, err);
}

static void sim_close(void *privp)
{
	free(privp);
}

bool simfw_root_present(const char *root)
{
	char path[PATH_MAX];
	struct stat st;

	/* The real host (root "") is never a simulation. */
	if (!root || !root[0])
		return false;
	if (path_join(path, sizeof(path), root, "/" SIMFW_DIR "/fw") < 0)
		return false;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool sim_present(const struct fw_open_args *args)
{
	return simfw_root_present(args->root);
}

const struct fw_transport_ops simfw_transport_fwctl = {
	.name = "sim-fwctl",
	.access_reg_opcode = PRM_OP_ACCESS_REG,
	.open = sim_open,
	.exec = sim_exec,
	.close = sim_close,
};

const struct fw_transport_ops simfw_transport = {
	.name = "sim",
	.access_reg_opcode = PRM_OP_ACCESS_REGISTER_USER,
	.open = sim_open,
	.exec = sim_exec,
	.close = sim_close,
	.present = sim_present,
	.reg_fallback = &simfw_transport_fwctl,
};
