#!/usr/bin/env bash
# The vhca_id cache (STATE.vhca-ids): a second apply asks the firmware no
# vhca_id; a reboot (boot_id), a VF re-created (a new sysfs directory) and
# an sriov_numvfs change each make the firmware be asked again, for the
# VFs concerned only; a cached vhca_id the firmware no longer knows is
# asked again, not trusted; a corrupt cache file costs queries, not a run.
. "$(dirname "$0")/lib.sh"

make_sim
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB, admission: strict }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
EOF2
mapfile -t PFS < <(sim_pfs)
VF00=$(sim_vf "${PFS[0]}" 0)
mkdir "$SCRATCH/vms"
domain_xml vm-a 8 no "" "$VF00" >"$SCRATCH/vms/vm-a.xml"
CACHE=$SCRATCH/state.json.vhca-ids

# counts KIND in the trace: "queries" (QUERY_HCA_CAP other_function, with
# the function ids), "reads" (VHCA_ICM_CTRL reads), "writes"
counts() {
	python3 - "$SCRATCH/trace" <<'EOF'
import sys
q, fids, rd, wr = 0, [], 0, 0
for line in open(sys.argv[1]):
    if not line.startswith("> "):
        continue
    b = bytes.fromhex(line[2:].strip())
    opcode, op_mod = int.from_bytes(b[0:2], "big"), int.from_bytes(b[6:8], "big")
    if opcode == 0x100 and b[8] & 0x80:
        q += 1
        fids.append(int.from_bytes(b[10:12], "big"))
    elif opcode in (0x805, 0xb0c) and int.from_bytes(b[10:12], "big") == 0xc010:
        rd += op_mod == 1
        wr += op_mod == 0
print(q, rd, wr, ",".join(map(str, fids)) or "-")
EOF
}
apply_traced() { # apply_traced LABEL: sets Q R W FIDS, and LINKS: the
	# virtfnN links read (strace), discovery's cost per VF it does not know
	ASAN_OPTIONS=detect_leaks=0 \
		strace -f -qq -e trace=readlink,readlinkat -o "$SCRATCH/strace" \
		"$BIN" --config none --root "$ROOT" --policy "$POLICY" \
		--state "$SCRATCH/state.json" --trace-fw "$SCRATCH/trace" \
		apply --libvirt-xml "$SCRATCH/vms" >"$SCRATCH/out" 2>"$SCRATCH/err"
	RC=$? ERR=$(cat "$SCRATCH/err") OUT=$(cat "$SCRATCH/out")
	expect_rc 0 "$1: apply"
	read -r Q R W FIDS < <(counts)
	LINKS=$(grep -c '"virtfn[0-9]*"' "$SCRATCH/strace")
}

apply_traced "first apply"
expect_eq "$Q" 8 "first apply asks every VF's vhca_id"
expect_eq "$R" 8 "first apply reads every cap once"
expect_eq "$W" 8 "first apply writes every cap"
expect_eq "$LINKS" 8 "first apply reads every virtfn link"
expect_eq "$(grep -c . "$CACHE")" $((3 + 8)) "cache: header and 8 VFs"
expect_eq "$(sed -n 2p "$CACHE")" "boot_id -" "cache: no boot_id on this root"

apply_traced "second apply"
expect_eq "$Q" 0 "second apply: no vhca_id query"
expect_eq "$R" 8 "second apply: one read per VF"
expect_eq "$W" 0 "second apply: no write"
expect_eq "$LINKS" 0 "second apply: no virtfn link read (the cache knows them)"

# A reboot: the kernel's boot_id changes.
mkdir -p "$ROOT/proc/sys/kernel/random"
echo 0b5e0a1c-0000-4000-8000-000000000001 >"$ROOT/proc/sys/kernel/random/boot_id"
apply_traced "after a reboot"
expect_eq "$Q" 8 "reboot: every vhca_id asked again"
apply_traced "after a reboot, again"
expect_eq "$Q" 0 "reboot: cached again"
echo 0b5e0a1c-0000-4000-8000-000000000002 >"$ROOT/proc/sys/kernel/random/boot_id"
apply_traced "after a second reboot"
expect_eq "$Q" 8 "second reboot: every vhca_id asked again"

# A VF re-created: as the kernel does it (pci_iov_remove_virtfn, then
# pci_iov_add_virtfn), a new sysfs directory and a new virtfn0 link in the
# PF's directory; the firmware gives the new function another vhca_id
# (0x3f0). The PF's directory changed: its VFs are asked again (the other
# PF's are not), and the cap goes to the new vhca_id.
python3 - "$ROOT/icmquota-sim/fw/${PFS[0]}.json" <<'EOF'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
for f in d["funcs"]:
    if f["function_id"] == 1:
        f["vhca_id"] = 0x3f0
        f["cap"] = 4294967295  # a fresh function: unlimited
json.dump(d, open(p, "w"))
EOF
dir=$(readlink -f "$ROOT/sys/bus/pci/devices/${PFS[0]}/virtfn0")
cp -a "$dir" "$dir.new" && rm -rf "$dir" && mv "$dir.new" "$dir"
link=$ROOT/sys/bus/pci/devices/${PFS[0]}/virtfn0
ln -s "$(readlink "$link")" "$link.new" && mv -T "$link.new" "$link"
apply_traced "VF re-created"
expect_eq "$Q" 4 "VF re-created: its PF's four vhca_ids asked"
expect_eq "$LINKS" 4 "VF re-created: its PF's links read, not the other PF's"
expect_eq "$FIDS" 1,2,3,4 "VF re-created: the queries are for that PF's functions"
expect_eq "$R" 8 "VF re-created: no failed read on a stale vhca_id"
expect_eq "$W" 1 "VF re-created: its cap written again"
expect_out "$VF00" "VF re-created: listed"
grep -q "^$VF00 .* 3f0\$" "$CACHE" && pass || fail "cache holds the new vhca_id: $(grep "^$VF00" "$CACHE")"

# sriov_numvfs 4 -> 3 on the second PF: its VFs are asked again, the
# first PF's are not.
last=$(sim_vf "${PFS[1]}" 3)
rm -rf "$(readlink -f "$ROOT/sys/bus/pci/devices/${PFS[1]}/virtfn3")"
rm -f "$ROOT/sys/bus/pci/devices/${PFS[1]}/virtfn3" "$ROOT/sys/bus/pci/devices/$last"
echo 3 >"$ROOT/sys/bus/pci/devices/${PFS[1]}/sriov_numvfs"
apply_traced "sriov_numvfs changed"
expect_eq "$Q" 3 "numvfs change: the PF's 3 VFs asked again"
expect_eq "$FIDS" 1,2,3 "numvfs change: functions 1-3 of that PF"
expect_eq "$R" 7 "numvfs change: 7 VFs read"

# A stale entry the keys cannot see (the firmware changed the vhca_id
# under the same directory): the read is refused, the VF asked again.
python3 - "$ROOT/icmquota-sim/fw/${PFS[0]}.json" <<'EOF'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
for f in d["funcs"]:
    if f["function_id"] == 2:
        f["vhca_id"] = 0x3f1
json.dump(d, open(p, "w"))
EOF
apply_traced "stale entry"
expect_eq "$Q" 1 "stale entry: asked again after the refused read"
expect_eq "$R" 8 "stale entry: 7 reads and the refused one again"
expect_eq "$W" 0 "stale entry: nothing to write"

# A corrupt cache: ignored and rewritten.
echo "garbage" >"$CACHE"
apply_traced "corrupt cache"
expect_eq "$Q" 7 "corrupt cache: every VF asked"
expect_eq "$(head -1 "$CACHE")" "icmquota vhca-ids 3" "corrupt cache rewritten"
apply_traced "after the corrupt cache"
expect_eq "$Q" 0 "cached again"

# A line edited into another well-formed address, its keys kept: not the
# address SR-IOV gives that virtfn link (sriov_offset, sriov_stride), so
# the link is read and the cap stays with the VF the link points to.
bus=${PFS[0]%:*}
sed -i "s/^$VF00 /$bus:1f.7 /" "$CACHE"
apply_traced "address edited"
expect_eq "$LINKS" 1 "address edited: that virtfn link read"
expect_eq "$Q" 1 "address edited: that VF's vhca_id asked"
expect_eq "$W" 0 "address edited: no cap written through a wrong vhca_id"
expect_eq "$(grep -c "$bus:1f.7" <<<"$OUT")" 0 \
	"address edited: the edited address shown nowhere"
run sim show -j
expect_eq "$(json "[f['cap_pages'] for f in d[0]['functions'] if f['pci'] == '$VF00']")" \
	"[1048576]" "address edited: $VF00 keeps its 4 GiB cap"

# Two VFs of a PF with one vhca_id: one line is wrong and nothing says
# which; the whole cache is set aside and every VF asked.
VF01=$(sim_vf "${PFS[0]}" 1)
vhca00=$(awk -v vf="$VF00" '$1 == vf { print $7 }' "$CACHE")
awk -v vf="$VF01" -v id="$vhca00" '$1 == vf { $7 = id } { print }' "$CACHE" \
	>"$CACHE.new" && mv "$CACHE.new" "$CACHE"
apply_traced "vhca_id given twice"
expect_eq "$Q" 7 "vhca_id given twice: every VF asked (as for a corrupt cache)"
expect_eq "$W" 0 "vhca_id given twice: nothing written"

# sriov_numvfs 4 -> 0 -> 4 on the first PF the kernel's way (every link and
# VF directory removed, then each VF directory and link made again), the
# new VFs at other addresses. On this file system the new links get the
# freed inode numbers back: the cache must still see a new PF directory,
# never map a VF to the address it had before.
P0DIR=$ROOT/sys/bus/pci/devices/${PFS[0]}
VFPARENT=$(dirname "$(readlink -f "$P0DIR/virtfn0")")
cp -a "$(readlink -f "$P0DIR/virtfn0")" "$SCRATCH/vf-template"
inodes_before=$(ls -i "$P0DIR" | awk '/virtfn/ { print $2 "=" $1 }' | sort | paste -sd,)
for i in 3 2 1 0; do
	t=$(readlink -f "$P0DIR/virtfn$i")
	rm -f "$P0DIR/virtfn$i"
	rm -rf "$t"
	rm -f "$ROOT/sys/bus/pci/devices/$(basename "$t")"
done
i=0
bus=${PFS[0]%:*}
for a in "$bus:01.1" "$bus:01.2" "$bus:01.3" "$bus:01.4"; do
	cp -a "$SCRATCH/vf-template" "$VFPARENT/$a"
	ln -s "$(realpath --relative-to="$ROOT/sys/bus/pci/devices" "$VFPARENT/$a")" \
		"$ROOT/sys/bus/pci/devices/$a"
	ln -s "../$a" "$P0DIR/virtfn$i"
	i=$((i + 1))
done
inodes_after=$(ls -i "$P0DIR" | awk '/virtfn/ { print $2 "=" $1 }' | sort | paste -sd,)
echo "$T_NAME: virtfn inodes before $inodes_before, after $inodes_after"
run status -j
expect_rc 3 "VFs re-created elsewhere: status (vm-a's VF is gone)"
expect_err "PCI device $VF00 does not exist on this host" "VFs re-created elsewhere: the gone VF named"
got=$(json "sorted(v['pci'] for v in d['pfs'][0]['vfs'])")
expect_eq "$got" "['$bus:01.1', '$bus:01.2', '$bus:01.3', '$bus:01.4']" \
	"VFs re-created elsewhere: status names the new addresses"
run sim show -j
truth=$(json "sorted(f['pci'] for f in d[0]['functions'] if f['function_id'])")
expect_eq "$got" "$truth" "VFs re-created elsewhere: the simulated firmware agrees"

finish
