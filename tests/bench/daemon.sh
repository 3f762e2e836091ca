#!/usr/bin/env bash
# The daemon's footprint and reaction time on a simulated host (issue 11,
# item 5): RSS over N lifecycle events (default 10,000) and the time from
# an event to the cap written, each printed against its target with
# min/median/max.
#
# The events are Cloud Hypervisor's (a VMM's --event-monitor file, as CH
# writes it): "booted" (the daemon asks the VMM's API socket for vm.info,
# then programs the VM's two VFs) and "shutdown" (the VFs back to idle),
# alternating, so every event writes two caps. The VMM is
# tests/chsim/ch-api-server.py. The time is taken from the moment the
# event is appended to the file to the moment the daemon's log line saying
# the caps were written appears (after the firmware writes and the
# journal), so it includes the daemon's wake-up, the HTTP round trip, the
# lock, discovery, the firmware commands and the journal's fsync.
#
# The RSS is printed split (tests/bench/rss_split.py): the daemon's own
# memory (RssAnon: heap, stacks, library data it wrote) and the shared
# part (RssFile: pages of the binary and its libraries, one copy for every
# process mapping them), each against the 8 MiB target, with the objects
# that make up the shared part and, with libvirt, libvirt's share.
#
#   tests/bench/daemon.sh [BINARY]   (default build/icmquota; N=10000,
#   K=20 libvirt starts; RSS_DETAIL=1 lists every mapping)
set -uo pipefail
ICMQUOTA_BIN=$(realpath "${1:-${ICMQUOTA_BIN:-build/icmquota}}")
export ICMQUOTA_BIN
. "$(dirname "$0")/../integration/lib.sh"
N=${N:-10000}
SPLIT=$(dirname "$0")/rss_split.py
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$SCRATCH"
}
trap cleanup EXIT

ROOT=$SCRATCH/host
"$BIN" --config none sim init "$ROOT" --pfs 2 --vfs 8 --enabled-vfs 8 \
	--mem 512GiB --total-icm 64GiB >/dev/null || { echo "sim init failed" >&2; exit 1; }
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB }
EOF2
mapfile -t PFS < <(sim_pfs)
mkdir -p "$SCRATCH/ch"
sed -e "s#0000:3b:01.1#$(sim_vf "${PFS[0]}" 0)#" -e "s#0000:3b:00.7#$(sim_vf "${PFS[1]}" 0)#" \
	"$FIX/ch/created-small.json" >"$SCRATCH/vm.json"
python3 "$REPO/tests/chsim/ch-api-server.py" --socket "$SCRATCH/ch/bench.sock" \
	--mode running --body "$SCRATCH/vm.json" --lifetime 3600 >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -S "$SCRATCH/ch/bench.sock" ] && break; sleep 0.05; done
: >"$SCRATCH/ch/bench.events"
"$BIN" --config none --root "$ROOT" --policy "$POLICY" --state "$SCRATCH/state.json" \
	daemon --connect none --no-uevents --metrics-dir none --interval 86400 \
	--ch-dir "$SCRATCH/ch" 2>"$SCRATCH/daemon.log" &
DPID=$!
PIDS+=("$DPID")
for _ in $(seq 200); do grep -q "daemon: start:" "$SCRATCH/daemon.log" && break; sleep 0.05; done

echo "daemon bench: $BIN, simulated host 2 PFs x 8 VFs, a CH VM with 2 VFs, $N events"
python3 - "$DPID" "$SCRATCH/ch/bench.events" "$SCRATCH/daemon.log" "$N" <<'EOF2'
import json, os, statistics, sys, time

pid, events, log, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])

def status_kib(field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise SystemExit("daemon %d gone" % pid)

def rss_kib():
    return status_kib("VmRSS")

def summary(values):
    return "min %.2f / median %.2f / max %.2f" % (
        min(values), statistics.median(values), max(values))

logf = open(log)
logf.seek(0, os.SEEK_END)
out = open(events, "a")
lat = {"booted": [], "shutdown": []}
rss = [(0, rss_kib())]
anon = [(0, status_kib("RssAnon"))]
t0 = time.time()
for i in range(n):
    ev = "booted" if i % 2 == 0 else "shutdown"
    want = ("VM bench runs with VFs" if ev == "booted" else "VM bench stopped: 2 caps")
    obj = {"timestamp": {"secs": i, "nanos": 0}, "source": "vm", "event": ev,
           "properties": None}
    text = json.dumps(obj, indent=2) + "\n\n"
    start = time.perf_counter()
    out.write(text)
    out.flush()
    buf = ""
    deadline = start + 5
    while True:
        chunk = logf.read()
        if chunk:
            buf += chunk
            if want in buf:
                break
        if time.perf_counter() > deadline:
            raise SystemExit("event %d (%s): no answer in 5 s; log: %s" % (i, ev, buf[-500:]))
        time.sleep(0.0001)
    lat[ev].append((time.perf_counter() - start) * 1000)
    if "error" in buf or "cannot" in buf:
        raise SystemExit("event %d: %s" % (i, buf))
    if (i + 1) % 500 == 0:
        rss.append((i + 1, rss_kib()))
        anon.append((i + 1, status_kib("RssAnon")))
elapsed = time.time() - t0
all_lat = lat["booted"] + lat["shutdown"]
sizes = [r[1] / 1024 for r in rss]
after_warmup = [r[1] for r in rss if r[0] >= min(1000, n)]
growth = (after_warmup[-1] - after_warmup[0]) if after_warmup else 0
print("daemon: %d events in %.1f s (%.0f/s)" % (n, elapsed, n / elapsed))
own = [a[1] / 1024 for a in anon]
shared = [s - o for s, o in zip(sizes, own)]
print("daemon RSS over %d events, %d samples (MiB): whole %s; own (RssAnon) %s; shared (RssFile) %s  "
      "(target < 8 MiB: whole %s, own %s at every sample)"
      % (n, len(sizes), summary(sizes), summary(own), summary(shared),
         "met" if max(sizes) < 8 else "MISSED", "met" if max(own) < 8 else "MISSED"))
print("daemon RSS growth from event %d to %d: %+d KiB  (target flat, < 256 KiB: %s)"
      % (min(1000, n), n, growth, "met" if growth < 256 else "MISSED"))
print("event to cap, booted (vm.info + 2 caps + journal): %s ms" % summary(lat["booted"]))
print("event to cap, shutdown (2 caps + journal): %s ms" % summary(lat["shutdown"]))
p99 = sorted(all_lat)[int(len(all_lat) * 0.99) - 1]
print("event to cap, all %d: %s ms, p99 %.2f ms  (target < 10 ms: %s)"
      % (len(all_lat), summary(all_lat), p99,
         "met" if statistics.median(all_lat) < 10 else "MISSED"))
EOF2
rc=$?
[ $rc -eq 0 ] && python3 "$SPLIT" "$DPID" "daemon, CH after $N events" ${RSS_DETAIL:+--detail}
kill -TERM "$DPID"; wait "$DPID" 2>/dev/null
[ $rc -eq 0 ] || exit $rc

# --- the libvirt path: a real libvirtd and QEMU (root) ------------------------
# K starts and destroys of a small diskless domain: the time from `virsh
# start`/`destroy` returning to the daemon's log line, and the RSS with
# libvirt loaded and connected.
. "$(dirname "$0")/../integration/libvirtd.sh"
K=${K:-20}
if ! why=$(lv_can_run); then
	echo "daemon bench, libvirt: skipped: $why"
	exit 0
fi
lv_cleanup() { lv_purge icmqb-; lv_give_back; }
trap 'kill "$DPID" 2>/dev/null; lv_cleanup; cleanup' EXIT
lv_take_over && lv_start || { echo "daemon bench, libvirt: libvirtd did not start"; exit 1; }
lv_purge icmqb-
lv_domain_xml icmqb-d 64 "" >"$SCRATCH/d.xml"
lv_virsh define "$SCRATCH/d.xml" >/dev/null
: >"$SCRATCH/lv.log"
"$BIN" --config none --root "$ROOT" --policy "$POLICY" --state "$SCRATCH/state.json" 	daemon --connect "$LV_URI" --no-uevents --metrics-dir none --interval 86400 	2>"$SCRATCH/lv.log" &
DPID=$!
for _ in $(seq 200); do grep -q "daemon: start:" "$SCRATCH/lv.log" && break; sleep 0.05; done
python3 - "$DPID" "$SCRATCH/lv.log" "$K" <<'EOF2'
import statistics, subprocess, sys, time
pid, log, k = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def status_mib(field):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise SystemExit("daemon %d gone" % pid)
def summary(values):
    return "min %.2f / median %.2f / max %.2f" % (
        min(values), statistics.median(values), max(values))
f = open(log)
f.seek(0, 2)
lat, whole, own = [], [], []
for i in range(k):
    for verb, want in (("start", "libvirt domain icmqb-d started"),
                       ("destroy", "libvirt domain icmqb-d stopped")):
        subprocess.run(["virsh", "-q", "-c", "qemu:///system", verb, "icmqb-d"],
                       check=True, stdout=subprocess.DEVNULL)
        t = time.perf_counter()
        buf = ""
        while want not in buf:
            buf += f.read()
            if time.perf_counter() - t > 10:
                raise SystemExit("no %s event in 10 s: %s" % (verb, buf[-300:]))
            time.sleep(0.0002)
        lat.append((time.perf_counter() - t) * 1000)
        whole.append(status_mib("VmRSS"))
        own.append(status_mib("RssAnon"))
shared = [w - o for w, o in zip(whole, own)]
print("daemon with libvirt connected, RSS after each of %d lifecycle events (MiB): whole %s; own (RssAnon) %s; "
      "shared (RssFile) %s  (target < 8 MiB: whole %s, own %s at every sample)"
      % (2 * k, summary(whole), summary(own), summary(shared),
         "met" if max(whole) < 8 else "MISSED", "met" if max(own) < 8 else "MISSED"))
print("libvirt event to journal/caps, after virsh returned: %s ms (%d events; target < 10 ms: %s)"
      % (summary(lat), len(lat), "met" if statistics.median(lat) < 10 else "MISSED"))
EOF2
python3 "$SPLIT" "$DPID" "daemon, libvirt after $((2 * K)) events" --lib libvirt.so.0 ${RSS_DETAIL:+--detail}
