#!/usr/bin/env bash
# PCI domains wider than 16 bits (issue 7 case 4): ConnectX PFs behind
# Intel VMD at domain 10000, a VM that also passes an NVMe at 10001.
# Discovery, domain XML, the policy's devices, the journal, sim register
# and status all carry the 32-bit domain as sysfs writes it.
. "$(dirname "$0")/lib.sh"

make_sim --pf-domain 10000
mapfile -t PFS < <(sim_pfs)
expect_eq "${PFS[*]}" "10000:0c:00.0 10000:2a:00.0" "sim: PFs at domain 10000"
write_policy <<EOF2
version: 1
host: { reserve: 16GiB, admission: strict }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB }
devices:
  "10000:2a:00.0": { vf_cap: 2GiB }
EOF2
VF0=$(sim_vf "${PFS[0]}" 0)
VF1=$(sim_vf "${PFS[1]}" 1)
expect_eq "$VF0 $VF1" "10000:0c:00.1 10000:2a:00.2" "sim: VFs at domain 10000"
# An NVMe behind the second VMD domain (not a ConnectX device).
nvme=$ROOT/sys/devices/pci10001:00/10001:00:02.0/10001:01:00.0
mkdir -p "$nvme"
echo 0x8086 >"$nvme/vendor"
echo 0x0a54 >"$nvme/device"
ln -s ../../../devices/pci10001:00/10001:00:02.0/10001:01:00.0 \
	"$ROOT/sys/bus/pci/devices/10001:01:00.0"
domain_xml vmd-1 64 no "" "$VF0" "$VF1" 10001:01:00.0 >"$SCRATCH/vmd-1.xml"
grep -q "domain='0x10001'" "$SCRATCH/vmd-1.xml" && pass || fail "fixture shape"

run vm inspect --libvirt-xml "$SCRATCH/vmd-1.xml" -j
expect_rc 0 "inspect: a 32-bit domain is a PCI address"
expect_eq "$(json 'd["pci"]')" "['10000:0c:00.1', '10000:2a:00.2', '10001:01:00.0']" "inspect: normalised, sysfs form"
expect_eq "$(json 'd["vfs"]')" "['10000:0c:00.1', '10000:2a:00.2']" "inspect: the VFs behind VMD"

run apply -j
expect_rc 0 "apply: every VF idle"
run vm start --libvirt-xml "$SCRATCH/vmd-1.xml" -j
expect_rc 0 "start: not refused for the NVMe's domain"
run sim show -j
expect_eq "$(json '[f["cap_pages"] for p in d for f in p["functions"] if f["pci"]=="10000:0c:00.1"][0]')" $(((4 << 30) / 4096)) "firmware: default cap on 10000:0c:00.1"
expect_eq "$(json '[f["cap_pages"] for p in d for f in p["functions"] if f["pci"]=="10000:2a:00.2"][0]')" $(((2 << 30) / 4096)) "firmware: devices cap of PF 10000:2a:00.0"
expect_eq "$(python3 -c 'import json,sys;print(sorted(json.load(open(sys.argv[1]))["vms"][0]["pci"]))' "$SCRATCH/state.json")" \
	"['10000:0c:00.1', '10000:2a:00.2', '10001:01:00.0']" "journal: the addresses as sysfs names them"
run apply -j
expect_rc 0 "apply from the journal"
expect_eq "$(json 'd["writes"]')" 0 "apply: idempotent (journal re-read)"
run status -j
expect_rc 0 "status"
expect_out "10000:0c:00.1" "status: lists the VF"
run sim register --vf 10000:0c:00.1 --bytes 1GiB -j
expect_rc 0 "sim register: 32-bit domain on the command line"
run vm stop vmd-1 -j
expect_rc 0 "stop"
run sim show -j
expect_eq "$(json '[f["cap_pages"] for p in d for f in p["functions"] if f["pci"]=="10000:0c:00.1"][0]')" $(((256 << 20) / 4096)) "stop: idle cap back"

run sim init "$SCRATCH/bad" --pf-domain 100000000
expect_rc 2 "sim init: a domain above 32 bits is a usage error"
expect_err "--pf-domain '100000000'" "sim init: names the value"
finish
