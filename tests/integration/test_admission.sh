#!/usr/bin/env bash
# Admission by the memory split, with numbers, on the incident's shape: a
# 2 TiB host, 2010 x 1 GiB huge pages, 8 PFs with 64 MiB of their own
# firmware pages each, one 8-GPU VM with one VF per PF and 1920 GiB of huge
# page memory. With reserve 18GiB the VF caps can take 19.5 GiB in all.
. "$(dirname "$0")/lib.sh"

GIB=$((1 << 30))
sim() { # sim FREE_HUGEPAGES
	ROOT=$SCRATCH/host
	rm -f "$SCRATCH/state.json"
	"$BIN" --config none sim init "$ROOT" --force --pfs 8 --vfs 8 --gpus 8 \
		--mem 2TiB --hugepages "1GiB:2010:$1" --host-used 17GiB \
		--total-icm 128GiB --pf-pages 16384 >/dev/null || exit 1
	mapfile -t PFS < <(sim_pfs)
	VFS=()
	for pf in "${PFS[@]}"; do VFS+=("$(sim_vf "$pf" 0)"); done
	domain_xml train-0 1920 yes "" "${VFS[@]}" >"$SCRATCH/train.xml"
}
policy() { # policy ADMISSION VF_CAP MIN HUGEPAGES
	write_policy <<EOF2
version: 1
host: { reserve: 18GiB, admission: $1, hugepages: $4 }
defaults: { vf_cap: $2, idle_vf_cap: 256MiB, min_vf_cap: $3 }
EOF2
}
caps() { # the firmware caps of the VM's VFs, in bytes, one per line
	"$BIN" --config none --root "$ROOT" sim show -j | python3 -c '
import json, sys
vfs = sys.argv[1:]
for p in json.load(sys.stdin):
    for f in p["functions"]:
        if f["pci"] in vfs:
            print("unlimited" if f["cap_pages"] == "unlimited" else f["cap_pages"] * 4096)
' "${VFS[@]}"
}
fw_digest() { cat "$ROOT"/icmquota-sim/fw/*.json | md5sum; }

# strict, 8 x 2GiB = 16GiB: fits with 3.5GiB to spare
sim 90; policy strict 2GiB 1GiB observe
run vm start --libvirt-xml "$SCRATCH/train.xml" -j
expect_rc 0 "strict fits"
expect_eq "$(json 'd["split"]["headroom_bytes"]')" $((7 * GIB / 2)) "strict fits: headroom 3.5GiB"
expect_eq "$(caps | sort -u)" $((2 * GIB)) "strict fits: caps 2GiB"

# strict, 8 x 4GiB = 32GiB: short by 12.5GiB, refused, nothing written
sim 90; policy strict 4GiB 1GiB observe
before=$(fw_digest)
run vm start --libvirt-xml "$SCRATCH/train.xml"
expect_rc 1 "strict refuses"
expect_err "VM train-0 does not fit: short by 12.5GiB" "refusal names VM and shortfall"
expect_err "VF caps 32.0GiB" "refusal shows the caps term"
expect_err "host.admission: scale" "refusal names the knob"
expect_one_line_err "strict refusal"
expect_eq "$(fw_digest)" "$before" "refusal changes no cap"
[ ! -e "$SCRATCH/state.json" ] && pass || fail "refusal wrote a journal"

# scale: caps lowered proportionally toward min_vf_cap, exactly to fit
# (each 4GiB cap loses 3GiB * 12.5/24 = 1.5625GiB -> 2.4375GiB)
sim 90; policy scale 4GiB 1GiB observe
run vm start --libvirt-xml "$SCRATCH/train.xml" -j
expect_rc 0 "scale admits"
expect_eq "$(json 'd["scaled"]')" True "scale says so"
expect_eq "$(caps | sort -u)" $((39 * GIB / 16)) "scaled caps 2.4375GiB each"
expect_eq "$(json 'd["split"]["headroom_bytes"]')" 0 "scaled to fit exactly"
expect_out "scaled from 32.0GiB to 19.5GiB" "scale message"
# the scaled caps hold on a later apply (journal), not the policy's 4GiB
run apply -j
expect_rc 0 "apply after scale"
expect_eq "$(caps | sort -u)" $((39 * GIB / 16)) "apply keeps the scaled caps"

# Scaled caps show it (RULE, explain) and rise back once there is room
# (rescale.h): a plain-memory VM "side" (8GiB) runs when train-0 starts,
# so scale cuts each 4GiB cap by 3GiB * 20.5/24 to 1.4375GiB (11.5GiB in
# all); side stops, and apply raises train-0's caps into the 8GiB of
# headroom, each by its share (2.5625GiB * 8/20.5 = 1GiB) to 2.4375GiB;
# the reserve lowered by 13GiB, apply restores the policy's 4GiB.
sim 90; policy scale 4GiB 1GiB observe
domain_xml side 8 no "" >"$SCRATCH/side.xml"
run vm start --libvirt-xml "$SCRATCH/side.xml"
expect_rc 0 "rescale: side starts"
run vm start --libvirt-xml "$SCRATCH/train.xml"
expect_rc 0 "rescale: train-0 scaled"
expect_eq "$(caps | sort -u)" $((23 * GIB / 16)) "rescale: caps 1.4375GiB each"
expect_out "1.4GiB     written     defaults.vf_cap (policy.yaml:3:21); scaled from 4.0GiB (host.admission: scale)" \
	"rescale: RULE says from what, to what (DESIRED), why"
run explain train-0
expect_out "cap 4.0GiB from defaults.vf_cap (policy.yaml:3:21)" "rescale: explain names the policy's cap and rule"
expect_out "scaled: 1.4GiB, not the 4.0GiB above: host.admission: scale lowered it at the VM's start (" \
	"rescale: explain says the cap in force and why"
expect_out "the host short by 20.5GiB: its VF caps 32.0GiB -> 11.5GiB in all" "rescale: explain gives the shortfall"
expect_out "apply raises it back toward 4.0GiB as the split has room" "rescale: explain says when it rises"
run explain train-0 -j
expect_eq "$(json 'd["scaled"]["short_bytes"], d["caps"][0]["scaled"], d["caps"][0]["desired_cap_bytes"]')" \
	"$((41 * GIB / 2)) True $((23 * GIB / 16))" "rescale: explain JSON"
run apply --connect none
expect_eq "$(caps | sort -u)" $((23 * GIB / 16)) "rescale: no room, no rise"
expect_out "apply: VM train-0: caps stay scaled at 11.5GiB of the policy's 32.0GiB: headroom 0B" "rescale: says why it stays"
run vm stop side
expect_rc 0 "rescale: side stops"
before=$(fw_digest)
run plan --connect none
expect_out "plan: VM train-0: scaled caps to rise 11.5GiB -> 19.5GiB of the policy's 32.0GiB" "rescale: plan shows the rise"
expect_eq "$(fw_digest)" "$before" "rescale: plan writes nothing"
run apply --connect none -j
expect_rc 0 "rescale: apply"
expect_eq "$(caps | sort -u)" $((39 * GIB / 16)) "rescale: raised by each VF's share to 2.4375GiB"
expect_eq "$(json 'd["split"]["headroom_bytes"]')" 0 "rescale: into the headroom, not past it"
expect_eq "$(json '[v["raised_from_bytes"] for v in d["vfs"] if v["vm"]][0], d["rescale"][0]["to_bytes"], d["rescale"][0]["restored"]')" \
	"$((23 * GIB / 16)) $((39 * GIB / 2)) False" "rescale: apply JSON"
run apply --connect none -j
expect_eq "$(json 'd["writes"]')" 0 "rescale: a second apply writes nothing (no flapping)"
sed -i 's/reserve: 18GiB/reserve: 5GiB/' "$POLICY"
run apply --connect none
expect_out "apply: VM train-0: scaled caps raised 19.5GiB -> 32.0GiB of the policy's 32.0GiB: back at the policy's caps" \
	"rescale: room for all of it: the policy's caps"
expect_eq "$(caps | sort -u)" $((4 * GIB)) "rescale: 4GiB again"
expect_eq "$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["vms"][0]["scaled"])' "$SCRATCH/state.json")" \
	False "rescale: the journal no longer says scaled"
run apply --connect none
expect_rc 0 "rescale: and stays"
expect_out "0 caps written" "rescale: nothing more to write"

# scale, but even at min_vf_cap (3GiB x 8 = 24GiB) it does not fit: the
# refusal quotes the split it compared, at min_vf_cap (19.5GiB left for
# caps, 24GiB asked: short by 4.5GiB), not the caps before scaling
# (32GiB, short by 12.5GiB)
sim 90; policy scale 4GiB 3GiB observe
before=$(fw_digest)
run vm start --libvirt-xml "$SCRATCH/train.xml"
expect_rc 1 "scale refuses below min"
expect_err "does not fit even with its VF caps at min_vf_cap 3.0GiB: short by 4.5GiB" "scale refusal: the shortfall at min_vf_cap"
expect_err "VF caps 24.0GiB - " "scale refusal: the caps compared (8 x min_vf_cap 3GiB)"
expect_err "= headroom -4.5GiB)" "scale refusal: the headroom compared"
if grep -qF "12.5GiB" <<<"$ERR" || grep -qF "VF caps 32.0GiB" <<<"$ERR"; then
	fail "scale refusal quotes the caps before scaling: $ERR"
else pass; fi
expect_one_line_err "scale refusal"
expect_eq "$(fw_digest)" "$before" "scale refusal changes no cap"

# warn: admitted, caps as the policy says, and it is said
sim 90; policy warn 4GiB 1GiB observe
run vm start --libvirt-xml "$SCRATCH/train.xml" -j
expect_rc 0 "warn admits"
expect_err "admitted although it does not fit by 12.5GiB (host.admission: warn)" "warn says so"
expect_eq "$(caps | sort -u)" $((4 * GIB)) "warn keeps the policy caps"
expect_eq "$(json 'd["split"]["headroom_bytes"]')" $((-25 * GIB / 2)) "warn headroom -12.5GiB"

# hugepages: manage releases just enough free huge pages (13 x 1GiB), never
# the 1920 the VM needs
sim 2010; policy strict 4GiB 1GiB manage
run vm start --libvirt-xml "$SCRATCH/train.xml" -j
expect_rc 0 "manage admits"
expect_eq "$(json 'd["released_hugepages"]')" 13 "released 13 huge pages"
expect_eq "$(cat "$ROOT/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages")" 1997 "pool shrunk to 1997"
expect_eq "$(json 'd["split"]["headroom_bytes"]')" $((GIB / 2)) "headroom after release"
# ...but never the pages the starting VM needs: with 90 free and 1920 in
# use by others, this VM needs more than what is free; nothing is released
sim 90; policy strict 4GiB 1GiB manage
run vm start --libvirt-xml "$SCRATCH/train.xml"
expect_rc 1 "manage keeps the VM's own huge pages"
expect_eq "$(cat "$ROOT/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages")" 2010 "no page released"

# ...and a start that release alone cannot save leaves the pools alone
# (300 free pages; a VM with 1000GiB of plain memory needs far more)
sim 300; policy strict 4GiB 1GiB manage
domain_xml big 1000 no "" "${VFS[@]}" >"$SCRATCH/big.xml"
run vm start --libvirt-xml "$SCRATCH/big.xml"
expect_rc 1 "manage cannot make a 1000GiB plain-memory VM fit"
expect_eq "$(cat "$ROOT/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages")" 2010 "refused start released nothing"

# a second VM counts the first one's caps: two VMs of 4 x 2GiB = 16GiB
sim 90; policy strict 2GiB 1GiB observe
domain_xml a 960 yes "" "${VFS[@]:0:4}" >"$SCRATCH/a.xml"
domain_xml b 960 yes "" "${VFS[@]:4:4}" >"$SCRATCH/b.xml"
run vm start --libvirt-xml "$SCRATCH/a.xml" -j
expect_eq "$(json 'd["split"]["vf_caps_bytes"]')" $((8 * GIB)) "first VM's caps"
run vm start --libvirt-xml "$SCRATCH/b.xml" -j
expect_eq "$(json 'd["split"]["vf_caps_bytes"]')" $((16 * GIB)) "both VMs' caps"
# and a non-hugepage VM's memory is a term of its own
domain_xml c 8 no "" "$(sim_vf "${PFS[0]}" 1)" >"$SCRATCH/c.xml"
run vm start --libvirt-xml "$SCRATCH/c.xml"
expect_rc 1 "8GiB of plain memory does not fit in 3.5GiB - 2GiB"
expect_err "non-hugepage VM memory 8.0GiB" "non-hugepage term shown"

finish
