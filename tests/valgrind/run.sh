#!/usr/bin/env bash
# make valgrind (issue 8 item 13): the CLI integration tests with every
# icmquota run under valgrind's memcheck (release build, -O2 -g), one log
# per process; then the sum over all logs: 0 bytes definitely lost and no
# memcheck error, or exit 1 naming the logs that say otherwise.
#   tests/valgrind/run.sh BIN TEST...
set -uo pipefail
bin=$(realpath "$1")
shift
top=$(cd "$(dirname "$0")/../.." && pwd)
logs=$(mktemp -d /tmp/icmquota-valgrind.XXXXXX)
chmod 1777 "$logs" # tests run some commands as nobody
wrapper=$logs/icmquota
cat >"$wrapper" <<W
#!/bin/sh
exec valgrind --leak-check=full --show-leak-kinds=definite \\
	--errors-for-leak-kinds=definite --track-fds=no \\
	--log-file="$logs/vg.%p.log" "$bin" "\$@"
W
chmod 755 "$wrapper"
export ICMQUOTA_BIN=$wrapper
rc=0
for t in "$@"; do
	bash "$top/$t" >"$logs/$(basename "$t").out" 2>&1 || rc=1
	tail -n 1 "$logs/$(basename "$t").out"
done
n=$(find "$logs" -name 'vg.*.log' | wc -l)
lost=$(cat "$logs"/vg.*.log | sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' | tr -d , |
	awk '{s += $1} END {print s + 0}')
errors=$(cat "$logs"/vg.*.log | sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' |
	awk '{s += $1} END {print s + 0}')
echo "valgrind: $n icmquota runs under memcheck, $lost bytes definitely lost, $errors memcheck errors (logs in $logs)"
if [ "$lost" -ne 0 ] || [ "$errors" -ne 0 ]; then
	grep -l -E 'definitely lost: [1-9]|ERROR SUMMARY: [1-9]' "$logs"/vg.*.log | head -5
	rc=1
fi
[ "$rc" -eq 0 ] && echo "valgrind: 1 passed, 0 failed" || echo "valgrind: 0 passed, 1 failed"
exit $rc
