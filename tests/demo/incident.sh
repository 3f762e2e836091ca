#!/usr/bin/env bash
# make demo: the incident of seed 000 replayed on a simulated 8-NIC GPU host,
# first with no ICM caps, then with a policy that caps the VFs.
#
# Host: 2 TiB, guest memory in a 1 GiB huge page pool (2010 pages), the host
# using 17 GiB and its 8 PFs 64 MiB of firmware pages each: about 20 GiB
# of slack, as on the incident's hosts. One 8-GPU VM holds one VF on each
# of the 8 NICs and registers 75 GB per GPU, every buffer on all 8 VFs,
# two MRs each (NIXL with relaxed ordering "try"). The simulated firmware
# charges each MR what `icmquota estimate` predicts (one calibration: 8-byte
# MTT entries per 4 KiB, tables in powers of two): 75 GB rounds up to a
# 128 GiB table, 256 MiB per MR, 4 GiB per NIC, 32 GiB on the host.
set -euo pipefail
BIN=$(realpath "${1:-build/icmquota}")
WORK=$(mktemp -d /tmp/icmquota-demo.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/host
q() { "$BIN" --config none --root "$ROOT" --state "$WORK/state.json" "$@"; }

say() { printf '\n== %s\n' "$*"; }
gib() { awk -v b="$1" 'BEGIN { printf "%.1f GiB", b / 1073741824 }'; }
# the host's own view, as an operator would watch it (seed 000's loops)
fw_pages_per_nic() { cat "$ROOT"/sys/kernel/debug/mlx5/*/pages/fw_pages_total | sort -n | tail -1; }
fw_bytes_all() { cat "$ROOT"/sys/kernel/debug/mlx5/*/pages/fw_pages_total | awk '{ s += $1 } END { printf "%.0f\n", s * 4096 }'; }
mem_available() { awk '/^MemAvailable:/ { printf "%.0f\n", $2 * 1024 }' "$ROOT/proc/meminfo"; }
headroom() { q --policy "$1" status -j | sed -n 's/.*"headroom_bytes": *\(-\{0,1\}[0-9]*\).*/\1/p'; }

say "a simulated HGX host: 8 ConnectX-7 PFs, 8 GPUs, 2 TiB, 2010 x 1 GiB huge pages"
"$BIN" --config none sim init "$ROOT" --pfs 8 --vfs 16 --enabled-vfs 8 --gpus 8 \
	--mem 2TiB --hugepages 1GiB:2010:90 --host-used 17GiB --total-icm 128GiB \
	--pf-pages 16384 >/dev/null
echo "MemAvailable before any guest registers memory: $(gib "$(mem_available)")"

say "what the workload will take: icmquota estimate --per-gpu 75GB (8 GPUs, 8 HCAs, nixl-try)"
"$BIN" --config none estimate --per-gpu 75GB
EST_PAGES=$("$BIN" --config none estimate --per-gpu 75GB -j | sed -n 's/.*"fw_pages_per_nic": *\([0-9]*\).*/\1/p')
echo "under a 2 GiB VF cap: $("$BIN" --config none estimate --cap 2GiB | head -1)"

# The VM: 1920 GiB of huge pages, 8 GPUs and VF 0 of every NIC.
mapfile -t PFS < <(for d in "$ROOT"/sys/bus/pci/devices/*; do [ -e "$d/sriov_totalvfs" ] && basename "$d"; done)
mapfile -t GPUS < <(for d in "$ROOT"/sys/bus/pci/devices/*; do [ "$(cat "$d/vendor")" = 0x10de ] && basename "$d"; done)
VFS=()
for pf in "${PFS[@]}"; do VFS+=("$(basename "$(readlink -f "$ROOT/sys/bus/pci/devices/$pf/virtfn0")")"); done
hostdev() {
	IFS=':.' read -r d b s f <<<"$1"
	echo "    <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x$d' bus='0x$b' slot='0x$s' function='0x$f'/></source></hostdev>"
}
{
	echo "<domain type='kvm'><name>train-0</name><uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>"
	echo "  <memory unit='GiB'>1920</memory><memoryBacking><hugepages><page size='1' unit='G'/></hugepages></memoryBacking>"
	echo "  <metadata><icmquota:vm xmlns:icmquota='https://icmquota.dev/xmlns/1'><class>gpu-8x</class></icmquota:vm></metadata>"
	echo "  <os><type arch='x86_64'>hvm</type></os><devices>"
	for g in "${GPUS[@]}"; do hostdev "$g"; done
	for v in "${VFS[@]}"; do hostdev "$v"; done
	echo "  </devices></domain>"
} >"$WORK/train-0.xml"

cat >"$WORK/uncapped.yaml" <<'EOF2'
version: 1
host: { reserve: 18GiB, admission: warn }
defaults: { vf_cap: unlimited, idle_vf_cap: unlimited }
EOF2
cat >"$WORK/capped.yaml" <<'EOF2'
version: 1
host: { reserve: 18GiB, admission: strict }
defaults: { vf_cap: 8GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
classes:
  gpu-8x: { vf_cap: 2GiB }
EOF2

register() { # the guest: 8 GPUs x 75 GB, each buffer on all 8 VFs, 2 MRs
	local args=()
	for v in "${VFS[@]}"; do args+=(--vf "$v"); done
	q sim register "${args[@]}" --bytes 75000000000 --buffers 8 --mrs-per-hca 2 -j |
		grep -o '"mrs_refused": *[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }'
}

run_phase() { # run_phase NAME POLICY -> sets P_* figures
	local name=$1 policy=$2
	say "$name: vm start train-0 (policy $(basename "$policy"))"
	q --policy "$policy" vm start --libvirt-xml "$WORK/train-0.xml" >/dev/null
	P_HEADROOM=$(headroom "$policy")
	P_REFUSED=$(register)
	P_PAGES=$(fw_pages_per_nic)
	P_FW=$(fw_bytes_all)
	P_AVAIL=$(mem_available)
	q --policy "$policy" status | sed -n '/^memory split:/,$p'
	echo "guest registered 8 x 75 GB on 8 VFs, 2 MRs each: $P_REFUSED MR registrations refused"
	echo "fw_pages_total per NIC: $P_PAGES; MemAvailable: $(gib "$P_AVAIL")"
	# the VM stops: function level reset returns its ICM, caps go idle
	q sim flr $(printf -- '--vf %s ' "${VFS[@]}") >/dev/null
	q --policy "$policy" vm stop train-0 >/dev/null
}

run_phase "BEFORE (no caps)" "$WORK/uncapped.yaml"
B=("$P_PAGES" "$P_FW" "$P_AVAIL" "$P_REFUSED" "$P_HEADROOM")
run_phase "AFTER (gpu-8x VFs capped at 2 GiB)" "$WORK/capped.yaml"
A=("$P_PAGES" "$P_FW" "$P_AVAIL" "$P_REFUSED" "$P_HEADROOM")

reserve=$((18 << 30))
verdict() { if [ "$1" -lt 1073741824 ]; then echo "OOM (0 left)"; else gib "$1"; fi; }
say "before / after"
printf '%-36s %-18s %-18s\n' "" "no caps" "capped 2 GiB/VF"
printf '%-36s %-18s %-18s\n' "firmware pages per NIC" "${B[0]}" "${A[0]}"
printf '%-36s %-18s %-18s\n' "  the guest's (estimate $EST_PAGES)" "$((B[0] - 16384))" "$((A[0] - 16384))"
printf '%-36s %-18s %-18s\n' "firmware memory, 8 NICs" "$(gib "${B[1]}")" "$(gib "${A[1]}")"
printf '%-36s %-18s %-18s\n' "host MemAvailable" "$(verdict "${B[2]}")" "$(verdict "${A[2]}")"
printf '%-36s %-18s %-18s\n' "MR registrations refused (ENOMEM)" "${B[3]}" "${A[3]}"
printf '%-36s %-18s %-18s\n' "split headroom at VM start" "$(gib "${B[4]}")" "$(gib "${A[4]}")"
echo
if [ "${B[2]}" -lt "$reserve" ] && [ "${A[4]}" -ge 0 ] && [ "${A[3]}" -gt 0 ] &&
	[ "$((B[0] - 16384))" -eq "$EST_PAGES" ]; then
	echo "uncapped, the guest drove the host past its reserve; capped, the guest's"
	echo "registrations beyond its cap failed in the guest and the host kept its memory."
else
	echo "demo: unexpected figures" >&2
	exit 1
fi
