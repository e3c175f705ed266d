"""The health state machine: retries before DOWN (one blip alerts nobody), recovery, and
maintenance windows that keep quiet — as a pure function and through real check cycles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.alerts.models import Alert
from apps.monitoring.models import DomainCheck, DomainHealth, MaintenanceWindow
from apps.monitoring.services import health_cycle_run
from apps.monitoring.states import health_transition


@pytest.mark.parametrize(
    ("state", "failures", "outcome", "expected"),
    [
        ("unknown", 0, "ok", ("up", 0)),
        ("up", 0, "timeout", ("degraded", 1)),
        ("degraded", 1, "not_found", ("degraded", 2)),
        ("degraded", 2, "connect_error", ("down", 3)),
        ("down", 3, "http_error", ("down", 4)),
        ("down", 7, "ok", ("up", 0)),
        ("down", 7, "slow", ("degraded", 0)),
        ("up", 0, "slow", ("degraded", 0)),
    ],
)
def test_health_transition__each_step__next_state_and_counter(state, failures, outcome, expected):
    assert health_transition(state=state, failures=failures, outcome=outcome, threshold=3) == expected


@pytest.fixture
def owner(acme, user_factory):
    return user_factory(email="owner@acme.test", tenant=acme, role="owner")


@pytest.fixture
def site(acme, fake_sites):
    """acme.localhost on the fake server; returns a function to change its behaviour."""

    def behave(kind: str):
        fake_sites.set("acme.localhost", kind)

    behave("ok")
    return behave


def _cycle():
    return health_cycle_run(heal=False)


def _health():
    return DomainHealth.objects.get(domain__domain="acme.localhost")


def _alerts(event_type):
    return list(Alert.objects.filter(event_type=event_type, tenant__slug="acme"))


def test_cycle__two_failures__degraded_and_nobody_alerted(site, owner):
    site("error")

    _cycle()
    _cycle()

    health = _health()
    assert (health.state, health.consecutive_failures) == ("degraded", 2)
    assert not Alert.objects.exists()


def test_cycle__one_blip_then_ok__back_up_and_nobody_alerted(site, owner):
    site("hang")
    _cycle()
    site("ok")

    _cycle()

    assert (_health().state, _health().consecutive_failures) == ("up", 0)
    assert not Alert.objects.exists()


def test_cycle__third_failure_in_a_row__down_and_partner_and_owner_alerted_once(site, owner, partner):
    site("error")

    for _ in range(4):
        _cycle()

    health = _health()
    assert (health.state, health.consecutive_failures, health.down_alerted) == ("down", 4, True)
    [alert] = _alerts("site_down")
    assert alert.severity == "critical"
    assert alert.title == "Acme (acme.localhost) is down"
    assert "3 health checks in a row" in alert.body
    assert set(alert.deliveries.values_list("user__email", flat=True)) == {owner.email, partner.email}


def test_cycle__down_then_answers__up_and_recovered_alert(site, owner):
    site("error")
    for _ in range(3):
        _cycle()
    site("ok")

    _cycle()

    health = _health()
    assert (health.state, health.down_alerted) == ("up", False)
    [alert] = _alerts("site_recovered")
    assert "back up" in alert.title
    assert "answered 200" in alert.body


def test_cycle__down_inside_maintenance__no_alert_until_the_window_ends(site, owner, acme):
    now = timezone.now()
    window = MaintenanceWindow.objects.create(
        tenant=acme, starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1)
    )
    site("error")

    for _ in range(4):
        _cycle()
    assert _health().state == "down"
    assert not Alert.objects.exists()
    # When the window ends and the site is still down, the next cycle tells them
    window.ends_at = timezone.now() - timedelta(seconds=1)
    window.save()
    _cycle()

    assert len(_alerts("site_down")) == 1


def test_cycle__recovered_inside_maintenance__no_recovery_alert(site, owner, acme):
    site("error")
    for _ in range(3):
        _cycle()
    now = timezone.now()
    MaintenanceWindow.objects.create(
        tenant=acme, starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1)
    )
    site("ok")

    _cycle()

    assert _health().state == "up"
    assert _alerts("site_recovered") == []


def test_cycle__history__one_compact_row_per_check(site):
    site("ok")
    _cycle()
    site("notfound")
    _cycle()

    rows = list(
        DomainCheck.objects.filter(domain__domain="acme.localhost")
        .order_by("checked_at")
        .values_list("outcome", "status_code")
    )
    assert rows == [("ok", 200), ("not_found", 404)]
