#!/usr/bin/env python3
"""Runner overhead with PagerDuty steps, peak memory, and a rate-limited burst.

1. A job of N `pagerduty-send-event` steps run by `pdstep run` against a local sandbox, beside a
   raw loop that posts the same N events over one keep-alive connection (Python http.client).
   Prints the overhead per step (pdstep's time minus the raw loop's, over N) and peak RSS.
2. Peak RSS of one step binary, and of a 10,000-step job of in-process steps.
3. A burst of E events to one routing key against a sandbox limited to L events per W seconds,
   through one `pdstep run` (which paces itself): wall time beside the theoretical minimum,
   429s received, events lost, duplicate alerts.

Usage: python3 bench/pagerduty-steps.py [--steps 1000] [--burst 600 --limit 120 --window 60]
Build first: bash bench/build-release.sh. The full-size burst takes about 5 minutes; scale it
(--limit 20 --window 10) for a quick look.
"""
import argparse
import http.client
import json
import os
import subprocess
import time
import urllib.parse

from common import LocalSandbox, add_binary_argument, work_folder, write_settings


def peak_rss_kb(command, cwd):
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + command, cwd=cwd, capture_output=True, text=True)
    return int(out.stderr.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=600)
    parser.add_argument("--limit", type=int, default=120)
    parser.add_argument("--window", type=float, default=60)
    add_binary_argument(parser)
    args = parser.parse_args()
    with LocalSandbox(args.binary) as sandbox:
        url, key, call = sandbox.url, sandbox.key, sandbox.call
        call("POST", "/_sandbox/limits", {"events": 10_000_000})
        work = work_folder(args.binary, key)
        write_settings(work, url, **{"pagerduty.events.rate_limit": 10_000_000})

        # 1. N event steps, beside a raw loop on one connection.
        job = os.path.join(work, "events.yaml")
        with open(job, "w") as f:
            f.write("- name: events\n  sequence:\n    commands:\n")
            for i in range(args.steps):
                f.write(f"    - type: pagerduty-send-event\n      configuration: {{summary: 'event {i}', source: bench, dedup_key: 'step-{i}'}}\n")
        start = time.perf_counter()
        subprocess.run([args.binary, "run", job, "--log-format", "json"], cwd=work, check=True, stdout=subprocess.DEVNULL)
        pdstep_ms = (time.perf_counter() - start) * 1000
        parsed = urllib.parse.urlparse(url)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port)
        start = time.perf_counter()
        for i in range(args.steps):
            body = json.dumps({"routing_key": key, "event_action": "trigger", "dedup_key": f"raw-{i}",
                               "payload": {"summary": f"event {i}", "source": "bench", "severity": "error"}})
            conn.request("POST", "/v2/enqueue", body=body, headers={"Content-Type": "application/json"})
            conn.getresponse().read()
        raw_ms = (time.perf_counter() - start) * 1000
        conn.close()
        job_rss = peak_rss_kb([args.binary, "run", job], work)
        step_rss = peak_rss_kb([args.binary, "send-event", "--summary", "x", "--source", "y"], work)
        big = os.path.join(work, "big.yaml")
        with open(big, "w") as f:
            f.write("- name: big\n  sequence:\n    commands:\n")
            for i in range(10_000):
                f.write(f"    - type: export-var\n      configuration: {{export: v{i % 50}, value: 'x{i}'}}\n")
        big_rss = peak_rss_kb([args.binary, "run", big], work)
        print(f"{args.steps} pagerduty-send-event steps, local sandbox")
        print(f"  pdstep run:                      {pdstep_ms:9.1f} ms  ({pdstep_ms / args.steps:.3f} ms/step)")
        print(f"  raw loop, one connection:        {raw_ms:9.1f} ms  ({raw_ms / args.steps:.3f} ms/event)")
        print(f"  pdstep overhead per step:        {(pdstep_ms - raw_ms) / args.steps:9.3f} ms")
        print("peak memory (RSS)")
        print(f"  one step binary (send-event):    {step_rss / 1024:9.1f} MB")
        print(f"  the {args.steps}-step event job:        {job_rss / 1024:9.1f} MB")
        print(f"  a 10,000-step job:               {big_rss / 1024:9.1f} MB")

        # 3. The burst.
        call("POST", "/_sandbox/reset")
        call("POST", "/_sandbox/limits", {"events": args.limit, "window_seconds": args.window})
        write_settings(work, url, **{"pagerduty.events.rate_limit": args.limit, "pagerduty.events.rate_window": f"{args.window:g}"})
        burst = os.path.join(work, "burst.yaml")
        with open(burst, "w") as f:
            f.write("- name: burst\n  sequence:\n    commands:\n")
            for i in range(args.burst):
                f.write(f"    - type: pagerduty-send-event\n      configuration: {{summary: 'burst {i}', source: bench, dedup_key: 'burst-{i}'}}\n")
        call("DELETE", "/_sandbox/requests")
        start = time.perf_counter()
        result = subprocess.run([args.binary, "run", burst], cwd=work, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        log = call("GET", "/_sandbox/requests")["requests"]
        statuses = [r["status"] for r in log if r["path"] == "/v2/enqueue"]
        state = call("GET", "/_sandbox/state")
        keys = [a["alert_key"] for i in state["incidents"] for a in i["alerts"]]
        minimum = (args.burst - 1) // args.limit * args.window
        print(f"burst of {args.burst} events to one routing key, limit {args.limit} per {args.window:g} s")
        print(f"  wall time:                       {wall:9.1f} s  (theoretical minimum {minimum:g} s, {wall / minimum if minimum else 0:.2f}x)")
        print(f"  429s received:                   {statuses.count(429):9d}")
        print(f"  events lost:                     {args.burst - len(set(keys)):9d}")
        print(f"  duplicate alerts:                {len(keys) - len(set(keys)):9d}")
        print(f"  job exit code:                   {result.returncode:9d}")


if __name__ == "__main__":
    main()
