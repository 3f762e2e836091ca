#!/usr/bin/env bash
# What the libvirt hook costs a VM start, measured against a real libvirtd
# and QEMU on this machine (root; the daemons are taken over and given back
# as tests/integration/test_libvirt_hook.sh does):
#   1. N starts and destroys of a small diskless domain without VFs, with no
#      hook installed, with an empty hook (what libvirt's running any hook
#      costs), then with the hook as packaged, qemu.d/icmquota a symlink to
#      the binary (daemon restarted between, same run): wall time of each
#      `virsh start`/`destroy`
#   1b. the same three arms interleaved in one libvirtd, round after round
#      (libvirt lists qemu.d at each call, so the hook's link is switched
#      between starts: to a file that is not executable, to /bin/true, to
#      the binary): per round the difference of each arm's start to the
#      no-hook start, so drift between rounds cancels; median and a 95 %
#      interval of the median (order statistics) against the 1 % target
#   2. the hook's five calls for that domain timed directly: the binary
#      with `hook libvirt qemu` arguments, and by the hook's path as
#      libvirtd runs it (same XML libvirt passed at each stage on stdin)
#   3. prepare and release for a domain with two VFs on a simulated host
#      (admission, the caps written, the journal), timed directly
# Prints figures; asserts nothing about speed.
#
#   tests/bench/hook.sh [BINARY]   (default build/icmquota; N=10 R=21 K=50)
set -uo pipefail
ICMQUOTA_BIN=$(realpath "${1:-${ICMQUOTA_BIN:-build/icmquota}}")
export ICMQUOTA_BIN
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/libvirtd.sh"
N=${N:-10}  # starts and destroys per arm
K=${K:-50}  # direct calls per stage
R=${R:-21}  # interleaved rounds (1b), one start of each arm per round
NAME=icmqb-plain

if ! why=$(lv_can_run); then
	echo "hook bench: cannot run libvirtd here: $why" >&2
	exit 1
fi
cleanup() {
	trap - EXIT INT TERM
	rm -f /run/icmquota-test/icmquota.conf
	lv_purge icmqb-
	lv_give_back
	rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_us() { echo "${EPOCHREALTIME/./}"; }
stats() { # stats LABEL US... : mean, median, min in ms
	python3 - "$@" <<'EOF'
import statistics, sys
label, xs = sys.argv[1], [int(x) / 1000 for x in sys.argv[2:]]
print("  %-34s median %8.2f ms  (min %8.2f, max %8.2f, mean %8.2f, n=%d)" % (
    label, statistics.median(xs), min(xs), max(xs), statistics.mean(xs), len(xs)))
EOF
}
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
median_us() { python3 -c 'import sys, statistics; print(int(statistics.median(int(a) for a in sys.argv[1:])))' "$@"; }

# --- the simulated host and the hook's settings ---------------------------
make_sim
write_policy <<'EOF'
version: 1
host: { reserve: 16GiB, admission: strict }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
EOF
cat >"$SCRATCH/icmquota.conf" <<EOF
policy = $POLICY
state = $SCRATCH/state.json
root = $ROOT
backend = sim
EOF
"$BIN" --config "$SCRATCH/icmquota.conf" apply >/dev/null ||
	{ echo "hook bench: initial apply failed" >&2; exit 1; }
mkdir -p "$SCRATCH/sbin" "$SCRATCH/xml"
# The hook as packaged: a symlink named qemu.d/icmquota to the binary. A
# build whose default settings file is HOOKCONF (Makefile: hooktest)
# stands in for /usr/sbin/icmquota: libvirtd passes no options and no
# environment, and /etc/icmquota is not ours to write.
HOOKBIN=$(dirname "$BIN")/hooktest/icmquota
HOOKCONF=/run/icmquota-test/icmquota.conf
[ -x "$HOOKBIN" ] || { echo "hook bench: $HOOKBIN missing: make bench builds it" >&2; exit 1; }
mkdir -p "$(dirname "$HOOKCONF")" "$SCRATCH/qemu.d"
cp "$SCRATCH/icmquota.conf" "$HOOKCONF"
ln -s "$HOOKBIN" "$SCRATCH/qemu.d/icmquota"
# A hook that does nothing (/bin/true): what libvirt's running of any
# hook, an exec and an exit, costs.
cp /bin/true "$SCRATCH/empty"
# A hook that only keeps the XML libvirt passes at each stage.
printf '#!/bin/sh\ncat >"%s/xml/$2.$3"\n' "$SCRATCH" >"$SCRATCH/capture"
chmod 0755 "$SCRATCH/capture" "$SCRATCH/empty"

lv_take_over || exit 1
LV_DOMTYPE=$(lv_domain_type)
lv_domain_xml "$NAME" 64 "" >"$SCRATCH/plain.xml"

arm() { # arm LABEL: N timed starts and destroys; sets START_US, STOP_US
	local i t0 t1
	START_US=() STOP_US=()
	# One untimed round: QEMU's and libvirt's first-time costs.
	lv_virsh start "$NAME" >/dev/null && lv_virsh destroy "$NAME" >/dev/null ||
		return 1
	for ((i = 0; i < N; i++)); do
		t0=$(now_us)
		lv_virsh start "$NAME" >/dev/null || return 1
		t1=$(now_us)
		START_US+=($((t1 - t0)))
		t0=$(now_us)
		lv_virsh destroy "$NAME" >/dev/null || return 1
		t1=$(now_us)
		STOP_US+=($((t1 - t0)))
	done
}

# --- 1. virsh start/destroy without and with the hook ----------------------
lv_start || exit 1
lv_purge icmqb-
lv_virsh define "$SCRATCH/plain.xml" >/dev/null || exit 1
arm || { echo "hook bench: start/destroy without hook failed" >&2; exit 1; }
start_without=("${START_US[@]}") stop_without=("${STOP_US[@]}")
lv_stop

lv_install_hook "$SCRATCH/empty"
lv_start || exit 1
arm || { echo "hook bench: start/destroy with an empty hook failed" >&2; exit 1; }
start_empty=("${START_US[@]}") stop_empty=("${STOP_US[@]}")
lv_stop

lv_install_hook "$SCRATCH/capture"
lv_start || exit 1
lv_virsh start "$NAME" >/dev/null && lv_virsh destroy "$NAME" >/dev/null
lv_stop

lv_link_hook "$HOOKBIN"
lv_start || exit 1
arm || { echo "hook bench: start/destroy with the hook failed" >&2; exit 1; }
start_with=("${START_US[@]}") stop_with=("${STOP_US[@]}")

# --- 1b. the three arms interleaved in the same libvirtd ---------------------
# libvirtd decided at its start that a qemu hook exists; at each call it
# runs whatever in qemu.d is executable then (virHookCall, src/util/
# virhook.c). A link to a file that is not executable: no process at all
# (libvirt still formats the XML and reads the directory, as with any hook
# installed). The order of the arms turns each round, so none is always
# first after a destroy.
: >"$SCRATCH/noexec"
chmod 0644 "$SCRATCH/noexec"
declare -a il_none il_empty il_icm
lv_virsh start "$NAME" >/dev/null && lv_virsh destroy "$NAME" >/dev/null ||
	{ echo "hook bench: interleaved warm-up start failed" >&2; exit 1; }
for ((r = 0; r < R; r++)); do
	for ((k = 0; k < 3; k++)); do
		a=$(((r + k) % 3))
		case $a in
		0) ln -sfn "$SCRATCH/noexec" "$LV_HOOK" ;;
		1) ln -sfn "$SCRATCH/empty" "$LV_HOOK" ;;
		2) ln -sfn "$HOOKBIN" "$LV_HOOK" ;;
		esac
		t0=$(now_us)
		lv_virsh start "$NAME" >/dev/null ||
			{ echo "hook bench: interleaved start (arm $a) failed" >&2; exit 1; }
		t1=$(now_us)
		lv_virsh destroy "$NAME" >/dev/null ||
			{ echo "hook bench: interleaved destroy failed" >&2; exit 1; }
		case $a in
		0) il_none[r]=$((t1 - t0)) ;;
		1) il_empty[r]=$((t1 - t0)) ;;
		2) il_icm[r]=$((t1 - t0)) ;;
		esac
	done
done
ln -sfn "$HOOKBIN" "$LV_HOOK"
lv_purge icmqb-
lv_stop

# --- 2. the five calls, timed directly ---------------------------------------
direct() { # direct CMD... (stdin from $XML): sets CALL_US (K runs)
	local i t0 t1
	CALL_US=()
	for ((i = 0; i < K; i++)); do
		t0=$(now_us)
		"$@" <"$XML" >/dev/null 2>&1
		t1=$(now_us)
		CALL_US+=($((t1 - t0)))
	done
}
declare -A bin_mean hook_mean
for stage in prepare.begin start.begin started.begin stopped.end release.end; do
	XML=$SCRATCH/xml/$stage
	if [ ! -s "$XML" ]; then
		echo "hook bench: libvirt passed no XML at $stage" >&2
		exit 1
	fi
	direct "$BIN" --config "$SCRATCH/icmquota.conf" hook libvirt qemu \
		"$NAME" "${stage%.*}" "${stage#*.}" -
	bin_mean[$stage]=$(median_us "${CALL_US[@]}")
	direct "$SCRATCH/qemu.d/icmquota" "$NAME" "${stage%.*}" "${stage#*.}" -
	hook_mean[$stage]=$(median_us "${CALL_US[@]}")
done
# The XML of a no-op: what exec + main + exit cost on their own.
XML=/dev/null
direct "$BIN" --version
floor=$(median_us "${CALL_US[@]}")

# --- 3. prepare and release of a VF domain on the simulated host -------------
mapfile -t PFS < <(sim_pfs)
lv_domain_xml icmqb-vf 64 "" "$(sim_vf "${PFS[0]}" 0)" "$(sim_vf "${PFS[1]}" 0)" \
	>"$SCRATCH/vf.xml"
prep_us=() rel_us=()
for ((i = 0; i < K; i++)); do
	t0=$(now_us)
	"$BIN" --config "$SCRATCH/icmquota.conf" hook libvirt qemu icmqb-vf \
		prepare begin - <"$SCRATCH/vf.xml" || exit 1
	t1=$(now_us)
	"$BIN" --config "$SCRATCH/icmquota.conf" hook libvirt qemu icmqb-vf \
		release end - <"$SCRATCH/vf.xml" || exit 1
	t2=$(now_us)
	prep_us+=($((t1 - t0)))
	rel_us+=($((t2 - t1)))
done
"$BIN" --config "$SCRATCH/icmquota.conf" --trace-fw "$SCRATCH/trace" hook \
	libvirt qemu icmqb-vf prepare begin - <"$SCRATCH/vf.xml"
prep_cmds=$(grep -c '^>' "$SCRATCH/trace")
"$BIN" --config "$SCRATCH/icmquota.conf" --trace-fw "$SCRATCH/trace" hook \
	libvirt qemu icmqb-vf release end - <"$SCRATCH/vf.xml"
rel_cmds=$(grep -c '^>' "$SCRATCH/trace")

# --- 4. the calls of a VM start on the largest host shape ---------------------
# 8 PFs x 127 VFs with 126 VMs of 8 VFs journalled (one VF per NIC, as
# tests/bench/apply.sh builds it): a new VM with 8 VFs, each call K times.
# What a hook call costs grows with the host: the journal, the PFs.
FROOT=$SCRATCH/fleet
"$BIN" --config none sim init "$FROOT" --pfs 8 --vfs 127 --enabled-vfs 127 \
	--mem 4TiB --hugepages 1GiB:3072 >/dev/null || exit 1
mkdir -p "$SCRATCH/fleet-vms"
python3 "$REPO/tests/bench/fleet_vms.py" "$FROOT" "$SCRATCH/fleet-vms" 127 \
	"$SCRATCH/fleet-new.xml"
# The apply bench's policy: 127 VMs x 8 VFs at 512 MiB fit 4 TiB.
cat >"$SCRATCH/fleet-policy.yaml" <<'EOF'
version: 1
host: { reserve: 32GiB, admission: strict }
defaults: { vf_cap: 512MiB, idle_vf_cap: 256MiB, min_vf_cap: 256MiB }
EOF
cat >"$SCRATCH/fleet.conf" <<EOF
policy = $SCRATCH/fleet-policy.yaml
state = $SCRATCH/fleet-state.json
root = $FROOT
backend = sim
EOF
"$BIN" --config "$SCRATCH/fleet.conf" apply --libvirt-xml "$SCRATCH/fleet-vms" \
	>/dev/null || { echo "hook bench: fleet apply failed" >&2; exit 1; }
declare -A fleet_us fleet_cpu
for stage in prepare.begin start.begin started.begin release.end; do
	w=() c=()
	for ((i = 0; i < K; i++)); do
		# timed.py: microseconds (bash's time prints milliseconds)
		out=$(python3 "$REPO/tests/bench/timed.py" "$BIN" --config "$SCRATCH/fleet.conf" \
			hook libvirt qemu vm-new "${stage%.*}" "${stage#*.}" - \
			<"$SCRATCH/fleet-new.xml" 2>/dev/null)
		read -r wu cu <<<"$out"
		w+=("$wu") c+=("$cu")
	done
	fleet_us[$stage]="${w[*]}" fleet_cpu[$stage]="${c[*]}"
done

# --- figures -------------------------------------------------------------------
echo "hook bench: $(basename "$BIN") ($BIN), libvirt $(virsh --version), domain type $LV_DOMTYPE, N=$N K=$K"
echo "1. virsh on a 64 MiB diskless domain without VFs (wall time per command)"
stats "start, no hook" "${start_without[@]}"
stats "start, empty hook (/bin/true)" "${start_empty[@]}"
stats "start, icmquota hook" "${start_with[@]}"
stats "destroy, no hook" "${stop_without[@]}"
stats "destroy, empty hook (/bin/true)" "${stop_empty[@]}"
stats "destroy, icmquota hook" "${stop_with[@]}"
python3 - "$(median_us "${start_without[@]}")" "$(median_us "${start_empty[@]}")" \
	"$(median_us "${start_with[@]}")" "$(median_us "${stop_without[@]}")" \
	"$(median_us "${stop_empty[@]}")" "$(median_us "${stop_with[@]}")" <<'EOF'
import sys
s0, se, s1, d0, de, d1 = (int(x) / 1000 for x in sys.argv[1:])
print("  icmquota hook vs no hook: start %+.1f ms (%+.1f%%), destroy %+.1f ms (%+.1f%%)"
      % (s1 - s0, 100 * (s1 - s0) / s0, d1 - d0, 100 * (d1 - d0) / d0))
print("  icmquota hook vs empty hook: start %+.1f ms (%+.1f%%), destroy %+.1f ms (%+.1f%%)"
      % (s1 - se, 100 * (s1 - se) / se, d1 - de, 100 * (d1 - de) / de))
EOF
echo "1b. the same arms interleaved in one libvirtd, $R rounds (hook link switched between starts)"
python3 - "${il_none[*]}" "${il_empty[*]}" "${il_icm[*]}" <<'EOF'
import math, statistics, sys
none, empty, icm = ([int(x) / 1000 for x in a.split()] for a in sys.argv[1:])
n = len(none)
def interval(d):
    # A 95 % interval of a median from order statistics (the sign test):
    # ranks n/2 -/+ 0.98 sqrt(n).
    d = sorted(d)
    lo = max(0, math.floor(n / 2 - 0.98 * math.sqrt(n)))
    hi = min(n - 1, math.ceil(n / 2 + 0.98 * math.sqrt(n)) - 1)
    return statistics.median(d), d[lo], d[hi]
base = statistics.median(none)
print("  start, hook not executable        median %8.2f ms  (min %8.2f, max %8.2f)"
      % (base, min(none), max(none)))
for label, arm in (("empty hook (/bin/true)", empty), ("icmquota hook", icm)):
    print("  start, %-26s median %8.2f ms  (min %8.2f, max %8.2f)"
          % (label, statistics.median(arm), min(arm), max(arm)))
for label, a, b in (("empty hook - none", empty, none),
                    ("icmquota hook - none", icm, none),
                    ("icmquota hook - empty hook", icm, empty)):
    m, lo, hi = interval([x - y for x, y in zip(a, b)])
    print("  per round, %-27s median %+6.2f ms = %+5.2f%%  (95%% interval %+6.2f to %+6.2f ms)"
          % (label, m, 100 * m / base, lo, hi))
m, lo, hi = interval([x - y for x, y in zip(icm, none)])
verdict = ("PASS" if 100 * hi / base < 1 else
           "FAIL" if 100 * lo / base >= 1 else "not resolved at this noise")
print("  the hook's cost to a start, interleaved: %+.2f ms = %+.2f%% of %.0f ms"
      " (interval %+.2f to %+.2f%%)  target < 1 %%: %s"
      % (m, 100 * m / base, base, 100 * lo / base, 100 * hi / base, verdict))
EOF
echo "2. the hook's calls for that domain, timed directly (median of $K, fork+exec included)"
total_bin=0 total_hook=0 start_hook=0
for stage in prepare.begin start.begin started.begin stopped.end release.end; do
	printf '  %-16s binary %6s ms   as the hook (qemu.d link) %6s ms\n' \
		"${stage/./ }" "$(ms "${bin_mean[$stage]}")" "$(ms "${hook_mean[$stage]}")"
	total_bin=$((total_bin + bin_mean[$stage]))
	total_hook=$((total_hook + hook_mean[$stage]))
	case $stage in prepare.* | start.* | started.*)
		start_hook=$((start_hook + hook_mean[$stage])) ;;
	esac
done
printf '  %-16s binary %6s ms   as the hook (qemu.d link) %6s ms\n' "all five" \
	"$(ms "$total_bin")" "$(ms "$total_hook")"
printf '  icmquota --version alone: %s ms (exec, dynamic linking, exit)\n' \
	"$(ms "$floor")"
python3 - "$start_hook" "$(median_us "${start_without[@]}")" <<'EOF'
import sys
hook, start = (int(x) / 1000 for x in sys.argv[1:])
pct = 100 * hook / start
print("  the three calls of a start: %.2f ms = %.2f%% of a %.0f ms virsh start"
      "  target < 1 %%: %s" % (hook, pct, start, "PASS" if pct < 1 else "FAIL"))
EOF
echo "3. a domain with two VFs on the simulated host, timed directly (K=$K)"
stats "prepare begin (2 caps written)" "${prep_us[@]}"
stats "release end (2 caps reset)" "${rel_us[@]}"
echo "  firmware commands: prepare $prep_cmds, release $rel_cmds (sim backend; a real NIC adds its command latency to each)"
echo "4. a VM with 8 VFs starting on 8 PFs x 127 VFs with 126 VMs journalled, timed directly (K=$K)"
fstart=0
for stage in prepare.begin start.begin started.begin release.end; do
	# shellcheck disable=SC2086
	stats "${stage/./ } wall" ${fleet_us[$stage]}
	# shellcheck disable=SC2086
	stats "${stage/./ } cpu" ${fleet_cpu[$stage]}
	case $stage in release.*) ;; *)
		# shellcheck disable=SC2086
		fstart=$((fstart + $(median_us ${fleet_us[$stage]}))) ;;
	esac
done
python3 - "$fstart" "$(median_us "${start_without[@]}")" <<'EOF'
import sys
hook, start = (int(x) / 1000 for x in sys.argv[1:])
print("  the three calls of a start at this scale: %.2f ms = %.2f%% of the %.0f ms virsh start above"
      "  target < 1 %%: %s" % (hook, 100 * hook / start, start,
                               "PASS" if hook < start / 100 else "FAIL"))
EOF
