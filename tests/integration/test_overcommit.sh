#!/usr/bin/env bash
# Caps that overcommit the host are never raised silently.
#  - apply (and plan) say so on stderr, one line per VM whose caps rise
#    (its VFs, by how much, the overcommit, the fix), and exit 3 ("done
#    with problems", as for stale facts); the caps are written as the
#    policy says. Under host.admission: warn it is a warning, exit 0.
#  - status and metrics say the same of the caps in force (exit 3; under
#    warn a warning, exit 0).
#  - policy set ... --apply under host.admission: strict refuses an edit
#    that would overcommit, writing nothing (drop-in, firmware, journal
#    unchanged), unless --force; without --apply it warns.
#
# Host: 256GiB, reserve 16GiB, 128GiB of huge pages, 2 PFs with 256MiB of
# their own pages each; VM train (16GiB, not in huge pages) with one VF
# per PF at vf_cap 8GiB: headroom 79.5GiB. At vf_cap 64GiB the caps take
# 112GiB more: headroom -32.5GiB.
. "$(dirname "$0")/lib.sh"

GiB=$((1 << 30))
make_sim
policy() { # policy ADMISSION VF_CAP
	write_policy <<EOF2
version: 1
host: { reserve: 16GiB, admission: $1 }
defaults: { vf_cap: $2, idle_vf_cap: 256MiB }
EOF2
}
mapfile -t PFS < <(sim_pfs)
VF00=$(sim_vf "${PFS[0]}" 0)
VF10=$(sim_vf "${PFS[1]}" 0)
DROPIN=$SCRATCH/policy.d/99-icmquota-local.yaml
cap_of() { "$BIN" --config none --root "$ROOT" sim show -j | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    for f in p["functions"]:
        if f["pci"] == sys.argv[1]:
            print(f["cap_pages"] * 4096 if f["cap_pages"] != "unlimited" else "unlimited")
' "$1"; }
fw_digest() { cat "$ROOT"/icmquota-sim/fw/*.json | md5sum; }
nlines() { grep -c . <<<"$ERR"; }

policy strict 8GiB
domain_xml train 16 no "" "$VF00" "$VF10" >"$SCRATCH/train.xml"
run vm start --libvirt-xml "$SCRATCH/train.xml" -j
expect_rc 0 "train starts at 8GiB per VF"
expect_eq "$(json "d['split']['headroom_bytes']")" $((159 * GiB / 2)) "headroom 79.5GiB"
run apply --connect none
expect_rc 0 "apply with nothing to change: exit 0"
expect_eq "$ERR" "" "and nothing on stderr"

# The main policy (config management) raises vf_cap to 64GiB.
policy strict 64GiB
before=$(fw_digest)
run plan --connect none
expect_rc 3 "plan: the caps it would write overcommit: exit 3"
expect_err "plan: VM train: caps to rise by 112.0GiB ($VF00 8.0GiB -> 64.0GiB, $VF10 8.0GiB -> 64.0GiB): the host is overcommitted by 32.5GiB (headroom -32.5GiB)" "plan names the VM, its VFs and the figures"
expect_eq "$(fw_digest)" "$before" "plan writes nothing"

run apply --connect none
expect_rc 3 "apply: applied with problems (exit 3)"
expect_err "apply: VM train: caps raised by 112.0GiB ($VF00 8.0GiB -> 64.0GiB, $VF10 8.0GiB -> 64.0GiB): the host is overcommitted by 32.5GiB (headroom -32.5GiB); lower defaults.vf_cap (policy.yaml:3:" "apply: which VM and VFs, by how much, the fix"
expect_err "apply: 1 problem above; the caps were written as the policy says" "apply: the summary"
expect_eq "$(nlines)" 2 "one line per problem, then the summary"
expect_eq "$(cap_of "$VF00")" $((64 * GiB)) "the caps were written as the policy says"
run status -j
expect_eq "$(json "d['split']['headroom_bytes']")" $((-65 * GiB / 2)) "status: headroom -32.5GiB"
# status and metrics show the caps in force: an overcommit is a problem
# for them as for apply (exit 3, one line with the split, then the count).
expect_rc 3 "status: the caps in force overcommit: exit 3"
expect_err "status: the host is overcommitted by 32.5GiB (MemTotal 256.0GiB - reserve 16.0GiB - VF caps 128.0GiB" "status: the overcommit, with the split"
expect_err "status: 1 problem above; every VF is shown" "status: the summary"
expect_eq "$(nlines)" 2 "status: one problem line, then the summary"
run metrics
expect_rc 3 "metrics: the caps in force overcommit: exit 3"
expect_out "icmquota_host_headroom_bytes -34896609280" "metrics: the text is printed all the same"
expect_err "metrics: the host is overcommitted by 32.5GiB" "metrics: the overcommit"
expect_err "metrics: 1 problem above; every series is there" "metrics: the summary"

# A second apply raises nothing, but the host is still overcommitted.
run apply --connect none
expect_rc 3 "second apply: still exit 3"
expect_err "apply: the host is overcommitted by 32.5GiB (MemTotal 256.0GiB - reserve 16.0GiB - VF caps 128.0GiB" "second apply: the overcommit, with the split"
expect_eq "$(nlines)" 2 "one problem line, then the summary"

# host.admission: warn accepts an overcommit: said, exit 0.
policy warn 64GiB
run apply --connect none
expect_rc 0 "admission warn: apply exits 0"
expect_err "apply: warning: the host is overcommitted by 32.5GiB" "admission warn: still said"
run status
expect_rc 0 "admission warn: status exits 0"
expect_err "status: warning: the host is overcommitted by 32.5GiB" "admission warn: status says it"
run metrics
expect_rc 0 "admission warn: metrics exits 0"
expect_err "metrics: warning: the host is overcommitted by 32.5GiB" "admission warn: metrics says it"

# Back to 8GiB: fits, silent.
policy strict 8GiB
run apply --connect none
expect_rc 0 "caps lowered: exit 0"
expect_eq "$ERR" "" "nothing on stderr"
run status
expect_rc 0 "caps lowered: status exits 0"
expect_eq "$ERR" "" "status: nothing on stderr"

# policy set --apply under strict: refused, nothing written anywhere.
cp "$SCRATCH/state.json" "$SCRATCH/state.before"
before=$(fw_digest)
run policy set --defaults vf_cap 64GiB --apply
expect_rc 1 "policy set --apply that overcommits: refused (exit 1)"
expect_err "policy set: refused, nothing written: set --defaults vf_cap 64GiB would overcommit the host by 32.5GiB (headroom 79.5GiB -> -32.5GiB; VM train's caps +112.0GiB: $VF00 8.0GiB -> 64.0GiB, $VF10 8.0GiB -> 64.0GiB); pick a smaller value or lower host.reserve, or pass --force" "refusal: the edit, the figures, the VM, the fix"
expect_one_line_err "the refusal"
[ ! -e "$DROPIN" ] && pass || fail "refused, yet the drop-in was written"
expect_eq "$(fw_digest)" "$before" "refused: no cap written"
cmp -s "$SCRATCH/state.json" "$SCRATCH/state.before" && pass ||
	fail "refused, yet the journal changed"

# A change that fits is not refused.
run policy set --vm train vf_cap 16GiB --apply -j
expect_rc 0 "a raise that fits is applied"
expect_eq "$(cap_of "$VF00")" $((16 * GiB)) "16GiB written"
expect_eq "$(json "d['apply']['split']['headroom_bytes']")" $((127 * GiB / 2)) "headroom 63.5GiB"
run policy unset --vm train vf_cap --apply
expect_rc 0 "unset"

# Without --apply: written, with a warning.
run policy set --defaults vf_cap 64GiB
expect_rc 0 "policy set without --apply writes"
expect_err "policy set: warning: --defaults vf_cap 64GiB overcommits the host by 32.5GiB once applied (headroom 79.5GiB -> -32.5GiB" "and warns"
expect_eq "$(cap_of "$VF00")" $((8 * GiB)) "nothing programmed"
run policy unset --defaults vf_cap
expect_rc 0 "unset again"

# --force: written and applied; apply reports the overcommit, exit 3.
run policy set --defaults vf_cap 64GiB --apply --force
expect_rc 3 "--force: applied with problems"
expect_out "set --defaults vf_cap 64GiB" "--force: what was written is said"
expect_err "apply: VM train: caps raised by 112.0GiB" "--force: apply names the overcommit"
expect_eq "$(cap_of "$VF00")" $((64 * GiB)) "--force: 64GiB written"
grep -q "vf_cap: 64GiB" "$DROPIN" && pass || fail "--force: the drop-in holds the edit"

# Documented: --help and the man page.
run policy --help
expect_out "--force" "policy --help names --force"
"$BIN" help --man >"$SCRATCH/icmquota.8"
grep -qF -- '\-\-force' "$SCRATCH/icmquota.8" && pass || fail "the man page names --force"
grep -qF "overcommit" "$SCRATCH/icmquota.8" && pass || fail "the man page says what an overcommit does"
finish
