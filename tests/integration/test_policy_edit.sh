#!/usr/bin/env bash
# policy set/unset/show/diff on a simulated host: the tool's drop-in is
# written (and only it), validated before writing, applied with --apply,
# refused for non-root; show names the file:line of every value.
. "$(dirname "$0")/lib.sh"

make_sim
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB, admission: strict }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
classes:
  gpu: { vf_cap: 8GiB }
vms:
  - match: { name: "train-*" }
    class: gpu
EOF2
MAIN_SUM=$(sha256sum "$POLICY")
DROPIN=$SCRATCH/policy.d/99-icmquota-local.yaml
mapfile -t PFS < <(sim_pfs)
VF00=$(sim_vf "${PFS[0]}" 0)
VF10=$(sim_vf "${PFS[1]}" 0)
domain_xml train-7 64 yes "" "$VF00" "$VF10" >"$SCRATCH/train-7.xml"
run vm start --libvirt-xml "$SCRATCH/train-7.xml"
expect_rc 0 "start train-7"
run apply
expect_rc 0 "idle VFs programmed"
fw_cap() { # fw_cap VF -> cap in pages as the simulated firmware holds it
	run sim show -j
	json '[f["cap_pages"] for p in d for f in p["functions"] if f["pci"]=="'$1'"][0]'
}
expect_eq "$(fw_cap "$VF00")" $(((8 << 30) / 4096)) "class cap before"

# the incident: lower train-7 alone to 2GiB, at once
run policy set --vm train-7 vf_cap 2GiB --apply
expect_rc 0 "policy set --apply"
expect_out "set --vm train-7 vf_cap 2GiB" "set said"
expect_out "2 caps written" "apply wrote the two VFs"
expect_eq "$(fw_cap "$VF00")" $(((2 << 30) / 4096)) "firmware cap after set"
expect_eq "$(fw_cap "$VF10")" $(((2 << 30) / 4096)) "firmware cap of 2nd VF after set"
expect_eq "$(sha256sum "$POLICY")" "$MAIN_SUM" "main policy untouched"
expect_eq "$(head -c 38 "$DROPIN")" "# Written by \`icmquota policy set/unse" "drop-in header"
if grep -q "^- match: {name: train-7}" "$DROPIN" && grep -q "^  vf_cap: 2GiB" "$DROPIN"; then pass; else fail "drop-in body: $(cat "$DROPIN")"; fi
# explain names the drop-in and its line
run explain train-7
expect_out "cap 2.0GiB from vms[0] (name train-7) (policy.d/99-icmquota-local.yaml:" "explain names the drop-in"
# the journal's digest covers the drop-in
digest=$(python3 -c 'import json,sys;print({v["policy_digest"] for v in json.load(open(sys.argv[1]))["vfs"] if v["vm"]=="train-7"}.pop())' "$SCRATCH/state.json")
run policy show -j
expect_eq "$digest" "$(json 'd["digest"]')" "journal digest = merged digest"
if [ "$digest" != "$(sha256sum "$POLICY" | cut -d' ' -f1)" ]; then pass; else fail "digest ignores the drop-in"; fi

# show: every value with the file and line it came from
run policy show -j
expect_eq "$(json '[(v["value"], v["file"].split("/")[-1], v["line"]) for v in d["values"] if v["key"]=="vms[0].vf_cap"][0]')" "($((2 << 30)), '99-icmquota-local.yaml', 8)" "show: vms[0].vf_cap from the drop-in"
expect_eq "$(json '[(v["value"], v["line"]) for v in d["values"] if v["key"]=="defaults.vf_cap"][0]')" "($((4 << 30)), 3)" "show: defaults.vf_cap from the main file"
expect_eq "$(json '[v["key"] for v in d["values"] if v["file"] is None]')" "[]" "show without --effective: no built-ins"
run policy show --effective -j
expect_eq "$(json '[(v["value"], v["file"]) for v in d["values"] if v["key"]=="host.hugepages"][0]')" "('observe', None)" "show --effective: built-in hugepages"
run policy show
expect_out "policy.yaml:3:21" "show table has file:line:col"

# a second identical set changes nothing in the firmware
run policy set --vm train-7 vf_cap 2GiB --apply -j
expect_rc 0 "idempotent set"
expect_eq "$(json 'd["apply"]["writes"]')" 0 "second set writes nothing"

# refused edits write nothing
cp "$DROPIN" "$SCRATCH/dropin.before"
run policy set --class gpu vf_cap 100GiB
expect_rc 1 "cap above total ICM refused"
expect_err "refused, nothing written" "refusal said"
expect_err "99-icmquota-local.yaml:" "refusal names the drop-in line"
expect_err "above the total ICM" "refusal reason"
run policy set --vm train-7 class nosuch
expect_rc 1 "unknown class refused"
expect_err "unknown class 'nosuch'" "unknown class named"
run policy set --class gpu idle_vf_cap 1GiB
expect_rc 2 "key not for a class"
run policy set --defaults vf_cap 5000
expect_rc 2 "non-page size"
expect_one_line_err "non-page size one line"
expect_eq "$(cmp -s "$DROPIN" "$SCRATCH/dropin.before" && echo same)" same "drop-in unchanged by refusals"

# not root: exit 3, nothing written
chmod 755 "$SCRATCH"
setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" --config none --root "$ROOT" \
	--policy "$POLICY" --state "$SCRATCH/state.json" policy set --defaults vf_cap 1GiB \
	>"$SCRATCH/out" 2>"$SCRATCH/err"
RC=$?; ERR=$(cat "$SCRATCH/err")
expect_rc 3 "non-root refused"
expect_err "must run as root" "non-root message"
expect_eq "$(cmp -s "$DROPIN" "$SCRATCH/dropin.before" && echo same)" same "drop-in unchanged for non-root"

# diff: a candidate drop-in against now, per VF
cat >"$SCRATCH/50-try.yaml" <<'EOF2'
version: 1
classes:
  gpu: { vf_cap: 6GiB }
defaults: { idle_vf_cap: 512MiB }
EOF2
run policy diff "$SCRATCH/50-try.yaml" -j
expect_rc 0 "diff"
# train-7's own rule (2GiB, tried first) still wins; 6 idle VFs change
expect_eq "$(json 'd["changes"]')" 6 "diff counts changed VFs"
expect_eq "$(json '[(v["cap_now_bytes"], v["cap_with_bytes"]) for v in d["vfs"] if v["vf"]=="'$VF00'"][0]')" "($((2 << 30)), $((2 << 30)))" "diff: train-7 keeps its rule"
expect_eq "$(json '[(v["cap_now_bytes"], v["cap_with_bytes"]) for v in d["vfs"] if v["vm"] is None][0]')" "($((256 << 20)), $((512 << 20)))" "diff: idle VF"
expect_eq "$(json 'd["headroom_with_bytes"] - d["headroom_now_bytes"]')" 0 "idle caps do not count in the split"
expect_eq "$(ls "$SCRATCH/policy.d")" "99-icmquota-local.yaml" "diff writes nothing"

# unset: the VM falls back to its class; apply at once
run policy unset --vm train-7 vf_cap --apply
expect_rc 0 "unset --apply"
expect_eq "$(fw_cap "$VF00")" $(((8 << 30) / 4096)) "firmware cap back to the class"
expect_eq "$(grep -c match "$DROPIN")" 0 "empty rule removed from the drop-in"
run policy unset --class gpu vf_cap
expect_rc 0 "unset of a key only the main file sets"
expect_out "not set there: nothing to unset" "said"
expect_out "still comes from $POLICY:5:" "where it comes from"

# validate judges the merged whole
printf 'version: 1\nvms:\n  - match: { name: "x" }\n    class: nope\n' >"$SCRATCH/policy.d/10-bad.yaml"
run policy validate
expect_rc 1 "merged validate refuses a broken drop-in"
expect_err "policy.d/10-bad.yaml:4:12: vms[0].class: unknown class 'nope'" "validate names the drop-in"
run status
expect_rc 1 "status refuses a broken drop-in too"
rm "$SCRATCH/policy.d/10-bad.yaml"
run policy validate
expect_rc 0 "merged validate"
expect_out "valid (2 files" "validate counts files"

finish
