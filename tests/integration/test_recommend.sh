#!/usr/bin/env bash
# recommend: per class, a vf_cap from high-water marks (now, or the
# history file), with percentile, samples, age and headroom effect;
# --write puts it in the tool's drop-in through policy set.
. "$(dirname "$0")/lib.sh"

make_sim
mapfile -t PFS < <(sim_pfs)
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB }
defaults: { vf_cap: 2GiB, idle_vf_cap: 256MiB, min_vf_cap: 64MiB }
classes:
  gpu: { vf_cap: 4GiB }
EOF2
VF00=$(sim_vf "${PFS[0]}" 0)
VF01=$(sim_vf "${PFS[0]}" 1)
VF02=$(sim_vf "${PFS[0]}" 2)
VF10=$(sim_vf "${PFS[1]}" 0)
domain_xml job-1 16 yes gpu "$VF00" "$VF10" >"$SCRATCH/job-1.xml"
domain_xml job-2 16 yes gpu "$VF01" >"$SCRATCH/job-2.xml"
domain_xml web 8 yes "" "$VF02" >"$SCRATCH/web.xml"
for vm in job-1 job-2 web; do
	run vm start --libvirt-xml "$SCRATCH/$vm.xml"
	expect_rc 0 "start $vm"
done
# 64GiB buffers cost 128MiB each (8 B of MTT per 4 KiB): peaks 256, 128,
# 384 (gpu) and 128 (web)
run sim register --vf "$VF00" --bytes 64GiB --buffers 2
run sim register --vf "$VF10" --bytes 64GiB --buffers 1
run sim register --vf "$VF01" --bytes 64GiB --buffers 3
run sim register --vf "$VF02" --bytes 64GiB --buffers 1
MiB=$((1 << 20))
P128=$((32768 * 4096))

run recommend -j
expect_rc 0 "recommend"
expect_eq "$(json 'd["source"]')" marks_now "no history: marks now"
cls() { json '[c["'$2'"] for c in d["classes"] if c["class"]=='"$1"'][0]'; }
expect_eq "$(cls '"gpu"' samples)" 3 "gpu samples"
expect_eq "$(cls '"gpu"' percentile_bytes)" $((3 * P128)) "gpu p99 = the largest of 3 (nearest rank)"
# 384MiB * 1.2 = 460.8MiB -> 512MiB
expect_eq "$(cls '"gpu"' recommended_cap_bytes)" $((512 * MiB)) "gpu recommended"
expect_eq "$(cls '"gpu"' cap_now_bytes)" $((4096 * MiB)) "gpu cap now"
expect_eq "$(cls '"gpu"' running_vfs)" 3 "gpu running VFs"
expect_eq "$(cls '"gpu"' headroom_change_bytes)" $((3 * (4096 - 512) * MiB)) "gpu headroom gain"
expect_eq "$(cls '"gpu"' age_seconds)" None "marks never reset: age unknown"
# web (defaults.vf_cap): 128MiB * 1.2 = 153.6MiB -> 192MiB
expect_eq "$(cls None recommended_cap_bytes)" $((192 * MiB)) "defaults recommended"
expect_eq "$(cls None key)" defaults.vf_cap "defaults key"
expect_eq "$(cls None headroom_change_bytes)" $(((2048 - 192) * MiB)) "defaults headroom gain"

run recommend -j --percentile 50 --margin 0
# gpu p50 of (128, 256, 384): rank 2 = 256MiB, margin 0: 256MiB
expect_eq "$(cls '"gpu"' percentile_bytes)" $((2 * P128)) "p50"
expect_eq "$(cls '"gpu"' recommended_cap_bytes)" $((256 * MiB)) "p50 margin 0 rounded to 64MiB"

run recommend
expect_out "data: the high-water marks now (no history yet); percentile p99, margin 20%" "table says the data"
expect_out "since boot/unknown" "table age"
run recommend --percentile 0
expect_rc 2 "percentile 0 refused"

# a history (the daemon's file beside the journal) takes precedence
cp "$FIX/history/hwm-history.jsonl" "$SCRATCH/hwm-history.jsonl"
run recommend -j
expect_eq "$(json 'd["source"]')" history "history used"
# gpu peaks per VF and VM: job-1/VF00 2GiB (max of 1 and 2), job-2 512MiB,
# job-1/VF10 1.5GiB -> p99 2GiB * 1.2 = 2457.6MiB -> 2496MiB
expect_eq "$(cls '"gpu"' samples)" 3 "history: a peak per VF and VM"
expect_eq "$(cls '"gpu"' percentile_bytes)" $((2048 * MiB)) "history p99"
expect_eq "$(cls '"gpu"' recommended_cap_bytes)" $((2496 * MiB)) "history recommended"
expect_eq "$(cls '"gpu"' oldest_sample)" 1796000000 "history age from the oldest sample"
now=$(date +%s)
age=$(cls '"gpu"' age_seconds)
if [ $((now - 1796000000 - age)) -ge 0 ] && [ $((now - 1796000000 - age)) -lt 60 ]; then pass; else fail "age $age"; fi
expect_eq "$(cls None recommended_cap_bytes)" $((320 * MiB)) "history defaults"
printf 'not json\n' >>"$SCRATCH/hwm-history.jsonl"
run recommend
expect_rc 3 "bad history line"
expect_err "hwm-history.jsonl:7: not a history sample" "names the file and line"
rm "$SCRATCH/hwm-history.jsonl"

# --write: through policy set, into the tool's drop-in, then apply
run recommend --write
expect_rc 0 "recommend --write"
expect_out "set --class gpu vf_cap 512MiB" "gpu written"
expect_out "set --defaults vf_cap 192MiB" "defaults written"
run policy show -j
expect_eq "$(json '[(v["value"], v["file"].split("/")[-1]) for v in d["values"] if v["key"]=="classes.gpu.vf_cap"][0]')" "($((512 * MiB)), '99-icmquota-local.yaml')" "drop-in holds the class cap"
run apply -j
run sim show -j
expect_eq "$(json '[f["cap_pages"] for p in d for f in p["functions"] if f["pci"]=="'$VF01'"][0]')" $((512 * MiB / 4096)) "firmware holds the recommended cap"

finish
