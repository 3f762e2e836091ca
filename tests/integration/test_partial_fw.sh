#!/usr/bin/env bash
# One PF's firmware failing must not blank the host: status, metrics and
# top show every other PF's VFs as usual and that PF's (or that VF's)
# values as unknown with the reason: text "?" and one line naming the PF
# or VF and the error, JSON null plus "reason"/"fw_error", metrics the
# series left out and icmquota_pf_firmware_up / _pf_vf_read_errors per PF;
# then exit 3 with one stderr line per problem (apply's partial result).
# Shapes: a PF whose every command fails (sim inject), a PF that answers
# its probe then fails one read (sim inject --after), a PF whose channel
# cannot be opened, and no PF answering at all.
. "$(dirname "$0")/lib.sh"

make_sim
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB }
EOF2
mapfile -t PFS < <(sim_pfs)
P0=${PFS[0]} P1=${PFS[1]}
VF00=$(sim_vf "$P0" 0) VF10=$(sim_vf "$P1" 0)
domain_xml job-1 8 no "" "$VF00" "$VF10" >"$SCRATCH/job-1.xml"
run vm start --libvirt-xml "$SCRATCH/job-1.xml"
expect_rc 0 "start job-1 (a VF on each PF)"
run apply
expect_rc 0 "idle VFs capped"
GiB4=$((4 << 30)) MiB256=$((256 << 20))
# vf_field PF_INDEX VF_INDEX FIELD (from status -j in $OUT)
vf_field() { json "d['pfs'][$1]['vfs'][$2]['$3']"; }
pf_field() { json "d['pfs'][$1]['$2']"; }

run status -j
expect_rc 0 "all PFs answer"
expect_eq "$(pf_field 0 reachable) $(pf_field 0 fw_error) $(vf_field 0 0 reason)" "True None None" "nothing unknown"

# --- 1. every command to PF0 fails (a firmware in a bad state) -------------
run sim inject --status BAD_SYS_STATE --count 1000 --pf "$P0"
expect_rc 0 "inject on PF0"
WHY="$P0: QUERY_HCA_CAP own: firmware status BAD_SYS_STATE (0x04)"
run status
expect_rc 3 "status: partial result"
expect_out "pf $P0 rdma mlx5_0 total_icm ? fw_pages 256.0MiB icm_ctrl ?" "PF0 header: ? not NO"
expect_out "  unknown: PF $P0: firmware not reachable: $WHY" "one line naming PF0 and the error"
expect_eq "$(grep -cE '^  [0-3]   [0-9a-f:.]+  \?      (job-1|\(idle\)) +\? +\? +\? +\? ' <<<"$OUT")" 4 "PF0's four VFs: ? in every firmware column"
expect_eq "$(grep -E "^  0   $VF10 " <<<"$OUT" | awk '{print $5}')" 4.0GiB "PF1's VF of job-1: its cap, as usual"
expect_eq "$(grep -E "^  1   $(sim_vf "$P1" 1) " <<<"$OUT" | awk '{print $5}')" 256.0MiB "PF1's idle VF: its cap"
expect_out "= headroom" "the split is shown"
expect_err "status: PF $P0: firmware not reachable ($WHY" "stderr: the PF and the error"
expect_err "its 4 VFs shown as unknown" "stderr: what it means"
expect_err "status: 1 problem above" "stderr: the count"
expect_eq "$(grep -c . <<<"$ERR")" 2 "stderr: one line per problem, then the count"
run status -j
expect_rc 3 "status -j: partial result"
expect_eq "$(pf_field 0 reachable) $(pf_field 0 supported) $(pf_field 0 total_icm_bytes)" "False None None" "PF0: unreachable, support unknown"
expect_eq "$(json "d['pfs'][0]['fw_error'].startswith('$WHY')")" True "PF0: fw_error"
expect_eq "$(json "[(v['cap_bytes'], v['cur_bytes'], v['max_reached_bytes']) for v in d['pfs'][0]['vfs']]")" \
	"[(None, None, None), (None, None, None), (None, None, None), (None, None, None)]" "PF0's VFs: null"
expect_eq "$(json "all(v['reason'].startswith('PF $P0: firmware not reachable: $WHY') for v in d['pfs'][0]['vfs'])")" True "PF0's VFs: reason"
expect_eq "$(json "[v['cap_bytes'] for v in d['pfs'][1]['vfs']]")" "[$GiB4, $MiB256, $MiB256, $MiB256]" "PF1's caps as programmed"
expect_eq "$(json "[v['reason'] for v in d['pfs'][1]['vfs']]")" "[None, None, None, None]" "PF1: nothing unknown"
expect_eq "$(pf_field 1 reachable)" True "PF1 reachable"
run metrics
expect_rc 3 "metrics: partial result"
expect_out "# PF $P0: firmware not reachable ($WHY" "metrics: why, as a comment"
expect_out "icmquota_pf_firmware_up{pf=\"$P0\"} 0" "metrics: PF0 down"
expect_out "icmquota_pf_firmware_up{pf=\"$P1\"} 1" "metrics: PF1 up"
expect_out "icmquota_pf_vf_read_errors{pf=\"$P0\"} 4" "metrics: PF0's 4 VFs unread"
expect_out "icmquota_pf_vf_read_errors{pf=\"$P1\"} 0" "metrics: PF1's none"
expect_eq "$(grep -c "^icmquota_vf_icm_cap_bytes{pf=\"$P0\"" <<<"$OUT")" 0 "metrics: no PF0 VF series (never 0)"
expect_out "icmquota_vf_icm_cap_bytes{pf=\"$P1\",vf=\"$VF10\",vm=\"job-1\"} $GiB4" "metrics: PF1's series"
expect_out "icmquota_host_memtotal_bytes $((256 << 30))" "metrics: the host's series"
expect_err "metrics: PF $P0: firmware not reachable" "metrics: stderr names the PF"
expect_err "metrics: 1 problem above" "metrics: the count"
expect_eq "$(grep -c . <<<"$ERR")" 2 "metrics: one line per problem, then the count"
run metrics --output "$SCRATCH/icmquota.prom"
expect_rc 3 "metrics --output: partial, written"
expect_eq "$(grep -c "^icmquota_pf_firmware_up{pf=\"$P0\"} 0$" "$SCRATCH/icmquota.prom")" 1 "the textfile has the down gauge"
run top -n 1
expect_out "pf $P0 fw_pages 256.0MiB change - unknown: firmware not reachable: $WHY" "top: the PF and the error"
expect_out "vf $VF00 vm job-1 cur ? change - cap ? hwm ? change -" "top: ? for an unreadable VF"
expect_out "vf $VF10 vm job-1 cur 0B change - cap 4.0GiB" "top: PF1 as usual"

# --- 2. PF0 answers its probe, then one VF read fails ---------------------
run status
run sim inject --status BAD_SYS_STATE --count 1 --after 3 --pf "$P0"
expect_rc 0 "inject after 3 commands"
expect_out "$P0: after 3 firmware command(s), the next 1 answer BAD_SYS_STATE (0x04)" "inject --after said"
run status -j
expect_rc 3 "one VF read failed: partial"
expect_eq "$(pf_field 0 reachable) $(pf_field 0 supported)" "True True" "PF0 answered"
BAD=$(json "[v['pci'] for v in d['pfs'][0]['vfs'] if v['reason']]")
expect_eq "$(json "len([v for v in d['pfs'][0]['vfs'] if v['cap_bytes'] is None])")" 1 "exactly one VF unknown"
expect_eq "$(json "[v['reason'] for v in d['pfs'][0]['vfs'] if v['reason']][0].startswith('reading the cap of VF ')")" True "its reason: the read"
expect_eq "$(json "'firmware status BAD_SYS_STATE (0x04)' in [v['reason'] for v in d['pfs'][0]['vfs'] if v['reason']][0]")" True "its reason: the status"
expect_eq "$(json "sorted(v['cap_bytes'] for v in d['pfs'][0]['vfs'] if v['cap_bytes'])")" \
	"$(python3 -c "print(sorted(c for c, v in zip([$GiB4, $MiB256, $MiB256, $MiB256], ['$VF00', '$(sim_vf "$P0" 1)', '$(sim_vf "$P0" 2)', '$(sim_vf "$P0" 3)']) if v not in $BAD))")" "PF0's other VFs: their caps"
run sim inject --status BAD_SYS_STATE --count 1 --after 3 --pf "$P0"
run status
expect_rc 3 "table: partial"
expect_out "icm_ctrl yes" "PF0 supported"
expect_eq "$(grep -cE '^  [0-3]   [0-9a-f:.]+  0x[0-9a-f]+ +(job-1|\(idle\)) +\? +\? +\? +\? ' <<<"$OUT")" 1 "one row of ?"
expect_out "      unknown: reading the cap of VF " "the row's reason below it"
expect_err "status: reading the cap of VF " "stderr: the VF and the error"
expect_err "status: 1 problem above" "one problem"
expect_eq "$(grep -c . <<<"$ERR")" 2 "the VF's line, then the count"
run sim inject --status BAD_SYS_STATE --count 1 --after 3 --pf "$P0"
run metrics
expect_rc 3 "metrics: one VF unread"
expect_out "icmquota_pf_firmware_up{pf=\"$P0\"} 1" "PF0 up"
expect_out "icmquota_pf_vf_read_errors{pf=\"$P0\"} 1" "one read error"
expect_eq "$(grep -c "^icmquota_vf_icm_cap_bytes{pf=\"$P0\"" <<<"$OUT")" 3 "PF0's three other VFs exported"
expect_out "# VF " "a comment for the VF"

# --- 3. PF1's channel cannot be opened ------------------------------------
mv "$ROOT/icmquota-sim/fw/$P1.json" "$SCRATCH/p1.json"
run status -j
expect_rc 3 "no channel to PF1: partial"
expect_eq "$(json "'no simulated firmware for this PF' in d['pfs'][1]['fw_error']")" True "PF1: why"
expect_eq "$(json "[v['cap_bytes'] for v in d['pfs'][0]['vfs']]")" "[$GiB4, $MiB256, $MiB256, $MiB256]" "PF0 shown as usual"
run metrics
expect_out "icmquota_pf_firmware_up{pf=\"$P1\"} 0" "PF1 down in metrics"

# --- 4. no PF answers: still a view, every PF unknown ---------------------
run sim inject --status NOT_READY --count 1000 --pf "$P0"
run status
expect_rc 3 "no PF answers: partial, not a blank host"
expect_out "icm_ctrl ?" "PFs shown"
expect_out "memory split:" "the split shown"
expect_err "status: 2 problems above" "two PFs, two problems"
expect_eq "$(grep -c . <<<"$ERR")" 3 "a line per PF, then the count"
run status -j
expect_eq "$(json "[p['reachable'] for p in d['pfs']]")" "[False, False]" "both unreachable"
expect_eq "$(json "'RESOURCE_BUSY' in d['pfs'][0]['fw_error'] or 'NOT_READY' in d['pfs'][0]['fw_error']")" True "PF0: the status it answered"
run metrics
expect_rc 3 "metrics with no PF"
expect_out "icmquota_pf_firmware_up{pf=\"$P0\"} 0" "PF0 down"
expect_out "icmquota_host_headroom_bytes" "host series still there"
mv "$SCRATCH/p1.json" "$ROOT/icmquota-sim/fw/$P1.json"
run sim inject --count 0
# apply and vm start keep their errors: nothing is programmed blind.
run status
expect_rc 0 "all answer again: exit 0"
expect_eq "$ERR" "" "and nothing on stderr"

finish
