#!/usr/bin/env bash
# The exit codes are one contract for every command (icmquota --help, the
# man page's EXIT STATUS): 0 done; 1 refused, or names what is not here;
# 2 usage; 3 environment, or a partial result. One representative call of
# each kind for each command, with the one line it says on stderr.
. "$(dirname "$0")/lib.sh"

make_sim
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB, admission: strict }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB }
EOF2
mapfile -t PFS < <(sim_pfs)
P0=${PFS[0]}
VF00=$(sim_vf "$P0" 0) VF01=$(sim_vf "$P0" 1) VF02=$(sim_vf "$P0" 2)
domain_xml job-1 8 no "" "$VF00" >"$SCRATCH/job-1.xml"
domain_xml job-2 8 no "" "$VF01" >"$SCRATCH/job-2.xml"
domain_xml huge 1024 no "" "$VF02" >"$SCRATCH/huge.xml"
domain_xml gone 8 no "" 0000:77:00.1 >"$SCRATCH/gone.xml"
printf '<domain><name>x' >"$SCRATCH/bad.xml"
printf 'version: 1\nbogus: 1\n' >"$SCRATCH/bad.yaml"
NOHOST=$SCRATCH/nohost
NOFILE=$SCRATCH/no/such/file
printf "nokey = 1\n" >"$SCRATCH/bad.conf"
"$BIN" --config none --root "$ROOT" --policy "$POLICY" --state "$SCRATCH/state.json" \
	vm start --libvirt-xml "$SCRATCH/job-1.xml" >/dev/null || fail "start job-1"

# check WANT LABEL STDERR-SUBSTRING -- ARGS...: one call, its code, its line.
check() {
	local want=$1 label=$2 says=$3
	shift 4
	run "$@"
	expect_rc "$want" "$label: icmquota $*"
	if [ "$want" -ne 0 ]; then
		expect_err "$says" "$label: says why"
		expect_one_line_err "$label: icmquota $*"
	fi
}

# Partial results, while PF0's firmware does not answer: 3, the rest shown.
"$BIN" --config none --root "$ROOT" sim inject --status BAD_SYS_STATE --count 1000 --pf "$P0" >/dev/null
run status
expect_rc 3 "partial: status"
expect_err "status: 1 problem above" "partial: status says so"
run metrics
expect_rc 3 "partial: metrics"
run plan --connect none
expect_rc 3 "partial: plan"
expect_err "plan: 1 problem above" "partial: plan says so"
run apply --connect none
expect_rc 3 "partial: apply"
expect_err "apply: 1 problem above; every VF on the other PFs was capped" "partial: apply says so (PF0 was not)"
"$BIN" --config none --root "$ROOT" sim inject --count 0 >/dev/null

while IFS='|' read -r want label says args; do
	[ -z "$want" ] || [ "${want:0:1}" = "#" ] && continue
	# shellcheck disable=SC2086
	eval "set -- $args"
	check "$want" "$label" "$says" -- "$@"
done <<EOF2
# status
0|status ok||status
2|status usage|status: unexpected argument 'extra'|status extra
1|status invalid policy|policy: unknown key 'bogus'|--policy $SCRATCH/bad.yaml status
3|status no host|no such directory|--root $NOHOST status
# plan, apply
0|plan ok||plan --connect none
2|plan usage|plan: unknown option|plan --bogus
1|plan bad XML|not well-formed|plan --libvirt-xml $SCRATCH/bad.xml
3|plan unreadable XML|cannot read domain XML|plan --libvirt-xml $NOFILE
0|apply ok||apply --connect none
2|apply usage|apply: unexpected argument|apply extra
3|apply no host|no such directory|--root $NOHOST apply --connect none
# vm
0|vm inspect ok||vm inspect --libvirt-xml $SCRATCH/job-1.xml
2|vm usage|vm: unknown action 'frob'|vm frob
1|vm start does not fit|VM huge does not fit: short by|vm start --libvirt-xml $SCRATCH/huge.xml
1|vm start VF not here|PCI device 0000:77:00.1 does not exist on this host|vm start --libvirt-xml $SCRATCH/gone.xml
3|vm start unreadable XML|cannot read domain XML|vm start --libvirt-xml $NOFILE
0|vm stop not running: nothing to do||vm stop nosuch
# explain
0|explain ok||explain job-1
2|explain usage|explain: name one VM|explain
1|explain VM not running|explain: no running VM named 'nosuch'|explain nosuch
3|explain unreadable XML|cannot read domain XML|explain --libvirt-xml $NOFILE
# policy
0|policy validate ok||policy validate
2|policy usage|policy: unknown action 'frob'|policy frob
2|policy validate usage|policy validate: unknown option '--bogus'|policy validate --bogus
1|policy invalid|bad.yaml:2:1: policy: unknown key 'bogus'|policy validate $SCRATCH/bad.yaml
3|policy unreadable|cannot read policy|policy validate $NOFILE
2|policy set bad value|bad size '8XB'|policy set --vm x vf_cap 8XB
1|policy set a VF as device|devices.$VF01: a VF of $P0|policy set --device $VF01 vf_cap 1GiB
0|policy unset not set: nothing to do||policy unset --vm nosuch vf_cap
# hwm
0|hwm ok||hwm reset --vf $VF00
2|hwm usage|hwm reset: name what to reset|hwm reset
2|hwm not an address|hwm reset --vf 'garbage': not a PCI address|hwm reset --vf garbage
1|hwm VF not here|hwm reset --vf 0000:99:00.1: not a ConnectX VF on this host|hwm reset --vf 0000:99:00.1
1|hwm VM not running|hwm reset --vm nosuch: no running VM|hwm reset --vm nosuch
3|hwm no host|no such directory|--root $NOHOST hwm reset --all
# top, recommend, metrics
0|top ok||top -n 1
2|top usage|top: -n takes a count|top -n 0
3|top no host|no such directory|--root $NOHOST top -n 1
0|recommend ok||recommend
2|recommend usage|recommend: --percentile takes|recommend --percentile 0
3|recommend no host|no such directory|--root $NOHOST recommend
0|metrics ok||metrics
2|metrics usage|metrics: the output is Prometheus text|metrics -j
3|metrics unwritable|cannot write|metrics --output $NOFILE
# estimate (no host at all)
0|estimate ok||estimate --per-gpu 40GB
2|estimate usage|bad unit|estimate --per-gpu 40XB
# sim
0|sim ok||sim show
2|sim usage|sim: unknown subcommand 'frob'|sim frob
2|sim bad size|--bytes '1XB': bad unit|sim register --vf $VF00 --bytes 1XB
1|sim VF not here|0000:99:00.1 is not an enabled ConnectX VF|sim register --vf 0000:99:00.1 --bytes 1GiB
1|sim PF not here|sim inject --pf 0000:99:00.0: not a PF of the simulated host|sim inject --pf 0000:99:00.0 --status NOT_READY
1|sim init over a host|is not empty; use --force|sim init $ROOT
3|sim no host|is not a simulated host|--root $NOHOST sim show
# daemon (errors before its loop)
2|daemon usage|daemon: interval takes seconds|daemon --interval 0
3|daemon no metrics dir|metrics_dir $NOFILE is not a directory|daemon --metrics-dir $NOFILE
# doctor: 1 is "a check failed" (the simulated host has no libvirt hook)
2|doctor usage|doctor: unknown option '--bogus'|doctor --bogus
# help and the command itself
0|help ok||help status
2|help unknown|help: unknown command 'frob'|help frob
2|unknown command|unknown command 'frob'|frob
2|settings file|unknown key 'nokey'|--config $SCRATCH/bad.conf status
EOF2

# doctor: exit 1 exactly when a check failed.
run doctor -j
expect_eq "$RC" "$(json "1 if d['fail'] else 0")" "doctor: 1 iff a check failed"

# The hook (libvirt's contract: 0 starts the VM, anything else refuses it).
hook() { # hook NAME XML
	"$BIN" --config none --root "$ROOT" --policy "$POLICY" --state "$SCRATCH/state.json" \
		hook libvirt qemu "$1" prepare begin - <"$2" >/dev/null 2>"$SCRATCH/err"
	RC=$? ERR=$(cat "$SCRATCH/err")
}
hook job-2 "$SCRATCH/job-2.xml"
expect_rc 0 "hook: a VM that fits starts"
hook huge "$SCRATCH/huge.xml"
expect_rc 1 "hook: a VM that does not fit is refused"
expect_err "VM huge does not fit: short by" "hook: says why"

# Partial results: caps in force that overcommit the host (job-1's VF at
# a policy cap raised past MemTotal: 4 x 64GiB). status and metrics show
# everything, say the overcommit as apply does, and exit 3.
cp "$POLICY" "$SCRATCH/policy.fits"
sed -i 's/vf_cap: 4GiB/vf_cap: 64GiB/' "$POLICY"
"$BIN" --config none --root "$ROOT" --policy "$POLICY" --state "$SCRATCH/state.json" \
	apply --connect none >/dev/null 2>&1
run status
expect_rc 3 "overcommit: status"
expect_err "status: the host is overcommitted by" "overcommit: status says so"
run metrics
expect_rc 3 "overcommit: metrics"
expect_err "metrics: the host is overcommitted by" "overcommit: metrics says so"
run apply --connect none
expect_rc 3 "overcommit: apply"
cp "$SCRATCH/policy.fits" "$POLICY"
"$BIN" --config none --root "$ROOT" --policy "$POLICY" --state "$SCRATCH/state.json" \
	apply --connect none >/dev/null 2>&1

# The lock not had in time: 3.
mkdir -p "$ROOT/run/icmquota"
flock "$ROOT/run/icmquota/lock" sleep 5 &
sleep 0.5
run --lock-timeout 0.2 apply --connect none
expect_rc 3 "lock held: apply"
expect_err "holds the lock" "lock: says who"
# status waits for a run that changes caps (it would show a VM beside
# caps half-changed), not for another view.
run --lock-timeout 0.2 status
expect_rc 3 "lock held by a writer: status waits, then gives up"
expect_err "holds the lock" "status: says who"
wait
flock -s "$ROOT/run/icmquota/lock" sleep 3 &
sleep 0.3
run --lock-timeout 0.2 status
expect_rc 0 "lock shared by another view: status does not wait"
run --lock-timeout 0.2 apply --connect none
expect_rc 3 "lock shared by a view: apply waits for it"
wait
run --lock-timeout 0.2 status
expect_rc 0 "lock free: status"

# Untrusted files (root only): 1.
if [ "$(id -u)" -eq 0 ]; then
	cp "$POLICY" "$SCRATCH/ww.yaml"
	chmod 0666 "$SCRATCH/ww.yaml"
	check 1 "untrusted policy" "writable by group or others" -- --policy "$SCRATCH/ww.yaml" status
fi

# --help and the man page carry the table.
"$BIN" --help >"$SCRATCH/help"
for code in "  0  done" "  1  refused" "  2  usage" "  3  environment"; do
	if grep -qF -- "$code" "$SCRATCH/help"; then pass; else fail "--help lacks '$code'"; fi
done
"$BIN" hwm --help >"$SCRATCH/help"
if grep -qF -- "  3  environment" "$SCRATCH/help"; then pass; else fail "hwm --help lacks the table"; fi
"$BIN" help --man >"$SCRATCH/man"
if sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$SCRATCH/man" | grep -qF "  1  refused"; then pass; else fail "man page lacks the table"; fi

finish
