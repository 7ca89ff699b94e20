#!/usr/bin/env python3
"""`pdstep serve` under load: how many signed webhooks a second it accepts (each written and
synced to the spool before its 202), and how long from a webhook's POST to its job's first step
(median and p99), with the spool on disk.

Starts `pdstep serve` on a routes file whose job records when it starts, posts signed v3
events (distinct ids) over one kept-alive connection, and reads the start times back.

Usage: python3 bench/serve-webhooks.py [--events 500] [--latency-events 50] [--binary PATH]
Build first: bash bench/build-release.sh
"""
import argparse
import hashlib
import hmac
import http.client
import json
import os
import statistics
import subprocess
import tempfile
import time
import urllib.parse

from common import add_binary_argument

SECRET = b"bench-webhook-secret"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500, help="events in the burst")
    parser.add_argument("--latency-events", type=int, default=50, help="events sent one at a time for the idle latency")
    add_binary_argument(parser)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="pdstep-serve-bench-")
    with open(os.path.join(work, "job.yaml"), "w") as f:
        f.write("- name: record\n  multipleExecutions: true\n  options: [{name: id}]\n  sequence:\n    commands:\n"
                "    - script: |\n        echo \"$RD_OPTION_ID $(date +%s.%N)\" >> starts.txt\n")
    with open(os.path.join(work, "routes.yaml"), "w") as f:
        f.write("- name: all\n  job: job.yaml\n  options: {id: '${event.id}'}\n")
    subprocess.run([args.binary, "keys", "put", "keys/pd/webhook", "--password-stdin"], input=SECRET, cwd=work, check=True, capture_output=True)
    serve = subprocess.Popen([args.binary, "serve", "--routes", "routes.yaml", "--concurrency", "8"], cwd=work,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = urllib.parse.urlparse(json.loads(serve.stdout.readline())["webhook_url"])
        conn = http.client.HTTPConnection(url.hostname, url.port)
        starts_file = os.path.join(work, "starts.txt")

        def post(event_id):
            body = json.dumps({"event": {"id": event_id, "event_type": "incident.triggered", "resource_type": "incident",
                                         "data": {"id": "PINC" + event_id, "title": "bench", "urgency": "high"}}}).encode()
            signature = "v1=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
            sent = time.time()
            conn.request("POST", url.path, body, {"Content-Type": "application/json", "X-PagerDuty-Signature": signature})
            response = conn.getresponse()
            response.read()
            assert response.status == 202, response.status
            return sent

        def read_starts(count, seconds=120):
            deadline = time.time() + seconds
            starts = {}
            while time.time() < deadline and len(starts) < count:
                time.sleep(0.005)
                if os.path.exists(starts_file):
                    with open(starts_file) as f:
                        starts = {p[0]: float(p[1]) for p in (line.split() for line in f) if len(p) == 2}
            return starts

        def report(what, latencies):
            latencies.sort()
            p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
            print(f"{what}: median {statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms over {len(latencies)} jobs")

        # One at a time: the latency an incident sees when pdstep is idle.
        idle = []
        for i in range(args.latency_events):
            event_id = f"L{i:06d}"
            sent = post(event_id)
            starts = read_starts(i + 1, 30)
            idle.append((starts[event_id] - sent) * 1000)
        report("webhook to job start, idle", idle)

        # A burst: how fast events are accepted (each synced to the spool before its 202), and
        # the latency when jobs queue behind the concurrency limit.
        sent = {}
        start = time.perf_counter()
        for i in range(args.events):
            sent[f"E{i:06d}"] = post(f"E{i:06d}")
        accept_seconds = time.perf_counter() - start
        print(f"accepted {args.events} signed webhooks in {accept_seconds:.2f} s: {args.events / accept_seconds:.0f} a second (each synced to the spool)")
        starts = read_starts(args.events + args.latency_events)
        report(f"webhook to job start, burst of {args.events} (8 jobs at a time)", [(starts[i] - sent[i]) * 1000 for i in sent if i in starts])
    finally:
        serve.terminate()
        serve.wait()


if __name__ == "__main__":
    main()
