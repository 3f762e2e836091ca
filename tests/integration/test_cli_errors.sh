#!/usr/bin/env bash
# Bad input end to end: each gets the documented exit code, one line that
# names the file/line/device and the fix, and leaves state as it was.
. "$(dirname "$0")/lib.sh"

make_sim
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB }
defaults: { vf_cap: 4GiB }
EOF2
mapfile -t PFS < <(sim_pfs)
mapfile -t GPUS < <(sim_gpus)
VF00=$(sim_vf "${PFS[0]}" 0)
VF01=$(sim_vf "${PFS[0]}" 1)
GOOD=$SCRATCH/good.yaml
cp "$POLICY" "$GOOD"
domain_xml a 4 no "" "$VF00" >"$SCRATCH/a.xml"
run apply --libvirt-xml "$SCRATCH/a.xml"
expect_rc 0 "baseline apply"
cp "$SCRATCH/state.json" "$SCRATCH/state.before"
fw_state() { cat "$ROOT"/icmquota-sim/fw/*.json | md5sum; }
FW_BEFORE=$(fw_state)
unchanged() { # nothing moved: journal and firmware as before
	if cmp -s "$SCRATCH/state.json" "$SCRATCH/state.before" &&
		[ "$(fw_state)" = "$FW_BEFORE" ]; then pass; else fail "$1: state changed"; fi
}
policy_case() { # policy_case LABEL WANT_SUBSTRING  (policy text on stdin)
	cat >"$POLICY"
	run apply --libvirt-xml "$SCRATCH/a.xml"
	expect_rc 1 "$1"
	expect_err "$2" "$1"
	expect_one_line_err "$1"
	unchanged "$1"
	run policy validate "$POLICY"
	expect_rc 1 "$1 (validate)"
	cp "$GOOD" "$POLICY"
}

printf 'version: 1\nhost: { reserve: 16GiB\n' | policy_case "malformed YAML" "policy.yaml:"
printf 'version: 1\nhost:\n  reservee: 1GiB\n' | policy_case "unknown key" "policy.yaml:3:3: host: unknown key 'reservee'"
printf 'version: 1\ndefaults:\n  vf_cap: [1, 2]\n' | policy_case "wrong type" "policy.yaml:3:11:"
printf 'version: 1\ndefaults:\n  vf_cap: 8GB\n' | policy_case "bad unit" "policy.yaml:3:11: defaults.vf_cap: bad size '8GB'"
# above the PF's total ICM (64GiB on this sim host): found through the firmware
printf 'version: 1\ndefaults:\n  vf_cap: 100GiB\n' | policy_case "cap above total ICM" "policy.yaml:3:11:"
printf 'version: 1\ndefaults:\n  vf_cap: 100GiB\n' >"$POLICY"
run apply --libvirt-xml "$SCRATCH/a.xml"
expect_err "above the total ICM of ${PFS[0]}" "cap above total ICM names the PF"
cp "$GOOD" "$POLICY"

# missing policy file given explicitly: environment error naming it
POLICY=$SCRATCH/nope.yaml run apply
POLICY=$SCRATCH/nope.yaml
run apply
expect_rc 3 "missing policy"
expect_err "nope.yaml" "missing policy named"
POLICY=$SCRATCH/policy.yaml

# a PCI address that does not exist on the host
domain_xml ghost 4 no "" 0000:99:00.1 >"$SCRATCH/ghost.xml"
run vm start --libvirt-xml "$SCRATCH/ghost.xml"
expect_rc 1 "unknown PCI device"
expect_err "PCI device 0000:99:00.1 does not exist on this host" "unknown PCI named"
expect_one_line_err "unknown PCI"
unchanged "unknown PCI"

# a GPU is no error: listed and left alone
domain_xml gpuonly 4 no "" "${GPUS[0]}" >"$SCRATCH/gpu.xml"
run vm inspect --libvirt-xml "$SCRATCH/gpu.xml" -j
expect_rc 0 "GPU only VM inspect"
expect_eq "$(json 'd["vfs"]')" "[]" "GPU is not a VF"

# the same VF in two VMs
domain_xml b 4 no "" "$VF00" >"$SCRATCH/b.xml"
run apply --libvirt-xml "$SCRATCH/a.xml" --libvirt-xml "$SCRATCH/b.xml"
expect_rc 1 "VF in two VMs"
expect_err "VF $VF00 is claimed by two VMs, a and b" "both VMs named"
unchanged "VF in two VMs"
# ...also when the other one is running (journal) and b starts
run vm start --libvirt-xml "$SCRATCH/b.xml"
expect_rc 1 "VF held by a running VM"
expect_err "claimed by two VMs" "running holder named"
unchanged "VF held by a running VM"

# truncated and non-domain XML, missing file
head -c 150 "$SCRATCH/a.xml" >"$SCRATCH/trunc.xml"
run vm start --libvirt-xml "$SCRATCH/trunc.xml"
expect_rc 1 "truncated XML"
expect_err "trunc.xml" "truncated XML named"
expect_one_line_err "truncated XML"
echo "<network><name>default</name></network>" >"$SCRATCH/net.xml"
run vm start --libvirt-xml "$SCRATCH/net.xml"
expect_rc 1 "non-domain XML"
expect_err "not a libvirt domain XML" "non-domain XML"
run vm start --libvirt-xml "$SCRATCH/missing.xml"
expect_rc 3 "missing XML"
expect_err "missing.xml" "missing XML named"
unchanged "XML errors"

# unwritable state directory: refused before any firmware write? the lock
# lives beside the journal, so the run fails at the lock, naming the path
mkdir -p "$SCRATCH/ro"
chmod 0555 "$SCRATCH/ro"
"$BIN" --config none --root "$ROOT" --policy "$POLICY" --state "$SCRATCH/ro/sub/state.json" \
	apply --libvirt-xml "$SCRATCH/a.xml" >/dev/null 2>"$SCRATCH/err"
RC=$?; ERR=$(cat "$SCRATCH/err")
if [ "$(id -u)" -eq 0 ]; then
	# root ignores the mode bits: use a path under a regular file instead
	"$BIN" --config none --root "$ROOT" --policy "$POLICY" --state "$SCRATCH/a.xml/state.json" \
		apply --libvirt-xml "$SCRATCH/a.xml" >/dev/null 2>"$SCRATCH/err"
	RC=$?; ERR=$(cat "$SCRATCH/err")
fi
expect_rc 3 "unwritable state dir"
expect_err "state.json" "unwritable state named"
expect_one_line_err "unwritable state dir"

# a second concurrent apply waits, then times out with a message
mkdir -p "$ROOT/run/icmquota"
exec 9>"$ROOT/run/icmquota/lock"
flock 9
run apply --libvirt-xml "$SCRATCH/a.xml"
expect_rc 3 "concurrent apply"
expect_err "holds the lock" "lock timeout message"
expect_err "--lock-timeout" "lock timeout fix"
flock -u 9
exec 9>&-
run apply --libvirt-xml "$SCRATCH/a.xml"
expect_rc 0 "apply after the lock is free"

# a full disk under the journal: the write fails whole, the old journal
# survives, and the next apply finishes the job from the firmware read-back
FULL=$SCRATCH/full
mkdir -p "$FULL"
if mount -t tmpfs -o size=64k tmpfs "$FULL" 2>/dev/null; then
	cp "$SCRATCH/state.json" "$FULL/state.json"
	cp "$SCRATCH/state.json" "$SCRATCH/full.before"
	dd if=/dev/zero of="$FULL/filler" bs=4k count=64 2>/dev/null || true
	full() { "$BIN" --config none --root "$ROOT" --policy "$POLICY" --state "$FULL/state.json" \
		--lock "$SCRATCH/full.lock" "$@" >"$SCRATCH/out" 2>"$SCRATCH/err"; RC=$?; ERR=$(cat "$SCRATCH/err"); OUT=$(cat "$SCRATCH/out"); }
	domain_xml c 4 no "" "$VF01" >"$SCRATCH/c.xml"
	full vm start --libvirt-xml "$SCRATCH/c.xml"
	expect_rc 3 "full disk"
	expect_err "No space left on device" "full disk cause"
	expect_err "run icmquota apply" "full disk fix"
	expect_one_line_err "full disk"
	if cmp -s "$FULL/state.json" "$SCRATCH/full.before"; then pass; else fail "full disk: old journal damaged"; fi
	[ -z "$(ls "$FULL" | grep -v -e '^state.json$' -e '^filler$')" ] && pass || fail "full disk: temp file left: $(ls "$FULL")"
	rm -f "$FULL/filler"
	full apply --libvirt-xml "$SCRATCH/a.xml" --libvirt-xml "$SCRATCH/c.xml" -j
	expect_rc 0 "apply after space is freed"
	expect_eq "$(json 'd["writes"]')" 0 "the caps were already in the firmware"
	umount "$FULL"
else
	echo "test_cli_errors: full-disk case needs root to mount a tmpfs: not run" >&2
fi

# devx and fwctl on a machine without ConnectX: exit 3 naming the PF
run --backend devx status
expect_rc 3 "devx without hardware"
expect_err "${PFS[0]}" "devx names the PF"
expect_err "rdma-core" "devx says what is missing"
run --backend fwctl status
expect_rc 3 "fwctl without hardware"
expect_err "${PFS[0]}" "fwctl names the PF"
expect_err "fwctl" "fwctl says what is missing"

# usage errors: exit 2
run frobnicate
expect_rc 2 "unknown command"
run --backend nope status
expect_rc 2 "bad backend"
run vm start
expect_rc 2 "vm start without a VM"

finish
