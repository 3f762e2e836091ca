// SPDX-License-Identifier: MIT
/*
 * rescale_raise: scaled caps rise back by rescale.h's rule. A host of one
 * PF (64 GiB of ICM, no firmware pages of its own), no huge pages, a
 * reserve of 10 GiB; VM a (started first) holds 2 VFs scaled to 2 GiB,
 * VM b 2 VFs scaled to 4 GiB, the policy asks 8 GiB each: caps 12 GiB in
 * all, a lacking 12 GiB, b 8 GiB. MemTotal sets the headroom.
 */
#include "controller/core/rescale.h"

#include "lib/size.h"
#include "tests/unit/test.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)

static const char policy_yaml[] =
	"version: 1\n"
	"host: { reserve: 10GiB, admission: scale }\n"
	"defaults: { vf_cap: 8GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }\n";

struct fixture {
	struct host host;
	struct host_pf pf;
	struct host_vf vf[4];
	struct plan_vf pv[4];
	struct plan plan;
	struct vm_facts vms[2]; /* a, b */
	struct state_vm svm[2];
	struct state state;
	struct policy policy;
	struct split split;
	struct rescale rs;
};

/* headroom: what MemTotal leaves above the 22 GiB committed. */
static void setup(struct fixture *f, int64_t headroom)
{
	struct iq_err err = {0};
	const uint64_t cap[4] = {2 * GiB, 2 * GiB, 4 * GiB, 4 * GiB};

	memset(f, 0, sizeof(*f));
	f->pf = (struct host_pf){.probed = true,
				 .supported = true,
				 .total_icm_bytes = 64 * GiB,
				 .icm_rounding_pages = 1,
				 .fw_pages = {.total = 0, .vfs = 0}};
	snprintf(f->pf.pci, sizeof(f->pf.pci), "0000:0c:00.0");
	f->host.pfs = &f->pf;
	f->host.npfs = 1;
	f->host.mem.mem_total = (uint64_t)((int64_t)(22 * GiB) + headroom);
	snprintf(f->vms[0].name, sizeof(f->vms[0].name), "a");
	snprintf(f->vms[1].name, sizeof(f->vms[1].name), "b");
	for (size_t i = 0; i < 4; i++) {
		struct plan_vf *pv = &f->pv[i];

		snprintf(f->vf[i].pci, sizeof(f->vf[i].pci), "0000:0c:00.%zu",
			 i + 1);
		pv->pf = &f->pf;
		pv->vf = &f->vf[i];
		pv->vm = &f->vms[i / 2];
		pv->decision.cap_bytes = 8 * GiB;
		pv->desired_bytes = cap[i];
		pv->scaled = true;
		pv->in_scope = pv->will_write = pv->have_actual = true;
		pv->actual.max_alloc_icm_th = icm_bytes_to_pages(cap[i]);
		pv->group = -1;
	}
	f->plan.vfs = f->pv;
	f->plan.nvfs = 4;
	for (size_t i = 0; i < 2; i++) {
		f->svm[i].facts = f->vms[i];
		f->svm[i].started = 100 + (int64_t)i; /* a first */
		f->svm[i].scale.scaled = true;
	}
	f->state.vms = f->svm;
	f->state.nvms = 2;
	if (policy_parse(policy_yaml, strlen(policy_yaml), "inline.yaml",
			 &f->policy, &err))
		fprintf(stderr, "policy_parse: %s\n", err.msg);
	split_compute(&f->host, &f->policy, &f->plan, f->vms, 2, &f->split);
}

static int do_raise(struct fixture *f)
{
	struct iq_err err = {0};

	return rescale_raise(&f->host, &f->policy, &f->state, &f->plan, f->vms,
			     2, &f->split, &f->rs, &err);
}

/* What plan_execute does: every write needed made. */
static void written(struct fixture *f)
{
	for (size_t i = 0; i < 4; i++)
		f->pv[i].written = f->pv[i].write;
}

static void teardown(struct fixture *f)
{
	rescale_free(&f->rs);
	policy_free(&f->policy);
}

/* Room for all of it: both VMs back at the policy's caps, a first. */
static void test_restores_all(void)
{
	struct fixture f;

	setup(&f, 30 * GiB);
	CHECK(f.split.headroom == (int64_t)(30 * GiB));
	CHECK_U64(do_raise(&f), IQ_OK);
	CHECK_U64(f.rs.nvms, 2);
	CHECK_U64(f.rs.raised, 2);
	CHECK_STR(f.rs.vms[0].name, "a");
	CHECK(f.rs.vms[0].restored && f.rs.vms[1].restored);
	CHECK_U64(f.rs.vms[0].from, 4 * GiB);
	CHECK_U64(f.rs.vms[0].to, 16 * GiB);
	for (size_t i = 0; i < 4; i++) {
		CHECK_U64(f.pv[i].desired_bytes, 8 * GiB);
		CHECK(!f.pv[i].scaled);
		CHECK(f.pv[i].write);
	}
	CHECK_U64(f.pv[2].raised_from, 4 * GiB);
	CHECK_U64(f.plan.nwrites, 4);
	/* The split follows: 30 - 12 - 8 GiB left. */
	CHECK(f.split.headroom == (int64_t)(10 * GiB));
	written(&f);
	rescale_record(&f.rs, &f.plan, &f.state);
	CHECK(!f.svm[0].scale.scaled && !f.svm[1].scale.scaled);
	teardown(&f);

	/* A write that failed: that VM's journal entry stays as it was. */
	setup(&f, 30 * GiB);
	CHECK_U64(do_raise(&f), IQ_OK);
	written(&f);
	f.pv[1].written = false;
	rescale_record(&f.rs, &f.plan, &f.state);
	CHECK(f.svm[0].scale.scaled);
	CHECK(!f.svm[1].scale.scaled);
	teardown(&f);
}

/* Room for part: the VM that started first takes it all, each VF by its
 * share (6 GiB over two equal cuts: 3 GiB each); the other waits. */
static void test_oldest_first_partial(void)
{
	struct fixture f;

	setup(&f, 6 * GiB);
	CHECK_U64(do_raise(&f), IQ_OK);
	CHECK_U64(f.pv[0].desired_bytes, 5 * GiB);
	CHECK_U64(f.pv[1].desired_bytes, 5 * GiB);
	CHECK(f.pv[0].scaled); /* still below 8 GiB */
	CHECK_U64(f.pv[2].desired_bytes, 4 * GiB);
	CHECK_U64(f.pv[2].raised_from, 0);
	CHECK(!f.rs.vms[0].restored);
	CHECK_U64(f.rs.vms[0].to, 10 * GiB);
	CHECK_U64(f.rs.vms[1].to, f.rs.vms[1].from);
	CHECK_U64(f.rs.raised, 1);
	CHECK(f.split.headroom == 0);
	written(&f);
	rescale_record(&f.rs, &f.plan, &f.state);
	CHECK(f.svm[0].scale.scaled);
	CHECK_U64(f.svm[0].scale.cap_bytes, 10 * GiB);
	teardown(&f);

	/* b started first: b is raised first (8 GiB lacking, 6 of room). */
	setup(&f, 6 * GiB);
	f.svm[1].started = 50;
	CHECK_U64(do_raise(&f), IQ_OK);
	CHECK_STR(f.rs.vms[0].name, "b");
	CHECK_U64(f.pv[2].desired_bytes, 7 * GiB);
	CHECK_U64(f.pv[0].desired_bytes, 2 * GiB);
	teardown(&f);
}

/* Less room than RESCALE_MIN_RAISE: no write for a few pages; unless it
 * restores a VM whole (b lacks 512 MiB here). */
static void test_min_raise(void)
{
	struct fixture f;

	setup(&f, 1 * GiB - 4096);
	CHECK_U64(do_raise(&f), IQ_OK);
	CHECK_U64(f.rs.raised, 0);
	for (size_t i = 0; i < 4; i++)
		CHECK_U64(f.pv[i].raised_from, 0);
	CHECK_U64(f.plan.nwrites, 0);
	teardown(&f);

	setup(&f, 1 * GiB - 4096);
	f.pv[2].desired_bytes = f.pv[3].desired_bytes = 8 * GiB - 256 * MiB;
	f.pv[2].actual.max_alloc_icm_th = f.pv[3].actual.max_alloc_icm_th =
		icm_bytes_to_pages(8 * GiB - 256 * MiB);
	f.host.mem.mem_total += 7 * GiB + 512 * MiB; /* the room stays */
	split_compute(&f.host, &f.policy, &f.plan, f.vms, 2, &f.split);
	CHECK(f.split.headroom == (int64_t)(GiB - 4096));
	CHECK_U64(do_raise(&f), IQ_OK);
	CHECK_U64(f.rs.raised, 1);
	CHECK(f.rs.vms[1].restored);
	CHECK_U64(f.pv[0].desired_bytes, 2 * GiB);
	CHECK_U64(f.pv[3].desired_bytes, 8 * GiB);
	teardown(&f);
}

/* Room that is not all known is not spent, and the reason is kept. */
static void test_unknown_room(void)
{
	struct fixture f;

	setup(&f, 30 * GiB);
	f.pf.fw_pages.total = -1;
	snprintf(f.pf.fw_pages.why, sizeof(f.pf.fw_pages.why),
		 "no debugfs pages/ directory");
	split_compute(&f.host, &f.policy, &f.plan, f.vms, 2, &f.split);
	CHECK_U64(do_raise(&f), IQ_OK);
	CHECK_U64(f.rs.raised, 0);
	CHECK_CONTAINS(f.rs.held_why, "the split is not all known");
	CHECK_CONTAINS(f.rs.held_why, "no debugfs pages/ directory");
	CHECK_U64(f.pv[0].desired_bytes, 2 * GiB);
	teardown(&f);
}

int main(void)
{
	RUN(test_restores_all);
	RUN(test_oldest_first_partial);
	RUN(test_min_raise);
	RUN(test_unknown_room);
	return TEST_SUMMARY("test_rescale");
}
