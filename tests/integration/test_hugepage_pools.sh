#!/usr/bin/env bash
# Huge page demand against the pools (field case: a VM asking for 260 GiB
# of 1 GiB pages was admitted while the 1 GiB pool held 128 GiB). Per page
# size, the running VMs' huge page memory (the starting one included) is
# the demand on that size's pool:
#   1. beyond the pool and nr_overcommit_hugepages it cannot be served:
#      strict and scale refuse (one line: VM, size, demand, pool, free,
#      surplus allowed, fix), warn admits and says so, plan reports it
#   2. beyond the persistent pool but within nr_overcommit_hugepages the
#      kernel takes surplus pages from ordinary memory: the split charges
#      them (they were counted nowhere: headroom overstated)
#   3. nr_overcommit_hugepages that cannot be read is UNKNOWN, never 0
#   4. a VM bound to host NUMA nodes (<numatune>) is checked against those
#      nodes' pools too, also across VMs (the journal keeps the binding)
#   5. hugepages: manage never releases pages the running VMs' demand needs
# sysfs files are written as the kernel writes them ("N\n"); the host is
# make_sim's: 256 GiB, a 1 GiB pool of 128 pages (the default size), 2 PFs
# with 256 MiB of their own firmware pages each (512 MiB).
. "$(dirname "$0")/lib.sh"

GiB=$((1 << 30))
MiB=$((1 << 20))
sysfs() { echo "$2" >"$ROOT/sys/$1"; } # sysfs PATH VALUE, as the kernel shows it
pool() { echo "kernel/mm/hugepages/hugepages-$1kB"; }
node_pool() { echo "devices/system/node/node$1/hugepages/hugepages-$2kB"; }
split() { json "d['split']['$1']"; }
# A field of split.hugepages for one page size (bytes).
size_field() { json "[h['$2'] for h in d['split']['hugepages'] if h['page_bytes'] == $1][0]"; }
policy() { # policy ADMISSION [HUGEPAGES]
	write_policy <<EOF2
version: 1
host: { reserve: 16GiB, admission: $1, hugepages: ${2:-observe} }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
EOF2
}
G1_XML="<hugepages><page size='1' unit='G'/></hugepages>"
M2_XML="<hugepages><page size='2048' unit='KiB'/></hugepages>"

# --- 1. the field case: 260 x 1 GiB asked of a 128-page pool ---------------
make_sim
policy strict
mapfile -t PFS < <(sim_pfs)
VF0=$(sim_vf "${PFS[0]}" 0)
# The kernel boots with no surplus allowed for 1 GiB pages (it refused to
# set nr_overcommit_hugepages for gigantic sizes until 2025).
expect_eq "$(cat "$ROOT/sys/$(pool 1048576)/nr_overcommit_hugepages")" 0 "1: the sim writes nr_overcommit_hugepages as the kernel does"
domain_xml big 260 "$G1_XML" "" >"$SCRATCH/big.xml"
# The split alone would admit it: 256 - 16 - 0.5 - 0 (all huge) - 128 = 111.5
run vm start --libvirt-xml "$SCRATCH/big.xml"
expect_rc 1 "1: strict refuses a VM whose 1 GiB pages the pool cannot serve"
expect_err "VM big not started: its huge pages cannot be served: 1.0GiB huge pages: demand 260 pages (this VM 260), pool 128 pages (128 free, 0 surplus), surplus allowed 0: CANNOT serve 132 pages; raise nr_hugepages to 260 (echo 260 > /sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages), or stop a VM using them (host.admission: strict)" "1: one line: the VM, the size, demand, pool, free, surplus allowed, the fix"
expect_one_line_err "1: the refusal"
[ ! -e "$SCRATCH/state.json" ] && pass || fail "1: a refused start wrote the journal"
run hook libvirt qemu big prepare begin - <"$SCRATCH/big.xml"
expect_rc 1 "1: the libvirt hook refuses it at prepare"
expect_err "CANNOT serve 132 pages" "1: the hook's line has the figures"
# scale: lower caps cannot make huge pages appear.
policy scale
run vm start --libvirt-xml "$SCRATCH/big.xml"
expect_rc 1 "1: scale refuses it too"
expect_err "(host.admission: scale)" "1: scale names its mode"
# 128 pages are enough for 128 GiB: 256 - 16 - 0.5 - 128 = 111.5 to spare.
domain_xml fits 128 "$G1_XML" "" >"$SCRATCH/fits.xml"
policy strict
run vm start --libvirt-xml "$SCRATCH/fits.xml" -j
expect_rc 0 "1: 128 x 1 GiB fit the pool exactly"
expect_eq "$(split headroom_bytes)" $((223 * GiB / 2)) "1: headroom 111.5 GiB"
expect_eq "$(size_field $GiB servable)" True "1: the pool serves it"
run vm stop fits
# warn: admitted, said; status and plan show what cannot be served.
policy warn
run vm start --libvirt-xml "$SCRATCH/big.xml" -j
expect_rc 0 "1: warn admits it"
expect_err "warning: VM big admitted although NOT all its huge pages can be served (host.admission: warn): 1.0GiB huge pages: demand 260 pages" "1: warn says so, with the figures"
run status -j
expect_rc 0 "1: status"
expect_eq "$(size_field $GiB demand_pages)" 260 "1: status: demand 260 pages"
expect_eq "$(size_field $GiB short_pages)" 132 "1: status: 132 pages short"
expect_eq "$(size_field $GiB servable)" False "1: status: not servable"
expect_eq "$(size_field $GiB nr_overcommit_hugepages)" 0 "1: status: surplus allowed 0"
expect_eq "$(split hugepage_short_sizes)" 1 "1: status: one size short"
# Nothing of it comes from ordinary memory: no surplus charged.
expect_eq "$(split hugepage_surplus_bytes)" 0 "1: no surplus allowed, none charged"
run status
expect_out "1.0GiB huge pages: demand 260 pages, pool 128 pages (128 free, 0 surplus), surplus allowed 0: CANNOT serve 132 pages" "1: the status table"
policy strict
run plan --connect none
expect_rc 3 "1: plan: the running VMs' huge pages a problem (exit 3)"
expect_err "plan: the running VMs' huge pages cannot all be served: 1.0GiB huge pages: demand 260 pages" "1: plan names the size and the figures"
run explain big
expect_rc 0 "1: explain"
expect_out "1.0GiB huge pages: demand 260 pages (this VM 260), pool 128 pages (128 free, 0 surplus), surplus allowed 0: CANNOT serve 132 pages" "1: explain: the VM's pages against the pool"
run vm stop big

# --- 2. surplus pages are ordinary memory ------------------------------------
rm -rf "$ROOT" "$SCRATCH/state.json"
make_sim --hugepages 2MiB:8192
policy strict
mapfile -t PFS < <(sim_pfs)
VF0=$(sim_vf "${PFS[0]}" 0)
# 2 MiB pages may be overcommitted: 16384 surplus pages (32 GiB) allowed.
sysfs "$(pool 2048)/nr_overcommit_hugepages" 16384
run status -j
# pools 128 + 16 GiB: 256 - 16 - 0.5 - 144 = 95.5
expect_eq "$(split headroom_bytes)" $((191 * GiB / 2)) "2: nothing running: 95.5 GiB"
# a: 40 GiB in 2 MiB pages = 20480 pages, 8192 in the pool, 12288 (24 GiB)
# surplus; its VF's cap 4 GiB: 256 - 16 - 4 - 0.5 - 144 - 24 = 67.5
domain_xml a 40 "$M2_XML" "" "$VF0" >"$SCRATCH/a.xml"
run vm start --libvirt-xml "$SCRATCH/a.xml" -j
expect_rc 0 "2: a fits (its surplus pages within nr_overcommit_hugepages)"
expect_eq "$(split hugepage_surplus_bytes)" $((24 * GiB)) "2: 12288 surplus pages = 24 GiB charged"
expect_eq "$(split hugepage_pools_bytes)" $((144 * GiB)) "2: the pools' persistent pages"
expect_eq "$(size_field $((2 * MiB)) surplus_needed_pages)" 12288 "2: 20480 - 8192 pages from surplus"
expect_eq "$(split headroom_bytes)" $((135 * GiB / 2)) "2: headroom 67.5 GiB (was 91.5: the surplus counted nowhere)"
# b: 80 GiB of ordinary memory. Without the surplus term 91.5 - 80 = 11.5
# would be left; with it 67.5 - 80 = -12.5.
domain_xml b 80 no "" >"$SCRATCH/b.xml"
run vm start --libvirt-xml "$SCRATCH/b.xml"
expect_rc 1 "2: b refused: the surplus pages are committed"
expect_err "VM b does not fit: short by 12.5GiB" "2: the shortfall counts the surplus"
expect_err "huge page surplus 24.0GiB" "2: the refusal shows the surplus term"
expect_one_line_err "2: b's refusal"
run status
expect_out "  - huge page surplus                     24.0GiB" "2: status table: the surplus term"
expect_out "2.0MiB huge pages: demand 20480 pages, pool 8192 pages (8192 free, 0 surplus), surplus allowed 16384: 12288 pages from surplus (ordinary memory)" "2: status table: the 2 MiB pool"
# c: 20 GiB more in 2 MiB pages: 30720 pages > 8192 + 16384 = 24576.
domain_xml c 20 "$M2_XML" "" >"$SCRATCH/c.xml"
run vm start --libvirt-xml "$SCRATCH/c.xml"
expect_rc 1 "2: c refused: beyond the pool and the surplus allowed"
expect_err "VM c not started: its huge pages cannot be served: 2.0MiB huge pages: demand 30720 pages (this VM 10240), pool 8192 pages (8192 free, 0 surplus), surplus allowed 16384: CANNOT serve 6144 pages; raise nr_hugepages to 14336 (echo 14336 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)" "2: c: the figures and the fix"
# a's guest faulted 4096 surplus pages: nr_hugepages counts them (8192 +
# 4096), surplus_hugepages says which. Charged once: 16 GiB persistent in
# the pool term, max(4096, 12288) pages = 24 GiB surplus.
sysfs "$(pool 2048)/nr_hugepages" 12288
sysfs "$(pool 2048)/surplus_hugepages" 4096
sysfs "$(node_pool 0 2048)/surplus_hugepages" 4096
run status -j
expect_eq "$(split hugepage_pools_bytes)" $((144 * GiB)) "2: surplus pages in use are not persistent pages"
expect_eq "$(split hugepage_surplus_bytes)" $((24 * GiB)) "2: nor counted twice"
expect_eq "$(split headroom_bytes)" $((135 * GiB / 2)) "2: headroom still 67.5 GiB"
# The allowance lowered below the surplus in use: those pages stay.
sysfs "$(pool 2048)/nr_overcommit_hugepages" 0
run status -j
expect_eq "$(size_field $((2 * MiB)) short_pages)" 8192 "2: 20480 - 8192 - 4096 in use: 8192 short"
expect_eq "$(split hugepage_surplus_bytes)" $((8 * GiB)) "2: only the 4096 surplus pages there are"
run plan --connect none
expect_rc 3 "2: plan: the running VM's pages cannot all be served"
expect_err "raise nr_hugepages to 16384" "2: plan: the fix (8192 persistent + 8192)"
policy warn
run plan --connect none
expect_rc 0 "2: warn: plan only warns"
expect_err "plan: warning: the running VMs' huge pages cannot all be served" "2: the warning"

# --- 3. nr_overcommit_hugepages unreadable: unknown, never 0 ----------------
rm -rf "$ROOT" "$SCRATCH/state.json"
make_sim --hugepages 2MiB:8192
policy strict
rm "$ROOT/sys/$(pool 2048)/nr_overcommit_hugepages"
domain_xml in-pool 16 "$M2_XML" "" >"$SCRATCH/in-pool.xml"
run vm start --libvirt-xml "$SCRATCH/in-pool.xml" -j
expect_rc 0 "3: 8192 pages within the pool: the allowance does not matter"
expect_eq "$(size_field $((2 * MiB)) nr_overcommit_hugepages)" None "3: unknown is null"
expect_eq "$(size_field $((2 * MiB)) servable)" True "3: served by the pool"
run vm start --libvirt-xml "$SCRATCH/a.xml"
expect_rc 1 "3: a needs surplus pages, allowed unknown: strict refuses"
expect_err "VM a not started: whether its huge pages can be served is unknown: 2.0MiB huge pages: demand 28672 pages (this VM 20480), pool 8192 pages (8192 free, 0 surplus), surplus allowed UNKNOWN" "3: UNKNOWN, with the figures"
expect_err "hugepages-2048kB/nr_overcommit_hugepages" "3: the file that could not be read"
expect_one_line_err "3: the refusal"
policy warn
run vm start --libvirt-xml "$SCRATCH/a.xml" -j
expect_rc 0 "3: warn admits it"
expect_err "warning: VM a admitted although it is UNKNOWN whether its huge pages can be served" "3: and says so"
expect_eq "$(size_field $((2 * MiB)) servable)" None "3: servable unknown (null)"
# Charged as if served: 28672 - 8192 = 20480 pages (40 GiB) from surplus.
expect_eq "$(split hugepage_surplus_bytes)" $((40 * GiB)) "3: unknown allowance: the demand beyond the pool charged"

# --- 4. VMs bound to host NUMA nodes ----------------------------------------
rm -rf "$ROOT" "$SCRATCH/state.json"
make_sim
policy strict
# The kernel spread the 128 pages over both nodes.
for n in 0 1; do
	sysfs "$(node_pool $n 1048576)/nr_hugepages" 64
	sysfs "$(node_pool $n 1048576)/free_hugepages" 64
done
XML=$FIX/libvirt/hugepages-numatune.xml
run vm inspect --libvirt-xml "$XML" -j
expect_eq "$(json '[(h["page_bytes"], h["host_nodes"], h["bytes"] >> 30) for h in d["huge"]]')" "[($GiB, [0], 48), ($GiB, [1], 48)]" "4: inspect: cell 0 on node 0, cell 1 on node 1 (<memnode>)"
run vm start --libvirt-xml "$XML" -j
expect_rc 0 "4: 48 pages on each node: fits"
expect_eq "$(size_field $GiB servable)" True "4: served"
# A second VM, 24 GiB bound to node 1: 48 + 24 = 72 pages on node 1's 64,
# though the whole pool (128) holds 96 + 24 = 120.
cat >"$SCRATCH/node1.xml" <<'EOF2'
<domain type='kvm'>
  <name>on-node1</name>
  <memory unit='KiB'>25165824</memory>
  <memoryBacking>
    <hugepages>
      <page size='1048576' unit='KiB'/>
    </hugepages>
  </memoryBacking>
  <numatune>
    <memory mode='strict' nodeset='1'/>
  </numatune>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
  </devices>
</domain>
EOF2
run vm start --libvirt-xml "$SCRATCH/node1.xml"
expect_rc 1 "4: refused: node 1's pool cannot serve it"
expect_err "VM on-node1 not started: its huge pages cannot be served: 1.0GiB huge pages: demand 120 pages (this VM 24), pool 128 pages (128 free, 0 surplus), surplus allowed 0; bound to host node 1: demand 72 pages, pool 64 pages (64 free): CANNOT serve 8 pages; raise host node 1's pool to 72 pages (echo 72 > /sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages)" "4: the node, its figures and the fix"
expect_one_line_err "4: the refusal"
# interleave spreads over nodes with a fallback: not bound.
sed "s/mode='strict'/mode='interleave'/" "$SCRATCH/node1.xml" >"$SCRATCH/interleave.xml"
run vm start --libvirt-xml "$SCRATCH/interleave.xml"
expect_rc 0 "4: interleave is not bound to node 1: the whole pool serves it"
run vm stop on-node1
# Node 1's pool unreadable: a VM bound to it is unknown, not fitted to 0.
rm "$ROOT/sys/$(node_pool 1 1048576)/free_hugepages"
run vm start --libvirt-xml "$SCRATCH/node1.xml"
expect_rc 1 "4: node 1's pool unknown: strict refuses"
expect_err "whether its huge pages can be served is unknown" "4: says unknown"
expect_err "node1/hugepages/hugepages-1048576kB/free_hugepages" "4: names the file"

# --- 5. hugepages: manage keeps what the running VMs' demand needs ----------
rm -rf "$ROOT" "$SCRATCH/state.json"
make_sim
policy strict manage
P1G=$ROOT/sys/$(pool 1048576)/nr_hugepages
# h: 100 GiB in 1 GiB pages (the sim leaves the pages free, as before a
# guest touches them): 256 - 16 - 0.5 - 128 = 111.5 to spare.
domain_xml h 100 "$G1_XML" "" >"$SCRATCH/h.xml"
run vm start --libvirt-xml "$SCRATCH/h.xml"
expect_rc 0 "5: h starts"
# o: 121 GiB ordinary: -9.5 GiB, so 10 free 1 GiB pages go (28 spare).
domain_xml o 121 no "" >"$SCRATCH/o.xml"
run vm start --libvirt-xml "$SCRATCH/o.xml" -j
expect_rc 0 "5: o fits once 10 pages are released"
expect_eq "$(json 'd["released_hugepages"]')" 10 "5: 10 released"
expect_eq "$(cat "$P1G")" 118 "5: the pool at 118"
expect_eq "$(split headroom_bytes)" $((GiB / 2)) "5: headroom 0.5 GiB"
# o2: 20 GiB ordinary needs 20 more pages; 118 - 100 = 18 are spare: the
# 118 free pages are h's, so nothing is released and o2 is refused.
domain_xml o2 20 no "" >"$SCRATCH/o2.xml"
run vm start --libvirt-xml "$SCRATCH/o2.xml"
expect_rc 1 "5: o2 refused: releasing would leave h's pages to surplus"
expect_err "VM o2 does not fit: short by 19.5GiB" "5: the shortfall"
expect_eq "$(cat "$P1G")" 118 "5: no page released"
finish
