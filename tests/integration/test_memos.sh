#!/usr/bin/env bash
# Memos (lib/memo.c): what a run parsed, kept beside its text, is used only
# for the same bytes. A user who edits a domain XML, the journal or the
# simulated firmware by hand sees the edit at once; a damaged memo costs a
# parse, never a wrong answer. (The test build also parses every memo hit
# and stops on a difference, so every other test checks the memos too.)
. "$(dirname "$0")/lib.sh"

make_sim
write_policy <<'P'
version: 1
host: { reserve: 16GiB, admission: strict }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
P
mapfile -t PFS < <(sim_pfs)
A0=$(sim_vf "${PFS[0]}" 0) A1=$(sim_vf "${PFS[1]}" 0)
mkdir -p "$SCRATCH/vms"
domain_xml A 16 no "" "$A0" "$A1" >"$SCRATCH/vms/A.xml"
nonhuge_gib() { json "d['split']['vm_nonhuge_bytes'] / 2**30"; }

run apply --libvirt-xml "$SCRATCH/vms" -j
expect_rc 0 "first apply"
expect_eq "$(nonhuge_gib)" 16.0 "A's 16 GiB of ordinary memory"
for f in state.json.memo state.json.domains.memo; do
	[ -s "$SCRATCH/$f" ] && pass || fail "$f written beside the journal"
done
[ -s "$ROOT/icmquota-sim/fw/${PFS[0]}.json.memo" ] && pass ||
	fail "the simulated firmware's memo written beside its state"

# The domain XML edited, same length (16 -> 24 GiB): the new size counts.
sed -i 's/>16</>24</' "$SCRATCH/vms/A.xml"
run plan --libvirt-xml "$SCRATCH/vms" -j
expect_rc 0 "plan after the XML edit"
expect_eq "$(nonhuge_gib)" 24.0 "the edited XML's 24 GiB, not the memo's 16"

# The journal edited by hand, same length: status, with no VM source,
# takes the running VMs from the journal, and reads A's memory as edited.
run apply --libvirt-xml "$SCRATCH/vms" -j
expect_rc 0 "apply with 24 GiB"
grep -q '"memory_bytes":25769803776' "$SCRATCH/state.json" && pass ||
	fail "the journal holds A's 24 GiB"
sed -i 's/"memory_bytes":25769803776/"memory_bytes":26843545600/' \
	"$SCRATCH/state.json"
run status -j
expect_rc 0 "status after the journal edit"
expect_eq "$(nonhuge_gib)" 25.0 "status reads the edited journal's 25 GiB"

# The simulated firmware edited by hand: the cap read back as edited.
python3 - "$ROOT/icmquota-sim/fw/${PFS[1]}.json" <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p))
for f in d['funcs']:
    if f['function_id'] == 1:
        f['cap'] = 12345
json.dump(d, open(p, 'w'))
PY
run plan --libvirt-xml "$SCRATCH/vms" -j
expect_eq "$(json "[v['actual_cap_bytes'] for v in d['vfs'] if v['vf'] == '$A1'][0]")" \
	$((12345 * 4096)) "plan reads the edited firmware state"

# Damaged memos (garbage, cut short, emptied): ignored and rewritten.
for f in "$SCRATCH/state.json.memo" "$SCRATCH/state.json.domains.memo" \
	"$ROOT/icmquota-sim/fw/${PFS[1]}.json.memo"; do
	head -c 100 "$f" >"$f.cut" && mv "$f.cut" "$f"
done
run plan --libvirt-xml "$SCRATCH/vms" -j
expect_rc 0 "plan with memos cut short"
expect_eq "$(nonhuge_gib)" 24.0 "memos cut short: the XML parsed"
echo garbage >"$SCRATCH/state.json.domains.memo"
: >"$SCRATCH/state.json.memo"
run apply --libvirt-xml "$SCRATCH/vms" -j
expect_rc 0 "apply with garbage memos"
expect_eq "$(json "d['writes']")" 1 "the edited cap written back, once"
run apply --libvirt-xml "$SCRATCH/vms" -j
expect_eq "$(json "d['writes']")" 0 "then nothing to write"
[ "$(head -c 16 "$SCRATCH/state.json.memo")" = "icmquota memo 1" ] && pass ||
	fail "the emptied journal memo rewritten"

# A memo is not needed: all deleted, the same answers.
rm -f "$SCRATCH"/*.memo "$ROOT"/icmquota-sim/fw/*.memo
run plan --libvirt-xml "$SCRATCH/vms" -j
expect_rc 0 "plan without memos"
expect_eq "$(nonhuge_gib)" 24.0 "without memos: the same split"

# The facts depend on the kernel's page size, not only on the XML: a <page>
# of the system page size is ordinary memory. Under a 64 KiB page kernel
# (arm64 hosts boot either size with one binary), a VM's 64 KiB <page>
# read under 4 KiB pages as huge pages is ordinary memory: the domain memo
# made under 4 KiB pages must not answer. The page size is faked by a
# sysconf shim (after the ASan runtime, which must come first).
if command -v cc >/dev/null; then
	cc -shared -fPIC -o "$SCRATCH/pagesize.so" -x c - -ldl <<'EOF_C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <unistd.h>
long sysconf(int name)
{
	long (*real)(int) = (long (*)(int))dlsym(RTLD_NEXT, "sysconf");

	return name == _SC_PAGESIZE ? 65536 : real(name);
}
EOF_C
	preload="$(ldd "$BIN" | awk '/libasan/ { print $3; exit }') $SCRATCH/pagesize.so"
	mkdir -p "$SCRATCH/vms64"
	domain_xml B 16 "<hugepages><page size='64' unit='KiB'/></hugepages>" \
		"" "$A0" >"$SCRATCH/vms64/B.xml"
	run plan --libvirt-xml "$SCRATCH/vms64" -j
	expect_eq "$(nonhuge_gib)" 0.0 "4 KiB pages: B's 64 KiB pages are huge pages"
	LD_PRELOAD=$preload run plan --libvirt-xml "$SCRATCH/vms64" -j
	expect_eq "$(nonhuge_gib)" 16.0 \
		"64 KiB pages: B's memory is ordinary memory, memo or not"
	expect_eq "$(grep -c 'memo differs' <<<"$ERR")" 0 \
		"64 KiB pages: no memo taken for a parse of another page size"
else
	echo "SKIP [$T_NAME] page size case: no C compiler for the sysconf shim"
fi

# Not a file at a memo's path (a FIFO: opening it would block a hook
# forever): passed over, and replaced by the next memo written.
rm -f "$SCRATCH/state.json.memo"
mkfifo "$SCRATCH/state.json.memo"
timeout 30 "$BIN" --config none --root "$ROOT" --policy "$POLICY" \
	--state "$SCRATCH/state.json" status -j >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
[ "$rc" != 124 ] && pass || fail "a FIFO at the journal's memo blocked status"
expect_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["split"]["vm_nonhuge_bytes"] // 2**30)' "$SCRATCH/out")" \
	24 "FIFO memo: the journal parsed"
finish
