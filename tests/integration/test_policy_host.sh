#!/usr/bin/env bash
# policy validate (and set) against the host: with --root, or on a machine
# with a ConnectX PF, a devices rule naming a VF and a host.reserve at or
# above MemTotal are errors (the policy would do nothing it means, or
# harm), a devices rule naming an absent address or a device that is not a
# ConnectX PF a warning (it does nothing here); each at FILE:LINE:COL.
# Without a host (a build machine, or --no-host) validation stays pure.
. "$(dirname "$0")/lib.sh"

make_sim # 256GiB, PFs with 4 VFs each, 2 GPUs
mapfile -t PFS < <(sim_pfs)
P0=${PFS[0]} P1=${PFS[1]}
VF01=$(sim_vf "$P0" 1)
GPU=$(sim_gpus | head -1)
P=$SCRATCH/policy.yaml
write_policy <<EOF2
version: 1
host: { reserve: 256GiB }
defaults: { vf_cap: 4GiB }
devices:
  $VF01: { vf_cap: 1GiB }
  0000:99:00.0: { vf_cap: 1GiB }
  $GPU: { vf_cap: 1GiB }
  $P1: { vf_cap: 2GiB }
EOF2

run policy validate
expect_rc 1 "errors against the host"
expect_err "$P:2:18: host.reserve 256.0GiB is not below MemTotal 256.0GiB of this host: no VM would fit" "reserve = MemTotal: error at its value"
expect_err "$P:5:3: devices.$VF01: a VF of $P0: device rules name PFs and cap every VF of the PF, so this rule never applies; name its PF $P0" "a VF: error naming its PF"
expect_err "$P:6:3: warning: devices.0000:99:00.0: no PCI device at this address on this host: the rule does nothing here" "absent: warning"
expect_err "$P:7:3: warning: devices.$GPU: a PCI device of vendor 0x10de, not a ConnectX PF with SR-IOV: the rule does nothing here" "a GPU: warning"
expect_eq "$(grep -c . <<<"$ERR")" 4 "one line each"
if grep -q "$P1" <<<"$ERR"; then fail "the PF's rule was flagged: $ERR"; else pass; fi
expect_eq "$OUT" "" "nothing on stdout"
run policy validate -j
expect_rc 1 "-j: invalid"
expect_eq "$(json "d['valid'], d['host_checked'], len(d['errors']), len(d['warnings'])")" "False True 2 2" "-j: two errors, two warnings"
expect_eq "$(json "d['errors'][1].startswith('$P:5:3: devices.$VF01: a VF of $P0')")" True "-j: the VF error"
expect_eq "$(json "d['warnings'][0].startswith('$P:6:3: warning: devices.0000:99:00.0')")" True "-j: the warning"

# Warnings alone pass.
sed -i "s/reserve: 256GiB/reserve: 255GiB/; /$VF01/d" "$P"
run policy validate
expect_rc 0 "warnings only: valid"
expect_out "host checked: warnings above" "says where to look"
expect_err "$P:5:3: warning: devices.0000:99:00.0" "warning kept (the line moved up)"
expect_eq "$(grep -c . <<<"$ERR")" 2 "two warnings"
# The host's values: one byte under MemTotal fits, MemTotal does not.
sed -i "s/reserve: 255GiB/reserve: 262143MiB/" "$P"
run policy validate
expect_rc 0 "reserve 1 MiB under MemTotal"
# A clean policy: checked, nothing said.
write_policy <<EOF2
version: 1
host: { reserve: 16GiB }
devices:
  $P1: { vf_cap: 2GiB }
EOF2
run policy validate
expect_rc 0 "clean"
expect_out "caps checked against 2 PFs; host checked)" "checked"
expect_eq "$ERR" "" "nothing on stderr"

# The built-in reserve (64GiB) on a 32GiB host: named as built-in.
"$BIN" --config none sim init "$SCRATCH/small" --pfs 1 --vfs 2 --mem 32GiB >/dev/null
printf 'version: 1\n' >"$SCRATCH/empty.yaml"
run --root "$SCRATCH/small" policy validate "$SCRATCH/empty.yaml"
expect_rc 1 "built-in reserve above a small host's MemTotal"
expect_err "$SCRATCH/empty.yaml: host.reserve 64.0GiB (built-in default) is not below MemTotal 32.0GiB" "named as the built-in default"
expect_one_line_err "built-in reserve"

# A drop-in naming a VF: its own file:line:col.
write_policy <<'EOF2'
version: 1
EOF2
mkdir -p "$SCRATCH/policy.d"
printf 'version: 1\ndevices:\n  %s: { vf_cap: 1GiB }\n' "$VF01" >"$SCRATCH/policy.d/10-site.yaml"
run policy validate
expect_rc 1 "a drop-in naming a VF"
expect_err "$SCRATCH/policy.d/10-site.yaml:3:3: devices.$VF01: a VF of $P0" "the drop-in's position"
expect_one_line_err "a drop-in naming a VF"
rm "$SCRATCH/policy.d/10-site.yaml"

# policy set checks the same: a VF refused (nothing written), an absent
# address written with its warning.
run policy set --device "$VF01" vf_cap 1GiB
expect_rc 1 "policy set --device VF: refused"
expect_err "policy set: refused, nothing written: $SCRATCH/policy.d/99-icmquota-local.yaml:" "set names the drop-in it would write"
expect_err "devices.$VF01: a VF of $P0" "set: why"
expect_one_line_err "policy set --device VF"
expect_eq "$(ls "$SCRATCH/policy.d")" "" "nothing written"
run policy set --device 0000:99:00.0 vf_cap 1GiB
expect_rc 0 "policy set --device absent: written"
expect_err "warning: devices.0000:99:00.0: no PCI device at this address" "set: the warning"
rm -r "$SCRATCH/policy.d"

# Pure without a host: --no-host, or a machine without a ConnectX PF.
printf 'version: 1\nhost: { reserve: 100TiB }\ndevices:\n  %s: { vf_cap: 1GiB }\n' "$VF01" >"$SCRATCH/fleet.yaml"
run policy validate --no-host "$SCRATCH/fleet.yaml"
expect_rc 0 "--no-host: pure"
expect_out "host not checked)" "--no-host: said"
expect_eq "$ERR" "" "--no-host: nothing else said"
run policy validate "$SCRATCH/fleet.yaml" --no-host -j
expect_eq "$(json "d['valid'], d['host_checked'], d['host_not_checked_why']")" "True False --no-host: syntax and semantics only" "-j: why not"
connectx=0
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor" 2>/dev/null)" = 0x15b3 ] && [ -e "$d/sriov_totalvfs" ] && connectx=1
done
if [ "$connectx" -eq 0 ]; then
	"$BIN" --config none --policy "$SCRATCH/fleet.yaml" --state "$SCRATCH/s.json" \
		policy validate >"$SCRATCH/out" 2>"$SCRATCH/err"
	RC=$? OUT=$(cat "$SCRATCH/out") ERR=$(cat "$SCRATCH/err")
	expect_rc 0 "this machine has no ConnectX PF: pure"
	expect_err "not checked against a host: no ConnectX PF on this machine (--root DIR checks against a simulated host)" "says why"
else
	echo "test_policy_host: this machine has a ConnectX PF: the pure case runs with --no-host only"
fi
run policy validate --bogus
expect_rc 2 "unknown option"
run policy validate a.yaml b.yaml
expect_rc 2 "two files"

finish
