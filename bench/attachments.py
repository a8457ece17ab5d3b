#!/usr/bin/env python3
"""What files cost: a large upload's throughput and the server's memory
while it streams, a large download's throughput, many connections asking
random byte ranges of one file, and the time a 24-megapixel photo's copies
take — with the files in a local folder or in S3-compatible storage.

    python3 bench/attachments.py --binary target/release/parution \
        [--storage-url file:///tmp/files | s3://bucket/prefix] [--database-url …] \
        [--size-mib 100] [--seconds 10] [--connections 64] [--port 28120]

For S3, the AWS_* variables name the endpoint and keys (AWS_ENDPOINT,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ALLOW_HTTP=true for plain
HTTP). The upload and the download are each made 3 times; the figures are
medians. The server's RSS is sampled every 5 ms during the uploads: the
growth is the peak less the RSS before. The ranges are asked by wrk (64 KiB
at a random offset, `--connections` connections, `--seconds` seconds), and
/health is asked the same way in the same run, for the ratio. The photo is
made with Pillow (6 000 × 4 000 pixels, JPEG): its upload is timed against
the upload of a PDF of the same size, and the difference is the copies'.
"""
import argparse
import http.client
import io
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

MIB = 1024 * 1024


def start(binary, database, storage, port):
    env = dict(os.environ, PARUTION_DATABASE_URL=database, PARUTION_STORAGE_URL=storage, RUST_LOG="warn",
               PARUTION_BIND=f"127.0.0.1:{port}", PARUTION_MAX_UPLOAD_MB="1024")
    server = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(3000):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/ready").read()
            return server
        except OSError:
            time.sleep(0.01)
    raise SystemExit(f"the server on port {port} did not start")


def token(binary, database):
    env = dict(os.environ, PARUTION_DATABASE_URL=database, RUST_LOG="warn")
    made = subprocess.run([binary, "token", "create", "--name", f"bench-{os.getpid()}-{time.monotonic_ns()}"],
                          env=env, capture_output=True, text=True, check=True)
    return made.stdout.strip()


def rss(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Peak(threading.Thread):
    """Samples a process's RSS until stopped; keeps the highest."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, rss(pid), True

    def run(self):
        while self.running:
            self.peak = max(self.peak, rss(self.pid))
            time.sleep(0.005)

    def stop(self):
        self.running = False
        self.join()
        return self.peak


class Body(io.RawIOBase):
    """`size` bytes: a PDF's head, then a block of pseudo-random bytes (made
    once, so that the client costs little) over and over."""

    def __init__(self, size, seed):
        block = bytearray(random.Random(seed).randbytes(MIB))
        head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
        block[:len(head)] = head
        self.left, self.block, self.offset = size, bytes(block), 0

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.left <= 0:
            return 0
        count = min(len(buffer), self.left, MIB - self.offset)
        buffer[:count] = self.block[self.offset:self.offset + count]
        self.offset = (self.offset + count) % MIB
        self.left -= count
        return count


def upload(port, bearer, slug, body, size, media_type, query=""):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600, blocksize=MIB)
    started = time.perf_counter()
    connection.request("POST", f"/api/v1/publications/{slug}/attachments{query}", body=body, headers={
        "Authorization": f"Bearer {bearer}", "Content-Type": media_type, "Content-Length": str(size)})
    response = connection.getresponse()
    answer = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    if response.status != 201:
        raise SystemExit(f"upload: {response.status} {answer[:300]!r}")
    return json.loads(answer), elapsed


def download(port, url):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request("GET", url)
    response = connection.getresponse()
    received = 0
    while True:
        chunk = response.read(MIB)
        if not chunk:
            break
        received += len(chunk)
    elapsed = time.perf_counter() - started
    connection.close()
    return received, elapsed


WRK_SCRIPT = """
local size = {size}
local span = 65536
math.randomseed(os.time())
request = function()
  local first = math.random(0, size - span)
  return wrk.format("GET", "{url}", {{["Range"] = "bytes=" .. first .. "-" .. (first + span - 1)}})
end
local statuses = {{}}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
done = function(summary, latency, requests)
  io.write(string.format("errors %d %d %d %d %d\\n", summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout))
end
"""


def wrk(port, path, seconds, connections, script=None):
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        command += ["-s", script]
    output = subprocess.run(command + [f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                            check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, socket.groups())) if socket else 0)
    median = re.search(r"50%\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[median.group(2)]
    return rate, errors, float(median.group(1)) * scale


def photo(width, height):
    """A photo's worth of detail: a gradient under noise, in colour."""
    from PIL import Image
    gradient = Image.radial_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 48)
    image = Image.merge("RGB", (gradient, noise, Image.blend(gradient, noise, 0.5)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--storage-url")
    parser.add_argument("--database-url")
    parser.add_argument("--size-mib", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=28120)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="parution-bench-files-")
    database = args.database_url or f"sqlite://{work}/bench.db"
    storage = args.storage_url or f"file://{work}/files"
    size = args.size_mib * MIB
    subprocess.run([args.binary, "migrate"], env=dict(os.environ, PARUTION_DATABASE_URL=database, RUST_LOG="warn"),
                   check=True)
    bearer = token(args.binary, database)
    server = start(args.binary, database, storage, args.port)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", args.port)
        slug = f"bench-fichiers-{os.getpid()}"
        connection.request("POST", "/api/v1/publications", body=json.dumps({"title": slug, "status": "published"}),
                           headers={"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"})
        response = connection.getresponse()
        slug = json.loads(response.read())["slug"]
        print(f"storage {storage.split('?')[0]}, database {database.split('@')[-1]}, {args.size_mib} MiB files")

        uploads, growths, downloads, url = [], [], [], None
        for round_ in range(args.rounds):
            before = rss(server.pid)
            peak = Peak(server.pid)
            peak.start()
            attachment, elapsed = upload(args.port, bearer, slug, Body(size, round_), size, "application/pdf")
            growths.append((peak.stop() - before) / MIB)
            uploads.append(size / elapsed / 1e6)
            url = attachment["url"]
            received, elapsed = download(args.port, url)
            if received != size:
                raise SystemExit(f"download: {received} bytes of {size}")
            downloads.append(size / elapsed / 1e6)
        print(f"upload: median {statistics.median(uploads):.0f} MB/s ({', '.join(f'{x:.0f}' for x in uploads)}); "
              f"server RSS growth while streaming: median {statistics.median(growths):.1f} MiB, "
              f"max {max(growths):.1f} MiB")
        print(f"download: median {statistics.median(downloads):.0f} MB/s ({', '.join(f'{x:.0f}' for x in downloads)})")

        script = os.path.join(work, "ranges.lua")
        with open(script, "w") as out:
            out.write(WRK_SCRIPT.format(size=size, url=url))
        health, health_errors, health_median = wrk(args.port, "/health", args.seconds, args.connections)
        ranges, range_errors, range_median = wrk(args.port, url, args.seconds, args.connections, script)
        print(f"random 64 KiB ranges, {args.connections} connections, {args.seconds} s: {ranges:.0f} requests/s "
              f"({ranges * 65536 / 1e6:.0f} MB/s), median {range_median:.2f} ms, {range_errors} errors; "
              f"/health {health:.0f} requests/s ({health_errors} errors): ratio {ranges / health:.3f}")

        try:
            jpeg = photo(6000, 4000)
        except ImportError:
            print("cover copies: skipped (Pillow is not installed)")
            jpeg = None
        if jpeg:
            plain, copies = [], []
            for _ in range(args.rounds):
                _, elapsed = upload(args.port, bearer, slug, Body(len(jpeg), 7), len(jpeg), "application/pdf")
                plain.append(elapsed)
                made, elapsed = upload(args.port, bearer, slug, jpeg, len(jpeg), "image/jpeg",
                                       "?role=cover&alt=Photo")
                copies.append(elapsed)
            widths = [variant["width"] for variant in made["variants"]]
            print(f"cover copies of a 24-megapixel JPEG ({len(jpeg) / MIB:.1f} MiB, copies {widths}): upload "
                  f"median {statistics.median(copies):.2f} s against {statistics.median(plain):.2f} s for a PDF of "
                  f"the same size: the copies take {statistics.median(copies) - statistics.median(plain):.2f} s")
        if range_errors or health_errors:
            sys.exit(1)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
