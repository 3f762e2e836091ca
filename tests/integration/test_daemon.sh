#!/usr/bin/env bash
# icmquota daemon against a simulated host (no libvirtd: see
# test_daemon_libvirt.sh for the real one):
#   a) a Cloud Hypervisor event stream replayed: a VMM's --event-monitor
#      file followed from its end, booted -> caps from vm.info,
#      device-removed -> the removed VF idle, shutdown -> idle; a malformed
#      event is logged and the stream goes on
#   b) drift: a hand-written register write in the simulated firmware is
#      repaired by the periodic check, logged before/after, counted
#   c) SIGHUP with a bad policy: refused, logged, the old one kept; a good
#      one: reloaded and applied
#   d) systemd: READY=1, STATUS=, WATCHDOG=1 on NOTIFY_SOCKET
#   e) a PCI uevent reaches the daemon through libudev
#   f) SIGTERM: exit 0; bad settings: exit 2; missing ch_dir: exit 3
#   g) the split a VM event and the periodic checks leave: what idle VFs
#      hold read, an overcommit said as apply says it, once per change
# check: serial (a 1 s reconcile interval races a loaded machine)
. "$(dirname "$0")/lib.sh"

make_sim
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB }
classes:
  small: { vf_cap: 1GiB }
EOF2
mapfile -t PFS < <(sim_pfs)
VF00=$(sim_vf "${PFS[0]}" 0)
VF10=$(sim_vf "${PFS[1]}" 0)
VF01=$(sim_vf "${PFS[0]}" 1)
IDLE=$((256 << 20)) SMALL=$((1 << 30))
CH=$SCRATCH/ch
mkdir -p "$CH"
sed -e "s#0000:3b:01.1#$VF00#" -e "s#0000:3b:00.7#$VF10#" \
	"$FIX/ch/created-small.json" >"$SCRATCH/small.json"
# The same VM after its second VF was unplugged.
python3 - "$SCRATCH/small.json" "$VF10" >"$SCRATCH/small-1vf.json" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1]))
d["config"]["devices"] = [x for x in d["config"]["devices"]
                          if not x["path"].rstrip("/").endswith(sys.argv[2])]
print(json.dumps(d))
EOF2

PIDS=()
DPID=""
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$SCRATCH"
}
trap cleanup EXIT
serve() { # serve SOCKET MODE BODY: a replaying CH API server
	rm -f "$1"
	python3 "$REPO/tests/chsim/ch-api-server.py" --socket "$1" --mode "$2" \
		--body "$3" --lifetime 120 >/dev/null 2>&1 &
	SERVER=$!
	PIDS+=("$SERVER")
	for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done
	fail "server on $1 did not start"
}
caps_of() { "$BIN" --config none --root "$ROOT" sim show -j | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    for f in p["functions"]:
        if f["pci"] == sys.argv[1]:
            print(f["cap_pages"] * 4096 if f["cap_pages"] != "unlimited" else "unlimited")
' "$1"; }
LOG=$SCRATCH/daemon.log
start_daemon() { # start_daemon [OPTION...]
	: >"$LOG"
	"$BIN" --config none --root "$ROOT" --policy "$POLICY" \
		--state "$SCRATCH/state.json" --lock-timeout 5 daemon \
		--connect none --ch-dir "$CH" "$@" 2>"$LOG" &
	DPID=$!
	wait_log "daemon: start:" || fail "daemon did not start: $(cat "$LOG")"
}
wait_log() { # wait_log FIXED-STRING [SECONDS]: until the log has it
	local i
	for ((i = 0; i < ${2:-10} * 20; i++)); do
		grep -qF -- "$1" "$LOG" && return 0
		kill -0 "$DPID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
# event NAME EVENT [PROPS_JSON]: one event as CH writes it (pretty, blank line)
event() {
	python3 - "$CH/$1.events" "$2" "${3:-null}" <<'EOF2'
import json, sys, time
path, ev, props = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
t = time.monotonic()
obj = {"timestamp": {"secs": int(t), "nanos": int(t % 1 * 1e9)},
       "source": "vmm" if ev == "vmm-shutdown" else "vm",
       "event": "shutdown" if ev == "vmm-shutdown" else ev,
       "properties": props}
with open(path, "a") as f:
    f.write(json.dumps(obj, indent=2) + "\n\n")
EOF2
}

# --- a) a Cloud Hypervisor event stream -------------------------------------
# What the file held before the daemon started is history: not replayed.
event small1 booting
event small1 booted
serve "$CH/small1.sock" created "$SCRATCH/small.json"
start_daemon --no-uevents --interval 3600
expect_eq "$(caps_of "$VF00")" "$SMALL" "a: the first reconcile reads the VMM over its socket"
"$BIN" --config none --root "$ROOT" --policy "$POLICY" --state "$SCRATCH/state.json" \
	vm stop small1 >/dev/null 2>&1
expect_eq "$(caps_of "$VF00")" "$IDLE" "a: stopped by hand"
sleep 0.3
if grep -q "cloud-hypervisor vm booted" "$LOG"; then
	fail "a: events written before the daemon started were replayed"
else pass; fi

kill "$SERVER"; wait "$SERVER" 2>/dev/null
serve "$CH/small1.sock" running "$SCRATCH/small.json"
event small1 booting
event small1 booted
wait_log "cloud-hypervisor vm booted: VM small1 runs with VFs $VF00,$VF10 (2 PCI devices): 2 caps written" ||
	fail "a: booted not handled: $(cat "$LOG")"
expect_eq "$(caps_of "$VF00")" "$SMALL" "a: booted: $VF00 at the class cap"
expect_eq "$(caps_of "$VF10")" "$SMALL" "a: booted: $VF10 at the class cap"
expect_eq "$(caps_of "$VF01")" "$IDLE" "a: booted: other VFs idle"

kill "$SERVER"; wait "$SERVER" 2>/dev/null
serve "$CH/small1.sock" running "$SCRATCH/small-1vf.json"
event small1 device-removed '{"id": "_vfio1", "bdf": "0000:00:05.0"}'
wait_log "cloud-hypervisor vm device-removed _vfio1: VM small1 runs with VFs $VF00 (1 PCI device): 1 cap written" ||
	fail "a: device-removed not handled: $(cat "$LOG")"
expect_eq "$(caps_of "$VF10")" "$IDLE" "a: device-removed: the unplugged VF idle"
expect_eq "$(caps_of "$VF00")" "$SMALL" "a: device-removed: the other keeps its cap"

printf '{ "timestamp": {"secs": 1}, "source": "vm", "event": 7 }\n\n' >>"$CH/small1.events"
wait_log "small1.events: event ending at byte" || fail "a: malformed event not logged"
event small1 shutdown
wait_log "cloud-hypervisor vm shutdown: VM small1 stopped: 1 cap back to idle" ||
	fail "a: shutdown not handled: $(cat "$LOG")"
expect_eq "$(caps_of "$VF00")" "$IDLE" "a: shutdown: idle"
expect_eq "$(python3 -c 'import json,sys;print([v["name"] for v in json.load(open(sys.argv[1]))["vms"]])' "$SCRATCH/state.json")" \
	"[]" "a: journal empty after shutdown"

# A VMM started after the daemon: its new file is followed from the start.
serve "$CH/late.sock" running "$SCRATCH/small.json"
event late booted
wait_log "VM late runs with VFs $VF00,$VF10" || fail "a: a new events file not followed"
event late vmm-shutdown
wait_log "cloud-hypervisor vmm shutdown: VM late stopped" || fail "a: vmm shutdown not handled"
kill -TERM "$DPID"; wait "$DPID"; RC=$?; DPID=""
ERR=$(cat "$LOG")
expect_rc 0 "a: SIGTERM: exit 0"
expect_err "daemon: Terminated: stopping" "a: says why it stops"
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
PIDS=()
rm -f "$CH"/*

# --- b) drift repaired ------------------------------------------------------
start_daemon --no-uevents --interval 1
python3 - "$ROOT" "${PFS[1]}" 1 <<'EOF2'
# A hand-run register write (as mstreg would do), straight into the
# simulated firmware's state, under its lock.
import fcntl, json, os, sys
root, pf, fid = sys.argv[1], sys.argv[2], int(sys.argv[3])
base = os.path.join(root, "icmquota-sim", "fw", pf)
with open(base + ".lock", "a") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    state = json.load(open(base + ".json"))
    [f for f in state["funcs"] if f["function_id"] == fid][0]["cap"] = 12345
    json.dump(state, open(base + ".json.tmp", "w"))
    os.rename(base + ".json.tmp", base + ".json")
EOF2
expect_eq "$(caps_of "$VF10")" $((12345 * 4096)) "b: the hand-written cap is in the firmware"
wait_log "drift repaired: VF $VF10 (PF ${PFS[1]}, idle): cap 48.2MiB -> 256.0MiB" 5 ||
	fail "b: drift not repaired: $(cat "$LOG")"
wait_log "periodic check: 8 VFs on 2 PFs, 0 VMs running, 1 cap repaired" ||
	fail "b: the check's summary: $(cat "$LOG")"
expect_eq "$(caps_of "$VF10")" "$IDLE" "b: repaired"
expect_eq "$(grep -o 'drift_repaired_total [0-9]*' "$SCRATCH/counters")" \
	"drift_repaired_total 1" "b: counted in the counters file"

# --- c) SIGHUP ----------------------------------------------------------------
cp "$POLICY" "$SCRATCH/policy.good"
printf 'version: 1\nhost: { reserve: lots }\n' >"$POLICY"
kill -HUP "$DPID"
wait_log "SIGHUP: policy refused, the previous one" ||
	fail "c: bad policy not refused: $(cat "$LOG")"
wait_log "$POLICY:2:" || fail "c: the refusal names the file and line"
sleep 1.5 # a periodic check runs with the old policy
expect_eq "$(caps_of "$VF01")" "$IDLE" "c: the old policy stays in force"
kill -0 "$DPID" 2>/dev/null && pass || fail "c: the daemon died"
sed 's/idle_vf_cap: 256MiB/idle_vf_cap: 512MiB/' "$SCRATCH/policy.good" >"$POLICY"
kill -HUP "$DPID"
wait_log "SIGHUP: policy $POLICY reloaded" || fail "c: good policy not reloaded"
wait_log "policy reloaded: 8 VFs on 2 PFs, 0 VMs running, 8 caps written" ||
	fail "c: reload not applied: $(cat "$LOG")"
expect_eq "$(caps_of "$VF01")" $((512 << 20)) "c: the new idle cap"
kill -TERM "$DPID"; wait "$DPID"; RC=$?; DPID=""
expect_rc 0 "c: SIGTERM: exit 0"

# --- d) systemd notify ----------------------------------------------------------
python3 - "$SCRATCH/notify.sock" "$SCRATCH/notify.log" <<'EOF2' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.5)
end = time.time() + 20
with open(sys.argv[2], "w") as out:
    while time.time() < end:
        try:
            out.write(s.recv(4096).decode().replace("\n", "|") + "\n")
            out.flush()
        except socket.timeout:
            pass
EOF2
PIDS+=($!)
for _ in $(seq 100); do [ -S "$SCRATCH/notify.sock" ] && break; sleep 0.05; done
NOTIFY_SOCKET=$SCRATCH/notify.sock WATCHDOG_USEC=400000 start_daemon --no-uevents
sleep 1
kill -TERM "$DPID"; wait "$DPID"; RC=$?; DPID=""
expect_rc 0 "d: exit 0 under systemd"
grep -qx "READY=1" "$SCRATCH/notify.log" && pass || fail "d: no READY=1: $(cat "$SCRATCH/notify.log")"
grep -q "^STATUS=libvirt off, [0-9]* events, [0-9]* caps written" "$SCRATCH/notify.log" && pass ||
	fail "d: no STATUS=: $(cat "$SCRATCH/notify.log")"
n=$(grep -cx "WATCHDOG=1" "$SCRATCH/notify.log")
[ "$n" -ge 3 ] && pass || fail "d: $n WATCHDOG=1 in 1 s with WatchdogSec=0.4s"
grep -qx "STOPPING=1" "$SCRATCH/notify.log" && pass || fail "d: no STOPPING=1"

# --- e) uevents through libudev ----------------------------------------------------
# A real PCI function of this machine asks for a "change" uevent: the
# daemon hears it, and sees that it is not a function of the simulated
# host's ConnectX PFs.
dev=$(ls /sys/bus/pci/devices | head -n 1)
if [ "$(id -u)" -eq 0 ] && [ -n "$dev" ] && [ -w "/sys/bus/pci/devices/$dev/uevent" ]; then
	start_daemon -v
	echo change >"/sys/bus/pci/devices/$dev/uevent"
	wait_log "daemon: uevent change $dev: not a ConnectX function" 5 && pass ||
		fail "e: uevent not heard: $(cat "$LOG")"
	kill -TERM "$DPID"; wait "$DPID"; DPID=""
else
	echo "$T_NAME: e) skipped: cannot trigger a uevent here"
fi

# --- g) the split the daemon leaves, said as apply says it, once a change -----
# An idle VF still holding 2GiB of a stopped VM's registrations (no FLR:
# the firmware keeps them past the idle cap). A VM whose caps overcommit
# the host boots: its event's split reads what the idle VF holds (not
# UNKNOWN), and the overcommit is logged once, not at every periodic
# check; a policy that fits again is said once too.
sed 's/vf_cap: 4GiB/vf_cap: 4GiB, min_vf_cap: 1GiB/' "$SCRATCH/policy.good" >"$POLICY"
domain_xml old 8 no "" "$VF01" >"$SCRATCH/old.xml"
q() { "$BIN" --config none --root "$ROOT" --policy "$POLICY" --state "$SCRATCH/state.json" "$@"; }
q vm start --libvirt-xml "$SCRATCH/old.xml" >/dev/null 2>&1 || fail "g: old starts"
q sim register --vf "$VF01" --bytes 1TiB --mrs-per-hca 1 >/dev/null 2>&1
q vm stop old >/dev/null 2>&1 || fail "g: old stops"
q status -j >"$SCRATCH/out" 2>/dev/null; OUT=$(cat "$SCRATCH/out")
HELD=$(json "[v['cur_bytes'] for p in d['pfs'] for v in p['vfs'] if v['pci']=='$VF01'][0]")
expect_eq "$HELD" $((2 << 30)) "g: the idle VF holds 2GiB (a 1TiB registration)"
start_daemon --no-uevents --interval 1
wait_log "periodic check:" 5 || fail "g: no periodic check: $(cat "$LOG")"
grep -q "overcommitted" "$LOG" && fail "g: a host that fits is said overcommitted: $(cat "$LOG")" || pass
sed 's/small: { vf_cap: 1GiB }/small: { vf_cap: 64GiB }/' "$SCRATCH/policy.good" >"$SCRATCH/policy.big"
cp "$SCRATCH/policy.big" "$POLICY"
kill -HUP "$DPID"
wait_log "SIGHUP: policy $POLICY reloaded" || fail "g: policy not reloaded"
serve "$CH/big.sock" running "$SCRATCH/small.json"
event big booted
wait_log "cloud-hypervisor vm booted: VM big runs with VFs" ||
	fail "g: booted not handled: $(cat "$LOG")"
wait_log "daemon: the host is overcommitted by" 3 ||
	fail "g: the VM event's overcommit not said: $(cat "$LOG")"
grep "daemon: the host is overcommitted by" "$LOG" | head -n 1 >"$SCRATCH/over.line"
grep -qF "idle VFs' firmware pages 2.0GiB" "$SCRATCH/over.line" && pass ||
	fail "g: the event's split reads what the idle VF holds: $(cat "$SCRATCH/over.line")"
grep -qF "lower vf_cap (policy vms/classes/defaults) or host.reserve" "$SCRATCH/over.line" && pass ||
	fail "g: the fix, as apply says it: $(cat "$SCRATCH/over.line")"
n0=$(grep -c "periodic check:" "$LOG")
for _ in $(seq 100); do
	[ "$(grep -c "periodic check:" "$LOG")" -ge $((n0 + 3)) ] && break
	sleep 0.1
done
[ "$(grep -c "periodic check:" "$LOG")" -ge $((n0 + 3)) ] && pass || fail "g: 3 more periodic checks"
expect_eq "$(grep -c "the host is overcommitted" "$LOG")" 1 "g: said once, not at every check"
cp "$SCRATCH/policy.good" "$POLICY"
kill -HUP "$DPID"
wait_log "daemon: the host is no longer overcommitted (headroom" 5 ||
	fail "g: fitting again not said: $(cat "$LOG")"
sleep 2.5
expect_eq "$(grep -c "no longer overcommitted" "$LOG")" 1 "g: said once"
kill -TERM "$DPID"; wait "$DPID"; DPID=""
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
PIDS=()
rm -f "$CH"/*

# --- f) errors ----------------------------------------------------------------------
run daemon --interval 0
expect_rc 2 "f: interval 0 is a usage error"
expect_err "interval takes seconds from 1 to 86400, not '0'" "f: says the range"
run daemon --connect none --ch-dir "$SCRATCH/nope" --no-uevents
expect_rc 3 "f: missing ch_dir: exit 3"
expect_err "ch_dir $SCRATCH/nope: cannot watch it" "f: names the directory"
printf 'version: 1\nhost: { reserve: lots }\n' >"$SCRATCH/bad.yaml"
"$BIN" --config none --root "$ROOT" --policy "$SCRATCH/bad.yaml" --state "$SCRATCH/state.json" \
	daemon --connect none --no-uevents >"$SCRATCH/out" 2>"$SCRATCH/err"
RC=$? ERR=$(cat "$SCRATCH/err")
expect_rc 1 "f: invalid policy at start: exit 1"
expect_err "daemon not started: $SCRATCH/bad.yaml:2:" "f: names the policy line"

finish
