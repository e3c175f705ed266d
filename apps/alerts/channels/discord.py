"""Discord webhooks: POST https://discord.com/api/webhooks/{id}/{token}?wait=true.

Request JSON: {"content", "embeds": [{"title", "description", "color"}], "allowed_mentions"}.
Answer: 200 with the message (wait=true) or 204. Rate limits: 429 with JSON
{"message", "retry_after": seconds (float), "global": bool} and a `Retry-After` header; every
answer carries X-RateLimit-Remaining / X-RateLimit-Reset-After, which are honoured before the
next message to the same webhook so a batch rarely meets a 429 at all. 404 = the webhook was
deleted (code 10015), 401/403 = its token is wrong: those do not heal by retrying.

Webhook URLs are user input that the server will POST to, so only URLs under
`{DISCORD_API_BASE}/webhooks/` are accepted (no requests to arbitrary hosts).
"""

from __future__ import annotations

import re
import time

from django.conf import settings

from apps.alerts.channels.base import (
    OutgoingMessage,
    PermanentError,
    RateLimited,
    Sender,
    TransientError,
    parse_retry_after,
    truncate,
)

MAX_CONTENT = 2000
MAX_DESCRIPTION = 4096
SEVERITY_COLOUR = {"critical": 0xDC2626, "warning": 0xD97706, "info": 0x2563EB}
PATH_RE = re.compile(r"^/\d{5,25}/[A-Za-z0-9_-]{10,100}$")


def webhook_url_valid(url: str) -> bool:
    prefix = settings.DISCORD_API_BASE.rstrip("/") + "/webhooks"
    url = url or ""
    return url.startswith(prefix + "/") and bool(PATH_RE.match(url[len(prefix) :]))


class DiscordSender(Sender):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._reset_at: dict[str, float] = {}  # webhook URL -> monotonic time its bucket refills

    def _attempt(self, destination: str, message: OutgoingMessage) -> None:
        if not webhook_url_valid(destination):
            raise PermanentError("No valid Discord webhook URL is set.")
        wait = self._reset_at.get(destination, 0.0) - time.monotonic()
        if wait > 0:
            self.sleep(min(wait, self.max_wait))
        payload = {
            "content": truncate(f"**{message.subject}**", MAX_CONTENT),
            "embeds": [
                {
                    "title": truncate(message.subject, 256),
                    "description": truncate("\n".join(message.lines) or message.subject, MAX_DESCRIPTION),
                    "color": SEVERITY_COLOUR.get(message.severity, SEVERITY_COLOUR["info"]),
                }
            ],
            "allowed_mentions": {"parse": []},
        }
        response = self._post(f"{destination}?wait=true", payload)
        self._remember_bucket(destination, response.headers)
        if 200 <= response.status_code < 300:
            return
        try:
            data = response.json()
        except ValueError:
            data = {}
        description = str(data.get("message") or f"HTTP {response.status_code}")[:300]
        if response.status_code == 429:
            retry_after = parse_retry_after(data.get("retry_after"))
            if retry_after is None:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise RateLimited(f"Discord: {description}", retry_after=retry_after)
        if response.status_code >= 500:
            raise TransientError(f"Discord {response.status_code}: {description}")
        raise PermanentError(f"Discord {response.status_code}: {description}")

    def _remember_bucket(self, url: str, headers) -> None:
        if headers.get("X-RateLimit-Remaining") == "0":
            reset_after = parse_retry_after(headers.get("X-RateLimit-Reset-After"))
            if reset_after:
                self._reset_at[url] = time.monotonic() + reset_after
                return
        self._reset_at.pop(url, None)
