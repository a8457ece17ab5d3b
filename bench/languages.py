#!/usr/bin/env python3
"""What searching in several languages costs: the same benchmark catalogue
of N publications (bench/generate.py), once all French and once half French,
half English (a third of the English ones translations of a French one),
each imported into a new database, served by the release binary with the
response cache off (so that every request searches) and measured with wrk
at 64 connections, spread over 200 words of varied frequency:

- `word`: the word as it is (in most cases French and English analyse it
  alike: one analysis);
- `inflected`: the word with an English ending (`-ing`), which French and
  English analyse differently: a mixed catalogue searches both analyses;
- `two words`, and `word, language=fr` (one analysis whatever the catalogue).

Each figure is requests/s, p50, p99 and non-2xx answers, with its ratio to
/health measured in the same run; the last table divides the mixed
catalogue's ratios by the French one's.

    python3 bench/languages.py --binary target/release/parution [--size 100000]
        [--database-url postgres://user@host:port/name] [--seconds 10]

With PostgreSQL, databases `name_fr` and `name_mixed` are made afresh on
that server (with `psql`).
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import generate  # noqa: E402
from load import wrk  # noqa: E402


def fresh_database(url, suffix, work, psql):
    """A new, empty database for one catalogue."""
    if not url:
        return f"sqlite://{work}/{suffix}.db"
    server, name = url.rsplit("/", 1)
    database = f"{name}_{suffix}"
    for statement in (f'DROP DATABASE IF EXISTS "{database}"', f'CREATE DATABASE "{database}"'):
        subprocess.run([psql, "-q", f"{server}/postgres", "-c", statement], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return f"{server}/{database}"


def measure(binary, size, languages, database_url, seconds, port, work, psql):
    catalogue = f"{work}/{languages}.jsonl"
    with open(catalogue, "w") as out:
        subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "generate.py"), str(size), languages],
                       stdout=out, check=True)
    database = fresh_database(database_url, languages, work, psql)
    env = dict(os.environ, PARUTION_DATABASE_URL=database, RUST_LOG="warn", PARUTION_RESPONSE_CACHE_MB="0")
    started = time.monotonic()
    subprocess.run([binary, "import", catalogue], env=env, check=True, stderr=subprocess.DEVNULL)
    imported = time.monotonic() - started
    server = subprocess.Popen([binary, "serve"], env=dict(env, PARUTION_BIND=f"127.0.0.1:{port}"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ready").read()
                break
            except OSError:
                time.sleep(0.05)
        # The catalogue's own vocabulary, in the generator's order.
        rng = random.Random(size)
        filler = generate.vocabulary(rng, 20000)
        rng.shuffle(filler)
        words = [filler[int(1.04 ** rank) - 1] for rank in range(200)]

        def listed(name, paths):
            path = f"{work}/{languages}-{name}.paths"
            with open(path, "w") as file:
                file.write("\n".join(paths) + "\n")
            return path

        pairs = [f"{words[index]}%20{words[(index * 7 + 3) % len(words)]}" for index in range(len(words))]
        queries = [
            ("word", listed("word", [f"/api/v1/publications?q={word}" for word in words])),
            ("inflected", listed("inflected", [f"/api/v1/publications?q={word}ing" for word in words])),
            ("two words", listed("pairs", [f"/api/v1/publications?q={pair}" for pair in pairs])),
            ("word, language=fr", listed("french", [f"/api/v1/publications?q={word}&language=fr" for word in words])),
        ]
        health = wrk(port, "/health", seconds, 64)[0]
        rows = []
        for name, paths in queries:
            rate, p50, p99, (_, non_2xx) = wrk(port, f"/api/v1/publications?q={words[0]}", seconds, 64, paths)
            rows.append((name, rate, rate / health, p50, p99, non_2xx))
    finally:
        server.terminate()
        server.wait()
    return imported, health, rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--port", type=int, default=28120)
    parser.add_argument("--psql", default="psql", help="the psql that makes the PostgreSQL databases")
    arguments = parser.parse_args()
    work = tempfile.mkdtemp(prefix="parution-bench-languages-")
    backend = "postgresql" if arguments.database_url else "sqlite"
    results = {}
    for languages in ("fr", "mixed"):
        imported, health, rows = measure(arguments.binary, arguments.size, languages, arguments.database_url,
                                         arguments.seconds, arguments.port, work, arguments.psql)
        results[languages] = rows
        print(f"== {arguments.size} publications ({languages}) on {backend}, response cache off: "
              f"import {imported:.1f} s, /health {health:.0f} req/s")
        print(f"{'search':<20} {'req/s':>9} {'× /health':>10} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
        for name, rate, ratio, p50, p99, non_2xx in rows:
            print(f"{name:<20} {rate:>9.0f} {ratio:>10.3f} {p50:>8.2f} {p99:>8.2f} {non_2xx:>8}")
    print(f"== mixed ÷ French-only, of the × /health ratios ({backend}):")
    for (name, _, french, *_), (_, _, mixed, *_) in zip(results["fr"], results["mixed"]):
        print(f"{name:<20} {mixed / french:>6.2f}")
    failed = sum(row[5] for rows in results.values() for row in rows)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
