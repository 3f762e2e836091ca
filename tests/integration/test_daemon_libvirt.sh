#!/usr/bin/env bash
# icmquota daemon under a real libvirtd and QEMU on this machine, against
# a simulated host's firmware:
#   a) a domain started: the daemon hears it, the VM enters the journal
#      (and so the memory split), caps unchanged (it has no VF)
#   b) a device attached to the running domain and detached again (a USB
#      disk: a VF cannot be attached on a machine without one): the daemon
#      sees device-added/-removed with the device's alias and reads the
#      live XML; the VF path of the same events and payload runs in
#      tests/unit/test_daemon.c against the simulated host
#   c) the domain destroyed: the daemon hears it, the journal entry closes
#   d) libvirtd restarted while a domain with VFs runs: the daemon notices
#      the connection closing, reconnects (backoff) and reconciles: the
#      VFs get the policy cap; destroyed: back to idle
# No libvirt hook is installed: the daemon alone keeps the caps here.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libvirtd.sh"

if ! why=$(lv_can_run); then
	echo "SKIP [$T_NAME] real libvirtd cannot run here: $why"
	finish
	exit
fi

DOM_PREFIX=icmqd-
DPID=""
cleanup() {
	trap - EXIT INT TERM
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	if ! lv_pid_of "$LV_LIBVIRTD_PID" >/dev/null &&
		compgen -G "/run/libvirt/qemu/$DOM_PREFIX*.pid" >/dev/null; then
		lv_start >/dev/null 2>&1
	fi
	lv_purge "$DOM_PREFIX"
	lv_give_back
	rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make_sim
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB }
EOF2
mapfile -t PFS < <(sim_pfs)
VF02=$(sim_vf "${PFS[0]}" 2) VF12=$(sim_vf "${PFS[1]}" 2)
IDLE=$((256 << 20)) CAP=$((4 << 30))
LOG=$SCRATCH/daemon.log
caps_of() { "$BIN" --config none --root "$ROOT" sim show -j | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    for f in p["functions"]:
        if f["pci"] == sys.argv[1]:
            print(f["cap_pages"] * 4096 if f["cap_pages"] != "unlimited" else "unlimited")
' "$1"; }
journal() {
	python3 -c 'import json, sys
print(" ".join(sorted("%s:%s" % (v["name"], ",".join(sorted(v["pci"])))
                      for v in json.load(open(sys.argv[1]))["vms"])))' "$SCRATCH/state.json"
}
wait_log() { # wait_log FIXED-STRING [SECONDS]
	local i
	for ((i = 0; i < ${2:-10} * 20; i++)); do
		grep -qF -- "$1" "$LOG" && return 0
		kill -0 "$DPID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
virsh_run() {
	lv_virsh "$@" >"$SCRATCH/out" 2>"$SCRATCH/err"
	RC=$? OUT=$(cat "$SCRATCH/out") ERR=$(cat "$SCRATCH/err")
}

if ! lv_take_over; then fail "cannot take libvirtd over"; finish; exit; fi
if ! lv_start; then fail "libvirtd did not start"; finish; exit; fi
lv_purge "$DOM_PREFIX"
LV_DOMTYPE=$(lv_domain_type)

"$BIN" --config none --root "$ROOT" --policy "$POLICY" \
	--state "$SCRATCH/state.json" --lock-timeout 5 daemon \
	--connect "$LV_URI" --no-uevents --interval 3600 2>"$LOG" &
DPID=$!
wait_log "libvirt $LV_URI: connected, following domain events" ||
	fail "daemon did not connect: $(cat "$LOG")"
wait_log "daemon: start:" || fail "no first reconcile: $(cat "$LOG")"
expect_eq "$(caps_of "$VF02")" "$IDLE" "start: every VF idle"

# --- a) started ---------------------------------------------------------------
lv_domain_xml icmqd-plain 64 "" >"$SCRATCH/plain.xml"
lv_virsh define "$SCRATCH/plain.xml" >/dev/null 2>&1
virsh_run start icmqd-plain
expect_rc 0 "a: domain started"
wait_log "libvirt domain icmqd-plain started: VM icmqd-plain runs with VFs none (0 PCI devices): 0 caps written" ||
	fail "a: start not seen: $(cat "$LOG")"
expect_eq "$(journal)" "icmqd-plain:" "a: the VM is in the journal (the split)"
expect_eq "$(caps_of "$VF02")" "$IDLE" "a: caps unchanged"

# --- b) a device attached and detached ----------------------------------------------
truncate -s 1M "$SCRATCH/disk.img"
cat >"$SCRATCH/usbdisk.xml" <<EOF2
<disk type='file' device='disk'>
  <driver name='qemu' type='raw'/>
  <source file='$SCRATCH/disk.img'/>
  <target dev='sdb' bus='usb'/>
  <alias name='ua-icmq-disk'/>
</disk>
EOF2
chmod 0755 "$SCRATCH"
virsh_run attach-device icmqd-plain "$SCRATCH/usbdisk.xml" --live
expect_rc 0 "b: attach-device (USB disk) to the running domain"
wait_log "libvirt device-added ua-icmq-disk of domain icmqd-plain: VM icmqd-plain runs with VFs none (0 PCI devices): 0 caps written" ||
	fail "b: device-added not seen: $(cat "$LOG")"
expect_eq "$(caps_of "$VF02")" "$IDLE" "b: caps unchanged after attach"
virsh_run detach-device icmqd-plain "$SCRATCH/usbdisk.xml" --live
expect_rc 0 "b: detach-device"
wait_log "libvirt device-removed ua-icmq-disk of domain icmqd-plain: VM icmqd-plain runs with VFs none" ||
	fail "b: device-removed not seen: $(cat "$LOG")"
expect_eq "$(journal)" "icmqd-plain:" "b: still running in the journal"

# --- c) destroyed -------------------------------------------------------------------
virsh_run destroy icmqd-plain
expect_rc 0 "c: destroy"
wait_log "libvirt domain icmqd-plain stopped: VM icmqd-plain stopped: 0 caps back to idle" ||
	fail "c: stop not seen: $(cat "$LOG")"
expect_eq "$(journal)" "" "c: journal entry closed"

# --- d) libvirtd restarted with a domain holding VFs -----------------------------------
# As in test_libvirt_hook.sh d): the domain starts without hostdevs (no
# IOMMU here), its live status file gets two sim VFs while libvirtd is
# down, and the restarted libvirtd sees stand-ins for them.
lv_pci_view "$SCRATCH/pci" "$VF02" "$VF12"
lv_domain_xml icmqd-run 64 "" >"$SCRATCH/run.xml"
lv_virsh define "$SCRATCH/run.xml" >/dev/null 2>&1
virsh_run start icmqd-run
expect_rc 0 "d: domain started"
wait_log "libvirt domain icmqd-run started" || fail "d: start not seen"
lv_stop
wait_log "libvirt $LV_URI: connection closed" ||
	fail "d: the daemon did not notice libvirtd going: $(cat "$LOG")"
status=/run/libvirt/qemu/icmqd-run.xml
python3 - "$status" "$VF02" "$VF12" <<'EOF2'
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
at = xml.index("</devices>", xml.index("<domain "))
open(path, "w").write(xml[:at] + add + xml[at:])
EOF2
sleep 1 # at least one failed reconnect attempt
lv_start "$SCRATCH/pci" || fail "d: libvirtd did not restart"
wait_log "libvirt reconnected: 8 VFs on 2 PFs, 1 VMs running, 2 caps written" 40 ||
	fail "d: no reconcile after the reconnect: $(cat "$LOG")"
expect_eq "$(caps_of "$VF02")" "$CAP" "d: $VF02 at the policy cap after the reconnect"
expect_eq "$(caps_of "$VF12")" "$CAP" "d: $VF12 at the policy cap after the reconnect"
expect_eq "$(journal)" "icmqd-run:$VF02,$VF12" "d: journal after the reconnect"
virsh_run destroy icmqd-run
expect_rc 0 "d: destroy"
wait_log "libvirt domain icmqd-run stopped: VM icmqd-run stopped: 2 caps back to idle" ||
	fail "d: stop not seen: $(cat "$LOG")"
expect_eq "$(caps_of "$VF02")" "$IDLE" "d: idle after the stop"

kill -TERM "$DPID"; wait "$DPID"; RC=$?; DPID=""
ERR=$(cat "$LOG")
expect_rc 0 "SIGTERM: exit 0 (no sanitizer report)"
finish
