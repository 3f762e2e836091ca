#!/usr/bin/env bash
# The firmware channel when the HCA cap access_register_user is 0 (DevX may
# not reach registers): auto says so and uses the fwctl path (ACCESS_REG,
# 0x805); a DevX-only backend fails with one line naming the cap and the fix.
. "$(dirname "$0")/lib.sh"

make_sim --no-access-register-user
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB }
defaults: { vf_cap: 4GiB, idle_vf_cap: 1GiB }
EOF2
mapfile -t PFS < <(sim_pfs)

run --trace-fw "$SCRATCH/t1" apply -j
expect_rc 0 "auto applies through the fwctl path"
expect_eq "$(json "d['writes']")" 8 "every idle VF capped"
# registers went as ACCESS_REG (0x0805), never ACCESS_REGISTER_USER (0x0b0c)
expect_eq "$(grep -c '^> 0b0c' "$SCRATCH/t1")" 0 "no ACCESS_REGISTER_USER"
if [ "$(grep -c '^> 0805' "$SCRATCH/t1")" -gt 0 ]; then pass; else fail "no ACCESS_REG in the trace"; fi
run status -j
expect_eq "$(json "sorted(set(p['fw_channel'] for p in d['pfs']))")" "['sim-fwctl']" "status names the channel"
expect_eq "$(json "'access_register_user is 0' in d['pfs'][0]['fw_channel_note']")" True "status says why"
run status
expect_out "firmware channel: HCA cap access_register_user is 0" "status table says why"
run apply
expect_rc 0 "second apply"
expect_out "0 caps written" "idempotent through fwctl too"

# The DevX stand-in alone: refused, one line, the fix named.
run --backend sim apply
expect_rc 3 "devx-only backend"
expect_err "${PFS[0]}" "names the PF"
expect_err "HCA cap access_register_user is 0" "names the cap"
expect_err "--backend fwctl" "names the fix"
expect_one_line_err "devx-only backend"

# A firmware with the cap set keeps the DevX path and says nothing.
make_sim --force
run --trace-fw "$SCRATCH/t2" apply -j
expect_rc 0 "cap set"
expect_eq "$(grep -c '^> 0805' "$SCRATCH/t2")" 0 "no ACCESS_REG when DevX may"
run status -j
expect_eq "$(json "[p['fw_channel'] for p in d['pfs']][0], 'fw_channel_note' in d['pfs'][0]")" "sim False" "devx path, no note"

finish
