#!/usr/bin/env python3
"""Start-up: `pdstep --version` beside a static "hello" that imports FoundationEssentials (the
floor for a Swift binary that uses it), paired runs, medians; and each one's peak memory.

Builds the hello with `swiftc -O -static-stdlib` into a temporary folder (a few seconds).
Usage: python3 bench/startup.py [--runs 200] [--binary PATH]
Build first: bash bench/build-release.sh
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

from common import add_binary_argument


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    add_binary_argument(parser)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="pdstep-startup-")
    source = os.path.join(work, "hello.swift")
    with open(source, "w") as f:
        f.write('import FoundationEssentials\nprint("hello \\(Date().timeIntervalSince1970 > 0)")\n')
    hello = os.path.join(work, "hello")
    subprocess.run(["swiftc", "-O", "-static-stdlib", source, "-o", hello], check=True)
    subprocess.run(["strip", hello], check=True)
    times = {"pdstep --version": [], "static Essentials hello": []}
    commands = {"pdstep --version": [args.binary, "--version"], "static Essentials hello": [hello]}
    for _ in range(args.runs):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL)
            times[name].append((time.perf_counter() - start) * 1000)
    print(f"start-up, median of {args.runs} paired runs")
    print(f"{'':28}{'median ms':>10}{'size MB':>10}{'peak RSS MB':>13}")
    for name, command in commands.items():
        size = os.path.getsize(command[0]) / 1e6
        # Peak RSS of a fresh child each (ru_maxrss of the children is the largest so far).
        rss = subprocess.run(["/usr/bin/time", "-f", "%M"] + command, capture_output=True, text=True).stderr.strip().splitlines()[-1]
        print(f"{name:28}{statistics.median(times[name]):10.2f}{size:10.1f}{int(rss) / 1024:13.1f}")
    ratio = statistics.median(times["pdstep --version"]) / statistics.median(times["static Essentials hello"])
    print(f"pdstep --version / hello: {ratio:.2f}x")


if __name__ == "__main__":
    main()
