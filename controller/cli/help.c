// SPDX-License-Identifier: MIT
#include "controller/cli/help.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/cli/config.h"
#include "controller/core/state.h"
#include "controller/sources/vm.h"
#include "controller/sources/vm_ch.h"
#include "lib/http.h"
#include "policy/policy.h"

const char help_global[] =
	"Global options (before or after the command):\n"
	"  --policy FILE      policy (default /etc/icmquota/policy.yaml)\n"
	"  --state FILE       journal (default /var/lib/icmquota/state.json,\n"
	"                     under --root on a simulated host;\n"
	"                     FILE.vhca-ids beside it keeps the VFs' vhca_ids\n"
	"                     between runs, until a reboot or a VF "
	"re-created;\n"
	"                     FILE.memo and FILE.domains.memo keep the "
	"journal\n"
	"                     and the domain XMLs parsed, used only for the\n"
	"                     same bytes and the same build; safe to delete)\n"
	"  --lock FILE        lock file (default /run/icmquota/lock, under "
	"--root\n"
	"                     on a simulated host)\n"
	"  --lock-timeout S   seconds to wait for the lock (default 30)\n"
	"  --root DIR         read sysfs/procfs/debugfs under DIR (a "
	"simulated\n"
	"                     host from `icmquota sim init`)\n"
	"  --backend B        auto|devx|fwctl|sim (auto: sim on a simulated "
	"root,\n"
	"                     else devx, then fwctl)\n"
	"                     devx: mlx5_ib and rdma-core, root "
	"(CAP_NET_RAW), and\n"
	"                     the HCA cap access_register_user set\n"
	"                     fwctl: Linux 6.15+ with mlx5_fwctl, root (the\n"
	"                     /dev/fwctl/fwctlN node); caps are written at "
	"scope\n"
	"                     CONFIGURATION: no CAP_SYS_RAWIO, no kernel "
	"taint\n"
	"  --config FILE      settings file (default "
	"/etc/icmquota/icmquota.conf;\n"
	"                     none: no file); its keys: SETTINGS in "
	"`icmquota\n"
	"                     --help` and the man page\n"
	"  --trace-fw FILE    every firmware command as `> HEX` (input) and\n"
	"                     `< HEX` (output), one line each; a command the\n"
	"                     firmware answered RESOURCE_BUSY or NOT_READY is\n"
	"                     resent (5 times at most, 10 ms doubling) after "
	"a\n"
	"                     `# retry N/5 ...` line\n"
	"  -j, --json         JSON output (exact bytes)\n"
	"  -v, --verbose      say more on stderr\n"
	"  -h, --help         help; `icmquota CMD --help` for a command\n"
	"  --version\n";

const char help_exit_codes[] =
	"Exit codes, the same for every command:\n"
	"  0  done: all that was asked was shown or changed (vm stop of a VM "
	"not\n"
	"     running, policy unset of a key not set: nothing to do)\n"
	"  1  refused: the input is understood but not accepted, or names "
	"what is\n"
	"     not here: a VM does not fit; the policy or a domain XML is "
	"invalid;\n"
	"     a file root does not trust; a VM, VF or PF not on this host "
	"(or not\n"
	"     in the journal); a directory sim init would overwrite; doctor: "
	"a\n"
	"     check failed\n"
	"  2  usage: an unknown command or option, a missing or extra "
	"argument, a\n"
	"     value of the wrong form (a size, a PCI address, a number out of\n"
	"     range), the same in the settings file\n"
	"  3  environment: a file, device or socket that cannot be read or\n"
	"     written, no permission, no firmware channel, the firmware said "
	"no,\n"
	"     the lock not had in time, a corrupt journal; or a partial "
	"result:\n"
	"     apply, plan, status, metrics, policy validate did all else and\n"
	"     print one line per problem on stderr (a stale fact, caps that\n"
	"     overcommit the host, a PF that does not answer)\n"
	"  The libvirt hook: 0 lets the VM start, any other refuses it "
	"(libvirt).\n";

const struct help_entry help_commands[] = {
	{"status", "show PFs, VFs, caps and the memory split",
	 "icmquota status [--connect URI] [-j]\n"
	 "  Per PF: address, RDMA device, total ICM, whether VHCA_ICM_CTRL is\n"
	 "  supported. Per VF: index, vhca_id, VM, cap, current ICM, "
	 "high-water\n"
	 "  (read from the firmware). Then every term of the memory split and\n"
	 "  the headroom (see MEMORY SPLIT), each huge page pool against the\n"
	 "  running VMs' demand of its size, and what the host observes\n"
	 "  (MemAvailable, fw_pages).\n"
	 "  Shown between runs: status waits for a hook or apply that is\n"
	 "  changing caps (a shared lock, --lock-timeout), so a VM and its\n"
	 "  caps are never shown half-changed; top and metrics do not wait.\n"
	 "  Last, devlink's view (generic netlink; read-only, never asked by\n"
	 "  the hook): each VF's devlink port (pci/PF/N, pfnum/vfnum) and\n"
	 "  representor, and where the kernel offers it (switchdev mode, the\n"
	 "  port health reporter `vnic` with icm_consumption: Linux 6.15+)\n"
	 "  icm_consumption beside the firmware's cur_alloc_icm read at the\n"
	 "  same moment; values that differ twice in a row are marked\n"
	 "  DISAGREES. Otherwise \"n/a\" with the reason: no devlink family,\n"
	 "  no devlink instance for the PF, legacy eswitch mode, no vnic\n"
	 "  reporter, a reporter without icm_consumption. JSON: \"devlink\"\n"
	 "  per PF and per VF (icm_consumption_bytes, fw_cur_alloc_icm_bytes,\n"
	 "  agrees, reason) and a summary with the disagreements.\n"
	 "  A PF whose firmware does not answer, or a VF whose read fails, is\n"
	 "  shown as unknown (\"?\" and a line naming it and the error; JSON\n"
	 "  null with \"reason\" per VF, \"reachable\" and \"fw_error\" per "
	 "PF),\n"
	 "  every other VF as usual; then one stderr line per problem and "
	 "exit 3.\n"
	 "  Caps in force that overcommit the host (headroom below 0) are a\n"
	 "  problem too: one line with the split's terms, exit 3; under\n"
	 "  host.admission: warn a warning only (exit 0), as for apply.\n"},
	{"plan", "show the firmware writes an apply would make",
	 "icmquota plan [--libvirt-xml FILE|DIR]... [--connect URI]\n"
	 "              [--ch-socket-dir DIR]... [-j]\n"
	 "  Desired caps (policy) against the firmware's read-back; no "
	 "writes.\n"
	 "  --libvirt-xml    running VMs as domain XML files or a directory "
	 "of\n"
	 "                   *.xml (repeatable)\n"
	 "  --connect URI    running domains of a libvirt URI, read-only; "
	 "default\n"
	 "                   qemu:///system when its daemon socket exists "
	 "(under\n"
	 "                   --root); `none`: the journal's VMs only\n"
	 "  --ch-socket-dir  every Cloud Hypervisor API socket in DIR: "
	 "NAME.sock,\n"
	 "                   NAME-socket (libvirt's ch driver, "
	 "/run/libvirt/ch),\n"
	 "                   SANDBOX/clh-api.sock (Kata, /run/vc/vm); a "
	 "journal VM\n"
	 "                   not found stays running unless its socket is "
	 "gone or\n"
	 "                   its VMM answers that no VM exists; a VMM that\n"
	 "                   does not answer in 5 s leaves its VM unknown\n"
	 "                   (exit 3 once the rest is capped)\n"
	 "  Sources add up (but --connect excludes --libvirt-xml); with none "
	 "at\n"
	 "  all, the journal's VMs. On a host running\n"
	 "  Cloud Hypervisor VMs beside libvirtd, name both sources.\n"},
	{"apply", "program every VF's cap, only where it differs",
	 "icmquota apply [--libvirt-xml FILE|DIR]... [--connect URI]\n"
	 "               [--ch-socket-dir DIR]... [-j]\n"
	 "  Like plan, then one VHCA_ICM_CTRL write per VF whose cap differs;\n"
	 "  VFs of no running VM get idle_vf_cap. Idempotent: a second apply\n"
	 "  writes nothing. With a source, exactly its VMs are running and "
	 "the\n"
	 "  journal follows. Sources as for plan. A stale fact (a journal "
	 "VM's\n"
	 "  VF gone with sriov_numvfs, a PF that cannot be reached, a failed\n"
	 "  read or write) is one line on stderr each; every other VF is\n"
	 "  capped; then exit 3 with the count. So is an overcommit: caps\n"
	 "  whose sum leaves the memory split below 0 (one line per VM whose\n"
	 "  caps rose: its VFs, by how much, the shortfall, the fix), and so\n"
	 "  is a huge page size whose pool cannot serve the running VMs'\n"
	 "  demand (the figures, the fix); under host.admission: warn each\n"
	 "  is a warning only (exit 0). A whole\n"
	 "  ConnectX PF passed through to a VM cannot be capped: a warning,\n"
	 "  and UNCAPPED in the table.\n"
	 "  Caps host.admission: scale lowered at a VM's start rise back\n"
	 "  (plan shows it; the RULE column says \"scaled from\" and \"raised\n"
	 "  from\"), by this rule: only on a split that is all known, into\n"
	 "  its headroom, the VM that started first first; each VF by the\n"
	 "  same share of what scaling took from it, never above the\n"
	 "  policy's cap; a rise short of the policy's caps takes 1GiB at\n"
	 "  least; caps never go down here (only a VM start scales), so\n"
	 "  repeated applies converge. One line per scaled VM: raised, back\n"
	 "  at the policy's caps, or why it stays.\n"},
	{"vm", "one VM's lifecycle: start, stop, inspect",
	 "icmquota vm start (--libvirt-xml FILE | --ch-socket PATH) [-j]\n"
	 "icmquota vm stop (--libvirt-xml FILE | --ch-socket PATH | NAME) "
	 "[-j]\n"
	 "icmquota vm inspect (--libvirt-xml FILE | --ch-socket PATH) [-j]\n"
	 "  --ch-socket: a Cloud Hypervisor API socket; run `vm start` "
	 "between\n"
	 "  vm.create and vm.boot, `vm stop` after shutdown. The VM's name: "
	 "NAME\n"
	 "  of NAME.sock or NAME-socket, the directory of a Kata "
	 "clh-api.sock;\n"
	 "  its class an oem_string\n"
	 "  icmquota.class=NAME.\n"
	 "  start: admission by the memory split (host.admission "
	 "strict|scale|\n"
	 "  warn), then the VM's VF caps, then the journal. A VM that does "
	 "not\n"
	 "  fit is refused (exit 1) with the shortfall and the policy knob;\n"
	 "  so is one whose huge pages their pool cannot serve (strict and\n"
	 "  scale; see MEMORY SPLIT).\n"
	 "  A whole ConnectX PF among its devices (not a VF: no physfn link)\n"
	 "  cannot be capped: strict refuses the VM, scale and warn start it\n"
	 "  with a warning. Nor can a VF of a PF whose firmware lacks\n"
	 "  VHCA_ICM_CTRL: it is charged that PF's total ICM (MemTotal when\n"
	 "  the firmware does not say it) whatever vf_cap says; a refusal\n"
	 "  quotes that and what helps (a firmware update, a VF of a PF that\n"
	 "  can cap, room for the whole PF's ICM, host.admission: warn).\n"
	 "  stop: the VM's VFs back to idle_vf_cap, journal entry closed\n"
	 "  (idempotent; fine for a VM that never started).\n"
	 "  inspect: the VM facts (name, uuid, memory, huge pages, class, "
	 "every\n"
	 "  passed-through PCI device, and which are ConnectX VFs here).\n"},
	{"doctor", "check that this host is ready for icmquota",
	 "icmquota doctor [--strict] [-j]\n"
	 "  One line per check: ok, WARN (works, with less), FAIL (something\n"
	 "  icmquota needs is broken) or unknown (cannot tell), and what to\n"
	 "  do. Read-only, everything under --root (a simulated host):\n"
	 "    kernel               release; fwctl and icm_consumption need\n"
	 "                         6.15+\n"
	 "    connectx             ConnectX PFs with SR-IOV, VFs enabled\n"
	 "    rdma_core            /etc/libibverbs.d/mlx5.driver (the DevX\n"
	 "                         backend's mlx5 provider)\n"
	 "    firmware_channel     the backend opens and answers on every PF\n"
	 "    access_register_user the HCA cap DevX register access needs\n"
	 "    vhca_icm_ctrl PF     per PF: the firmware can cap a VF's ICM\n"
	 "    fwctl                a fwctl device per PF (mlx5_fwctl)\n"
	 "    devlink              the devlink genl family and its ports\n"
	 "    vnic_reporter        icm_consumption of every VF, and whether\n"
	 "                         it agrees with cur_alloc_icm\n"
	 "    debugfs              /sys/kernel/debug/mlx5/PF/pages readable\n"
	 "    libvirt_hook         /etc/libvirt/hooks/qemu.d/icmquota (or a\n"
	 "                         /etc/libvirt/hooks/qemu dispatcher calling\n"
	 "                         icmquota) executable, its binary there\n"
	 "    libvirtd_after_hook  libvirtd/virtqemud started after the hook\n"
	 "                         was installed (/proc start time against\n"
	 "                         the file's mtime/ctime): libvirt reads\n"
	 "                         hooks at start only\n"
	 "    settings, policy_file, state_file, state_dir\n"
	 "                         root-owned, not group/other-writable\n"
	 "    policy               the policy parses and validates\n"
	 "    daemon               an `icmquota daemon` process (/proc; no\n"
	 "                         systemd needed); FAIL when its unit is\n"
	 "                         enabled but it does not run\n"
	 "  --strict   warnings fail too\n"
	 "  Exit: 0 no check failed (warnings allowed); 1 a check failed (or\n"
	 "  warned, with --strict); 2 usage; 3 doctor itself could not run.\n"
	 "  JSON: {checks: [{name, status: ok|warn|fail|unknown, detail}],\n"
	 "  ok, warn, fail, unknown}.\n"},
	{"explain", "which policy rule gave each VF of a VM its cap",
	 "icmquota explain (--libvirt-xml FILE | VM) [-j]\n"
	 "  For each VF of the VM: the cap and the rule (vms[i], class, "
	 "device,\n"
	 "  defaults) with its policy file:line:col. A cap host.admission:\n"
	 "  scale lowered: the cap in force, the policy's, when and by how\n"
	 "  much the host was short at the VM's start, and when it rises\n"
	 "  again (see apply). For each huge page size the VM uses: its\n"
	 "  pages and all running VMs' against the pool (free, surplus\n"
	 "  allowed) and whether the pool can serve them (-j: \"hugepages\",\n"
	 "  with vm_demand_pages).\n"},
	{"policy", "validate, show, edit (drop-ins) and diff the policy",
	 "icmquota policy validate [--no-host] [FILE] [-j]\n"
	 "icmquota policy show [--effective] [-j]\n"
	 "icmquota policy set SELECTOR KEY VALUE [--apply [--force]] [-j]\n"
	 "icmquota policy unset SELECTOR KEY [--apply [--force]] [-j]\n"
	 "icmquota policy diff FILE [--main] [-j]\n"
	 "  SELECTOR: --defaults | --host | --class C | --vm NAME | --uuid U "
	 "|\n"
	 "            --device PCI\n"
	 "  KEY: defaults: vf_cap vm_cap idle_vf_cap min_vf_cap; host: "
	 "reserve\n"
	 "  admission hugepages; class, device: vf_cap vm_cap; vm, uuid: "
	 "vf_cap\n"
	 "  vm_cap class. VALUE: a size (8GiB, 512MiB, unlimited) or a mode.\n"
	 "  Files: the main policy (--policy; config management owns it, the\n"
	 "  tool never rewrites it), then policy.d/*.yaml beside it in "
	 "lexical\n"
	 "  order. Later files win key by key: host.*, defaults.*,\n"
	 "  classes.NAME.*, devices.PCI.*; a vms rule with the same match "
	 "(name\n"
	 "  and uuid) is merged key by key, and a later file's rules are "
	 "tried\n"
	 "  before an earlier file's (first match wins), so a drop-in rule "
	 "for\n"
	 "  one VM beats a glob of the main policy.\n"
	 "  validate: parse and check FILE alone, or without FILE the main\n"
	 "  policy with its drop-ins. Errors FILE:LINE:COL: message; exit 1.\n"
	 "  Against the host, with --root or on a machine with a ConnectX PF\n"
	 "  (elsewhere, or with --no-host: syntax and semantics only; set\n"
	 "  checks the same), each at FILE:LINE:COL:\n"
	 "    error    host.reserve >= MemTotal (no VM would fit)\n"
	 "    error    a devices rule naming a VF (device rules apply to a "
	 "PF's\n"
	 "             VFs: it never applies; the message names the PF)\n"
	 "    warning  a devices rule naming an absent address or a device "
	 "that\n"
	 "             is not a ConnectX PF (does nothing here; exit 0)\n"
	 "    error    a cap above a PF's total ICM (when the firmware "
	 "answers)\n"
	 "    warning  a PF whose firmware does not answer: its caps are not\n"
	 "             checked (one line per PF naming the error); a partial\n"
	 "             result, exit 3 (--no-host: not checked, exit 0)\n"
	 "  show: every value set, with the FILE:LINE:COL it came from;\n"
	 "  --effective adds the built-in values no file sets.\n"
	 "  set/unset: edit policy.d/99-icmquota-local.yaml (the tool's "
	 "own,\n"
	 "  written with a header saying so). The merged result is validated\n"
	 "  first (nothing is written when it is invalid), the file replaced\n"
	 "  atomically; --apply then programs every VF (as `icmquota apply`).\n"
	 "  An edit that would overcommit the host (the split of the\n"
	 "  journal's running VMs below 0, and lower than now) is refused\n"
	 "  with --apply under host.admission: strict, nothing written (exit\n"
	 "  1); --force writes and applies it anyway (apply then exits 3 with\n"
	 "  the overcommit). Without --apply it is a warning.\n"
	 "  Root only (exit 3 otherwise). A new vms rule goes first.\n"
	 "  diff: per VF, the cap now and with FILE merged as a drop-in of "
	 "its\n"
	 "  name (--main: as the main policy), and the headroom before and\n"
	 "  after; nothing is written.\n"},
	{"top", "live view: firmware pages, per VF ICM, headroom",
	 "icmquota top [-d|--interval SECONDS] [-n|--iterations N] [-j]\n"
	 "  Every SECONDS (default 2): per PF its firmware pages (debugfs\n"
	 "  fw_pages_total), per VF the current ICM, cap and high-water mark\n"
	 "  (VHCA_ICM_CTRL read-back) with the change since the last refresh,\n"
	 "  then MemAvailable and the memory split's headroom. On a terminal\n"
	 "  the screen is redrawn in place (q or Ctrl-C quits and restores "
	 "it);\n"
	 "  otherwise one timestamped line per PF, VF and host per refresh\n"
	 "  (-j: one JSON object per refresh). -n: stop after N refreshes.\n"
	 "  Reads only; takes no lock.\n"},
	{"recommend", "per class, a vf_cap from observed high-water marks",
	 "icmquota recommend [--percentile P] [--margin PCT] [--write] [-j]\n"
	 "  Data: the high-water mark history (hwm-history.jsonl beside the\n"
	 "  journal, JSON Lines the daemon appends: time, vf, pf, vm, class,\n"
	 "  max_reached_bytes, cur_bytes) when it has samples, else the marks\n"
	 "  the firmware holds now for the running VMs' VFs. Per VF and VM "
	 "the\n"
	 "  peak counts once; per class (and defaults.vf_cap) the P-th\n"
	 "  percentile (nearest rank, default 99) of the peaks plus PCT "
	 "percent\n"
	 "  (default 20), rounded up to 64MiB, is the recommended vf_cap. "
	 "Shown\n"
	 "  with the sample count, the age of the oldest data (since a "
	 "journalled\n"
	 "  hwm reset, or boot/unknown), the cap now and what the change "
	 "does to\n"
	 "  the headroom over the running VFs it applies to.\n"
	 "  --write: `policy set --class C vf_cap X` (or --defaults) for "
	 "each,\n"
	 "  into the tool's drop-in; run `icmquota apply` to program it.\n"},
	{"hwm", "reset high-water marks (max_reached_alloc_icm)",
	 "icmquota hwm reset (--vf PCI [--vf PCI]... | --vm NAME | --all) "
	 "[-j]\n"
	 "  One VHCA_ICM_CTRL write per VF with rst_max_reached_alloc_icm "
	 "and no\n"
	 "  cap mask: the cap and the vHCA group stay, the mark restarts at "
	 "the\n"
	 "  VF's current allocation. The time is journalled: status shows "
	 "since\n"
	 "  when each mark has been collected (\"boot/unknown\" when "
	 "icmquota\n"
	 "  never reset it). --vm: the VFs of a running VM (the journal's).\n"},
	{"estimate", "firmware memory a GPU workload's registrations take",
	 "icmquota estimate --per-gpu SIZE [--gpus N] [--hcas N] [--pattern "
	 "P]\n"
	 "                  [--hcas-per-buffer K] [--mrs-per-hca M] [-j]\n"
	 "icmquota estimate --cap SIZE [same options] [-j]\n"
	 "  A guest registers one buffer of SIZE per GPU on K of the N HCAs, "
	 "M\n"
	 "  memory regions (MRs) on each. Prints the firmware pages (ICM, 4 "
	 "KiB)\n"
	 "  on the busiest NIC and their bytes, the bytes on all NICs, and the "
	 "VF\n"
	 "  cap that holds the workload; with --cap, the most GPU memory per "
	 "GPU\n"
	 "  a guest can register under that VF cap. Registrations only: a "
	 "VF's\n"
	 "  queues and contexts take a little more.\n"
	 "  --pattern P      nixl-try (default: every HCA, 2 MRs: NIXL with "
	 "UCX\n"
	 "                   relaxed ordering \"try\"), nixl-auto (every HCA, "
	 "1 "
	 "MR),\n"
	 "                   nccl (1 HCA, 1 MR), ucx-max-hca=N (N HCAs, 2 "
	 "MRs;\n"
	 "                   N above --hcas counts --hcas, as UCX does, "
	 "and the\n"
	 "                   output says so: hcas_per_buffer_capped)\n"
	 "  --gpus N, --hcas N  default 8 and 8; --hcas-per-buffer and\n"
	 "                   --mrs-per-hca override the pattern's\n"
	 "  SIZE as elsewhere (40GiB, 1.5T) plus decimal KB/MB/GB/TB (40GB =\n"
	 "  40e9 bytes). The model is the simulator's: one 8-byte MTT entry "
	 "per\n"
	 "  4 KiB of buffer, the table rounded up to a power of two, at least "
	 "one\n"
	 "  page per MR; it reproduces seed 000's measurements within 6 %.\n"
	 "  JSON keys: fw_pages_per_nic, fw_bytes_per_nic, fw_bytes_host,\n"
	 "  vf_cap_needed_bytes, max_registrable_per_gpu_bytes (and the "
	 "inputs).\n"},
	{"hook", "libvirt hook entry point (domain XML on stdin)",
	 "icmquota hook libvirt qemu NAME OPERATION SUB_OPERATION EXTRA\n"
	 "  Run by /etc/libvirt/hooks/qemu.d/icmquota, a symlink to this\n"
	 "  binary: invoked by that name, icmquota takes its arguments as\n"
	 "  NAME OPERATION SUB_OPERATION EXTRA. Settings come from\n"
	 "  /etc/icmquota/icmquota.conf. prepare/begin (and incoming migrate,\n"
	 "  restore): admission and caps; started/begin: read back; "
	 "stopped/end,\n"
	 "  release/end: VFs to idle; reconnect/begin: reconcile. Never calls\n"
	 "  back into libvirt.\n"},
	{"daemon", "follow VM and VF events, repair drift, write metrics",
	 "icmquota daemon [--interval S] [--connect URI] [--ch-dir DIR]\n"
	 "                [--metrics-dir DIR] [--no-uevents]\n"
	 "  Runs in the foreground (systemd Type=notify: READY, STATUS,\n"
	 "  WATCHDOG). Catches what no hook sees:\n"
	 "  - libvirt domain events (started, stopped, device added or\n"
	 "    removed): a VF hot-plugged into a running guest gets the VM's\n"
	 "    cap and the VM enters the memory split; a detached VF goes back\n"
	 "    to the idle cap. When libvirtd restarts, the daemon reconnects\n"
	 "    (backoff up to 30 s) and reconciles everything.\n"
	 "  - Cloud Hypervisor: every VMM started with\n"
	 "    --api-socket path=DIR/NAME.sock --event-monitor "
	 "path=DIR/NAME.events\n"
	 "    is followed from the current end of its events file (booted,\n"
	 "    resumed, restored, device-removed: caps from vm.info; "
	 "shutdown,\n"
	 "    deleted: VFs to idle).\n"
	 "  - PCI uevents (sriov_numvfs written, driver rebinds): only the PF\n"
	 "    concerned is re-discovered and its VFs capped.\n"
	 "  - Every interval (default 60 s) every cap is read back; drift is\n"
	 "    repaired, logged with before/after and counted\n"
	 "    (icmquota_drift_repaired_total).\n"
	 "  - After each reconcile, what apply would say of the host (an\n"
	 "    overcommit, with the split; a PF that does not answer) is\n"
	 "    logged when it appears or changes, and once when it is gone.\n"
	 "  SIGHUP reloads the policy (an invalid one is refused and logged,\n"
	 "  the previous one stays); SIGTERM stops. Running VMs are never\n"
	 "  refused: admission is the hook's. Same lock and journal as the\n"
	 "  hook and the CLI; libvirt is never waited on under the lock.\n"
	 "  Settings (icmquota.conf), overridden by the options:\n"
	 "  interval     seconds between reconciles (1..86400, default 60)\n"
	 "  libvirt_uri  --connect; default qemu:///system when its socket\n"
	 "               exists; none: no libvirt\n"
	 "  ch_dir       --ch-dir; unset or none: no Cloud Hypervisor\n"
	 "  metrics_dir  --metrics-dir: node_exporter textfile directory\n"
	 "               (icmquota.prom, replaced atomically after each\n"
	 "               reconcile); default "
	 "/var/lib/prometheus/node-exporter\n"
	 "               when it exists; none: off\n"
	 "  Logs go to stderr (the journal under systemd).\n"},
	{"metrics", "Prometheus metrics: caps, ICM, split, counters",
	 "icmquota metrics [--output FILE]\n"
	 "  The Prometheus text format, read now (no writes, no lock): per VF\n"
	 "  icmquota_vf_icm_cap_bytes, _current_bytes, _high_water_bytes\n"
	 "  {pf,vf,vm} (vm=\"\" when idle; an unlimited cap is +Inf); per PF\n"
	 "  icmquota_pf_icm_total_bytes{pf}, icmquota_pf_fw_pages{pf,type};\n"
	 "  the host: icmquota_host_memtotal_bytes, _memavailable_bytes,\n"
	 "  _split_bytes{term}, _headroom_bytes, _memory_pressure_ratio\n"
	 "  {kind,window} and _memory_pressure_stall_seconds_total{kind}\n"
	 "  (/proc/pressure/memory), icmquota_vms_running; the counters\n"
	 "  icmquota_admissions_refused_total, _admissions_scaled_total,\n"
	 "  _drift_repaired_total, _fw_command_errors_total,\n"
	 "  _hook_calls_total (kept beside the journal, in "
	 "STATEDIR/counters).\n"
	 "  What is unknown (a PF without VHCA_ICM_CTRL, a missing debugfs\n"
	 "  counter, no PSI) is left out or NaN, with a # comment saying why.\n"
	 "  Per PF, icmquota_pf_firmware_up{pf} (0: its firmware did not "
	 "answer)\n"
	 "  and icmquota_pf_vf_read_errors{pf} (VFs whose read failed; their\n"
	 "  series are left out): then the text is still printed or written,\n"
	 "  one stderr line per problem, exit 3. So for caps in force that\n"
	 "  overcommit the host (a warning only under host.admission: warn).\n"
	 "  The VMs are the journal's. --output FILE replaces FILE atomically\n"
	 "  (for node_exporter's textfile collector; the daemon does this\n"
	 "  itself with metrics_dir).\n"},
	{"sim", "a simulated host for tests and the demo",
	 "icmquota sim init DIR [--pfs N] [--vfs N] [--enabled-vfs N] [--mem "
	 "SIZE]\n"
	 "                  [--hugepages SIZE:COUNT[:FREE]]... [--host-used "
	 "SIZE]\n"
	 "                  [--total-icm SIZE] [--pf-pages N] [--gpus N]\n"
	 "                  [--no-icm-ctrl PCI]... [--no-groups PCI]... "
	 "[--no-fwctl]\n"
	 "                  [--no-access-register-user] [--icm-rounding "
	 "PAGES]\n"
	 "                  [--force]\n"
	 "icmquota --root DIR sim register --vf PCI [--vf PCI]... --bytes "
	 "SIZE\n"
	 "                  [--mrs-per-hca M] [--buffers B]\n"
	 "icmquota --root DIR sim flr --vf PCI [--vf PCI]...\n"
	 "icmquota --root DIR sim show [-j]\n"
	 "icmquota --root DIR sim refresh\n"
	 "icmquota --root DIR sim inject --status STATUS [--count N] [--after "
	 "K]\n"
	 "                  [--pf PCI]...\n"
	 "  register: a guest registering B buffers of SIZE (40GiB, or 40GB "
	 "=\n"
	 "  40e9 bytes as estimate takes it) on each VF, M MRs per HCA; each "
	 "MR\n"
	 "  costs ICM per the field calibration (the one\n"
	 "  `estimate` uses: max(1, pow2ceil(SIZE / 4 KiB) / 512) pages); past "
	 "a\n"
	 "  cap the MR is refused (ENOMEM in a guest).\n"
	 "  flr: a VF reset; its ICM returns to the host. refresh: recompute "
	 "the\n"
	 "  debugfs counters and meminfo after editing the tree by hand.\n"
	 "  inject: the next N commands to a PF (after K answered normally)\n"
	 "  answer STATUS (NOT_READY, RESOURCE_BUSY, ...) and change "
	 "nothing.\n"},
	{NULL, NULL, NULL},
};

const struct help_entry *help_find(const char *name)
{
	for (const struct help_entry *e = help_commands; e->name; e++)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

void help_print_command(FILE *out, const struct help_entry *e)
{
	fprintf(out, "icmquota %s: %s\n\n%s\n%s\n%s", e->name, e->summary,
		e->usage, help_global, help_exit_codes);
}

void help_print_main(FILE *out)
{
	fprintf(out, "icmquota: cap the host memory SR-IOV VFs of ConnectX "
		     "NICs can make\n"
		     "the firmware take (ICM), per VM, from a policy.\n\n"
		     "Usage: icmquota [OPTIONS] COMMAND [ARGS]\n\nCommands:\n");
	for (const struct help_entry *e = help_commands; e->name; e++)
		fprintf(out, "  %-9s %s\n", e->name, e->summary);
	fprintf(out, "\n%s\n", help_global);
	config_print_keys(out);
	fprintf(out, "\n%s", help_exit_codes);
}

/* troff needs a leading '.' or '\' escaped, and '-' as '\-'. */
static void man_text(FILE *out, const char *text)
{
	bool line_start = true;

	for (const char *p = text; *p; p++) {
		if (line_start && (*p == '.' || *p == '\''))
			fputs("\\&", out);
		if (*p == '\\')
			fputs("\\e", out);
		else if (*p == '-')
			fputs("\\-", out);
		else
			fputc(*p, out);
		line_start = *p == '\n';
	}
}

void help_print_limits(FILE *out)
{
	fprintf(out,
		"Every input from outside is bounded, so a runaway or hostile "
		"file costs\n"
		"at most a fraction of a second before a one-line error:\n"
		"  policy            %u bytes, %d levels of nesting, %d "
		"classes,"
		"\n"
		"                    %d vms rules, %d devices (duplicate keys "
		"are found\n"
		"                    by sorting: 80,000 classes parse in 0.2 s)"
		"\n"
		"  settings file     %u bytes\n"
		"  domain XML        %u bytes, on the hook's stdin or in a "
		"file; %d PCI\n"
		"                    devices per VM; elements %u deep; no "
		"<!DOCTYPE>\n"
		"  journal           %u bytes, JSON %d levels deep\n"
		"  Cloud Hypervisor  vm.info answers: %d bytes of status line "
		"and header\n"
		"                    fields, %u MiB of body, %d seconds\n"
		"  --lock-timeout    0 to %d seconds\n"
		"The policy is read and validated before the lock is taken: a "
		"large or\n"
		"broken policy never keeps a hook waiting.\n",
		POLICY_MAX_BYTES, POLICY_MAX_DEPTH, POLICY_MAX_CLASSES,
		POLICY_MAX_VM_RULES, POLICY_MAX_DEVICES, CONFIG_MAX_BYTES,
		VM_XML_MAX_BYTES, VM_MAX_PCI, VM_XML_MAX_DEPTH, STATE_MAX_BYTES,
		STATE_MAX_DEPTH, HTTP_HEAD_MAX, VM_CH_BODY_MAX >> 20,
		VM_CH_TIMEOUT_S, LOCK_TIMEOUT_MAX_S);
}

void help_print_split(FILE *out)
{
	fputs("Every VM start is admitted against the split of the host's "
	      "memory;\n"
	      "status, plan and apply show each term (-j: \"split\"):\n"
	      "  committed = host.reserve\n"
	      "            + the caps of the running VMs' VFs (a vm_cap "
	      "group once)\n"
	      "            + the PFs' own firmware pages (debugfs "
	      "fw_pages_total -\n"
	      "              fw_pages_vfs; UNKNOWN when unreadable, never 0)\n"
	      "            + what idle VFs hold (the firmware's "
	      "cur_alloc_icm)\n"
	      "            + the running VMs' memory not in huge pages\n"
	      "            + the huge page pools: persistent pages "
	      "(nr_hugepages -\n"
	      "              surplus_hugepages), used or free\n"
	      "            + huge page surplus: pages the kernel takes from "
	      "ordinary\n"
	      "              memory beyond the pools (those there now, or "
	      "those the\n"
	      "              VMs' demand needs, whichever is more)\n"
	      "  headroom  = MemTotal - committed        (>= 0 to admit)\n"
	      "Huge pages, per page size: the running VMs' memory in that "
	      "size (the\n"
	      "starting VM included) is the demand on its pool. What the "
	      "persistent\n"
	      "pool does not hold, the kernel serves with surplus pages up to\n"
	      "nr_overcommit_hugepages (0 for 1 GiB pages on x86_64 until "
	      "Linux let\n"
	      "gigantic pages be overcommitted, in 2025). Demand beyond both "
	      "cannot\n"
	      "be served: QEMU fails to start the VM, or the guest gets "
	      "SIGBUS\n"
	      "later. host.admission strict and scale refuse a start whose "
	      "huge\n"
	      "pages cannot be served (exit 1), with one line naming the VM, "
	      "the\n"
	      "size, the demand, the pool, its free pages, the surplus "
	      "allowed and\n"
	      "the fix, e.g.\n"
	      "  VM big not started: its huge pages cannot be served: 1.0GiB "
	      "huge\n"
	      "  pages: demand 260 pages (this VM 260), pool 128 pages (128 "
	      "free, 0\n"
	      "  surplus), surplus allowed 0: CANNOT serve 132 pages; raise\n"
	      "  nr_hugepages to 260 (echo 260 > /sys/kernel/mm/hugepages/\n"
	      "  hugepages-1048576kB/nr_hugepages), or stop a VM using them\n"
	      "warn starts it with a warning; plan and apply report such a "
	      "size of\n"
	      "the running VMs (exit 3 unless warn), status shows it. A VM "
	      "bound to\n"
	      "host NUMA nodes (libvirt <numatune> mode strict or "
	      "restrictive, per\n"
	      "guest cell with <memnode>; Cloud Hypervisor host_numa_node) is "
	      "also\n"
	      "checked against those nodes' pools\n"
	      "(/sys/devices/system/node/nodeN/hugepages). A "
	      "nr_overcommit_hugepages\n"
	      "or a node's pool that cannot be read leaves the answer "
	      "UNKNOWN,\n"
	      "never 0: strict and scale refuse when it matters. "
	      "hugepages: manage\n"
	      "releases free pages only above what the running VMs' demand "
	      "needs, of\n"
	      "each pool and of each node set a VM is bound to.\n",
	      out);
}

void help_print_security(FILE *out)
{
	fputs("Run as root, icmquota trusts a file only as sshd's StrictModes "
	      "does: the\n"
	      "settings file, the policy, its drop-ins (policy.d and each "
	      "*.yaml in\n"
	      "it, a symlink's target too) and the journal, and every "
	      "directory above\n"
	      "them, must be owned by root and not writable by group or others "
	      "(a\n"
	      "root-owned sticky directory such as /tmp is fine). Otherwise "
	      "the "
	      "run is\n"
	      "refused (exit 1) with one line naming the file and the fix, "
	      "e.g.\n"
	      "  /etc/icmquota/policy.yaml: writable by group or others (mode "
	      "0664):\n"
	      "  root does not trust the policy; run chmod go-w "
	      "/etc/icmquota/policy.yaml\n"
	      "and the hook refuses the start whatever on_error says; policy "
	      "set/unset\n"
	      "never rewrite a tool drop-in they do not trust. A run as "
	      "another\n"
	      "user skips the check (it reads what that user may read and "
	      "cannot\n"
	      "program firmware). apply, vm start, vm stop and hook check "
	      "privileges\n"
	      "first (exit 3): root on this host, write access to the "
	      "journal's "
	      "and\n"
	      "the lock's directories on a simulated one (--root). The journal "
	      "is\n"
	      "replaced through a new O_EXCL temp file (leftovers of killed "
	      "runs are\n"
	      "removed), the lock and --trace-fw never follow a symlink, and "
	      "text\n"
	      "from outside (VM names, YAML and XML values) is printed with "
	      "control\n"
	      "characters escaped as \\xNN, on stderr, stdout and syslog.\n",
	      out);
}

static void man_section(FILE *out, const char *title, void (*print)(FILE *))
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem)
		return;
	print(mem);
	fclose(mem);
	fprintf(out, ".SH %s\n.nf\n", title);
	man_text(out, text);
	fputs(".fi\n", out);
	free(text);
}

void help_print_man(FILE *out)
{
	fprintf(out,
		".TH ICMQUOTA 8 \"\" \"icmquota %s\" \"System "
		"Administration\"\n"
		".SH NAME\nicmquota \\- cap the ICM (firmware pages) of "
		"ConnectX SR\\-IOV VFs per VM\n"
		".SH SYNOPSIS\n.B icmquota\n[\\fIOPTIONS\\fR] \\fICOMMAND\\fR "
		"[\\fIARGS\\fR]\n"
		".SH DESCRIPTION\n"
		"icmquota maps SR\\-IOV VFs to guest VMs, programs a per\\-VF "
		"cap on the\n"
		"host memory the NIC firmware may take for each VF (the "
		"VHCA_ICM_CTRL\n"
		"register) from a YAML policy, and checks the host/guest "
		"memory split\n"
		"on every VM start.\n.SH COMMANDS\n",
		ICMQUOTA_VERSION);
	for (const struct help_entry *e = help_commands; e->name; e++) {
		fprintf(out, ".SS %s\n", e->name);
		man_text(out, e->summary);
		fputs("\n.PP\n.nf\n", out);
		man_text(out, e->usage);
		fputs(".fi\n", out);
	}
	fputs(".SH OPTIONS\n.nf\n", out);
	man_text(out, help_global);
	fputs(".fi\n.SH EXIT STATUS\n.nf\n", out);
	man_text(out, help_exit_codes);
	fputs(".fi\n", out);
	man_section(out, "SETTINGS", config_print_keys);
	man_section(out, "MEMORY SPLIT", help_print_split);
	man_section(out, "LIMITS", help_print_limits);
	man_section(out, "SECURITY", help_print_security);
	fputs(".SH FILES\n/etc/icmquota/policy.yaml, "
	      "/etc/icmquota/icmquota.conf,\n"
	      "/var/lib/icmquota/state.json (the journal; beside it\n"
	      "state.json.vhca-ids, state.json.memo and\n"
	      "state.json.domains.memo, caches safe to delete; the package\n"
	      "removes the directory on purge), /run/icmquota/lock,\n"
	      "/etc/libvirt/hooks/qemu.d/icmquota (a symlink to icmquota)\n",
	      out);
}
