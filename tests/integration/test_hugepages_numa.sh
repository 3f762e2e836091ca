#!/usr/bin/env bash
# Huge pages for some NUMA cells only (issue 7 case 3): a 1 TiB VM in two
# 512 GiB cells with 1 GiB pages for cell 0 only. Cell 1 is ordinary
# memory: the split charges it (512 GiB) and the VM is refused. Before,
# all 1 TiB counted as huge pages and the VM was admitted at +174.5 GiB.
. "$(dirname "$0")/lib.sh"

ROOT=$SCRATCH/host
"$BIN" --config none sim init "$ROOT" --pfs 2 --vfs 4 --enabled-vfs 4 \
	--mem 2TiB --hugepages 1GiB:1536 >/dev/null || { echo "sim init failed"; exit 1; }
write_policy <<'EOF2'
version: 1
host: { reserve: 333GiB, admission: strict }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB }
EOF2
XML=$FIX/libvirt/numa-partial-hugepages.xml

run vm inspect --libvirt-xml "$XML" -j
expect_rc 0 "inspect"
expect_eq "$(json 'd["hugepage_bytes"]')" $((512 << 30)) "inspect: 512 GiB in huge pages"
expect_eq "$(json '[(h["page_bytes"], h["bytes"]) for h in d["huge"]]')" "[($((1 << 30)), $((512 << 30)))]" "inspect: all of it in 1 GiB pages"
run vm inspect --libvirt-xml "$XML"
expect_out "hugepages 512.0GiB in 1.0GiB pages" "inspect: the table says it"

# 2048 - 333 reserve - 4 cap - 0.5 PF pages - 512 cell 1 - 1536 pools
run plan --libvirt-xml "$XML" -j
expect_rc 3 "plan: the split it plans overcommits: a problem (exit 3)"
expect_err "plan: the host is overcommitted by 337.5GiB" "plan: says so"
expect_eq "$(json 'd["split"]["vm_nonhuge_bytes"]')" $((512 << 30)) "plan: cell 1 is ordinary memory"
expect_eq "$(json 'd["split"]["headroom_bytes"]')" $((-(675 << 29))) "plan: headroom -337.5 GiB"
expect_eq "$(json 'd["split"]["fits"]')" False "plan: does not fit"

run vm start --libvirt-xml "$XML"
expect_rc 1 "start: refused"
expect_err "VM numa-half-huge does not fit: short by 337.5GiB" "start: the shortfall"
expect_err "non-hugepage VM memory 512.0GiB" "start: the term that was missing"
expect_one_line_err "start: one line"

# The same VM with both cells in 1 GiB pages fits: 174.5 GiB to spare.
sed "s/nodeset='0'/nodeset='0-1'/" "$XML" >"$SCRATCH/all-huge.xml"
run vm start --libvirt-xml "$SCRATCH/all-huge.xml" -j
expect_rc 0 "all cells huge: admitted"
expect_eq "$(json 'd["split"]["headroom_bytes"]')" $((349 << 29)) "all cells huge: +174.5 GiB"
finish
