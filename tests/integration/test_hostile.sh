#!/usr/bin/env bash
# issue 8 item 10: the hostile corpus (tests/fixtures/hostile/, written by
# its make-corpus.py) through the ASan/UBSan build: every bad policy,
# domain XML (file and hook stdin), Cloud Hypervisor vm.info, journal,
# settings file and command line must give exit 1, 2 or 3 and exactly one
# stderr line that names the input, with no sanitizer report and nothing
# written to the firmware.
. "$(dirname "$0")/lib.sh"

H=$FIX/hostile
make_sim
write_policy <<'EOF2'
version: 1
defaults: { vf_cap: 2GiB, idle_vf_cap: 256MiB }
EOF2
STATE=$SCRATCH/state.json
run apply --connect none
expect_rc 0 "a sane start"
cp "$STATE" "$SCRATCH/good.json"
total=0

# check LABEL WANT: exit 1-3, one line, naming WANT, no sanitizer.
check() {
	total=$((total + 1))
	case $RC in
	1 | 2 | 3) ;;
	*) fail "$1: exit $RC, expected 1, 2 or 3; stderr: $ERR"; return ;;
	esac
	if grep -qE 'Sanitizer|runtime error|LeakSanitizer' <<<"$ERR"; then
		fail "$1: sanitizer: $ERR"; return
	fi
	if [ "$(grep -c '' <<<"$ERR")" -ne 1 ] || [ -z "$ERR" ]; then
		fail "$1: $(grep -c '' <<<"$ERR") stderr lines: $ERR"; return
	fi
	if ! grep -qF -- "$2" <<<"$ERR"; then
		fail "$1: stderr does not name '$2': $ERR"; return
	fi
	pass
}

for f in "$H"/policy/*; do
	run --policy "$f" policy validate
	check "policy $(basename "$f")" "$f"
	# The same policy on the path that writes: refused before any write.
	run --policy "$f" --trace-fw "$SCRATCH/trace" apply --connect none
	check "apply with policy $(basename "$f")" "$f"
	if grep -q '^> .*' "$SCRATCH/trace" 2>/dev/null &&
		grep -q '^>' "$SCRATCH/trace"; then
		# Probing (reads) may happen only after the policy is good.
		fail "apply with policy $(basename "$f"): firmware commands sent"
	fi
done

for f in "$H"/xml/*; do
	run vm inspect --libvirt-xml "$f"
	check "xml $(basename "$f")" "$f"
done
# The hook reads the same inputs on stdin (named by the VM on argv); one
# without a <hostdev> has no VF to cap and is left to libvirt unparsed.
cat >"$SCRATCH/settings" <<EOF2
policy = $POLICY
state = $STATE
root = $ROOT
backend = sim
EOF2
for f in "$H"/xml/*; do
	grep -q hostdev "$f" || continue
	"$BIN" --config "$SCRATCH/settings" hook libvirt qemu hostile-vm prepare begin - \
		<"$f" >"$SCRATCH/out" 2>"$SCRATCH/err"
	RC=$?; ERR=$(cat "$SCRATCH/err")
	check "hook stdin $(basename "$f")" "hostile-vm"
done

for f in "$H"/ch/*; do
	sock=$SCRATCH/$(basename "$f" .json).sock
	python3 "$REPO/tests/chsim/ch-api-server.py" --socket "$sock" --mode raw \
		--body "$f" --lifetime 20 >"$SCRATCH/server.out" 2>&1 &
	srv=$!
	for _ in $(seq 1 250); do [ -S "$sock" ] && break; sleep 0.02; done
	run vm inspect --ch-socket "$sock"
	check "ch $(basename "$f")" "$sock"
	kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null
done

for f in "$H"/journal/*; do
	cp "$f" "$STATE"
	run --trace-fw "$SCRATCH/trace" apply --connect none
	check "journal $(basename "$f")" "$STATE"
	if grep -q '^>' "$SCRATCH/trace" 2>/dev/null; then
		fail "journal $(basename "$f"): firmware commands sent"
	fi
	cmp -s "$f" "$STATE" || fail "journal $(basename "$f"): rewritten"
done
cp "$SCRATCH/good.json" "$STATE"

for f in "$H"/settings/*; do
	"$BIN" --config "$f" --root "$ROOT" --state "$STATE" --policy "$POLICY" status \
		>"$SCRATCH/out" 2>"$SCRATCH/err"
	RC=$?; ERR=$(cat "$SCRATCH/err")
	check "settings $(basename "$f")" "$f"
done

while IFS=$'\t' read -r want line; do
	[ -n "$line" ] || continue
	args=()
	for w in $line; do args+=("$(printf '%b' "$w")"); done
	run "${args[@]}"
	check "cmdline '$line'" "$want"
done <"$H/cmdline.txt"

expect_eq "$(cmp -s "$SCRATCH/good.json" "$STATE" && echo same)" same "the journal survived it all"
echo "$T_NAME: $total hostile inputs"
[ "$total" -ge 150 ] && pass || fail "only $total hostile inputs (want >= 150)"
finish
