"""A fake fleet of tenant websites on 127.0.0.1: one server that answers for any Host name, each
with a behaviour: ok, slow, 404, 500, hang (never answers), reset (closes without answering),
a chain of N redirects, or an endless redirect loop. Optionally over TLS.

The health checker (apps.monitoring.checker) is tested and benchmarked against it. It is an
asyncio server on a thread of its own (thousands of connections, hanging ones included, cost
almost nothing), or a process of its own for benchmarks:

    python tests/fakes/sites.py [--port N] [--slow SECONDS]   # prints "PORT <n>", serves until stdin closes

Behaviour of a host: an explicit `set(host, behaviour)` wins; otherwise its first label's prefix
decides (`slow-12.example.localhost` is slow): ok-, slow-, notfound-, error-, hang-, reset-,
redirect<N>- (N redirects, then 200), loop- (redirects forever); anything else: `default`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass

KINDS = ("ok", "slow", "notfound", "error", "hang", "reset", "redirect", "loop")
PREFIX_RE = re.compile(r"^(ok|slow|notfound|error|hang|reset|loop|redirect(\d+))-")
REASONS = {200: "OK", 302: "Found", 404: "Not Found", 500: "Internal Server Error"}


@dataclass(frozen=True)
class Behaviour:
    kind: str = "ok"
    redirects: int = 0  # for "redirect"
    delay: float | None = None  # for "slow": overrides the server's slow_seconds

    @classmethod
    def parse(cls, value: Behaviour | str) -> Behaviour:
        if isinstance(value, Behaviour):
            return value
        match = re.fullmatch(r"redirect(\d+)", value)
        if match:
            return cls("redirect", redirects=int(match.group(1)))
        if value not in KINDS:
            raise ValueError(f"unknown behaviour {value!r}")
        return cls(value)


class FakeSites:
    def __init__(
        self,
        *,
        port: int = 0,
        slow_seconds: float = 1.0,
        default: str = "ok",
        ssl_context: ssl.SSLContext | None = None,
    ):
        self.slow_seconds = slow_seconds
        self.default = Behaviour.parse(default)
        self.ssl_context = ssl_context
        self.behaviours: dict[str, Behaviour] = {}
        self.hits: Counter[str] = Counter()  # requests per host
        self.paths: list[tuple[str, str]] = []  # (host, path), in order
        self.active = 0
        self.max_active = 0
        self._requested_port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._handlers: set[asyncio.Task] = set()
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self.port = 0

    # ------------------------------------------------------------------ configuration

    def set(self, host: str, behaviour: Behaviour | str) -> None:
        self.behaviours[host.lower()] = Behaviour.parse(behaviour)

    def behaviour_for(self, host: str) -> Behaviour:
        host = host.lower()
        if host in self.behaviours:
            return self.behaviours[host]
        match = PREFIX_RE.match(host)
        if match:
            if match.group(2):
                return Behaviour("redirect", redirects=int(match.group(2)))
            return Behaviour(match.group(1))
        return self.default

    def url(self, host: str, path: str = "/") -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    # ------------------------------------------------------------------ serving

    async def _respond(self, writer, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        head = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}", "Content-Type: text/html; charset=utf-8"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        head += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
        writer.write("\r\n".join(head).encode() + body)
        await writer.drain()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._handlers.add(task)
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
            lines = raw.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else "/"
            host = ""
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "host":
                    host = value.strip().rsplit(":", 1)[0] if not value.strip().startswith("[") else value.strip()
            self.hits[host] += 1
            self.paths.append((host, path))
            await self._serve(writer, host, path)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ssl.SSLError):
            pass
        finally:
            self.active -= 1
            self._handlers.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _serve(self, writer, host: str, path: str) -> None:
        b = self.behaviour_for(host)
        page = f"<!doctype html><title>{host}</title><h1>{host}</h1>".encode()
        if b.kind == "ok":
            await self._respond(writer, 200, page)
        elif b.kind == "slow":
            await asyncio.sleep(b.delay if b.delay is not None else self.slow_seconds)
            await self._respond(writer, 200, page)
        elif b.kind == "notfound":
            await self._respond(writer, 404, b"<h1>Not found</h1>")
        elif b.kind == "error":
            await self._respond(writer, 500, b"<h1>Server error</h1>")
        elif b.kind == "hang":
            # Until the server stops (not a cancellation: asyncio would log each cancelled handler).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=3600)
        elif b.kind == "reset":
            return
        else:  # redirect chains: / -> /r1 -> /r2 ... -> /rN (200); loop never ends
            step = int(path[2:]) if re.fullmatch(r"/r\d+", path) else 0
            if b.kind == "redirect" and step >= b.redirects:
                await self._respond(writer, 200, page)
            else:
                await self._respond(writer, 302, b"", {"Location": f"/r{step + 1}"})

    def start(self) -> FakeSites:
        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)

            async def boot():
                self._stopping = asyncio.Event()
                self._server = await asyncio.start_server(
                    self._handle, "127.0.0.1", self._requested_port, ssl=self.ssl_context, backlog=4096
                )
                self.port = self._server.sockets[0].getsockname()[1]
                self._ready.set()

            loop.run_until_complete(boot())
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-sites", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake sites server did not start")
        return self

    def stop(self) -> None:
        if self._loop is None:
            return

        async def shutdown():
            if self._server is not None:
                self._server.close()
            self._stopping.set()
            for _ in range(50):  # let hanging handlers finish and close their sockets
                if not self._handlers:
                    break
                await asyncio.sleep(0.01)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._loop = None

    def __enter__(self) -> FakeSites:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str]) -> int:
    port = int(argv[argv.index("--port") + 1]) if "--port" in argv else 0
    slow = float(argv[argv.index("--slow") + 1]) if "--slow" in argv else 1.0
    server = FakeSites(port=port, slow_seconds=slow).start()
    print(f"PORT {server.port}", flush=True)
    try:
        while sys.stdin.readline():
            time.sleep(0.1)
    finally:
        total = sum(server.hits.values())
        print(f"SERVED {total} MAX_ACTIVE {server.max_active}", flush=True)
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
