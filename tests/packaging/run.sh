#!/usr/bin/env bash
# Packaging tests (as root, Debian 12): build the .deb, install it, check
# what it installs, verify the systemd unit, check and unit-test the
# Prometheus rules, lintian the .deb, and run the Ansible role twice on a
# simulated host (the second run must change nothing).
# Last line: "packaging: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
start=$SECONDS
pass=0 fail=0
tmp=$(mktemp -d /tmp/icmquota-pkg.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# Installing the package replaces /etc/libvirt/hooks/qemu.d/icmquota, which
# the libvirtd integration tests also install and set aside: take their
# lock so that parallel test runs on one machine do not see each other's.
mkdir -p /run/lock
exec {lv_lock_fd}>/run/lock/icmquota-libvirtd-test.lock
flock -w 600 "$lv_lock_fd" || { echo "packaging: libvirtd test lock busy for 10 minutes"; exit 1; }

ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
# check NAME CMD...: CMD must exit 0; its output is shown on failure.
check() {
	local name=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then ok "$name"; else ko "$name"; sed 's/^/     /' "$tmp/out"; fi
}
# quiet NAME CMD...: CMD must exit 0 and print nothing.
quiet() {
	local name=$1
	shift
	if "$@" >"$tmp/out" 2>&1 && [ ! -s "$tmp/out" ]; then ok "$name"; else ko "$name"; sed 's/^/     /' "$tmp/out"; fi
}
finish() {
	echo "packaging: time $((SECONDS - start)) s"
	echo "packaging: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

if [ "$(id -u)" -ne 0 ]; then
	echo "tests/packaging/run.sh: run as root (installs the package)" >&2
	ko "running as root"
	finish
fi
tests/deps.sh pkg || { ko "deps (tests/deps.sh pkg)"; finish; }

# 1. Build.
rm -f build/icmquota_*.deb build/icmquota-dbgsym_*.deb
t0=$SECONDS
if make --no-print-directory deb >"$tmp/deb.log" 2>&1; then
	ok "make deb ($((SECONDS - t0)) s)"
else
	ko "make deb"
	tail -30 "$tmp/deb.log" | sed 's/^/     /'
	finish
fi
version=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
arch=$(dpkg --print-architecture)
deb=$top/build/icmquota_${version}_${arch}.deb
check "the .deb is in build/" test -f "$deb"
# dlopen'ed libraries are invisible to dpkg-shlibdeps: Depends names them
# (packaging/debian/control; the sonames in devx/nl_dl.c, devx/rdma_dl.c,
# policy/yaml_dl.c, lib/digest.c).
check "Depends names the libraries loaded on first use" bash -c \
	"dpkg-deb -f '$deb' Depends | tr -d ' ' | tr ',' '\n' >'$tmp/depends' &&
	 for p in libyaml-0-2 libmd0 libnl-3-200 libnl-genl-3-200 libibverbs1 ibverbs-providers; do
		grep -qx \"\$p\" '$tmp/depends' || { echo \"missing \$p\"; exit 1; }
	 done"

# 2. Install (dpkg -i reinstalls the same version; conffiles kept).
check "dpkg -i" dpkg -i --force-confdef --force-confold "$deb"
check "icmquota --version is the package's" \
	bash -c "[ \"\$(icmquota --version)\" = 'icmquota $version' ]"
check "policy validate on the installed policy" \
	icmquota policy validate /etc/icmquota/policy.yaml
check "conffiles: icmquota.conf, policy.yaml" bash -c \
	"dpkg-query -W -f='\${Conffiles}\n' icmquota | grep -q ' /etc/icmquota/icmquota.conf ' &&
	 dpkg-query -W -f='\${Conffiles}\n' icmquota | grep -q ' /etc/icmquota/policy.yaml '"
check "libvirt hook installed: a symlink to /usr/sbin/icmquota" bash -c \
	"test -x /etc/libvirt/hooks/qemu.d/icmquota &&
	 test \"\$(readlink /etc/libvirt/hooks/qemu.d/icmquota)\" = /usr/sbin/icmquota"
check "man pages icmquota(8), icmquota-policy(5)" bash -c \
	"man -w 8 icmquota && man -w 5 icmquota-policy"
quiet "icmquota-policy(5) renders without warnings" bash -c \
	"MANWIDTH=80 man --warnings -l /usr/share/man/man5/icmquota-policy.5.gz 2>&1 >/dev/null"
check "bash completion loads" bash -c \
	"test -f /usr/share/bash-completion/completions/icmquota &&
	 bash -n /usr/share/bash-completion/completions/icmquota"

# 3. systemd unit (verified only: `icmquota daemon` does not exist yet).
unit=/lib/systemd/system/icmquota.service
check "unit installed" test -f "$unit"
quiet "systemd-analyze verify icmquota.service" systemd-analyze verify "$unit"

# 4. Prometheus rules.
check "promtool check rules" promtool check rules packaging/prometheus/icmquota-alerts.yml
check "promtool test rules" promtool test rules packaging/prometheus/icmquota-alerts.test.yml

# 5. lintian: no error or warning that is not overridden (overrides are in
# the package); the full output is printed.
lintian --pedantic --display-info "$deb" >"$tmp/lintian" 2>&1
grep -v 'running with root privileges' "$tmp/lintian" | sed 's/^/     lintian: /'
check "lintian: no E: or W:" bash -c "! grep -Eq '^[EW]: ' '$tmp/lintian'"

# 6. Ansible role on a simulated host, twice.
sim=$tmp/sim
icmquota sim init "$sim" >/dev/null
cat >"$tmp/vars.yml" <<VARS
ansible_python_interpreter: /usr/bin/python3
icmquota_deb: $deb
icmquota_deb_dest_dir: $tmp/cache
icmquota_policy_path: $tmp/etc/policy.yaml
icmquota_global_opts: ["--root", "$sim", "--state", "$sim/state.json"]
icmquota_host_reserve: 64GiB
icmquota_admission: scale
icmquota_defaults: {vf_cap: 8GiB, idle_vf_cap: 512MiB, min_vf_cap: 1GiB}
icmquota_classes: {gpu-8x: {vf_cap: 16GiB}, small: {vf_cap: 2GiB}}
icmquota_vms:
  - match: {name: "train-*"}
    class: gpu-8x
  - match: {uuid: "4dea22b3-1d52-d8f3-2516-782e98ab3fa0"}
    vf_cap: 4GiB
icmquota_devices: {"0000:2a:00.0": {vf_cap: 4GiB}}
VARS
playbook() {
	ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
		ansible-playbook -c local -i localhost, packaging/ansible/site.yml \
		-e "@$tmp/vars.yml" "$@"
}
recap() { grep -E '^localhost +:' "$1"; }
mkdir -p "$tmp/cache"
if playbook >"$tmp/run1" 2>&1 && recap "$tmp/run1" | grep -q 'failed=0' &&
	! recap "$tmp/run1" | grep -q 'changed=0 '; then
	ok "ansible first run: $(recap "$tmp/run1" | tr -s ' ')"
else
	ko "ansible first run"
	sed 's/^/     /' "$tmp/run1"
fi
check "ansible: policy written and valid" \
	icmquota --root "$sim" policy validate "$tmp/etc/policy.yaml"
check "ansible: apply handler programmed the idle cap (512MiB)" bash -c \
	"icmquota --root '$sim' --state '$sim/state.json' --policy '$tmp/etc/policy.yaml' plan |
	 grep -q '512.0MiB   512.0MiB   ok'"
check "ansible: reload handler says why it did not reload" \
	grep -q 'icmquota.service not reloaded' "$tmp/run1"
if playbook >"$tmp/run2" 2>&1 && recap "$tmp/run2" | grep -q 'changed=0 .*failed=0'; then
	ok "ansible second run changes nothing: $(recap "$tmp/run2" | tr -s ' ')"
else
	ko "ansible second run changes nothing"
	sed 's/^/     /' "$tmp/run2"
fi
# The gate: a policy icmquota refuses is not written.
sum=$(sha256sum <"$tmp/etc/policy.yaml")
if ! playbook -e '{"icmquota_classes": {"gpu-8x": {"vf_cap": "256GiB"}}}' >"$tmp/run3" 2>&1 &&
	grep -q 'above the total ICM' "$tmp/run3" &&
	[ "$(sha256sum <"$tmp/etc/policy.yaml")" = "$sum" ]; then
	ok "ansible: a cap above the device's ICM is refused by validate, policy kept"
else
	ko "ansible: a cap above the device's ICM is refused by validate, policy kept"
	sed 's/^/     /' "$tmp/run3"
fi

# 7. Purge: the package's state under /var/lib/icmquota goes with it.
mkdir -p /var/lib/icmquota
touch /var/lib/icmquota/state.json /var/lib/icmquota/state.json.memo
check "dpkg --purge" dpkg --purge icmquota
check "purge removed /var/lib/icmquota" bash -c "! test -e /var/lib/icmquota"
check "purge removed the libvirt hook" bash -c \
	"! test -e /etc/libvirt/hooks/qemu.d/icmquota"

finish
