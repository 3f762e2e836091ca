#!/usr/bin/env bash
# Crash consistency (issue 8 item 11): SIGKILL apply, vm start, vm stop and
# the libvirt hook (prepare, release) at every rename, fsync, write and
# flock they make (strace's fault injection: -e inject=SC:signal=KILL:
# when=N), and, in the long run, at random syscalls; after each kill, one
# recovery `apply` and a check that the host converged:
#   caps = policy      plan finds no write left to make
#   journal = firmware every journalled VF cap is the firmware's read-back,
#                      every VF's VM is a journalled VM
#   nothing uncapped   no VF runs with an unlimited cap
#   no leftovers       no temp file of the journal survives the recovery
#
#   tests/crash/crash.sh BIN STEP RANDOM
# STEP: kill at every STEP-th flock (0: no sweep, random kills only;
# 1 = all; flocks are most of the
# syscalls, the simulated firmware locks per command), RANDOM: extra kills
# at random syscalls. Prints "crash: N passed, N failed" and the number of
# kills. make check: STEP 1, RANDOM 0 (every point: >= 200 kills); make
# crash: STEP 1, RANDOM 1800 (>= 2,000).
set -u
BIN=$(realpath "$1")
STEP=${2:-1}
RANDOM_KILLS=${3:-0}
T_NAME=crash
SCRATCH=$(mktemp -d /tmp/icmquota-crash.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT
export ASAN_OPTIONS=detect_leaks=0 # LSan cannot run under ptrace
passed=0 failed=0 kills=0
fail() { failed=$((failed + 1)); echo "FAIL [crash] $*" >&2; }

W=$SCRATCH/world
mkdir -p "$W"
"$BIN" --config none sim init "$W/host" --pfs 2 --vfs 4 --enabled-vfs 4 \
	--mem 256GiB --hugepages 1GiB:128 --host-used 8GiB --total-icm 64GiB \
	--gpus 2 >/dev/null || { echo "sim init failed"; exit 1; }
cat >"$W/p1.yaml" <<'P'
version: 1
host: { reserve: 16GiB }
defaults: { vf_cap: 2GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
P
cat >"$W/p2.yaml" <<'P'
version: 1
host: { reserve: 16GiB }
defaults: { vf_cap: 3GiB, idle_vf_cap: 512MiB, min_vf_cap: 1GiB }
P
vf() { basename "$(readlink -f "$W/host/sys/bus/pci/devices/$1/virtfn$2")"; }
PF=$(for d in "$W"/host/sys/bus/pci/devices/*; do
	[ -e "$d/sriov_totalvfs" ] && basename "$d"; done | head -1)
xml() { # xml NAME VF...
	local name=$1 d b s f
	shift
	echo "<domain type='kvm'><name>$name</name><memory unit='GiB'>4</memory>"
	echo "<memoryBacking><hugepages/></memoryBacking><devices>"
	for pci in "$@"; do
		IFS=':.' read -r d b s f <<<"$pci"
		echo "<hostdev mode='subsystem' type='pci'><source><address domain='0x$d' bus='0x$b' slot='0x$s' function='0x$f'/></source></hostdev>"
	done
	echo "</devices></domain>"
}
xml vm-a "$(vf "$PF" 0)" "$(vf "$PF" 1)" >"$W/vm-a.xml"
xml vm-b "$(vf "$PF" 2)" >"$W/vm-b.xml"
xml vm-c "$(vf "$PF" 3)" >"$W/vm-c.xml"
cat >"$W/settings" <<S
policy = $W/p1.yaml
state = $W/state.json
root = $W/host
backend = sim
S
IQ="$BIN --config none --root $W/host --state $W/state.json --lock-timeout 10"
iq() { $IQ "$@"; }
iq --policy "$W/p1.yaml" apply --connect none >/dev/null &&
	iq --policy "$W/p1.yaml" vm start --libvirt-xml "$W/vm-a.xml" >/dev/null ||
	{ echo "setup failed"; exit 1; }
cp -a "$W" "$SCRATCH/snapshot"

# The commands killed, each from the snapshot (vm-a running), with the
# policy its recovery uses.
CMDS=(
	"p2|$IQ --policy $W/p2.yaml apply --connect none"
	"p1|$IQ --policy $W/p1.yaml vm start --libvirt-xml $W/vm-b.xml"
	"p1|$IQ --policy $W/p1.yaml vm stop vm-a"
	"p2|$IQ --policy $W/p2.yaml vm start --libvirt-xml $W/vm-a.xml"
	"p1|$BIN --config $W/settings hook libvirt qemu vm-c prepare begin - <$W/vm-c.xml"
	"p1|$BIN --config $W/settings hook libvirt qemu vm-a release end - <$W/vm-a.xml"
)

restore() { rm -rf "$W" && cp -a "$SCRATCH/snapshot" "$W"; }

converged() { # converged LABEL POLICY
	local out
	if ! out=$(iq --policy "$W/$2.yaml" apply --connect none 2>&1 >/dev/null); then
		fail "$1: recovery apply failed: $out"; return
	fi
	if ! iq --policy "$W/$2.yaml" plan -j --connect none >"$SCRATCH/plan.json" 2>"$SCRATCH/plan.err"; then
		fail "$1: plan failed: $(cat "$SCRATCH/plan.err")"; return
	fi
	if ls "$W"/state.json.tmp.* >/dev/null 2>&1; then
		fail "$1: temp files left: $(ls "$W"/state.json.tmp.*)"; return
	fi
	out=$(python3 - "$SCRATCH/plan.json" "$W/state.json" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
journal = json.load(open(sys.argv[2]))
bad = []
if plan["writes_needed"] != 0:
    bad.append("caps != policy: %d writes needed" % plan["writes_needed"])
actual = {v["vf"]: v["actual_cap_bytes"] for v in plan["vfs"]}
for vf, cap in actual.items():
    if cap == "unlimited" or cap is None:
        bad.append("%s uncapped (%s)" % (vf, cap))
vms = {vm["name"] for vm in journal["vms"]}
for v in journal["vfs"]:
    if v["pci"] in actual and v["cap_bytes"] != actual[v["pci"]]:
        bad.append("journal says %s for %s, firmware %s" % (v["cap_bytes"], v["pci"], actual[v["pci"]]))
    if v["vm"] and v["vm"] not in vms:
        bad.append("%s assigned to %s, not a journalled VM" % (v["pci"], v["vm"]))
print("; ".join(bad))
PY
)
	if [ -n "$out" ]; then fail "$1: $out"; else passed=$((passed + 1)); fi
}

# kill_at LABEL POLICY CMD SYSCALL N
kill_at() {
	restore
	eval "strace -qq -o /dev/null -e trace='$4' -e inject='$4':signal=KILL:when=$5 $3" \
		>/dev/null 2>&1
	kills=$((kills + 1))
	converged "$1 killed at $4 #$5" "$2"
}

count_calls() { # count_calls CMD SYSCALL: how many a clean run makes
	restore
	eval "strace -qq -o '$SCRATCH/count' -e trace='$2' $1" >/dev/null 2>&1
	grep -c '^[a-z_0-9]*(' "$SCRATCH/count"
}

# CRASH_ONLY="0 1 2": only those commands (make check splits the sweep
# over two scripts that run in parallel).
ONLY=${CRASH_ONLY:-$(seq -s ' ' 0 $((${#CMDS[@]} - 1)))}
for idx in $ONLY; do
	entry=${CMDS[$idx]}
	[ "$STEP" -gt 0 ] || break # STEP 0: random kills only
	pol=${entry%%|*}
	cmd=${entry#*|}
	echo "crash: $(awk '{for (i = 1; i <= NF; i++) if ($i ~ /^(apply|vm|hook)$/) { print $i, $(i+1), $(i+2); exit }}' <<<"$cmd"): $(for sc in rename fsync write flock openat; do printf '%s %s ' $sc "$(count_calls "$cmd" $sc)"; done)"
	label=$(awk '{for (i = 1; i <= NF; i++) if ($i ~ /^(apply|vm|hook)$/) { print $i, $(i+1), $(i+2); exit }}' <<<"$cmd")
	for sc in rename fsync write flock openat; do
		n=$(count_calls "$cmd" "$sc")
		step=1
		[ "$sc" = flock ] && step=$STEP
		# Opens (sysfs, the journal, the lock): every third one.
		[ "$sc" = openat ] && step=3
		for ((i = 1; i <= n; i += step)); do
			kill_at "$label" "$pol" "$cmd" "$sc" "$i"
		done
	done
done

# Random kills: any syscall of the file and descriptor classes, at a
# random position within a clean run's count.
if [ "$RANDOM_KILLS" -gt 0 ]; then
	declare -A total
	for entry in "${CMDS[@]}"; do
		total[$entry]=$(count_calls "${entry#*|}" '%file,%desc')
	done
	for ((r = 0; r < RANDOM_KILLS; r++)); do
		entry=${CMDS[$((RANDOM % ${#CMDS[@]}))]}
		n=${total[$entry]}
		i=$((RANDOM % n + 1))
		kill_at "random ${entry#*|}" "${entry%%|*}" "${entry#*|}" '%file,%desc' "$i"
	done
fi

echo "crash: $kills kills"
echo "crash: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
