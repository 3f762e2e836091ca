// SPDX-License-Identifier: MIT
/*
 * The daemon's handlers against a simulated host: the libvirt events it
 * gets for a VF hot-plugged into a running guest and detached again (the
 * net_failover <teaming> case), with the domain's live XML as libvirt
 * hands it over (tests/fixtures/libvirt/live-failover-*.xml), a VM gone,
 * a PF's uevent reconcile, drift repaired and counted, a policy reload
 * refused. Real libvirtd cannot attach a VF on a machine without the
 * device, so this is where the VF path runs with the real payload; the
 * integration test drives the same code from libvirtd's events.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller/core/counters.h"
#include "controller/core/session.h"
#include "controller/daemon/handlers.h"
#include "controller/sim/sim_host.h"
#include "controller/sim/simfw.h"
#include "devx/fw.h"
#include "lib/file.h"
#include "lib/size.h"
#include "tests/unit/test.h"

#define GiB	   (1ULL << 30)
#define MiB	   (1ULL << 20)
#define CAP_PAGES  (uint32_t)((4 * GiB) / ICM_PAGE_BYTES)
#define IDLE_PAGES (uint32_t)((256 * MiB) / ICM_PAGE_BYTES)

static char root[64];
static char policy_path[128], state_path[128], lock_path[128], log_path[128];
static struct run_ctx ctx;
static struct daemon_opts opts = {.interval_s = 60};
static struct daemon d;

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void write_text(const char *path, const char *text)
{
	struct iq_err err = {0};

	if (file_write_str(path, text, &err))
		fprintf(stderr, "%s\n", err.msg);
}

static void setup(void)
{
	struct sim_host_params p;
	struct iq_err err = {0};

	snprintf(root, sizeof(root), "/tmp/iq-test-daemon-XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		exit(1);
	}
	sim_host_params_default(&p);
	p.npfs = 2;
	p.total_vfs = 4;
	p.enabled_vfs = 4;
	p.mem_total = 256 * GiB;
	p.host_used = 8 * GiB;
	p.total_icm_bytes = 32 * GiB;
	p.ngpus = 0;
	p.npools = 0;
	if (sim_host_init(root, &p, &err)) {
		fprintf(stderr, "sim_host_init: %s\n", err.msg);
		exit(1);
	}
	snprintf(policy_path, sizeof(policy_path), "%s/policy.yaml", root);
	snprintf(state_path, sizeof(state_path), "%s/state.json", root);
	snprintf(lock_path, sizeof(lock_path), "%s/lock", root);
	snprintf(log_path, sizeof(log_path), "%s/daemon.log", root);
	write_text(policy_path,
		   "version: 1\nhost: { reserve: 16GiB }\n"
		   "defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB }\n");
	memset(&ctx, 0, sizeof(ctx));
	ctx.policy_path = policy_path;
	ctx.state_path = state_path;
	ctx.lock_path = lock_path;
	ctx.lock_timeout_s = 2;
	ctx.root = root;
	ctx.backend = FW_BACKEND_SIM;
	ctx.sim_transport = &simfw_transport;
	ctx.out = stdout;
	ctx.log = fopen(log_path, "w+");
	memset(&d, 0, sizeof(d));
	d.ctx = &ctx;
	d.opts = &opts;
	if (dm_load_policy(&d, &err) || dm_reconcile(&d, "start", false, &err))
		fprintf(stderr, "setup: %s\n", err.msg);
}

static void teardown(void)
{
	dm_free(&d);
	fclose(ctx.log);
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The VF's cap as the firmware reads it back (4 KiB pages). */
static uint32_t cap_of(const char *pci)
{
	struct iq_err err = {0};
	struct prm_vhca_icm_ctrl v = {0};
	struct host_pf *pf = NULL;
	struct host_vf *vf;
	struct session s;
	uint32_t cap = 0;

	if (session_open(&ctx, SESSION_FIRMWARE, &s, &err)) {
		fprintf(stderr, "cap_of: %s\n", err.msg);
		return 0;
	}
	vf = host_find_vf(&s.host, pci, &pf);
	if (vf && host_vf_vhca(pf, vf, &err) == IQ_OK &&
	    fw_read_vhca_icm(pf->fw, vf->vhca_id, &v, &err) == IQ_OK)
		cap = v.max_alloc_icm_th;
	else
		fprintf(stderr, "cap_of %s: %s\n", pci, err.msg);
	session_close(&s);
	return cap;
}

/* The journal's VFs of VM name, "-" when the VM is not journalled. */
static void journal_vm(const char *name, char *out, size_t len)
{
	struct iq_err err = {0};
	struct state st;
	struct state_vm *vm;
	size_t n = 0;

	snprintf(out, len, "-");
	if (state_load(state_path, &st, &err))
		return;
	vm = state_find_vm(&st, name);
	if (vm) {
		out[0] = '\0';
		for (size_t i = 0; i < vm->facts.npci; i++)
			n += (size_t)snprintf(out + n, len - n, "%s%s",
					      i ? "," : "", vm->facts.pci[i]);
	}
	state_free(&st);
}

static bool log_has(const char *needle)
{
	char *text = NULL;
	struct iq_err err = {0};
	bool found;

	fflush(ctx.log);
	if (file_read_all(log_path, &text, NULL, &err))
		return false;
	found = strstr(text, needle) != NULL;
	if (!found)
		fprintf(stderr, "log lacks \"%s\":\n%s", needle, text);
	free(text);
	return found;
}

static int live_event(enum lv_event_kind kind, const char *alias,
		      const char *fixture, struct iq_err *err)
{
	struct lv_event ev = {.kind = kind};
	struct vm_facts vm;
	char path[256];
	int rc;

	snprintf(ev.name, sizeof(ev.name), "web-01");
	snprintf(ev.alias, sizeof(ev.alias), "%s", alias);
	if (!fixture)
		return dm_libvirt_event(&d, &ev, NULL, true, err);
	snprintf(path, sizeof(path), "tests/fixtures/libvirt/%s", fixture);
	rc = vm_from_libvirt_xml_file(path, &vm, err);
	if (rc == IQ_OK)
		rc = dm_libvirt_event(&d, &ev, &vm, false, err);
	vm_facts_free(&vm);
	return rc;
}

static void test_vf_hotplug_and_unplug(void)
{
	struct iq_err err = {0};
	char vfs[256];

	setup();
	CHECK_U64(cap_of("0000:0c:00.1"), IDLE_PAGES);
	/* The guest runs without its VF (it arrived by migration). */
	CHECK_U64(live_event(LV_EVENT_STARTED, "", "live-failover-none.xml",
			     &err),
		  IQ_OK);
	journal_vm("web-01", vfs, sizeof(vfs));
	CHECK_STR(vfs, "");
	CHECK_U64(cap_of("0000:0c:00.1"), IDLE_PAGES);
	/* The VF attached afterwards: the VM's cap, the journal follows. */
	CHECK_U64(live_event(LV_EVENT_DEVICE_ADDED, "hostdev0",
			     "live-failover-vf.xml", &err),
		  IQ_OK);
	CHECK_U64(cap_of("0000:0c:00.1"), CAP_PAGES);
	CHECK_U64(cap_of("0000:0c:00.2"), IDLE_PAGES);
	journal_vm("web-01", vfs, sizeof(vfs));
	CHECK_STR(vfs, "0000:0c:00.1");
	CHECK(log_has("libvirt device-added hostdev0 of domain web-01: VM "
		      "web-01 runs with VFs 0000:0c:00.1 (1 PCI device): 1 "
		      "cap written"));
	CHECK(log_has("VF 0000:0c:00.1 (PF 0000:0c:00.0, VM web-01): cap "
		      "256.0MiB -> 4.0GiB"));
	/* Detached again: back to idle, the VM stays running. */
	CHECK_U64(live_event(LV_EVENT_DEVICE_REMOVED, "hostdev0",
			     "live-failover-none.xml", &err),
		  IQ_OK);
	CHECK_U64(cap_of("0000:0c:00.1"), IDLE_PAGES);
	journal_vm("web-01", vfs, sizeof(vfs));
	CHECK_STR(vfs, "");
	/* Attached and the domain destroyed: idle, journal entry closed. */
	CHECK_U64(live_event(LV_EVENT_DEVICE_ADDED, "hostdev0",
			     "live-failover-vf.xml", &err),
		  IQ_OK);
	CHECK_U64(live_event(LV_EVENT_STOPPED, "", NULL, &err), IQ_OK);
	CHECK_U64(cap_of("0000:0c:00.1"), IDLE_PAGES);
	journal_vm("web-01", vfs, sizeof(vfs));
	CHECK_STR(vfs, "-");
	CHECK(log_has("libvirt domain web-01 stopped: VM web-01 stopped: 1 "
		      "cap back to idle"));
	teardown();
}

/* A hand-run register write (mstreg, a firmware reset) is drift. */
static void test_drift_repaired_and_counted(void)
{
	struct iq_err err = {0};
	struct simfw_pf pf;
	struct counters c;
	int fd;

	setup();
	if (simfw_pf_lock_load(root, "0000:2a:00.0", &pf, &fd, &err) == IQ_OK) {
		pf.funcs[2].cap = 12345;
		simfw_pf_unlock(root, &pf, fd, true, &err);
	}
	CHECK_U64(cap_of("0000:2a:00.2"), 12345);
	CHECK_U64(dm_reconcile(&d, "periodic check", true, &err), IQ_OK);
	CHECK_U64(cap_of("0000:2a:00.2"), IDLE_PAGES);
	CHECK(log_has("drift repaired: VF 0000:2a:00.2 (PF 0000:2a:00.0, "
		      "idle): cap 48.2MiB -> 256.0MiB"));
	CHECK_U64(d.repairs, 1);
	CHECK_U64(counters_load(state_path, &c, &err), IQ_OK);
	CHECK_U64(c.v[CNT_DRIFT_REPAIRED], 1);
	/* Nothing drifted: nothing written, nothing counted. */
	CHECK_U64(dm_reconcile(&d, "periodic check", true, &err), IQ_OK);
	CHECK_U64(counters_load(state_path, &c, &err), IQ_OK);
	CHECK_U64(c.v[CNT_DRIFT_REPAIRED], 1);
	teardown();
}

static void test_reconcile_one_pf(void)
{
	struct iq_err err = {0};
	struct simfw_pf pf;
	int fd;

	setup();
	/* Two VFs drift on two PFs: a uevent of one PF repairs only it. */
	if (simfw_pf_lock_load(root, "0000:0c:00.0", &pf, &fd, &err) == IQ_OK) {
		pf.funcs[1].cap = PRM_ICM_UNLIMITED;
		simfw_pf_unlock(root, &pf, fd, true, &err);
	}
	if (simfw_pf_lock_load(root, "0000:2a:00.0", &pf, &fd, &err) == IQ_OK) {
		pf.funcs[1].cap = PRM_ICM_UNLIMITED;
		simfw_pf_unlock(root, &pf, fd, true, &err);
	}
	CHECK_U64(dm_reconcile_pf(&d, "0000:2a:00.0", "VF uevents", &err),
		  IQ_OK);
	CHECK_U64(cap_of("0000:2a:00.1"), IDLE_PAGES);
	CHECK_U64(cap_of("0000:0c:00.1"), PRM_ICM_UNLIMITED);
	CHECK(log_has("VF uevents: PF 0000:2a:00.0 re-discovered: 4 VFs, 1 "
		      "cap written"));
	teardown();
}

static void test_policy_reload_refused(void)
{
	struct iq_err err = {0};
	char digest[65];

	setup();
	snprintf(digest, sizeof(digest), "%s", d.policy.digest);
	write_text(policy_path, "version: 1\nhost: { reserve: lots }\n");
	CHECK_U64(dm_load_policy(&d, &err), IQ_EREFUSED);
	CHECK_CONTAINS(err.msg, "policy.yaml:2:");
	/* The old one stays in force, and the sessions still use it. */
	CHECK_STR(d.policy.digest, digest);
	CHECK(ctx.policy == &d.policy);
	CHECK_U64(dm_reconcile(&d, "policy reloaded", false, &err), IQ_OK);
	CHECK_U64(cap_of("0000:0c:00.1"), IDLE_PAGES);
	teardown();
}

int main(void)
{
	RUN(test_vf_hotplug_and_unplug);
	RUN(test_drift_repaired_and_counted);
	RUN(test_reconcile_one_pf);
	RUN(test_policy_reload_refused);
	return TEST_SUMMARY("test_daemon");
}
