#!/usr/bin/env bash
# issue 8 item 12: 32 `vm start`s of different VMs and an `apply`, all at
# once, then 32 `vm stop`s and an `apply`, repeated (CONCURRENCY_ROUNDS,
# default 3): every cap and every journal entry must be right after each
# wave (no lost update: the lock serialises, the journal is read under it).
. "$(dirname "$0")/lib.sh"

ROUNDS=${CONCURRENCY_ROUNDS:-3}
ROOT=$SCRATCH/host
"$BIN" --config none sim init "$ROOT" --pfs 4 --vfs 8 --enabled-vfs 8 \
	--mem 512GiB --hugepages 1GiB:128 --host-used 8GiB --total-icm 64GiB \
	--gpus 0 >/dev/null || { echo "sim init failed" >&2; exit 1; }
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB }
defaults: { vf_cap: 2GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
classes:
  big: { vf_cap: 4GiB }
EOF2
STATE=$SCRATCH/state.json
iq() {
	"$BIN" --config none --root "$ROOT" --policy "$POLICY" --state "$STATE" \
		--lock-timeout 120 "$@"
}
vfs=()
for pf in $(sim_pfs); do
	for i in 0 1 2 3 4 5 6 7; do vfs+=("$(sim_vf "$pf" "$i")"); done
done
expect_eq "${#vfs[@]}" 32 "32 VFs"
for i in $(seq 0 31); do
	class=""
	[ $((i % 4)) -eq 0 ] && class=big
	domain_xml "cvm-$i" 1 yes "$class" "${vfs[$i]}" >"$SCRATCH/cvm-$i.xml"
done
iq apply --connect none >/dev/null

# check WAVE RUNNING(yes|no): caps and journal as they must be.
check() {
	iq plan -j --connect none >"$SCRATCH/plan.json" 2>"$SCRATCH/plan.err" ||
		{ fail "$1: plan: $(cat "$SCRATCH/plan.err")"; return; }
	local out
	out=$(python3 - "$SCRATCH/plan.json" "$STATE" "$2" "${vfs[@]}" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
journal = json.load(open(sys.argv[2]))
running = sys.argv[3] == "yes"
vfs = sys.argv[4:]
GiB, MiB = 1 << 30, 1 << 20
bad = []
if plan["writes_needed"]:
    bad.append("%d writes still needed" % plan["writes_needed"])
actual = {v["vf"]: v["actual_cap_bytes"] for v in plan["vfs"]}
jvf = {v["pci"]: v for v in journal["vfs"]}
names = sorted(vm["name"] for vm in journal["vms"])
want_names = sorted("cvm-%d" % i for i in range(32)) if running else []
if names != want_names:
    bad.append("journal VMs %s" % names)
for i, pci in enumerate(vfs):
    want = (4 * GiB if i % 4 == 0 else 2 * GiB) if running else 256 * MiB
    vm = "cvm-%d" % i if running else ""
    if actual.get(pci) != want:
        bad.append("%s cap %s, want %d" % (pci, actual.get(pci), want))
    if pci not in jvf or jvf[pci]["cap_bytes"] != want or jvf[pci]["vm"] != vm:
        bad.append("%s journal %s" % (pci, jvf.get(pci)))
print("; ".join(bad[:5]))
PY
)
	if [ -n "$out" ]; then fail "$1: $out"; else pass; fi
}

for round in $(seq 1 "$ROUNDS"); do
	pids=()
	for i in $(seq 0 31); do
		iq vm start --libvirt-xml "$SCRATCH/cvm-$i.xml" >/dev/null 2>"$SCRATCH/err-$i" &
		pids+=($!)
		[ "$i" -eq 16 ] && { iq apply --connect none >/dev/null 2>"$SCRATCH/err-apply" & pids+=($!); }
	done
	bad=0
	for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
	expect_eq "$bad" 0 "round $round: every start and the apply succeeded: $(cat "$SCRATCH"/err-* | head -3)"
	check "round $round after 32 starts + apply" yes
	pids=()
	for i in $(seq 0 31); do
		iq vm stop "cvm-$i" >/dev/null 2>"$SCRATCH/err-$i" &
		pids+=($!)
		[ "$i" -eq 8 ] && { iq apply --connect none >/dev/null 2>"$SCRATCH/err-apply" & pids+=($!); }
	done
	bad=0
	for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
	expect_eq "$bad" 0 "round $round: every stop and the apply succeeded: $(cat "$SCRATCH"/err-* | head -3)"
	check "round $round after 32 stops + apply" no
done
finish
