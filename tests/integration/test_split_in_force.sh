#!/usr/bin/env bash
# The split charges what is in force, never less (found by a fresh-user
# review; each case is a VM admitted that should have been refused):
#   1. a cap lowered in the policy but not written yet still bounds
#      nothing: the VF is charged the cap the firmware holds
#   2. a vm_cap group's budget lowered below what the group holds: the
#      group is charged what it holds
#   3. <page size='4' unit='KiB'/> is ordinary memory (libvirt backs it
#      as if no huge pages were asked for), not huge-page memory
# Host: 256 GiB, huge page pool 128 GiB, PFs' own pages 512 MiB.
. "$(dirname "$0")/lib.sh"

headroom_gib() { # from status -j
	run status -j
	json "d['split']['headroom_bytes'] / 2**30"
}

# --- 1. a lowered cap not written yet ---------------------------------------
make_sim
write_policy <<'P'
version: 1
host: { reserve: 90GiB, admission: strict }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
classes:
  g: { vf_cap: 32GiB }
P
mapfile -t PFS < <(sim_pfs)
A0=$(sim_vf "${PFS[0]}" 0) B0=$(sim_vf "${PFS[1]}" 0)
domain_xml A 64 yes g "$A0" >"$SCRATCH/A.xml"
domain_xml B 30 no "" "$B0" >"$SCRATCH/B.xml"
run vm start --libvirt-xml "$SCRATCH/A.xml"
expect_rc 0 "1: A starts"
# 256 - 90 - 32 (A's cap) - 4 (3 idle VFs... none held) - 0.5 - 128 = 5.5
expect_eq "$(headroom_gib)" 5.5 "1: headroom with A at 32 GiB"
run sim register --vf "$A0" --bytes 64GiB --buffers 192
expect_rc 0 "1: A's guest registers (its VF holds 24 GiB)"
run policy set --class g vf_cap 2GiB
expect_rc 0 "1: the cap lowered in the policy, not applied"
# Still 32 GiB in force: B (30 GiB, a 4 GiB VF) would leave
# 256 - 90 - 32 - 4 - 0.5 - 30 - 128 = -28.5 GiB.
run vm start --libvirt-xml "$SCRATCH/B.xml"
expect_rc 1 "1: B refused while A's 32 GiB cap is in force"
expect_err "short by 28.5GiB" "1: the shortfall counts A at the cap in force"
expect_eq "$(headroom_gib)" 5.5 "1: status charges the cap in force, not the policy's"
run apply
expect_rc 0 "1: apply writes 2 GiB"
# A's VF holds 24 GiB above its new 2 GiB cap: 256-90-24-0.5-128 = 13.5
expect_eq "$(headroom_gib)" 13.5 "1: after apply, what the VF holds"

# --- 2. a group budget lowered below what the group holds -------------------
rm -rf "$ROOT" "$SCRATCH/state.json" "$SCRATCH"/policy.d
make_sim
write_policy <<'P'
version: 1
host: { reserve: 90GiB, admission: strict }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
classes:
  g: { vf_cap: 32GiB, vm_cap: 32GiB }
P
mapfile -t PFS < <(sim_pfs)
A0=$(sim_vf "${PFS[0]}" 0) A1=$(sim_vf "${PFS[0]}" 1) B0=$(sim_vf "${PFS[1]}" 0)
domain_xml A 64 yes g "$A0" "$A1" >"$SCRATCH/A.xml"
domain_xml B 30 no "" "$B0" >"$SCRATCH/B.xml"
run vm start --libvirt-xml "$SCRATCH/A.xml"
expect_rc 0 "2: A starts (group of 2 VFs, 32 GiB)"
run sim register --vf "$A0" --bytes 64GiB --buffers 192
expect_rc 0 "2: the group holds 24 GiB"
run policy set --class g vm_cap 2GiB --apply
expect_rc 0 "2: the budget lowered to 2 GiB and written"
# The group holds 24 GiB: 256 - 90 - 24 - 0.5 - 128 = 13.5
expect_eq "$(headroom_gib)" 13.5 "2: status charges what the group holds"
# A VM start reads the other VMs' groups: B (30 GiB, a 4 GiB VF) leaves
# 256 - 90 - 24 - 4 - 0.5 - 30 - 128 = -20.5 GiB.
run vm start --libvirt-xml "$SCRATCH/B.xml"
expect_rc 1 "2: B refused while A's group holds 24 GiB"
expect_err "short by 20.5GiB" "2: the shortfall counts what the group holds"

# --- 3. 4 KiB "huge" pages are ordinary memory -------------------------------
rm -rf "$ROOT" "$SCRATCH/state.json" "$SCRATCH"/policy.d
make_sim
write_policy <<'P'
version: 1
host: { reserve: 100GiB, admission: strict }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB }
P
mapfile -t PFS < <(sim_pfs)
D0=$(sim_vf "${PFS[0]}" 0)
domain_xml D 24 "<hugepages><page size='4' unit='KiB'/></hugepages>" "" "$D0" >"$SCRATCH/D.xml"
run vm inspect --libvirt-xml "$SCRATCH/D.xml" -j
expect_eq "$(json "d.get('hugepage_bytes', 0)")" 0 "3: no huge-page memory"
# 256 - 100 - 4 - 0.5 - 24 (ordinary) - 128 = -0.5
run vm start --libvirt-xml "$SCRATCH/D.xml"
expect_rc 1 "3: refused: its 24 GiB are ordinary memory"
expect_err "short by 512.0MiB" "3: short by 0.5 GiB"
finish
