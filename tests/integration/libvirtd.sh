# shellcheck shell=bash
# Start and stop a real libvirtd (and virtlogd) for a test or a benchmark,
# without systemd, and give the machine back as it was found.
#
# Sourced after lib.sh. Facts this relies on (libvirt 9.0 on Debian 12):
# libvirtd reads /etc/libvirt/hooks/ only when it starts, so the hook must
# be in place first; `libvirtd -d` writes /run/libvirtd.pid and removes it
# when it exits; a daemon that was stopped leaves its QEMU processes
# running and reconnects to them when it starts again.
#
#   lv_can_run               0 if this machine can run the daemons, else
#                            prints why not
#   lv_take_over             stop a libvirtd found running, set aside an
#                            icmquota hook found installed (lv_give_back
#                            undoes both)
#   lv_install_hook FILE     FILE becomes /etc/libvirt/hooks/qemu.d/icmquota
#   lv_link_hook TARGET      ... a symlink to TARGET (the packaged shape)
#   lv_start [PCI_VIEW]      virtlogd (if not running) and libvirtd; with
#                            PCI_VIEW (see lv_pci_view) libvirtd runs in its
#                            own mount namespace and sees that directory as
#                            /sys/bus/pci/devices
#   lv_stop                  stop libvirtd (its domains keep running)
#   lv_purge PREFIX          destroy and undefine domains named PREFIX*
#   lv_give_back             undo everything; safe to call more than once
#   lv_domain_xml ...        a small diskless domain for this machine

LV_URI=qemu:///system
LV_HOOK=/etc/libvirt/hooks/qemu.d/icmquota
LV_LIBVIRTD=/usr/sbin/libvirtd
LV_VIRTLOGD=/usr/sbin/virtlogd
LV_LIBVIRTD_PID=/run/libvirtd.pid
LV_VIRTLOGD_PID=/run/virtlogd.pid
LV_QEMU=/usr/bin/qemu-system-x86_64
LV_PREV_DAEMON=0      # a libvirtd ran before we took over: restart it
LV_PREV_HOOK=""       # where an icmquota hook found installed was set aside
LV_HOOK_OURS=0        # we installed $LV_HOOK
LV_OUR_VIRTLOGD=0     # we started virtlogd: stop it at the end
LV_MADE_HOOK_DIR=0    # we created the qemu.d directory
LV_TAKEN=0
# One test or benchmark at a time owns the machine's libvirtd.
LV_LOCK=/run/lock/icmquota-libvirtd-test.lock
LV_LOCK_FD=""

# A hook that hangs would hang libvirtd and virsh with it: bounded.
lv_virsh() { timeout 60 virsh -q -c "$LV_URI" "$@"; }

# A live process, not a zombie waiting for its parent.
lv_pid_alive() {
	local state
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	state=$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null)
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

lv_pid_of() { # lv_pid_of PIDFILE: the pid if that process lives
	local pid
	pid=$(tr -dc 0-9 2>/dev/null <"$1")
	lv_pid_alive "$pid" && echo "$pid"
}

lv_can_run() {
	local f
	if [ "$(id -u)" -ne 0 ]; then
		echo "not root: libvirtd and its hooks need root"
		return 1
	fi
	for f in "$LV_LIBVIRTD" "$LV_VIRTLOGD" "$LV_QEMU"; do
		if [ ! -x "$f" ]; then
			echo "$f missing (apt-get install libvirt-daemon-system qemu-system-x86)"
			return 1
		fi
	done
	if ! command -v virsh >/dev/null; then
		echo "virsh missing (apt-get install libvirt-clients)"
		return 1
	fi
	if ! command -v unshare >/dev/null; then
		echo "unshare missing (util-linux)"
		return 1
	fi
	return 0
}

# kvm when /dev/kvm opens, else plain emulation (slower, same libvirt path).
lv_domain_type() {
	if python3 -c 'import os; os.close(os.open("/dev/kvm", os.O_RDWR))' \
		2>/dev/null; then
		echo kvm
	else
		echo qemu
	fi
}

# lv_domain_xml NAME MEM_MIB CLASS PCI...: diskless, no NIC, one vCPU; one
# managed PCI <hostdev> per address (DDDD:BB:SS.F); CLASS "" for none.
lv_domain_xml() {
	local name=$1 mem=$2 class=$3 pci d b s f
	shift 3
	echo "<domain type='${LV_DOMTYPE:-$(lv_domain_type)}'>"
	echo "  <name>$name</name>"
	echo "  <memory unit='MiB'>$mem</memory>"
	echo "  <vcpu>1</vcpu>"
	if [ -n "$class" ]; then
		echo "  <metadata><icmquota:vm xmlns:icmquota='https://icmquota.dev/xmlns/1'><class>$class</class></icmquota:vm></metadata>"
	fi
	echo "  <os><type arch='x86_64' machine='pc'>hvm</type></os>"
	echo "  <devices>"
	echo "    <emulator>$LV_QEMU</emulator>"
	for pci in "$@"; do
		IFS=':.' read -r d b s f <<<"$pci"
		echo "    <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x$d' bus='0x$b' slot='0x$s' function='0x$f'/></source></hostdev>"
	done
	echo "    <memballoon model='none'/>"
	echo "  </devices>"
	echo "</domain>"
}

lv_wait_gone() { # lv_wait_gone PID SECONDS
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		lv_pid_alive "$1" || return 0
		sleep 0.1
	done
	return 1
}

lv_stop() {
	local pid
	pid=$(lv_pid_of "$LV_LIBVIRTD_PID") || return 0
	kill "$pid" 2>/dev/null
	if ! lv_wait_gone "$pid" 15; then
		echo "libvirtd $pid did not stop on SIGTERM; killing it" >&2
		kill -9 "$pid" 2>/dev/null
		lv_wait_gone "$pid" 5
	fi
	rm -f "$LV_LIBVIRTD_PID"  # a killed daemon leaves it behind
}

lv_take_over() {
	mkdir -p "$(dirname "$LV_LOCK")"
	exec {LV_LOCK_FD}>"$LV_LOCK"
	if ! flock -w 600 "$LV_LOCK_FD"; then
		echo "$LV_LOCK: another test has held libvirtd for 10 minutes" >&2
		return 1
	fi
	LV_TAKEN=1
	if lv_pid_of "$LV_LIBVIRTD_PID" >/dev/null; then
		LV_PREV_DAEMON=1
		lv_stop
	fi
	if [ -e "$LV_HOOK" ] || [ -L "$LV_HOOK" ]; then
		LV_PREV_HOOK=$(mktemp /etc/libvirt/hooks/.icmquota.saved.XXXXXX)
		cp -a "$LV_HOOK" "$LV_PREV_HOOK"
		rm -f "$LV_HOOK"
	fi
}

lv_install_hook() {
	if [ ! -d "$(dirname "$LV_HOOK")" ]; then
		mkdir -p "$(dirname "$LV_HOOK")"
		LV_MADE_HOOK_DIR=1
	fi
	install -m 0755 "$1" "$LV_HOOK"
	LV_HOOK_OURS=1
}

# lv_link_hook TARGET: $LV_HOOK becomes a symlink to TARGET (the packaged
# shape: the binary itself, run by that path).
lv_link_hook() {
	if [ ! -d "$(dirname "$LV_HOOK")" ]; then
		mkdir -p "$(dirname "$LV_HOOK")"
		LV_MADE_HOOK_DIR=1
	fi
	ln -sfn "$1" "$LV_HOOK"
	LV_HOOK_OURS=1
}

lv_remove_hook() {
	[ "$LV_HOOK_OURS" -eq 1 ] && rm -f "$LV_HOOK"
	LV_HOOK_OURS=0
}

# lv_pci_view DIR ADDR...: DIR holds every real /sys/bus/pci/devices entry
# (as symlinks) plus, for each ADDR, a stand-in function: config, vendor,
# device, and a driver link named vfio-pci. libvirt checks that a hostdev's
# config file exists and reads its ids when it reconnects to a domain, and
# skips the reset of a function bound to vfio-pci when the domain stops, so
# the stand-ins are never written to. Nothing outside DIR changes.
lv_pci_view() {
	local dir=$1 dev addr
	shift
	mkdir -p "$dir/view" "$dir/functions" "$dir/drivers/vfio-pci"
	for dev in /sys/bus/pci/devices/*; do
		[ -e "$dev" ] || continue
		ln -sfn "$(readlink -f "$dev")" "$dir/view/$(basename "$dev")"
	done
	for addr in "$@"; do
		mkdir -p "$dir/functions/$addr"
		head -c 256 /dev/zero >"$dir/functions/$addr/config"
		echo 0x15b3 >"$dir/functions/$addr/vendor"
		echo 0x101e >"$dir/functions/$addr/device"
		ln -sfn "$dir/drivers/vfio-pci" "$dir/functions/$addr/driver"
		ln -sfn "$dir/functions/$addr" "$dir/view/$addr"
	done
}

lv_wait_ready() {
	local i
	for ((i = 0; i < 150; i++)); do
		lv_virsh version >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "libvirtd did not answer on $LV_URI within 15 s" >&2
	return 1
}

lv_start() { # lv_start [PCI_VIEW_DIR]
	if [ "$LV_TAKEN" -ne 1 ]; then
		echo "lv_start before lv_take_over" >&2
		return 1
	fi
	if ! lv_pid_of "$LV_VIRTLOGD_PID" >/dev/null; then
		"$LV_VIRTLOGD" -d {LV_LOCK_FD}>&- || return 1
		LV_OUR_VIRTLOGD=1
	fi
	if lv_pid_of "$LV_LIBVIRTD_PID" >/dev/null; then
		echo "libvirtd already running: lv_stop first" >&2
		return 1
	fi
	if [ -n "${1:-}" ]; then
		# The bind mount lives and dies with the daemon's namespace.
		unshare --mount --propagation private sh -c \
			'mount --bind "$1/view" /sys/bus/pci/devices &&
			 exec "$2" -d' sh "$1" "$LV_LIBVIRTD" {LV_LOCK_FD}>&- ||
			return 1
	else
		"$LV_LIBVIRTD" -d {LV_LOCK_FD}>&- || return 1
	fi
	lv_wait_ready
}

lv_purge() { # lv_purge PREFIX
	local name
	lv_pid_of "$LV_LIBVIRTD_PID" >/dev/null || return 0
	while read -r name; do
		case $name in
		"$1"*)
			lv_virsh destroy "$name" >/dev/null 2>&1
			lv_virsh undefine "$name" >/dev/null 2>&1
			;;
		esac
	done < <(lv_virsh list --all --name 2>/dev/null)
}

# Stop what we started, put back what we set aside. Domains must be purged
# first (the caller knows their names).
lv_give_back() {
	[ "$LV_TAKEN" -eq 1 ] || return 0
	lv_stop
	lv_remove_hook
	if [ -n "$LV_PREV_HOOK" ]; then
		mv -f "$LV_PREV_HOOK" "$LV_HOOK"
		LV_PREV_HOOK=""
	fi
	if [ "$LV_MADE_HOOK_DIR" -eq 1 ]; then
		rmdir "$(dirname "$LV_HOOK")" 2>/dev/null
		LV_MADE_HOOK_DIR=0
	fi
	if [ "$LV_OUR_VIRTLOGD" -eq 1 ] && [ "$LV_PREV_DAEMON" -eq 0 ]; then
		local pid
		pid=$(lv_pid_of "$LV_VIRTLOGD_PID") && kill "$pid" &&
			lv_wait_gone "$pid" 10
		LV_OUR_VIRTLOGD=0
	fi
	if [ "$LV_PREV_DAEMON" -eq 1 ]; then
		# It was running before the test: it runs again, with the hooks
		# that were installed then.
		"$LV_LIBVIRTD" -d {LV_LOCK_FD}>&- && lv_wait_ready
		LV_PREV_DAEMON=0
	fi
	LV_TAKEN=0
	exec {LV_LOCK_FD}>&-
}
