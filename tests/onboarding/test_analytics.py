"""apps.core.analytics: the posthog client pointed at the fake ingestion server, and off
(no requests at all) when no key is configured."""

from __future__ import annotations

import time

from apps.core import analytics
from tests.fakes.posthog import API_KEY


def test_capture__key_configured__event_reaches_batch_endpoint_with_properties(posthog_on):
    assert analytics.capture("onboarding_started", distinct_id="onboarding:1", properties={"plan": "pro"})

    (event,) = posthog_on.named("onboarding_started")
    assert event["_path"] == "/batch/"
    assert event["distinct_id"] == "onboarding:1"
    assert event["properties"]["plan"] == "pro"
    assert posthog_on.requests[0].json()["api_key"] == API_KEY


def test_capture__no_key__disabled_and_no_request_made(settings, fake_posthog):
    settings.POSTHOG_HOST = fake_posthog.url
    settings.POSTHOG_API_KEY = ""

    assert analytics.capture("onboarding_started", distinct_id="x") is False
    analytics.flush()

    status = analytics.analytics_status()
    assert status["enabled"] is False
    assert "POSTHOG_API_KEY is not set" in status["reason"]
    assert fake_posthog.requests == []


def test_capture__background_mode_rate_limited_once__delivered_after_retry(settings, fake_posthog):
    settings.POSTHOG_API_KEY = API_KEY
    settings.POSTHOG_HOST = fake_posthog.url
    settings.POSTHOG_SYNC_MODE = False
    fake_posthog.rate_limit_next(1)

    analytics.capture("payment_success", distinct_id="onboarding:2", properties={"industry": "dental"})
    analytics.flush()

    deadline = time.monotonic() + 15
    while not fake_posthog.named("payment_success") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [e["properties"]["industry"] for e in fake_posthog.named("payment_success")] == ["dental"]
    assert [r.path for r in fake_posthog.requests].count("/batch/") >= 2  # the 429, then the retry


def test_capture__server_down__returns_false_without_raising(settings, fake_posthog):
    settings.POSTHOG_API_KEY = API_KEY
    settings.POSTHOG_HOST = fake_posthog.url
    settings.POSTHOG_SYNC_MODE = True
    fake_posthog.stop()

    assert analytics.capture("sync_completed", distinct_id="x") is False
