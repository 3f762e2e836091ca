#!/usr/bin/env bash
# The libvirt hook's calls with nothing to do: a domain without <hostdev>
# is not parsed (libxml2 not even loaded), and its stop reads the journal
# as text and parses it only when the VM's name is in it; a VM journalled
# with VFs (hot-unplugged before its stop) still has its entry closed.
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

# A domain without hostdev: nothing to do, whatever else its XML holds
# (libvirt passes its own well-formed XML; this one is cut short to show
# it is not parsed).
printf "<domain type='kvm'><name>plain</name><memory>1" >"$SCRATCH/cut.xml"
hook plain prepare begin "$SCRATCH/cut.xml"
expect_rc 0 "prepare of a domain without hostdev: not parsed"
hook plain release end "$SCRATCH/plain.xml"
expect_rc 0 "release of an unjournalled plain domain"
expect_eq "$(journal_vms)" hot "journal untouched by a plain domain"

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
