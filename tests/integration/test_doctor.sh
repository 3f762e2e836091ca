#!/usr/bin/env bash
# icmquota doctor on a simulated host where every check passes, then one
# broken shape per check: the right line (name, status, the fix) and the
# right exit code (0 no failure, 1 a failure or --strict warning, 3 when
# doctor cannot run). Everything lives under --root, /proc included.
# check: serial (some checks look at the machine, which test_libvirt_hook changes)
. "$(dirname "$0")/lib.sh"

make_sim
write_policy <<'EOF'
version: 1
host: { reserve: 16GiB, admission: strict }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
EOF
mapfile -t PFS < <(sim_pfs)
NOW=$(date +%s)
HOOK=$ROOT/etc/libvirt/hooks/qemu.d/icmquota
CONF=$SCRATCH/etc/icmquota.conf
STATE_DIR=$SCRATCH/lib
mkdir -p "$STATE_DIR" "$SCRATCH/etc" "$ROOT/etc/libibverbs.d" \
	"$ROOT/proc/sys/kernel" "$ROOT/usr/sbin" "$(dirname "$HOOK")"
echo "driver mlx5" >"$ROOT/etc/libibverbs.d/mlx5.driver"
echo "6.15.2-amd64" >"$ROOT/proc/sys/kernel/osrelease"
printf 'policy = %s\nstate = %s\n' "$POLICY" "$STATE_DIR/state.json" >"$CONF"
chmod 0644 "$CONF" "$POLICY"
chmod 0755 "$STATE_DIR"
# The packaged shape (make install, the .deb): a symlink to the binary.
ln -s /usr/sbin/icmquota "$HOOK"
printf '#!/bin/sh\n# stands in for the icmquota binary\n' >"$ROOT/usr/sbin/icmquota"
chmod 0755 "$ROOT/usr/sbin/icmquota"
# fake_proc PID COMM STARTTIME_TICKS ARGV...: a process under ROOT/proc
fake_proc() {
	local pid=$1 comm=$2 start=$3
	shift 3
	mkdir -p "$ROOT/proc/$pid"
	echo "$comm" >"$ROOT/proc/$pid/comm"
	echo "$pid ($comm) S 1 $pid $pid 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 $start 1000 10 0" \
		>"$ROOT/proc/$pid/stat"
	printf '%s\0' "$@" >"$ROOT/proc/$pid/cmdline"
}
# Booted now; libvirtd 10 s (1000 ticks) later: after the hook.
printf 'cpu  1 2 3 4\nbtime %s\nprocesses 100\n' "$NOW" >"$ROOT/proc/stat"
fake_proc 4242 libvirtd 1000 /usr/sbin/libvirtd -d
fake_proc 4343 icmquota 1200 /usr/sbin/icmquota daemon
echo "{\"pfs\": {\"${PFS[0]}\": {}, \"${PFS[1]}\": {}}}" >"$ROOT/icmquota-sim/devlink.json"

doctor() { # doctor [ARGS...]: sets RC, OUT, ERR
	"$BIN" --config "$CONF" --root "$ROOT" --lock-timeout 2 doctor "$@" \
		>"$SCRATCH/out" 2>"$SCRATCH/err"
	RC=$?
	OUT=$(cat "$SCRATCH/out")
	ERR=$(cat "$SCRATCH/err")
}
status_of() { # status_of NAME [ARGS]: the status of check NAME in doctor -j
	local name=$1
	shift
	doctor -j "$@"
	json "[c['status'] for c in d['checks'] if c['name'] == '$name'][0] if [c for c in d['checks'] if c['name'] == '$name'] else 'absent'"
}
# expect_line STATUS NAME TEXT LABEL: the table line of check NAME
expect_line() {
	local line
	line=$(grep -E "^$1 +$2 " <<<"$OUT")
	if [ -n "$line" ] && grep -qF -- "$3" <<<"$line"; then pass; else
		fail "$4: no line '$1 $2 ...$3...': $OUT"; fi
}

# --- all good -----------------------------------------------------------
doctor
expect_rc 0 "healthy host: exit 0"
expect_out "doctor: 18 ok, 0 warn, 0 fail, 1 unknown" "healthy: summary"
expect_line ok kernel "Linux 6.15.2-amd64" "kernel ok"
expect_line ok connectx "2 PF(s) with SR-IOV, 8 VF(s)" "connectx ok"
expect_line ok rdma_core "mlx5.driver present" "rdma_core ok"
expect_line ok firmware_channel "backend sim: 2 PF(s)" "firmware ok"
expect_line unknown access_register_user "does not decode" "access_register_user unknown"
expect_line ok "vhca_icm_ctrl ${PFS[0]}" "total ICM 64.0GiB" "icm_ctrl ok"
expect_line ok fwctl "every PF has a fwctl device" "fwctl ok"
expect_line ok devlink "family answers (sim)" "devlink ok"
expect_line ok vnic_reporter "icm_consumption of all 8 VF(s) agrees" "vnic ok"
expect_line ok debugfs "fw_pages_total of 2 PF(s)" "debugfs ok"
expect_line ok libvirt_hook "qemu.d/icmquota is a symlink to /usr/sbin/icmquota" "hook ok"
expect_line ok libvirtd_after_hook "libvirtd (pid 4242) started after" "libvirtd ok"
expect_line ok settings "root-owned, mode 0644" "settings ok"
expect_line ok policy_file "root-owned" "policy file ok"
expect_line ok state_file "written on the first apply" "state file ok"
expect_line ok state_dir "mode 0755" "state dir ok"
expect_line ok policy "valid (sha256" "policy ok"
expect_line ok daemon "pid 4343" "daemon ok"
doctor -j
expect_rc 0 "json: exit 0"
expect_eq "$(json 'sorted(set(k for c in d["checks"] for k in c))')" "['detail', 'name', 'status']" "json: {name, status, detail}"
expect_eq "$(json 'len(d["checks"])')" 19 "json: one object per check"
expect_eq "$(json '(d["ok"], d["warn"], d["fail"], d["unknown"])')" "(18, 0, 0, 1)" "json: counts"

# --- one broken shape per check ------------------------------------------
echo "5.15.0-91-generic" >"$ROOT/proc/sys/kernel/osrelease"
doctor
expect_rc 0 "old kernel: a warning only"
expect_line WARN kernel "before 6.15, so no fwctl" "old kernel line"
doctor --strict
expect_rc 1 "old kernel --strict: exit 1"
rm "$ROOT/proc/sys/kernel/osrelease"
expect_eq "$(status_of kernel)" unknown "no osrelease: unknown"
echo "6.15.2-amd64" >"$ROOT/proc/sys/kernel/osrelease"

mkdir -p "$SCRATCH/empty"
"$BIN" --config "$CONF" --root "$SCRATCH/empty" doctor >"$SCRATCH/out" 2>&1
RC=$?; OUT=$(cat "$SCRATCH/out")
expect_rc 1 "no NIC: exit 1"
expect_line FAIL connectx "is sysfs mounted" "no sysfs line"
expect_line unknown firmware_channel "no ConnectX PF" "no NIC: firmware unknown"

mv "$ROOT/etc/libibverbs.d/mlx5.driver" "$SCRATCH/mlx5.driver"
doctor
expect_rc 1 "no rdma-core provider: exit 1"
expect_line FAIL rdma_core "apt-get install ibverbs-providers" "rdma_core line"
mv "$SCRATCH/mlx5.driver" "$ROOT/etc/libibverbs.d/mlx5.driver"

doctor --backend devx
expect_rc 1 "devx unavailable: exit 1"
expect_line FAIL firmware_channel "devx" "firmware channel line"
expect_line unknown "vhca_icm_ctrl ${PFS[0]}" "no firmware channel" "icm_ctrl unknown without a channel"


"$BIN" --config none sim init "$SCRATCH/host2" --pfs 2 --vfs 4 --enabled-vfs 4 \
	--mem 256GiB --total-icm 64GiB --no-icm-ctrl "${PFS[1]}" --no-fwctl >/dev/null
cp -r "$ROOT/etc" "$ROOT/usr" "$SCRATCH/host2/"
cp -r "$ROOT/proc/sys" "$ROOT/proc/stat" "$ROOT/proc/4242" "$ROOT/proc/4343" "$SCRATCH/host2/proc/"
cp "$ROOT/icmquota-sim/devlink.json" "$SCRATCH/host2/icmquota-sim/"
"$BIN" --config "$CONF" --root "$SCRATCH/host2" doctor >"$SCRATCH/out" 2>&1
RC=$?; OUT=$(cat "$SCRATCH/out")
expect_rc 1 "PF without VHCA_ICM_CTRL: exit 1"
expect_line FAIL "vhca_icm_ctrl ${PFS[1]}" "update the NIC firmware" "icm_ctrl fail line"
expect_line ok "vhca_icm_ctrl ${PFS[0]}" "supported" "other PF still ok"
expect_line WARN fwctl "no fwctl device for ${PFS[0]}" "no fwctl: warning"
"$BIN" --config "$CONF" --root "$SCRATCH/host2" --backend fwctl doctor -j >"$SCRATCH/out" 2>&1
RC=$?; OUT=$(cat "$SCRATCH/out")
expect_eq "$(json "[c['status'] for c in d['checks'] if c['name'] == 'fwctl'][0]")" fail "no fwctl with --backend fwctl: fail"
expect_out "(--backend fwctl needs one)" "fwctl fail detail"

rm "$ROOT/icmquota-sim/devlink.json"
doctor
expect_rc 0 "no devlink: warnings only"
expect_line WARN devlink "no devlink generic netlink family" "devlink line"
expect_line unknown vnic_reporter "no icm_consumption cross-check" "vnic unknown"
echo "{\"pfs\": {\"${PFS[0]}\": {\"vnic_reporter\": false}, \"${PFS[1]}\": {\"vnic_reporter\": false}}}" >"$ROOT/icmquota-sim/devlink.json"
doctor
expect_line WARN vnic_reporter "no \"vnic\" health reporter" "no reporter: warning"
echo "{\"pfs\": {\"${PFS[0]}\": {\"eswitch\": \"legacy\"}, \"${PFS[1]}\": {\"eswitch\": \"legacy\"}}}" >"$ROOT/icmquota-sim/devlink.json"
doctor
expect_line WARN devlink "legacy mode" "legacy: devlink warning"
echo "{\"pfs\": {\"${PFS[0]}\": {\"skew_pages\": {\"2\": 7}}, \"${PFS[1]}\": {}}}" >"$ROOT/icmquota-sim/devlink.json"
doctor
expect_rc 1 "icm_consumption disagrees: exit 1"
expect_line FAIL vnic_reporter "1 VF(s) where icm_consumption and the firmware's cur_alloc_icm disagree" "disagreement line"
echo "{\"pfs\": {\"${PFS[0]}\": {}, \"${PFS[1]}\": {}}}" >"$ROOT/icmquota-sim/devlink.json"

DBG=$ROOT/sys/kernel/debug/mlx5/${PFS[1]}/pages/fw_pages_total
mv "$DBG" "$SCRATCH/fwp"
doctor
expect_rc 1 "unreadable counter: exit 1"
expect_line FAIL debugfs "fw_pages_total" "debugfs fail line"
mv "$SCRATCH/fwp" "$DBG"
mv "$ROOT/sys/kernel/debug/mlx5" "$SCRATCH/mlx5dbg"
doctor
expect_line WARN debugfs "PF firmware pages are unknown in the split" "no debugfs: warning"
mv "$SCRATCH/mlx5dbg" "$ROOT/sys/kernel/debug/mlx5"

# The binary gone, the symlink left: libvirt skips a dangling entry.
mv "$ROOT/usr/sbin/icmquota" "$SCRATCH/icmquota.moved"
doctor
expect_rc 1 "hook target missing: exit 1"
expect_line FAIL libvirt_hook "points to /usr/sbin/icmquota, which is missing or not an executable file: libvirt skips it and VMs start uncapped" "dangling hook line"
mv "$SCRATCH/icmquota.moved" "$ROOT/usr/sbin/icmquota"
# A relative symlink resolves from the hook's directory, as libvirt's
# exec does.
ln -sfn ../../../../usr/sbin/icmquota "$HOOK"
doctor
expect_line ok libvirt_hook "is a symlink to ../../../../usr/sbin/icmquota" "relative symlink ok"
# A symlink to some other program: libvirt runs it, nothing is capped.
mkdir -p "$ROOT/usr/bin"
cp /bin/true "$ROOT/usr/bin/true"
ln -sfn /usr/bin/true "$HOOK"
doctor
expect_rc 1 "hook is another program: exit 1"
expect_line FAIL libvirt_hook "points to /usr/bin/true, which is not icmquota: VMs start uncapped" "other program line"
ln -sfn /usr/sbin/icmquota "$HOOK"
# The symlink and a dispatcher (/etc/libvirt/hooks/qemu) both calling it.
printf '#!/bin/sh\nexec /usr/sbin/icmquota hook libvirt qemu "$@"\n' >"$ROOT/etc/libvirt/hooks/qemu"
chmod 0755 "$ROOT/etc/libvirt/hooks/qemu"
doctor
expect_line WARN libvirt_hook "each event runs it twice" "symlink and dispatcher: warning"
rm "$ROOT/etc/libvirt/hooks/qemu"
# An operator's own script as the hook (a regular file).
rm "$HOOK"
printf '#!/bin/sh\nicmquota=/usr/sbin/icmquota\nexec "$icmquota" hook libvirt qemu "$@"\n' >"$HOOK"
chmod 0644 "$HOOK"
doctor
expect_rc 1 "hook not executable: exit 1"
expect_line FAIL libvirt_hook "is not an executable file (mode 0644): libvirt skips it" "hook mode line"
mv "$HOOK" "$SCRATCH/hook"
doctor
expect_line FAIL libvirt_hook "not installed: VMs start uncapped" "hook missing line"
expect_line unknown libvirtd_after_hook "no hook installed" "libvirtd unknown without hook"
# A dispatcher (/etc/libvirt/hooks/qemu) calling icmquota serves too.
printf '#!/bin/sh\nexec /usr/sbin/icmquota hook libvirt qemu "$@"\n' >"$ROOT/etc/libvirt/hooks/qemu"
chmod 0755 "$ROOT/etc/libvirt/hooks/qemu"
doctor
expect_line ok libvirt_hook "a dispatcher that calls icmquota" "dispatcher ok"
mv "$SCRATCH/hook" "$HOOK"
chmod 0755 "$HOOK"
doctor
expect_line WARN libvirt_hook "each event runs it twice" "hook twice warning"
rm "$ROOT/etc/libvirt/hooks/qemu"
mv "$ROOT/usr/sbin/icmquota" "$SCRATCH/icmquota.moved"
doctor
expect_rc 1 "hook binary missing: exit 1"
expect_line FAIL libvirt_hook "which is missing or not executable" "hook target line"
mv "$SCRATCH/icmquota.moved" "$ROOT/usr/sbin/icmquota"
rm "$HOOK"
ln -s /usr/sbin/icmquota "$HOOK"

# libvirtd started an hour ago, the hook (ctime) is from just now.
printf 'cpu  1 2 3 4\nbtime %s\n' "$((NOW - 3600))" >"$ROOT/proc/stat"
doctor
expect_rc 1 "libvirtd older than the hook: exit 1"
expect_line FAIL libvirtd_after_hook "before the hook was installed or changed: it never runs it; restart libvirtd" "libvirtd line"
printf 'cpu  1 2 3 4\nbtime %s\n' "$NOW" >"$ROOT/proc/stat"
mv "$ROOT/proc/4242" "$SCRATCH/p4242"
doctor
expect_line WARN libvirtd_after_hook "no libvirtd or virtqemud running" "no libvirtd: warning"
mv "$SCRATCH/p4242" "$ROOT/proc/4242"

chmod 0666 "$CONF"
doctor
expect_rc 1 "settings writable: exit 1"
expect_line FAIL settings "mode 0666: group/other may rewrite it" "settings mode line"
chmod 0644 "$CONF"
chown 1000 "$CONF"
doctor
expect_line FAIL settings "owned by uid 1000, not root" "settings owner line"
chown 0 "$CONF"
chmod 0664 "$POLICY"
doctor
expect_line FAIL policy_file "mode 0664" "policy mode line"
chmod 0644 "$POLICY"
chmod 0777 "$STATE_DIR"
doctor
expect_line FAIL state_dir "mode 0777" "state dir mode line"
chmod 0755 "$STATE_DIR"

cp "$POLICY" "$SCRATCH/policy.good"
printf 'version: 1\nhost: { reserve: lots }\n' >"$POLICY"
doctor
expect_rc 1 "invalid policy: exit 1"
expect_line FAIL policy "policy.yaml:2:" "policy line:col"
cp "$SCRATCH/policy.good" "$POLICY"

mv "$ROOT/proc/4343" "$SCRATCH/p4343"
doctor
expect_rc 0 "no daemon: a warning"
expect_line WARN daemon "no icmquota daemon" "daemon warning"
mkdir -p "$(dirname "$ROOT/etc/systemd/system/multi-user.target.wants/icmquota.service")"
ln -s /lib/systemd/system/icmquota.service "$ROOT/etc/systemd/system/multi-user.target.wants/icmquota.service"
doctor
expect_rc 1 "enabled but not running: exit 1"
expect_line FAIL daemon "is enabled" "daemon fail line"
mv "$SCRATCH/p4343" "$ROOT/proc/4343"

doctor
expect_rc 0 "repaired: exit 0 again"
doctor --bogus
expect_rc 2 "usage: exit 2"
"$BIN" --config "$SCRATCH/missing.conf" --root "$ROOT" doctor >/dev/null 2>&1
RC=$?
expect_rc 3 "settings named but missing: doctor cannot run, exit 3"
finish
