#!/usr/bin/env python3
"""What the history costs: the time of a write that records a revision
against the same write by a build without history, and the database's size
after every publication of a catalogue was edited many times.

    python3 bench/history.py --binary target/release/parution \
        [--baseline OTHER_BINARY] [--size 100000] [--edits 20] [--clients 4] \
        [--database-url postgres://…/a --baseline-database-url postgres://…/b] [--work-dir /dev/shm]

With `--baseline` (a release binary built without history, on an empty
database of its own), both servers serve the same imported catalogue and
take turns, 10 rounds of 200 sequential PATCHes each (one client: the
latency of one write), then 5 s each of writes from `--clients` clients
(the rate under contention); the figures are medians and the ratio of the
two in the same run. Then every publication of the catalogue is patched
`--edits` times through the API (a title, a summary, a paragraph added to
the body, the authors, in turn) and the database's size is read before and
after, with the history's own share and the bytes a revision takes.
"""
import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request


def start(binary, database, port, env_extra=None):
    env = dict(os.environ, PARUTION_DATABASE_URL=database, RUST_LOG="warn", PARUTION_BIND=f"127.0.0.1:{port}",
               **(env_extra or {}))
    server = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(3000):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/ready").read()
            return server
        except OSError:
            time.sleep(0.01)
    raise SystemExit(f"the server on port {port} did not start")


def prepare(binary, database, catalogue):
    env = dict(os.environ, PARUTION_DATABASE_URL=database, RUST_LOG="warn")
    subprocess.run([binary, "import", catalogue], env=env, check=True, stderr=subprocess.DEVNULL)
    made = subprocess.run([binary, "token", "create", "--name", f"bench-{os.getpid()}-{time.monotonic_ns()}"], env=env,
                          capture_output=True, text=True, check=True)
    return made.stdout.strip()


class Client:
    """One keep-alive connection that PATCHes publications."""

    def __init__(self, port, token):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/merge-patch+json"}

    def patch(self, slug, body):
        started = time.perf_counter()
        self.connection.request("PATCH", f"/api/v1/publications/{slug}", json.dumps(body), self.headers)
        response = self.connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"PATCH {slug}: {response.status}")
        return time.perf_counter() - started


def edit(publication, round_):
    kind = round_ % 4
    if kind == 0:
        return {"title": f"{publication['title']} (révision {round_})"}
    if kind == 1:
        return {"summary": f"{publication['summary']} Révision {round_}."}
    if kind == 2:
        publication["body"] += f"<p>Ajout de la révision {round_}.</p>"
        return {"body": publication["body"]}
    return {"authors": [f"Autrice {round_}", "Auteur"]}


def size(database):
    """The database's size in bytes, and the history's (revisions and trash)."""
    if database.startswith("sqlite://"):
        import sqlite3
        path = database[len("sqlite://"):]
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        try:
            history = connection.execute(
                "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE '%publication_revisions%'").fetchone()[0]
        except sqlite3.OperationalError:
            history = None
        count = connection.execute("SELECT count(*) FROM publication_revisions").fetchone()[0]
        connection.close()
        return page_size * pages, history, count
    query = ("SELECT pg_database_size(current_database()), pg_total_relation_size('publication_revisions'), "
             "(SELECT count(*) FROM publication_revisions)")
    subprocess.run(["psql", "-qAt", database, "-c", "VACUUM ANALYZE"], check=True, capture_output=True)
    out = subprocess.run(["psql", "-qAt", "-F", " ", database, "-c", query], check=True, capture_output=True, text=True)
    total, history, count = map(int, out.stdout.split())
    return total, history, count


def mib(count):
    return f"{count / 1048576:.1f} MiB"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--baseline", help="a release binary built without history")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--database-url")
    parser.add_argument("--baseline-database-url")
    parser.add_argument("--port", type=int, default=28120)
    parser.add_argument("--work-dir", help="where the SQLite files go (a tmpfs such as /dev/shm makes the size "
                                           "measurement quicker: fsync costs nothing there; sizes are the same)")
    arguments = parser.parse_args()
    work = tempfile.mkdtemp(prefix="parution-history-", dir=arguments.work_dir)
    catalogue = f"{work}/catalogue.jsonl"
    with open(catalogue, "w") as out:
        subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "generate.py"), str(arguments.size)],
                       stdout=out, check=True)
    with open(catalogue) as lines:
        publications = [line for line in map(json.loads, lines) if line["type"] == "publication"]
    database = arguments.database_url or f"sqlite://{work}/history.db"
    token = prepare(arguments.binary, database, catalogue)
    server = start(arguments.binary, database, arguments.port)
    servers = [server]
    try:
        if arguments.baseline:
            base_database = arguments.baseline_database_url or f"sqlite://{work}/baseline.db"
            base_token = prepare(arguments.baseline, base_database, catalogue)
            servers.append(start(arguments.baseline, base_database, arguments.port + 1))
            compare(arguments, publications, [(arguments.port, token), (arguments.port + 1, base_token)])
        if arguments.edits == 0:
            return
        before = size(database)
        print(f"catalogue of {len(publications)} publications: {mib(before[0])} before any edit")
        started = time.monotonic()
        for round_ in range(1, arguments.edits + 1):
            work_list = list(publications)
            position = [0]
            lock = threading.Lock()

            def worker():
                client = Client(arguments.port, token)
                while True:
                    with lock:
                        if position[0] >= len(work_list):
                            return
                        publication = work_list[position[0]]
                        position[0] += 1
                    client.patch(publication["slug"], edit(publication, round_))

            threads = [threading.Thread(target=worker) for _ in range(arguments.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
            print(f"  edit round {round_}: {round_ * len(publications)} writes in {elapsed:.0f} s "
                  f"({round_ * len(publications) / elapsed:.0f} writes/s)", flush=True)
        after = size(database)
        total, history, count = after
        print(f"after {arguments.edits} edits of each: {mib(total)} ({mib(total - before[0])} more), "
              f"{count} revisions kept")
        if history is not None:
            print(f"  the revisions' table and index: {mib(history)}, {history / max(count, 1):.0f} bytes a revision")
        print(f"  database growth per revision: {(total - before[0]) / max(count, 1):.0f} bytes")
    finally:
        for running in servers:
            running.terminate()
            running.wait()


def compare(arguments, publications, targets):
    """Sequential latency, then throughput, of both servers in turns."""
    published = [publication for publication in publications if publication["status"] == "published"]
    rng = random.Random(7)
    latencies = {port: [] for port, _ in targets}
    for round_ in range(10):
        for port, token in targets:
            client = Client(port, token)
            for index in range(200):
                publication = rng.choice(published)
                latencies[port].append(client.patch(publication["slug"], {"summary": f"Essai {round_}-{index}"}))
    rates = {port: [] for port, _ in targets}
    for round_ in range(2):
        for port, token in targets:
            done = [0]
            stop = time.monotonic() + 5
            lock = threading.Lock()

            def worker():
                client = Client(port, token)
                local = random.Random(threading.get_ident())
                count = 0
                while time.monotonic() < stop:
                    client.patch(local.choice(published)["slug"], {"summary": f"Charge {count}"})
                    count += 1
                with lock:
                    done[0] += count

            threads = [threading.Thread(target=worker) for _ in range(arguments.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            rates[port].append(done[0] / 5)
    (current, _), (baseline, _) = targets
    median = {port: statistics.median(values) * 1000 for port, values in latencies.items()}
    p90 = {port: statistics.quantiles(values, n=10)[-1] * 1000 for port, values in latencies.items()}
    rate = {port: statistics.median(values) for port, values in rates.items()}
    print(f"one PATCH at a time (2 000 each, in turns): with history median {median[current]:.2f} ms, "
          f"p90 {p90[current]:.2f} ms; without {median[baseline]:.2f} ms, p90 {p90[baseline]:.2f} ms; "
          f"ratio {median[current] / median[baseline]:.2f}")
    print(f"{arguments.clients} clients: with history {rate[current]:.0f} writes/s, without {rate[baseline]:.0f}; "
          f"ratio {rate[current] / rate[baseline]:.2f}")


if __name__ == "__main__":
    main()
