#!/usr/bin/env bash
# devlink in `icmquota status`: each VF's port and representor and the vnic
# reporter's icm_consumption beside the firmware's cur_alloc_icm, through
# the simulated kernel's devlink (ROOT/icmquota-sim/devlink.json: the
# messages are built and parsed with libnl as the kernel's would be), and
# every "not available" with its reason: no devlink family, no devlink
# instance, legacy eswitch, no vnic reporter, a reporter without
# icm_consumption. The hook never asks devlink.
. "$(dirname "$0")/lib.sh"

make_sim
write_policy <<'EOF'
version: 1
host: { reserve: 16GiB, admission: strict }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
EOF
mapfile -t PFS < <(sim_pfs)
VF00=$(sim_vf "${PFS[0]}" 0)
VF01=$(sim_vf "${PFS[0]}" 1)
DLJSON=$ROOT/icmquota-sim/devlink.json
# vf_dl PF_INDEX VF_INDEX FIELD: the VF's devlink field from status -j
vf_dl() { json "d['pfs'][$1]['vfs'][$2]['devlink']['$3']"; }
pf_dl() { json "d['pfs'][$1]['devlink']['$2']"; }

# A guest registers memory on VF 0: 64 MRs of 64 MiB (firmware pages).
"$BIN" --config none --root "$ROOT" sim register --vf "$VF00" --bytes 64MiB \
	--buffers 64 >/dev/null || fail "sim register"

# 1. No devlink family at all (no devlink.json): status works, says why.
run status -j
expect_rc 0 "no family: status still works"
expect_eq "$(json 'd["devlink"]["available"]')" False "no family: unavailable"
expect_out "the kernel has no devlink generic netlink family" "no family: reason"
expect_eq "$(vf_dl 0 0 icm_consumption_bytes)" None "no family: VF icm unknown, not 0"
expect_eq "$(json "d['pfs'][0]['vfs'][0]['devlink']['reason'].startswith('the kernel has no devlink')")" True "no family: VF reason"
run status
expect_out "devlink (sim): not available: the kernel has no devlink" "no family: table line"

# 2. Switchdev on PF 0 (VF 1 skewed by 100 pages), legacy on PF 1.
cat >"$DLJSON" <<EOF
{"pfs": {"${PFS[0]}": {"eswitch": "switchdev", "skew_pages": {"1": 100}},
         "${PFS[1]}": {"eswitch": "legacy"}}}
EOF
run status -j
expect_rc 0 "switchdev: status"
CUR=$(json "d['pfs'][0]['vfs'][0]['cur_bytes']")
[ "$CUR" -gt 0 ] 2>/dev/null && pass || fail "VF 0 has ICM after register: $CUR"
expect_eq "$(vf_dl 0 0 icm_consumption_bytes)" "$CUR" "VF 0: icm_consumption = cur_alloc_icm"
expect_eq "$(vf_dl 0 0 fw_cur_alloc_icm_bytes)" "$CUR" "VF 0: firmware side"
expect_eq "$(vf_dl 0 0 agrees)" True "VF 0 agrees"
expect_eq "$(vf_dl 0 0 port)" "pci/${PFS[0]}/1" "VF 0 port (vport 1)"
expect_eq "$(vf_dl 0 0 vfnum)" 0 "VF 0 vfnum"
expect_eq "$(vf_dl 0 1 port)" "pci/${PFS[0]}/2" "VF 1 port"
expect_eq "$(vf_dl 0 1 vfnum)" 1 "VF 1 vfnum"
expect_eq "$(vf_dl 0 1 representor)" "simp0npf0vf1" "VF 1 representor"
expect_eq "$(vf_dl 0 1 icm_consumption_bytes)" $((100 * 4096)) "VF 1: skewed value"
expect_eq "$(vf_dl 0 1 fw_cur_alloc_icm_bytes)" 0 "VF 1: firmware 0"
expect_eq "$(vf_dl 0 1 agrees)" False "VF 1 disagrees"
expect_eq "$(json 'd["devlink"]["disagreements"]')" 1 "one disagreement"
expect_eq "$(pf_dl 0 eswitch_mode)" switchdev "PF 0 switchdev"
expect_eq "$(pf_dl 1 eswitch_mode)" legacy "PF 1 legacy"
expect_eq "$(vf_dl 1 0 icm_consumption_bytes)" None "legacy: no icm"
expect_eq "$(vf_dl 1 0 port)" None "legacy: no VF port"
expect_out "in legacy mode: VF ports and their vnic reporters exist in switchdev mode only" "legacy reason"
run status
expect_rc 0 "table"
expect_out "DISAGREES" "table: disagreement marked"
expect_out "1 VF(s) where icm_consumption and cur_alloc_icm DISAGREE" "table: summary"
expect_out "pci/${PFS[0]}/1" "table: port column"

# 3. No vnic reporter; a reporter without icm_consumption; no instance.
cat >"$DLJSON" <<EOF
{"pfs": {"${PFS[0]}": {"vnic_reporter": false}}}
EOF
run status -j
expect_out 'no \"vnic\" health reporter on port pci/'"${PFS[0]}"'/1' "no reporter reason"
expect_eq "$(vf_dl 0 0 agrees)" None "no reporter: agreement unknown"
expect_eq "$(pf_dl 1 available)" False "PF without a devlink instance"
expect_out "no devlink instance pci/${PFS[1]}" "no instance reason"
cat >"$DLJSON" <<EOF
{"pfs": {"${PFS[0]}": {"icm_consumption": false}}}
EOF
run status -j
expect_out "has no icm_consumption (Linux 6.15+" "old reporter reason"
expect_eq "$(vf_dl 0 0 port)" "pci/${PFS[0]}/1" "old reporter: port still mapped"

# 4. A broken devlink.json makes devlink unavailable, never status fail,
# and the hook (which never asks devlink) is not touched by it.
echo '[1, 2' >"$DLJSON"
run status -j
expect_rc 0 "broken devlink.json: status"
expect_out "not a JSON object" "broken devlink.json: reason"
domain_xml web-1 8 no "" "$VF01" >"$SCRATCH/web-1.xml"
"$BIN" --config none --root "$ROOT" --policy "$POLICY" \
	--state "$SCRATCH/state.json" hook libvirt qemu web-1 prepare begin - \
	<"$SCRATCH/web-1.xml" >/dev/null 2>"$SCRATCH/err"
RC=$?; ERR=$(cat "$SCRATCH/err")
expect_rc 0 "hook runs without devlink"

# A hand-edited simulation with "eswitch": null: the default (switchdev),
# not a crash.
cat >"$DLJSON" <<EOF
{"pfs": {"${PFS[0]}": {"eswitch": null}}}
EOF
run status -j
expect_rc 0 "eswitch null: status"
expect_eq "$(pf_dl 0 eswitch_mode)" switchdev "eswitch null: switchdev, the default"

# 5. --backend devx on the real kernel: firmware fails first, cleanly.
run --backend devx status
expect_rc 3 "real backend: environment error"
finish
