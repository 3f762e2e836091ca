#!/usr/bin/env bash
# Cloud Hypervisor sockets as orchestrators lay them out (issue 7 case 5):
# Kata /run/vc/vm/<sandbox-id>/clh-api.sock, libvirt's ch driver
# /run/libvirt/ch/<name>-socket, hand-run <dir>/<name>.sock. Names are
# unique and stable; a directory source finds every layout; a VM the
# source does not see is idled only when confirmed gone.
. "$(dirname "$0")/lib.sh"

make_sim
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB }
EOF2
mapfile -t PFS < <(sim_pfs)
VA=$(sim_vf "${PFS[0]}" 0)
VB=$(sim_vf "${PFS[1]}" 0)
VC=$(sim_vf "${PFS[0]}" 1)
PIDS=()
serve() { # serve SOCKET MODE BODY
	mkdir -p "$(dirname "$1")"
	python3 "$REPO/tests/chsim/ch-api-server.py" --socket "$1" --mode "$2" \
		--body "$3" --lifetime 120 >>"$SCRATCH/server.out" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done
	fail "server on $1 did not start"
}
stop_server() { kill "${PIDS[$1]}" 2>/dev/null; wait "${PIDS[$1]}" 2>/dev/null; }
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$SCRATCH"' EXIT
caps_of() { "$BIN" --config none --root "$ROOT" sim show -j | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    for f in p["functions"]:
        if f["pci"] == sys.argv[1]:
            print(f["cap_pages"] * 4096 if f["cap_pages"] != "unlimited" else "unlimited")
' "$1"; }
body() { # body VF -> a VmInfo with that one VFIO device
	sed -e "s#0000:3b:01.1#$1#" -e '/0000:3b:00.7/d' -e 's#"id": "_vfio2" },#"id": "_vfio2" }#' \
		"$FIX/ch/created-small.json" >"$SCRATCH/body-$1.json"
	echo "$SCRATCH/body-$1.json"
}
KATA=$SCRATCH/run/vc/vm
SB1=3e7a0c9f2b1d4e5f8a6b7c8d9e0f1a2b
SB2=c41d2e8f7a6b5c4d3e2f1a0b9c8d7e6f
serve "$KATA/$SB1/clh-api.sock" running "$(body "$VA")"
serve "$KATA/$SB2/clh-api.sock" running "$(body "$VB")"
# what Kata also keeps there: never an HTTP request to it
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); import time; time.sleep(120)' \
	"$KATA/$SB1/clh.sock" & PIDS+=($!)

run vm inspect --ch-socket "$KATA/$SB1/clh-api.sock" -j
expect_rc 0 "kata: inspect"
expect_eq "$(json 'd["name"]')" "$SB1" "kata: named by its sandbox id"
run apply --ch-socket-dir "$KATA" -j
expect_rc 0 "kata: apply --ch-socket-dir /run/vc/vm"
expect_eq "$(python3 -c 'import json,sys;print(sorted(v["name"] for v in json.load(open(sys.argv[1]))["vms"]))' "$SCRATCH/state.json")" \
	"$(python3 -c 'import sys;print(sorted(sys.argv[1:]))' "$SB1" "$SB2")" "kata: both sandboxes found, two names"
expect_eq "$(caps_of "$VA")" $((4 << 30)) "kata: sandbox 1's VF capped"
expect_eq "$(caps_of "$VB")" $((4 << 30)) "kata: sandbox 2's VF capped"
run vm stop "$SB1"
expect_rc 0 "kata: stop sandbox 1"
expect_eq "$(caps_of "$VA")" $((256 << 20)) "kata: its VF idle"
expect_eq "$(caps_of "$VB")" $((4 << 30)) "kata: the other sandbox's VF keeps its cap"
run vm start --ch-socket "$KATA/$SB1/clh-api.sock"
expect_rc 0 "kata: start sandbox 1 again"

# A sandbox whose VMM does not answer (hung, or dead with its socket
# left): not confirmed gone, so not idled. It accepts and never answers,
# counting the connections: one run asks it once (each question costs
# the 5 s timeout), not once to list it and again to confirm it gone.
stop_server 0
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen()
held = []
while True:
    c, _ = s.accept(); held.append(c)
    with open(sys.argv[2], "a") as f: f.write("asked\n")
' "$KATA/$SB1/clh-api.sock.tmp" "$SCRATCH/hung-asked" & PIDS+=($!)
for _ in $(seq 100); do [ -S "$KATA/$SB1/clh-api.sock.tmp" ] && break; sleep 0.05; done
mv "$KATA/$SB1/clh-api.sock.tmp" "$KATA/$SB1/clh-api.sock"
run apply --ch-socket-dir "$KATA" -j
expect_rc 3 "unanswered: apply is a partial result (the VM's state is unknown)"
expect_eq "$(caps_of "$VA")" $((4 << 30)) "unanswered: the VF is not idled"
expect_err "not confirmed gone, kept with their caps: $SB1" "unanswered: said"
expect_err "1 VMM socket did not answer in 5s (hung?): its VM's state is unknown" "unanswered: the hung VMM named"
expect_err "apply: 1 VMM did not answer (above): every other VF was capped; run icmquota apply again once it answers" "unanswered: the closing line"
expect_eq "$(grep -c asked "$SCRATCH/hung-asked")" 1 "unanswered: the hung VMM was asked once in the run"
# The socket is gone: confirmed, idled.
rm -f "$KATA/$SB1/clh-api.sock"
run apply --ch-socket-dir "$KATA" -j
expect_rc 0 "gone: apply"
expect_eq "$(caps_of "$VA")" $((256 << 20)) "gone: idled"
expect_eq "$(python3 -c 'import json,sys;print([v["name"] for v in json.load(open(sys.argv[1]))["vms"]])' "$SCRATCH/state.json")" "['$SB2']" "gone: journal follows"

# libvirt's ch driver and hand-run sockets side by side.
LVCH=$SCRATCH/run/libvirt/ch
serve "$LVCH/web-7-socket" running "$(body "$VC")"
echo '<domstatus/>' >"$LVCH/web-7.xml"
run vm inspect --ch-socket "$LVCH/web-7-socket" -j
expect_eq "$(json 'd["name"]')" web-7 "libvirt ch: NAME-socket -> NAME"
run apply --ch-socket-dir "$LVCH" -j
expect_rc 0 "libvirt ch: apply over /run/libvirt/ch"
expect_eq "$(caps_of "$VC")" $((4 << 30)) "libvirt ch: capped"
# A source finding no VM idles only what it confirmed gone: an empty
# directory says nothing of sandbox 2 (its socket still answers).
mkdir -p "$SCRATCH/empty"
run apply --ch-socket-dir "$SCRATCH/empty" -j
expect_rc 0 "empty dir: apply"
expect_eq "$(caps_of "$VB")" $((4 << 30)) "empty dir: sandbox 2 keeps its cap"
expect_eq "$(caps_of "$VC")" $((4 << 30)) "empty dir: web-7 keeps its cap"
finish
