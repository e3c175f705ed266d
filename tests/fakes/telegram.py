"""A fake of the Telegram Bot API's `sendMessage` (https://core.telegram.org/bots/api#sendmessage)
on 127.0.0.1.

`POST /bot<token>/sendMessage` with JSON or form fields `chat_id`, `text`, optional `parse_mode`
(HTML / MarkdownV2 / Markdown) and `disable_web_page_preview`. Answers as Telegram does:
- 200 `{"ok": true, "result": <Message>}` — the message is recorded in `messages`;
- 400 `{"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}` for chats in
  `unknown_chats`, and for a missing chat_id / empty text / malformed HTML;
- 401 `Unauthorized` for a wrong token, 403 `Forbidden: bot was blocked by the user` for chats in
  `blocked_chats`, 404 `Not Found` for unknown methods;
- 429 `{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after N",
  "parameters": {"retry_after": N}}` (plus a `Retry-After` header) when more than `rate` messages
  arrived in the last second (Telegram's broadcast limit is about 30 per second) or more than
  `per_chat_rate` to one chat; N is a whole number of seconds, as Telegram sends it.
Every request (accepted or not) is in `requests`; `rejected_429` counts the rate-limited ones and
`violations` counts requests sent before an advertised retry_after had passed.
"""

from __future__ import annotations

import html.parser
import math
import threading
import time
from collections import defaultdict, deque
from urllib.parse import parse_qsl

from tests.fakes import FakeServer, RecordedRequest, Response

TOKEN = "123456:TEST-fake-bot-token"


def tg_error(code: int, description: str, **parameters) -> Response:
    body = {"ok": False, "error_code": code, "description": description}
    headers = {}
    if parameters:
        body["parameters"] = parameters
        if "retry_after" in parameters:
            headers["Retry-After"] = str(parameters["retry_after"])
    return Response(code, body, headers=headers)


class _HtmlCheck(html.parser.HTMLParser):
    ALLOWED = {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "span",
        "tg-spoiler",
        "blockquote",
    }

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.error = ""

    def handle_starttag(self, tag, attrs):
        if tag not in self.ALLOWED:
            self.error = f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.error = f'Can\'t find end tag corresponding to start tag "{tag}"'


class FakeTelegram(FakeServer):
    def __init__(self, *, token: str = TOKEN, rate: int = 30, per_chat_rate: int | None = None, window: float = 1.0):
        self.token = token
        self.rate = rate
        self.per_chat_rate = per_chat_rate
        self.window = window
        self.messages: list[dict] = []
        self.unknown_chats: set[str] = set()
        self.blocked_chats: set[str] = set()
        self.rejected_429 = 0
        self.violations = 0
        self._recent: deque[float] = deque()
        self._recent_chat: dict[str, deque[float]] = defaultdict(deque)
        self._blocked_until = 0.0
        self._state = threading.Lock()
        self._next_id = 1
        super().__init__()
        # Answers go out as two writes (head, body): without TCP_NODELAY, Nagle + delayed ACK add
        # ~40 ms to every request on a kept-alive connection, far slower than the real API.
        self._httpd.RequestHandlerClass.disable_nagle_algorithm = True

    def base_url(self) -> str:
        return self.url

    def texts_for(self, chat_id: str) -> list[str]:
        return [m["text"] for m in self.messages if m["chat_id"] == str(chat_id)]

    # ------------------------------------------------------------------ the API

    def handle(self, request: RecordedRequest) -> Response:
        prefix = f"/bot{self.token}/"
        if not request.path.startswith("/bot"):
            return tg_error(404, "Not Found")
        if not request.path.startswith(prefix):
            return tg_error(401, "Unauthorized")
        method = request.path[len(prefix) :]
        if method == "getMe":
            return Response(
                200, {"ok": True, "result": {"id": 123456, "is_bot": True, "username": "bizosaas_test_bot"}}
            )
        if method != "sendMessage" or request.method != "POST":
            return tg_error(404, "Not Found")
        params = self._params(request)
        chat_id = str(params.get("chat_id") or "")
        text = str(params.get("text") or "")
        if not chat_id:
            return tg_error(400, "Bad Request: chat_id is empty")
        if not text.strip():
            return tg_error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return tg_error(400, "Bad Request: message is too long")
        if params.get("parse_mode") == "HTML":
            check = _HtmlCheck()
            check.feed(text)
            if check.error or check.stack:
                return tg_error(400, f"Bad Request: can't parse entities: {check.error or 'unclosed tag'}")
        limited = self._rate_limit(chat_id)
        if limited is not None:
            return limited
        if chat_id in self.unknown_chats:
            return tg_error(400, "Bad Request: chat not found")
        if chat_id in self.blocked_chats:
            return tg_error(403, "Forbidden: bot was blocked by the user")
        with self._state:
            message_id = self._next_id
            self._next_id += 1
            self.messages.append(
                {"chat_id": chat_id, "text": text, "parse_mode": params.get("parse_mode"), "at": time.monotonic()}
            )
        return Response(
            200,
            {
                "ok": True,
                "result": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": {"id": int(chat_id) if chat_id.lstrip("-").isdigit() else 0, "type": "private"},
                    "text": text,
                },
            },
        )

    def _params(self, request: RecordedRequest) -> dict:
        content_type = request.headers.get("content-type", "")
        if "json" in content_type:
            return request.json() or {}
        if request.body:
            return dict(parse_qsl(request.body.decode(), keep_blank_values=True))
        return dict(request.query)

    def _rate_limit(self, chat_id: str) -> Response | None:
        now = time.monotonic()
        with self._state:
            if now < self._blocked_until:
                self.violations += 1  # the client did not wait as it was told
            recent = self._recent
            while recent and now - recent[0] >= self.window:
                recent.popleft()
            per_chat = self._recent_chat[chat_id]
            while per_chat and now - per_chat[0] >= self.window:
                per_chat.popleft()
            if len(recent) >= self.rate:
                wait = self.window - (now - recent[0])
            elif self.per_chat_rate is not None and len(per_chat) >= self.per_chat_rate:
                wait = self.window - (now - per_chat[0])
            else:
                recent.append(now)
                per_chat.append(now)
                return None
            retry_after = max(1, math.ceil(wait))
            self._blocked_until = max(self._blocked_until, now + wait)
            self.rejected_429 += 1
        return tg_error(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
