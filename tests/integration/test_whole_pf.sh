#!/usr/bin/env bash
# A whole ConnectX PF passed through to a guest (libvirt <hostdev> or
# <interface type='hostdev'> whose source address is a PF, a Cloud
# Hypervisor device path of a PF): the host cannot cap its firmware pages
# (VHCA_ICM_CTRL caps the functions a host PF manages). Never accepted
# silently: refused at admission under host.admission: strict (one line:
# the VM, the PF, what to do), a warning under scale and warn, and
# UNCAPPED in plan, status and explain. A PF is told from a VF by sysfs:
# vendor 0x15b3 and no physfn link (host-interfaces.md).
. "$(dirname "$0")/lib.sh"

make_sim
policy() { # policy ADMISSION
	write_policy <<EOF2
version: 1
host: { reserve: 16GiB, admission: $1 }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB }
EOF2
}
mapfile -t PFS < <(sim_pfs)
mapfile -t GPUS < <(sim_gpus)
PF=${PFS[0]}
VF10=$(sim_vf "${PFS[1]}" 0)
fw_digest() { cat "$ROOT"/icmquota-sim/fw/*.json | md5sum; }
[ -L "$ROOT/sys/bus/pci/devices/$VF10/physfn" ] && [ ! -e "$ROOT/sys/bus/pci/devices/$PF/physfn" ] &&
	pass || fail "the sim host's shape: a VF has physfn, the PF none"

domain_xml pfvm 8 no "" "$PF" "$VF10" >"$SCRATCH/pfvm.xml"
# The other libvirt shape: <interface type='hostdev'> with the PF.
cat >"$SCRATCH/pfnet.xml" <<EOF2
<domain type='kvm'><name>pfnet</name><memory unit='GiB'>8</memory>
<os><type arch='x86_64'>hvm</type></os><devices>
<interface type='hostdev' managed='yes'><mac address='52:54:00:6d:90:02'/>
<source><address type='pci' domain='0x${PF:0:4}' bus='0x${PF:5:2}' slot='0x${PF:8:2}' function='0x${PF:11:1}'/></source>
</interface></devices></domain>
EOF2
domain_xml gpuvm 8 no "" "${GPUS[0]}" "$VF10" >"$SCRATCH/gpuvm.xml"

# strict: refused, one line, nothing written.
policy strict
before=$(fw_digest)
run vm start --libvirt-xml "$SCRATCH/pfvm.xml"
expect_rc 1 "strict: a VM with a whole PF is refused"
expect_err "VM pfvm not started: $PF is a whole ConnectX PF passed through, whose firmware pages icmquota cannot cap from the host; pass one of its VFs instead (echo N > /sys/bus/pci/devices/$PF/sriov_numvfs), or set host.admission: warn" "the refusal names the VM, the PF and the fix"
expect_one_line_err "strict refusal"
expect_eq "$(fw_digest)" "$before" "no cap written"
[ ! -e "$SCRATCH/state.json" ] && pass || fail "refusal wrote a journal"
run hook libvirt qemu pfvm prepare begin - <"$SCRATCH/pfvm.xml"
expect_rc 1 "the libvirt hook refuses it at prepare"
expect_err "$PF is a whole ConnectX PF passed through" "hook: said"
run vm start --libvirt-xml "$SCRATCH/pfnet.xml"
expect_rc 1 "<interface type='hostdev'> with a PF: refused alike"
expect_err "VM pfnet not started: $PF is a whole ConnectX PF" "interface shape: said"
# Not a ConnectX PF: a GPU beside a VF is left alone, as before.
run vm start --libvirt-xml "$SCRATCH/gpuvm.xml"
expect_rc 0 "strict: a GPU is not a ConnectX PF"
expect_eq "$ERR" "" "nothing said about it"
run vm stop gpuvm

# Cloud Hypervisor: a device path of the PF.
sed -e "s#0000:3b:01.1#$VF10#" -e "s#0000:3b:00.7#$PF#" \
	"$FIX/ch/created-small.json" >"$SCRATCH/chpf.json"
grep -q "\"/sys/bus/pci/devices/$PF/\"" "$SCRATCH/chpf.json" && pass ||
	fail "the CH fixture names the PF's sysfs path"
mkdir -p "$SCRATCH/ch"
python3 "$REPO/tests/chsim/ch-api-server.py" --socket "$SCRATCH/ch/chpf.sock" \
	--mode created --body "$SCRATCH/chpf.json" --lifetime 60 \
	>"$SCRATCH/server.out" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$SCRATCH"' EXIT
for _ in $(seq 100); do [ -S "$SCRATCH/ch/chpf.sock" ] && break; sleep 0.05; done
run vm start --ch-socket "$SCRATCH/ch/chpf.sock"
expect_rc 1 "CH: a VM with the PF's device path is refused"
expect_err "VM chpf not started: $PF is a whole ConnectX PF passed through" "CH: said"

# warn: admitted, with a warning; uncapped everywhere it is shown.
policy warn
run vm start --libvirt-xml "$SCRATCH/pfvm.xml" -j
expect_rc 0 "warn: started"
expect_err "warning: VM pfvm: $PF is a whole ConnectX PF passed through: its firmware pages are UNCAPPED and not in the split (host.admission: warn); pass one of its VFs instead" "warn: the warning"
expect_eq "$(json 'd["uncapped_pfs"][0]["pci"]')" "$PF" "vm start -j: the PF uncapped"
expect_eq "$(json 'd["split"]["uncapped_pfs"]')" 1 "the split counts it as unknown"
expect_eq "$(json '[v["vf"] for v in d["vfs"]]')" "['$VF10']" "its VF is capped as usual"

run status
expect_rc 0 "status"
expect_out "pf $PF passed through whole to VM pfvm: UNCAPPED" "status table"
expect_out "- whole PFs passed through" "status split term"
run status -j
expect_eq "$(json 'd["uncapped_pfs"][0]["vm"] + " " + d["uncapped_pfs"][0]["action"]')" "pfvm uncapped" "status -j"
grep -qF "$PF in VM pfvm" <<<"$(json 'd["split"]["uncapped_pfs_reason"]')" && pass ||
	fail "status -j: the split says which PF and VM"

run plan --connect none
expect_rc 0 "plan: an uncapped PF is not a plan problem"
expect_out "(whole PF)" "plan table: a row for the PF"
grep -E "^$PF +\(whole PF\) +- +pfvm +- +- +UNCAPPED " <<<"$OUT" >/dev/null && pass ||
	fail "plan row: PCI, VM, UNCAPPED: $OUT"
expect_err "plan: warning: VM pfvm: $PF is a whole ConnectX PF passed through: UNCAPPED" "plan warns"
run apply --connect none -j
expect_rc 0 "apply: warned, exit 0 (nothing it could do)"
expect_eq "$(json 'd["uncapped_pfs"][0]["pci"]')" "$PF" "apply -j: the PF uncapped"
expect_err "apply: warning: VM pfvm: $PF is a whole ConnectX PF" "apply warns"

run explain pfvm
expect_rc 0 "explain"
expect_out "pci $PF: UNCAPPED: a whole ConnectX PF passed through" "explain says so"
run explain --libvirt-xml "$SCRATCH/pfvm.xml" -j
expect_eq "$(json 'd["uncapped_pfs"][0]["pci"]')" "$PF" "explain -j"
# Another VM starting beside it: admitted, the unknown said.
domain_xml web 4 no "" >"$SCRATCH/web.xml"
run vm start --libvirt-xml "$SCRATCH/web.xml"
expect_rc 0 "another VM starts beside pfvm"
expect_err "VM web admitted, but 1 whole PF passed through ($PF in VM pfvm) is uncapped and not in the split; the headroom may be overstated" "its admission says the split has an unknown"
run vm stop web
run vm stop pfvm
expect_rc 0 "stop"

# scale: a warning too, not a refusal.
policy scale
run vm start --libvirt-xml "$SCRATCH/pfvm.xml"
expect_rc 0 "scale: started"
expect_err "UNCAPPED and not in the split (host.admission: scale)" "scale: warned"
finish
