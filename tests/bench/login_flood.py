#!/usr/bin/env python3
"""Login flood against a running ticket-service (see login_flood.sh, which starts one).

Sends N concurrent wrong logins (one TCP connection each, each with its own address in
X-Forwarded-For, which the service believes from 127.0.0.1 when trusted_proxies says so)
while a probe requests GET / once every 10 ms over one kept-alive connection, and samples
the service's resident memory from /proc. Prints GET / p50/p99 before and during the flood,
the peak RSS (VmHWM and the sampled peak), the login answers by status and the flood's wall
time. Raw sockets and asyncio only: no third-party packages.
"""
import argparse
import asyncio
import re
import statistics
import time
import urllib.parse


async def request(reader, writer, raw):
    writer.write(raw)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    m = re.search(rb"(?i)content-length:\s*(\d+)", head)
    body = await reader.readexactly(int(m.group(1))) if m else b""
    return status, head, body


def get(path, extra=""):
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\n{extra}\r\n".encode()


async def csrf_pair(port):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    _, head, body = await request(r, w, get("/login"))
    w.close()
    cookies = re.findall(rb"(?i)set-cookie:\s*([^;\r\n]+)", head)
    token = re.search(rb'name="csrf" value="([^"]+)"', body).group(1).decode()
    return token, "; ".join(c.decode() for c in cookies)


async def wrong_login(port, i, email, token, cookie, statuses):
    # "*": a different unknown account each time, so no per-account limit stops the hashing.
    who = f"flood{i}@example.com" if email == "*" else email
    form = urllib.parse.urlencode(
        {"csrf": token, "email": who, "password": f"wrong-password-{i}"}
    ).encode()
    xff = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255 or 1}"
    raw = (
        f"POST /login HTTP/1.1\r\nHost: bench\r\nCookie: {cookie}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(form)}\r\n"
        f"X-Forwarded-For: {xff}\r\nOrigin: http://127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    ).encode() + form
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        status, _, _ = await request(r, w, raw)
        w.close()
    except Exception as e:  # a refused or reset connection counts too
        status = type(e).__name__
    statuses[status] = statuses.get(status, 0) + 1


async def probe(port, stop, times):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    while not stop.is_set():
        t = time.perf_counter()
        status, _, _ = await request(r, w, get("/"))
        times.append((time.perf_counter() - t) * 1000)
        assert status == 200, status
        await asyncio.sleep(0.01)
    w.close()


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


async def sample(pid, stop, peak):
    while not stop.is_set():
        peak[0] = max(peak[0], rss_kib(pid, "VmRSS"))
        await asyncio.sleep(0.02)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))] if values else float("nan")


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--email", required=True)
    ap.add_argument("--logins", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()

    before = []
    stop = asyncio.Event()
    task = asyncio.create_task(probe(a.port, stop, before))
    await asyncio.sleep(3)
    stop.set()
    await task
    rss_before = rss_kib(a.pid, "VmRSS")

    token, cookie = await csrf_pair(a.port)
    during, statuses, peak = [], {}, [0]
    stop = asyncio.Event()
    probing = asyncio.create_task(probe(a.port, stop, during))
    sampling = asyncio.create_task(sample(a.pid, stop, peak))
    started = time.perf_counter()
    for round_ in range(a.rounds):
        await asyncio.gather(
            *(
                wrong_login(a.port, round_ * a.logins + i + 1, a.email, token, cookie, statuses)
                for i in range(a.logins)
            )
        )
    wall = time.perf_counter() - started
    stop.set()
    await asyncio.gather(probing, sampling)

    print(f"GET / before the flood: n={len(before)} p50={statistics.median(before):.2f} ms "
          f"p99={pct(before, 99):.2f} ms")
    print(f"GET / during the flood: n={len(during)} p50={statistics.median(during):.2f} ms "
          f"p99={pct(during, 99):.2f} ms max={max(during):.2f} ms")
    print(f"flood: {a.rounds} x {a.logins} concurrent wrong logins from distinct addresses "
          f"in {wall:.2f} s; answers {dict(sorted((str(k), v) for k, v in statuses.items()))}")
    print(f"RSS: before {rss_before / 1024:.0f} MB, sampled peak {peak[0] / 1024:.0f} MB, "
          f"VmHWM {rss_kib(a.pid, 'VmHWM') / 1024:.0f} MB, after {rss_kib(a.pid, 'VmRSS') / 1024:.0f} MB")


asyncio.run(main())
