#!/usr/bin/env bash
# Firmware statuses end to end: NOT_READY (0x07) and RESOURCE_BUSY (0x06)
# are retried a bounded number of times with backoff, counted and traced;
# every other status is final (sim inject makes the simulated firmware
# answer them).
. "$(dirname "$0")/lib.sh"

make_sim
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB }
defaults: { vf_cap: 4GiB, idle_vf_cap: 1GiB }
EOF2
mapfile -t PFS < <(sim_pfs)
VF00=$(sim_vf "${PFS[0]}" 0)
domain_xml a 4 no "" "$VF00" >"$SCRATCH/a.xml"
retries_in() { grep -c '^# retry ' "$1" || true; }

# Two NOT_READY answers on every PF, then the firmware is ready.
run sim inject --status NOT_READY --count 2
expect_rc 0 "inject NOT_READY"
expect_out "answer NOT_READY (0x07)" "inject says what"
run --trace-fw "$SCRATCH/t1" apply --libvirt-xml "$SCRATCH/a.xml" -j
expect_rc 0 "apply through NOT_READY"
expect_eq "$(json "d['fw_retries']")" 4 "2 retries on each of 2 PFs, counted"
expect_eq "$(retries_in "$SCRATCH/t1")" 4 "retries traced"
expect_eq "$(grep -m1 '^# retry' "$SCRATCH/t1")" "# retry 1/5 after NOT_READY (0x07), waited 10 ms" "trace line"
expect_eq "$(grep -m2 '^# retry' "$SCRATCH/t1" | tail -1)" "# retry 2/5 after NOT_READY (0x07), waited 20 ms" "backoff doubles"
# the caps were written all the same
run status -j
expect_eq "$(json "[v['cap_bytes'] for p in d['pfs'] for v in p['vfs'] if v['pci']=='$VF00'][0]")" 4294967296 "cap written after the retries"

# RESOURCE_BUSY that does not end: bounded, then one clear line.
run sim inject --status RESOURCE_BUSY --count 100 --pf "${PFS[0]}"
expect_rc 0 "inject RESOURCE_BUSY on one PF"
run --trace-fw "$SCRATCH/t2" apply --libvirt-xml "$SCRATCH/a.xml"
if [ "$RC" -ne 0 ]; then pass; else fail "apply against a busy PF succeeded"; fi
expect_err "${PFS[0]}" "names the PF"
expect_err "firmware status RESOURCE_BUSY (0x06)" "names the status"
expect_err "still after 5 retries over 310 ms" "bounded"
expect_eq "$(retries_in "$SCRATCH/t2")" 5 "5 retries traced"
run sim inject --count 0 --pf "${PFS[0]}"
expect_rc 0 "inject cleared"
run apply --libvirt-xml "$SCRATCH/a.xml"
expect_rc 0 "apply once the device is ready"

# Any other status is final: no retry.
run sim inject --status BAD_SYS_STATE --count 1 --pf "${PFS[1]}"
expect_rc 0 "inject BAD_SYS_STATE"
run --trace-fw "$SCRATCH/t3" apply --libvirt-xml "$SCRATCH/a.xml"
if [ "$RC" -ne 0 ]; then pass; else fail "apply ignored BAD_SYS_STATE"; fi
expect_err "firmware status BAD_SYS_STATE (0x04)" "final status named"
expect_eq "$(retries_in "$SCRATCH/t3")" 0 "no retry of a final status"
run sim inject --status 0x07 --count 1 --pf "${PFS[1]}"
expect_out "NOT_READY (0x07)" "status by number"
run sim inject --status BOGUS
expect_rc 2 "unknown status"
expect_one_line_err "unknown status"
run sim inject --count 0
run apply --libvirt-xml "$SCRATCH/a.xml" -j
expect_eq "$(json "d['fw_retries']")" 0 "no retries when the firmware is ready"

finish
