#!/usr/bin/env python3
"""Checks the deployment that `deploy/local.sh up` started, end to end:

1. requests through nginx reach both Parution servers;
2. the PostgreSQL replica answers the anonymous reads, the primary does not;
3. a write through one server is read back through the other, with a token
   at once, anonymously once replicated;
4. nginx keeps an anonymous read for its max-age, then revalidates it with
   a conditional request that Parution answers 304;
5. a publication scheduled a few seconds ahead appears through nginx and
   on both servers at its instant (within a second), and leaves at its
   expiry the same way; its release is announced once, by one server;
6. each server is restarted in turn (out of rotation, SIGTERM, back in)
   while clients read and write through nginx: no request fails and every
   acknowledged write is there.

Run with the same PARUTION_DEPLOY_* variables as deploy/local.sh (servers
from the binary or from the image alike); the
servers should run with a short PARUTION_CACHE_MAX_AGE (10 s) for steps 4 and 5.
Standard library only; psql reads the databases' statistics.
"""

import glob
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time

DIR = os.environ.get("PARUTION_DEPLOY_DIR", os.path.join(os.environ.get("TMPDIR", "/tmp"), "parution-deploy"))
NGINX = int(os.environ.get("PARUTION_DEPLOY_NGINX_PORT", "28095"))
SERVERS = [int(os.environ.get("PARUTION_DEPLOY_PORT_1", "28090")), int(os.environ.get("PARUTION_DEPLOY_PORT_2", "28091"))]
METRICS = [
    int(os.environ.get("PARUTION_DEPLOY_METRICS_PORT_1", "29090")),
    int(os.environ.get("PARUTION_DEPLOY_METRICS_PORT_2", "29091")),
]
PRIMARY = int(os.environ.get("PARUTION_DEPLOY_PRIMARY_PORT", "25450"))
REPLICA = int(os.environ.get("PARUTION_DEPLOY_REPLICA_PORT", "25451"))
LOCAL_SH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "local.sh")
# What nginx says of an answer that came from a server.
UPSTREAM = ("MISS", "EXPIRED", "REVALIDATED")
TOKEN = open(os.path.join(DIR, "token")).read().strip()


def request(port, method, path, body=None, token=None, headers=None):
    """One request on a new connection: (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {token}"
    if body is not None:
        sent["Content-Type"] = "application/json"
        body = json.dumps(body)
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def requests_answered(server):
    """How many requests server (0 or 1) has answered, by its metrics."""
    _, _, text = request(METRICS[server], "GET", "/metrics")
    counts = {}
    for line in text.decode().splitlines():
        match = re.match(r'parution_http_requests_total\{(.*)\} (\d+)', line)
        if match:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
            key = labels["status"]
            counts[key] = counts.get(key, 0) + int(match.group(2))
    return counts


def statistic(port, query):
    """One number from the statistics of the `parution` database of the server on port."""
    psql = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1]
    out = subprocess.run(
        [psql, "-XAt", "-h", "127.0.0.1", "-p", str(port), "-U", "parution", "-d", "parution", "-c", query],
        check=True, capture_output=True, text=True,
    ).stdout
    return int(out.strip())


def transactions(port):
    """Transactions committed in the `parution` database of the server on port."""
    return statistic(port, "SELECT xact_commit FROM pg_stat_database WHERE datname = 'parution'")


def publication_reads(port):
    """Scans of the publications table on the server on port: what a read of
    the API does, and what autovacuum's transactions, which the database's
    transaction count also holds, do not."""
    return statistic(
        port, "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'publications'"
    )


def in_recovery(port):
    psql = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1]
    return subprocess.run(
        [psql, "-XAt", "-h", "127.0.0.1", "-p", str(port), "-U", "parution", "-d", "parution", "-c",
         "SELECT pg_is_in_recovery()"],
        check=True, capture_output=True, text=True,
    ).stdout.strip() == "t"


def eventually(what, condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            sys.exit(f"FAILED: {what}, not within {seconds} s")
        time.sleep(0.1)


def check(what, condition, detail=""):
    if not condition:
        sys.exit(f"FAILED: {what} {detail}")
    print(f"ok: {what}")


def both_servers_and_the_replica():
    before = [sum(requests_answered(server).values()) for server in (0, 1)]
    replica_before, primary_before = transactions(REPLICA), publication_reads(PRIMARY)
    reads = 40
    for per_page in range(1, reads + 1):
        # Distinct URLs that nginx has not kept (or no longer fresh): each
        # goes to a server.
        status, headers, _ = request(NGINX, "GET", f"/api/v1/publications?per_page={per_page}")
        assert status == 200 and headers.get("x-cache-status") in UPSTREAM, (status, headers)
    after = [sum(requests_answered(server).values()) for server in (0, 1)]
    reached = [after[i] - before[i] for i in (0, 1)]
    check("requests through nginx reach both servers", min(reached) >= reads // 4, f"{reached}")
    print(f"   {reads} uncached reads through nginx: {reached[0]} and {reached[1]} answered by each server")

    check("the replica is a standby that follows the primary", in_recovery(REPLICA) and not in_recovery(PRIMARY))
    # Statistics reach pg_stat_database within about a second.
    eventually(
        "the replica committed a transaction per anonymous read",
        lambda: transactions(REPLICA) - replica_before >= reads,
    )
    replica_delta, primary_delta = transactions(REPLICA) - replica_before, publication_reads(PRIMARY) - primary_before
    check("the primary was left out of those reads", primary_delta < reads // 2, f"{primary_delta}")
    print(f"   during them: {replica_delta} transactions on the replica, {primary_delta} reads of publications on the primary")
    for server in (0, 1):
        _, _, ready = request(SERVERS[server], "GET", "/ready")
        check(f"server {server + 1} reports its replica reachable", json.loads(ready)["read_replica"]["reachable"])


def a_write_through_one_is_read_through_the_other():
    slug = f"deploiement-{int(time.time() * 1000)}"
    status, _, body = request(
        SERVERS[0], "POST", "/api/v1/publications", token=TOKEN,
        body={"slug": slug, "title": "Écrite par le premier serveur", "status": "published"},
    )
    check("a write through server 1 is acknowledged", status == 201, f"{status} {body[:200]}")
    version = json.loads(body)["version"]
    status, _, body = request(SERVERS[1], "GET", f"/api/v1/publications/{slug}", token=TOKEN)
    check(
        "server 2 gives it back at once to a request with a token (from the primary)",
        status == 200 and json.loads(body)["version"] == version,
        f"{status}",
    )
    started = time.monotonic()
    eventually(
        "server 2 gives it back to an anonymous read (from the replica)",
        lambda: request(SERVERS[1], "GET", f"/api/v1/publications/{slug}")[0] == 200,
    )
    print(f"ok: server 2 gives it back anonymously, from the replica, after {time.monotonic() - started:.3f} s")
    return slug


def stale_answers_are_revalidated(slug):
    path = f"/api/v1/publications/{slug}"
    status, headers, _ = request(NGINX, "GET", path)
    check("a first anonymous read goes to a server", status == 200 and headers["x-cache-status"] == "MISS")
    max_age = int(re.search(r"max-age=(\d+)", headers["cache-control"]).group(1))
    tag = headers["etag"]
    status, headers, _ = request(NGINX, "GET", path)
    check("the next is answered by nginx", status == 200 and headers["x-cache-status"] == "HIT")
    status, headers, _ = request(NGINX, "GET", path, headers={"If-None-Match": tag})
    check("nginx answers a matching If-None-Match with 304", status == 304, f"{status}")
    not_modified_before = sum(requests_answered(server).get("304", 0) for server in (0, 1))
    time.sleep(max_age + 1)
    status, headers, _ = request(NGINX, "GET", path)
    check(
        f"after max-age ({max_age} s), nginx revalidates: REVALIDATED, same ETag",
        status == 200 and headers["x-cache-status"] == "REVALIDATED" and headers["etag"] == tag,
        f"{status} {headers.get('x-cache-status')}",
    )
    not_modified_after = sum(requests_answered(server).get("304", 0) for server in (0, 1))
    check("a server answered that revalidation with 304", not_modified_after - not_modified_before == 1)


def metric_total(server, name):
    """The sum of a counter's series on server (0 or 1), by its metrics."""
    _, _, text = request(METRICS[server], "GET", "/metrics")
    return sum(float(line.split()[-1]) for line in text.decode().splitlines() if line.startswith(name + "{"))


def iso(at):
    """An instant (seconds since the epoch) as the API takes it."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at * 1000) % 1000:03d}Z"


def first_seen(probes, since, until):
    """Polls each probe (name -> function true once flipped) every 20 ms
    from `since` to `until`: when each first held, in ms after `since`."""
    seen = {}
    while time.time() < until and len(seen) < len(probes):
        for name, probe in probes.items():
            if name not in seen and probe():
                seen[name] = round((time.time() - since) * 1000)
        time.sleep(0.02)
    return seen


def scheduled_release_flips_at_the_instant():
    slug = f"a-paraitre-{int(time.time() * 1000)}"
    release = time.time() + 5
    # Both instants are known before any answer is made: a shared cache
    # holds only answers that know them.
    expiry = release + 4
    announced_before = sum(metric_total(server, "parution_scheduled_transitions_total") for server in (0, 1))
    status, _, body = request(
        SERVERS[0], "POST", "/api/v1/publications", token=TOKEN,
        body={"slug": slug, "title": "Étude sous embargo", "status": "scheduled", "published_at": iso(release),
              "unpublish_at": iso(expiry), "announce": True},
    )
    check("a release scheduled 5 s ahead, to expire 4 s later, is acknowledged", status == 201, f"{status} {body[:200]}")
    detail = f"/api/v1/publications/{slug}"
    listing = "/api/v1/publications?per_page=5"
    # Fill nginx's cache before the instant: the 404, the list, the calendar.
    eventually("the release is on the replica", lambda: slug.encode() in request(SERVERS[1], "GET", "/api/v1/schedule")[2])
    status, headers, _ = request(NGINX, "GET", detail)
    check("before its instant, nginx answers 404", status == 404, f"{status}")
    status, headers, _ = request(NGINX, "GET", listing)
    check("before its instant, the list leaves it out", status == 200 and slug.encode() not in request(NGINX, "GET", listing)[2])
    max_age = int(re.search(r"max-age=(\d+)", headers["cache-control"]).group(1))
    check("the list's max-age stops at the release", max_age <= release - time.time() + 1, f"max-age={max_age}")
    seen_through_nginx = []

    def detail_through_nginx():
        status, headers, _ = request(NGINX, "GET", detail)
        seen = (status, headers.get("x-cache-status"), headers.get("cache-control"))
        if not seen_through_nginx or seen_through_nginx[-1][1:] != seen:
            seen_through_nginx.append((round(time.time() - release, 3),) + seen)
        return status == 200

    probes = {
        "detail through nginx": detail_through_nginx,
        "list through nginx": lambda: slug.encode() in request(NGINX, "GET", listing)[2],
        "calendar through nginx, left": lambda: slug.encode() not in request(NGINX, "GET", "/api/v1/schedule")[2],
        "detail on server 1": lambda: request(SERVERS[0], "GET", detail)[0] == 200,
        "detail on server 2": lambda: request(SERVERS[1], "GET", detail)[0] == 200,
    }
    early = first_seen(probes, time.time(), release - 0.05)
    check("nothing shows it before its instant", not early, f"{early}")
    late = first_seen(probes, release, release + 3)
    print(f"   ms after the release when each showed it: {late}")
    if len(late) < len(probes):
        print(f"   the detail through nginx, (s from the release, status, cache status, cache-control): {seen_through_nginx}")
    check("every path shows it within 1 s of its instant", len(late) == len(probes) and max(late.values()) < 1000, f"{late}")
    eventually(
        "its release was announced",
        lambda: sum(metric_total(server, "parution_scheduled_transitions_total") for server in (0, 1)) > announced_before,
    )
    time.sleep(1.5)
    announced = sum(metric_total(server, "parution_scheduled_transitions_total") for server in (0, 1)) - announced_before
    check("its release was announced once, by one of the two servers", announced == 1, f"{announced}")
    delay = statistic(PRIMARY, "SELECT round(EXTRACT(EPOCH FROM announced_at - due_at) * 1000) FROM scheduled_transitions "
                      f"JOIN publications ON publications.id = publication_id WHERE slug = '{slug}'")
    print(f"   announced {delay} ms after its instant")

    probes = {
        "detail through nginx, 410": lambda: request(NGINX, "GET", detail)[0] == 410,
        "list through nginx, left": lambda: slug.encode() not in request(NGINX, "GET", listing)[2],
        "detail on server 1, 410": lambda: request(SERVERS[0], "GET", detail)[0] == 410,
        "detail on server 2, 410": lambda: request(SERVERS[1], "GET", detail)[0] == 410,
    }
    early = first_seen(probes, time.time(), expiry - 0.05)
    check("nothing hides it before its expiry", not early, f"{early}")
    late = first_seen(probes, expiry, expiry + 3)
    print(f"   ms after the expiry when each hid it: {late}")
    check("every path hides it within 1 s of its expiry", len(late) == len(probes) and max(late.values()) < 1000, f"{late}")
    eventually(
        "its expiry was announced",
        lambda: sum(metric_total(server, "parution_scheduled_transitions_total") for server in (0, 1)) > announced_before + 1,
    )
    time.sleep(1.5)
    announced = sum(metric_total(server, "parution_scheduled_transitions_total") for server in (0, 1)) - announced_before
    check("its release and its expiry were announced once each", announced == 2, f"{announced}")


def the_change_feed_follows_live_through_nginx():
    status, headers, body = request(NGINX, "GET", "/api/v1/changes?snapshot=false")
    check("the change feed answers through nginx, never from its cache",
          status == 200 and headers.get("cache-control") == "no-store", f"{status} {headers.get('cache-control')}")
    cursor = json.loads(body)["next_cursor"]
    slug = f"suivie-{int(time.time() * 1000)}"
    result = {}

    def follow():
        started = time.time()
        status, headers, body = request(NGINX, "GET", f"/api/v1/changes?cursor={cursor}&wait=20")
        result.update(status=status, cache=headers.get("x-cache-status"), body=json.loads(body), waited=time.time() - started)

    follower = threading.Thread(target=follow)
    follower.start()
    time.sleep(0.5)
    status, _, body = request(SERVERS[1], "POST", "/api/v1/publications", token=TOKEN,
                              body={"slug": slug, "title": "Suivie en direct", "status": "published"})
    assert status == 201, (status, body)
    follower.join()
    slugs = [event.get("slug") for event in result["body"]["data"]]
    print(f"   a long poll through nginx answered {result['waited']:.2f} s after it was sent (the write came after 0.5 s)")
    check("a long poll through nginx wakes with a write made on the other server",
          result["status"] == 200 and slug in slugs and result["waited"] < 5, f"{result}")
    check("nginx kept no copy of it", result["cache"] not in ("HIT",), f"{result['cache']}")


def rolling_restart_under_load():
    slug = f"sous-charge-{int(time.time() * 1000)}"
    status, _, body = request(
        NGINX, "POST", "/api/v1/publications", token=TOKEN,
        body={"slug": slug, "title": "Réécrite pendant les redémarrages", "status": "published"},
    )
    assert status == 201, (status, body)
    start_version = json.loads(body)["version"]
    stop = threading.Event()
    lock = threading.Lock()
    outcomes = {"reads": 0, "token reads": 0, "writes": 0}
    failures = []

    def client(number):
        turn = 0
        while not stop.is_set():
            turn += 1
            kind = ("reads", "token reads", "writes")[turn % 3]
            try:
                if kind == "reads":
                    status, _, _ = request(NGINX, "GET", f"/api/v1/publications?per_page={1 + (number * 7 + turn) % 60}")
                elif kind == "token reads":
                    status, _, _ = request(NGINX, "GET", f"/api/v1/publications/{slug}", token=TOKEN)
                else:
                    status, _, _ = request(
                        NGINX, "PATCH", f"/api/v1/publications/{slug}", token=TOKEN,
                        body={"summary": f"client {number}, tour {turn}"},
                    )
                expected = status == 200
            except OSError as error:
                status, expected = repr(error), False
            with lock:
                if expected:
                    outcomes[kind] += 1
                else:
                    failures.append((kind, status))

    clients = [threading.Thread(target=client, args=(number,)) for number in range(6)]
    for thread in clients:
        thread.start()
    started = time.monotonic()
    pids = [open(os.path.join(DIR, f"parution-{n}.pid")).read().strip() for n in (1, 2)]
    try:
        time.sleep(1)
        for server in ("1", "2"):
            subprocess.run(["bash", LOCAL_SH, "restart", server], check=True)
        time.sleep(1)
    finally:
        stop.set()
        for thread in clients:
            thread.join()
    elapsed = time.monotonic() - started
    new_pids = [open(os.path.join(DIR, f"parution-{n}.pid")).read().strip() for n in (1, 2)]
    check("both servers were restarted", all(old != new for old, new in zip(pids, new_pids)))
    total = sum(outcomes.values())
    print(f"   {total} requests in {elapsed:.1f} s through two restarts: {outcomes}")
    check("no request failed", not failures, f"{len(failures)} failures, first: {failures[:5]}")
    status, _, body = request(SERVERS[0], "GET", f"/api/v1/publications/{slug}", token=TOKEN)
    version = json.loads(body)["version"]
    check(
        "every acknowledged write is there",
        version == start_version + outcomes["writes"],
        f"version {version}, {outcomes['writes']} writes acknowledged after version {start_version}",
    )


def a_file_uploaded_through_one_is_downloaded_through_the_other(slug):
    """An upload through server 1 is downloaded through server 2 (anonymous:
    its row read from the replica, its bytes from the shared storage) and
    through nginx, ranges included."""
    report = b"%PDF-1.4\n" + b"".join(b"%% line %d of the deployment's report\n" % n for n in range(4000)) + b"%%EOF\n"
    connection = http.client.HTTPConnection("127.0.0.1", SERVERS[0], timeout=30)
    connection.request(
        "POST", f"/api/v1/publications/{slug}/attachments?title=Rapport", body=report,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/pdf",
                 "Content-Disposition": "attachment; filename*=UTF-8''rapport-d%C3%A9ploiement.pdf"},
    )
    response = connection.getresponse()
    created = json.loads(response.read())
    connection.close()
    check("server 1 stores an upload", response.status == 201, f"{response.status} {created}")
    url = created["url"]
    eventually("server 2 serves the file (row on the replica)", lambda: request(SERVERS[1], "GET", url)[0] == 200)
    status, headers, body = request(SERVERS[1], "GET", url)
    check("server 2 sends the very bytes", status == 200 and body == report, f"{status}, {len(body)} bytes")
    status, headers, body = request(NGINX, "GET", url, headers={"Range": "bytes=100-199"})
    check(
        "nginx passes a range through",
        status == 206 and body == report[100:200] and headers.get("content-range") == f"bytes 100-199/{len(report)}",
        f"{status} {headers.get('content-range')}",
    )
    status, headers, _ = request(NGINX, "GET", url)
    check(
        "a public file is cacheable for good",
        headers.get("cache-control") == "public, max-age=31536000, immutable" and "rapport-d%C3%A9ploiement.pdf" in headers.get("content-disposition", ""),
        f"{headers.get('cache-control')} / {headers.get('content-disposition')}",
    )


def main():
    both_servers_and_the_replica()
    slug = a_write_through_one_is_read_through_the_other()
    a_file_uploaded_through_one_is_downloaded_through_the_other(slug)
    stale_answers_are_revalidated(slug)
    scheduled_release_flips_at_the_instant()
    the_change_feed_follows_live_through_nginx()
    rolling_restart_under_load()
    print("the deployment passed every check")


if __name__ == "__main__":
    main()
