// SPDX-License-Identifier: MIT
/*
 * The sim transport: hands each input mailbox to the simulated firmware
 * (simfw.c). It stands in for the DevX path and so speaks
 * ACCESS_REGISTER_USER.
 *
 * A command costs what it would on a device, a constant: the PF's state
 * lock is taken at the first command of a batch and held until the batch
 * ends (fw_dev_flush: the state is written back when changed, the lock
 * dropped). The state stays loaded between batches and is read again only
 * when another process replaced it meanwhile. Every process driving the
 * simulation (hook, CLI, `sim register`) takes the same per-PF lock, so
 * they see one firmware; a run takes the PF locks in PCI address order
 * (discovery sorts the PFs), so two runs cannot deadlock. Crash-safe: the
 * state file is only ever replaced whole (temp file, rename), so a crash
 * mid-batch leaves the state of the last flush.
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
	int lock_fd;  /* >= 0 inside a batch */
	bool loaded;  /* pf holds the state of the file state_fd names */
	int state_fd; /* the loaded state file, kept open */
	bool dirty;   /* changed in this batch */
	struct simfw_pf pf;
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
	priv->lock_fd = -1;
	priv->state_fd = -1;
	*privp = priv;
	return IQ_OK;
}

static void forget(struct sim_priv *priv)
{
	if (priv->loaded)
		simfw_pf_free(&priv->pf);
	if (priv->state_fd >= 0)
		close(priv->state_fd);
	priv->state_fd = -1;
	priv->loaded = false;
}

/* The first command of a batch: lock, and load unless still current. */
static int begin_batch(struct sim_priv *priv, struct iq_err *err)
{
	int rc = simfw_pf_lock(priv->root, priv->pci, &priv->lock_fd, err);

	if (rc)
		return rc;
	if (priv->loaded &&
	    simfw_pf_unchanged(priv->root, priv->pci, priv->state_fd))
		return IQ_OK;
	forget(priv);
	rc = simfw_pf_load(priv->root, priv->pci, &priv->pf, &priv->state_fd,
			   err);
	if (rc) {
		simfw_pf_release(priv->lock_fd);
		priv->lock_fd = -1;
		return rc;
	}
	priv->loaded = true;
	return IQ_OK;
}

static int sim_exec(void *privp, const void *in, size_t inlen, void *out,
		    size_t outlen, struct iq_err *err)
{
	struct sim_priv *priv = privp;
	int rc;

	if (priv->lock_fd < 0) {
		rc = begin_batch(priv, err);
		if (rc)
			return rc;
	}
	if (simfw_exec(&priv->pf, in, inlen, out, outlen))
		priv->dirty = true;
	return IQ_OK;
}

/* The end of a batch: write back what changed, drop the lock. */
static int sim_flush(void *privp, struct iq_err *err)
{
	struct sim_priv *priv = privp;
	int rc = IQ_OK;

	if (priv->lock_fd < 0)
		return IQ_OK;
	if (priv->dirty) {
		rc = simfw_pf_save(priv->root, &priv->pf, err);
		/* Saved or not, the next batch reads what the file holds. */
		forget(priv);
		priv->dirty = false;
	}
	simfw_pf_release(priv->lock_fd);
	priv->lock_fd = -1;
	return rc;
}

static void sim_close(void *privp)
{
	struct sim_priv *priv = privp;
	struct iq_err ignored = {0};

	/*
	 * Callers flush (fw_dev_flush) at the end of each batch and see the
	 * error there; this is the safety net for a path that did not, and
	 * an error here has nobody left to tell.
	 */
	sim_flush(priv, &ignored);
	forget(priv);
	free(priv);
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
	.flush = sim_flush,
	.close = sim_close,
};

const struct fw_transport_ops simfw_transport = {
	.name = "sim",
	.access_reg_opcode = PRM_OP_ACCESS_REGISTER_USER,
	.open = sim_open,
	.exec = sim_exec,
	.flush = sim_flush,
	.close = sim_close,
	.present = sim_present,
	.reg_fallback = &simfw_transport_fwctl,
};
