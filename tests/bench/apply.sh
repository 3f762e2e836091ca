#!/usr/bin/env bash
# make bench: apply on a simulated host of 8 PFs x 16 VFs with 64 VMs (two
# VFs each): wall time of a first apply (every cap written) and a second
# (nothing to write), and the firmware commands each sends. Prints figures;
# asserts nothing about speed.
set -euo pipefail
BIN=$(realpath "${1:-build/icmquota}")
RUNS=${RUNS:-5}
WORK=$(mktemp -d /tmp/icmquota-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/host
"$BIN" --config none sim init "$ROOT" --pfs 8 --vfs 16 --enabled-vfs 16 \
	--mem 2TiB --hugepages 1GiB:1536 >/dev/null
cat >"$WORK/policy.yaml" <<'EOF2'
version: 1
host: { reserve: 32GiB, admission: strict }
defaults: { vf_cap: 2GiB, idle_vf_cap: 256MiB, min_vf_cap: 512MiB }
EOF2
mapfile -t PFS < <(for d in "$ROOT"/sys/bus/pci/devices/*; do [ -e "$d/sriov_totalvfs" ] && basename "$d"; done)
mkdir "$WORK/vms"
n=0
for pf in "${PFS[@]}"; do
	for i in $(seq 0 2 14); do
		{
			echo "<domain type='kvm'><name>vm-$n</name><memory unit='GiB'>16</memory>"
			echo "<memoryBacking><hugepages/></memoryBacking><devices>"
			for j in $i $((i + 1)); do
				vf=$(basename "$(readlink -f "$ROOT/sys/bus/pci/devices/$pf/virtfn$j")")
				IFS=':.' read -r d b s f <<<"$vf"
				echo "<hostdev mode='subsystem' type='pci'><source><address domain='0x$d' bus='0x$b' slot='0x$s' function='0x$f'/></source></hostdev>"
			done
			echo "</devices></domain>"
		} >"$WORK/vms/vm-$(printf %02d $n).xml"
		n=$((n + 1))
	done
done
q() { "$BIN" --config none --root "$ROOT" --policy "$WORK/policy.yaml" --state "$WORK/state.json" "$@"; }
field() { sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p"; }
now() { date +%s%N; }

echo "host: 8 PFs x 16 VFs (128 VFs), $n VMs with 2 VFs each, sim backend"
first_ms=() second_ms=()
for r in $(seq "$RUNS"); do
	# reset the firmware to its defaults (unlimited caps) between runs
	"$BIN" --config none sim init "$ROOT" --force --pfs 8 --vfs 16 --enabled-vfs 16 \
		--mem 2TiB --hugepages 1GiB:1536 >/dev/null
	rm -f "$WORK/state.json"
	t0=$(now); out1=$(q apply --libvirt-xml "$WORK/vms" -j); t1=$(now)
	out2=$(q apply --libvirt-xml "$WORK/vms" -j); t2=$(now)
	first_ms+=($(((t1 - t0) / 1000000)))
	second_ms+=($(((t2 - t1) / 1000000)))
done
stats() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1; s += $1 } END { printf "median %d ms, mean %.0f ms, min %d, max %d (n=%d)", a[int((NR + 1) / 2)], s / NR, a[1], a[NR], NR }'; }
echo "first apply:  $(stats "${first_ms[@]}")"
echo "              firmware commands $(field fw_commands <<<"$out1"), writes $(field writes <<<"$out1")"
echo "second apply: $(stats "${second_ms[@]}")"
echo "              firmware commands $(field fw_commands <<<"$out2"), writes $(field writes <<<"$out2")"
