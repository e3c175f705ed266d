"""Hourly and daily digests: one message per user and channel with every waiting alert."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from apps.alerts.models import Delivery, EventType
from apps.alerts.services import alert_emit, deliveries_retry_due, digests_send
from tests.fakes import Response


def _emit(users, title):
    return alert_emit(event_type=EventType.SITE_DOWN, title=title, body="b", severity="warning", users=users)


def test_digests_send__hourly__one_message_per_user_listing_every_alert(user_factory, prefs, fake_telegram):
    ana, ben = user_factory(), user_factory()
    prefs(ana, telegram="1001", frequency="hourly")
    prefs(ben, telegram="1002", frequency="hourly")
    for title in ("Acme is down", "Globex is down", "Initech is down"):
        _emit([ana, ben], title)

    report = digests_send(frequency="hourly")

    assert (report.sent, report.messages) == (6, 2)
    [text] = fake_telegram.texts_for("1001")
    assert "3 alerts — hourly digest" in text
    assert all(name in text for name in ("Acme is down", "Globex is down", "Initech is down"))
    assert len(fake_telegram.texts_for("1002")) == 1
    assert not Delivery.objects.exclude(status="sent").exists()


def test_digests_send__hourly_run__daily_deliveries_keep_waiting(user_factory, prefs, fake_telegram):
    daily = user_factory()
    prefs(daily, telegram="1003", frequency="daily")
    _emit([daily], "Acme is down")

    report = digests_send(frequency="hourly")

    assert report.sent == 0
    assert fake_telegram.messages == []
    assert Delivery.objects.get().status == "queued"
    assert digests_send(frequency="daily").sent == 1
    assert "Acme is down" in fake_telegram.texts_for("1003")[0]


def test_digests_send__per_channel__email_and_telegram_each_get_one(user_factory, prefs, fake_telegram, mailoutbox):
    user = user_factory(email="d@acme.test")
    prefs(user, email=True, telegram="1001", frequency="daily")
    _emit([user], "One")
    _emit([user], "Two")

    digests_send(frequency="daily")

    assert len(fake_telegram.messages) == 1
    assert len(mailoutbox) == 1
    assert "2 alerts — daily digest" in mailoutbox[0].subject


def test_digests_send__provider_down__digest_retried_whole_by_the_sweep(user_factory, prefs, fake_telegram, settings):
    settings.ALERTS_SEND_TRIES = 1
    user = user_factory()
    prefs(user, telegram="1001", frequency="hourly")
    _emit([user], "One")
    _emit([user], "Two")
    fake_telegram.fail_next(Response(503, {"ok": False, "error_code": 503, "description": "Service Unavailable"}))

    digests_send(frequency="hourly")
    assert set(Delivery.objects.values_list("status", flat=True)) == {"retrying"}
    deliveries_retry_due(now=timezone.now() + timedelta(minutes=5))

    [text] = fake_telegram.texts_for("1001")
    assert "2 alerts — hourly digest" in text
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_beat_schedule__digests_retries_and_health_cycle__scheduled():
    from config.celery import app

    app.finalize()
    schedule = app.conf.beat_schedule
    assert schedule["alerts-digest-hourly"]["args"] == ("hourly",)
    assert schedule["alerts-digest-daily"]["args"] == ("daily",)
    assert schedule["alerts-retry-due"]["task"] == "apps.alerts.tasks.deliveries_retry_task"
    assert schedule["monitoring-health-cycle"]["task"] == "apps.monitoring.tasks.health_cycle_task"
    assert schedule["monitoring-health-cycle"]["schedule"] == 300.0
