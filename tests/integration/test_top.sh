#!/usr/bin/env bash
# icmquota top: plain lines when stdout is no terminal, the change since
# the last refresh when a guest registers memory in between, and on a real
# terminal (tmux) a frame redrawn in place that q leaves cleanly.
. "$(dirname "$0")/lib.sh"

make_sim
write_policy <<'EOF2'
version: 1
host: { reserve: 16GiB }
defaults: { vf_cap: 4GiB, idle_vf_cap: 256MiB }
EOF2
mapfile -t PFS < <(sim_pfs)
VF00=$(sim_vf "${PFS[0]}" 0)
domain_xml job-1 16 yes "" "$VF00" >"$SCRATCH/job-1.xml"
run vm start --libvirt-xml "$SCRATCH/job-1.xml"
expect_rc 0 "start"

# one refresh, not a terminal: one line per PF, per VF, and the host
run top -n 1
expect_rc 0 "top -n 1"
expect_eq "$(grep -c ' pf ' <<<"$OUT")" 2 "a line per PF"
expect_eq "$(grep -c ' vf ' <<<"$OUT")" 8 "a line per VF"
expect_eq "$(grep -c ' host mem_available ' <<<"$OUT")" 1 "a host line"
expect_out " vf $VF00 vm job-1 cur 0B change - cap 4.0GiB hwm 0B change -" "first refresh has no change yet"
if grep -q $'\033' <<<"$OUT"; then fail "escape codes in plain output"; else pass; fi

# two refreshes with a registration in between: the change shows
"$BIN" --config none --root "$ROOT" --policy "$POLICY" --state "$SCRATCH/state.json" \
	top -n 2 -d 3 >"$SCRATCH/top.out" 2>"$SCRATCH/top.err" &
pid=$!
for _ in $(seq 100); do grep -q ' host ' "$SCRATCH/top.out" 2>/dev/null && break; sleep 0.05; done
run sim register --vf "$VF00" --bytes 64GiB
expect_rc 0 "register between refreshes"
wait $pid
expect_eq "$?" 0 "top exit"
OUT=$(cat "$SCRATCH/top.out")
second=$(grep " vf $VF00 " <<<"$OUT" | tail -n 1)
# 64GiB: 16 Mi MTT entries of 8 B = 32768 pages = 128.0MiB
expect_eq "$(sed -E 's/^[^ ]+ //' <<<"$second")" "vf $VF00 vm job-1 cur 128.0MiB change +128.0MiB cap 4.0GiB hwm 128.0MiB change +128.0MiB" "second refresh shows the change"
expect_eq "$(grep " pf ${PFS[0]} " <<<"$OUT" | tail -n 1 | sed -E 's/.* change //')" "+128.0MiB" "PF fw_pages change"
expect_eq "$(grep ' host ' <<<"$OUT" | tail -n 1 | sed -E 's/.*mem_available [^ ]+ change ([^ ]+).*/\1/')" "-128.0MiB" "MemAvailable change"

# JSON: one object per refresh
run top -n 2 -d 0.1 -j
expect_eq "$(wc -l <<<"$OUT")" 2 "two JSON lines"
expect_eq "$(tail -n 1 <<<"$OUT" | python3 -c 'import json,sys;d=json.load(sys.stdin);print([v["cur_bytes"] for p in d["pfs"] for v in p["vfs"] if v["pci"]=="'$VF00'"][0])')" $((32768 * 4096)) "JSON cur"

# usage
run top -d 0
expect_rc 2 "interval too small"
run top -n abc
expect_rc 2 "bad count"

# a terminal: the frame in place, q quits and restores the screen
if command -v tmux >/dev/null; then
	sock=$SCRATCH/tmux.sock
	tmux -S "$sock" new-session -d -x 120 -y 40 "$BIN --config none --root $ROOT --policy $POLICY --state $SCRATCH/state.json top -d 0.2; echo TOP-EXIT=\$?; sleep 30"
	for _ in $(seq 400); do tmux -S "$sock" capture-pane -p | grep -q 'MemAvailable' && break; sleep 0.05; done
	screen=$(tmux -S "$sock" capture-pane -p)
	if grep -q "icmquota top .* refresh [0-9]* *(q or Ctrl-C quits)" <<<"$screen"; then pass; else fail "terminal header: $screen"; fi
	if grep -q "VF  *VM  *CURRENT  *CHANGE  *CAP  *HIGH-WATER  *CHANGE" <<<"$screen"; then pass; else fail "terminal table: $screen"; fi
	expect_eq "$(grep -c '^PF ' <<<"$screen")" 2 "one frame (redrawn in place, not scrolled)"
	sleep 0.5
	screen=$(tmux -S "$sock" capture-pane -p)
	expect_eq "$(grep -c 'icmquota top' <<<"$screen")" 1 "still one frame after refreshes"
	tmux -S "$sock" send-keys q
	for _ in $(seq 400); do tmux -S "$sock" capture-pane -p | grep -q 'TOP-EXIT' && break; sleep 0.05; done
	screen=$(tmux -S "$sock" capture-pane -p)
	if grep -q '^TOP-EXIT=0' <<<"$screen"; then pass; else fail "q quits with 0: $screen"; fi
	if grep -q 'icmquota top' <<<"$screen"; then fail "alternate screen not left: $screen"; else pass; fi
	# Ctrl-C quits cleanly too (a server of its own)
	tmux -S "$sock" kill-server 2>/dev/null
	sock=$SCRATCH/tmux2.sock
	tmux -S "$sock" new-session -d -x 120 -y 40 "$BIN --config none --root $ROOT --policy $POLICY --state $SCRATCH/state.json top -d 0.2; echo TOP-EXIT=\$?; echo MODES=\$(stty -a | grep -o ' icanon\| echo ' | tr -d ' ' | tr '\n' ,); sleep 30"
	for _ in $(seq 400); do tmux -S "$sock" capture-pane -p | grep -q 'MemAvailable' && break; sleep 0.05; done
	tmux -S "$sock" send-keys C-c
	for _ in $(seq 400); do tmux -S "$sock" capture-pane -p | grep -q 'MODES=' && break; sleep 0.05; done
	screen=$(tmux -S "$sock" capture-pane -p)
	if grep -q '^TOP-EXIT=0' <<<"$screen"; then pass; else fail "Ctrl-C quits with 0: $screen"; fi
	if grep -q '^MODES=icanon,echo,' <<<"$screen"; then pass; else fail "terminal modes restored: $screen"; fi
	tmux -S "$sock" kill-server 2>/dev/null
fi

finish
