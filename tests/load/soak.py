"""Mixed reads and writes at 64 connections against the release server: no
error, no 5xx, and the server's memory flat once warm.

    python3 tests/load/soak.py --binary target/release/parution \\
        --database-url sqlite:///tmp/soak.db [--seconds 60] [--connections 64]

Four requests in five read (lists, searches with facets, details, the
category tree, feeds), one writes (creations, patches without If-Match,
links). Memory is sampled every second; after the first quarter (warm-up)
it must grow by less than 20 % and 16 MiB. Exits 1 otherwise."""

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from collections import Counter

from common import Client, Server

READS = [
    "/api/v1/publications",
    "/api/v1/publications?per_page=50&facets=category,year,language",
    "/api/v1/publications?q=concertation&facets=category",
    "/api/v1/publications?q=developpeurs",
    "/api/v1/publications/concertation-fournisseurs-ia-ayants-droit",
    "/api/v1/categories?tree=true",
    "/api/v1/categories/etudes-publications/publications",
    "/api/v1/feeds/publications.atom",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, default=28091)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=64)
    arguments = parser.parse_args()

    log = tempfile.NamedTemporaryFile(prefix="parution-soak-", suffix=".log", delete=False).name
    server = Server(arguments.binary, arguments.database_url, arguments.port, log)
    token = server.prepare()
    server.start()
    statuses = Counter()
    errors = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + arguments.seconds

    def worker(number):
        client = Client(arguments.port, token)
        own = None
        while time.monotonic() < deadline:
            try:
                if random.random() < 0.8:
                    status, _ = client.request("GET", random.choice(READS))
                elif own is None or random.random() < 0.3:
                    status, body = client.request(
                        "POST", "/api/v1/publications",
                        {"title": f"Endurance {number} {time.time_ns()}", "status": "published",
                         "categories": ["etudes-publications"]})
                    if status == 201:
                        own = json.loads(body)["id"]
                elif random.random() < 0.5:
                    status, _ = client.request(
                        "PATCH", f"/api/v1/publications/{own}", {"summary": f"Résumé {time.time_ns()}"},
                        "application/merge-patch+json")
                else:
                    status, _ = client.request(
                        "POST", f"/api/v1/publications/{own}/links",
                        {"target": "concertation-fournisseurs-ia-ayants-droit"})
                with lock:
                    statuses[status] += 1
            except Exception as error:  # every failure counts, whatever its kind
                with lock:
                    errors[type(error).__name__] += 1
                client = Client(arguments.port, token)

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(arguments.connections)]
    for thread in threads:
        thread.start()
    samples = []
    started = time.monotonic()
    while time.monotonic() < deadline:
        samples.append((time.monotonic() - started, server.rss_kib()))
        time.sleep(1)
    for thread in threads:
        thread.join()
    samples.append((time.monotonic() - started, server.rss_kib()))
    server.stop()

    total = sum(statuses.values())
    server_errors = sum(count for status, count in statuses.items() if status >= 500)
    warm = [rss for at, rss in samples if at >= arguments.seconds / 4]
    warm_start, warm_peak = warm[0], max(warm)
    growth = warm_peak - warm_start
    print(f"{total} requests in {arguments.seconds:.0f} s at {arguments.connections} connections "
          f"({total / arguments.seconds:.0f}/s): statuses {dict(sorted(statuses.items()))}, errors {dict(errors)}")
    print(f"RSS: {samples[0][1] / 1024:.1f} MiB at start, {warm_start / 1024:.1f} MiB once warm, "
          f"peak {warm_peak / 1024:.1f} MiB after ({growth / 1024:+.1f} MiB)")
    flat = growth < max(0.2 * warm_start, 16 * 1024)
    unexpected = {status: count for status, count in statuses.items() if status not in (200, 201)}
    if errors or server_errors or unexpected or not flat:
        print(f"FAILED: errors {dict(errors)}, unexpected statuses {unexpected}, memory flat: {flat}")
        sys.exit(1)


if __name__ == "__main__":
    main()
