#!/usr/bin/env bash
# One PF's firmware does not answer (sim inject BAD_PARAM on every
# command): what admission, the split, apply and policy validate say must
# be true and name that PF. Admission: the caps of running VMs' VFs on it
# are ASSUMED at the policy's cap (not read back), the refusal names the
# PF, its error and says to fix it first. apply: one problem for the PF
# with the VFs left unchecked, and "every VF on the other PFs was capped".
# policy validate: one warning per PF whose caps were not checked, exit 3
# (a partial result), 0 with --no-host.
. "$(dirname "$0")/lib.sh"

ROOT=$SCRATCH/host
"$BIN" --config none sim init "$ROOT" --pfs 2 --vfs 4 --enabled-vfs 4 \
	--mem 64GiB --total-icm 64GiB >/dev/null || { echo "sim init failed" >&2; exit 1; }
write_policy <<'EOF2'
version: 1
host: { reserve: 8GiB, admission: scale }
defaults: { vf_cap: 16GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
EOF2
mapfile -t PFS < <(sim_pfs)
P0=${PFS[0]} P1=${PFS[1]}
VA0=$(sim_vf "$P0" 0) VA1=$(sim_vf "$P0" 1) VB=$(sim_vf "$P1" 0)
domain_xml a 4 no "" "$VA0" "$VA1" >"$SCRATCH/a.xml"
domain_xml b 24 no "" "$VB" >"$SCRATCH/b.xml"
run vm start --libvirt-xml "$SCRATCH/a.xml"
expect_rc 0 "start a (two VFs on PF0)"
run apply
expect_rc 0 "idle VFs capped"
run sim inject --status BAD_PARAM --count 1000 --pf "$P0"
expect_rc 0 "PF0's firmware fails"
WHY="$P0: QUERY_HCA_CAP own: firmware status BAD_PARAM (0x03), syndrome 0x51d00014"

# --- 1. admission: the assumed term and the PF named -----------------------
run vm start --libvirt-xml "$SCRATCH/b.xml"
expect_rc 1 "b refused"
expect_err "VF caps 33.0GiB (32.0GiB of it ASSUMED: 2 VFs on PF $P0, which did not answer, counted at the policy's cap, not read back)" "refusal: the caps term says what is assumed"
expect_err "; PF $P0 did not answer ($WHY), so the split is not all known: fix or reset that PF (icmquota doctor; a firmware reset or a reboot) or wait until it answers; else lower host.reserve or defaults.min_vf_cap, or stop a VM" "refusal: names the PF and its error, fix it first"
expect_one_line_err "refusal: one line"
run status
expect_rc 3 "status: partial (text)"
expect_out "  - VF caps of running VMs           32.0GiB (32.0GiB of it ASSUMED: 2 VFs on PF $P0, which did not answer, counted at the policy's cap, not read back)" "status split: the assumed term"
expect_out "  note: PF $P0 did not answer ($WHY), so the split is not all known" "status split: the PF named"
run status -j
expect_rc 3 "status -j: partial"
expect_eq "$(json "(d['split']['vf_caps_assumed_bytes'], d['split']['vf_caps_assumed_vfs'], d['split']['unreachable_pfs'], d['split']['unreachable_why'])")" \
	"($((32 << 30)), 2, 1, '$WHY')" "status -j: assumed bytes, VFs, the PF's error"

# --- 2. apply: one line for the PF, the rest said truthfully ----------------
sed -i 's/idle_vf_cap: 256MiB/idle_vf_cap: 512MiB/' "$POLICY"
run apply
expect_rc 3 "apply: partial"
expect_err "apply: PF $P0 cannot be reached ($WHY): its 4 VFs left unchecked and uncapped ($VA0 of VM a, $VA1 of VM a; 2 idle)" "apply: one problem naming the PF, the error, the VFs"
expect_err "apply: 1 problem above; every VF on the other PFs was capped (fix them, then run icmquota apply again)" "apply: the rest said truthfully"
expect_eq "$(grep -c . <<<"$ERR")" 2 "apply: the problem, then the count"
expect_out "$(sim_vf "$P1" 1)  $P1  0x1c1  (idle)           512.0MiB   512.0MiB   written" "apply: PF1's idle VF capped"
run status
expect_rc 3 "status: partial"
expect_eq "$(grep -c . <<<"$ERR")" 2 "status: the PF's line once (not again from the plan), then the count"

# --- 3. policy validate: one warning per PF unchecked, exit 3 --------------
cat >>"$POLICY" <<EOF2
devices: { "$P1": { vf_cap: 100GiB } }
EOF2
run policy validate
expect_rc 1 "PF1 answers: its cap above total ICM is an error"
run sim inject --status BAD_PARAM --count 1000 --pf "$P1"
run sim inject --count 0 --pf "$P0"
WHY1="$P1: QUERY_HCA_CAP own: firmware status BAD_PARAM (0x03), syndrome 0x51d00014"
run policy validate
expect_rc 3 "PF1 silent: partial result"
expect_err "icmquota: warning: PF $P1: caps not checked against its total ICM: its firmware did not answer ($WHY1)" "validate: the PF and its error"
expect_err "icmquota: policy validate: 1 PF not checked (warning above): a partial result; fix or reset that PF, or use --no-host to check syntax and semantics only" "validate: why 3"
expect_eq "$(grep -c . <<<"$ERR")" 2 "validate: one warning, one count"
expect_out "valid as far as checked (1 file, 0 classes, 0 vms rules, 1 device rules; caps checked against 1 of 2 PFs; host checked)" "validate: what was checked"
run sim inject --status BAD_PARAM --count 1000 --pf "$P0"
run policy validate
expect_rc 3 "both PFs silent: partial result"
expect_err "icmquota: warning: PF $P0: caps not checked against its total ICM: its firmware did not answer ($WHY)" "validate: PF0 named"
expect_err "icmquota: warning: PF $P1: caps not checked against its total ICM: its firmware did not answer ($WHY1)" "validate: PF1 named"
expect_err "icmquota: policy validate: 2 PFs not checked (warnings above)" "validate: the count"
expect_eq "$(grep -c . <<<"$ERR")" 3 "validate: a line per PF, then the count"
run policy validate -j
expect_rc 3 "validate -j: partial"
expect_eq "$(json "(d['valid'], len(d['pfs_not_checked']))")" "(True, 2)" "validate -j: valid so far, 2 PFs unchecked"
run policy validate --no-host
expect_rc 0 "--no-host: syntax and semantics only"
expect_eq "$ERR" "" "--no-host: nothing on stderr"
finish
