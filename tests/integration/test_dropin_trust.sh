#!/usr/bin/env bash
# Policy drop-ins (policy.d/*.yaml) get the main policy's StrictModes
# checks when run as root: each file and every directory above it (policy.d
# too, with or without a symlink in it) owned by root and not writable by
# group or others (a root-owned sticky directory is fine). Every reader
# refuses (exit 1, one line naming the file and the fix), `policy set` does
# not rewrite an untrusted tool drop-in as root's own, and a user's run
# skips the checks (documented, as for the main policy).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "test_dropin_trust: not root: the checks are skipped"
	finish
	exit
fi
make_sim
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB }
EOF2
D=$SCRATCH/policy.d
mkdir -m 0755 "$D"
printf 'version: 1\ndefaults: { vf_cap: 2GiB }\n' >"$D/10-site.yaml"
chmod 0644 "$D/10-site.yaml"
mapfile -t PFS < <(sim_pfs)
VF00=$(sim_vf "${PFS[0]}" 0)
domain_xml train-1 8 no "" "$VF00" >"$SCRATCH/train-1.xml"

run policy validate
expect_rc 0 "trusted drop-in"
expect_out "valid (2 files" "the drop-in is read"

refused_everywhere() { # refused_everywhere MESSAGE LABEL
	local cmd
	for cmd in "policy validate" "policy show" "status" "apply --connect none" \
		"vm start --libvirt-xml $SCRATCH/train-1.xml" "explain train-1" "metrics"; do
		# shellcheck disable=SC2086
		run $cmd
		expect_rc 1 "$2: $cmd"
		expect_err "$1" "$2: $cmd names the file and the fix"
		expect_one_line_err "$2: $cmd"
	done
}

# A drop-in others may write.
chmod 0666 "$D/10-site.yaml"
refused_everywhere "$D/10-site.yaml: writable by group or others (mode 0666): root does not trust a policy drop-in; run chmod go-w $D/10-site.yaml" "0666 drop-in"
chmod 0644 "$D/10-site.yaml"
# A drop-in another user owns.
chown nobody "$D/10-site.yaml"
refused_everywhere "$D/10-site.yaml: owned by uid $(id -u nobody), not root: root does not trust a policy drop-in another user can replace; run chown root $D/10-site.yaml" "drop-in of nobody"
chown root "$D/10-site.yaml"
# policy.d itself: group-writable, or another user's.
chmod 0775 "$D"
refused_everywhere "$D: writable by group or others (mode 0775): root does not trust the policy drop-ins; run chmod go-w $D" "policy.d 0775"
chmod 0755 "$D"
chown nobody "$D"
refused_everywhere "$D: owned by uid $(id -u nobody), not root: root does not trust the policy drop-ins another user can replace; run chown root $D" "policy.d of nobody"
chown root "$D"
# A root-owned sticky policy.d (as /tmp) is fine: others cannot replace
# root's files in it, and a file they add there is theirs (refused above).
chmod 1777 "$D"
run policy validate
expect_rc 0 "sticky root-owned policy.d"
chmod 0755 "$D"
# A symlinked drop-in: its target's directories are checked too.
mkdir -m 0777 "$SCRATCH/pub"
printf 'version: 1\ndefaults: { vf_cap: unlimited }\n' >"$SCRATCH/pub/20-x.yaml"
chmod 0644 "$SCRATCH/pub/20-x.yaml"
ln -s "$SCRATCH/pub/20-x.yaml" "$D/20-x.yaml"
run policy validate
expect_rc 1 "symlink into a world-writable directory"
expect_err "$SCRATCH/pub: writable by group or others (mode 0777): root does not trust a policy drop-in; run chmod go-w $SCRATCH/pub" "names the target's directory"
rm "$D/20-x.yaml"

# policy set must not rewrite an untrusted tool drop-in as root's own file
# (its new text is validated from memory, never the file on disk).
TOOL=$D/99-icmquota-local.yaml
printf 'version: 1\ndefaults: { vf_cap: unlimited }\n' >"$TOOL"
chmod 0666 "$TOOL"
before=$(sha256sum "$TOOL")
run policy set --vm train-1 vf_cap 1GiB
expect_rc 1 "policy set over a 0666 tool drop-in"
expect_err "policy set: refused, nothing written: $TOOL: writable by group or others (mode 0666): root does not trust a policy drop-in; run chmod go-w $TOOL" "policy set names the file"
expect_one_line_err "policy set over a 0666 tool drop-in"
expect_eq "$(sha256sum "$TOOL")" "$before" "the file is left as it was"
expect_eq "$(stat -c %a "$TOOL")" 666 "not rewritten as root's 0644"
chmod 0644 "$TOOL"
chown nobody "$TOOL"
run policy unset --defaults vf_cap
expect_rc 1 "policy unset over a tool drop-in of nobody"
expect_err "policy unset: refused, nothing written: $TOOL: owned by uid $(id -u nobody), not root" "policy unset names the owner"
expect_eq "$(sha256sum "$TOOL")" "$before" "left as it was"
chown root "$TOOL"
run policy set --vm train-1 vf_cap 1GiB
expect_rc 0 "policy set once the file is root's"
run policy show
expect_out "vms[0].vf_cap" "the edit is there"

# A user's run skips the checks, as for the main policy (documented): it
# reads what that user may read and cannot program firmware.
chmod 0666 "$D/10-site.yaml"
chmod 0755 "$SCRATCH"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$BIN" --config none \
	--policy "$POLICY" policy validate >"$SCRATCH/pub/out" 2>&1
expect_eq "$?" 0 "a user's run skips the checks: $(cat "$SCRATCH/pub/out")"
chmod 0700 "$SCRATCH"

finish
