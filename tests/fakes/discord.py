"""A fake of Discord's "Execute Webhook" endpoint
(https://discord.com/developers/docs/resources/webhook#execute-webhook) on 127.0.0.1.

`POST /api/webhooks/{webhook.id}/{webhook.token}[?wait=true]` with JSON `content` (≤ 2000
characters) and/or `embeds` (≤ 10; title ≤ 256, description ≤ 4096), `username`,
`allowed_mentions`. Answers as Discord does:
- 204 No Content, or 200 with the message object when `wait=true`; recorded in `messages`;
- 400 `{"message": "Cannot send an empty message", "code": 50006}` / `{"code": 50035, ...}` for
  invalid bodies; 404 `{"message": "Unknown Webhook", "code": 10015}` for unknown ids; 401
  `{"message": "Invalid Webhook Token", "code": 50027}` for a wrong token;
- rate limits per webhook (a bucket of `limit` requests per `per` seconds): every answer carries
  `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`, `X-RateLimit-Reset-After`,
  `X-RateLimit-Bucket`; over the limit, 429 with JSON
  `{"message": "You are being rate limited.", "retry_after": <float seconds>, "global": false}`
  and a `Retry-After` header (seconds) plus `X-RateLimit-Scope: user`.
`create_webhook()` registers a webhook and returns its URL.
"""

from __future__ import annotations

import secrets
import threading
import time

from tests.fakes import FakeServer, RecordedRequest, Response


def discord_error(status: int, message: str, code: int = 0, **extra) -> Response:
    return Response(status, {"message": message, "code": code, **extra})


class FakeDiscord(FakeServer):
    def __init__(self, *, limit: int = 5, per: float = 2.0):
        self.limit = limit
        self.per = per
        self.webhooks: dict[str, str] = {}  # id -> token
        self.messages: list[dict] = []
        self.rejected_429 = 0
        self.violations = 0
        self._buckets: dict[str, tuple[float, int]] = {}  # id -> (window start, used)
        self._blocked_until: dict[str, float] = {}
        self._state = threading.Lock()
        self._next_id = 1_000_000_000_000_000_000
        super().__init__()
        # Answers go out as two writes (head, body): without TCP_NODELAY, Nagle + delayed ACK add
        # ~40 ms to every request on a kept-alive connection, far slower than the real API.
        self._httpd.RequestHandlerClass.disable_nagle_algorithm = True

    @property
    def api_base(self) -> str:
        return f"{self.url}/api"

    def create_webhook(self) -> str:
        webhook_id = str(100_000_000_000_000_000 + len(self.webhooks))
        token = secrets.token_urlsafe(48)
        self.webhooks[webhook_id] = token
        return f"{self.api_base}/webhooks/{webhook_id}/{token}"

    def messages_for(self, url: str) -> list[dict]:
        webhook_id = url.rstrip("/").split("/")[-2]
        return [m for m in self.messages if m["webhook_id"] == webhook_id]

    # ------------------------------------------------------------------ the API

    def handle(self, request: RecordedRequest) -> Response:
        parts = request.path.strip("/").split("/")
        if len(parts) != 4 or parts[:2] != ["api", "webhooks"] or request.method != "POST":
            return discord_error(404, "404: Not Found", 0)
        webhook_id, token = parts[2], parts[3]
        if webhook_id not in self.webhooks:
            return discord_error(404, "Unknown Webhook", 10015)
        if self.webhooks[webhook_id] != token:
            return discord_error(401, "Invalid Webhook Token", 50027)
        limited, headers = self._rate_limit(webhook_id)
        if limited is not None:
            return limited
        try:
            body = request.json() or {}
        except ValueError:
            return Response(400, {"message": "The request body contains invalid JSON.", "code": 50109}, headers=headers)
        content = body.get("content") or ""
        embeds = body.get("embeds") or []
        errors = {}
        if len(content) > 2000:
            errors["content"] = "Must be 2000 or fewer in length."
        if len(embeds) > 10:
            errors["embeds"] = "Must be 10 or fewer in length."
        for i, embed in enumerate(embeds):
            if len(embed.get("title") or "") > 256:
                errors[f"embeds.{i}.title"] = "Must be 256 or fewer in length."
            if len(embed.get("description") or "") > 4096:
                errors[f"embeds.{i}.description"] = "Must be 4096 or fewer in length."
        if errors:
            return Response(400, {"message": "Invalid Form Body", "code": 50035, "errors": errors}, headers=headers)
        if not content.strip() and not embeds:
            return Response(400, {"message": "Cannot send an empty message", "code": 50006}, headers=headers)
        with self._state:
            message_id = str(self._next_id)
            self._next_id += 1
            self.messages.append(
                {"webhook_id": webhook_id, "content": content, "embeds": embeds, "at": time.monotonic()}
            )
        if request.query.get("wait") == "true":
            return Response(
                200,
                {"id": message_id, "type": 0, "content": content, "embeds": embeds, "webhook_id": webhook_id},
                headers=headers,
            )
        return Response(204, b"", headers=headers)

    def _rate_limit(self, webhook_id: str) -> tuple[Response | None, dict]:
        now = time.monotonic()
        with self._state:
            if now < self._blocked_until.get(webhook_id, 0.0):
                self.violations += 1
            start, used = self._buckets.get(webhook_id, (now, 0))
            if now - start >= self.per:
                start, used = now, 0
            reset_after = max(self.per - (now - start), 0.0)
            headers = {
                "X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
                "X-RateLimit-Reset-After": f"{reset_after:.3f}",
                "X-RateLimit-Bucket": f"bucket-{webhook_id[-6:]}",
            }
            if used >= self.limit:
                self.rejected_429 += 1
                self._blocked_until[webhook_id] = now + reset_after
                headers.update(
                    {
                        "X-RateLimit-Remaining": "0",
                        "Retry-After": str(max(1, round(reset_after))),
                        "X-RateLimit-Scope": "user",
                    }
                )
                body = {"message": "You are being rate limited.", "retry_after": round(reset_after, 3), "global": False}
                return Response(429, body, headers=headers), headers
            used += 1
            self._buckets[webhook_id] = (start, used)
            headers["X-RateLimit-Remaining"] = str(self.limit - used)
            return None, headers
