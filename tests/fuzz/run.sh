#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS JOBS NAME...: run build/fuzz/fuzz_NAME for
# SECONDS each, JOBS at a time, over a working copy of its seed corpus
# (build/fuzz/corpus/NAME, seeded from tests/fuzz/corpus/NAME; new inputs
# stay there, the seeds in git are never touched). Logs in
# build/fuzz/logs/NAME.log, crashes in build/fuzz/crashes/NAME/. Prints one
# line per target and exits 1 when any target found something.
set -uo pipefail
secs=$1 jobs=$2
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
mkdir -p build/fuzz/logs build/fuzz/crashes
one() {
	local name=$1
	local work=build/fuzz/corpus/$name crashes=build/fuzz/crashes/$name
	mkdir -p "$work" "$crashes"
	cp -n tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null
	# ASan's leak check on: a leak is a finding. 2 GiB RSS, 1 MiB inputs
	# (above every bound the parsers enforce, so the bounds get tested).
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
		build/fuzz/fuzz_"$name" -max_total_time="$secs" \
		-rss_limit_mb=2048 -max_len=1048576 -timeout=25 \
		-artifact_prefix="$crashes/" -print_final_stats=1 \
		"$work" >build/fuzz/logs/"$name".log 2>&1
	local rc=$? execs found
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' build/fuzz/logs/"$name".log | tail -1)
	found=$(find "$crashes" -type f | wc -l)
	echo "fuzz $name: ${execs:-0} execs in ${secs}s, $(find "$work" -type f | wc -l) corpus inputs, $found finding(s), exit $rc"
}
export -f one
export secs
printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'one {}' | tee build/fuzz/summary.txt
! grep -qE ' [1-9][0-9]* finding|exit [1-9]' build/fuzz/summary.txt
