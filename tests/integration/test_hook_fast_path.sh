#!/usr/bin/env bash
# The libvirt hook on domains without VFs: every VM counts in the memory
# split (issue 7 case 2), so a domain without <hostdev> is parsed and
# journalled at prepare (no firmware command) and closed at release; a VM
# journalled with VFs (hot-unplugged before its stop) still has its entry
# closed and its VF back to idle.
. "$(dirname "$0")/lib.sh"

make_sim
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB, admission: strict }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
EOF2
mapfile -t PFS < <(sim_pfs)
VF00=$(sim_vf "${PFS[0]}" 0)
domain_xml hot 8 no "" "$VF00" >"$SCRATCH/hot.xml"
domain_xml hot 8 no "" >"$SCRATCH/hot-unplugged.xml"
domain_xml plain 8 no "" >"$SCRATCH/plain.xml"
hook() { # hook NAME OP SUBOP XML
	run hook libvirt qemu "$1" "$2" "$3" - <"$4"
}
journal_vms() {
	python3 -c 'import json,sys; print(",".join(v["name"] for v in json.load(open(sys.argv[1]))["vms"]))' "$SCRATCH/state.json"
}

hook hot prepare begin "$SCRATCH/hot.xml"
expect_rc 0 "prepare of a VM with a VF"
expect_eq "$(journal_vms)" hot "journalled at prepare"

# A domain without hostdev: its memory counts, so it is journalled.
hook plain prepare begin "$SCRATCH/plain.xml"
expect_rc 0 "prepare of a domain without hostdev"
expect_eq "$(journal_vms)" hot,plain "a plain domain is journalled (its memory counts)"
hook plain release end "$SCRATCH/plain.xml"
expect_rc 0 "release of a plain domain"
expect_eq "$(journal_vms)" hot "its entry closed at release"
# A truncated domain XML is refused at prepare, hostdev or not.
printf "<domain type='kvm'><name>plain</name><memory>1" >"$SCRATCH/cut.xml"
hook plain prepare begin "$SCRATCH/cut.xml"
expect_rc 1 "a truncated domain XML is refused at prepare"

# The VF was hot-unplugged: the stop's XML has no hostdev, the journal
# still names the VM: its entry is closed, its VF back to idle.
hook hot release end "$SCRATCH/hot-unplugged.xml"
expect_rc 0 "release of a journalled VM without hostdev now"
expect_eq "$(journal_vms)" "" "journal entry closed"
run status -j
expect_rc 0 "status"
expect_eq "$(json "[v['cap_bytes'] for p in d['pfs'] for v in p['vfs'] if v['pci']=='$VF00'][0]")" \
	$((256 << 20)) "the unplugged VF back to idle_vf_cap"

# A VF domain's XML still goes through the parser: a broken one is refused.
printf "<domain type='kvm'><name>hot</name><devices><hostdev" >"$SCRATCH/broken.xml"
hook hot prepare begin "$SCRATCH/broken.xml"
expect_rc 1 "a broken domain XML with hostdev is refused at prepare"
expect_err "not well-formed" "the parser's reason"

finish
