"""The HTTP checker: many URLs at once with httpx's AsyncClient, bounded concurrency (a
semaphore), a deadline per check, redirects followed by hand up to a limit, and the TLS
certificate's expiry read from the live connection of https checks.

Pure I/O: it knows nothing of tenants or the database (apps.monitoring.services does), so it can
be measured and tested on its own against tests/fakes/sites.py.

Name resolution: `*.localhost` is loopback by definition (RFC 6761) but the C resolver here does
not know it, so those names are connected to 127.0.0.1; `connect_address` pins every name to one
address (a load balancer in front of all tenant sites, or a test server). The Host header and the
TLS server name stay the domain's own, so virtual hosting and certificate checks are unchanged.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from datetime import datetime

import certifi
import httpcore
import httpx

from apps.monitoring.states import Outcome

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "BizOSaaS-monitor/1.0 (+health check)"


@dataclass(frozen=True)
class CheckTarget:
    key: int  # the Domain's id (anything hashable the caller maps back)
    domain: str
    url: str


@dataclass
class CheckResult:
    key: int
    url: str
    outcome: str
    status_code: int | None = None
    latency_ms: int | None = None
    final_url: str = ""
    redirects: int = 0
    error: str = ""
    tls_expires_at: datetime | None = None
    # The managed site says why it answered 404 ("not-published": no snapshot yet; apps.cms).
    site_status: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.OK, Outcome.SLOW)


@dataclass(frozen=True)
class CheckerConfig:
    concurrency: int = 200
    timeout: float = 10.0
    max_redirects: int = 3
    slow_ms: int = 3000
    connect_address: str = ""
    ca_bundle: str = ""

    @classmethod
    def from_settings(cls) -> CheckerConfig:
        from django.conf import settings

        return cls(
            concurrency=settings.MONITOR_CONCURRENCY,
            timeout=settings.MONITOR_TIMEOUT_SECONDS,
            max_redirects=settings.MONITOR_MAX_REDIRECTS,
            slow_ms=settings.MONITOR_SLOW_MS,
            connect_address=settings.MONITOR_CONNECT_ADDRESS,
            ca_bundle=settings.MONITOR_CA_BUNDLE,
        )


def address_for(host: str, connect_address: str = "") -> str:
    if connect_address:
        return connect_address
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return "127.0.0.1"
    return host


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """anyio's network backend, with the name -> address rule above applied at connect time."""

    def __init__(self, connect_address: str = ""):
        self._inner = httpcore.AnyIOBackend()
        self._connect_address = connect_address

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return await self._inner.connect_tcp(
            address_for(host, self._connect_address),
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):  # pragma: no cover - unused
        return await self._inner.connect_unix_socket(path, timeout=timeout, socket_options=socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _Transport(httpx.AsyncHTTPTransport):
    def __init__(self, *, ssl_context: ssl.SSLContext, config: CheckerConfig, max_connections: int):
        super().__init__(verify=ssl_context)
        # httpx offers no way to hand its connection pool a network backend; the pool is rebuilt
        # with the pinned one. No keep-alive: every domain is another host.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=max_connections,
            max_keepalive_connections=0,
            network_backend=_PinnedBackend(config.connect_address),
        )


def ssl_context_for(config: CheckerConfig) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=certifi.where())
    if config.ca_bundle:
        context.load_verify_locations(cafile=config.ca_bundle)
    return context


def _peer_expiry(response: httpx.Response) -> datetime | None:
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    from cryptography import x509

    return x509.load_der_x509_certificate(der).not_valid_after_utc


def _classify(status: int, latency_ms: int, slow_ms: int) -> str:
    if status == 404:
        return Outcome.NOT_FOUND
    if status >= 400:
        return Outcome.HTTP_ERROR
    return Outcome.SLOW if latency_ms > slow_ms else Outcome.OK


def _error_outcome(exc: Exception) -> tuple[str, str]:
    text = f"{type(exc).__name__}: {exc}"[:200]
    if isinstance(exc, httpx.TimeoutException):
        return Outcome.TIMEOUT, text
    chain = exc
    while chain is not None:
        if isinstance(chain, ssl.SSLError | ssl.CertificateError):
            return Outcome.TLS_ERROR, text
        chain = chain.__cause__ or chain.__context__
    if "SSL" in text or "certificate" in text.lower():
        return Outcome.TLS_ERROR, text
    return Outcome.CONNECT_ERROR, text


async def _fetch(client: httpx.AsyncClient, target: CheckTarget, config: CheckerConfig) -> CheckResult:
    url = httpx.URL(target.url)
    result = CheckResult(key=target.key, url=target.url, outcome=Outcome.CONNECT_ERROR)
    started = time.perf_counter()
    for hop in range(config.max_redirects + 1):
        response = await client.send(client.build_request("GET", url), stream=True)
        try:
            if hop == 0 and url.scheme == "https":
                result.tls_expires_at = _peer_expiry(response)
            status = response.status_code
            location = response.headers.get("location")
            result.site_status = response.headers.get("x-site-status", "")[:40]
        finally:
            await response.aclose()
        result.status_code = status
        result.final_url = str(url)
        if status in REDIRECT_CODES and location:
            if hop == config.max_redirects:
                result.outcome = Outcome.TOO_MANY_REDIRECTS
                result.error = f"more than {config.max_redirects} redirects (last to {url.join(location)})"[:200]
                break
            url = url.join(location)
            result.redirects = hop + 1
            continue
        result.latency_ms = round((time.perf_counter() - started) * 1000)
        result.outcome = _classify(status, result.latency_ms, config.slow_ms)
        if result.outcome == Outcome.HTTP_ERROR or result.outcome == Outcome.NOT_FOUND:
            result.error = f"HTTP {status}"
        break
    if result.latency_ms is None:
        result.latency_ms = round((time.perf_counter() - started) * 1000)
    return result


async def _check_one(client: httpx.AsyncClient, target: CheckTarget, config: CheckerConfig) -> CheckResult:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(config.timeout):
            return await _fetch(client, target, config)
    except TimeoutError:
        outcome, error = Outcome.TIMEOUT, f"no answer within {config.timeout:g} s"
    except httpx.HTTPError as exc:
        outcome, error = _error_outcome(exc)
    except (OSError, ssl.SSLError) as exc:
        outcome, error = _error_outcome(exc)
    return CheckResult(
        key=target.key,
        url=target.url,
        outcome=outcome,
        latency_ms=round((time.perf_counter() - started) * 1000),
        error=error,
    )


POOL_SIZE = 25  # connections per client: httpcore scans its whole pool on every request


async def check_many(targets: list[CheckTarget], config: CheckerConfig) -> list[CheckResult]:
    """Check every target, at most `config.concurrency` at a time; one result per target, in order.

    The connections are spread over several small clients, because an httpcore pool's
    bookkeeping walks every connection it holds on each request (quadratic in a pool of 200)."""
    if not targets:
        return []
    context = ssl_context_for(config)
    shards = max(1, -(-config.concurrency // POOL_SIZE))
    per_shard = -(-config.concurrency // shards)
    clients = [
        httpx.AsyncClient(
            transport=_Transport(ssl_context=context, config=config, max_connections=per_shard),
            timeout=httpx.Timeout(config.timeout),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.5"},
            trust_env=False,
        )
        for _ in range(shards)
    ]
    # The bound on concurrency: `concurrency` workers take the next target in turn, each bound
    # to one client, so no client has more checks in flight than its pool has connections (and
    # only a few hundred coroutines are alive, not one per domain).
    results: list[CheckResult | None] = [None] * len(targets)
    queue = iter(enumerate(targets))

    async def worker(client: httpx.AsyncClient) -> None:
        for index, target in queue:
            results[index] = await _check_one(client, target, config)

    try:
        workers = min(config.concurrency, len(targets))
        await asyncio.gather(*(worker(clients[k % shards]) for k in range(workers)))
        return results
    finally:
        for client in clients:
            await client.aclose()


def run_checks(targets: list[CheckTarget], config: CheckerConfig | None = None) -> list[CheckResult]:
    """Synchronous entry point (Celery tasks, commands): runs its own event loop."""
    return asyncio.run(check_many(targets, config or CheckerConfig.from_settings()))
