#!/usr/bin/env bash
# hwm reset on a simulated host: the mark restarts at the current
# allocation, the cap and group stay, the write is the PRM's (no cap
# mask), and status says since when each mark counts.
. "$(dirname "$0")/lib.sh"

make_sim
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB }
EOF2
mapfile -t PFS < <(sim_pfs)
VF00=$(sim_vf "${PFS[0]}" 0)
VF01=$(sim_vf "${PFS[0]}" 1)
VF10=$(sim_vf "${PFS[1]}" 0)
domain_xml job-1 16 yes "" "$VF00" "$VF10" >"$SCRATCH/job-1.xml"
run vm start --libvirt-xml "$SCRATCH/job-1.xml"
expect_rc 0 "start"
# a guest registers 64GiB on each VF (32768 pages each: 16 Mi MTT entries of 8 B),
# then frees half by a reset of VF00: the mark stays at the peak
run sim register --vf "$VF00" --vf "$VF10" --bytes 64GiB
expect_rc 0 "register"
run sim flr --vf "$VF00"
run status -j
vfj() { json '[v["'$2'"] for p in d["pfs"] for v in p["vfs"] if v["pci"]=="'$1'"][0]'; }
expect_eq "$(vfj "$VF00" max_reached_bytes)" $((32768 * 4096)) "peak kept after FLR"
expect_eq "$(vfj "$VF00" cur_bytes)" 0 "FLR freed"
expect_eq "$(vfj "$VF00" max_reached_since)" None "never reset: no since"
run status
expect_out "boot/unknown" "status says boot/unknown"

# reset one VF; the trace shows the PRM write: rst bit, no mask, group 0
run --trace-fw "$SCRATCH/trace" hwm reset --vf "$VF00" -j
expect_rc 0 "hwm reset --vf"
expect_eq "$(json '(d[0]["max_reached_before_bytes"], d[0]["max_reached_bytes"])')" "($((32768 * 4096)), 0)" "mark before and after"
vhca=$(json 'd[0]["vhca_id"]')
want=$(python3 -c "
import sys
v=int(sys.argv[1])
reg=bytearray(0x40); reg[0]=0x80; reg[2]=v>>8; reg[3]=v&0xff; reg[4]=0x20
print('> 0b0c0000000000000000c01000000000'+reg.hex())" "$vhca")
if grep -qx -- "$want" "$SCRATCH/trace"; then pass; else fail "reset write mailbox: want $want in $(cat "$SCRATCH/trace")"; fi
expect_eq "$(grep -c '^> 0b0c00000000000000' "$SCRATCH/trace")" 1 "exactly one register write"
run sim show -j
expect_eq "$(json '[f["cap_pages"] for p in d for f in p["functions"] if f["pci"]=="'$VF00'"][0]')" $(((4 << 30) / 4096)) "cap kept"
run status -j
since=$(vfj "$VF00" max_reached_since)
now=$(date +%s)
if [ "$since" != None ] && [ $((now - since)) -ge 0 ] && [ $((now - since)) -lt 60 ]; then pass; else fail "since $since vs now $now"; fi
expect_eq "$(vfj "$VF10" max_reached_bytes)" $((32768 * 4096)) "other VF untouched"
expect_eq "$(vfj "$VF10" max_reached_since)" None "other VF not reset"

# --vm resets the VM's VFs: VF10 restarts at its current allocation
run hwm reset --vm job-1 -j
expect_rc 0 "hwm reset --vm"
expect_eq "$(json 'len(d)')" 2 "VM has two VFs"
expect_eq "$(json '[r["max_reached_bytes"] for r in d if r["vf"]=="'$VF10'"][0]')" $((32768 * 4096)) "restarts at cur, not 0"
# the journal keeps the time across a cap write (apply)
run apply
run status -j
expect_eq "$(vfj "$VF10" max_reached_since)" "$(python3 -c 'import json,sys;print([v["hwm_since"] for v in json.load(open(sys.argv[1]))["vfs"] if v["pci"]==sys.argv[2]][0])' "$SCRATCH/state.json" "$VF10")" "since survives apply"

run hwm reset --all -j
expect_rc 0 "hwm reset --all"
expect_eq "$(json 'len(d)')" 8 "all 8 VFs"

# usage (2), and names that are not here (1, as explain's unknown VM)
run hwm reset
expect_rc 2 "nothing named"
run hwm reset --vf 0000:99:00.1
expect_rc 1 "not a VF here"
expect_err "not a ConnectX VF" "said"
run hwm reset --vf garbage
expect_rc 2 "not a PCI address"
expect_err "hwm reset --vf 'garbage': not a PCI address" "said as such"
run hwm reset --vf "$(sim_pfs | head -1)"
expect_rc 1 "a PF"
expect_err "a PF, not a VF" "said"
run hwm reset --vm nosuch
expect_rc 1 "no such VM"
run hwm
expect_rc 2 "no action"

# a reboot forgets the journalled time: the firmware started afresh
mkdir -p "$ROOT/proc/sys/kernel/random"
echo 33333333-3333-3333-3333-333333333333 >"$ROOT/proc/sys/kernel/random/boot_id"
run apply
echo 44444444-4444-4444-4444-444444444444 >"$ROOT/proc/sys/kernel/random/boot_id"
run status -j
expect_eq "$(vfj "$VF01" max_reached_since)" None "reboot: since unknown again"

finish
