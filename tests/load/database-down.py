"""PostgreSQL killed under load: the release server runs on a PostgreSQL
cluster of its own while writers and readers keep it busy; the cluster's
postmaster is killed with SIGKILL, left down for a while, then started
again. Several outages, of different lengths, in one run.

    python3 tests/load/database-down.py --binary target/release/parution \\
        --pg-bin /usr/lib/postgresql/15/bin [--pg-port 25440] [--port 28126] \\
        [--outages 3,20] [--cluster-user parution-ci]

Passes when: no answer is a 500 (or anything but 2xx, a 4xx the load may
cause, or a 503 with `Retry-After` and the `UNAVAILABLE` problem); while
the database is down every request is answered within 2 seconds; the
first write acknowledged after the database is back comes within 10
seconds of its return; and every write acknowledged at any time is there at
the end. Prints, per outage, the requests answered while down by status,
their median and slowest time, and the recovery time."""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from common import Client, Server, lost_writes

DOWN_ANSWER_LIMIT = 2.0
RECOVERY_LIMIT = 10.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--pg-bin", required=True)
    parser.add_argument("--pg-port", type=int, default=25440)
    parser.add_argument("--port", type=int, default=28126)
    parser.add_argument("--outages", default="3,20", help="seconds down, comma-separated")
    parser.add_argument("--cluster-user", help="runs PostgreSQL as this user (needed as root)")
    parser.add_argument("--writers", type=int, default=6)
    parser.add_argument("--readers", type=int, default=4)
    arguments = parser.parse_args()

    as_user = ["runuser", "-u", arguments.cluster_user, "--"] if arguments.cluster_user else []
    cluster = tempfile.mkdtemp(prefix="parution-down-")
    os.chmod(cluster, 0o755)
    if arguments.cluster_user:
        subprocess.run(["chown", arguments.cluster_user, cluster], check=True)
    data = f"{cluster}/data"
    pg = lambda tool, *rest: as_user + [f"{arguments.pg_bin}/{tool}", *rest]  # noqa: E731
    subprocess.run(pg("initdb", "--pgdata", data, "--username", "parution", "--auth", "trust", "--encoding", "UTF8",
                      "--locale", "C.UTF-8"), check=True, stdout=subprocess.DEVNULL)
    options = f"-c listen_addresses=127.0.0.1 -p {arguments.pg_port} -k {cluster}"

    def start_cluster():
        subprocess.run(pg("pg_ctl", "--pgdata", data, "--wait", "--log", f"{cluster}/server.log", "-o", options,
                          "start"), check=True, stdout=subprocess.DEVNULL)

    def postmaster():
        with open(f"{data}/postmaster.pid") as pid_file:
            return int(pid_file.readline())

    start_cluster()
    log = f"{cluster}/parution.log"
    server = Server(arguments.binary, f"postgres://parution@127.0.0.1:{arguments.pg_port}/postgres",
                    arguments.port, log)
    failures = []
    try:
        token = server.prepare()
        server.start()
        # Every request: (started, ended, method, status, retry-after, problem code)
        answers = []
        created, patched = {}, {}
        lock = threading.Lock()
        stop = threading.Event()

        def record(client, method, started, status, body):
            code = None
            if status >= 400:
                try:
                    code = json.loads(body).get("code")
                except ValueError:
                    pass
            with lock:
                answers.append((started, time.monotonic(), method, status, client.headers.get("retry-after"), code))

        def writer(number):
            client = Client(arguments.port, token, timeout=30)
            counter = 0
            while not stop.is_set():
                started = time.monotonic()
                try:
                    if number not in patched or counter % 2 == 0:
                        title = f"Panne {number}-{time.time_ns()}"
                        status, body = client.request("POST", "/api/v1/publications", {"title": title})
                        if status == 201:
                            with lock:
                                created[json.loads(body)["id"]] = title
                                patched.setdefault(number, (json.loads(body)["id"], 0))
                    else:
                        identifier, _ = patched[number]
                        status, body = client.request("PATCH", f"/api/v1/publications/{identifier}",
                                                      {"summary": f"compteur {counter}"}, "application/merge-patch+json")
                        if status == 200:
                            with lock:
                                patched[number] = (identifier, counter)
                    counter += 1
                    record(client, "write", started, status, body)
                except OSError as error:
                    status = 0
                    with lock:
                        answers.append((started, time.monotonic(), "write", 0, None, str(error)))
                    client = Client(arguments.port, token, timeout=30)
                if status == 503:
                    time.sleep(0.05)

        def reader(number):
            client = Client(arguments.port, None, timeout=30)
            paths = ["/api/v1/publications?per_page=5", "/api/v1/categories", "/api/v1/publications?q=panne",
                     "/api/v1/publications/1"]
            index = number
            while not stop.is_set():
                started = time.monotonic()
                path = paths[index % len(paths)]
                index += 1
                try:
                    status, body = client.request("GET", path)
                    record(client, "read", started, status, body)
                except OSError as error:
                    with lock:
                        answers.append((started, time.monotonic(), "read", 0, None, str(error)))
                    client = Client(arguments.port, None, timeout=30)
                time.sleep(0.01)

        threads = [threading.Thread(target=writer, args=(number,)) for number in range(arguments.writers)]
        threads += [threading.Thread(target=reader, args=(number,)) for number in range(arguments.readers)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        for outage, seconds in enumerate(float(value) for value in arguments.outages.split(",")):
            killed_at = time.monotonic()
            os.kill(postmaster(), signal.SIGKILL)
            time.sleep(seconds)
            # The killed postmaster's backends leave once they see it gone;
            # until then a new one refuses to start.
            for attempt in range(50):
                started = subprocess.run(pg("pg_ctl", "--pgdata", data, "--wait", "--log", f"{cluster}/server.log",
                                            "-o", options, "start"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if started.returncode == 0:
                    break
                time.sleep(0.2)
            else:
                raise RuntimeError("PostgreSQL did not start again")
            back_at = time.monotonic()
            recovered_at = None
            while time.monotonic() < back_at + 30:
                with lock:
                    recovered_at = next((ended for started, ended, method, status, _, _ in answers
                                         if method == "write" and started >= back_at and status in (200, 201)), None)
                if recovered_at:
                    break
                time.sleep(0.05)
            time.sleep(2)
            with lock:
                down = [answer for answer in answers if killed_at + 0.5 <= answer[0] < back_at]
            statuses = {}
            for answer in down:
                statuses[answer[3]] = statuses.get(answer[3], 0) + 1
            times = [ended - started for started, ended, *_ in down]
            recovery = recovered_at - back_at if recovered_at else None
            print(f"outage {outage + 1}: {seconds:.0f} s down; {len(down)} requests answered meanwhile "
                  f"{dict(sorted(statuses.items()))}, median {statistics.median(times) * 1000 if times else 0:.0f} ms, "
                  f"slowest {max(times, default=0) * 1000:.0f} ms; first write acknowledged "
                  + (f"{recovery:.2f} s after the database's return" if recovery is not None else "never"), flush=True)
            if recovery is None or recovery > RECOVERY_LIMIT:
                failures.append(f"outage {outage + 1}: no write acknowledged within {RECOVERY_LIMIT} s of the return")
            slow = [answer for answer in down if answer[1] - answer[0] > DOWN_ANSWER_LIMIT]
            if slow:
                failures.append(f"outage {outage + 1}: {len(slow)} requests took over {DOWN_ANSWER_LIMIT} s while down")
            if not down:
                failures.append(f"outage {outage + 1}: no request was answered while the database was down")
        stop.set()
        for thread in threads:
            thread.join()

        bad = [answer for answer in answers
               if answer[3] == 0 or answer[3] >= 500 and (answer[3] != 503 or not answer[4] or answer[5] != "UNAVAILABLE")]
        unavailable = sum(1 for answer in answers if answer[3] == 503)
        for answer in bad[:10]:
            failures.append(f"a {answer[2]} answered {answer[3]} (Retry-After {answer[4]}, {answer[5]})")
        if len(bad) > 10:
            failures.append(f"… {len(bad) - 10} more such answers")

        client = Client(arguments.port, token)
        lost = lost_writes(client, created, patched)
        acknowledged = len(created) + sum(counter for _, counter in patched.values())
        print(f"{len(answers)} requests answered, {unavailable} with 503 + Retry-After, "
              f"{sum(1 for answer in answers if answer[3] >= 500 and answer[3] != 503)} other 5xx, "
              f"{acknowledged} writes acknowledged, {len(lost)} lost")
        failures += [f"lost: {loss}" for loss in lost[:20]]
    finally:
        server.stop()
        subprocess.run(pg("pg_ctl", "--pgdata", data, "--mode", "immediate", "stop"), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    if failures:
        print("\n".join(failures))
        print(f"the server's log: {log}")
        sys.exit(1)
    subprocess.run(["rm", "-rf", cluster])


if __name__ == "__main__":
    main()
