#!/usr/bin/env bash
# A firmware that rounds max_alloc_icm_th up (prm.md: "firmware may round up
# to its page size"; sim init --icm-rounding): a read-back at or just above
# the desired cap holds it, so apply is idempotent and the read-back after a
# start finds nothing to fix; the rounding is learnt per PF and shown.
. "$(dirname "$0")/lib.sh"

make_sim --icm-rounding 256
# caps that are not multiples of 256 pages (1 MiB)
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB }
defaults: { vf_cap: 4000KiB, idle_vf_cap: 100004KiB }
EOF2
mapfile -t PFS < <(sim_pfs)
VF00=$(sim_vf "${PFS[0]}" 0)
domain_xml a 4 no "" "$VF00" >"$SCRATCH/a.xml"
fw_cap() { # fw_cap PF FUNCTION_ID: the cap the simulated firmware stores
	python3 -c "import json; d=json.load(open('$ROOT/icmquota-sim/fw/$1.json')); print([f['cap'] for f in d['funcs'] if f['function_id']==$2][0])"
}

run apply -j
expect_rc 0 "first apply"
expect_eq "$(json "d['writes']")" 8 "every VF written once"
# 100004 KiB = 25001 pages, stored as 25088 (a multiple of 256)
expect_eq "$(fw_cap "${PFS[0]}" 1)" 25088 "the firmware rounded the cap up"
run apply -j
expect_rc 0 "second apply"
expect_eq "$(json "d['writes']")" 0 "second apply writes nothing"
expect_eq "$(json "d['writes_needed']")" 0 "nothing needed"
run status -j
r=$(json "[p['icm_rounding_pages'] for p in d['pfs']]")
if python3 -c "import sys; r=$r; sys.exit(0 if all(x and 2 <= x <= 256 for x in r) else 1)"; then pass; else fail "rounding learnt per PF: $r"; fi
run status
expect_out "firmware rounds caps up to" "status says so"

# A VM start: prepare writes, the read-back (what `started` checks) holds.
run vm start --libvirt-xml "$SCRATCH/a.xml" -j
expect_rc 0 "vm start"
expect_eq "$(fw_cap "${PFS[0]}" 1)" 1024 "4000 KiB = 1000 pages, stored as 1024"
run plan --libvirt-xml "$SCRATCH/a.xml" -j
expect_eq "$(json "d['writes_needed']")" 0 "read-back after start: no mismatch"
run --trace-fw "$SCRATCH/trace" apply --libvirt-xml "$SCRATCH/a.xml" -j
expect_eq "$(json "d['writes']")" 0 "apply after start writes nothing"
expect_eq "$(grep -c '^> 0b0c0000000000000' "$SCRATCH/trace")" 0 "no register write in the trace"

# A cap far above the desired one is not rounding: it is fixed.
python3 - "$ROOT/icmquota-sim/fw/${PFS[1]}.json" <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p))
for f in d['funcs']:
    if f['function_id'] == 2:
        f['cap'] = 25001 + 4096
json.dump(d, open(p, 'w'))
PY
run apply -j
expect_eq "$(json "d['writes']")" 1 "a cap 16 MiB above is rewritten"

# An exact firmware: learnt as exact (1), and still idempotent.
make_sim --force
run apply -j
run apply -j
expect_eq "$(json "d['writes']")" 0 "exact firmware: second apply writes nothing"
run status -j
expect_eq "$(json "d['pfs'][0]['icm_rounding_pages']")" 1 "exact firmware learnt as exact"

finish
