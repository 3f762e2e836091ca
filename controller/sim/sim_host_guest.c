// SPDX-License-Identifier: MIT
/*
 * The guest side of the simulated host: a guest registering memory on its
 * VFs (each MR one all-or-nothing page request that the firmware grants or
 * refuses against the caps) and a function level reset handing the pages
 * back. Each VF is found through the tree as the host finds it; the
 * counters are refreshed after.
 */
#include "controller/sim/sim_host.h"

#include <stdio.h>
#include <string.h>

#include "controller/core/host.h"
#include "controller/sim/simfw.h"
#include "lib/pci.h"
#include "lib/size.h"

/* Find the PF and function of a VF through the tree, like the host does. */
static int locate_vf(const char *root, const char *vf_text,
		     struct sim_vf_result *result, struct iq_err *err)
{
	struct host host;
	struct host_pf *pf = NULL;
	struct host_vf *vf;
	char pci[PCI_ADDR_LEN];
	int rc;

	memset(result, 0, sizeof(*result));
	if (!pci_addr_normalize(vf_text, pci))
		return iq_fail(err, IQ_EUSAGE,
			       "\"%s\" is not a PCI address (DDDD:BB:SS.F)",
			       vf_text);
	rc = host_discover(root, NULL, &host, err);
	if (rc)
		return rc;
	vf = host_find_vf(&host, pci, &pf);
	if (vf) {
		snprintf(result->vf, sizeof(result->vf), "%s", vf->pci);
		snprintf(result->pf, sizeof(result->pf), "%s", pf->pci);
		result->function_id = vf->function_id;
	} else {
		rc = iq_fail(err, IQ_EREFUSED,
			     "%s is not an enabled ConnectX VF of the "
			     "simulated host %s (icmquota --root %s sim show "
			     "lists them)",
			     pci, root, root);
	}
	host_free(&host);
	return rc;
}

static void fill_result(struct sim_vf_result *result,
			const struct simfw_func *fn)
{
	result->vhca_id = fn->vhca_id;
	result->cap = fn->cap;
	result->cur = fn->cur;
}

static int function_of(struct simfw_pf *pf, const struct sim_vf_result *result,
		       struct simfw_func **fn, struct iq_err *err)
{
	*fn = simfw_func_by_id(pf, result->function_id);
	if (!*fn || result->function_id > pf->enabled_vfs)
		return iq_fail(err, IQ_EREFUSED,
			       "%s: function %u is not enabled in the "
			       "simulated firmware of %s (sriov_numvfs and "
			       "the firmware disagree)",
			       result->vf, result->function_id, result->pf);
	return IQ_OK;
}

/* Save (when the work succeeded) and unlock; the first error wins. */
static int unlock_pf(const char *root, struct simfw_pf *pf, int lock_fd, int rc,
		     struct iq_err *err)
{
	struct iq_err unlock_err = {0};
	int unlock_rc =
		simfw_pf_unlock(root, pf, lock_fd, rc == IQ_OK, &unlock_err);

	if (unlock_rc && !rc) {
		*err = unlock_err;
		rc = unlock_rc;
	}
	return rc;
}

static int register_on_vf(const char *root, uint64_t requests, uint32_t pages,
			  struct sim_vf_result *result, struct iq_err *err)
{
	struct simfw_pf pf;
	struct simfw_func *fn;
	int lock_fd;
	int rc = simfw_pf_lock_load(root, result->pf, &pf, &lock_fd, err);

	if (rc)
		return rc;
	rc = function_of(&pf, result, &fn, err);
	for (uint64_t i = 0; !rc && i < requests; i++) {
		if (simfw_alloc(&pf, fn, pages))
			result->granted++;
		else
			result->refused++;
	}
	if (!rc)
		fill_result(result, fn);
	return unlock_pf(root, &pf, lock_fd, rc, err);
}

int sim_host_register(const char *root, const struct sim_register_req *req,
		      struct sim_vf_result *results, uint32_t *pages_per_mr,
		      struct iq_err *err)
{
	struct sim_host_info info;
	uint64_t requests;
	int rc;

	if (req->nvfs == 0 || req->mrs_per_hca == 0 || req->buffers == 0 ||
	    req->bytes == 0 || req->bytes == IQ_UNLIMITED)
		return iq_fail(err, IQ_EUSAGE,
			       "sim register needs at least one --vf, a "
			       "--bytes size and non-zero --mrs-per-hca and "
			       "--buffers");
	rc = sim_host_load_info(root, &info, err);
	if (rc)
		return rc;
	*pages_per_mr = sim_host_pages_per_mr(req->bytes);
	requests = (uint64_t)req->buffers * req->mrs_per_hca;
	/* Check every VF first: a typo registers nothing anywhere. */
	for (size_t i = 0; !rc && i < req->nvfs; i++)
		rc = locate_vf(root, req->vfs[i], &results[i], err);
	for (size_t i = 0; !rc && i < req->nvfs; i++) {
		rc = register_on_vf(root, requests, *pages_per_mr, &results[i],
				    err);
		if (rc)
			iq_err_prefix(err, "sim register %s", results[i].vf);
	}
	return rc ? rc : sim_host_refresh(root, err);
}

int sim_host_flr(const char *root, const char *vf, struct sim_vf_result *result,
		 struct iq_err *err)
{
	struct simfw_pf pf;
	struct simfw_func *fn;
	int lock_fd;
	int rc = locate_vf(root, vf, result, err);

	if (!rc)
		rc = simfw_pf_lock_load(root, result->pf, &pf, &lock_fd, err);
	if (rc)
		return rc;
	rc = function_of(&pf, result, &fn, err);
	if (!rc) {
		simfw_flr(&pf, fn);
		fill_result(result, fn);
	}
	rc = unlock_pf(root, &pf, lock_fd, rc, err);
	return rc ? rc : sim_host_refresh(root, err);
}
