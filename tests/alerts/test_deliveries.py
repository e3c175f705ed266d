"""Emitting alerts and delivering them: per-user channels and frequency, retries with back-off,
failures kept visible, rate limits respected with nothing lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from apps.alerts.models import Alert, Delivery, EventType
from apps.alerts.services import (
    alert_emit,
    alert_tenant_stakeholders,
    deliveries_retry_due,
    deliveries_send,
    delivery_retry_now,
)
from tests.fakes import Response

BAD_GATEWAY = Response(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})


def _emit(users, event_type=EventType.SITE_DOWN, title="Acme is down", **kw):
    return alert_emit(
        event_type=event_type, title=title, body="3 checks failed.", severity="critical", users=users, **kw
    )


def test_alert_emit__telegram_and_email_on__one_instant_delivery_each(
    user_factory, prefs, django_capture_on_commit_callbacks
):
    user = user_factory()
    prefs(user, email=True, telegram="1001")

    with django_capture_on_commit_callbacks() as queued:
        alert = _emit([user])

    assert sorted(alert.deliveries.values_list("channel", "digest", "status")) == [
        ("email", "", "queued"),
        ("telegram", "", "queued"),
    ]
    assert len(queued) == 1  # one send task for the instant deliveries, after commit


def test_alert_emit__user_without_preferences__email_instantly(user_factory):
    user = user_factory()

    alert = _emit([user])

    assert list(alert.deliveries.values_list("user_id", "channel", "digest")) == [(user.pk, "email", "")]


def test_alert_emit__event_not_subscribed__no_delivery_but_alert_recorded(user_factory, prefs):
    user = user_factory()
    prefs(user, email=True, events=[EventType.SITE_HEALED])

    alert = _emit([user])

    assert Alert.objects.filter(pk=alert.pk).exists()
    assert not alert.deliveries.exists()


def test_alert_emit__hourly_digest_user__delivery_waits_and_nothing_queued(
    user_factory, prefs, django_capture_on_commit_callbacks
):
    user = user_factory()
    prefs(user, telegram="1001", frequency="hourly")

    with django_capture_on_commit_callbacks() as queued:
        alert = _emit([user])

    assert list(alert.deliveries.values_list("digest", "status")) == [("hourly", "queued")]
    assert queued == []


def test_alert_tenant_stakeholders__partner_and_owners__each_alerted_members_not(acme, partner, user_factory):
    owner = user_factory(email="owner@acme.test", tenant=acme, role="owner")
    user_factory(email="member@acme.test", tenant=acme, role="member")

    alert = alert_tenant_stakeholders(tenant=acme, event_type=EventType.SITE_DOWN, title="down", body="b")

    assert set(alert.deliveries.values_list("user__email", flat=True)) == {partner.email, owner.email}


def test_deliveries_send__instant__telegram_and_email_delivered(user_factory, prefs, fake_telegram):
    user = user_factory(email="ops@acme.test")
    prefs(user, email=True, telegram="1001")
    alert = _emit([user])

    report = deliveries_send(ids=list(alert.deliveries.values_list("pk", flat=True)))

    assert report.sent == 2
    assert fake_telegram.texts_for("1001")[0].count("Acme is down") == 1
    assert mail.outbox[0].to == ["ops@acme.test"]
    assert "Acme is down" in mail.outbox[0].subject
    assert set(alert.deliveries.values_list("status", flat=True)) == {"sent"}


def test_deliveries_send__provider_down__retrying_with_backoff_then_sent_by_the_sweep(
    user_factory, prefs, fake_telegram, settings
):
    settings.ALERTS_SEND_TRIES = 2
    user = user_factory()
    prefs(user, telegram="1001")
    alert = _emit([user])
    fake_telegram.fail_next(BAD_GATEWAY, times=2)

    deliveries_send(ids=list(alert.deliveries.values_list("pk", flat=True)))

    delivery = alert.deliveries.get()
    assert delivery.status == "retrying"
    assert delivery.attempts == 1
    assert "502" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)
    # Not due yet: the sweep leaves it alone
    assert deliveries_retry_due().sent == 0
    # When its time comes, the sweep sends it
    report = deliveries_retry_due(now=delivery.next_attempt_at + timedelta(seconds=1))
    delivery.refresh_from_db()
    assert report.sent == 1
    assert delivery.status == "sent"
    assert delivery.attempts == 2
    assert delivery.last_error == ""
    assert len(fake_telegram.texts_for("1001")) == 1


def test_deliveries_send__max_attempts_reached__failed_kept_with_error_and_retryable(
    user_factory, prefs, fake_telegram, settings
):
    settings.ALERTS_SEND_TRIES = 1
    settings.ALERTS_MAX_ATTEMPTS = 2
    user = user_factory()
    prefs(user, telegram="1001")
    alert = _emit([user])
    fake_telegram.fail_next(BAD_GATEWAY, times=2)
    delivery = alert.deliveries.get()

    deliveries_send(ids=[delivery.pk])
    deliveries_retry_due(now=timezone.now() + timedelta(hours=2))

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert "Bad Gateway" in delivery.last_error
    # By hand: a fresh round, and this time it goes through
    delivery_retry_now(delivery=delivery)
    deliveries_send(ids=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == "sent"


def test_deliveries_send__chat_not_found__failed_at_once_not_retried(user_factory, prefs, fake_telegram):
    user = user_factory()
    prefs(user, telegram="4242")
    fake_telegram.unknown_chats.add("4242")
    alert = _emit([user])

    report = deliveries_send(ids=list(alert.deliveries.values_list("pk", flat=True)))

    delivery = alert.deliveries.get()
    assert report.failed == 1
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 1, None)
    assert "chat not found" in delivery.last_error


def test_deliveries_send__long_retry_after__scheduled_after_that_delay(user_factory, prefs, fake_telegram, settings):
    from tests.fakes.telegram import tg_error

    settings.ALERTS_MAX_INLINE_WAIT_SECONDS = 1
    user = user_factory()
    prefs(user, telegram="1001")
    alert = _emit([user])
    fake_telegram.fail_next(tg_error(429, "Too Many Requests: retry after 600", retry_after=600))

    deliveries_send(ids=list(alert.deliveries.values_list("pk", flat=True)))

    delivery = alert.deliveries.get()
    assert delivery.status == "retrying"
    assert delivery.next_attempt_at >= timezone.now() + timedelta(seconds=590)


def test_deliveries_send__sent_delivery__never_sent_twice(user_factory, prefs, fake_telegram):
    user = user_factory()
    prefs(user, telegram="1001")
    alert = _emit([user])
    ids = list(alert.deliveries.values_list("pk", flat=True))

    deliveries_send(ids=ids)
    deliveries_send(ids=ids)  # a repeated task (acks_late redelivery)

    assert len(fake_telegram.messages) == 1


def test_deliveries_send__fan_out_over_rate_limit__every_alert_delivered_none_early(
    user_factory, prefs, fake_telegram, settings
):
    settings.TELEGRAM_MAX_PER_SECOND = 0  # no pacing: as when several workers send at once
    users = [user_factory() for _ in range(40)]
    for i, user in enumerate(users):
        prefs(user, telegram=str(2000 + i))
    ids = []
    for n in range(3):
        alert = _emit(users, title=f"Alert {n}")
        ids += list(alert.deliveries.values_list("pk", flat=True))

    report = deliveries_send(ids=ids)

    assert report.sent == 120
    assert len(fake_telegram.messages) == 120
    assert fake_telegram.rejected_429 >= 3  # 120 messages at 30 per second meet the limit…
    assert fake_telegram.violations == 0  # …and every wait was honoured
    assert not Delivery.objects.exclude(status="sent").exists()


def test_alert_preference__destinations__encrypted_at_rest(user_factory, prefs):
    user = user_factory()
    prefs(user, telegram="555123", discord="https://discord.com/api/webhooks/123456789/secret-token-abcdef")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT telegram_chat_id, discord_webhook_url FROM alerts_alertpreference WHERE user_id = %s", [user.pk]
        )
        raw = cursor.fetchone()

    assert "555123" not in raw[0]
    assert "secret-token" not in raw[1]


@pytest.mark.parametrize("bad", ["", "ftp://x"])
def test_alert_emit__unknown_event__refused(user_factory, bad):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        alert_emit(event_type=bad or "nope", title="t", users=[user_factory()])


def test_deliveries_send__paced_below_the_bot_limit__no_429_at_all(user_factory, prefs, fake_telegram, settings):
    settings.TELEGRAM_MAX_PER_SECOND = 25
    users = [user_factory() for _ in range(40)]
    for i, user in enumerate(users):
        prefs(user, telegram=str(3000 + i))
    ids = list(_emit(users).deliveries.values_list("pk", flat=True))

    report = deliveries_send(ids=ids)

    assert report.sent == 40
    assert fake_telegram.rejected_429 == 0
    stamps = [m["at"] for m in fake_telegram.messages]
    assert stamps[-1] - stamps[0] >= 39 / 25 - 0.05
