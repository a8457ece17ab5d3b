#!/usr/bin/env python3
"""Measures a running Parution server: the median latency of each request
over many sequential requests on one keep-alive connection, and its ratio
to the server's own /health in the same run.

Usage: measure.py HOST:PORT [REQUESTS]
"""
import http.client
import statistics
import sys
import time

PATHS = [
    ("health", "/health"),
    ("detail", "/api/v1/publications/p-100"),
    ("list, first page", "/api/v1/publications"),
    ("list, page 200", "/api/v1/publications?page=200"),
    ("list by category", "/api/v1/publications?category=theme-1"),
    ("list by title", "/api/v1/publications?sort=title"),
    ("search, one word", "/api/v1/publications?q=musique"),
    ("search, two words", "/api/v1/publications?q=musique+patrimoine"),
    ("search, phrase", "/api/v1/publications?q=%22droits+auteurs%22"),
    ("search + facets", "/api/v1/publications?q=musique&facets=category,year,language"),
    ("categories", "/api/v1/categories"),
]


def main():
    host, port = sys.argv[1].split(":")
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    connection = http.client.HTTPConnection(host, int(port))
    results = {}
    for name, path in PATHS:
        timings = []
        for attempt in range(requests + 10):
            start = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - start
            if response.status != 200:
                sys.exit(f"{path}: {response.status} {body[:200]!r}")
            if attempt >= 10:  # the first ones warm the caches
                timings.append(elapsed)
        results[name] = (statistics.median(timings), len(body))
    health = results["health"][0]
    print(f"{'request':<22} {'median ms':>10} {'x health':>9} {'bytes':>8}")
    for name, (median, size) in results.items():
        print(f"{name:<22} {median * 1000:>10.2f} {median / health:>9.1f} {size:>8}")


if __name__ == "__main__":
    main()
