#!/usr/bin/env bash
# apply reads its sources and the journal, then waits for the lock. What a
# hook journals meanwhile (a VM started or stopped) is newer than apply's
# sources and must survive; when nothing changed meanwhile, apply uses the
# journal it read before the lock (not parsed twice) and the result is the
# same as an apply that never waited.
. "$(dirname "$0")/lib.sh"
make_sim
write_policy <<'P'
version: 1
host: { reserve: 16GiB, admission: strict }
defaults: { vf_cap: 2GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
P
mapfile -t PFS < <(sim_pfs)
A0=$(sim_vf "${PFS[0]}" 0)
B0=$(sim_vf "${PFS[0]}" 1)
mkdir -p "$SCRATCH/vms"
domain_xml vm-a 8 no "" "$A0" >"$SCRATCH/vms/vm-a.xml"
domain_xml vm-b 8 no "" "$B0" >"$SCRATCH/b.xml"
LOCK=$ROOT/run/icmquota/lock
mkdir -p "$(dirname "$LOCK")"

run apply --libvirt-xml "$SCRATCH/vms"
expect_rc 0 "first apply"

# held_apply: apply in the background while the test holds the lock; the
# callback runs with apply waiting, then the lock is released.
held_apply() { # held_apply CALLBACK
	exec 9>"$LOCK"
	flock 9
	"$BIN" --config none --root "$ROOT" --policy "$POLICY" \
		--state "$SCRATCH/state.json" --lock-timeout 20 -v \
		apply --libvirt-xml "$SCRATCH/vms" \
		>"$SCRATCH/bg.out" 2>"$SCRATCH/bg.err" &
	local pid=$!
	# Wait until apply has the lock file open (it has read its sources
	# and the journal by then, and polls the lock).
	for _ in $(seq 500); do
		find "/proc/$pid/fd" -lname "$LOCK" 2>/dev/null | grep -q . && break
		sleep 0.01
	done
	"$1"
	flock -u 9
	exec 9>&-
	wait "$pid"
	RC=$?
	ERR=$(cat "$SCRATCH/bg.err")
	OUT=$(cat "$SCRATCH/bg.out")
}
cap_of() { # cap_of VF: the journalled cap in bytes
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print([v['cap_bytes'] for v in d['vfs'] if v['pci']==sys.argv[2]][0])" \
		"$SCRATCH/state.json" "$1"
}
vms_of() {
	python3 -c "import json,sys; print(','.join(v['name'] for v in json.load(open(sys.argv[1]))['vms']))" \
		"$SCRATCH/state.json"
}

# 1. Nothing happens meanwhile: the result is the first apply's, and no VM
#    is said to have changed.
cp "$SCRATCH/state.json" "$SCRATCH/before.json"
nothing() { :; }
held_apply nothing
expect_rc 0 "unchanged meanwhile: apply"
if grep -q "while waiting for the lock" <<<"$ERR"; then
	fail "unchanged meanwhile: no VM should be merged: $ERR"
else pass; fi
if cmp -s "$SCRATCH/before.json" "$SCRATCH/state.json"; then pass; else
	fail "unchanged meanwhile: the journal changed"; fi

# 2. A hook starts vm-b while apply waits (a different lock file stands in
#    for the hook having got the lock first). apply's sources (the XML
#    directory) do not list vm-b, but the journal does: it keeps running
#    and keeps its cap.
start_b() {
	"$BIN" --config none --root "$ROOT" --policy "$POLICY" \
		--state "$SCRATCH/state.json" --lock "$SCRATCH/other.lock" \
		hook libvirt qemu vm-b prepare begin - <"$SCRATCH/b.xml" \
		>/dev/null 2>&1 || fail "hook prepare of vm-b failed"
}
held_apply start_b
expect_rc 0 "started meanwhile: apply"
expect_err "1 VM started or stopped while waiting for the lock" "started meanwhile: said"
expect_eq "$(vms_of)" "vm-a,vm-b" "started meanwhile: vm-b kept in the journal"
expect_eq "$(cap_of "$B0")" $((2 << 30)) "started meanwhile: vm-b's VF keeps vf_cap"

# 3. A hook stops vm-a while apply waits; apply's sources (now listing
#    both VMs) were read before: vm-a is not brought back.
cp "$SCRATCH/b.xml" "$SCRATCH/vms/vm-b.xml"
stop_a() {
	"$BIN" --config none --root "$ROOT" --policy "$POLICY" \
		--state "$SCRATCH/state.json" --lock "$SCRATCH/other.lock" \
		hook libvirt qemu vm-a release end - <"$SCRATCH/vms/vm-a.xml" \
		>/dev/null 2>&1 || fail "hook release of vm-a failed"
}
held_apply stop_a
expect_rc 0 "stopped meanwhile: apply"
expect_eq "$(vms_of)" "vm-b" "stopped meanwhile: vm-a not brought back"
expect_eq "$(cap_of "$A0")" $((256 << 20)) "stopped meanwhile: vm-a's VF idle"
finish
