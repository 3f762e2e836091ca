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
est --help
expect_rc 0 "--help"
expect_out "--pattern P" "help names the patterns"
"$BIN" help --man >"$SCRATCH/man"
if grep -q "^\.SS estimate" "$SCRATCH/man"; then pass; else fail "man page lacks estimate"; fi

finish
