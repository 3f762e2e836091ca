#!/usr/bin/env bash
# --root DIR is a simulated host: with no --state (and no settings file
# naming one), its journal lives under DIR, as its lock does; the real
# host's /var/lib/icmquota is never written.
. "$(dirname "$0")/lib.sh"

make_sim
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB }
EOF2
mapfile -t PFS < <(sim_pfs)
VF=$(sim_vf "${PFS[0]}" 0)
domain_xml rooted-vm 8 no "" "$VF" >"$SCRATCH/vm.xml"
real=/var/lib/icmquota/state.json
before=$(stat -c %Y:%s "$real" 2>/dev/null || echo none)

"$BIN" --config none --root "$ROOT" --policy "$POLICY" --lock-timeout 5 \
	vm start --libvirt-xml "$SCRATCH/vm.xml" >"$SCRATCH/out" 2>"$SCRATCH/err"
RC=$?
ERR=$(cat "$SCRATCH/err")
expect_rc 0 "vm start with --root and no --state"
[ -f "$ROOT/var/lib/icmquota/state.json" ] && pass ||
	fail "journal not under the root: $(find "$ROOT" -name 'state.json*')"
grep -q rooted-vm "$ROOT/var/lib/icmquota/state.json" && pass ||
	fail "the root's journal lacks the VM"
expect_eq "$(stat -c %Y:%s "$real" 2>/dev/null || echo none)" "$before" \
	"the real host's journal untouched"
if [ -f "$real" ] && grep -q rooted-vm "$real"; then
	fail "the real host's journal names the simulated VM"
else pass; fi
finish
