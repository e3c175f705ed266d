"""A small client for the parts of Stripe's HTTP API the onboarding funnel uses.

- Checkout Sessions: `POST /v1/checkout/sessions` (form-encoded, Bearer secret key, an
  `Idempotency-Key` header so a retried request never creates a second session) and
  `GET /v1/checkout/sessions/{id}`. https://docs.stripe.com/api/checkout/sessions
- Webhook signatures: the `Stripe-Signature` header `t=<unix time>,v1=<hex HMAC-SHA256 of
  "<t>.<raw body>" with the endpoint secret>` (several v1 entries while a secret rolls), checked
  within a tolerance. https://docs.stripe.com/webhooks#verify-manually

Retries follow Stripe's advice: network errors, 409, 429 and 5xx are retried with exponential
back-off (honouring `Stripe-Should-Retry` and `Retry-After`), always with the same idempotency
key; other 4xx are final. The base URL is configurable (`STRIPE_API_BASE`), which is how the
tests point it at a local fake.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

RETRYABLE_STATUSES = frozenset({409, 429, 500, 502, 503, 504})
MAX_BACKOFF_SECONDS = 8.0


class StripeError(Exception):
    """A request Stripe refused or that could not be completed."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        type: str = "",
        code: str = "",
        param: str = "",
        retryable: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.retryable = retryable

    def __str__(self) -> str:
        where = f"HTTP {self.status}" if self.status else "network"
        detail = f" ({self.type}{'/' + self.code if self.code else ''})" if self.type else ""
        return f"Stripe {where}{detail}: {self.message}"


class StripeRateLimitError(StripeError):
    """429: too many requests; still limited after our retries."""


class StripeAuthenticationError(StripeError):
    """401: the secret key was refused."""


class StripeConnectionError(StripeError):
    """Stripe could not be reached (or did not answer in time)."""


class StripeNotConfigured(StripeError):
    """No secret key is configured: payments are off."""


class SignatureError(Exception):
    """A webhook whose `Stripe-Signature` does not verify."""


def encode_form(params: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's form encoding: nested dicts and lists as `a[b][0][c]=v`, booleans as true/false."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if value is None:
            continue
        if isinstance(value, dict):
            pairs.extend(encode_form(value, name))
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                item_name = f"{name}[{index}]"
                if isinstance(item, dict):
                    pairs.extend(encode_form(item, item_name))
                else:
                    pairs.append((item_name, _scalar(item)))
        else:
            pairs.append((name, _scalar(value)))
    return pairs


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class StripeClient:
    api_key: str
    base_url: str = "https://api.stripe.com"
    timeout: float = 10.0
    max_retries: int = 2
    backoff: float = 0.5

    @classmethod
    def from_settings(cls) -> StripeClient:
        return cls(
            api_key=settings.STRIPE_SECRET_KEY,
            base_url=settings.STRIPE_API_BASE,
            timeout=settings.STRIPE_TIMEOUT_SECONDS,
            max_retries=settings.STRIPE_MAX_RETRIES,
            backoff=settings.STRIPE_RETRY_BACKOFF_SECONDS,
        )

    # ------------------------------------------------------------------ Checkout Sessions

    def checkout_session_create(self, *, params: dict[str, Any], idempotency_key: str) -> dict:
        return self._request("POST", "/v1/checkout/sessions", data=params, idempotency_key=idempotency_key)

    def checkout_session_retrieve(self, session_id: str) -> dict:
        if not session_id or "/" in session_id:
            raise StripeError("A checkout session id is required.", type="invalid_request_error", param="id")
        return self._request("GET", f"/v1/checkout/sessions/{session_id}")

    # ------------------------------------------------------------------ transport

    def _request(self, method: str, path: str, *, data: dict | None = None, idempotency_key: str = "") -> dict:
        if not self.api_key:
            raise StripeNotConfigured("Payments are not configured (STRIPE_SECRET_KEY is empty).")
        url = self.base_url.rstrip("/") + path
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        body = encode_form(data) if data is not None else None
        attempt = 0
        while True:
            try:
                response = requests.request(
                    method, url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False
                )
            except requests.RequestException as exc:
                error: StripeError = StripeConnectionError(
                    f"Could not reach Stripe at {self.base_url}: {exc.__class__.__name__}", retryable=True
                )
                retry_after = None
            else:
                if 200 <= response.status_code < 300:
                    try:
                        return response.json()
                    except ValueError as exc:
                        raise StripeError(
                            "Stripe answered with a body that is not JSON.", status=response.status_code
                        ) from exc
                error = _error_from(response)
                retry_after = _retry_after(response)
            if not error.retryable or attempt >= self.max_retries:
                raise error
            attempt += 1
            time.sleep(self._delay(attempt, retry_after))

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_BACKOFF_SECONDS)
        base = min(self.backoff * (2 ** (attempt - 1)), MAX_BACKOFF_SECONDS)
        return base * (0.5 + random.random() / 2)  # jitter, so many clients do not retry in step


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _error_from(response: requests.Response) -> StripeError:
    status = response.status_code
    try:
        payload = response.json().get("error") or {}
    except (ValueError, AttributeError):
        payload = {}
    message = str(payload.get("message") or response.reason or "Unknown error")
    should_retry = response.headers.get("Stripe-Should-Retry")
    retryable = status in RETRYABLE_STATUSES if should_retry is None else should_retry.lower() == "true"
    kwargs = {
        "status": status,
        "type": str(payload.get("type") or ""),
        "code": str(payload.get("code") or ""),
        "param": str(payload.get("param") or ""),
        "retryable": retryable,
    }
    if status == 429:
        return StripeRateLimitError(message, **kwargs)
    if status == 401:
        return StripeAuthenticationError(message, **{**kwargs, "retryable": False})
    return StripeError(message, **kwargs)


# ---------------------------------------------------------------------- webhooks


def webhook_verify(*, payload: bytes, header: str, secret: str, tolerance: int = 300, now: float | None = None) -> dict:
    """The event in `payload` if `header` is a valid signature of it by `secret`, made within
    `tolerance` seconds; SignatureError otherwise. Never trusts the body before the check."""
    if not secret:
        raise SignatureError("No webhook signing secret is configured.")
    if not header:
        raise SignatureError("The Stripe-Signature header is missing.")
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError("The signature timestamp is not a number.") from None
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureError("The Stripe-Signature header has no timestamp or no v1 signature.")
    signed = str(timestamp).encode() + b"." + payload
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise SignatureError("No signature matches the payload.")
    current = time.time() if now is None else now
    if tolerance > 0 and abs(current - timestamp) > tolerance:
        raise SignatureError("The signature timestamp is outside the tolerance.")
    try:
        event = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise SignatureError("The payload is not JSON.") from None
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise SignatureError("The payload is not a Stripe event.")
    return event
