"""What the benchmark scripts share: the release binary, a local sandbox, and a work folder set up
as an orchestrator would set it up (framework.properties and key storage)."""
import http.client
import json
import os
import subprocess
import tempfile
import urllib.parse

DEFAULT_BINARY = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".build", "release", "pdstep"))


def add_binary_argument(parser):
    parser.add_argument("--binary", default=DEFAULT_BINARY, help="the pdstep to measure (bash bench/build-release.sh builds it)")


class LocalSandbox:
    """`pdstep sandbox` in a process, for a `with` block: its URL, its demo routing key, and
    calls to its admin endpoints (/_sandbox/...)."""

    def __init__(self, binary):
        self.process = subprocess.Popen([binary, "sandbox"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        info = json.loads(self.process.stdout.readline())
        self.url, self.key = info["url"], info["routing_key"]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.terminate()

    def call(self, method, path, body=None):
        parsed = urllib.parse.urlparse(self.url)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port)
        conn.request(method, path, body=json.dumps(body) if body is not None else None)
        data = conn.getresponse().read()
        conn.close()
        return json.loads(data) if data else None


def work_folder(binary, routing_key):
    """A fresh folder whose key storage holds the routing key at keys/pd/routing_key."""
    work = tempfile.mkdtemp()
    subprocess.run([binary, "keys", "put", "keys/pd/routing_key", "--password-stdin"], input=routing_key, text=True, cwd=work,
                   check=True, stderr=subprocess.DEVNULL)
    return work


def write_settings(work, events_url, **settings):
    """framework.properties pointing the Events API at events_url, plus the settings given."""
    with open(os.path.join(work, "framework.properties"), "w") as f:
        f.write(f"framework.pagerduty.service.url={events_url}\npagerduty.routing_key_path=keys/pd/routing_key\n")
        for name, value in settings.items():
            f.write(f"{name}={value}\n")
