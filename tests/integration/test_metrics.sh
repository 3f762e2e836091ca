#!/usr/bin/env bash
# icmquota metrics: the Prometheus text format checked by promtool (Debian's
# prometheus package) and by value: caps, current and high-water ICM after
# a guest registered memory, +Inf for an unlimited cap, a PF without
# VHCA_ICM_CTRL and missing debugfs counters said in comments (never 0),
# memory pressure from /proc/pressure/memory, the split, counters kept
# across processes (a refused start, hook calls); the daemon's textfile.
. "$(dirname "$0")/lib.sh"

make_sim
mapfile -t PFS < <(sim_pfs)
# A second host whose second PF lacks VHCA_ICM_CTRL.
OLD_ROOT=$ROOT
ROOT=$SCRATCH/host2
"$BIN" --config none sim init "$ROOT" --pfs 2 --vfs 4 --enabled-vfs 4 \
	--mem 256GiB --total-icm 64GiB --no-icm-ctrl "${PFS[1]}" >/dev/null ||
	fail "sim init with --no-icm-ctrl"
HOST2=$ROOT
ROOT=$OLD_ROOT
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB, admission: strict }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB }
vms:
  - match: { name: "free-*" }
    vf_cap: unlimited
  - match: { name: "huge" }
    vf_cap: 60GiB
EOF2
VF00=$(sim_vf "${PFS[0]}" 0) VF01=$(sim_vf "${PFS[0]}" 1) VF10=$(sim_vf "${PFS[1]}" 0)
VF11=$(sim_vf "${PFS[1]}" 1)
if ! command -v promtool >/dev/null; then
	fail "promtool missing (apt-get install prometheus)"
	finish
	exit
fi
check_promtool() { # check_promtool FILE LABEL
	if promtool check metrics <"$1" >"$SCRATCH/promtool" 2>&1; then pass; else
		fail "$2: promtool: $(cat "$SCRATCH/promtool")"; fi
}
value() { # value FILE SERIES: the sample value of one series, exactly
	awk -v s="$2" '$1 == s { print $2; found = 1 } END { if (!found) print "absent" }' "$1"
}

run apply
expect_rc 0 "apply"
domain_xml train-0 8 no "" "$VF00" "$VF10" >"$SCRATCH/train-0.xml"
run vm start --libvirt-xml "$SCRATCH/train-0.xml"
expect_rc 0 "vm start train-0"
domain_xml free-1 8 no "" "$VF01" >"$SCRATCH/free-1.xml"
run vm start --libvirt-xml "$SCRATCH/free-1.xml"
expect_rc 0 "vm start free-1"
domain_xml huge 8 no "" "$VF11" >"$SCRATCH/huge.xml"
for i in 1 2 3 4 5; do run vm start --libvirt-xml "$SCRATCH/huge.xml"; done
expect_rc 1 "huge refused"
# The guest of train-0 registers 1 GiB on each VF: ICM is taken.
"$BIN" --config none --root "$ROOT" sim register --vf "$VF00" --bytes 1GiB >/dev/null ||
	fail "sim register"
# A hook call that acts (a stop) counts too.
"$BIN" --config none --root "$ROOT" --policy "$POLICY" --state "$SCRATCH/state.json" \
	hook libvirt qemu train-0 stopped end - <"$SCRATCH/train-0.xml" >/dev/null 2>&1 ||
	fail "hook stop"
run vm start --libvirt-xml "$SCRATCH/train-0.xml"
mkdir -p "$ROOT/proc/pressure"
printf 'some avg10=1.50 avg60=0.25 avg300=0.00 total=2500000\nfull avg10=0.50 avg60=0.00 avg300=0.00 total=1000000\n' \
	>"$ROOT/proc/pressure/memory"

run metrics
expect_rc 0 "metrics"
M=$SCRATCH/metrics.prom
echo "$OUT" >"$M"
check_promtool "$M" "metrics"
L="pf=\"${PFS[0]}\",vf=\"$VF00\",vm=\"train-0\""
expect_eq "$(value "$M" "icmquota_vf_icm_cap_bytes{$L}")" $((4 << 30)) "cap of a VM's VF"
cur=$("$BIN" --config none --root "$ROOT" sim show -j | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    for f in p["functions"]:
        if f["pci"] == sys.argv[1]:
            print(f["cur_pages"] * 4096, f["max_reached_pages"] * 4096)' "$VF00")
expect_eq "$(value "$M" "icmquota_vf_icm_current_bytes{$L}")" "${cur% *}" "current = the firmware's cur_alloc_icm"
expect_eq "$(value "$M" "icmquota_vf_icm_high_water_bytes{$L}")" "${cur#* }" "high-water = max_reached_alloc_icm"
[ "${cur% *}" -gt 0 ] && pass || fail "the registration took no ICM: $cur"
expect_eq "$(value "$M" "icmquota_vf_icm_cap_bytes{pf=\"${PFS[0]}\",vf=\"$VF01\",vm=\"free-1\"}")" "+Inf" "an unlimited cap is +Inf"
expect_eq "$(value "$M" "icmquota_vf_icm_cap_bytes{pf=\"${PFS[1]}\",vf=\"$VF11\",vm=\"\"}")" $((256 << 20)) "an idle VF: vm=\"\""
expect_eq "$(value "$M" 'icmquota_host_memory_pressure_ratio{kind="some",window="10s"}')" 0.0150 "pressure some avg10"
expect_eq "$(value "$M" 'icmquota_host_memory_pressure_stall_seconds_total{kind="full"}')" 1.000000 "pressure full total"
expect_eq "$(value "$M" 'icmquota_admissions_refused_total')" 5 "five refused starts counted across processes"
expect_eq "$(value "$M" 'icmquota_hook_calls_total')" 1 "one hook call that acted"
expect_eq "$(value "$M" 'icmquota_vms_running')" 2 "two VMs in the split"
run status -j
mt=$(json 'd["split"]["mem_total_bytes"]' 2>/dev/null || true)
hr=$(json 'd["split"]["headroom_bytes"]' 2>/dev/null || true)
[ -n "$hr" ] && expect_eq "$(value "$M" icmquota_host_headroom_bytes)" "$hr" "headroom as status says"
expect_eq "$(value "$M" "icmquota_pf_fw_pages{pf=\"${PFS[0]}\",type=\"total\"}")" \
	"$(cat "$ROOT/sys/kernel/debug/mlx5/${PFS[0]}/pages/fw_pages_total")" "fw_pages total from debugfs"

# Unknown stays unknown: a debugfs counter gone, a PF without VHCA_ICM_CTRL.
rm "$ROOT/sys/kernel/debug/mlx5/${PFS[1]}/pages/fw_pages_vfs"
run metrics
echo "$OUT" >"$M"
check_promtool "$M" "metrics with a counter missing"
expect_eq "$(value "$M" "icmquota_pf_fw_pages{pf=\"${PFS[1]}\",type=\"vfs\"}")" absent "a missing counter has no series"
expect_out "# PF ${PFS[1]}: debugfs mlx5/${PFS[1]}/pages/fw_pages_{vfs} not readable: unknown" "and a comment"
expect_eq "$(value "$M" 'icmquota_host_split_bytes{term="pf_fw_pages"}')" NaN "the split term is NaN"
mkdir -p "$SCRATCH/s2"
"$BIN" --config none --root "$HOST2" --policy "$POLICY" --state "$SCRATCH/s2/state.json" \
	metrics >"$M" 2>"$SCRATCH/err"
RC=$? ERR=$(cat "$SCRATCH/err")
expect_rc 0 "metrics with a PF lacking VHCA_ICM_CTRL"
check_promtool "$M" "metrics with a PF lacking VHCA_ICM_CTRL"
grep -q "^# PF ${PFS[1]}: no VHCA_ICM_CTRL" "$M" && pass || fail "no comment for the unsupported PF: $(grep '^#' "$M" | grep -v HELP | grep -v TYPE)"
if grep -q "vf=\"$VF10\"" "$M"; then fail "series for a VF whose cap is unknown"; else pass; fi
expect_eq "$(value "$M" 'icmquota_admissions_refused_total')" 0 "a journal without counters: 0"
run metrics --output "$SCRATCH/out.prom"
expect_rc 0 "metrics --output"
check_promtool "$SCRATCH/out.prom" "metrics --output"
run metrics -j
expect_rc 2 "metrics -j: usage"

# --- the daemon's textfile ---------------------------------------------------
mkdir -p "$SCRATCH/textfile"
"$BIN" --config none --root "$ROOT" --policy "$POLICY" --state "$SCRATCH/state.json" \
	daemon --connect none --no-uevents --metrics-dir "$SCRATCH/textfile" 2>"$SCRATCH/daemon.log" &
DPID=$!
for _ in $(seq 200); do [ -s "$SCRATCH/textfile/icmquota.prom" ] && break; sleep 0.05; done
kill -TERM "$DPID"; wait "$DPID"; RC=$?
ERR=$(cat "$SCRATCH/daemon.log")
expect_rc 0 "daemon with metrics_dir"
check_promtool "$SCRATCH/textfile/icmquota.prom" "the daemon's textfile"
expect_eq "$(value "$SCRATCH/textfile/icmquota.prom" "icmquota_vf_icm_cap_bytes{$L}")" $((4 << 30)) "textfile: cap"
expect_eq "$(ls "$SCRATCH/textfile")" icmquota.prom "textfile: no temporary left"
run daemon --connect none --no-uevents --metrics-dir "$SCRATCH/nope"
expect_rc 3 "metrics_dir missing: exit 3"
expect_err "metrics_dir $SCRATCH/nope is not a directory" "names it"
finish
