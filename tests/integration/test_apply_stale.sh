#!/usr/bin/env bash
# One stale fact must not stop the other caps (issue 7 case 7): a journal
# VM whose VF disappeared (sriov_numvfs lowered) and a PF that cannot be
# reached are each reported; every other VF is capped; apply exits 3 with
# the list.
. "$(dirname "$0")/lib.sh"

make_sim
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB, admission: strict }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB }
EOF2
mapfile -t PFS < <(sim_pfs)
VA=$(sim_vf "${PFS[0]}" 3)
VA0=$(sim_vf "${PFS[0]}" 0)
VB=$(sim_vf "${PFS[1]}" 0)
cap_of() {
	"$BIN" --config none --root "$ROOT" sim show -j | python3 -c '
import json,sys
d=json.load(sys.stdin)
print([f["cap_pages"] for p in d for f in p["functions"] if f["pci"]==sys.argv[1]][0])' "$1"
}
domain_xml vm-a 8 no "" "$VA0" "$VA" >"$SCRATCH/a.xml"
domain_xml vm-b 8 no "" "$VB" >"$SCRATCH/b.xml"
run apply -j
expect_rc 0 "apply: every VF idle"
run vm start --libvirt-xml "$SCRATCH/a.xml"
expect_rc 0 "start a"
run vm start --libvirt-xml "$SCRATCH/b.xml"
expect_rc 0 "start b"

# sriov_numvfs lowered on PF0: its last VF (vm-a's) is gone.
pfdir=$(readlink -f "$ROOT/sys/bus/pci/devices/${PFS[0]}")
vadir=$(readlink -f "$ROOT/sys/bus/pci/devices/$VA")
rm -f "$pfdir/virtfn3" "$ROOT/sys/bus/pci/devices/$VA"
rm -rf "$vadir"
echo 3 >"$pfdir/sriov_numvfs"
# The policy changes: every running VM's VF wants 2 GiB now.
sed -i 's/vf_cap: 4GiB/vf_cap: 2GiB/' "$POLICY"
run apply
expect_rc 3 "stale VF: apply exits non-zero"
expect_err "apply: VM vm-a (" "stale VF: names the VM"
expect_err "PCI device $VA does not exist on this host" "stale VF: names the device"
expect_err "icmquota vm stop vm-a" "stale VF: says what to run"
expect_err "apply: 1 problem above; every other VF was capped" "stale VF: the list, and that the rest was done"
expect_eq "$(cap_of "$VB")" $(((2 << 30) / 4096)) "stale VF: vm-b capped"
expect_eq "$(cap_of "$VA0")" $(((2 << 30) / 4096)) "stale VF: vm-a's other VF capped"
run apply
expect_rc 3 "stale VF: still reported while it lasts"
run vm stop vm-a
expect_rc 0 "vm stop a: the stale entry goes"
run apply
expect_rc 0 "then apply is clean"

# PF1 cannot be reached (its firmware channel is gone): PF0's VFs are
# still capped, PF1's problem is reported once.
# (a start naming the vanished VF is refused, as before)
run vm start --libvirt-xml "$SCRATCH/a.xml"
expect_rc 1 "a start naming a vanished VF: refused"
domain_xml vm-a 8 no "" "$VA0" >"$SCRATCH/a.xml"
run vm start --libvirt-xml "$SCRATCH/a.xml"
expect_rc 0 "start a without it"
sed -i 's/vf_cap: 2GiB/vf_cap: 3GiB/' "$POLICY"
mv "$ROOT/icmquota-sim/fw/${PFS[1]}.json" "$SCRATCH/pf1.json"
run apply
expect_rc 3 "unreachable PF: apply exits non-zero"
expect_err "apply: PF ${PFS[1]} cannot be reached (" "unreachable PF: named"
expect_err "apply: 1 problem above; every VF on the other PFs was capped" "unreachable PF: the rest said truthfully"
expect_err "apply: 1 problem above" "unreachable PF: one line for the PF"
mv "$SCRATCH/pf1.json" "$ROOT/icmquota-sim/fw/${PFS[1]}.json"
expect_eq "$(cap_of "$VA0")" $(((3 << 30) / 4096)) "unreachable PF: PF0's VFs capped"
expect_eq "$(cap_of "$VB")" $(((2 << 30) / 4096)) "unreachable PF: PF1 untouched"
run apply
expect_rc 0 "PF back: apply clean"
expect_eq "$(cap_of "$VB")" $(((3 << 30) / 4096)) "PF back: capped"
# A start on the unreachable PF is still an error, never a silent pass.
mv "$ROOT/icmquota-sim/fw/${PFS[1]}.json" "$SCRATCH/pf1.json"
run vm start --libvirt-xml "$SCRATCH/b.xml"
expect_rc 3 "start on an unreachable PF: fails"
expect_err "cannot be reached" "start: says why"
mv "$SCRATCH/pf1.json" "$ROOT/icmquota-sim/fw/${PFS[1]}.json"
finish
