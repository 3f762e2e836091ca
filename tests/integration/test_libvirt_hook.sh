#!/usr/bin/env bash
# The libvirt hook under a real libvirtd and QEMU on this machine, installed
# the way `make install` installs it (a symlink in qemu.d to the binary,
# which then runs as the hook), against a simulated host's firmware:
#   a) a VF domain: caps programmed at prepare, released when libvirt gives
#      up (no IOMMU here, so a domain with a PCI hostdev never runs)
#   b) a domain that does not fit: virsh shows the hook's one-line reason,
#      nothing is written
#   c) a domain without VFs really runs: five hook calls, no firmware command
#      (then a leak canary: a sanitizer report from the hook would be seen)
#   e) settings file missing or mistyped, policy broken (on_error deny and
#      allow): only a start is refused
#   d) libvirtd restarted while a domain with VFs runs: reconnect reconciles;
#      with mistyped settings the guest still survives the restart
#   f) the packaged shape itself: qemu.d/icmquota a symlink to the binary
#      (a build whose default settings file is the test's), no wrapper
# Not covered: "started begin" for a domain with VFs (it never gets that
# far here), migration and restore.
# Everything started is stopped by PID, and the machine's libvirt is given
# back as found (trap), even when a check fails.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libvirtd.sh"

if ! why=$(lv_can_run); then
	echo "SKIP [$T_NAME] real libvirtd cannot run here: $why"
	finish
	exit
fi

cleanup() {
	trap - EXIT INT TERM
	# A domain left running while the daemon was down (a failure in d):
	# start a daemon so that it can be destroyed.
	if ! lv_pid_of "$LV_LIBVIRTD_PID" >/dev/null &&
		compgen -G "/run/libvirt/qemu/$DOM_PREFIX*.pid" >/dev/null; then
		lv_start >/dev/null 2>&1
	fi
	lv_purge "$DOM_PREFIX"
	lv_give_back
	rm -rf "$SCRATCH"
}
DOM_PREFIX=icmqt-
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the simulated host, the policy, the settings file -------------------
make_sim
write_policy <<'EOF'
version: 1
host: { reserve: 16GiB, admission: strict }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
vms:
  - match: { name: "icmqt-big" }
    vf_cap: 60GiB
EOF
cat >"$SCRATCH/settings" <<EOF
# written by $T_NAME
policy = $POLICY
state = $SCRATCH/state.json
root = $ROOT
backend = sim
EOF
cp "$SCRATCH/settings" "$SCRATCH/icmquota.conf"
mapfile -t PFS < <(sim_pfs)
mapfile -t GPUS < <(sim_gpus)
IDLE=$(((256 << 20) / 4096))
CAP=$(((4 << 30) / 4096))
mkdir -p "$SCRATCH/calls" "$SCRATCH/asan" "$SCRATCH/sbin"
: >"$SCRATCH/hook.log"

# Every VF idle before the first VM: the baseline each case returns to.
run apply -j
expect_rc 0 "initial apply"

# --- the hook, instrumented ----------------------------------------------
# libvirtd runs qemu.d/icmquota as `PATH DOMAIN OPERATION SUB_OPERATION
# EXTRA`; the packaged file is a symlink to the binary (case f). For cases
# a-e a stand-in takes its place: it passes stdin through untouched (the
# binary reads it as it would) and records, per call: argv, exit code,
# stderr, time, the firmware trace and, right after prepare, the simulated
# firmware and the journal (release resets the caps before virsh returns,
# so this is the only way to see what prepare programmed). libvirtd gives
# hooks only LC_ALL, PATH and HOME: the sanitizer settings live here, and
# any report lands in $SCRATCH/asan, which must stay empty, and a
# sanitizer failure exits 23.
cat >"$SCRATCH/sbin/icmquota" <<'EOF'
#!/bin/bash
set -- hook libvirt qemu "$@"
S=@SCRATCH@
BIN=@BIN@
export ASAN_OPTIONS=detect_leaks=1:exitcode=23:log_path=$S/asan/asan
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$S/asan/ubsan
id=$(date +%s%N).$$
call=$S/calls/$id
preload=$(cat "$S/leak-canary" 2>/dev/null)
t0=$(date +%s%N)
LD_PRELOAD=$preload "$BIN" --config "$S/icmquota.conf" --trace-fw "$call.trace" \
	"$@" 2>"$call.err"
rc=$?
t1=$(date +%s%N)
if [ "$5 $6" = "prepare begin" ]; then
	"$BIN" --config none --root "$S/host" sim show -j >"$call.fw.json" 2>&1
	cp "$S/state.json" "$call.state.json" 2>/dev/null
fi
echo "$id $4 $5 $6 rc=$rc us=$(((t1 - t0) / 1000))" >>"$S/hook.log"
cat "$call.err" >&2
exit $rc
EOF
sed -i -e "s|@SCRATCH@|$SCRATCH|" -e "s|@BIN@|$BIN|" "$SCRATCH/sbin/icmquota"
chmod 0755 "$SCRATCH/sbin/icmquota"
cp "$SCRATCH/sbin/icmquota" "$SCRATCH/hook"

# The packaged settings example parses, commented and uncommented.
"$BIN" --config "$REPO/packaging/icmquota.conf" --policy "$POLICY" \
	policy validate >/dev/null 2>"$SCRATCH/err"
RC=$? ERR=$(cat "$SCRATCH/err")
expect_rc 0 "packaging/icmquota.conf parses"
sed -E 's/^#([a-z_]+ = )/\1/' "$REPO/packaging/icmquota.conf" >"$SCRATCH/conf-all"
"$BIN" --config "$SCRATCH/conf-all" --policy "$POLICY" --root "$ROOT" \
	policy validate >/dev/null 2>"$SCRATCH/err"
RC=$? ERR=$(cat "$SCRATCH/err")
expect_rc 0 "packaging/icmquota.conf with every key set parses"

# --- helpers -------------------------------------------------------------
fw_show() { "$BIN" --config none --root "$ROOT" sim show -j; }
cap_of() { # cap_of FW_JSON_FILE PCI: the function's cap_pages
	python3 -c 'import json, sys
print([f["cap_pages"] for p in json.load(open(sys.argv[1]))
       for f in p["functions"] if f["pci"] == sys.argv[2]][0])' "$1" "$2"
}
vf_caps() { # vf_caps FW_JSON_FILE: "PCI=PAGES" of every VF
	python3 -c 'import json, sys
for p in json.load(open(sys.argv[1])):
    for f in p["functions"]:
        if f["function_id"]:
            print("%s=%s" % (f["pci"], f["cap_pages"]))' "$1"
}
journal() { # journal [FILE]: "NAME:ORIGIN:PCI,PCI ..." of the journal's VMs
	python3 -c 'import json, sys
print(" ".join(sorted("%s:%s:%s" % (v["name"], v["origin"], ",".join(sorted(v["pci"])))
                      for v in json.load(open(sys.argv[1]))["vms"])))' \
		"${1:-$SCRATCH/state.json}"
}
all_idle() { # all_idle FW_JSON_FILE: every VF at the idle cap
	! vf_caps "$1" | grep -qv "=$IDLE\$"
}
mark() { wc -l <"$SCRATCH/hook.log"; }
calls() { # calls MARK NAME: "op/sub=rc ..." since MARK
	tail -n +"$(($1 + 1))" "$SCRATCH/hook.log" | awk -v n="$2" \
		'$2 == n { printf "%s%s/%s=%s", s, $3, $4, substr($5, 4); s = " " }'
}
call_id() { # call_id MARK NAME OP: the id of that call since MARK
	tail -n +"$(($1 + 1))" "$SCRATCH/hook.log" | awk -v n="$2" -v o="$3" \
		'$2 == n && $3 == o { print $1; exit }'
}
wait_call() { # wait_call MARK NAME OP: until libvirt has run it (10 s)
	local i
	for ((i = 0; i < 100; i++)); do
		[ -n "$(call_id "$1" "$2" "$3")" ] && return 0
		lv_pid_of "$LV_LIBVIRTD_PID" >/dev/null || return 1
		sleep 0.1
	done
	return 1
}
virsh_run() { # sets RC, OUT, ERR like run()
	lv_virsh "$@" >"$SCRATCH/out" 2>"$SCRATCH/err"
	RC=$?
	OUT=$(cat "$SCRATCH/out")
	ERR=$(cat "$SCRATCH/err")
}
expect_no_err() { # expect_no_err SUBSTRING LABEL
	if grep -qF -- "$1" <<<"$ERR"; then
		fail "$2: stderr has '$1': $ERR"
	else pass; fi
}
define() { # define NAME XML_FILE
	lv_virsh define "$2" >/dev/null 2>"$SCRATCH/err" ||
		fail "virsh define $1: $(cat "$SCRATCH/err")"
}

# --- the daemon, with the hook in place before it starts ------------------
if ! lv_take_over; then
	fail "cannot take libvirtd over"
	finish
	exit
fi
lv_install_hook "$SCRATCH/hook"
if ! lv_start; then
	fail "libvirtd did not start"
	finish
	exit
fi
lv_purge "$DOM_PREFIX" # left by an earlier run that was killed
LV_DOMTYPE=$(lv_domain_type)
echo "$T_NAME: domains run under $LV_DOMTYPE"

VF00=$(sim_vf "${PFS[0]}" 0) VF10=$(sim_vf "${PFS[1]}" 0)
VF01=$(sim_vf "${PFS[0]}" 1) VF11=$(sim_vf "${PFS[1]}" 1)
VF02=$(sim_vf "${PFS[0]}" 2) VF12=$(sim_vf "${PFS[1]}" 2)

# --- a) caps at prepare, released when the start fails ---------------------
lv_domain_xml icmqt-vf 64 "" "$VF00" "$VF10" "${GPUS[0]}" >"$SCRATCH/vf.xml"
define icmqt-vf "$SCRATCH/vf.xml"
m=$(mark)
virsh_run start icmqt-vf
expect_rc 1 "a: virsh start of a VF domain fails here"
expect_err "host doesn't support passthrough of host PCI devices" \
	"a: libvirt's own error (the hook let the start through)"
expect_no_err "Hook script" "a: no hook failure"
wait_call "$m" icmqt-vf release || fail "a: no release call"
expect_eq "$(calls "$m" icmqt-vf)" "prepare/begin=0 stopped/end=0 release/end=0" \
	"a: hook calls and exit codes"
id=$(call_id "$m" icmqt-vf prepare)
if [ -s "$SCRATCH/calls/$id.fw.json" ]; then
	expect_eq "$(cap_of "$SCRATCH/calls/$id.fw.json" "$VF00")" "$CAP" \
		"a: VF $VF00 at the policy cap after prepare"
	expect_eq "$(cap_of "$SCRATCH/calls/$id.fw.json" "$VF10")" "$CAP" \
		"a: VF $VF10 at the policy cap after prepare"
	expect_eq "$(cap_of "$SCRATCH/calls/$id.fw.json" "$VF01")" "$IDLE" \
		"a: another VF stays idle at prepare"
	expect_eq "$(journal "$SCRATCH/calls/$id.state.json")" \
		"icmqt-vf:libvirt-hook:$(printf '%s\n' "${GPUS[0]}" "$VF00" "$VF10" | sort | paste -sd,)" \
		"a: journal at prepare"
else
	fail "a: no firmware snapshot after prepare"
fi
[ -s "$SCRATCH/calls/$id.trace" ] && pass ||
	fail "a: prepare issued no firmware command"
fw_show >"$SCRATCH/fw.json"
all_idle "$SCRATCH/fw.json" && pass ||
	fail "a: VFs not idle after release: $(vf_caps "$SCRATCH/fw.json" | tr '\n' ' ')"
expect_eq "$(journal)" "" "a: journal empty after release"

# --- b) a domain that does not fit ------------------------------------------
lv_domain_xml icmqt-big 64 "" "$VF01" "$VF11" >"$SCRATCH/big.xml"
define icmqt-big "$SCRATCH/big.xml"
fw_show >"$SCRATCH/fw-before.json"
journal_before=$(journal)
m=$(mark)
virsh_run start icmqt-big
expect_rc 1 "b: virsh start refused"
expect_err "Hook script execution failed" "b: libvirt blames the hook"
expect_err "unexpected exit status 1" "b: hook exit code 1 (refused)"
expect_err "VM icmqt-big does not fit: short by" "b: the reason names the VM"
expect_err "host.admission: scale" "b: the reason names a knob"
expect_err "lower its vf_cap" "b: the reason names the cap"
wait_call "$m" icmqt-big release || fail "b: no release call"
expect_eq "$(calls "$m" icmqt-big)" "prepare/begin=1 stopped/end=0 release/end=0" \
	"b: hook calls and exit codes"
id=$(call_id "$m" icmqt-big prepare)
expect_eq "$(grep -c . "$SCRATCH/calls/$id.err")" 1 "b: the hook says one line"
fw_show >"$SCRATCH/fw-after.json"
if cmp -s "$SCRATCH/fw-before.json" "$SCRATCH/fw-after.json"; then pass; else
	fail "b: firmware changed: $(diff "$SCRATCH/fw-before.json" "$SCRATCH/fw-after.json" | head -5)"
fi
expect_eq "$(journal)" "$journal_before" "b: journal unchanged"

# --- c) no VFs: the VM really runs, the hook stays out of the way -----------
lv_domain_xml icmqt-plain 64 "" >"$SCRATCH/plain.xml"
define icmqt-plain "$SCRATCH/plain.xml"
fw_show >"$SCRATCH/fw-before.json"
m=$(mark)
virsh_run start icmqt-plain
expect_rc 0 "c: a domain without VFs starts"
virsh_run domstate icmqt-plain
expect_out running "c: and runs under QEMU"
virsh_run destroy icmqt-plain
expect_rc 0 "c: destroy"
wait_call "$m" icmqt-plain release || fail "c: no release call"
expect_eq "$(calls "$m" icmqt-plain)" \
	"prepare/begin=0 start/begin=0 started/begin=0 stopped/end=0 release/end=0" \
	"c: five hook calls, all 0"
slow=""
traced=""
costs=""
while read -r id _ op sub _ us; do
	us=${us#us=}
	costs+=" $op/$sub=$((us / 1000))ms"
	[ -s "$SCRATCH/calls/$id.trace" ] && traced+=" $op/$sub"
	# Under ASan; the release build is ~10x faster (tests/bench/hook.sh).
	[ "$us" -lt 1000000 ] || slow+=" $op/$sub"
done < <(tail -n +"$((m + 1))" "$SCRATCH/hook.log" | awk '$2 == "icmqt-plain"')
echo "$T_NAME: hook time per call (ASan build), domain without VFs:$costs"
expect_eq "$slow" "" "c: every hook call under 1 s"
expect_eq "$traced" "" "c: no hook call issued a firmware command"
fw_show >"$SCRATCH/fw-after.json"
if cmp -s "$SCRATCH/fw-before.json" "$SCRATCH/fw-after.json"; then pass; else
	fail "c: firmware changed for a VM without VFs"
fi

# --- the sanitizers are heard from under libvirtd ---------------------------
# A library that leaks 77 bytes, preloaded into the hook's binary for one
# start: LeakSanitizer must fail that start (with the shim's exitcode=23,
# which no icmquota error uses) and write a report where the shim sends
# them, or the empty-report check at the end would prove nothing.
libasan=$(ldd "$BIN" 2>/dev/null | awk '/libasan/ { print $3; exit }')
if [ -n "$libasan" ]; then
	cc -shared -fPIC -o "$SCRATCH/leak.so" -x c - <<'EOF'
#include <stdlib.h>
void *volatile leak_sink;
__attribute__((constructor)) static void leak(void)
{
	leak_sink = malloc(77);
	leak_sink = NULL;
}
EOF
	echo "$libasan $SCRATCH/leak.so" >"$SCRATCH/leak-canary"
	m=$(mark)
	virsh_run start icmqt-plain
	expect_rc 1 "leak canary: a leaking hook fails the start"
	expect_err "unexpected exit status 23" "leak canary: LeakSanitizer's exit code"
	wait_call "$m" icmqt-plain release || fail "leak canary: no release call"
	rm -f "$SCRATCH/leak-canary"
	if grep -qs "detected memory leaks" "$SCRATCH"/asan/asan.*; then pass; else
		fail "leak canary: no LeakSanitizer report in $SCRATCH/asan"
	fi
	mkdir -p "$SCRATCH/asan-canary"
	mv "$SCRATCH"/asan/* "$SCRATCH/asan-canary/" 2>/dev/null
else
	echo "$T_NAME: $BIN has no ASan runtime: the sanitizer check proves nothing"
fi

# --- e) the binary, its settings or the policy missing or broken --------------
fw_show >"$SCRATCH/fw-before.json"
rm -f "$SCRATCH/icmquota.conf"
m=$(mark)
virsh_run start icmqt-vf
expect_rc 1 "e1: no settings file: start fails"
expect_err "unexpected exit status 3" "e1: hook exit code 3 (environment)"
expect_err "VM icmqt-vf not started" "e1: names the VM"
expect_err "$SCRATCH/icmquota.conf: No such file or directory" "e1: names the file"
wait_call "$m" icmqt-vf release || fail "e1: no release call"
expect_eq "$(calls "$m" icmqt-vf)" "prepare/begin=3 stopped/end=0 release/end=0" \
	"e1: hook calls and exit codes"

sed 's/^policy =/polcy =/' "$SCRATCH/settings" >"$SCRATCH/icmquota.conf"
m=$(mark)
virsh_run start icmqt-vf
expect_rc 1 "e1b: settings with an unknown key: start fails"
expect_err "Hook script execution failed" "e1b: libvirt blames the hook"
expect_err "$SCRATCH/icmquota.conf:$(grep -n '^polcy' "$SCRATCH/icmquota.conf" | cut -d: -f1): unknown key 'polcy'" \
	"e1b: names file, line, key"
wait_call "$m" icmqt-vf release || fail "e1b: no release call"
expect_eq "$(calls "$m" icmqt-vf | cut -d' ' -f2-)" "stopped/end=0 release/end=0" \
	"e1b: stop calls exit 0 (only a start is refused)"

printf 'version: 1\nhost: { reserve: lots }\n' >"$SCRATCH/broken.yaml"
sed "s|^policy = .*|policy = $SCRATCH/broken.yaml|" "$SCRATCH/settings" \
	>"$SCRATCH/icmquota.conf"
m=$(mark)
virsh_run start icmqt-vf
expect_rc 1 "e2: broken policy, on_error deny: start fails"
expect_err "Hook script execution failed" "e2: libvirt blames the hook"
expect_err "VM icmqt-vf not started: $SCRATCH/broken.yaml:2:" \
	"e2: the reason names the policy file and line"
wait_call "$m" icmqt-vf release || fail "e2: no release call"
expect_eq "$(calls "$m" icmqt-vf | cut -d' ' -f1)" "prepare/begin=1" \
	"e2: prepare exits 1"

echo "on_error = allow" >>"$SCRATCH/icmquota.conf"
m=$(mark)
virsh_run start icmqt-vf
expect_rc 1 "e3: broken policy, on_error allow: libvirt goes on (and fails here)"
expect_err "host doesn't support passthrough of host PCI devices" \
	"e3: the error is libvirt's"
expect_no_err "Hook script" "e3: not the hook's"
wait_call "$m" icmqt-vf release || fail "e3: no release call"
expect_eq "$(calls "$m" icmqt-vf | cut -d' ' -f1)" "prepare/begin=0" \
	"e3: prepare exits 0"
fw_show >"$SCRATCH/fw-after.json"
if cmp -s "$SCRATCH/fw-before.json" "$SCRATCH/fw-after.json"; then pass; else
	fail "e: firmware changed although no cap could be computed"
fi
cp "$SCRATCH/settings" "$SCRATCH/icmquota.conf"

# --- d) libvirtd restarted while a domain with VFs runs ----------------------
# A domain with a PCI hostdev cannot start here (no IOMMU), so the running
# domain starts without one, and its two VFs are added to its live status
# file (/run/libvirt/qemu/NAME.xml, what libvirtd reloads on restart) while
# the daemon is down. The restarted daemon runs in its own mount namespace
# where /sys/bus/pci/devices also lists stand-ins at the two sim VFs'
# addresses (lv_pci_view), so that its reconnect accepts the hostdevs. The
# guest never has the devices; what runs for real is libvirtd's reconnect
# of a running domain whose XML has VFs, the hook it calls ("reconnect
# begin", the live XML on stdin), and later the stop and release with the
# same VFs. managed='no': libvirt never rebinds them.
lv_pci_view "$SCRATCH/pci" "$VF02" "$VF12"
lv_domain_xml icmqt-run 64 "" >"$SCRATCH/run.xml"
define icmqt-run "$SCRATCH/run.xml"

# restart_with_vfs LABEL: icmqt-run started, libvirtd stopped, VF02 and VF12
# added to the live definition; the caller then restarts the daemon.
restart_with_vfs() {
	local status=/run/libvirt/qemu/icmqt-run.xml
	virsh_run start icmqt-run
	expect_rc 0 "$1: domain started"
	lv_stop
	if [ ! -f "$status" ]; then
		fail "$1: no live status file $status"
		return
	fi
	python3 - "$status" "$VF02" "$VF12" <<'EOF'
import re, sys
path, vfs = sys.argv[1], sys.argv[2:]
xml = open(path).read()
add = ""
for i, vf in enumerate(vfs):
    d, b, s, f = re.split("[:.]", vf)
    add += ("<hostdev mode='subsystem' type='pci' managed='no'>"
            "<driver name='vfio'/><source><address domain='0x%s' bus='0x%s' "
            "slot='0x%s' function='0x%s'/></source><alias name='hostdev%d'/>"
            "<address type='pci' domain='0x0000' bus='0x00' slot='0x%02x' "
            "function='0x0'/></hostdev>\n" % (d, b, s, f, i, 0x1a + i))
# The domain's <devices>, not the private data's, which comes later.
at = xml.index("</devices>", xml.index("<domain "))
open(path, "w").write(xml[:at] + add + xml[at:])
EOF
	pass
}

restart_with_vfs d
fw_show >"$SCRATCH/fw-before.json"
expect_eq "$(cap_of "$SCRATCH/fw-before.json" "$VF02")" "$IDLE" "d: VF idle before reconnect"
m=$(mark)
lv_start "$SCRATCH/pci" || fail "d: libvirtd did not restart"
wait_call "$m" icmqt-run reconnect || fail "d: no reconnect call"
expect_eq "$(calls "$m" icmqt-run)" "reconnect/begin=0" "d: reconnect hook exit 0"
virsh_run domstate icmqt-run
expect_out running "d: libvirtd kept the domain"
virsh_run dumpxml icmqt-run
expect_out "bus='0x${VF02:5:2}'" "d: libvirtd has the VFs in the live XML"
fw_show >"$SCRATCH/fw.json"
expect_eq "$(cap_of "$SCRATCH/fw.json" "$VF02")" "$CAP" "d: reconnect programmed $VF02"
expect_eq "$(cap_of "$SCRATCH/fw.json" "$VF12")" "$CAP" "d: reconnect programmed $VF12"
expect_eq "$(cap_of "$SCRATCH/fw.json" "$VF00")" "$IDLE" "d: other VFs stay idle"
expect_eq "$(journal)" "icmqt-run:libvirt-hook:$VF02,$VF12" "d: journal after reconnect"
m=$(mark)
virsh_run destroy icmqt-run
expect_rc 0 "d: destroy"
wait_call "$m" icmqt-run release || fail "d: no release call"
expect_eq "$(calls "$m" icmqt-run)" "stopped/end=0 release/end=0" "d: stop hook calls"
fw_show >"$SCRATCH/fw.json"
all_idle "$SCRATCH/fw.json" && pass ||
	fail "d: VFs not idle after stop: $(vf_caps "$SCRATCH/fw.json" | tr '\n' ' ')"
expect_eq "$(journal)" "" "d: journal empty after stop"

# d2) The same restart while the settings file has a typo: libvirtd kills a
# running guest whose reconnect hook fails, so the hook must log and exit 0
# (caps are left as they are; `icmquota apply` repairs them later).
restart_with_vfs d2
sed 's/^policy =/polcy =/' "$SCRATCH/settings" >"$SCRATCH/icmquota.conf"
fw_show >"$SCRATCH/fw-before.json"
m=$(mark)
lv_start "$SCRATCH/pci" || fail "d2: libvirtd did not restart"
wait_call "$m" icmqt-run reconnect || fail "d2: no reconnect call"
expect_eq "$(calls "$m" icmqt-run | cut -d' ' -f1)" "reconnect/begin=0" \
	"d2: reconnect hook exit 0 with broken settings"
virsh_run domstate icmqt-run
expect_out running "d2: the guest survives the restart"
fw_show >"$SCRATCH/fw-after.json"
if cmp -s "$SCRATCH/fw-before.json" "$SCRATCH/fw-after.json"; then pass; else
	fail "d2: firmware changed without settings"
fi
cp "$SCRATCH/settings" "$SCRATCH/icmquota.conf"
if [ "$(lv_virsh domstate icmqt-run 2>/dev/null)" = running ]; then
	m=$(mark)
	virsh_run destroy icmqt-run
	wait_call "$m" icmqt-run release || fail "d2: no release call"
	fw_show >"$SCRATCH/fw.json"
	all_idle "$SCRATCH/fw.json" && pass || fail "d2: VFs not idle after stop"
fi

# --- f) the packaged shape: qemu.d/icmquota a symlink to the binary ---------
# No wrapper: libvirtd executes the binary by the hook's path, and it runs
# as the hook (main.c). It reads its default settings file, which in this
# build is /run/icmquota-test/icmquota.conf (Makefile: hooktest).
HOOKBIN=$(dirname "$BIN")/hooktest/icmquota
HOOKCONF=/run/icmquota-test/icmquota.conf
if [ ! -x "$HOOKBIN" ]; then
	fail "f: $HOOKBIN missing (make $(realpath --relative-to="$REPO" "$(dirname "$BIN")")/hooktest/icmquota)"
else
	lv_stop
	mkdir -p "$(dirname "$HOOKCONF")"
	cp "$SCRATCH/settings" "$HOOKCONF"
	lv_link_hook "$HOOKBIN"
	lv_start || fail "f: libvirtd did not start with the symlinked hook"
	[ "$(readlink "$LV_HOOK")" = "$HOOKBIN" ] && pass || fail "f: hook is not the symlink"
	virsh_run start icmqt-plain
	expect_rc 0 "f: a domain without VFs starts through the symlinked hook"
	expect_eq "$(journal)" "icmqt-plain:libvirt-hook:" "f: the hook journalled it"
	virsh_run destroy icmqt-plain
	expect_rc 0 "f: destroy"
	for _ in $(seq 100); do [ -z "$(journal)" ] && break; sleep 0.1; done
	expect_eq "$(journal)" "" "f: released at stop"
	fw_show >"$SCRATCH/fw-before.json"
	virsh_run start icmqt-big
	expect_rc 1 "f: a domain that does not fit is refused"
	expect_err "VM icmqt-big does not fit: short by" "f: libvirt shows the binary's reason"
	fw_show >"$SCRATCH/fw-after.json"
	if cmp -s "$SCRATCH/fw-before.json" "$SCRATCH/fw-after.json"; then pass; else
		fail "f: firmware changed on a refused start"
	fi
	# The legacy single hook, /etc/libvirt/hooks/qemu, as a symlink to the
	# binary: run by that path as libvirtd runs it (argv[0], the domain
	# XML on stdin), it is the hook too.
	mkdir -p "$SCRATCH/hooks"
	ln -sfn "$HOOKBIN" "$SCRATCH/hooks/qemu"
	"$SCRATCH/hooks/qemu" icmqt-plain prepare begin - <"$SCRATCH/plain.xml"
	RC=$? ERR=""
	expect_rc 0 "f: hooks/qemu symlink: prepare"
	expect_eq "$(journal)" "icmqt-plain:libvirt-hook:" "f: hooks/qemu symlink: journalled"
	"$SCRATCH/hooks/qemu" icmqt-plain release end - <"$SCRATCH/plain.xml"
	RC=$? ERR=""
	expect_rc 0 "f: hooks/qemu symlink: release"
	expect_eq "$(journal)" "" "f: hooks/qemu symlink: released"
	rm -f "$HOOKCONF"
	rmdir "$(dirname "$HOOKCONF")" 2>/dev/null
fi

# --- no sanitizer report from any hook call -------------------------------
if [ -z "$(ls -A "$SCRATCH/asan")" ]; then pass; else
	fail "sanitizer reports from hook calls: $(head -c 2000 "$SCRATCH"/asan/*)"
fi

finish
