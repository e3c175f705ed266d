"""The Telegram and Discord connectors against local fakes of both APIs: messages as the
providers expect them, rate limits (429 + retry_after) honoured, errors told apart."""

from __future__ import annotations

import time

import pytest

from apps.alerts.channels import OutgoingMessage, PermanentError, RateLimited, TransientError
from apps.alerts.channels.discord import DiscordSender
from apps.alerts.channels.telegram import TelegramSender
from tests.fakes import Response
from tests.fakes.telegram import tg_error

MESSAGE = OutgoingMessage(subject="Acme is down", lines=["3 checks failed: <timeout> & more"], severity="critical")


# --------------------------------------------------------------------------- Telegram


def test_telegram_send__ok__sendmessage_with_escaped_html(fake_telegram):
    TelegramSender().send("123456789", MESSAGE)

    assert len(fake_telegram.messages) == 1
    sent = fake_telegram.messages[0]
    assert sent["chat_id"] == "123456789"
    assert sent["parse_mode"] == "HTML"
    assert "<b>Acme is down</b>" in sent["text"]
    assert "&lt;timeout&gt; &amp; more" in sent["text"]
    assert fake_telegram.requests[0].path.endswith("/sendMessage")
    assert fake_telegram.requests[0].json()["disable_web_page_preview"] is True


def test_telegram_send__over_rate_limit__waits_retry_after_then_delivers_all(fake_telegram):
    fake_telegram.rate = 2
    sender = TelegramSender()

    for chat in ("1001", "1002", "1003"):
        sender.send(chat, MESSAGE)

    # Then the third was refused once with retry_after=1, sent again after waiting, never early
    assert [m["chat_id"] for m in fake_telegram.messages] == ["1001", "1002", "1003"]
    assert fake_telegram.rejected_429 == 1
    assert sender.rate_limited == 1
    assert fake_telegram.violations == 0
    assert fake_telegram.messages[2]["at"] - fake_telegram.messages[1]["at"] >= 0.9


def test_telegram_send__retry_after_beyond_inline_limit__rate_limited_error_with_delay(fake_telegram, settings):
    settings.ALERTS_MAX_INLINE_WAIT_SECONDS = 2
    fake_telegram.fail_next(tg_error(429, "Too Many Requests: retry after 30", retry_after=30))

    with pytest.raises(RateLimited) as caught:
        TelegramSender().send("1001", MESSAGE)

    assert caught.value.retry_after == 30
    assert fake_telegram.messages == []


def test_telegram_send__chat_not_found__permanent_error(fake_telegram):
    fake_telegram.unknown_chats.add("4242")

    with pytest.raises(PermanentError, match="chat not found"):
        TelegramSender().send("4242", MESSAGE)
    assert len(fake_telegram.requests) == 1  # not retried: it would fail the same way


def test_telegram_send__bad_gateway_once__retried_and_delivered(fake_telegram):
    fake_telegram.fail_next(Response(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}))

    TelegramSender().send("1001", MESSAGE)

    assert len(fake_telegram.requests) == 2
    assert len(fake_telegram.messages) == 1


def test_telegram_send__wrong_bot_token__transient_error_after_tries(fake_telegram, settings):
    settings.TELEGRAM_BOT_TOKEN = "999:wrong"

    with pytest.raises(TransientError, match="401"):
        TelegramSender().send("1001", MESSAGE)
    assert fake_telegram.messages == []


def test_telegram_send__invalid_chat_id__refused_without_a_request(fake_telegram):
    with pytest.raises(PermanentError):
        TelegramSender().send("not a chat; DROP", MESSAGE)
    assert fake_telegram.requests == []


# --------------------------------------------------------------------------- Discord


def test_discord_send__ok__embed_with_severity_colour_and_no_mentions(fake_discord):
    url = fake_discord.create_webhook()

    DiscordSender().send(url, MESSAGE)

    [sent] = fake_discord.messages_for(url)
    assert sent["embeds"][0]["title"] == "Acme is down"
    assert sent["embeds"][0]["color"] == 0xDC2626
    assert "3 checks failed" in sent["embeds"][0]["description"]
    assert fake_discord.requests[0].query["wait"] == "true"
    assert fake_discord.requests[0].json()["allowed_mentions"] == {"parse": []}


def test_discord_send__429_with_float_retry_after__waits_that_long_then_delivers(fake_discord):
    url = fake_discord.create_webhook()
    body = {"message": "You are being rate limited.", "retry_after": 0.4, "global": False}
    fake_discord.fail_next(Response(429, body, headers={"Retry-After": "1", "X-RateLimit-Scope": "user"}))
    sender = DiscordSender()

    started = time.monotonic()
    sender.send(url, MESSAGE)
    waited = time.monotonic() - started

    assert len(fake_discord.messages_for(url)) == 1
    assert sender.rate_limited == 1
    assert 0.4 <= waited < 1.0  # the JSON's precise float, not the header's rounded second


def test_discord_send__429_with_only_retry_after_header__header_honoured(fake_discord):
    url = fake_discord.create_webhook()
    fake_discord.fail_next(Response(429, {"message": "You are being rate limited."}, headers={"Retry-After": "1"}))

    started = time.monotonic()
    DiscordSender().send(url, MESSAGE)

    assert time.monotonic() - started >= 1.0
    assert len(fake_discord.messages_for(url)) == 1


def test_discord_send__bucket_exhausted__waits_for_reset_and_meets_no_429(fake_discord):
    fake_discord.limit, fake_discord.per = 2, 0.6
    url = fake_discord.create_webhook()
    sender = DiscordSender()

    for _ in range(5):
        sender.send(url, MESSAGE)

    assert len(fake_discord.messages_for(url)) == 5
    assert fake_discord.rejected_429 == 0
    assert fake_discord.violations == 0


def test_discord_send__deleted_webhook__permanent_error(fake_discord):
    url = fake_discord.create_webhook()
    fake_discord.webhooks.clear()

    with pytest.raises(PermanentError, match="Unknown Webhook"):
        DiscordSender().send(url, MESSAGE)


def test_discord_send__url_on_another_host__refused_without_a_request(fake_discord):
    with pytest.raises(PermanentError):
        DiscordSender().send("http://127.0.0.1:1/api/webhooks/123456789/abcdefghijklmnop", MESSAGE)
    assert fake_discord.requests == []
