#!/usr/bin/env bash
# Cloud Hypervisor from the CLI: vm start/stop --ch-socket against a
# replaying API server (CH itself cannot run here), apply --ch-socket-dir,
# and libvirt and CH sources that each speak only for their own VMs.
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
mkdir -p "$SCRATCH/ch"
# the fixture, with device paths of this sim host's VFs
sed -e "s#0000:3b:01.1#$VF00#" -e "s#0000:3b:00.7#$VF10#" \
	"$FIX/ch/created-small.json" >"$SCRATCH/small.json"
PIDS=()
serve() { # serve SOCKET MODE [BODY]
	python3 "$REPO/tests/chsim/ch-api-server.py" --socket "$1" --mode "$2" \
		${3:+--body "$3"} --lifetime 60 >"$SCRATCH/server.out" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done
	fail "server on $1 did not start"
}
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$SCRATCH"' EXIT
caps_of() { "$BIN" --config none --root "$ROOT" sim show -j | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    for f in p["functions"]:
        if f["pci"] == sys.argv[1]:
            print(f["cap_pages"] * 4096 if f["cap_pages"] != "unlimited" else "unlimited")
' "$1"; }

serve "$SCRATCH/ch/small1.sock" created "$SCRATCH/small.json"
run vm inspect --ch-socket "$SCRATCH/ch/small1.sock" -j
expect_rc 0 "inspect over the CH socket"
expect_eq "$(json 'd["name"]')" small1 "name from the socket"
expect_eq "$(json 'd["class"]')" small "class from oem_strings"
expect_eq "$(json 'd["vfs"]')" "$(python3 -c "import sys; print(sorted(sys.argv[1:]))" "$VF00" "$VF10")" "VFs from device paths"

run vm start --ch-socket "$SCRATCH/ch/small1.sock" -j
expect_rc 0 "vm start --ch-socket"
expect_eq "$(caps_of "$VF00")" $((1 << 30)) "CH VM's VF capped by class"

# a libvirt source speaks for libvirt VMs only: the CH VM keeps its caps
domain_xml web 4 no "" "$VF01" >"$SCRATCH/web.xml"
run apply --libvirt-xml "$SCRATCH/web.xml" -j
expect_rc 0 "libvirt apply"
expect_eq "$(caps_of "$VF00")" $((1 << 30)) "CH VM untouched by a libvirt source"
expect_eq "$(caps_of "$VF01")" $((4 << 30)) "libvirt VM capped"
expect_eq "$(python3 -c 'import json,sys;print(sorted(v["name"] for v in json.load(open(sys.argv[1]))["vms"]))' "$SCRATCH/state.json")" "['small1', 'web']" "journal keeps both"

# apply over the socket directory: the CH VM is still running there
run apply --ch-socket-dir "$SCRATCH/ch" -j
expect_rc 0 "apply --ch-socket-dir"
expect_eq "$(json 'd["writes"]')" 0 "nothing to change"
expect_eq "$(caps_of "$VF01")" $((4 << 30)) "libvirt VM untouched by a CH source"

# the VMM goes away (shutdown, process gone): stop by the socket still works
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null
run vm stop --ch-socket "$SCRATCH/ch/small1.sock" -j
expect_rc 0 "vm stop after the VMM is gone"
expect_eq "$(caps_of "$VF00")" $((256 << 20)) "VFs back to idle"

# errors: a dead socket, a VMM with no VM, not a CH API
run vm start --ch-socket "$SCRATCH/ch/small1.sock"
expect_rc 3 "dead CH socket"
expect_err "small1.sock" "dead socket named"
expect_err "--api-socket" "dead socket fix"
expect_one_line_err "dead CH socket"
serve "$SCRATCH/novm.sock" novm
run vm start --ch-socket "$SCRATCH/novm.sock"
expect_rc 1 "no VM created yet"
expect_err "vm.create" "no VM fix"
serve "$SCRATCH/junk.sock" nothttp
run vm start --ch-socket "$SCRATCH/junk.sock"
expect_rc 1 "not a CH API"
expect_err "not a Cloud Hypervisor API" "not a CH API message"

finish
