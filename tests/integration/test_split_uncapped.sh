#!/usr/bin/env bash
# The memory split never counts a cap that bounds nothing: a VF on a PF
# whose firmware lacks VHCA_ICM_CTRL runs uncapped and counts as an
# unlimited cap (its PF's total ICM, here unknown: MemTotal), never as the
# policy's vf_cap; a VF whose cap was lowered below
# what it holds counts what it holds (the firmware does not reclaim).
. "$(dirname "$0")/lib.sh"

ROOT=$SCRATCH/host
"$BIN" sim init "$ROOT" --pfs 2 --vfs 4 --no-icm-ctrl 0000:2a:00.0 >/dev/null
POLICY=$SCRATCH/policy.yaml
cat >"$POLICY" <<'EOF2'
version: 1
host: { reserve: 16GiB, admission: warn }
defaults: { vf_cap: 8GiB, idle_vf_cap: 256MiB }
EOF2
GiB=$((1 << 30))
domain_xml un 8 no "" 0000:2a:00.1 >"$SCRATCH/un.xml"
domain_xml ok 8 no "" 0000:0c:00.1 >"$SCRATCH/ok.xml"
split_vf() { json "d['split']['vf_caps_bytes']"; }

run vm start --libvirt-xml "$SCRATCH/un.xml"
expect_rc 0 "admission warn: the VM on the PF without VHCA_ICM_CTRL starts"
expect_err "UNCAPPED" "the start says the VF runs uncapped"
run status -j
expect_rc 0 "status"
MEM=$(json "d['split']['mem_total_bytes']")
expect_eq "$(split_vf)" "$MEM" \
	"the uncapped VF counts as unlimited (total ICM unknown: MemTotal), not vf_cap 8GiB"
expect_eq "$(json "d['split']['unlimited_caps']")" 1 "counted among the unlimited caps"
expect_eq "$(json "d['split']['uncapped_vfs']") $(json "d['split']['uncapped_vf_bytes']")" "1 $MEM" \
	"JSON: one UNCAPPED VF, charged MemTotal"

run vm start --libvirt-xml "$SCRATCH/ok.xml"
expect_rc 0 "a VM on the capable PF"
run status -j
expect_eq "$(split_vf)" $((MEM + 8 * GiB)) "MemTotal for the uncapped VF + 8GiB cap"

# The guest of 'ok' registers 6 GiB of ICM, then its cap is lowered to
# 1 GiB: the firmware keeps the 6 GiB, and the split must too.
"$BIN" --root "$ROOT" sim register --vf 0000:0c:00.1 --bytes 4TiB --mrs 1 \
	>/dev/null 2>&1
held=$(run status -j; json "[v['cur_bytes'] for p in d['pfs'] for v in p['vfs'] if v['pci']=='0000:0c:00.1'][0]")
[ "$held" -gt $((1 * GiB)) ] && pass || fail "the guest holds more than 1GiB (held $held)"
cat >"$POLICY" <<'EOF2'
version: 1
host: { reserve: 16GiB, admission: warn }
defaults: { vf_cap: 8GiB, idle_vf_cap: 256MiB }
vms:
  - match: { name: ok }
    vf_cap: 1GiB
EOF2
run apply --connect none
expect_rc 0 "apply lowers ok's cap to 1GiB"
run status -j
expect_eq "$(split_vf)" $((MEM + held)) \
	"the VF over its lowered cap counts what it holds"

# Admission of a VM whose VF would run UNCAPPED (strict, scale): the
# refusal quotes the figures compared - the VF charged MemTotal, as the
# PF's firmware (no NIC_CAP_REG, as sim --no-icm-ctrl models it) does not
# say its total ICM - and advice that fits: no vf_cap or scale makes room.
ROOT=$SCRATCH/host2
rm -f "$SCRATCH/state.json"
"$BIN" sim init "$ROOT" --pfs 2 --vfs 4 --mem 256GiB --total-icm 64GiB \
	--no-icm-ctrl 0000:2a:00.0 >/dev/null
admission() { # admission MODE RESERVE
	cat >"$POLICY" <<EOF2
version: 1
host: { reserve: $2, admission: $1 }
defaults: { vf_cap: 8GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
EOF2
}
domain_xml mixed 8 no "" 0000:2a:00.1 0000:0c:00.1 >"$SCRATCH/mixed.xml"
admission strict 16GiB
run vm start --libvirt-xml "$SCRATCH/un.xml"
expect_rc 1 "strict: the VM whose VF would run uncapped is refused"
expect_one_line_err "strict refusal"
expect_err "VM un does not fit: short by 24.5GiB (MemTotal 256.0GiB - reserve 16.0GiB - VF caps 256.0GiB (all of it for 1 VF that runs UNCAPPED: 0000:2a:00.1 of VM un on PF 0000:2a:00.0, whose firmware lacks VHCA_ICM_CTRL, charged MemTotal 256.0GiB, as that PF's total ICM is unknown) - PF firmware 512.0MiB" \
	"strict: the VF's charge as compared: MemTotal, and why"
expect_err "its VF 0000:2a:00.1 would run UNCAPPED: the firmware of PF 0000:2a:00.0 lacks VHCA_ICM_CTRL and does not report its total ICM, so the VF is charged all of MemTotal (256.0GiB) and no vf_cap, min_vf_cap or host.reserve makes room; update that PF's firmware" \
	"strict: the advice that fits (firmware, another PF's VF, warn)"
grep -qF "lower its vf_cap" <<<"$ERR" && fail "strict: advises a vf_cap that cannot help: $ERR" || pass
grep -qF "set host.admission: scale" <<<"$ERR" && fail "strict: advises scale, which cannot help: $ERR" || pass

admission scale 16GiB
run vm start --libvirt-xml "$SCRATCH/mixed.xml"
expect_rc 1 "scale: refused"
expect_one_line_err "scale refusal"
expect_err "VM mixed does not fit even with its other VF caps at min_vf_cap 1.0GiB: short by 25.5GiB (MemTotal 256.0GiB - reserve 16.0GiB - VF caps 257.0GiB (1.0GiB capped + 256.0GiB for 1 VF that runs UNCAPPED: 0000:2a:00.1 of VM mixed" \
	"scale: the figures at min_vf_cap, the capped VF and the uncapped one apart"
expect_err "no vf_cap, min_vf_cap or host.reserve makes room" "scale: min_vf_cap is not advised"

# Firmware that has NIC_CAP_REG (total ICM 64GiB) but not VHCA_ICM_CTRL:
# the VF is charged that whole PF's ICM, and room for it can be made.
python3 - "$ROOT/icmquota-sim/fw/0000:2a:00.0.json" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1]))
d["nic_cap_reg"] = True  # the register answers; its vhca_icm_ctrl bit stays 0
json.dump(d, open(sys.argv[1], "w"))
EOF2
admission strict 200GiB
run vm start --libvirt-xml "$SCRATCH/un.xml"
expect_rc 1 "known total ICM: refused while the reserve leaves no room for it"
expect_err "VF caps 64.0GiB (all of it for 1 VF that runs UNCAPPED: 0000:2a:00.1 of VM un on PF 0000:2a:00.0, whose firmware lacks VHCA_ICM_CTRL, charged its PF's total ICM 64.0GiB)" \
	"known total ICM: charged the PF's total ICM"
expect_err "so the VF is charged that PF's whole total ICM (64.0GiB) whatever vf_cap or scale say; update that PF's firmware, or pass the VM a VF of a PF that can cap it (icm_ctrl yes in icmquota status), or make room for the whole PF's ICM (lower host.reserve, stop a VM)" \
	"known total ICM: room for the whole PF is advised"
admission strict 16GiB
run vm start --libvirt-xml "$SCRATCH/un.xml"
expect_rc 0 "known total ICM: with room for the whole PF's ICM, it starts"
expect_err "UNCAPPED" "and is said to run uncapped"
finish
