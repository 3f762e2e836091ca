#!/usr/bin/env bash
# Libraries loaded on first use (issue 11: a libvirt hook call with nothing
# to do costs a process start and little more). The binary links only
# libc, expat and json-c; libyaml and libmd come with the first policy
# read, libnl with devlink, and a hook call that reads no policy loads none
# of them. Seen through the dynamic loader's own trace (LD_DEBUG=files:
# "needed by" for what is linked, "dynamically loaded by" for dlopen).
. "$(dirname "$0")/lib.sh"

LAZY="libyaml-0 libnl-3 libnl-genl-3 libmd libvirt libsystemd libudev libibverbs libmlx5"

# What the binary itself names (DT_NEEDED): never one of the lazy ones.
needed=$(readelf -d "$BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
for lib in $LAZY libm; do
	case " $needed" in
	*" $lib.so"*) fail "$BIN links $lib ($needed): load it on first use" ;;
	*) pass ;;
	esac
done

make_sim
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB, admission: strict }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB, min_vf_cap: 1GiB }
EOF2
mapfile -t PFS < <(sim_pfs)
VF00=$(sim_vf "${PFS[0]}" 0)
domain_xml vfvm 8 no "" "$VF00" >"$SCRATCH/vfvm.xml"
domain_xml plain 8 no "" >"$SCRATCH/plain.xml"

# traced LABEL CMD...: run icmquota as run() does under LD_DEBUG=files;
# LOADED: the libraries (sonames) the loader mapped, one per line.
traced() {
	local label=$1
	shift
	rm -rf "$SCRATCH/ld"
	mkdir "$SCRATCH/ld"
	LD_DEBUG=files LD_DEBUG_OUTPUT=$SCRATCH/ld/trace run "$@"
	LOADED=$(sed -n 's/.*file=\([^ ]*\) \[0\];  \(needed\|dynamically loaded\) by .*/\1/p' \
		"$SCRATCH"/ld/trace.* | sort -u)
	if [ -z "$LOADED" ]; then
		fail "$label: no LD_DEBUG trace (stderr: $ERR)"
	fi
}
expect_loaded() { # expect_loaded LIB LABEL
	if grep -q "^$1\.so" <<<"$LOADED"; then pass; else
		fail "$2: $1 not loaded: $(tr '\n' ' ' <<<"$LOADED")"; fi
}
expect_not_loaded() { # expect_not_loaded LABEL LIB...
	local label=$1 lib
	shift
	for lib in "$@"; do
		if grep -q "^$lib\.so" <<<"$LOADED"; then
			fail "$label: $lib loaded"; else pass; fi
	done
}
hook() { # hook NAME OP SUBOP XML
	traced "hook $1 $2 $3" hook libvirt qemu "$1" "$2" "$3" - <"$4"
}

# prepare reads the policy: libyaml and libmd, no netlink.
hook vfvm prepare begin "$SCRATCH/vfvm.xml"
expect_rc 0 "prepare of a VM with a VF"
expect_loaded libyaml-0 "prepare reads the policy"
expect_loaded libmd "prepare digests the policy"
expect_not_loaded "prepare" libnl-3 libnl-genl-3 libvirt

# The calls with nothing to do: start begin with the devices prepare
# journalled, started begin of a VM without PCI devices, an operation the
# hook ignores. (release and stopped close the VM's journal entry: they
# read the policy.)
hook vfvm start begin "$SCRATCH/vfvm.xml"
expect_rc 0 "start begin with nothing to do"
expect_not_loaded "start begin with nothing to do" $LAZY
hook plain started begin "$SCRATCH/plain.xml"
expect_rc 0 "started of a VM without PCI devices"
expect_not_loaded "started without PCI devices" $LAZY
hook vfvm reconnect end "$SCRATCH/vfvm.xml"
expect_rc 0 "an operation the hook ignores"
expect_not_loaded "an ignored operation" $LAZY

# devlink's view loads libnl (through the simulated kernel's channel too).
echo '{"pfs": {}}' >"$ROOT/icmquota-sim/devlink.json"
traced "status" status
expect_rc 0 "status"
expect_loaded libnl-3 "status asks devlink"
expect_loaded libnl-genl-3 "status asks devlink"

# policy set: parse and emit (libyaml), the merged digest (libmd).
traced "policy set" policy set --defaults vf_cap 3GiB
expect_rc 0 "policy set"
expect_loaded libyaml-0 "policy set"
expect_loaded libmd "policy set"
expect_not_loaded "policy set" libnl-3

# A library that cannot be loaded (an empty file first on the search path,
# as a half-installed package leaves one): one line naming the Debian
# package, exit 3, nothing written. policy set does not call the drop-in it
# could not parse for want of the library broken: "fix or remove it" would
# have the operator delete the local edits, and the error stay.
mkdir "$SCRATCH/nolib"
DROPIN=$(dirname "$POLICY")/policy.d/99-icmquota-local.yaml
domain_xml newvm 8 no "" "$(sim_vf "${PFS[1]}" 0)" >"$SCRATCH/newvm.xml"
written() { cat "$SCRATCH/state.json" "$DROPIN" "$ROOT"/icmquota-sim/fw/*.json | md5sum; }
for lib in libyaml-0.so.2:libyaml-0-2 libmd.so.0:libmd0; do
	so=${lib%%:*} pkg=${lib#*:}
	rm -f "$SCRATCH"/nolib/*
	: >"$SCRATCH/nolib/$so"
	before=$(written)
	for cmd in "policy validate" "policy set --defaults vf_cap 2GiB" apply \
		status "hook libvirt qemu newvm prepare begin -"; do
		# shellcheck disable=SC2086 # the words of cmd
		LD_LIBRARY_PATH=$SCRATCH/nolib run $cmd <"$SCRATCH/newvm.xml"
		expect_rc 3 "$so unloadable: $cmd"
		expect_err "(Debian: apt install $pkg)" "$so unloadable: $cmd"
		expect_one_line_err "$so unloadable: $cmd"
	done
	LD_LIBRARY_PATH=$SCRATCH/nolib run policy set --defaults vf_cap 2GiB
	if grep -q "broken" <<<"$ERR"; then
		fail "$so unloadable: policy set calls the drop-in broken: $ERR"
	else pass; fi
	expect_eq "$(written)" "$before" "$so unloadable: nothing written"
done
# Without libnl devlink's view is unavailable, named so; status otherwise
# as usual.
rm -f "$SCRATCH"/nolib/*
: >"$SCRATCH/nolib/libnl-3.so.200"
LD_LIBRARY_PATH=$SCRATCH/nolib run status
expect_rc 0 "libnl unloadable: status"
expect_out "not available: cannot load libnl-3.so.200" "libnl unloadable: status"
expect_out "(Debian: apt install libnl-3-200)" "libnl unloadable: status"

finish
