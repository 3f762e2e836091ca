#!/usr/bin/env bash
# Page counters that are not there (issue 7 case 6): kernels before 2022
# have no debugfs pages/ directory; vhca_id page management leaves only
# fw_pages_total. Unknown shows as unknown (null + reason), never 0 B;
# fw_pages_total alone is counted whole (the safe side), and said so.
. "$(dirname "$0")/lib.sh"

write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB, admission: strict }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB }
EOF2

# --- no pages/ directory -------------------------------------------------
make_sim --fw-pages-files none
mapfile -t PFS < <(sim_pfs)
[ -d "$ROOT/sys/kernel/debug/mlx5/${PFS[0]}" ] && [ ! -e "$ROOT/sys/kernel/debug/mlx5/${PFS[0]}/pages" ] &&
	pass || fail "sim: mlx5 debugfs without pages/"
run status
expect_rc 0 "none: status"
expect_out "fw_pages unknown (no debugfs pages/ directory" "none: status says unknown, with the reason"
expect_out "UNKNOWN for 2 PFs" "none: the split term is unknown, not 0 B"
run status -j
expect_eq "$(json '[p["fw_pages"]["total"] for p in d["pfs"]]')" "[None, None]" "none: -j null"
expect_out "no debugfs pages/ directory" "none: -j reason"
domain_xml vm-1 8 no "" "$(sim_vf "${PFS[0]}" 0)" >"$SCRATCH/vm1.xml"
run plan --libvirt-xml "$SCRATCH/vm1.xml" -j
expect_eq "$(json 'd["split"]["pf_fw_pages_bytes"]')" None "none: plan -j null"
expect_eq "$(json 'd["split"]["pf_fw_pages_unknown_pfs"]')" 2 "none: two PFs unknown"
expect_eq "$(json 'd["split"]["pf_fw_pages_source"]')" unknown "none: source"
run vm start --libvirt-xml "$SCRATCH/vm1.xml"
expect_rc 0 "none: admitted (it fits without them)"
expect_err "PF firmware pages are not all known" "none: admission says so"
expect_err "the headroom may be overstated" "none: and what that means"

# --- fw_pages_total only ------------------------------------------------
# Each PF gave its firmware 2 GiB (524288 pages); before, counted as 0.
make_sim --fw-pages-files total --pf-pages 524288 --force
[ -e "$ROOT/sys/kernel/debug/mlx5/${PFS[0]}/pages/fw_pages_total" ] &&
	[ ! -e "$ROOT/sys/kernel/debug/mlx5/${PFS[0]}/pages/fw_pages_vfs" ] && pass ||
	fail "sim: fw_pages_total only"
rm -f "$SCRATCH/state.json"
run plan --libvirt-xml "$SCRATCH/vm1.xml" -j
expect_eq "$(json 'd["split"]["pf_fw_pages_bytes"]')" $((4 << 30)) "total: 2 x 2 GiB counted"
expect_eq "$(json 'd["split"]["pf_fw_pages_source"]')" fw_pages_total "total: says which source"
run status
expect_out "(fw_pages_total of 2 PFs, VFs' pages included)" "total: the table says so"
run sim register --vf "$(sim_vf "${PFS[0]}" 1)" --bytes 1GiB
run plan --libvirt-xml "$SCRATCH/vm1.xml" -j
if [ "$(json 'd["split"]["pf_fw_pages_bytes"]')" -gt $((4 << 30)) ]; then pass; else
	fail "total: a VF's pages are in the total, counted (over-counting is the safe side)"; fi

# --- all counters: the PF's own share ------------------------------------
make_sim --pf-pages 524288 --force
run plan --libvirt-xml "$SCRATCH/vm1.xml" -j
expect_eq "$(json 'd["split"]["pf_fw_pages_bytes"]')" $((4 << 30)) "all: own pages"
expect_eq "$(json 'd["split"]["pf_fw_pages_source"]')" "fw_pages_total - fw_pages_vfs" "all: source"
finish
