#!/usr/bin/env bash
# icmquota estimate against every measured row of seed 000
# (tests/fixtures/calibration/seed000.tsv, the file the calibration's unit
# tests read too), with the seed's "GB" given as GB (10^9) and as GiB; the
# inverse (--cap); the options; and the errors.
. "$(dirname "$0")/lib.sh"

est() { # est ARGS...: sets RC, OUT, ERR (no host needed)
	"$BIN" --config none estimate "$@" >"$SCRATCH/out" 2>"$SCRATCH/err"
	RC=$?
	OUT=$(cat "$SCRATCH/out")
	ERR=$(cat "$SCRATCH/err")
}
within10() { # within10 GOT WANT LABEL
	if python3 -c "import sys; g,w=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if abs(g-w)<=0.10*w else 1)" "$1" "$2"; then
		pass
	else
		fail "$3: got $1, measured $2 (more than 10 % off)"
	fi
}

rows=0
while IFS=$'\t' read -r pattern gb quantity measured where; do
	case $pattern in '#'* | '') continue ;; esac
	rows=$((rows + 1))
	for size in "${gb}GB" "${gb}GiB" "$gb GB"; do
		est --per-gpu "$size" --pattern "$pattern" -j
		expect_rc 0 "estimate $pattern $size"
		within10 "$(json "d['$quantity']")" "$measured" "$pattern $size $quantity ($where)"
	done
done <"$FIX/calibration/seed000.tsv"
expect_eq "$rows" 12 "seed rows read"

# The defaults are the seed's host: 8 GPUs, 8 HCAs, nixl-try.
est --per-gpu 40GB -j
expect_rc 0 "defaults"
expect_eq "$(json "d['fw_pages_per_nic']")" 524288 "40 GB nixl-try per NIC"
expect_eq "$(json "d['fw_bytes_per_nic']")" 2147483648 "40 GB bytes per NIC"
expect_eq "$(json "d['fw_bytes_host']")" 17179869184 "40 GB host"
expect_eq "$(json "d['vf_cap_needed_bytes']")" 2147483648 "40 GB cap needed"
expect_eq "$(json "d['max_registrable_per_gpu_bytes']")" 68719476736 "most per GPU at that cap"
expect_eq "$(json "d['gpus'], d['hcas'], d['pattern'], d['mrs_per_nic']")" "8 8 nixl-try 16" "inputs"
# 25 and 30 GB cost the same (one 32 GiB table), 40 GB doubles it.
est --per-gpu 25GB -j
a=$(json "d['fw_pages_per_nic']")
est --per-gpu 30GB -j
expect_eq "$(json "d['fw_pages_per_nic']")" "$a" "25 GB and 30 GB take the same"

# The inverse: the most per GPU under a cap (MODEL.md: 2 GiB per NIC).
for case in "nixl-try 68719476736" "nixl-auto 137438953472" "ucx-max-hca=2 274877906944" "nccl 1099511627776"; do
	set -- $case
	est --cap 2GiB --pattern "$1" -j
	expect_rc 0 "--cap 2GiB $1"
	most=$(json "d['max_registrable_per_gpu_bytes']")
	expect_eq "$most" "$2" "--cap 2GiB $1: most per GPU"
	expect_eq "$(json "d['vf_cap_needed_bytes'] <= 2147483648")" True "--cap 2GiB $1: fits"
	# that size fits the cap, one byte more does not
	est --per-gpu "$most" --pattern "$1" -j
	expect_eq "$(json "d['vf_cap_needed_bytes'] <= 2147483648")" True "$1: $most fits"
	est --per-gpu "$((most + 1))" --pattern "$1" -j
	expect_eq "$(json "d['vf_cap_needed_bytes'] > 2147483648")" True "$1: $((most + 1)) does not"
done
est --cap 4KiB -j
expect_eq "$(json "d['max_registrable_per_gpu_bytes']")" 0 "a 4 KiB cap holds nothing of nixl-try"
est --cap 4KiB
expect_out "holds no registration" "a 4 KiB cap, table"

# Options override the pattern; an uneven spread counts the busiest NIC.
est --per-gpu 40GiB --pattern nixl-try --mrs-per-hca 1 -j
expect_eq "$(json "d['fw_pages_per_nic']")" 262144 "--mrs-per-hca 1 = nixl-auto"
est --per-gpu 40GiB --gpus 8 --hcas 3 --pattern nccl -j
expect_eq "$(json "d['buffers_per_nic'], d['fw_pages_per_nic']")" "3 98304" "8 GPUs on 3 HCAs: 3 buffers on the busiest"
est --per-gpu 40GiB --hcas-per-buffer 4 --pattern nixl-auto -j
expect_eq "$(json "d['hcas_per_buffer'], d['mrs_per_nic']")" "4 4" "--hcas-per-buffer 4"
est --per-gpu 40GB
expect_rc 0 "table"
expect_out "firmware pages per NIC     524288 (2.0GiB)" "table per NIC"
expect_out "firmware memory, host      16.0GiB (8 NICs)" "table host"
expect_out "VF cap that holds it       2.0GiB" "table cap"

# Errors: usage (exit 2), one line naming the fix.
for args in "" "--per-gpu 40GB --cap 2GiB" "--per-gpu 40XB" "--per-gpu 0" \
	"--per-gpu 40GB --pattern nixl" "--per-gpu 40GB --pattern ucx-max-hca=0" \
	"--per-gpu 40GB --gpus 0" "--per-gpu 40GB --hcas-per-buffer 9" "--per-gpu" "--bogus"; do
	# shellcheck disable=SC2086
	est $args
	expect_rc 2 "estimate $args"
	expect_one_line_err "estimate $args"
done
est --per-gpu 40GB --pattern nixl
expect_err "nccl, nixl-auto, nixl-try, ucx-max-hca=N" "pattern list"
est --per-gpu 40XB
expect_err "GB" "units named"

# ucx-max-hca=N above --hcas: UCX registers on every HCA there is, so the
# figures count --hcas; the output says the pattern's N was capped.
est --per-gpu 40GB --pattern ucx-max-hca=16 -j
expect_rc 0 "ucx-max-hca=16 on 8 HCAs"
expect_eq "$(json "d['hcas_per_buffer'], d['hcas_per_buffer_asked'], d['hcas_per_buffer_capped']")" "8 16 True" "capped from 16 to 8, said"
expect_eq "$(json "d['fw_pages_per_nic']")" 524288 "counted as 8 HCAs: the nixl-try figure"
expect_eq "$(json "'asks for 16 HCAs per buffer, the host has 8' in d['note']")" True "JSON note"
est --per-gpu 40GB --pattern ucx-max-hca=16
expect_out "each buffer on 8 HCA(s) (capped)" "table: capped"
expect_out "note: pattern ucx-max-hca=16 asks for 16 HCAs per buffer, the host has 8 (--hcas): counted on 8" "table: why"
est --per-gpu 40GB --pattern ucx-max-hca=2 -j
expect_eq "$(json "d['hcas_per_buffer'], d['hcas_per_buffer_asked'], d['hcas_per_buffer_capped'], 'note' in d")" "2 2 False False" "ucx-max-hca=2: not capped, no note"
est --per-gpu 40GB --pattern ucx-max-hca=2
if grep -q "capped\|note:" <<<"$OUT"; then fail "ucx-max-hca=2 says capped: $OUT"; else pass; fi
est --per-gpu 40GB --pattern ucx-max-hca=8 --hcas 4 -j
expect_eq "$(json "d['hcas_per_buffer'], d['hcas_per_buffer_capped']")" "4 True" "capped by --hcas 4"

# sim register takes a workload size as estimate does: 34GB is 34e9 bytes
# (a 2^23-entry table, 16384 pages per MR), 34GiB a 2^24 one (32768).
make_sim
VF=$(sim_vf "$(sim_pfs | head -1)" 0)
while IFS='|' read -r size bytes want; do
	est --per-gpu "$size" --pattern nccl -j
	expect_eq "$(json "d['fw_pages_per_mr']")" "$want" "estimate $size: pages per MR"
	"$BIN" --config none --root "$ROOT" sim register --vf "$VF" \
		--bytes "$size" -j >"$SCRATCH/out" 2>"$SCRATCH/err"
	RC=$? OUT=$(cat "$SCRATCH/out") ERR=$(cat "$SCRATCH/err")
	expect_rc 0 "sim register --bytes $size"
	expect_eq "$(json "d['bytes'], d['pages_per_mr']")" "$bytes $want" "sim register --bytes $size: as estimate"
done <<'EOF2'
34GB|34000000000|16384
34 GB|34000000000|16384
34GiB|36507222016|32768
EOF2
# Host sizes stay binary, and the error says which units are taken.
"$BIN" --config none sim init "$SCRATCH/h2" --mem 256GB >/dev/null 2>"$SCRATCH/err"
RC=$? ERR=$(cat "$SCRATCH/err")
expect_rc 2 "sim init --mem 256GB"
expect_err "--mem '256GB': bad unit: decimal KB, MB, GB, TB are not taken here (use B, KiB, MiB, GiB or TiB, powers of 1024)" "says which units"
expect_one_line_err "sim init --mem 256GB"

est --help
expect_rc 0 "--help"
expect_out "--pattern P" "help names the patterns"
"$BIN" help --man >"$SCRATCH/man"
if grep -q "^\.SS estimate" "$SCRATCH/man"; then pass; else fail "man page lacks estimate"; fi

finish
