#!/usr/bin/env bash
# The memory split charges what idle VFs hold. A VM stops (its VFs go
# back to idle_vf_cap, no FLR yet): the firmware keeps the pages its guest
# registered, and debugfs fw_pages_total - fw_pages_vfs leaves them out of
# the PF term. They must be in the split (status, plan, admission of the
# next VM start), at what the firmware says each idle VF holds (above its
# idle cap: the cap bounds new allocations only), and shown as unknown
# when the firmware cannot say, never as 0.
#
# Host: 256GiB, reserve 16GiB, 128 x 1GiB huge pages, 2 PFs with 256MiB
# of their own pages each: headroom 111.5GiB with nothing running.
. "$(dirname "$0")/lib.sh"

GiB=$((1 << 30))
MiB=$((1 << 20))
make_sim
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB, admission: strict }
defaults: { vf_cap: 8GiB, idle_vf_cap: 256MiB }
EOF2
mapfile -t PFS < <(sim_pfs)
VF00=$(sim_vf "${PFS[0]}" 0)
VF10=$(sim_vf "${PFS[1]}" 0)
cur_pages() { # what the simulated firmware says a function holds
	"$BIN" --config none --root "$ROOT" sim show -j | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    for f in p["functions"]:
        if f["pci"] == sys.argv[1]:
            print(f["cur_pages"])
' "$1"
}
split() { json "d['split']['$1']"; }

run status -j
expect_rc 0 "status, fresh host"
expect_eq "$(split idle_vf_held_bytes)" 0 "fresh host: idle VFs hold nothing"
expect_eq "$(split headroom_bytes)" $((223 * GiB / 2)) "fresh host: headroom 111.5GiB"

# A VM registers 1TiB on its first VF with 2 MRs (4GiB of ICM), then stops.
domain_xml train 16 no "" "$VF00" "$VF10" >"$SCRATCH/train.xml"
run vm start --libvirt-xml "$SCRATCH/train.xml"
expect_rc 0 "train starts"
"$BIN" --config none --root "$ROOT" sim register --vf "$VF00" --bytes 1TiB \
	--mrs-per-hca 2 >/dev/null || fail "sim register"
held=$(cur_pages "$VF00")
expect_eq "$held" $((4 * GiB / 4096)) "the guest holds 4GiB of ICM on $VF00"
run vm stop --libvirt-xml "$SCRATCH/train.xml"
expect_rc 0 "train stops (no FLR: the pages stay)"
expect_eq "$(cur_pages "$VF00")" "$held" "the firmware still holds them"

run status -j
expect_rc 0 "status after the stop"
expect_eq "$(split idle_vf_held_bytes)" $((4 * GiB)) \
	"the idle VF is charged what it holds (4GiB), not idle_vf_cap 256MiB"
expect_eq "$(split idle_vf_held_unknown_vfs)" 0 "nothing unknown"
expect_eq "$(split pf_fw_pages_bytes)" $((512 * MiB)) \
	"the PF term stays the PFs' own pages (the VFs' pages counted once)"
expect_eq "$(split headroom_bytes)" $((215 * GiB / 2)) \
	"headroom 107.5GiB (was reported 111.5GiB: the 4GiB counted nowhere)"
run status
expect_out "- idle VFs' firmware pages               4.0GiB" "status table term"
run plan --connect none -j
expect_rc 0 "plan"
expect_eq "$(split idle_vf_held_bytes)" $((4 * GiB)) "plan's split too"

# Admission of the next start counts them: a VM without VFs of 110GiB
# would fit in 111.5GiB, not in 107.5GiB. The hook path reads only what
# it needs: the firmware of the PF whose debugfs says its VFs hold pages.
domain_xml big 110 no "" >"$SCRATCH/big.xml"
run hook libvirt qemu big prepare begin - <"$SCRATCH/big.xml"
expect_rc 1 "hook prepare: a 110GiB VM is refused, the idle VF's 4GiB committed"
expect_err "VM big does not fit: short by 2.5GiB" "hook refusal: the shortfall"
expect_err "idle VFs' firmware pages 4.0GiB" "hook refusal: the idle VFs' term"
run vm start --libvirt-xml "$SCRATCH/big.xml"
expect_rc 1 "vm start: refused alike"
expect_err "VM big does not fit: short by 2.5GiB" "vm start refusal: the shortfall"
expect_one_line_err "refusal is one line"
domain_xml fits 106 no "" >"$SCRATCH/fits.xml"
run vm start --libvirt-xml "$SCRATCH/fits.xml" -j
expect_rc 0 "a 106GiB VM fits"
expect_eq "$(split headroom_bytes)" $((3 * GiB / 2)) "with 1.5GiB to spare"
expect_eq "$(split idle_vf_held_bytes)" $((4 * GiB)) "the start's split"
run vm stop fits
expect_rc 0 "fits stops"

# The firmware cannot say (its PF does not answer): unknown, not 0, and
# the admission says the headroom may be overstated.
"$BIN" --config none --root "$ROOT" sim inject --status BAD_PARAM \
	--count 1000 --pf "${PFS[0]}" >/dev/null || fail "sim inject"
domain_xml small 8 no "" >"$SCRATCH/small.xml"
run vm start --libvirt-xml "$SCRATCH/small.xml" -j
expect_rc 0 "a small VM starts while PF ${PFS[0]} does not answer"
expect_eq "$(split idle_vf_held_bytes)" None "unknown is null, never 0"
expect_eq "$(split idle_vf_held_unknown_vfs)" 4 \
	"the 4 idle VFs of the PF whose VFs hold pages"
expect_eq "$(split idle_vf_held_known_bytes)" 0 \
	"the other PF's idle VFs hold nothing (debugfs fw_pages_vfs 0)"
reason=$(split idle_vf_held_reason)
grep -qF "VF $VF00: PF ${PFS[0]} cannot be reached" <<<"$reason" && pass ||
	fail "the reason names the VF and its PF: $reason"
expect_err "what idle VFs hold is not all known" "admission says so"
expect_err "the headroom may be overstated" "and what that means"
"$BIN" --config none --root "$ROOT" sim inject --status BAD_PARAM \
	--count 0 >/dev/null || fail "sim inject --count 0"
run vm stop small
expect_rc 0 "small stops"

# With only fw_pages_total (vhca_id page management) the VFs' pages are in
# the PF term already: counted once, as 4GiB + 256MiB there, 0 here.
rm -f "$SCRATCH/state.json"
make_sim --force --fw-pages-files total
run vm start --libvirt-xml "$SCRATCH/train.xml"
"$BIN" --config none --root "$ROOT" sim register --vf "$VF00" --bytes 1TiB \
	--mrs-per-hca 2 >/dev/null || fail "sim register (total only)"
run vm stop --libvirt-xml "$SCRATCH/train.xml"
run status -j
expect_eq "$(split idle_vf_held_bytes)" 0 "total only: nothing beside the PF term"
expect_eq "$(split pf_fw_pages_bytes)" $((4 * GiB + 512 * MiB)) \
	"total only: the PF term holds the idle VF's 4GiB"
expect_eq "$(split headroom_bytes)" $((215 * GiB / 2)) "total only: the same 107.5GiB"

# After an FLR the pages are back: the split follows.
"$BIN" --config none --root "$ROOT" sim flr --vf "$VF00" >/dev/null ||
	fail "sim flr"
run status -j
expect_eq "$(split pf_fw_pages_bytes)" $((512 * MiB)) "after the FLR: the PFs' own pages"
expect_eq "$(split headroom_bytes)" $((223 * GiB / 2)) "after the FLR: 111.5GiB again"

# A start on a host where debugfs says no VF holds a page sends no
# firmware command to learn it.
rm -f "$SCRATCH/state.json"
make_sim --force
run --trace-fw "$SCRATCH/trace" hook libvirt qemu small prepare begin - \
	<"$SCRATCH/small.xml"
expect_rc 0 "hook prepare: small starts on a fresh host"
[ ! -s "$SCRATCH/trace" ] && pass ||
	fail "no firmware command when debugfs says no VF holds a page: $(wc -l <"$SCRATCH/trace") lines"
finish
