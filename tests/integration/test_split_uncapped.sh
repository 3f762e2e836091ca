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
finish
