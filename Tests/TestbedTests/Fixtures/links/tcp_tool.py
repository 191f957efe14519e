"""Real TCP ends for the link tests: servers behind a link and clients in front of it.

  tcp_tool.py echo PORTFILE               echo server (asyncio), writes its port to PORTFILE
  tcp_tool.py source PORTFILE SIZE SEED   sends SIZE deterministic bytes to each client, then closes
  tcp_tool.py fetch PORT SIZE SEED [half] reads everything (after its own FIN with "half");
                                          prints "BYTES SHA256 EXPECTED_SHA256"
  tcp_tool.py many PORT N                 holds N connections open at once, sends a distinct line on
                                          each, checks every echo; prints "ok N" or what went wrong
  tcp_tool.py echo-on PORT                echo server on a given port (for manifests)
  tcp_tool.py source-on PORT SIZE SEED    source server on a given port
  tcp_tool.py rtt PORT N                  N one-byte round trips on one connection; prints p50 p99 (µs)
  tcp_tool.py hold PORT N SECONDS         holds N idle connections for SECONDS, prints "holding N" first
  tcp_tool.py rate PORT SIZE SEED         like fetch, then prints the rate in KB/s
"""
import asyncio, hashlib, os, random, socket, sys


def payload(size, seed):
    """SIZE bytes from a seeded generator, in 1 MiB blocks."""
    rng = random.Random(int(seed))
    left = int(size)
    while left > 0:
        n = min(left, 1 << 20)
        yield rng.randbytes(n)
        left -= n


async def serve(handler, portfile, port=0):
    server = await asyncio.start_server(handler, "127.0.0.1", int(port), backlog=4096)
    port = server.sockets[0].getsockname()[1]
    if portfile:
        with open(portfile + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(portfile + ".tmp", portfile)
    async with server:
        await server.serve_forever()


async def echo(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


def source(size, seed):
    async def handler(reader, writer):
        for block in payload(size, seed):
            writer.write(block)
            await writer.drain()
        writer.close()
    return handler


def fetch(port, size, seed, half_close=""):
    expected = hashlib.sha256()
    for block in payload(size, seed):
        expected.update(block)
    got, count = hashlib.sha256(), 0
    with socket.create_connection(("127.0.0.1", int(port))) as s:
        if half_close:  # the client's FIN first: the server's data and close must still all arrive
            s.shutdown(socket.SHUT_WR)
        while data := s.recv(1 << 20):
            got.update(data)
            count += len(data)
    print(count, got.hexdigest(), expected.hexdigest())


def many(port, n):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    socks = [socket.create_connection(("127.0.0.1", int(port)), timeout=60) for _ in range(int(n))]
    for i, s in enumerate(socks):
        s.sendall(b"connection %d\n" % i)
    bad = []
    for i, s in enumerate(socks):
        want = b"connection %d\n" % i
        got = b""
        while len(got) < len(want):
            chunk = s.recv(len(want) - len(got))
            if not chunk:
                break
            got += chunk
        if got != want:
            bad.append(i)
    for s in socks:
        s.close()
    print("ok %d" % len(socks) if not bad else "lost %d: %s" % (len(bad), bad[:10]))


def rtt(port, n):
    import time
    s = socket.create_connection(("127.0.0.1", int(port)))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    times = []
    for _ in range(int(n)):
        t = time.perf_counter_ns()
        s.sendall(b"x")
        if not s.recv(1):
            raise SystemExit("closed")
        times.append(time.perf_counter_ns() - t)
    times.sort()
    print("%.1f %.1f" % (times[len(times) // 2] / 1000, times[int(len(times) * 0.99)] / 1000))


def hold(port, n, seconds):
    import resource, time
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    socks = [socket.create_connection(("127.0.0.1", int(port))) for _ in range(int(n))]
    for s in socks:  # one round trip each: every connection reached the upstream
        s.sendall(b"x")
        s.recv(1)
    print("holding %d" % len(socks), flush=True)
    time.sleep(float(seconds))


def rate(port, size, seed):
    import time
    t = time.perf_counter()
    count = 0
    with socket.create_connection(("127.0.0.1", int(port))) as s:
        while data := s.recv(1 << 20):
            count += len(data)
    elapsed = time.perf_counter() - t
    print("%d bytes in %.3f s: %.1f KB/s" % (count, elapsed, count / 1024 / elapsed))


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "echo":
        asyncio.run(serve(echo, args[0]))
    elif mode == "source":
        asyncio.run(serve(source(args[1], args[2]), args[0]))
    elif mode == "fetch":
        fetch(*args)
    elif mode == "many":
        many(*args)
    elif mode == "echo-on":
        asyncio.run(serve(echo, None, args[0]))
    elif mode == "source-on":
        asyncio.run(serve(source(args[1], args[2]), None, args[0]))
    elif mode == "rtt":
        rtt(*args)
    elif mode == "hold":
        hold(*args)
    elif mode == "rate":
        rate(*args)
