"""A fake PostHog ingestion server on 127.0.0.1.

Implements the documented capture endpoints (https://posthog.com/docs/api/capture):
- `POST /batch/` — `{"api_key", "batch": [event, …], "historical_migration", "sent_at"}`; the
  endpoint the `posthog` Python client posts to (posthog/request.py `EVENTS_ENDPOINT`).
- `POST /i/v0/e/`, `/capture/`, `/e/` — one event (`{"api_key", "event", "distinct_id",
  "properties", "timestamp"}`) or a batch.
Bodies may be gzip-compressed (`Content-Encoding: gzip`). Answers `{"status": 1}`; a missing or
wrong project key is 401 `invalid_api_key`, a malformed body 400 `invalid_payload`, and
`rate_limit_next()` answers 429 with `Retry-After`. Every accepted event is in `events`.
"""

from __future__ import annotations

import json
import time

from tests.fakes import FakeServer, RecordedRequest, Response

API_KEY = "phc_fake_project_key"
CAPTURE_PATHS = {"/batch/", "/i/v0/e/", "/capture/", "/e/"}


def _error(status: int, type: str, code: str, detail: str, headers: dict | None = None) -> Response:
    return Response(status, {"type": type, "code": code, "detail": detail, "attr": None}, headers=headers or {})


class FakePostHog(FakeServer):
    def __init__(self, *, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.events: list[dict] = []
        super().__init__()

    def rate_limit_next(self, times: int = 1, retry_after: int = 0) -> None:
        self.fail_next(
            _error(429, "throttled_error", "rate_limited", "Request was throttled.", {"Retry-After": str(retry_after)}),
            times,
        )

    def named(self, name: str) -> list[dict]:
        return [e for e in self.events if e.get("event") == name]

    def wait_for(self, name: str, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.named(name):
            time.sleep(0.05)
        return self.named(name)

    def handle(self, request: RecordedRequest) -> Response:
        if request.method != "POST" or request.path not in CAPTURE_PATHS:
            return _error(404, "invalid_request", "not_found", f"Not found: {request.method} {request.path}")
        try:
            body = json.loads(request.body or b"")
        except ValueError as exc:
            return _error(400, "validation_error", "invalid_payload", f"Malformed request data: {exc}")
        if not isinstance(body, dict):
            return _error(400, "validation_error", "invalid_payload", "Malformed request data: not an object.")
        batch = body.get("batch") if "batch" in body else [body]
        if not isinstance(batch, list):
            return _error(400, "validation_error", "invalid_payload", "Malformed request data: batch is not a list.")
        token = body.get("api_key") or body.get("token") or (batch[0].get("api_key") if batch else None)
        if token != self.api_key:
            return _error(
                401,
                "authentication_error",
                "invalid_api_key",
                "Project API key invalid. You can find your project API key in PostHog project settings.",
            )
        accepted = []
        for event in batch:
            if not isinstance(event, dict) or not event.get("event"):
                return _error(400, "validation_error", "invalid_payload", "Invalid payload: event name missing.")
            distinct_id = event.get("distinct_id") or (event.get("properties") or {}).get("distinct_id")
            if not distinct_id:
                return _error(400, "validation_error", "invalid_payload", "Invalid payload: distinct_id missing.")
            accepted.append({**event, "distinct_id": distinct_id, "_path": request.path})
        with self._lock:
            self.events.extend(accepted)
        return Response(200, {"status": 1})
