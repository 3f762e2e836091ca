#!/usr/bin/env bash
# cppcheck stays clean on every source file (`make cppcheck`: warnings and
# portability; a false positive gets an inline suppression that says why).
. "$(dirname "$0")/lib.sh"
if ! command -v cppcheck >/dev/null; then
	fail "cppcheck is missing (tests/deps.sh test installs it)"
	finish
	exit
fi
if out=$(make -C "$REPO" --no-print-directory cppcheck 2>&1); then pass; else
	fail "make cppcheck: $(grep -E 'error|warning' <<<"$out" | head -5)"
fi
finish
