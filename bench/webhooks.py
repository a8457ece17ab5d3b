#!/usr/bin/env python3
"""What webhooks cost a write, and how fast their deliveries follow, with
real receivers that verify every delivery with the Standard Webhooks
reference library (`pip install standardwebhooks`).

    python3 bench/webhooks.py --binary target/release/parution \
        [--database-url sqlite:///tmp/w.db | postgres://…] [--rounds 5] [--writes 200] [--burst-seconds 5]

1. Write latency: rounds of `--writes` sequential writes (a create, then a
   patch of it) with no endpoint, then with 10 endpoints registered (9
   receivers and one address where nothing listens), in turn; the medians
   of each, and their ratio, in the same run.
2. Throughput and lag: `--burst-seconds` of writes from 4 clients with the
   10 endpoints (as fast as they go, or at `--rate` events per second);
   deliveries per second to the live receivers, and the lag from each event
   to its delivery (median, p99). The receivers run in a process of their
   own, verifying every signature: on a small machine they are what bounds
   the deliveries per second, so the lag is also measured at a rate they
   keep up with.
3. Correctness: every delivery is verified by the library (a bad signature
   fails the run), every event reaches every live receiver, each message
   id once; after a secret rotation, deliveries verify with the new secret
   and with the old one (both signatures are sent for 24 hours).
"""
import argparse
import http.client
import http.server
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def receive(port):
    """The receivers, in a process of their own (so that the writers' threads
    do not slow them): each verified delivery is a line on stdout, `ok NAME
    ID LAG`, each refused one `bad NAME ERROR`; `POST /secret/NAME` (body:
    the secret, then optionally a space and the previous one) sets a
    receiver's secrets."""
    secrets = {}
    printing = threading.Lock()

    def say(line):
        with printing:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self, status):
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def do_POST(self):
            body = self.rfile.read(int(self.headers["content-length"]))
            arrived = time.time()
            kind, name = self.path.strip("/").split("/", 1)
            if kind == "secret":
                secrets[name] = body.decode().split()
                return self.answer(204)
            headers = {key.lower(): value for key, value in self.headers.items()}
            try:
                for secret in secrets[name]:
                    payload = Webhook(secret).verify(body, headers)
            except (WebhookVerificationError, KeyError) as error:
                say(f"bad {name} {error!r}".replace("\n", " "))
                return self.answer(400)
            occurred = datetime.fromisoformat(payload["timestamp"].replace("Z", "+00:00")).timestamp()
            say(f"ok {name} {headers['webhook-id']} {arrived - occurred:.6f}")
            self.answer(204)

        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        # Up to 64 attempts come at once: a longer queue than the default 5.
        request_queue_size = 256

    Server(("127.0.0.1", port), Handler).serve_forever()


class Receivers:
    """The receivers' process, and what it reports."""

    def __init__(self):
        self.port = free_port()
        self.secrets = {}
        self.received = {}
        self.lags = {}
        self.bad = 0
        self.lock = threading.Lock()
        self.process = subprocess.Popen([sys.executable, __file__, "--receive", str(self.port)],
                                        stdout=subprocess.PIPE, text=True)
        threading.Thread(target=self.read, daemon=True).start()
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", self.port)).close()
                break
            except OSError:
                time.sleep(0.01)

    def read(self):
        for line in self.process.stdout:
            parts = line.split()
            with self.lock:
                if parts[0] == "ok":
                    self.received.setdefault(parts[1], []).append(parts[2])
                    self.lags.setdefault(parts[1], []).append(float(parts[3]))
                else:
                    self.bad += 1
                    print(line.strip(), file=sys.stderr)

    def set_secret(self, name, secret, previous=None):
        self.secrets[name] = secret
        body = f"{secret} {previous}" if previous else secret
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request("POST", f"/secret/{name}", body)
        connection.getresponse().read()
        connection.close()

    def url(self, name):
        return f"http://127.0.0.1:{self.port}/r/{name}"

    def stop(self):
        self.process.terminate()


class Api:
    def __init__(self, port, token):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.token = token

    def call(self, method, path, body=None, content_type="application/json"):
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = content_type
        try:
            self.connection.request(method, path, data, headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed an idle keep-alive connection: a new one.
            self.connection.close()
            self.connection.request(method, path, data, headers)
            response = self.connection.getresponse()
        text = response.read()
        return response.status, (json.loads(text) if text else None)


def start(binary, database, port):
    env = dict(os.environ, PARUTION_DATABASE_URL=database, RUST_LOG="warn", PARUTION_BIND=f"127.0.0.1:{port}",
               PARUTION_WEBHOOKS_ALLOW_PRIVATE="true")
    server = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL)
    for _ in range(3000):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/ready").read()
            return server
        except OSError:
            time.sleep(0.01)
    raise SystemExit(f"the server on port {port} did not start")


def write_pair(api, n):
    """A create then a patch: two events."""
    status, created = api.call("POST", "/api/v1/publications",
                               {"title": f"Étude {n}", "status": "published", "published_at": "2025-01-01T00:00:00Z"})
    assert status == 201, (status, created)
    status, _ = api.call("PATCH", f"/api/v1/publications/{created['id']}", {"summary": f"Résumé {n}"},
                         "application/merge-patch+json")
    assert status == 200, status


def timed_round(api, writes, offset):
    times = []
    for n in range(writes // 2):
        started = time.perf_counter()
        write_pair(api, offset + n)
        times.append((time.perf_counter() - started) / 2)
    return statistics.median(times)


def main():
    if sys.argv[1:2] == ["--receive"]:
        return receive(int(sys.argv[2]))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--burst-seconds", type=float, default=5)
    parser.add_argument("--plain-receiver",
                        help="for the latency rounds, a URL that answers 2xx without checking (a web server's static "
                             "204, say), so that the receivers' own work does not share the machine with the writes")
    parser.add_argument("--rate", type=float, default=0,
                        help="events per second the burst's writers keep to (0: as fast as they can)")
    parser.add_argument("--port", type=int, default=28092)
    arguments = parser.parse_args()
    work = tempfile.mkdtemp(prefix="parution-webhooks-")
    database = arguments.database_url or f"sqlite://{work}/webhooks.db"
    server = start(arguments.binary, database, arguments.port)
    try:
        env = dict(os.environ, PARUTION_DATABASE_URL=database, RUST_LOG="warn")
        token = subprocess.run([arguments.binary, "token", "create", "--name", f"bench-{time.monotonic_ns()}",
                                "--scope", "admin"], env=env, capture_output=True, text=True, check=True).stdout.strip()
        api = Api(arguments.port, token)
        receivers = Receivers()
        dead = f"http://127.0.0.1:{free_port()}/nobody"

        registrations = [0]

        def register_all(plain=None):
            # Each registration its own receiver path: an attempt still in
            # flight to a deleted endpoint is checked with that endpoint's
            # secret.
            registrations[0] += 1
            ids = []
            for n in range(9):
                name = f"{registrations[0]}-{n}"
                url = f"{plain.rstrip('/')}/{name}" if plain else receivers.url(name)
                status, hook = api.call("POST", "/api/v1/webhooks", {"url": url})
                assert status == 201, hook
                receivers.set_secret(name, hook["secret"])
                ids.append(hook["id"])
            status, hook = api.call("POST", "/api/v1/webhooks", {"url": dead})
            assert status == 201, hook
            return ids + [hook["id"]]

        def delete_all(ids):
            for hook in ids:
                assert api.call("DELETE", f"/api/v1/webhooks/{hook}")[0] == 204

        # 1. Latency, rounds in turn.
        without, with_hooks = [], []
        offset = 0
        for _ in range(arguments.rounds):
            without.append(timed_round(api, arguments.writes, offset))
            offset += arguments.writes
            ids = register_all(arguments.plain_receiver)
            with_hooks.append(timed_round(api, arguments.writes, offset))
            offset += arguments.writes
            delete_all(ids)
        base, hooked = statistics.median(without), statistics.median(with_hooks)
        receiving = "a plain 204 receiver" if arguments.plain_receiver else "the verifying receivers"
        print(f"write latency ({receiving}), median of {arguments.rounds} rounds of {arguments.writes} writes: "
              f"no endpoint {base * 1000:.2f} ms, 10 endpoints (one down) {hooked * 1000:.2f} ms, "
              f"ratio {hooked / base:.3f}")

        # 2. Throughput and lag: a burst from 4 clients.
        receivers.received.clear()
        receivers.lags.clear()
        ids = register_all()
        stop = time.monotonic() + arguments.burst_seconds
        counts = [0] * 4

        def client(index):
            own = Api(arguments.port, token)
            n = 0
            # Each client writes a pair (two events) every `every` seconds.
            every = 4 * 2 / arguments.rate if arguments.rate else 0
            next_at = time.monotonic() + index * every / 4
            while time.monotonic() < stop:
                if every:
                    time.sleep(max(0.0, next_at - time.monotonic()))
                    next_at += every
                write_pair(own, 10_000_000 + index * 1_000_000 + n)
                n += 1
            counts[index] = n * 2

        started = time.monotonic()
        threads = [threading.Thread(target=client, args=(index,)) for index in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        events = sum(counts)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with receivers.lock:
                done = all(len(receivers.received.get(f"{registrations[0]}-{n}", [])) >= events for n in range(9))
            if done:
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        with receivers.lock:
            got = {name: len(ids_) for name, ids_ in receivers.received.items()}
            lags = sorted(lag for values in receivers.lags.values() for lag in values)
            duplicates = sum(len(ids_) - len(set(ids_)) for ids_ in receivers.received.values())
        names = [f"{registrations[0]}-{n}" for n in range(9)]
        missing = {name: events - got.get(name, 0) for name in names if got.get(name, 0) < events}
        print(f"burst: {events} events written in {arguments.burst_seconds:.0f} s from 4 clients "
              f"({events / arguments.burst_seconds:.0f} events/s), delivered to 9 receivers "
              f"(+1 down) in {elapsed:.1f} s: {events * 9 / elapsed:.0f} deliveries/s")
        if lags:
            p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
            print(f"delivery lag, event to receiver: median {statistics.median(lags) * 1000:.0f} ms, "
                  f"p99 {p99 * 1000:.0f} ms ({len(lags)} deliveries)")
        # 3. A rotation: both secrets verify for a while.
        status, rotated = api.call("POST", f"/api/v1/webhooks/{ids[0]}/rotate-secret")
        assert status == 200, rotated
        first = names[0]
        receivers.set_secret(first, rotated["secret"], previous=receivers.secrets[first])
        before = len(receivers.received.get(first, []))
        write_pair(api, 99_999_999)
        deadline = time.monotonic() + 30
        while len(receivers.received.get(first, [])) < before + 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        rotated_ok = len(receivers.received.get(first, [])) >= before + 2
        print(f"verified by the standardwebhooks library: bad signatures {receivers.bad}, duplicates {duplicates}, "
              f"missing {missing or 'none'}, rotation {'verified with both secrets' if rotated_ok else 'NOT delivered'}")
        if receivers.bad or missing or duplicates or not rotated_ok:
            sys.exit(1)
    finally:
        server.terminate()
        server.wait()
        if "receivers" in locals():
            receivers.stop()


if __name__ == "__main__":
    main()
