#!/usr/bin/env bash
# Install the Debian 12 packages icmquota needs, or say which are missing.
#   tests/deps.sh run    build + demo
#   tests/deps.sh test   build + tests (adds libvirtd, QEMU, analysis tools)
#   tests/deps.sh pkg    Debian package + packaging tests (debhelper,
#                        lintian, promtool, ansible-core, the daemon's libs)
set -euo pipefail

build_pkgs=(gcc make pkg-config libyaml-dev libexpat1-dev libjson-c-dev
	libvirt-dev
	libibverbs-dev rdma-core libmd-dev libnl-3-dev libnl-genl-3-dev
	libsystemd-dev libudev-dev)
test_pkgs=(libvirt-daemon-system libvirt-clients qemu-system-x86
	python3 prometheus
	strace util-linux valgrind clang libclang-rt-14-dev cppcheck)
# `make deb` (Build-Depends of packaging/debian/control) and
# tests/packaging/run.sh: lintian, systemd-analyze, promtool, ansible.
pkg_pkgs=(build-essential dpkg-dev debhelper fakeroot libnl-3-dev libnl-genl-3-dev
	libsystemd-dev libudev-dev lintian systemd prometheus ansible-core)

case "${1:-run}" in
run) want=("${build_pkgs[@]}") ;;
test) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
pkg) want=("${build_pkgs[@]}" "${pkg_pkgs[@]}") ;;
*) echo "usage: $0 run|test|pkg" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "icmquota: missing Debian packages: ${missing[*]}" >&2
	echo "icmquota: install them with: sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "icmquota: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine's package lists may be empty: update once, quietly.
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
