#!/usr/bin/env bash
# issue 8 item 11, second half (see test_crash.sh): vm stop, the hook at prepare and
# release, and a vm start of a running VM under a new policy, killed at
# every rename, fsync, write and flock.
export CRASH_ONLY="2 3 4 5"
export CRASH_MIN_KILLS=120 # with test_crash.sh's >= 80: >= 200 in make check
. "$(dirname "$0")/test_crash.sh"
