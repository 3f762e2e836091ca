#!/usr/bin/env bash
# issue 8, the fixes, each with the reproducer's shape: exit code and the
# one line a user gets.
#   1 apply reads its sources before the lock: VMs started/stopped while it
#     waits keep their caps / stay stopped
#   2 root refuses settings, policy, journal (and directories) others can
#     write, or another user owns
#   3 bounded inputs: policy size/nesting/counts, settings, hook stdin;
#     policy checked before the lock
#   4 a corrupt journal is exit 3 and never a firmware write
#   5 temp files: planted symlinks and stale *.tmp.* files; --trace-fw and
#     the lock never follow a symlink
#   6 control characters from outside are escaped (\xNN) on stderr
#   7 small ones: --lock-timeout nan, settings NUL/duplicate/empty value,
#     long <memory>, 15 EiB VM, the XML parser's own lines
#   8 mutating commands check privileges first (run as nobody)
. "$(dirname "$0")/lib.sh"

make_sim
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB, admission: strict }
defaults: { vf_cap: 2GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
EOF2
STATE=$SCRATCH/state.json
PF=$(sim_pfs | head -1)
VF1=$(sim_vf "$PF" 0)
VF2=$(sim_vf "$PF" 1)
domain_xml vm-a 4 yes "" "$VF1" >"$SCRATCH/vm-a.xml"
domain_xml vm-b 4 yes "" "$VF2" >"$SCRATCH/vm-b.xml"
VF3=$(sim_vf "$PF" 2)
VF4=$(sim_vf "$PF" 3)
NODE="test://$FIX/libvirt-test-driver/one-running.xml"
# The fixture names the sim's VF 2 of its first PF: say so if that moved.
expect_eq "$VF3" 0000:0c:00.3 "1: one-running.xml's VF is the sim's VF 2"
GiB=$((1 << 30))
MiB=$((1 << 20))

# cap_of PCI: the firmware's cap of a VF (status read-back), in bytes.
cap_of() {
	run status -j --connect none
	json "[v['cap_bytes'] for p in d['pfs'] for v in p['vfs'] if v['pci']=='$1'][0]"
}
journal_has_vm() { # journal_has_vm NAME -> "True"/"False"
	python3 -c "import json; d=json.load(open('$STATE')); print(any(v['name']=='$1' for v in d['vms']))"
}
one_line() { # one_line LABEL: exactly one stderr line, naming something
	expect_one_line_err "$1"
}

# --- 1. apply's race -------------------------------------------------------
# The test holds the lock (as a hook would) while apply, already past its
# sources, waits for it; a VM is started meanwhile (under another lock: the
# test plays the serialiser). Before the fix vm-b's VF came back idle.
LOCK=$SCRATCH/lock
race_apply() { # race_apply ACTION... : run ACTION while apply waits
	rm -f "$SCRATCH/held" "$SCRATCH/release"
	flock -x "$LOCK" -c "touch '$SCRATCH/held'; while [ ! -e '$SCRATCH/release' ]; do sleep 0.02; done" &
	local holder=$!
	while [ ! -e "$SCRATCH/held" ]; do sleep 0.02; done
	"$BIN" --config none --root "$ROOT" --policy "$POLICY" --state "$STATE" \
		--lock "$LOCK" --lock-timeout 60 apply --connect "$NODE" \
		>"$SCRATCH/apply.out" 2>"$SCRATCH/apply.err" &
	local apid=$! i
	# apply opens the lock file only after it has read its sources.
	for i in $(seq 1 1500); do
		ls -l /proc/$apid/fd 2>/dev/null | grep -qF -- "$LOCK" && break
		sleep 0.02
	done
	"$@"
	touch "$SCRATCH/release"
	wait $holder
	wait $apid
	APPLY_RC=$?
}
start_b_elsewhere() {
	run --lock "$SCRATCH/other-lock" vm start --libvirt-xml "$SCRATCH/vm-b.xml"
	expect_rc 0 "1: vm start of vm-b while apply waits"
}
race_apply start_b_elsewhere
expect_eq "$APPLY_RC" 0 "1: apply after waiting: $(cat "$SCRATCH/apply.err")"
expect_eq "$(cap_of "$VF2")" $((2 * GiB)) "1: vm-b started while apply waited keeps its cap"
expect_eq "$(journal_has_vm vm-b)" True "1: vm-b stays in the journal"
# And the mirror image: stopped while apply waits, it stays stopped.
stop_b_elsewhere() {
	run --lock "$SCRATCH/other-lock" vm stop vm-b
	expect_rc 0 "1: vm stop of vm-b while apply waits"
}
race_apply stop_b_elsewhere
expect_eq "$APPLY_RC" 0 "1: apply after the stop"
expect_eq "$(cap_of "$VF2")" $((256 * MiB)) "1: vm-b stopped while apply waited stays idle"
expect_eq "$(journal_has_vm vm-b)" False "1: vm-b not back in the journal"
# A domain of the source stopped meanwhile (journalled, then let go).
run apply --connect "$NODE"
expect_rc 0 "1: apply journals the test driver's domains"
expect_eq "$(journal_has_vm run-01)" True "1: run-01 journalled"
expect_eq "$(cap_of "$VF3")" $((2 * GiB)) "1: run-01's VF capped"
stop_run_elsewhere() {
	run --lock "$SCRATCH/other-lock" vm stop run-01
	expect_rc 0 "1: vm stop of run-01 while apply waits"
}
race_apply stop_run_elsewhere
expect_eq "$APPLY_RC" 0 "1: apply after run-01's stop"
expect_eq "$(journal_has_vm run-01)" False "1: run-01 stopped meanwhile is not resurrected"
expect_eq "$(cap_of "$VF3")" $((256 * MiB)) "1: run-01's VF stays idle"
run apply --connect none
rm -f "$STATE"
run apply --connect none
expect_rc 0 "1: reset"

# --- 2. root trusts only root's files --------------------------------------
cp "$POLICY" "$SCRATCH/p2.yaml"
chmod 0666 "$SCRATCH/p2.yaml"
run --policy "$SCRATCH/p2.yaml" apply --connect none
expect_rc 1 "2: world-writable policy"
expect_err "$SCRATCH/p2.yaml: writable by group or others (mode 0666): root does not trust the policy; run chmod go-w $SCRATCH/p2.yaml" "2: policy message"
one_line "2: policy"
chmod 0644 "$SCRATCH/p2.yaml"
chown nobody "$SCRATCH/p2.yaml"
run --policy "$SCRATCH/p2.yaml" apply --connect none
expect_rc 1 "2: policy owned by nobody"
expect_err "owned by uid $(id -u nobody), not root: root does not trust the policy another user can replace; run chown root $SCRATCH/p2.yaml" "2: owner message"
chown root "$SCRATCH/p2.yaml"
mkdir "$SCRATCH/gw"
chmod 0775 "$SCRATCH/gw"
run --state "$SCRATCH/gw/state.json" vm start --libvirt-xml "$SCRATCH/vm-a.xml"
expect_rc 1 "2: group-writable journal directory"
expect_err "$SCRATCH/gw: writable by group or others (mode 0775): root does not trust the journal; run chmod go-w $SCRATCH/gw" "2: journal dir message"
expect_eq "$(cap_of "$VF1")" $((256 * MiB)) "2: nothing written"
# The settings file: anyone could point root at an `unlimited` policy.
printf 'policy = %s\non_error = allow\n' "$POLICY" >"$SCRATCH/settings"
chmod 0646 "$SCRATCH/settings"
"$BIN" --config "$SCRATCH/settings" --root "$ROOT" --state "$STATE" status \
	>"$SCRATCH/out" 2>"$SCRATCH/err"
RC=$?; ERR=$(cat "$SCRATCH/err")
expect_rc 1 "2: world-writable settings"
expect_err "$SCRATCH/settings: writable by group or others (mode 0646): root does not trust the settings file; run chmod go-w $SCRATCH/settings" "2: settings message"
one_line "2: settings"
# At prepare: the start is refused, on_error = allow or not.
chmod 0644 "$SCRATCH/settings"
printf 'policy = %s\nstate = %s\nroot = %s\nbackend = sim\non_error = allow\n' \
	"$SCRATCH/p2.yaml" "$STATE" "$ROOT" >"$SCRATCH/settings"
chmod 0666 "$SCRATCH/p2.yaml"
"$BIN" --config "$SCRATCH/settings" hook libvirt qemu vm-a prepare begin - \
	<"$SCRATCH/vm-a.xml" >"$SCRATCH/out" 2>"$SCRATCH/err"
RC=$?; ERR=$(cat "$SCRATCH/err")
expect_rc 1 "2: prepare with a world-writable policy and on_error = allow"
expect_err "VM vm-a not started: $SCRATCH/p2.yaml: writable by group or others" "2: prepare message"
one_line "2: prepare"
chmod 0644 "$SCRATCH/p2.yaml"
# A user's run trusts the user's files (documented): nobody validates a
# 0666 policy in a directory it can read.
mkdir -m 0755 "$SCRATCH/pub"
cp "$POLICY" "$SCRATCH/pub/p.yaml"
chmod 0666 "$SCRATCH/pub/p.yaml"
chmod 0755 "$SCRATCH"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$BIN" --config none \
	--policy "$SCRATCH/pub/p.yaml" policy validate >"$SCRATCH/pub/out" 2>&1
expect_eq "$?" 0 "2: a non-root run skips the check: $(cat "$SCRATCH/pub/out")"
chmod 0700 "$SCRATCH"

# --- 3. bounded input ------------------------------------------------------
python3 -c "
print('version: 1\nclasses:')
for i in range(100001): print(f'  c{i}: {{ vf_cap: 1GiB }}')" >"$SCRATCH/many.yaml"
run --policy "$SCRATCH/many.yaml" policy validate
expect_rc 1 "3: 100,001 classes"
expect_err "$SCRATCH/many.yaml:3:3: classes: 100001 classes, more than 100000" "3: classes message"
one_line "3: classes"
python3 -c "
print('version: 1\nclasses:')
for i in range(80000): print(f'  c{i}: {{ vf_cap: 1GiB }}')
print('  c79999: { vf_cap: 2GiB }')" >"$SCRATCH/dup.yaml"
run --policy "$SCRATCH/dup.yaml" policy validate
expect_rc 1 "3: 80,000 classes with a duplicate"
expect_err "$SCRATCH/dup.yaml:80003:3: classes: duplicate key 'c79999' (first at line 80002; keep one)" "3: duplicate message"
python3 -c "print('version: 1\nx: ' + '['*40000 + ']'*40000)" >"$SCRATCH/deep.yaml"
run --policy "$SCRATCH/deep.yaml" policy validate
expect_rc 1 "3: 40,000 levels of nesting"
expect_err "$SCRATCH/deep.yaml:2:35: nested more than 32 levels deep" "3: nesting message"
one_line "3: nesting"
head -c $((5 << 20)) /dev/zero | tr '\0' '#' >"$SCRATCH/big.yaml"
run --policy "$SCRATCH/big.yaml" policy validate
expect_rc 3 "3: 5 MiB policy"
expect_err "$SCRATCH/big.yaml: cannot read policy: larger than 4194304 bytes" "3: policy size message"
run --policy /dev/zero policy validate
expect_rc 3 "3: --policy /dev/zero"
expect_err "/dev/zero: cannot read policy: larger than 4194304 bytes" "3: /dev/zero policy"
"$BIN" --config /dev/zero status >"$SCRATCH/out" 2>"$SCRATCH/err"
RC=$?; ERR=$(cat "$SCRATCH/err")
expect_rc 3 "3: --config /dev/zero"
expect_err "/dev/zero: larger than 65536 bytes" "3: /dev/zero settings"
one_line "3: settings size"
printf 'policy = %s\nstate = %s\nroot = %s\nbackend = sim\n' "$POLICY" "$STATE" "$ROOT" >"$SCRATCH/settings"
head -c $((17 << 20)) /dev/zero | "$BIN" --config "$SCRATCH/settings" \
	hook libvirt qemu vm-z prepare begin - >"$SCRATCH/out" 2>"$SCRATCH/err"
RC=$?; ERR=$(cat "$SCRATCH/err")
expect_rc 1 "3: 17 MiB on the hook's stdin"
expect_err "VM vm-z not started: domain XML on stdin: larger than 16777216 bytes" "3: hook stdin message"
one_line "3: hook stdin"
# The policy is read before the lock: a broken one fails at once, even
# while another run holds the lock.
flock -x "$SCRATCH/lock3" -c "sleep 5" &
holder=$!
sleep 0.2
run --lock "$SCRATCH/lock3" --lock-timeout 4 --policy "$SCRATCH/deep.yaml" apply --connect none
expect_rc 1 "3: broken policy while the lock is held: refused, no lock wait"
expect_err "nested more than 32 levels deep" "3: policy error, not a lock timeout"
kill $holder 2>/dev/null; wait $holder 2>/dev/null

# --- 4. a corrupt journal --------------------------------------------------
run vm start --libvirt-xml "$SCRATCH/vm-a.xml"
expect_rc 0 "4: vm-a started"
good=$(cat "$STATE")
corrupt_journal() { # corrupt_journal LABEL WANT PYTHON-EDIT
	python3 -c "import json; d=json.loads(open('$STATE').read()); $3; open('$STATE','w').write(json.dumps(d))" 2>/dev/null ||
		printf '%s' "$3" >"$STATE"
	cp "$STATE" "$SCRATCH/corrupt.json"
	run --trace-fw "$SCRATCH/trace" apply --connect none
	expect_rc 3 "4: $1"
	expect_err "$STATE: corrupt journal" "4: $1 names the file"
	expect_err "$2" "4: $1 says what"
	expect_err "move it aside" "4: $1 says what to do"
	one_line "4: $1"
	if grep -q '^>' "$SCRATCH/trace" 2>/dev/null; then
		fail "4: $1: firmware commands were sent"
	else pass; fi
	cmp -s "$STATE" "$SCRATCH/corrupt.json" && pass || fail "4: $1: journal rewritten"
	printf '%s' "$good" >"$STATE"
}
corrupt_journal "vms as an object" "vms is not an array" "d['vms']={'vm-a': d['vms'][0]}"
corrupt_journal "cap_bytes -1, scaled" "vfs[0].cap_bytes is not a number of bytes >= 0" \
	"d['vms'][0]['scaled']=True; d['vms'][0]['scaled_cap_bytes']=1; d['vfs'][0]['cap_bytes']=-1"
corrupt_journal "scaled_cap_bytes -1" "vms[0].scaled_cap_bytes is not a number of bytes" \
	"d['vms'][0]['scaled']=True; d['vms'][0]['scaled_cap_bytes']=-1"
corrupt_journal "NUL in a name" "vms[0].name contains a NUL character" "d['vms'][0]['name']='vm\x00-a'"
corrupt_journal "a string for a number" "vfs[0].vhca_id is not an integer" "d['vfs'][0]['vhca_id']='7'"
printf '%s trailing' "$good" >"$STATE"
cp "$STATE" "$SCRATCH/corrupt.json"
run apply --connect none
expect_rc 3 "4: trailing garbage"
expect_err "corrupt journal (text after the end)" "4: trailing garbage message"
printf '%s' "$good" >"$STATE"
expect_eq "$(cap_of "$VF1")" $((2 * GiB)) "4: vm-a's cap untouched through all of it"

# --- 5. temp files and the lock --------------------------------------------
echo precious >"$SCRATCH/victim"
ln -s "$SCRATCH/victim" "$STATE.tmp.999999"
echo stale >"$STATE.tmp.999998.AbCdEf"
echo live >"$STATE.tmp.$$"
run apply --connect none
expect_rc 0 "5: apply beside planted temp files"
expect_eq "$(cat "$SCRATCH/victim")" precious "5: a planted symlink is never written through"
[ ! -e "$STATE.tmp.999999" ] && [ ! -L "$STATE.tmp.999999" ] && pass || fail "5: stale symlink of a dead pid removed"
[ ! -e "$STATE.tmp.999998.AbCdEf" ] && pass || fail "5: stale temp file of a dead pid removed"
[ -e "$STATE.tmp.$$" ] && pass || fail "5: a live process's temp file is left alone"
rm -f "$STATE.tmp.$$"
ls "$STATE".tmp.* >/dev/null 2>&1 && fail "5: temp files left: $(ls "$STATE".tmp.*)" || pass
ln -s "$SCRATCH/victim" "$SCRATCH/trace-link"
run --trace-fw "$SCRATCH/trace-link" apply --connect none
expect_rc 3 "5: --trace-fw through a symlink"
expect_err "--trace-fw $SCRATCH/trace-link:" "5: trace message"
expect_eq "$(cat "$SCRATCH/victim")" precious "5: trace never writes through a symlink"
ln -s "$SCRATCH/victim" "$SCRATCH/lock-link"
run --lock "$SCRATCH/lock-link" apply --connect none
expect_rc 3 "5: a lock path that is a symlink"
expect_err "$SCRATCH/lock-link: cannot open lock" "5: lock message"
expect_eq "$(cat "$SCRATCH/victim")" precious "5: the lock never truncates through a symlink"

# --- 6. control characters are escaped -------------------------------------
run vm stop $'evil\n\x1b[31mname'
expect_rc 0 "6: vm stop of an unknown, hostile name (nothing to do)"
expect_out 'vm evil\x0a\x1b[31mname stop: 0 caps written' "6: vm stop escapes the name"
expect_eq "$(grep -c evil <<<"$OUT")" 1 "6: vm stop's name stays on one line"
# Names read from the journal: a tab in a VM name (the hook refuses such
# names, an older or edited journal may hold one).
cp "$STATE" "$SCRATCH/journal.bak"
python3 -c "import json; d=json.load(open('$STATE')); d['vms'][0]['name']='vm\ta'; d['vfs']=[dict(v, vm='vm\ta') if v['vm']=='vm-a' else v for v in d['vfs']]; open('$STATE','w').write(json.dumps(d))"
run status --connect none
expect_out 'vm\x09a' "6: status escapes a journalled name"
run vm stop $'vm\ta'
expect_out 'vm vm\x09a stop: 1 cap written' "6: vm stop of a journalled name"
cp "$SCRATCH/journal.bak" "$STATE"
run vm start --libvirt-xml "$SCRATCH/vm-a.xml"
run explain $'ex\tplain' 2>/dev/null
expect_one_line_err "6: explain"
printf 'version: 1\nhost: { admission: "str\\aict\\nx" }\n' >"$SCRATCH/ctl.yaml"
run --policy "$SCRATCH/ctl.yaml" policy validate
expect_rc 1 "6: YAML scalar with control characters"
expect_err 'str\x07ict\x0ax' "6: YAML scalar escaped"
one_line "6: YAML scalar"
sed "s/bus='0x[0-9a-f]*'/bus='\n 0x1ff'/" "$SCRATCH/vm-a.xml" >"$SCRATCH/ws.xml"
run vm inspect --libvirt-xml "$SCRATCH/ws.xml"
expect_rc 1 "6: XML attribute with a leading newline, out of range"
one_line "6: XML attribute with a leading newline"
"$BIN" --config "$SCRATCH/settings" hook libvirt qemu $'vm\n-x' prepare begin - \
	<"$SCRATCH/vm-a.xml" >"$SCRATCH/out" 2>"$SCRATCH/err"
RC=$?; ERR=$(cat "$SCRATCH/err")
[ "$(grep -c . <<<"$ERR")" -le 1 ] && pass || fail "6: hook with a newline in the name: $ERR"

# --- 7. small ones ---------------------------------------------------------
for t in nan NaN inf -1 1e9; do
	run --lock-timeout "$t" apply --connect none
	expect_rc 2 "7: --lock-timeout $t"
	expect_err "--lock-timeout takes seconds from 0 to 86400, not '$t'" "7: --lock-timeout $t message"
done
printf 'backend = sim\n\0on_error = allow\n' >"$SCRATCH/nul.conf"
"$BIN" --config "$SCRATCH/nul.conf" status >"$SCRATCH/out" 2>"$SCRATCH/err"
RC=$?; ERR=$(cat "$SCRATCH/err")
expect_rc 2 "7: settings with a NUL"
expect_err "$SCRATCH/nul.conf:2: a NUL byte" "7: NUL message"
printf 'backend = sim\nbackend = devx\n' >"$SCRATCH/dup.conf"
"$BIN" --config "$SCRATCH/dup.conf" status >"$SCRATCH/out" 2>"$SCRATCH/err"
RC=$?; ERR=$(cat "$SCRATCH/err")
expect_rc 2 "7: settings with a duplicate key"
expect_err "$SCRATCH/dup.conf:2: duplicate key 'backend' (first at line 1; keep one)" "7: duplicate message"
printf 'policy =\n' >"$SCRATCH/empty.conf"
"$BIN" --config "$SCRATCH/empty.conf" status >"$SCRATCH/out" 2>"$SCRATCH/err"
RC=$?; ERR=$(cat "$SCRATCH/err")
expect_rc 2 "7: settings with an empty value"
expect_err "$SCRATCH/empty.conf:1: policy has no value" "7: empty value message"
sed "s|<memory unit='GiB'>4</memory>|<memory unit='KiB'>$(printf '1%.0s' $(seq 70))</memory>|" \
	"$SCRATCH/vm-a.xml" >"$SCRATCH/longmem.xml"
run vm inspect --libvirt-xml "$SCRATCH/longmem.xml"
expect_rc 1 "7: 70-digit <memory>"
expect_err "<memory> value is longer than 63 characters" "7: long value message"
domain_xml vm-15e 4 no "" "$VF4" |
	sed "s|<memory unit='GiB'>4</memory>|<memory unit='EiB'>15</memory>|" >"$SCRATCH/huge.xml"
run vm start --libvirt-xml "$SCRATCH/huge.xml"
expect_rc 1 "7: a 15 EiB VM"
expect_err "VM vm-15e does not fit: short by 15.0EiB" "7: 15 EiB shortfall not clamped"
printf '<domain><name>x</name><memory>1<memory></domain>' >"$SCRATCH/bad.xml"
run vm inspect --libvirt-xml "$SCRATCH/bad.xml"
expect_rc 1 "7: malformed XML"
expect_err "$SCRATCH/bad.xml:1: mismatched tag (the XML is truncated or not well-formed)" \
	"7: expat's message in ours"
one_line "7: no XML parser lines of its own"

# --- 8. privileges first ---------------------------------------------------
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$BIN" "$@" \
		>"$SCRATCH/out" 2>"$SCRATCH/err"
	RC=$?; ERR=$(cat "$SCRATCH/err")
}
chmod 0755 "$SCRATCH"
as_nobody --config none apply
expect_rc 3 "8: apply as nobody"
expect_err "apply: needs root (it programs the NICs' firmware and writes /var/lib/icmquota/state.json and the lock); run it as root" "8: apply message"
one_line "8: apply"
as_nobody --config none vm stop vm-a
expect_rc 3 "8: vm stop as nobody"
expect_err "vm stop: needs root" "8: vm stop message"
as_nobody --config none --root "$ROOT" --state "$STATE" --policy "$POLICY" vm start --libvirt-xml /nonexistent.xml
expect_rc 3 "8: vm start as nobody on a simulated host (checked before the source)"
expect_err "vm start: cannot write $SCRATCH (the journal's directory) as uid $(id -u nobody)" "8: sim message"
as_nobody --config none hook libvirt qemu vm-a prepare begin - <"$SCRATCH/vm-a.xml"
expect_rc 3 "8: hook as nobody"
expect_err "hook: needs root" "8: hook message"
as_nobody --config none vm stop --help
expect_rc 0 "8: help needs no privilege"
chmod 0700 "$SCRATCH"

finish
