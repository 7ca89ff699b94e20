#!/usr/bin/env python3
"""Runner overhead per step.

Runs generated 1,000-step jobs through `pdstep run --log-format json` and prints:
- in-process steps (export-var): wall time per step, which is all runner overhead;
- local exec steps (`true`): wall time per step, the time the steps themselves took (from the
  step events), and the runner's own overhead per step (wall minus step time, over N);
- the same with a data-capture log filter on each step (`echo RUNDECK:DATA:k=v`, key-value-data),
  whose matching runs on a thread of its own;
- the fixed cost of one pdstep process (a job with one step).

Usage: python3 bench/runner-overhead.py [--steps N] [--binary PATH]
Build first: bash bench/build-release.sh
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

from common import add_binary_argument


def job(kind, steps):
    lines = ["- name: bench", "  sequence:", "    commands:"]
    for i in range(steps):
        if kind == "export-var":
            lines += ["    - type: export-var", "      configuration: {export: v%d, value: 'x%d'}" % (i, i)]
        elif kind == "exec":
            lines += ["    - exec: 'true'"]
        else:
            lines += ["    - exec: echo RUNDECK:DATA:k=v", "      plugins: {LogFilter: [{type: key-value-data}]}"]
    return "\n".join(lines) + "\n"


def run(binary, path, repeats):
    walls, step_ms = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        out = subprocess.run([binary, "run", path, "--log-format", "json"], capture_output=True, text=True, check=True).stdout
        walls.append((time.perf_counter() - start) * 1000)
        step_ms.append(sum(json.loads(l).get("duration_ms", 0) for l in out.splitlines() if '"step_end"' in l))
    return statistics.median(walls), statistics.median(step_ms)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    add_binary_argument(parser)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    rows = []
    base_path = os.path.join(folder, "one.yaml")
    open(base_path, "w").write(job("export-var", 1))
    base, _ = run(args.binary, base_path, args.repeats)
    for kind in ("export-var", "exec", "exec+capture"):
        path = os.path.join(folder, kind + ".yaml")
        open(path, "w").write(job(kind, args.steps))
        wall, steps = run(args.binary, path, args.repeats)
        per_step = (wall - base) / args.steps
        overhead = (wall - base - (steps if kind.startswith("exec") else 0)) / args.steps
        rows.append((kind, wall, per_step, steps / args.steps, overhead))
    print(f"pdstep process with a 1-step job: {base:.1f} ms (median of {args.repeats})")
    print(f"{'steps (' + str(args.steps) + ')':<16}{'wall ms':>10}{'per step ms':>14}{'in step ms':>12}{'runner overhead ms/step':>26}")
    for kind, wall, per_step, in_step, overhead in rows:
        print(f"{kind:<16}{wall:>10.1f}{per_step:>14.3f}{in_step:>12.3f}{overhead:>26.3f}")


if __name__ == "__main__":
    main()
