// SPDX-License-Identifier: MIT
#include "controller/core/policy_host.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/file.h"
#include "lib/size.h"

static int add(struct policy_findings *f, bool error, struct iq_err *err,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int add(struct policy_findings *f, bool error, struct iq_err *err,
	       const char *fmt, ...)
{
	struct policy_finding *grown =
		realloc(f->v, (f->n + 1) * sizeof(*grown));
	va_list ap;

	if (!grown)
		return iq_fail(err, IQ_EENV, "out of memory");
	f->v = grown;
	grown[f->n].error = error;
	va_start(ap, fmt);
	vsnprintf(grown[f->n].msg, sizeof(grown->msg), fmt, ap);
	va_end(ap);
	f->n++;
	f->nerrors += error;
	return IQ_OK;
}

/* "FILE:LINE:COL" of a value, or "FILE" for a built-in one. */
static void where(const struct policy *policy, struct policy_pos pos, char *buf,
		  size_t len)
{
	if (pos.line)
		snprintf(buf, len, "%s:%u:%u", policy_file(policy, pos),
			 pos.line, pos.col);
	else
		snprintf(buf, len, "%s", policy->path);
}

/* The vendor id of a PCI device here ("0x10de"), "" when unreadable. */
static void vendor_of(const struct host *host, const char *pci, char *buf,
		      size_t len)
{
	char rel[PATH_MAX], path[PATH_MAX];
	struct iq_err ignored = {0};

	buf[0] = '\0';
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/vendor", pci);
	if (path_join(path, sizeof(path), host->root, rel) ||
	    file_read_line(path, buf, len, &ignored))
		buf[0] = '\0';
}

static int check_device(const struct policy *policy,
			const struct policy_device *d, struct host *host,
			struct policy_findings *f, struct iq_err *err)
{
	char at[4200], vendor[32];
	struct host_pf *pf = NULL;

	where(policy, d->pos, at, sizeof(at));
	if (host_find_pf(host, d->pci))
		return IQ_OK;
	if (host_find_vf(host, d->pci, &pf) && pf)
		return add(f, true, err,
			   "%s: devices.%s: a VF of %s: device rules name "
			   "PFs and cap every VF of the PF, so this rule "
			   "never applies; name its PF %s (or give the VM's "
			   "vms rule a vf_cap for one VM)",
			   at, d->pci, pf->pci, pf->pci);
	if (!host_pci_exists(host, d->pci))
		return add(f, false, err,
			   "%s: warning: devices.%s: no PCI device at this "
			   "address on this host: the rule does nothing here "
			   "(fine when the policy is shared with hosts that "
			   "have it)",
			   at, d->pci);
	vendor_of(host, d->pci, vendor, sizeof(vendor));
	return add(f, false, err,
		   "%s: warning: devices.%s: a PCI device%s%s%s, not a "
		   "ConnectX PF with SR-IOV: the rule does nothing here",
		   at, d->pci, vendor[0] ? " of vendor " : "", vendor,
		   strcmp(vendor, "0x15b3") == 0 ? " (ConnectX without VFs)"
						 : "");
}

int policy_host_check(const struct policy *policy, struct host *host,
		      struct policy_findings *f, struct iq_err *err)
{
	uint64_t total = host->mem.mem_total;
	int rc = IQ_OK;

	if (total && policy->reserve.bytes >= total) {
		char at[4200], reserve[32], mem[32];

		where(policy, policy->reserve.pos, at, sizeof(at));
		size_format(policy->reserve.bytes, reserve, sizeof(reserve));
		size_format(total, mem, sizeof(mem));
		rc = add(f, true, err,
			 "%s: host.reserve %s%s is not below MemTotal %s of "
			 "this host: no VM would fit (every start refused, or "
			 "every cap scaled down); set host.reserve to what "
			 "the host itself needs, below %s",
			 at, reserve,
			 policy->reserve.set ? "" : " (built-in default)", mem,
			 mem);
	}
	for (size_t i = 0; rc == IQ_OK && i < policy->ndevices; i++)
		rc = check_device(policy, &policy->devices[i], host, f, err);
	return rc;
}

void policy_findings_free(struct policy_findings *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}
