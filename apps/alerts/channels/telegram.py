"""Telegram Bot API: POST {TELEGRAM_API_BASE}/bot{token}/sendMessage.

Request JSON: {"chat_id", "text", "parse_mode": "HTML", "disable_web_page_preview": true}.
Answer: {"ok": true, "result": {...}} or {"ok": false, "error_code", "description",
"parameters": {"retry_after": seconds}} — 429 when sending too fast (about 30 messages per second
per bot, one per second per chat), 400 for a bad chat id, 403 when the user blocked the bot,
401 for a wrong token. The bot token is platform-level (TELEGRAM_BOT_TOKEN).
"""

from __future__ import annotations

import html
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

MAX_TEXT = 4096
CHAT_ID_RE = re.compile(r"^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$")
SEVERITY_MARK = {"critical": "🔴", "warning": "🟠", "info": "🔵"}


def chat_id_valid(value: str) -> bool:
    return bool(CHAT_ID_RE.match(value or ""))


def format_html(message: OutgoingMessage) -> str:
    mark = SEVERITY_MARK.get(message.severity, "")
    head = f"{mark} <b>{html.escape(message.subject)}</b>".strip()
    body = "\n".join(html.escape(line) for line in message.lines)
    return truncate(f"{head}\n\n{body}".strip(), MAX_TEXT)


class TelegramSender(Sender):
    def __init__(self, *, token: str | None = None, api_base: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.token = token if token is not None else settings.TELEGRAM_BOT_TOKEN
        self.api_base = (api_base or settings.TELEGRAM_API_BASE).rstrip("/")
        # Pace a batch below the bot's broadcast limit instead of running into it: every 429
        # costs a whole second (retry_after is in whole seconds). Other workers sending at the
        # same time can still meet a 429, which is honoured as above.
        rate = settings.TELEGRAM_MAX_PER_SECOND
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._next_at = 0.0

    def _pace(self) -> None:
        if not self._interval:
            return
        now = time.monotonic()
        if now < self._next_at:
            self.sleep(self._next_at - now)
            now = self._next_at
        self._next_at = now + self._interval

    def _attempt(self, destination: str, message: OutgoingMessage) -> None:
        if not self.token:
            raise TransientError("Telegram is not configured on this platform (TELEGRAM_BOT_TOKEN is empty).")
        if not chat_id_valid(destination):
            raise PermanentError("No valid Telegram chat id is set.")
        payload = {
            "chat_id": destination,
            "text": format_html(message),
            "parse_mode": "HTML",
            "disable_web_page_preview": True,
        }
        self._pace()
        response = self._post(f"{self.api_base}/bot{self.token}/sendMessage", payload)
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code == 200 and data.get("ok"):
            return
        code = int(data.get("error_code") or response.status_code)
        description = str(data.get("description") or f"HTTP {response.status_code}")[:300]
        if code == 429:
            retry_after = parse_retry_after((data.get("parameters") or {}).get("retry_after"))
            if retry_after is None:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise RateLimited(f"Telegram: {description}", retry_after=retry_after)
        if code == 401 or code >= 500:
            # 401: the platform's bot token is wrong — fixed once for everyone, then retries work.
            raise TransientError(f"Telegram {code}: {description}")
        raise PermanentError(f"Telegram {code}: {description}")
