#!/usr/bin/env python3
"""The layering of ARCHITECTURE.md, enforced: every project #include must
point at a layer its file may use, and no file may reach itself through
includes. Prints one line per violation (FILE:LINE: includes X: why) and
`layering: N passed, N failed` last; exit 1 on any violation."""
import os
import re
import sys

# Rooms, most specific prefix first, and the rooms each may include.
ROOMS = [
    ("lib/", ["lib/"]),
    ("devx/", ["lib/", "devx/"]),
    ("policy/", ["lib/", "policy/"]),
    ("controller/sources/", ["lib/", "devx/", "policy/",
                             "controller/sources/"]),
    ("controller/core/", ["lib/", "devx/", "policy/", "controller/sources/",
                          "controller/core/"]),
    ("controller/daemon/", ["lib/", "devx/", "policy/", "controller/sources/",
                            "controller/core/", "controller/daemon/"]),
    # The simulator sits beside the core; its `sim` command uses only the
    # command interface of the CLI (cli.h, help.h), never a command.
    ("controller/sim/", ["lib/", "devx/", "policy/", "controller/sources/",
                         "controller/core/", "controller/sim/",
                         "controller/cli/cli.h", "controller/cli/help.h",
                         "controller/cli/report.h"]),
    ("controller/cli/", ["lib/", "devx/", "policy/", "controller/"]),
]
SOURCE_DIRS = ["lib", "devx", "policy", "controller"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def room_of(path):
    for prefix, allowed in ROOMS:
        if path.startswith(prefix):
            return prefix, allowed
    return None, None


def main(top):
    os.chdir(top)
    files = []
    for d in SOURCE_DIRS:
        for base, _, names in os.walk(d):
            files += [os.path.join(base, n) for n in sorted(names)
                      if n.endswith((".c", ".h"))]
    graph = {}
    bad = []
    for f in sorted(files):
        room, allowed = room_of(f)
        graph[f] = []
        if room is None:
            bad.append(f"{f}: in no room of ARCHITECTURE.md: move it into "
                       "one, or add the room to tests/lint/layering.py")
            continue
        with open(f, encoding="utf-8", errors="replace") as fh:
            for no, line in enumerate(fh, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                inc = m.group(1)
                if not inc.startswith(tuple(d + "/" for d in SOURCE_DIRS)):
                    bad.append(f"{f}:{no}: includes \"{inc}\": project "
                               "headers are included by their path from "
                               "the top (\"lib/err.h\")")
                    continue
                if not os.path.exists(inc):
                    bad.append(f"{f}:{no}: includes \"{inc}\", which does "
                               "not exist")
                    continue
                graph[f].append(inc)
                if not any(inc == a or (a.endswith("/") and
                                        inc.startswith(a)) for a in allowed):
                    bad.append(f"{f}:{no}: includes \"{inc}\": {room} may "
                               "use only " + ", ".join(allowed))
    # Include circles, file by file (a header reaching itself).
    state = {}
    stack = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                cyc = stack[stack.index(nxt):] + [nxt]
                bad.append("include circle: " + " -> ".join(cyc))
            elif nxt in graph and not state.get(nxt):
                visit(nxt)
        stack.pop()
        state[node] = 2

    for f in sorted(graph):
        if not state.get(f):
            visit(f)
    for b in bad:
        print(f"layering: {b}")
    checked = sum(len(v) for v in graph.values())
    print(f"layering: {len(files)} files, {checked} project includes checked")
    print(f"layering: {1 if not bad else 0} passed, {len(bad)} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
