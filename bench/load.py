#!/usr/bin/env python3
"""The benchmark: a deterministic catalogue of N publications, imported with
`parution import`, served by the release binary and measured with wrk at
64 connections. Each query runs hot (one URL) and spread (rotating over
10 000 slugs, every category, 200 words of varied frequency); figures are
requests/s, p50, p99 and errors, each with its ratio to /health measured in
the same run. Also: import time, start-up time, RSS idle and under load.

    python3 bench/load.py --binary target/release/parution [--size 100000]
        [--database-url postgres://…] [--skip-import] [--seconds 10] [--response-cache-mb N]
        [--writes 0,1,10,100] [--smoke]

`--writes` adds the mixed mode: the spread reads again while a writer
PATCHes random published publications at each of the given rates per second
(one write in 25 moves a category to another parent and back), reporting
the reads' rates as ratios to /health, their p99, and the writes' achieved
rate and p99. `--smoke` (small N, one second a run) only proves that it
still runs.
"""
import argparse
import http.client
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import generate  # noqa: E402


def wrk(port, path, seconds, connections, paths_file=None):
    """Runs wrk; returns requests/s, p50 and p99 in ms, and error count."""
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    env = dict(os.environ)
    if paths_file:
        command += ["-s", os.path.join(os.path.dirname(__file__), "spread.lua")]
        env["PATHS_FILE"] = paths_file
    output = subprocess.run(command + [f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, env=env,
                            check=True).stdout

    def latency(label):
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    # Socket errors (wrk gives up on a request after 2 s) and non-2xx answers, apart.
    socket = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rate, latency(50), latency(99), (socket, int(non_2xx.group(1)) if non_2xx else 0)


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Writer:
    """PATCHes random published publications at `rate` per second in all
    (and, one write in 25, moves a category), from 4 clients, so that one
    slow write does not hold the others back; measures each write."""

    CLIENTS = 4

    def __init__(self, port, token, slugs, rate, seed):
        self.stopping = threading.Event()
        self.clients = [WriteClient(port, token, slugs, rate / self.CLIENTS, seed * 10 + n, self.stopping)
                        for n in range(self.CLIENTS)]

    def start(self):
        for client in self.clients:
            client.start()

    def join(self):
        for client in self.clients:
            client.join()

    def report(self):
        latencies = sorted(latency for client in self.clients for latency in client.latencies) or [0.0]
        elapsed = max(client.elapsed for client in self.clients)
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        failures = sum(client.failures for client in self.clients)
        return len(latencies) / elapsed, statistics.median(latencies), p99, failures


class WriteClient(threading.Thread):
    """One writing client, on one connection, at `rate` per second."""

    def __init__(self, port, token, slugs, rate, seed, stopping):
        super().__init__(daemon=True)
        self.port, self.token, self.slugs, self.rate = port, token, slugs, rate
        self.rng = random.Random(seed)
        self.latencies, self.failures = [], 0
        self.stopping = stopping
        self.elapsed = 1.0

    def run(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/merge-patch+json"}
        started, done = time.monotonic(), 0
        while not self.stopping.is_set():
            due = started + done / self.rate
            if due > time.monotonic():
                time.sleep(due - time.monotonic())
                continue
            if done % 25 == 24:
                parent = "theme-0" if self.rng.random() < 0.5 else "theme-1"
                path, body = "/api/v1/categories/theme-1-0", {"parent_id": parent}
            else:
                path = f"/api/v1/publications/{self.rng.choice(self.slugs)}"
                body = {"summary": f"Résumé revu {self.rng.random()}"}
            sent = time.monotonic()
            try:
                connection.request("PATCH", path, json.dumps(body), headers)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    self.failures += 1
            except OSError:
                self.failures += 1
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            self.latencies.append((time.monotonic() - sent) * 1000)
            done += 1
        self.elapsed = time.monotonic() - started


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as response:
        return json.load(response)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--port", type=int, default=28110)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--skip-import", action="store_true",
                        help="measure a database that already holds the catalogue of this size")
    parser.add_argument("--response-cache-mb", type=int,
                        help="the server's response cache (default: the server's own); 0 measures the database side")
    parser.add_argument("--writes", help="the mixed mode: write rates per second, comma-separated (0,1,10,100)")
    arguments = parser.parse_args()
    if arguments.smoke:
        arguments.size, arguments.seconds = min(arguments.size, 2000), 1
        arguments.writes = arguments.writes or "0,10"
    work = tempfile.mkdtemp(prefix="parution-bench-")
    database = arguments.database_url or f"sqlite://{work}/bench.db"
    env = dict(os.environ, PARUTION_DATABASE_URL=database, RUST_LOG="warn")
    if arguments.response_cache_mb is not None:
        env["PARUTION_RESPONSE_CACHE_MB"] = str(arguments.response_cache_mb)

    catalogue = f"{work}/catalogue.jsonl"
    with open(catalogue, "w") as out:
        subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "generate.py"), str(arguments.size)],
                       stdout=out, check=True)
    started = time.monotonic()
    if not arguments.skip_import:
        subprocess.run([arguments.binary, "import", catalogue], env=env, check=True, stderr=subprocess.DEVNULL)
    import_seconds = time.monotonic() - started
    import_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    token = None
    if arguments.writes:
        made = subprocess.run([arguments.binary, "token", "create", "--name", f"bench-{os.getpid()}"], env=env,
                              capture_output=True, text=True, check=True)
        token = made.stdout.strip()

    started = time.monotonic()
    server = subprocess.Popen([arguments.binary, "serve"], env=dict(env, PARUTION_BIND=f"127.0.0.1:{arguments.port}"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{arguments.port}/ready").read()
            break
        except OSError:
            time.sleep(0.01)
    startup_seconds = time.monotonic() - started
    rss_idle = rss_mib(server.pid)

    try:
        # The same vocabulary, in the same order, as the catalogue's.
        rng = random.Random(arguments.size)
        filler = generate.vocabulary(rng, 20000)
        rng.shuffle(filler)
        words = [filler[int(1.04 ** rank) - 1] for rank in range(200)]
        categories = [f"theme-{root}" for root in range(8)] + [f"theme-{r}-{c}" for r in range(8) for c in range(4)]
        # Drafts answer 404 without a token: spread details use published ones.
        with open(catalogue) as lines:
            published = [line["slug"] for line in map(json.loads, lines)
                         if line["type"] == "publication" and line["status"] == "published"]
        slugs = random.Random(1).sample(published, min(10_000, len(published)))
        depth = 200 if arguments.smoke else 4000
        cursor_path = "/api/v1/publications?per_page=20"
        first = get(arguments.port, cursor_path)
        cursor = first["pagination"]["next_cursor"]
        for _ in range(depth // 20 - 1):
            cursor = get(arguments.port, f"{cursor_path}&cursor={cursor}")["pagination"]["next_cursor"]
        deep = f"{cursor_path}&cursor={cursor}"

        def listed(paths):
            handle, name = tempfile.mkstemp(dir=work, suffix=".paths")
            with os.fdopen(handle, "w") as file:
                file.write("\n".join(paths) + "\n")
            return name

        queries = [
            ("/health", "/health", None),
            ("list in a category", "/api/v1/publications?category=theme-1",
             listed([f"/api/v1/publications?category={slug}" for slug in categories])),
            ("detail by slug", f"/api/v1/publications/{slugs[0]}", listed([f"/api/v1/publications/{slug}" for slug in slugs])),
            ("search", f"/api/v1/publications?q={words[0]}", listed([f"/api/v1/publications?q={word}" for word in words])),
            ("category tree", "/api/v1/categories?tree=true", None),
            ("cursor, first page", cursor_path, None),
            (f"cursor, depth {depth}", deep, None),
        ]
        rows = []
        peak = rss_idle
        for name, hot, spread in queries:
            for mode, path, paths_file in (("hot", hot, None), ("spread", hot, spread)):
                if mode == "spread" and spread is None:
                    continue
                rate, p50, p99, errors = wrk(arguments.port, path, arguments.seconds, 64, paths_file)
                peak = max(peak, rss_mib(server.pid))
                rows.append((name, mode, rate, p50, p99, errors))
        unloaded = []
        for name, hot, spread in queries:
            if spread:
                rate, p50, p99, errors = wrk(arguments.port, hot, arguments.seconds, 1, spread)
                unloaded.append((name, p50, p99, errors))
        mixed = []
        for rate in [int(rate) for rate in arguments.writes.split(",")] if arguments.writes else []:
            health_rate = wrk(arguments.port, "/health", arguments.seconds, 64)[0]
            for name, hot, spread in queries:
                if not spread:
                    continue
                writer = Writer(arguments.port, token, slugs, rate, seed=rate) if rate else None
                if writer:
                    writer.start()
                reads = wrk(arguments.port, hot, arguments.seconds, 64, spread)
                if writer:
                    writer.stopping.set()
                    writer.join()
                peak = max(peak, rss_mib(server.pid))
                mixed.append((rate, name, reads, health_rate, writer.report() if writer else None))
    finally:
        server.terminate()
        server.wait()

    health = rows[0][2]
    cache = "" if arguments.response_cache_mb is None else f", response cache {arguments.response_cache_mb} MiB"
    imported = "not imported" if arguments.skip_import else f"import {import_seconds:.1f} s (peak RSS {import_rss:.0f} MiB)"
    print(f"== {arguments.size} publications on {database.split(':')[0]}{cache}: {imported}, ready in {startup_seconds * 1000:.0f} ms, "
          f"RSS {rss_idle:.1f} MiB idle, {peak:.1f} MiB peak under load")
    print(f"{'query':<22} {'mode':<7} {'req/s':>9} {'× /health':>10} {'p50 ms':>8} {'p99 ms':>8} {'timeouts':>9} {'non-2xx':>8}")
    for name, mode, rate, p50, p99, (socket, non_2xx) in rows:
        print(f"{name:<22} {mode:<7} {rate:>9.0f} {rate / health:>10.2f} {p50:>8.2f} {p99:>8.2f} {socket:>9} {non_2xx:>8}")
    print("unloaded (1 connection, spread):")
    for name, p50, p99, (socket, non_2xx) in unloaded:
        print(f"  {name:<20} p50 {p50:.2f} ms, p99 {p99:.2f} ms, timeouts {socket}, non-2xx {non_2xx}")
    if mixed:
        print("mixed (spread reads at 64 connections while a writer PATCHes; × /health of the same rate's run):")
        print(f"{'writes/s':>8} {'query':<22} {'req/s':>9} {'× /health':>10} {'p99 ms':>8} {'non-2xx':>8}"
              f" {'writes done/s':>13} {'write p50 ms':>12} {'write p99 ms':>12} {'failed':>7}")
        for rate, name, (reads, _, p99, (_, non_2xx)), health_rate, writes in mixed:
            done, w50, w99, failures = writes or (0, 0, 0, 0)
            print(f"{rate:>8} {name:<22} {reads:>9.0f} {reads / health_rate:>10.2f} {p99:>8.2f} {non_2xx:>8}"
                  f" {done:>13.1f} {w50:>12.2f} {w99:>12.2f} {failures:>7}")
    # Slowness is reported, not failed on; an answer that is not 2xx fails.
    failed = sum(row[5][1] for row in rows) + sum(row[3][1] for row in unloaded)
    failed += sum(row[2][3][1] + (row[4][3] if row[4] else 0) for row in mixed)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
