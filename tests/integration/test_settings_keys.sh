#!/usr/bin/env bash
# The settings file's keys cannot drift from their documentation: the
# parser's own list (its unknown-key error, printed from the table it reads)
# must equal the keys `icmquota --help` and the man page list under
# SETTINGS, the "Keys:" sentence of packaging/icmquota.conf and its
# commented `#key = default` lines; and a file setting every key is taken.
. "$(dirname "$0")/lib.sh"

make_sim
CONF=$REPO/packaging/icmquota.conf
sorted() { tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' '; }

# The parser's list, from its own error.
printf 'no_such_key = 1\n' >"$SCRATCH/bad.conf"
"$BIN" --config "$SCRATCH/bad.conf" status >/dev/null 2>"$SCRATCH/err"
RC=$?
ERR=$(cat "$SCRATCH/err")
expect_rc 2 "unknown key"
expect_err "$SCRATCH/bad.conf:1: unknown key 'no_such_key' (expected " "error names the file and line"
parser=$(sed -n "s/.*(expected \(.*\))$/\1/p" <<<"$ERR" | tr -d ',' | sorted)
expect_eq "$(wc -w <<<"$parser")" 9 "nine keys"

# --help and the man page: the SETTINGS lines "  KEY  what".
help=$("$BIN" --help | sed -n '/^Settings file/,/^$/p' | sed -n 's/^  \([a-z_]*\)  .*/\1/p' | sorted)
expect_eq "$help" "$parser" "--help lists every key the parser takes"
man=$("$BIN" help --man | sed -n '/^\.SH SETTINGS/,/^\.SH /p' | sed -n 's/^  \([a-z_]*\)  .*/\1/p' | sorted)
expect_eq "$man" "$parser" "the man page lists every key"

# packaging/icmquota.conf: the header's sentence and the example lines.
header=$(sed -n '/^# One `key = value`/,/^#$/p' "$CONF" | sed 's/^# *//' | tr '\n' ' ' |
	sed -n 's/.*Keys: \([^(]*\)(.*/\1/p' | sed "s/and the daemon's//; s/,//g" | sorted)
expect_eq "$header" "$parser" "the packaged file's header names every key"
examples=$(sed -n 's/^#\([a-z_]*\) = .*/\1/p' "$CONF" | sorted)
expect_eq "$examples" "$parser" "one commented example line per key"

# Every key of the list is taken, with a value of its kind.
write_policy <<'EOF2'
version: 1
defaults: { vf_cap: 2GiB }
EOF2
{
	for k in $parser; do
		case $k in
		policy) echo "policy = $POLICY" ;;
		state) echo "state = $SCRATCH/state.json" ;;
		root) echo "root = $ROOT" ;;
		backend) echo "backend = sim" ;;
		on_error) echo "on_error = deny" ;;
		interval) echo "interval = 30" ;;
		libvirt_uri | ch_dir | metrics_dir) echo "$k = none" ;;
		*) echo "$k = ?" ;; # a key this test does not know: fails below
		esac
	done
} >"$SCRATCH/all.conf"
"$BIN" --config "$SCRATCH/all.conf" policy show >"$SCRATCH/out" 2>"$SCRATCH/err"
RC=$?
OUT=$(cat "$SCRATCH/out")
ERR=$(cat "$SCRATCH/err")
expect_rc 0 "a file setting every key"
expect_out "defaults.vf_cap" "the policy named there is read"
expect_out "2GiB" "its value"
if grep -q '= ?$' "$SCRATCH/all.conf"; then
	fail "a key this test has no value for: $(grep '= ?$' "$SCRATCH/all.conf")"
else pass; fi

finish
