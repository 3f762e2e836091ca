#!/usr/bin/env python3
"""timed.py CMD...: run CMD once (stdout to /dev/null) and print
"WALL_US CPU_US": wall time around fork/exec/wait, and user + system time
of the child from getrusage (microseconds; bash's `time` prints
milliseconds, too coarse for a 5 ms run). Exits with CMD's status."""
import resource
import subprocess
import sys
import time

before = resource.getrusage(resource.RUSAGE_CHILDREN)
start = time.perf_counter_ns()
rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
wall = (time.perf_counter_ns() - start) // 1000
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1e6
print(wall, int(cpu))
sys.exit(rc)
