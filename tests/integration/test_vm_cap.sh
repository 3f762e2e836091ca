#!/usr/bin/env bash
# vm_cap: a VM's VFs on one PF share one budget through a vHCA group
# (VHCA_GROUP_ICM_CTRL). Group ids from 1..vhca_group_id_max, journalled,
# released at stop; per-VF caps still bind inside; the simulated firmware
# refuses page requests past the group's budget; the split counts a group
# once; a PF without groups keeps the per-VF cap alone and explain says so.
. "$(dirname "$0")/lib.sh"

make_sim
mapfile -t PFS < <(sim_pfs)
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB, min_vf_cap: 256MiB }
classes:
  gpu: { vf_cap: 512MiB, vm_cap: 768MiB }
EOF2
VF00=$(sim_vf "${PFS[0]}" 0)
VF01=$(sim_vf "${PFS[0]}" 1)
VF02=$(sim_vf "${PFS[0]}" 2)
VF10=$(sim_vf "${PFS[1]}" 0)
domain_xml job-1 16 yes gpu "$VF00" "$VF01" "$VF10" >"$SCRATCH/job-1.xml"
domain_xml job-2 16 yes gpu "$VF02" >"$SCRATCH/job-2.xml"
P512=$(((512 << 20) / 4096))
P768=$(((768 << 20) / 4096))

run --trace-fw "$SCRATCH/trace" vm start --libvirt-xml "$SCRATCH/job-1.xml" -j
expect_rc 0 "start job-1"
expect_eq "$(json '[(v["vf"], v["group_id"], v["vm_cap_bytes"]) for v in d["vfs"]]')" \
	"[('$VF00', 1, $((768 << 20))), ('$VF01', 1, $((768 << 20))), ('$VF10', 1, $((768 << 20)))]" "group 1 on each PF"
# the group's budget, then each VF joining it: mailboxes of the PRM layout
reg() { # reg HEXDWORDS... -> a 0x40-byte register as hex
	python3 -c 'import sys; r=bytearray(0x40)
for i,w in enumerate(sys.argv[1:]): r[4*i:4*i+4]=int(w,16).to_bytes(4,"big")
print(r.hex())' "$@"
}
grp_write="> 0b0c0000000000000000c02100000000$(reg 1 80000000 0 0 $(printf %x $P768))"
if grep -qx -- "$grp_write" "$SCRATCH/trace"; then pass; else fail "group write mailbox $grp_write"; fi
vhca00=$(json '[v["vhca_id"] for v in d["vfs"] if v["vf"]=="'$VF00'"][0]')
vf_write="> 0b0c0000000000000000c01000000000$(reg $(printf %x $((0x80000000 + vhca00))) 80000000 0 1 $(printf %x $P512))"
if grep -qx -- "$vf_write" "$SCRATCH/trace"; then pass; else fail "VF joins group 1: $vf_write"; fi
# group budget written before the VFs join it
first_grp=$(grep -n '^> 0b0c0000000000000000c021' "$SCRATCH/trace" | head -n 1 | cut -d: -f1)
first_vf=$(grep -n '^> 0b0c0000000000000000c010' "$SCRATCH/trace" | head -n 1 | cut -d: -f1)
if [ "$first_grp" -lt "$first_vf" ]; then pass; else fail "group written after a VF joined"; fi

run sim show -j
fw() { json '[f["'$2'"] for p in d for f in p["functions"] if f["pci"]=="'$1'"][0]'; }
expect_eq "$(fw "$VF00" group) $(fw "$VF01" group) $(fw "$VF10" group)" "1 1 1" "firmware groups"

# status: groups per PF, the split counts each group once:
# PF0 min(768, 512+512) + PF1 min(768, 512) = 1280MiB
run status -j
expect_rc 0 "status"
expect_eq "$(json '[(g["id"], g["vm"], g["cap_bytes"], g["vfs"]) for g in d["pfs"][0]["groups"]]')" "[(1, 'job-1', $((768 << 20)), ['$VF00', '$VF01'])]" "status groups"
expect_eq "$(json 'd["pfs"][0]["vhca_group_id_max"]')" 16 "status group max"
expect_eq "$(json 'd["split"]["vf_caps_bytes"]')" $((1280 << 20)) "group counted once"
run status
expect_out "group 1   vm job-1            2 VFs share cap 768.0MiB" "status table group line"

# the firmware enforces both: 64GiB buffers cost 32768 pages (128MiB) each
run sim register --vf "$VF00" --bytes 64GiB --buffers 5
run sim register --vf "$VF01" --bytes 64GiB --buffers 3
run sim show -j
# VF00: 4 granted (512MiB), the 5th fits the group but not its 512MiB cap
expect_eq "$(fw "$VF00" granted) $(fw "$VF00" refused) $(fw "$VF00" cur_pages)" "4 1 131072" "per-VF cap binds inside the group"
# VF01: 2 granted (group at 768MiB), the 3rd would make 896MiB > 768MiB
# although VF01 itself is at 256MiB of its 512MiB
expect_eq "$(fw "$VF01" granted) $(fw "$VF01" refused) $(fw "$VF01" cur_pages)" "2 1 65536" "group budget binds"
run status -j
expect_eq "$(json '[(g["cur_bytes"], g["max_reached_bytes"]) for g in d["pfs"][0]["groups"]]')" "[($((196608 * 4096)), $((196608 * 4096)))]" "group usage read back"

# explain shows the shared budget and its rule
run explain job-1
expect_out "shares vm_cap 768.0MiB with the VM's 2 VFs on this PF (vHCA group 1) from class gpu (policy.yaml:5:" "explain group"

# a second VM on the same PF gets the next free id; apply keeps both
run vm start --libvirt-xml "$SCRATCH/job-2.xml" -j
expect_eq "$(json '[v["group_id"] for v in d["vfs"]]')" "[2]" "second VM group 2"
run apply -j
expect_eq "$(json 'd["writes"]')" 4 "first apply: the 4 idle VFs"
run apply -j
expect_eq "$(json 'd["writes"]')" 0 "apply idempotent with groups"

# hwm reset keeps the VF in its group (PRM: the write carries the group)
run --trace-fw "$SCRATCH/trace2" hwm reset --vf "$VF00"
expect_rc 0 "hwm reset in a group"
rst="> 0b0c0000000000000000c01000000000$(reg $(printf %x $((0x80000000 + vhca00))) 20000000 0 1 0)"
if grep -qx -- "$rst" "$SCRATCH/trace2"; then pass; else fail "reset stays in group 1: $rst"; fi
run sim show -j
expect_eq "$(fw "$VF00" group)" 1 "still in group 1"

# a policy edit of vm_cap: one group write, no VF write
run --trace-fw "$SCRATCH/trace3" policy set --class gpu vm_cap 1GiB --apply -j
expect_rc 0 "set vm_cap"
expect_eq "$(grep -c '^> 0b0c0000000000000000c021' "$SCRATCH/trace3")" 3 "three group writes (2 PFs of job-1, job-2)"
expect_eq "$(grep -c '^> 0b0c0000000000000000c010' "$SCRATCH/trace3")" 0 "no VF write"

# stop: VFs leave the group (write with group 0), journal forgets it
run vm stop job-1 -j
expect_rc 0 "stop job-1"
run sim show -j
expect_eq "$(fw "$VF00" group) $(fw "$VF01" group) $(fw "$VF10" group) $(fw "$VF02" group)" "0 0 0 2" "released at stop, job-2 kept"
expect_eq "$(python3 -c 'import json,sys;print(sorted((v["pci"],v.get("group_id",0)) for v in json.load(open(sys.argv[1]))["vfs"] if v.get("group_id")))' "$SCRATCH/state.json")" "[('$VF02', 2)]" "journal groups after stop"
# restart: the freed id 1 is taken again
run vm start --libvirt-xml "$SCRATCH/job-1.xml" -j
expect_eq "$(json 'sorted({v["group_id"] for v in d["vfs"]})')" "[1]" "id 1 reused"

# a PF without groups: per-VF cap alone, explain says so (vm_cap 768MiB
# again: the drop-in's 1GiB is taken back)
run policy unset --class gpu vm_cap
expect_rc 0 "unset vm_cap"
ROOT2=$SCRATCH/host2
"$BIN" --config none sim init "$ROOT2" --pfs 2 --vfs 4 --enabled-vfs 4 --mem 256GiB \
	--hugepages 1GiB:128 --total-icm 64GiB --no-groups "${PFS[1]}" >/dev/null
ROOT_SAVE=$ROOT; ROOT=$ROOT2; mv "$SCRATCH/state.json" "$SCRATCH/state1.json"
run vm start --libvirt-xml "$SCRATCH/job-1.xml" -j
expect_rc 0 "start on a host with a group-less PF"
expect_eq "$(json '[(v["group_id"], v.get("vm_cap_note")) for v in d["vfs"] if v["vf"]=="'$VF10'"][0]')" "(None, 'PF has no vHCA groups (vhca_group_id_max 0): per-VF cap alone')" "no group on that PF"
run sim show -j
expect_eq "$(fw "$VF10" group) $(fw "$VF10" cap_pages)" "0 $P512" "per-VF cap alone"
run explain job-1
expect_out "vm_cap 768.0MiB from class gpu (policy.yaml:5:" "explain names the vm_cap"
expect_out "not used: this PF has no vHCA groups (vhca_group_id_max 0); the per-VF cap stands alone" "explain says why"
run status -j
# PF0 group min(768, 1024) + PF1 VF 512 alone
expect_eq "$(json 'd["split"]["vf_caps_bytes"]')" $((1280 << 20)) "split with a group-less PF"
ROOT=$ROOT_SAVE

finish
