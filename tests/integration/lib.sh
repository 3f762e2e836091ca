# Shared by the integration tests: a scratch dir, a simulated host, and
# assertions that count. Each test script ends with `finish`, which prints
# "NAME: N passed, N failed".
set -u
BIN=${ICMQUOTA_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/asan/icmquota}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FIX=$REPO/tests/fixtures
T_NAME=$(basename "${0%.sh}")
T_PASSED=0
T_FAILED=0
SCRATCH=$(mktemp -d "/tmp/icmquota-${T_NAME}.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

pass() { T_PASSED=$((T_PASSED + 1)); }
fail() { T_FAILED=$((T_FAILED + 1)); echo "FAIL [$T_NAME] $*" >&2; }

# run CMD...: runs icmquota with the scratch host's options; sets RC, OUT, ERR.
run() {
	"$BIN" --config none --root "$ROOT" --policy "$POLICY" \
		--state "$SCRATCH/state.json" --lock-timeout 2 "$@" \
		>"$SCRATCH/out" 2>"$SCRATCH/err"
	RC=$?
	OUT=$(cat "$SCRATCH/out")
	ERR=$(cat "$SCRATCH/err")
}

expect_rc() { # expect_rc WANT LABEL
	if [ "$RC" -eq "$1" ]; then pass; else
		fail "$2: exit $RC, expected $1; stderr: $ERR"; fi
}
expect_err() { # expect_err SUBSTRING LABEL
	if grep -qF -- "$1" <<<"$ERR"; then pass; else
		fail "$2: stderr lacks '$1': $ERR"; fi
}
expect_out() { # expect_out SUBSTRING LABEL
	if grep -qF -- "$1" <<<"$OUT"; then pass; else
		fail "$2: stdout lacks '$1': $OUT"; fi
}
expect_eq() { # expect_eq GOT WANT LABEL
	if [ "$1" = "$2" ]; then pass; else
		fail "$3: got '$1', expected '$2'"; fi
}
# One line of stderr: messages are one line a person can act on.
expect_one_line_err() {
	local n
	n=$(grep -c . <<<"$ERR")
	if [ "$n" -eq 1 ]; then pass; else fail "$1: $n stderr lines: $ERR"; fi
}

# jq-free JSON field access through python3 (a test dependency).
json() { # json EXPR  (reads $OUT; EXPR in python over `d`)
	python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print($1)" <<<"$OUT"
}

# A small simulated host: 2 PFs x 4 VFs (all enabled), 2 GPUs.
make_sim() {
	ROOT=$SCRATCH/host
	"$BIN" --config none sim init "$ROOT" --pfs 2 --vfs 4 --enabled-vfs 4 \
		--mem 256GiB --hugepages 1GiB:128 --host-used 8GiB \
		--total-icm 64GiB --gpus 2 "$@" >/dev/null ||
		{ echo "sim init failed" >&2; exit 1; }
}

write_policy() { # write_policy <<EOF ... (stdin)
	POLICY=$SCRATCH/policy.yaml
	cat >"$POLICY"
}

# A domain XML for VM NAME with the given PCI source addresses.
# HUGEPAGES: yes (a bare <hugepages/>), no, or a <hugepages>...</hugepages>
# element as libvirt takes it.
domain_xml() { # domain_xml NAME MEM_GIB HUGEPAGES CLASS PCI...
	local name=$1 mem=$2 huge=$3 class=$4
	shift 4
	echo "<domain type='kvm'><name>$name</name>"
	echo "<uuid>$(python3 -c "import uuid;print(uuid.uuid5(uuid.NAMESPACE_DNS,'$name'))")</uuid>"
	echo "<memory unit='GiB'>$mem</memory>"
	case $huge in
	yes) echo "<memoryBacking><hugepages/></memoryBacking>" ;;
	"<"*) echo "<memoryBacking>$huge</memoryBacking>" ;;
	esac
	if [ -n "$class" ]; then
		echo "<metadata><icmquota:vm xmlns:icmquota='https://icmquota.dev/xmlns/1'><class>$class</class></icmquota:vm></metadata>"
	fi
	echo "<os><type arch='x86_64'>hvm</type></os><devices>"
	for pci in "$@"; do
		IFS=':.' read -r d b s f <<<"$pci"
		echo "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x$d' bus='0x$b' slot='0x$s' function='0x$f'/></source></hostdev>"
	done
	echo "</devices></domain>"
}

# PCI addresses of the sim host's PFs and VFs, from sysfs (not hard-coded).
sim_pfs() {
	for d in "$ROOT"/sys/bus/pci/devices/*; do
		[ -e "$d/sriov_totalvfs" ] && basename "$d"
	done
}
sim_vf() { # sim_vf PF INDEX
	basename "$(readlink -f "$ROOT/sys/bus/pci/devices/$1/virtfn$2")"
}
sim_gpus() {
	for d in "$ROOT"/sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x10de ] && basename "$d"
	done
}

finish() {
	echo "$T_NAME: $T_PASSED passed, $T_FAILED failed"
	[ "$T_FAILED" -eq 0 ]
}
