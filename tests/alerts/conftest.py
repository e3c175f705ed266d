"""Fixtures for alerts: local fakes of Telegram and Discord wired into the settings, and users
with alert preferences."""

from __future__ import annotations

import pytest

from apps.alerts.models import AlertPreference, EventType, Frequency
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import TOKEN, FakeTelegram

TENANT_HOST = {"HTTP_HOST": "acme.localhost"}
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def fast_retries(settings):
    """Inline back-off short enough for tests; rate-limit waits stay real (they are the point)."""
    settings.ALERTS_INLINE_BACKOFF_SECONDS = 0.05


@pytest.fixture
def fake_telegram(settings, fast_retries):
    fake = FakeTelegram(rate=30)
    settings.TELEGRAM_API_BASE = fake.url
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    yield fake
    fake.stop()


@pytest.fixture
def fake_discord(settings, fast_retries):
    fake = FakeDiscord(limit=5, per=2.0)
    settings.DISCORD_API_BASE = fake.api_base
    yield fake
    fake.stop()


@pytest.fixture
def prefs():
    """Save alert preferences for a user directly (the page is tested on its own)."""

    def make(user, *, email=False, telegram=None, discord=None, frequency=Frequency.INSTANT, events=None):
        return AlertPreference.objects.update_or_create(
            user=user,
            defaults={
                "email_enabled": email,
                "telegram_enabled": telegram is not None,
                "telegram_chat_id": telegram,
                "discord_enabled": discord is not None,
                "discord_webhook_url": discord,
                "frequency": frequency,
                "event_types": events if events is not None else [e for e in EventType.values if e != "test"],
            },
        )[0]

    return make
