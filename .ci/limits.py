"""Every bound on input, tried against a real server: each over-limit request
is sent 200 times (4 at a time) and must answer its 4xx, quickly, while the
server's memory stays flat. Prints, per limit, the status, the median and
slowest answer, and the resident memory after each half of the requests.

    python3 .ci/limits.py BINARY PORT

A limit passes when every answer has its status (and, where the server
writes the answer, an RFC 9457 body with its code), the slowest is under a
second, the second hundred requests grow the resident set by less than
4 MiB (nothing accumulates per request), and the peak stays within 96 MiB
of the start (nothing is held in proportion to the input).
"""
import concurrent.futures
import json
import select
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

binary, port = sys.argv[1], int(sys.argv[2])
work = tempfile.mkdtemp(prefix="parution-limits-")
env = dict(os.environ, PARUTION_DATABASE_URL=f"sqlite://{work}/parution.db", RUST_LOG="error",
           PARUTION_BIND=f"127.0.0.1:{port}", PARUTION_MAX_UPLOAD_MB="8")
MIB = 1024 * 1024


def memory(pid):
    """(resident, peak resident) in MiB."""
    fields = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status"))
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def exchange(head, body=b"", stream=None):
    """Sends a request (its head, a body, then an optional generator of
    more), reads the answer; returns (status, headers, body, seconds). Stops
    sending as soon as the server answers."""
    started = time.monotonic()
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        connection.sendall(head.encode("latin-1") + body)
        answer = b""
        for chunk in stream or ():
            if select.select([connection], [], [], 0)[0]:
                break
            try:
                connection.sendall(chunk)
            except OSError:
                break
        connection.settimeout(30)

        def complete():
            head_part, found, rest = answer.partition(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head_part.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), None)
            return found and length is not None and len(rest) >= length

        while not complete():
            try:
                data = connection.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            answer += data
    finally:
        connection.close()
    took = time.monotonic() - started
    head_part, _, rest = answer.partition(b"\r\n\r\n")
    lines = head_part.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0] else 0
    headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in lines[1:] if ":" in line}
    return status, headers, rest, took


def request(method, target, headers=(), body=b"", stream=None):
    lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close", *headers]
    if body and not stream:
        lines.append(f"Content-Length: {len(body)}")
    return exchange("\r\n".join(lines) + "\r\n\r\n", body, stream)


server = None
try:
    subprocess.run([binary, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    made = subprocess.run([binary, "token", "create", "--name", "limits"], env=env, check=True,
                          capture_output=True, text=True)
    token = next(word for word in made.stdout.split() if word.startswith("prt_"))
    server = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/ready").read()
            break
        except OSError:
            time.sleep(0.05)
    auth = f"Authorization: Bearer {token}"
    json_type = "Content-Type: application/json"

    def write(method, target, document):
        status, _, answer, _ = request(method, target, [auth, json_type], json.dumps(document).encode())
        assert status in (200, 201), (target, status, answer[:300])
        return json.loads(answer)

    write("POST", "/api/v1/publications", {"title": "Étude", "slug": "etude", "status": "published"})
    for index in range(100):
        write("POST", "/api/v1/publications/etude/links", {"url": f"https://example.org/{index}", "title": f"Lien {index}"})
    for index in range(100):
        status, _, answer, _ = request("POST", f"/api/v1/publications/etude/attachments?role=annex&filename=a{index}.txt",
                                       [auth, "Content-Type: text/plain"], f"Annexe {index}.\n".encode())
        assert status == 201, answer
    write("POST", "/api/v1/publications", {"title": "Vide", "slug": "vide", "status": "published"})

    def chunked(total, piece=b"[" * 65536):
        """A chunked body of `total` bytes, never ended."""
        for _ in range(total // len(piece)):
            yield b"%x\r\n" % len(piece) + piece + b"\r\n"

    many_headers = [f"X-Extra-{index}: {'v' * 20}" for index in range(200)]
    limits = [
        # (name, status, our problem code or None for the HTTP layer's own answer, the request)
        ("body of 1 MiB + 1, declared", 413, "PAYLOAD_TOO_LARGE",
         lambda: request("POST", "/api/v1/categories", [auth, json_type],
                         b'{"name": "' + b"a" * (MIB - 11) + b'"}')),
        ("body of 64 MiB, declared, not sent", 413, "PAYLOAD_TOO_LARGE",
         lambda: exchange(f"POST /api/v1/categories HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{auth}\r\n{json_type}\r\n"
                          f"Content-Length: {64 * MIB}\r\n\r\n")),
        ("body of 64 MiB, chunked (stops at 1 MiB)", 413, "PAYLOAD_TOO_LARGE",
         lambda: request("POST", "/api/v1/categories", [auth, json_type, "Transfer-Encoding: chunked"],
                         stream=chunked(64 * MIB), body=b"")),
        ("JSON nested 1 MiB deep", 400, "MALFORMED_BODY",
         lambda: request("POST", "/api/v1/categories", [auth, json_type], b'{"name": ' + b"[" * (MIB - 10))),
        ("3 000 query values", 400, "INVALID_PARAMETER",
         lambda: request("GET", "/api/v1/publications?" + "&".join(["x=1"] * 3000))),
        ("51 categories", 400, "INVALID_PARAMETER",
         lambda: request("GET", "/api/v1/publications?" + "&".join(f"category=c{index}" for index in range(51)))),
        ("target of 17 KiB", 414, "URI_TOO_LONG",
         lambda: request("GET", "/api/v1/publications?q=" + "a" * 17000)),
        ("cursor of 16 000 characters", 400, "INVALID_PARAMETER",
         lambda: request("GET", "/api/v1/publications?cursor=" + "A" * 16000)),
        ("change-feed cursor of 16 000 characters", 400, "INVALID_PARAMETER",
         lambda: request("GET", "/api/v1/changes?cursor=" + "A" * 16000)),
        ("65 header fields", 431, "HEADERS_TOO_LARGE",
         lambda: request("GET", "/api/v1/publications/etude", many_headers[:63])),
        ("40 KiB of headers", 431, "HEADERS_TOO_LARGE",
         lambda: request("GET", "/api/v1/publications/etude", [f"X-Long: {'v' * 40000}"])),
        ("200 header fields (the HTTP layer)", 431, None,
         lambda: request("GET", "/api/v1/publications/etude", many_headers)),
        ("200 KiB of headers (the HTTP layer)", 431, None,
         lambda: request("GET", "/api/v1/publications/etude", [f"X-Long-{index}: {'v' * 8000}" for index in range(25)])),
        ("If-Match of 4 000 entity tags", 412, "PRECONDITION_FAILED",
         lambda: request("DELETE", "/api/v1/publications/vide",
                         [auth, "If-Match: " + ",".join(f'"{index}"' for index in range(1000, 5000))])),
        ("the 101st link", 409, "CONFLICT",
         lambda: request("POST", "/api/v1/publications/etude/links", [auth, json_type], b'{"url": "https://example.org/x", "title": "De trop"}')),
        ("the 101st file, 4 MiB declared, not sent", 409, "CONFLICT",
         lambda: exchange(f"POST /api/v1/publications/etude/attachments?role=annex&filename=b.pdf HTTP/1.1\r\nHost: x\r\n"
                          f"Connection: close\r\n{auth}\r\nContent-Type: application/pdf\r\nContent-Length: {4 * MIB}\r\n\r\n")),
        ("an upload of 32 MiB over an 8 MiB limit", 413, "PAYLOAD_TOO_LARGE",
         lambda: exchange(f"POST /api/v1/publications/vide/attachments?role=annex&filename=b.pdf HTTP/1.1\r\nHost: x\r\n"
                          f"Connection: close\r\n{auth}\r\nContent-Type: application/pdf\r\nContent-Length: {32 * MIB}\r\n\r\n")),
        ("an upload of 32 MiB, chunked, over an 8 MiB limit", 413, "PAYLOAD_TOO_LARGE",
         lambda: request("POST", "/api/v1/publications/vide/attachments?role=annex&filename=c.txt",
                         [auth, "Content-Type: text/plain", "Transfer-Encoding: chunked"],
                         stream=chunked(32 * MIB, b"texte " * 10000), body=b"")),
    ]
    start_rss, _ = memory(server.pid)
    print(f"resident at start: {start_rss:.1f} MiB")
    print(f"{'limit':52} {'status':>6} {'median':>9} {'slowest':>9} {'RSS 100':>9} {'RSS 200':>9} {'peak':>8}")
    failures = []
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for name, status, code, send in limits:
            rounds = []
            for _ in range(2):
                answers = list(pool.map(lambda _: send(), range(100)))
                rounds.append((answers, memory(server.pid)))
            answers = rounds[0][0] + rounds[1][0]
            times = [took for _, _, _, took in answers]
            wrong = [(got, body[:200]) for got, _, body, _ in answers if got != status]
            if code:
                for got, headers, body, _ in answers:
                    if got == status and (headers.get("content-type") != "application/problem+json"
                                          or json.loads(body)["code"] != code):
                        wrong.append((got, body[:200]))
            (_, (rss_100, _)), (_, (rss_200, peak)) = rounds
            print(f"{name:52} {status:>6} {statistics.median(times) * 1000:7.1f}ms {max(times) * 1000:7.1f}ms "
                  f"{rss_100:7.1f}Mi {rss_200:7.1f}Mi {peak:6.1f}Mi")
            if wrong:
                failures.append(f"{name}: {len(wrong)} answers not {status} {code or ''}: {wrong[:2]}")
            if max(times) >= 1.0:
                failures.append(f"{name}: the slowest answer took {max(times):.2f} s")
            if rss_200 - rss_100 >= 4:
                failures.append(f"{name}: the second hundred grew the resident set by {rss_200 - rss_100:.1f} MiB")
            if peak - start_rss >= 96:
                failures.append(f"{name}: the peak is {peak - start_rss:.1f} MiB over the start")
    status, _, answer, _ = request("GET", "/api/v1/publications/etude")
    detail = json.loads(answer)
    assert status == 200 and len(detail["links"]) == 100 and len(detail["attachments"]) == 100, "nothing changed"
    status, _, answer, _ = request("GET", "/api/v1/categories")
    assert json.loads(answer)["data"] == [], "no category was written"
    # A refused body leaves no connection open (each would hold its
    # socket's buffers for good).
    time.sleep(1)
    sockets = sum(1 for fd in os.listdir(f"/proc/{server.pid}/fd")
                  if os.readlink(f"/proc/{server.pid}/fd/{fd}").startswith("socket:"))
    print(f"sockets the server holds at the end: {sockets}")
    if sockets > 16:
        failures.append(f"{sockets} sockets are still open after the requests ended")
    end_rss, peak = memory(server.pid)
    print(f"resident at the end: {end_rss:.1f} MiB (peak {peak:.1f} MiB); the catalogue is as it was")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
finally:
    if server:
        server.terminate()
        server.wait()
