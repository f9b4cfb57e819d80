#!/usr/bin/env python3
"""Opens many idle keep-alive HTTP/1.1 connections and holds them (used by connection-memory.sh).

    python3 scripts/idle-connections.py --port 19240 --connections 10000

Each connection sends one GET (keep-alive, HTTP/1.1's default), reads the whole response, then stays open and
silent. Once every connection has had its answer or failed, it prints one line
    OPEN ok=9998 failed=2 errors=ConnectionResetError:2 seconds=4.1
and holds them until SIGTERM or SIGINT, or --hold seconds at most; then it prints
    STILL_OPEN 9998 closed_by_server=0
(how many were still open at that moment) and closes them all.
Python's own asyncio, nothing to install: one event loop holds 10,000 sockets easily.
"""
import argparse
import asyncio
import collections
import resource
import signal
import sys
import time


async def open_one(args, gate, held, errors):
    async with gate:  # a few hundred handshakes at a time, so the listen backlog never overflows
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(args.host, args.port), args.timeout)
        except (OSError, asyncio.TimeoutError) as e:
            errors[type(e).__name__] += 1
            return
        try:
            writer.write(f"GET {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n\r\n".encode())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), args.timeout)
            status = head.split(b" ", 2)[1]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
                elif name.strip().lower() == b"transfer-encoding":
                    raise ValueError("chunked response")  # the test backends always send a length
            await asyncio.wait_for(reader.readexactly(length), args.timeout)
            if status != b"200":
                raise ValueError(f"status {status.decode()}")
        except (OSError, ValueError, asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
            errors[type(e).__name__] += 1
            writer.close()
            return
        held.append((reader, writer))


async def watch(reader, closed):
    """Counts the connections the server closes while they are held."""
    try:
        await reader.read(1)
    except OSError:
        pass
    closed[0] += 1


async def main(args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.connections + 50 > hard:
        sys.exit(f"idle-connections: {args.connections} connections need a descriptor limit above {hard}")

    held, errors = [], collections.Counter()
    gate = asyncio.Semaphore(args.concurrency)
    t0 = time.monotonic()
    await asyncio.gather(*(open_one(args, gate, held, errors) for _ in range(args.connections)))
    error_text = ",".join(f"{k}:{v}" for k, v in sorted(errors.items())) or "none"
    print(f"OPEN ok={len(held)} failed={sum(errors.values())} errors={error_text} "
          f"seconds={time.monotonic() - t0:.1f}", flush=True)

    closed = [0]
    watchers = [asyncio.ensure_future(watch(r, closed)) for r, _ in held]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), args.hold)
    except asyncio.TimeoutError:
        pass
    print(f"STILL_OPEN {len(held) - closed[0]} closed_by_server={closed[0]}", flush=True)
    for w in watchers:
        w.cancel()
    for _, writer in held:
        writer.close()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", default="/")
    p.add_argument("--connections", type=int, default=10000)
    p.add_argument("--concurrency", type=int, default=200, help="connections being opened at once")
    p.add_argument("--timeout", type=float, default=10, help="seconds for a connect and for a response")
    p.add_argument("--hold", type=float, default=300, help="seconds to hold them at most")
    asyncio.run(main(p.parse_args()))
