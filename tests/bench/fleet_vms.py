#!/usr/bin/env python3
"""The GPU-host layout for the benches: COUNT libvirt domains, vm-I holding
virtfnI of every PF of the simulated host at ROOT (one VF per NIC), 16 GiB
of huge-page memory each, written to OUTDIR/vm-III.xml. With NEW_FILE, the
last one is named vm-new and written there instead (a VM about to start).

    fleet_vms.py ROOT OUTDIR COUNT [NEW_FILE]
"""
import os
import sys

root, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
new = sys.argv[4] if len(sys.argv) > 4 else None
devs = root + "/sys/bus/pci/devices"
pfs = sorted(d for d in os.listdir(devs)
             if os.path.exists(f"{devs}/{d}/sriov_totalvfs"))
for i in range(count):
    host = []
    for pf in pfs:
        vf = os.path.basename(os.readlink(f"{devs}/{pf}/virtfn{i}"))
        d, b, sf = vf.split(":")
        s, f = sf.split(".")
        host.append(f"<hostdev mode='subsystem' type='pci'><source><address "
                    f"domain='0x{d}' bus='0x{b}' slot='0x{s}' function='0x{f}'/>"
                    f"</source></hostdev>")
    last_new = new and i == count - 1
    name = "vm-new" if last_new else f"vm-{i}"
    path = new if last_new else f"{out}/vm-{i:03d}.xml"
    with open(path, "w") as fh:
        fh.write(f"<domain type='kvm'><name>{name}</name>"
                 f"<memory unit='GiB'>16</memory><memoryBacking><hugepages/>"
                 f"</memoryBacking><devices>{''.join(host)}</devices></domain>\n")
