"""Shared by the load tests: a server process of the release binary on a
database, its token, and a keep-alive HTTP client. Standard library only;
traffic stays on the loopback interface."""

import http.client
import json
import os
import subprocess
import time
import urllib.request


class Server:
    """`parution serve` on `database_url`, restartable, killable."""

    def __init__(self, binary, database_url, port, log_path):
        self.binary = binary
        self.database_url = database_url
        self.port = port
        self.log_path = log_path
        self.process = None
        self.env = dict(os.environ, PARUTION_DATABASE_URL=database_url, RUST_LOG="warn")

    def command(self, *arguments):
        output = subprocess.run([self.binary, *arguments], env=self.env, check=True, capture_output=True, text=True)
        return output.stdout

    def prepare(self):
        self.command("migrate")
        self.command("seed-demo")
        created = self.command("token", "create", "--name", f"load-{os.getpid()}-{time.time_ns()}")
        return next(word for word in created.split() if word.startswith("prt_"))

    def start(self):
        log = open(self.log_path, "a")
        env = dict(self.env, PARUTION_BIND=f"127.0.0.1:{self.port}")
        self.process = subprocess.Popen([self.binary, "serve"], env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/ready", timeout=1).read()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not become ready")

    def kill(self):
        self.process.kill()
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


class Client:
    """One keep-alive connection; reconnects when the server closed it."""

    def __init__(self, port, token=None, timeout=30):
        self.port = port
        self.token = token
        self.timeout = timeout
        self.connection = None
        # The last answer's headers, names in lower case.
        self.headers = {}

    def request(self, method, path, body=None, content_type="application/json"):
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.connection.request(method, path, body=payload, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                self.headers = {name.lower(): value for name, value in response.getheaders()}
                return response.status, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.connection.close()
                self.connection = None
                if attempt == 2 or method != "GET":
                    raise
        raise RuntimeError("unreachable")


def lost_writes(client, created, patched):
    """The acknowledged writes a read finds missing after a run:
    `created` maps each publication created to its title, `patched` each
    writer to its publication and the last counter it was acknowledged
    for (its summary reads "compteur N"). An empty list when none is lost."""
    lost = []
    for identifier, title in created.items():
        status, body = client.request("GET", f"/api/v1/publications/{identifier}")
        if status != 200 or title.encode() not in body:
            lost.append(f"publication {identifier} ({status})")
    for number, (identifier, counter) in patched.items():
        status, body = client.request("GET", f"/api/v1/publications/{identifier}")
        summary = (json.loads(body).get("summary") or "") if status == 200 else ""
        found = int(summary.split()[-1]) if summary.startswith("compteur") else 0
        if found < counter:
            lost.append(f"writer {number}: summary {found} after an acknowledged {counter}")
    return lost
