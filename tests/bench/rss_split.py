#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The daemon's resident memory split into what it owns and what it shares.

    rss_split.py PID LABEL [--lib SONAME] [--detail]

/proc/PID/status gives VmRSS = RssAnon + RssFile + RssShmem. RssAnon is
the daemon's own memory: its heap, its threads' stacks and the pages of
its libraries' data it wrote to (relocations, copy-on-write); only this
process has them. RssFile is pages of the binary and its shared libraries
read from their files: the kernel keeps one copy for every process that
maps the same file, so it costs the host little more per process (PSS
divides those pages among the processes sharing them; "private" is what
the host gets back when the daemon exits). Each part is printed against
the 8 MiB target (issue 11, item 5), with the objects that make up the
shared part, largest first (/proc/PID/smaps). --lib SONAME: also the
share of that library and of the libraries only it brings (those the
binary itself does not need), found with ldd. --detail lists every
mapping's object with its Rss and Anonymous KiB.
"""
import os
import subprocess
import sys

TARGET_MIB = 8.0


def status_kib(pid):
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                fields[key] = int(rest.split()[0])
    return fields


def rollup_kib(pid):
    fields = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                fields[parts[0].rstrip(":")] = int(parts[1])
    return fields


def per_object(pid):
    """{path or [name]: [Rss KiB, Anonymous KiB]} over every mapping."""
    sizes = {}
    name = None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if not parts[0].endswith(":"):
                # A mapping's first line: range perms offset dev inode [path]
                name = " ".join(parts[5:]) if len(parts) > 5 else "[anon]"
                sizes.setdefault(name, [0, 0])
            elif parts[0] == "Rss:":
                sizes[name][0] += int(parts[1])
            elif parts[0] == "Anonymous:":
                sizes[name][1] += int(parts[1])
    return sizes


def ldd(path):
    """The real paths of the shared objects path needs, itself included."""
    out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
    found = {os.path.realpath(path)}
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts and parts.index("=>") + 1 < len(parts):
            target = parts[parts.index("=>") + 1]
            if target.startswith("/"):
                found.add(os.path.realpath(target))
        elif parts and parts[0].startswith("/"):
            found.add(os.path.realpath(parts[0]))
    return found


def verdict(mib):
    return "met" if mib < TARGET_MIB else "MISSED"


def mib(kib):
    return kib / 1024


def main():
    pid, label = int(sys.argv[1]), sys.argv[2]
    args = sys.argv[3:]
    lib = args[args.index("--lib") + 1] if "--lib" in args else None
    st = status_kib(pid)
    roll = rollup_kib(pid)
    objects = per_object(pid)
    # The file-backed part of each object: what RssFile is made of.
    files = {k: v[0] - v[1] for k, v in objects.items()
             if k.startswith("/") and v[0] - v[1] > 0}
    ranked = sorted(files.items(), key=lambda kv: -kv[1])
    rss, own = mib(st["VmRSS"]), mib(st["RssAnon"])
    shared = mib(st["RssFile"] + st.get("RssShmem", 0))
    private = mib(roll.get("Private_Clean", 0) + roll.get("Private_Dirty", 0))
    print("%s: RSS %.2f MiB = own %.2f MiB (RssAnon: heap, stacks, library "
          "data written) + shared %.2f MiB (RssFile: pages of the binary and "
          "its libraries)" % (label, rss, own, shared))
    print("%s: own memory (RssAnon) %.2f MiB  (target < %g MiB: %s)"
          % (label, own, TARGET_MIB, verdict(own)))
    why = ""
    lib_kib = 0
    if lib:
        mapped = [k for k in objects if os.path.basename(k).startswith(lib)]
        if mapped:
            exe = os.path.realpath("/proc/%d/exe" % pid)
            own_deps = ldd(exe)
            brought = ldd(mapped[0]) - own_deps
            lib_kib = sum(v[0] for k, v in objects.items()
                          if os.path.realpath(k) in brought)
            print("%s: %s and the %d libraries only it loads (not needed by "
                  "%s itself): %.2f MiB of the RSS; the rest, %.2f MiB, is "
                  "icmquota's" % (label, lib, len(brought) - 1,
                                  os.path.basename(exe), mib(lib_kib),
                                  rss - mib(lib_kib)))
    if rss >= TARGET_MIB:
        if lib_kib:
            why = (": %.2f MiB of it is %s and the libraries it loads, which "
                   "cannot be replaced; without them %.2f MiB"
                   % (mib(lib_kib), lib, rss - mib(lib_kib)))
        else:
            why = (": %.2f MiB of it is shared library pages, one copy for "
                   "every process that maps them" % shared)
    print("%s: whole RSS %.2f MiB  (target < %g MiB: %s%s)"
          % (label, rss, TARGET_MIB, verdict(rss), why))
    print("%s: PSS %.2f MiB (shared pages divided among the processes "
          "mapping them), private %.2f MiB (what the host gets back when the "
          "daemon exits)" % (label, mib(roll.get("Pss", 0)), private))
    top = ", ".join("%s %.2f" % (os.path.basename(k), mib(v))
                    for k, v in ranked[:10])
    rest = mib(sum(v for _, v in ranked[10:]))
    print("%s: shared part by object (MiB): %s%s"
          % (label, top, ", %d others %.2f" % (len(ranked) - 10, rest)
             if len(ranked) > 10 else ""))
    if "--detail" in args:
        for k, v in sorted(objects.items(), key=lambda kv: -kv[1][0]):
            print("  %8d KiB rss %8d KiB anon  %s" % (v[0], v[1], k))


if __name__ == "__main__":
    main()
