"""A fake of the Stripe API parts the onboarding funnel uses, on 127.0.0.1.

Implements, as documented (https://docs.stripe.com/api/checkout/sessions):
- `POST /v1/checkout/sessions`: form-encoded with nested `a[b][0][c]` keys, Bearer secret key,
  the documented required parameters, `Idempotency-Key` (same key + same parameters = the same
  session replayed with `Idempotent-Replayed: true`; same key + other parameters = 400
  `idempotency_error`). Answers a Checkout Session object.
- `GET /v1/checkout/sessions/{id}` (404 `resource_missing` for unknown ids).
- Errors as Stripe sends them: `{"error": {"type", "code", "param", "message"}}` with 400, 401,
  404, and 429 (`rate_limit`) — the last through `rate_limit_next()`.
- A hosted "payment page" at the session's `url` (GET shows it, POST pays and redirects to the
  `success_url`), and signed webhook events: `event_for()` + `sign()` (header `t=…,v1=…`, HMAC-
  SHA256 over "<t>.<payload>"), or delivered over HTTP to `webhook_url` when a session is paid.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qsl

import requests

from tests.fakes import FakeServer, RecordedRequest, Response

SECRET_KEY = "sk_test_fake_0123456789"
WEBHOOK_SECRET = "whsec_fake_0123456789"


def decode_form(body: bytes) -> dict[str, Any]:
    """Stripe's nested form encoding back into dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


def stripe_error(status: int, message: str, *, type: str = "invalid_request_error", code: str = "", param: str = ""):
    error: dict[str, str] = {"type": type, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return Response(status, {"error": error}, headers={"Request-Id": "req_" + secrets.token_hex(7)})


class FakeStripe(FakeServer):
    def __init__(self, *, secret_key: str = SECRET_KEY, webhook_secret: str = WEBHOOK_SECRET) -> None:
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.sessions: dict[str, dict] = {}
        self.webhook_url = ""
        self.webhook_deliveries: list[requests.Response] = []
        self._idempotency: dict[str, tuple[dict, dict]] = {}
        self._data_lock = threading.Lock()
        super().__init__()

    # ------------------------------------------------------------------ test helpers

    def api_requests(self, method: str | None = None, path_prefix: str = "/v1/") -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith(path_prefix) and (method is None or r.method == method)]

    def rate_limit_next(self, times: int = 1) -> None:
        self.fail_next(
            stripe_error(
                429,
                "Request rate limit exceeded. You can learn more about rate limits here "
                "https://stripe.com/docs/rate-limits.",
                code="rate_limit",
            ),
            times,
        )

    def complete(self, session_id: str, *, payment_status: str = "paid") -> dict:
        with self._data_lock:
            session = self.sessions[session_id]
            session["status"] = "complete"
            session["payment_status"] = payment_status
            if session["mode"] == "subscription":
                session["subscription"] = "sub_" + secrets.token_hex(12)
                session["customer"] = "cus_" + secrets.token_hex(7)
            else:
                session["payment_intent"] = "pi_" + secrets.token_hex(12)
            return dict(session)

    def expire(self, session_id: str) -> dict:
        with self._data_lock:
            session = self.sessions[session_id]
            session["status"] = "expired"
            session["url"] = None
            return dict(session)

    def event_for(self, session_id: str, type: str = "checkout.session.completed") -> dict:
        return {
            "id": "evt_" + secrets.token_hex(12),
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "type": type,
            "data": {"object": dict(self.sessions[session_id])},
        }

    def sign(
        self, event: dict | bytes, *, secret: str | None = None, timestamp: int | None = None
    ) -> tuple[bytes, str]:
        payload = event if isinstance(event, bytes) else json.dumps(event).encode()
        t = int(time.time()) if timestamp is None else timestamp
        signature = hmac.new(
            (secret or self.webhook_secret).encode(), f"{t}.".encode() + payload, hashlib.sha256
        ).hexdigest()
        return payload, f"t={t},v1={signature}"

    def deliver(self, event: dict, url: str | None = None) -> requests.Response:
        payload, header = self.sign(event)
        response = requests.post(
            url or self.webhook_url,
            data=payload,
            headers={"Content-Type": "application/json", "Stripe-Signature": header},
            timeout=30,
        )
        self.webhook_deliveries.append(response)
        return response

    # ------------------------------------------------------------------ the API

    def handle(self, request: RecordedRequest) -> Response:
        if request.path.startswith("/c/pay/"):
            return self._pay_page(request)
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[len("Bearer ") :] != self.secret_key:
            shown = auth[len("Bearer ") :][:8] + "*" * 8 if auth.startswith("Bearer ") else ""
            message = (
                f"Invalid API Key provided: {shown}"
                if shown
                else "You did not provide an API key. You need to provide your API key in the Authorization header."
            )
            return stripe_error(401, message)
        if request.path == "/v1/checkout/sessions" and request.method == "POST":
            return self._create(request)
        match = re.fullmatch(r"/v1/checkout/sessions/([^/]+)", request.path)
        if match and request.method == "GET":
            session = self.sessions.get(match.group(1))
            if session is None:
                return stripe_error(
                    404, f"No such checkout.session: '{match.group(1)}'", code="resource_missing", param="id"
                )
            return Response(200, session)
        return stripe_error(404, f"Unrecognized request URL ({request.method}: {request.path}).")

    def _create(self, request: RecordedRequest) -> Response:
        params = decode_form(request.body)
        key = request.headers.get("idempotency-key", "")
        if key:
            with self._data_lock:
                seen = self._idempotency.get(key)
            if seen is not None:
                seen_params, seen_body = seen
                if seen_params != params:
                    return stripe_error(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with. Try using a key other than '{key}' if you meant to execute a different request.",
                        type="idempotency_error",
                    )
                return Response(200, seen_body, headers={"Idempotent-Replayed": "true", "Idempotency-Key": key})
        invalid = self._validate(params)
        if invalid is not None:
            return invalid
        created = int(time.time())
        session_id = "cs_test_" + secrets.token_urlsafe(24).replace("-", "a").replace("_", "b")
        amount = sum(
            int(item.get("price_data", {}).get("unit_amount", 0)) * int(item.get("quantity", 1))
            for item in params.get("line_items", [])
        )
        currency = (params.get("line_items") or [{}])[0].get("price_data", {}).get("currency", "usd")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": amount,
            "amount_total": amount,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": created,
            "currency": currency,
            "customer": None,
            "customer_email": params.get("customer_email"),
            "expires_at": created + 24 * 3600,
            "livemode": False,
            "metadata": params.get("metadata", {}),
            "mode": params["mode"],
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "subscription": None,
            "success_url": params["success_url"],
            "url": f"{self.url}/c/pay/{session_id}",
        }
        with self._data_lock:
            self.sessions[session_id] = session
            if key:
                self._idempotency[key] = (params, dict(session))
        return Response(200, session, headers={"Idempotency-Key": key} if key else {})

    def _validate(self, params: dict) -> Response | None:
        mode = params.get("mode")
        if not mode:
            return stripe_error(400, "Missing required param: mode.", code="parameter_missing", param="mode")
        if mode not in {"payment", "subscription", "setup"}:
            return stripe_error(
                400,
                f"Invalid mode: must be one of payment, setup, or subscription (got '{mode}').",
                code="parameter_invalid_string",
                param="mode",
            )
        if not params.get("success_url"):
            return stripe_error(
                400, "Missing required param: success_url.", code="parameter_missing", param="success_url"
            )
        items = params.get("line_items")
        if mode in {"payment", "subscription"} and not items:
            return stripe_error(
                400,
                f"`line_items` is required in `{mode}` mode.",
                code="parameter_missing",
                param="line_items",
            )
        for index, item in enumerate(items or []):
            price_data = item.get("price_data")
            if not isinstance(price_data, dict):
                return stripe_error(
                    400,
                    "You must specify either `price` or `price_data` in each line item.",
                    code="parameter_missing",
                    param=f"line_items[{index}][price_data]",
                )
            for name in ("currency", "unit_amount"):
                if name not in price_data:
                    return stripe_error(
                        400,
                        f"Missing required param: line_items[{index}][price_data][{name}].",
                        code="parameter_missing",
                        param=f"line_items[{index}][price_data][{name}]",
                    )
            if not str(price_data["unit_amount"]).isdigit():
                return stripe_error(
                    400,
                    "Invalid integer: " + str(price_data["unit_amount"]),
                    code="parameter_invalid_integer",
                    param=f"line_items[{index}][price_data][unit_amount]",
                )
            if mode == "subscription" and not price_data.get("recurring", {}).get("interval"):
                return stripe_error(
                    400,
                    "You must specify at least one recurring price in `subscription` mode when using prices.",
                    param=f"line_items[{index}][price_data][recurring]",
                )
        return None

    # ------------------------------------------------------------------ the hosted page

    def _pay_page(self, request: RecordedRequest) -> Response:
        session_id = request.path.rsplit("/", 1)[-1]
        session = self.sessions.get(session_id)
        if session is None or session["status"] != "open":
            return Response(404, "<h1>This checkout page is no longer available.</h1>", content_type="text/html")
        if request.method == "POST":
            self.complete(session_id)
            if self.webhook_url:
                threading.Thread(target=self.deliver, args=(self.event_for(session_id),), daemon=True).start()
            target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
            return Response(303, b"", headers={"Location": target}, content_type="text/plain")
        amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
        page = (
            "<!doctype html><title>Fake Stripe Checkout</title><h1>Fake Stripe Checkout (test mode)</h1>"
            f"<p>{html.escape(session.get('customer_email') or '')} pays {html.escape(amount)}.</p>"
            f'<form method="post"><button type="submit">Pay</button></form>'
        )
        return Response(200, page, content_type="text/html")
