"""What every channel connector shares: the message it sends, the errors it raises, and the
rate-limit rule (wait the advertised delay and try again, within bounds)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx
from django.conf import settings


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one destination: a single alert or a digest of several."""

    subject: str
    lines: list[str] = field(default_factory=list)
    severity: str = "info"

    @property
    def text(self) -> str:
        return "\n".join([self.subject, "", *self.lines]).strip()


class DeliveryError(Exception):
    """Sending failed. `permanent` ones (a wrong chat id, a deleted webhook) will fail again the
    same way, so they are not retried automatically; the others are."""

    permanent = False

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class TransientError(DeliveryError):
    permanent = False


class PermanentError(DeliveryError):
    permanent = True


class RateLimited(TransientError):
    """The provider said 429 and asked for a longer wait than we are willing to block for."""


def http_client() -> httpx.Client:
    """One client per batch of deliveries, so consecutive messages reuse the connection."""
    return httpx.Client(
        timeout=httpx.Timeout(settings.ALERTS_HTTP_TIMEOUT_SECONDS),
        follow_redirects=False,
        headers={"User-Agent": "BizOSaaS-alerts/1.0"},
    )


class Sender:
    """Base for HTTP connectors: `_attempt()` makes one request and raises; `send()` repeats it
    on rate limits (after the advertised delay) and on transient errors (exponential back-off),
    a bounded number of times, then gives the error to the caller, which schedules a retry."""

    def __init__(self, *, client: httpx.Client | None = None, sleep=time.sleep):
        self.client = client or http_client()
        self.sleep = sleep
        self.max_tries = settings.ALERTS_SEND_TRIES
        self.max_wait = settings.ALERTS_MAX_INLINE_WAIT_SECONDS
        self.backoff = settings.ALERTS_INLINE_BACKOFF_SECONDS
        self.rate_limited = 0  # how many 429s were honoured (benchmarks and tests read it)

    def send(self, destination: str, message: OutgoingMessage) -> None:
        delay = self.backoff
        for attempt in range(1, self.max_tries + 1):
            try:
                self._attempt(destination, message)
                return
            except RateLimited as exc:
                self.rate_limited += 1
                wait = exc.retry_after or delay
                if wait > self.max_wait or attempt == self.max_tries:
                    raise
                self.sleep(wait)
            except PermanentError:
                raise
            except TransientError:
                if attempt == self.max_tries:
                    raise
                self.sleep(delay)
                delay *= 2

    def _attempt(self, destination: str, message: OutgoingMessage) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _post(self, url: str, payload: dict) -> httpx.Response:
        try:
            return self.client.post(url, json=payload)
        except httpx.TimeoutException as exc:
            raise TransientError(f"timed out: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise TransientError(f"connection failed: {exc}") from exc


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_retry_after(value) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return max(seconds, 0.0)
