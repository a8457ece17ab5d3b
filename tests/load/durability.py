"""Acknowledged means durable: writers run against the release server, which
is killed with SIGKILL mid-load several times and restarted; every write it
answered 2xx must then be found.

    python3 tests/load/durability.py --binary target/release/parution \\
        --database-url sqlite:///tmp/durability.db [--kills 5] [--writers 8]

Each writer creates publications and patches the summary of its own one with
a counter. After the last restart: every acknowledged creation exists with
its title, and every writer's summary holds a counter at least as high as
the last acknowledged one (a write may commit without its answer arriving,
never the other way round). Exits 1 on any loss."""

import argparse
import json
import random
import sys
import tempfile
import threading
import time

from common import Client, Server, lost_writes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, default=28090)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--writers", type=int, default=8)
    arguments = parser.parse_args()

    log = tempfile.NamedTemporaryFile(prefix="parution-durability-", suffix=".log", delete=False).name
    server = Server(arguments.binary, arguments.database_url, arguments.port, log)
    token = server.prepare()
    created = {}  # id -> title, acknowledged
    patched = {}  # writer -> (publication id, highest acknowledged counter)
    lock = threading.Lock()
    attempted = 0

    def writer(number, stop):
        nonlocal attempted
        client = Client(arguments.port, token, timeout=10)
        counter = 0
        while not stop.is_set():
            try:
                with lock:
                    attempted += 1
                if number not in patched or random.random() < 0.5:
                    title = f"Durabilité {number}-{time.time_ns()}"
                    status, body = client.request("POST", "/api/v1/publications", {"title": title})
                    if status == 201:
                        identifier = json.loads(body)["id"]
                        with lock:
                            created[identifier] = title
                            patched.setdefault(number, (identifier, 0))
                else:
                    counter += 1
                    identifier, _ = patched[number]
                    status, _ = client.request(
                        "PATCH",
                        f"/api/v1/publications/{identifier}",
                        {"summary": f"compteur {counter}"},
                        "application/merge-patch+json",
                    )
                    if status == 200:
                        with lock:
                            patched[number] = (identifier, counter)
            except OSError:
                client = Client(arguments.port, token, timeout=10)
                time.sleep(0.01)

    for round_number in range(1, arguments.kills + 1):
        server.start()
        stop = threading.Event()
        threads = [threading.Thread(target=writer, args=(number, stop)) for number in range(arguments.writers)]
        for thread in threads:
            thread.start()
        time.sleep(random.uniform(0.5, 1.5))
        server.kill()
        stop.set()
        for thread in threads:
            thread.join()
        print(f"kill {round_number}: {len(created)} creations acknowledged so far", flush=True)

    server.start()
    client = Client(arguments.port, token)
    lost = lost_writes(client, created, patched)
    server.stop()
    acknowledged = len(created) + sum(counter for _, counter in patched.values())
    print(f"{arguments.kills} SIGKILLs, {attempted} writes attempted, {acknowledged} acknowledged, {len(lost)} lost")
    for loss in lost[:20]:
        print(f"  lost: {loss}")
    sys.exit(1 if lost or not created else 0)


if __name__ == "__main__":
    main()
