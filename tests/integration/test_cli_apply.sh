#!/usr/bin/env bash
# plan/apply/vm start/stop/status on a simulated host: caps land in the
# simulated firmware, a second apply writes nothing, the journal follows.
. "$(dirname "$0")/lib.sh"

make_sim
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB, admission: strict }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
classes:
  gpu: { vf_cap: 8GiB }
EOF2
mapfile -t PFS < <(sim_pfs)
mapfile -t GPUS < <(sim_gpus)
VF00=$(sim_vf "${PFS[0]}" 0)
VF10=$(sim_vf "${PFS[1]}" 0)
VF01=$(sim_vf "${PFS[0]}" 1)
domain_xml train-0 64 yes gpu "$VF00" "$VF10" "${GPUS[0]}" >"$SCRATCH/train-0.xml"
domain_xml web-1 8 no "" "$VF01" >"$SCRATCH/web-1.xml"

# vm inspect: every PCI source, and which are VFs
run vm inspect --libvirt-xml "$SCRATCH/train-0.xml" -j
expect_rc 0 "inspect"
expect_eq "$(json 'd["vfs"]')" "['$VF00', '$VF10']" "inspect vfs"
expect_eq "$(json 'len(d["pci"])')" 3 "inspect pci count (GPU listed)"
expect_eq "$(json 'd["memory_bytes"]')" $((64 << 30)) "inspect memory"
expect_eq "$(json 'd["class"]')" gpu "inspect class"

# plan: nothing written; every VF wants a write (firmware default unlimited)
run plan --libvirt-xml "$SCRATCH/train-0.xml" -j
expect_rc 0 "plan"
expect_eq "$(json 'd["writes_needed"]')" 8 "plan writes needed"
expect_eq "$(json 'd["writes"]')" 0 "plan writes nothing"

# apply with a directory of XMLs and a firmware trace
mkdir "$SCRATCH/vms"; cp "$SCRATCH"/*.xml "$SCRATCH/vms/"
run --trace-fw "$SCRATCH/trace" apply --libvirt-xml "$SCRATCH/vms" -j
expect_rc 0 "apply"
expect_eq "$(json 'd["writes"]')" 8 "first apply writes 8"
expect_eq "$(json '[v["desired_cap_bytes"] for v in d["vfs"] if v["vf"]=="'$VF00'"][0]')" $((8 << 30)) "class cap"
expect_eq "$(json '[v["desired_cap_bytes"] for v in d["vfs"] if v["vf"]=="'$VF01'"][0]')" $((4 << 30)) "default cap"
expect_eq "$(json '[v["desired_cap_bytes"] for v in d["vfs"] if v["vm"] is None][0]')" $((256 << 20)) "idle cap"
# the trace alternates > and < lines, one per command
if awk 'NR%2==1 && !/^> [0-9a-f]+$/ {bad=1} NR%2==0 && !/^< [0-9a-f]+$/ {bad=1} END {exit bad}' "$SCRATCH/trace"; then pass; else fail "trace format"; fi
# the firmware holds the caps (sim show reads its state)
run sim show -j
expect_eq "$(json '[f["cap_pages"] for p in d for f in p["functions"] if f["pci"]=="'$VF00'"][0]')" $(((8 << 30) / 4096)) "firmware cap of VF00"

# second apply: zero writes (idempotent)
run apply --libvirt-xml "$SCRATCH/vms" -j
expect_rc 0 "second apply"
expect_eq "$(json 'd["writes"]')" 0 "second apply writes nothing"
# apply with no source uses the journal's VMs: still nothing to write
run apply -j
expect_eq "$(json 'd["writes"]')" 0 "journal apply writes nothing"
expect_eq "$(python3 -c 'import json,sys;print(sorted(v["name"] for v in json.load(open(sys.argv[1]))["vms"]))' "$SCRATCH/state.json")" "['train-0', 'web-1']" "journal VMs"

# vm stop: its VFs go idle; other VMs untouched
run vm stop train-0 -j
expect_rc 0 "vm stop"
expect_eq "$(json 'd["writes"]')" 2 "stop writes 2"
run sim show -j
expect_eq "$(json '[f["cap_pages"] for p in d for f in p["functions"] if f["pci"]=="'$VF00'"][0]')" $(((256 << 20) / 4096)) "stopped VF idle"
expect_eq "$(json '[f["cap_pages"] for p in d for f in p["functions"] if f["pci"]=="'$VF01'"][0]')" $(((4 << 30) / 4096)) "other VM kept"
# stop again: idempotent, fine for a VM that is not running
run vm stop train-0 -j
expect_rc 0 "second stop"
expect_eq "$(json 'd["writes"]')" 0 "second stop writes nothing"

# vm start: admission, caps, journal
run vm start --libvirt-xml "$SCRATCH/train-0.xml" -j
expect_rc 0 "vm start"
expect_eq "$(json 'd["writes"]')" 2 "start writes 2"
expect_eq "$(json 'd["split"]["fits"]')" True "start fits"

# status: PFs, VFs with VM names, every split term
run status -j
expect_rc 0 "status"
expect_eq "$(json 'len(d["pfs"])')" 2 "status PFs"
expect_eq "$(json '[v["vm"] for p in d["pfs"] for v in p["vfs"] if v["pci"]=="'$VF00'"][0]')" train-0 "status VM of VF"
expect_eq "$(json 'sorted(d["split"].keys())')" "['committed_bytes', 'fits', 'fw_pages_bytes', 'headroom_bytes', 'hugepage_pools_bytes', 'hugepage_short_sizes', 'hugepage_surplus_bytes', 'hugepage_unknown_sizes', 'hugepages', 'idle_vf_held_bytes', 'idle_vf_held_known_bytes', 'idle_vf_held_reason', 'idle_vf_held_unknown_vfs', 'mem_available_bytes', 'mem_total_bytes', 'pf_fw_pages_bytes', 'pf_fw_pages_known_bytes', 'pf_fw_pages_reason', 'pf_fw_pages_source', 'pf_fw_pages_unknown_pfs', 'reserve_bytes', 'uncapped_pfs', 'uncapped_pfs_reason', 'uncapped_vf_bytes', 'uncapped_vfs', 'uncapped_vfs_at_memtotal', 'unlimited_caps', 'unreachable_pfs', 'unreachable_why', 'vf_caps_assumed_bytes', 'vf_caps_assumed_vfs', 'vf_caps_bytes', 'vm_nonhuge_bytes']" "split terms"
# caps of running VMs: train-0 8+8, web-1 4 ; non-hugepage memory: web-1 8GiB
expect_eq "$(json 'd["split"]["vf_caps_bytes"]')" $((20 << 30)) "split VF caps"
expect_eq "$(json 'd["split"]["vm_nonhuge_bytes"]')" $((8 << 30)) "split non-hugepage VM memory"
expect_eq "$(json 'd["split"]["hugepage_pools_bytes"]')" $((128 << 30)) "split pools"
expect_eq "$(json 'd["split"]["headroom_bytes"]')" "$(json 'd["split"]["mem_total_bytes"]-d["split"]["committed_bytes"]')" "headroom arithmetic"
run status
expect_rc 0 "status table"
expect_out "headroom" "status table split"

# a reboot: VMs journalled before it no longer run, and do not block starts
mkdir -p "$ROOT/proc/sys/kernel/random"
echo 11111111-1111-1111-1111-111111111111 >"$ROOT/proc/sys/kernel/random/boot_id"
run apply -j
expect_rc 0 "apply records the boot"
echo 22222222-2222-2222-2222-222222222222 >"$ROOT/proc/sys/kernel/random/boot_id"
domain_xml new-owner 4 no "" "$VF00" >"$SCRATCH/new.xml"
run vm start --libvirt-xml "$SCRATCH/new.xml" -j
expect_rc 0 "start after reboot with a VF a stale VM held"
expect_err "no longer run: forgotten" "stale VMs said"
expect_eq "$(python3 -c 'import json,sys;print([v["name"] for v in json.load(open(sys.argv[1]))["vms"]])' "$SCRATCH/state.json")" "['new-owner']" "journal after reboot"
# ...while a VF held in this boot still is
run vm start --libvirt-xml "$SCRATCH/train-0.xml"
expect_rc 1 "VF held by a VM of this boot"
expect_err "claimed by two VMs, new-owner and train-0" "holder named"

# explain names the rule and its place in the policy file
run explain --libvirt-xml "$SCRATCH/train-0.xml"
expect_rc 0 "explain"
expect_out "class gpu (policy.yaml:5:" "explain rule position"
expect_out "not a ConnectX VF" "explain lists the GPU"

finish
