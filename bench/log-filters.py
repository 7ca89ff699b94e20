#!/usr/bin/env python3
"""What data-capture log filters cost a step, and what bounds them.

Runs one-step jobs whose script prints N lines through `pdstep run` and prints, for each case,
the median wall time, lines per second and peak memory:
- no filter; `key-value-data` with one key set again and again; with a new key on every line
  (the 10,000-key bound); `key-value-data-multilines` over the whole output;
- a 1-step job whose capture filter is `(.+?)\\s*=(.*)` on one line of --spaces spaces, which
  backtracks quadratically (stopped at the 30 s matching budget when it would take longer).

Usage: python3 bench/log-filters.py [--lines N] [--spaces N] [--repeats N] [--binary PATH]
Build first: bash bench/build-release.sh
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

from common import add_binary_argument

CASES = [
    ("no filter", None, "line %g of the output"),
    ("key-value-data, one key", "{type: key-value-data}", "RUNDECK:DATA:k=%g"),
    ("key-value-data, a key a line", "{type: key-value-data}", "RUNDECK:DATA:k%g=v"),
    ("multilines, whole output", "{type: key-value-data-multilines}", "key%g = value"),
]


def job(filter_line, script):
    lines = ["- name: bench", "  sequence:", "    commands:", "    - script: |", "        " + script]
    if filter_line:
        lines += ["      plugins: {LogFilter: [" + filter_line + "]}"]
    return "\n".join(lines) + "\n"


def run(binary, path):
    """Wall seconds and peak RSS (MB) of one `pdstep run`."""
    start = time.perf_counter()
    process = subprocess.Popen([binary, "run", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{path}: pdstep exited with status {status}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--spaces", type=int, default=80_000)
    parser.add_argument("--repeats", type=int, default=3)
    add_binary_argument(parser)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    print(f"{'case (' + str(args.lines) + ' lines)':<34}{'wall s':>9}{'lines/s':>12}{'peak MB':>10}")
    for name, filter_line, pattern in CASES:
        path = os.path.join(folder, "job.yaml")
        open(path, "w").write(job(filter_line, f"seq -f '{pattern}' 1 {args.lines}"))
        runs = [run(args.binary, path) for _ in range(args.repeats)]
        wall = statistics.median(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        print(f"{name:<34}{wall:>9.2f}{args.lines / wall:>12,.0f}{rss:>10.1f}")
    path = os.path.join(folder, "slow.yaml")
    script = f"printf 'x%{args.spaces}sy\\n' ''"
    open(path, "w").write(job("{type: key-value-data, config: {regex: '(.+?)\\s*=(.*)'}}", script))
    wall, rss = run(args.binary, path)
    print(f"{'backtracking, ' + str(args.spaces) + ' spaces':<34}{wall:>9.2f}{'':>12}{rss:>10.1f}")


if __name__ == "__main__":
    main()
