#!/usr/bin/env bash
# issue 8 item 11 in make check: SIGKILL apply, vm start, vm stop and the
# hook at every rename, fsync, write and flock they make, then check that
# one apply converges (tests/crash/crash.sh; `make crash` adds 1,800
# random kills).
. "$(dirname "$0")/lib.sh"
if ! command -v strace >/dev/null; then
	fail "strace is missing (tests/deps.sh test installs it)"
	finish
	exit
fi
# apply and vm start here; vm stop, the hooks and a restart in
# test_crash_hooks.sh (in parallel): >= 200 kills in all.
CRASH_ONLY=${CRASH_ONLY:-"0 1"} "$REPO/tests/crash/crash.sh" "$BIN" 1 0 >"$SCRATCH/crash.log" 2>&1
rc=$?
grep -E '^crash: (.*: rename|[0-9]+ kills)|^FAIL' "$SCRATCH/crash.log"
kills=$(sed -n 's/^crash: \([0-9]*\) kills$/\1/p' "$SCRATCH/crash.log")
line=$(grep -E '^crash: [0-9]+ passed, [0-9]+ failed$' "$SCRATCH/crash.log")
p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
f=$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")
T_PASSED=$((T_PASSED + ${p:-0}))
T_FAILED=$((T_FAILED + ${f:-1}))
[ "$rc" -eq 0 ] || fail "crash.sh exit $rc"
[ "${kills:-0}" -ge "${CRASH_MIN_KILLS:-80}" ] && pass ||
	fail "only ${kills:-0} kills (want >= ${CRASH_MIN_KILLS:-80})"
finish
