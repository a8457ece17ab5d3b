"""A full volume under the database: the server runs on a small tmpfs (the
SQLite file on it; for PostgreSQL, a tablespace on it holding the
database, its WAL on the cluster's own disk), and an editor writes
publications until the volume is full. Every write then is refused with a
503 problem and `Retry-After` (never a 500, never a hang), reads go on,
every acknowledged write is there, and once the volume grows, writes work
again; SQLite's database passes `PRAGMA integrity_check` afterwards.

    python3 .ci/disk-full.py BINARY PORT [POSTGRESQL_URL CLUSTER_USER]
        (as root: it mounts a tmpfs; POSTGRESQL_URL names the cluster's
        `postgres` database as a superuser, CLUSTER_USER the system user
        its server runs as, who must own the tablespace's folder)
"""
import glob
import json
import os
import pwd
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "load"))
from common import Server  # noqa: E402

binary, port = sys.argv[1], int(sys.argv[2])
base = f"http://127.0.0.1:{port}"


def call(method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read(), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read(), time.monotonic() - started


def mount(size, owner=None):
    volume = tempfile.mkdtemp(prefix="parution-full-")
    options = f"size={size}"
    if owner is not None:
        options += f",uid={owner.pw_uid},gid={owner.pw_gid},mode=0700"
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", volume], check=True)
    return volume


def fill(database_url, volume):
    """Fills the volume under `database_url` through the server, then grows
    it: the checks of the module's description."""
    server = Server(binary, database_url, port, os.devnull)
    try:
        server.command("migrate")
        made = server.command("token", "create", "--name", "full")
        token = next(word for word in made.split() if word.startswith("prt_"))
        server.start()
        body = "<p>" + " ".join(f"mot{index}" for index in range(20000)) + "</p>"
        acknowledged, refused, slowest = [], [], 0.0
        for index in range(2000):
            status, headers, answer, took = call("POST", "/api/v1/publications", {
                "title": f"Étude {index}", "slug": f"etude-{index}", "status": "published", "body": body}, token)
            slowest = max(slowest, took)
            assert status != 500 and status < 600, f"write {index}: {status} {answer[:300]!r}"
            if status == 201:
                acknowledged.append(f"etude-{index}")
            else:
                problem = json.loads(answer)
                assert status == 503 and headers.get("retry-after") and problem["code"] == "UNAVAILABLE", (status, problem)
                assert "disk is full" in problem["detail"], problem
                refused.append(index)
                if len(refused) >= 5:
                    break
        assert refused, "the volume never filled"
        print(f"volume full after {len(acknowledged)} acknowledged writes; {len(refused)} refused with 503 + Retry-After; "
              f"slowest write {slowest * 1000:.0f} ms")
        for path in ("/api/v1/publications", f"/api/v1/publications/{acknowledged[-1]}", "/api/v1/categories", "/health"):
            status, _, _, _ = call("GET", path)
            assert status == 200, f"a read while full: {path} {status}"
        print("reads go on while the volume is full")
        subprocess.run(["mount", "-o", "remount,size=64m", volume], check=True)
        for attempt in range(20):
            status, _, answer, _ = call("POST", "/api/v1/publications", {"title": "Après", "slug": "apres"}, token)
            if status == 201:
                break
            assert status == 503, (status, answer[:200])
            time.sleep(0.25)
        assert status == 201, "writes work again once space is freed"
        print(f"writes work again once the volume grows ({attempt + 1} attempt(s))")
        lost = [slug for slug in acknowledged if call("GET", f"/api/v1/publications/{slug}")[0] != 200]
        assert not lost, f"acknowledged writes lost: {lost[:5]}"
        print(f"all {len(acknowledged)} acknowledged publications are there")
    finally:
        server.stop()


volume = mount("12m")
try:
    fill(f"sqlite://{volume}/parution.db", volume)
    database = sqlite3.connect(f"{volume}/parution.db")
    check = database.execute("PRAGMA integrity_check").fetchone()[0]
    database.close()
finally:
    subprocess.run(["umount", volume], check=False)
    os.rmdir(volume)
assert check == "ok", check
print("PRAGMA integrity_check: ok")

if len(sys.argv) > 4:
    admin_url, cluster_user = sys.argv[3], sys.argv[4]
    psql = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1]

    def sql(statement):
        subprocess.run([psql, admin_url, "-q", "-v", "ON_ERROR_STOP=1", "-c", statement], check=True)

    volume = mount("24m", pwd.getpwnam(cluster_user))
    sql(f"CREATE TABLESPACE parution_full LOCATION '{volume}'")
    sql("CREATE DATABASE parution_full TABLESPACE parution_full")
    try:
        print("PostgreSQL, the database in a tablespace on the volume:")
        fill(admin_url.rsplit("/", 1)[0] + "/parution_full", volume)
    finally:
        sql("DROP DATABASE IF EXISTS parution_full WITH (FORCE)")
        sql("DROP TABLESPACE IF EXISTS parution_full")
        subprocess.run(["umount", volume], check=False)
        os.rmdir(volume)
