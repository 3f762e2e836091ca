#!/usr/bin/env bash
# Run the unit test binaries, then the integration scripts, and print one
# closing line "total: N passed, N failed". Exit 1 when anything failed.
set -uo pipefail
unit_only=0
if [ "${1:-}" = --unit-only ]; then unit_only=1; shift; fi
bin=$(realpath "$1"); shift
export ICMQUOTA_BIN=$bin
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0
failed=0
tally() { # reads "NAME: N passed, N failed" lines from a log
	local line p f
	line=$(grep -E '^[A-Za-z0-9_./-]+: [0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL $2: no summary line (crashed?)"; failed=$((failed + 1)); return
	fi
	p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")
	passed=$((passed + p)); failed=$((failed + f))
	[ "$3" -eq 0 ] || [ "$f" -gt 0 ] || { echo "FAIL $2: exit $3"; failed=$((failed + 1)); }
}
log=$(mktemp)
for t in "$@"; do
	"$t" >"$log" 2>&1; rc=$?
	cat "$log"
	tally "$log" "$t" "$rc"
done
# Integration scripts CHECK_JOBS at a time (default 4: most of their time
# is spent waiting on processes, locks and libvirtd, not on a CPU; those
# that need the machine's libvirtd serialise on its lock). Each logs to its
# own file; logs are printed and tallied in name order.
if [ $unit_only -eq 0 ]; then
	logs=$(mktemp -d)
	jobs=${CHECK_JOBS:-4}
	running=0
	for t in tests/integration/test_*.sh; do
		[ -e "$t" ] || continue
		# Timing-sensitive scripts (a terminal driven through tmux) say
		# "# check: serial" and run alone after the others.
		grep -q '^# check: serial' "$t" && continue
		name=$(basename "$t" .sh)
		(bash "$t" >"$logs/$name.log" 2>&1; echo $? >"$logs/$name.rc") &
		running=$((running + 1))
		if [ "$running" -ge "$jobs" ]; then
			wait -n
			running=$((running - 1))
		fi
	done
	wait
	for t in tests/integration/test_*.sh; do
		grep -q '^# check: serial' "$t" || continue
		name=$(basename "$t" .sh)
		bash "$t" >"$logs/$name.log" 2>&1
		echo $? >"$logs/$name.rc"
	done
	for t in tests/integration/test_*.sh; do
		[ -e "$t" ] || continue
		name=$(basename "$t" .sh)
		cat "$logs/$name.log"
		tally "$logs/$name.log" "$t" "$(cat "$logs/$name.rc" 2>/dev/null || echo 1)"
	done
	rm -rf "$logs"
fi
rm -f "$log"
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
