"""The health cycle over the fleet: which domains are checked, self-healing after a 404, TLS
expiry warnings, tenant panics, and history pruning."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.alerts.models import Alert
from apps.monitoring.checker import CheckResult
from apps.monitoring.models import DomainCheck, DomainHealth, HealingAction
from apps.monitoring.services import (
    heal_verify,
    health_cycle_run,
    health_results_record,
    health_targets,
    history_prune,
    monitor_url_for,
)
from apps.tenancy.models import Domain
from apps.tenancy.services import tenant_set_status


@pytest.fixture
def owner(acme, user_factory):
    return user_factory(email="owner@acme.test", tenant=acme, role="owner")


def test_monitor_url_for__template_and_port__url_checked(settings):
    settings.MONITOR_URL_TEMPLATE = "http://{domain}:{port}/"
    settings.MONITOR_PORT = "8000"
    assert monitor_url_for("acme.localhost") == "http://acme.localhost:8000/"
    settings.MONITOR_URL_TEMPLATE = "https://{domain}:{port}/"
    settings.MONITOR_PORT = ""
    assert monitor_url_for("shop.example.com") == "https://shop.example.com/"


def test_health_targets__fleet__active_tenants_domains_only(acme, globex, initech, fake_sites):
    Domain.objects.create(tenant=acme, domain="shop.acme.localhost", is_primary=False)
    tenant_set_status(tenant=initech, status="suspended", reason="unpaid")

    domains = sorted(t.domain for t in health_targets())

    assert domains == ["acme.localhost", "globex.localhost", "shop.acme.localhost"]


def test_cycle__fleet__latest_state_and_history_per_domain(acme, globex, fake_sites):
    fake_sites.set("acme.localhost", "ok")
    fake_sites.set("globex.localhost", "error")

    report = health_cycle_run(heal=False)

    assert report.checked == 2
    states = dict(DomainHealth.objects.values_list("domain__domain", "state"))
    assert states == {"acme.localhost": "up", "globex.localhost": "degraded"}
    assert DomainCheck.objects.count() == 2
    globex_health = DomainHealth.objects.get(domain__domain="globex.localhost")
    assert (globex_health.last_status_code, globex_health.last_error) == (500, "HTTP 500")


def test_cycle__site_answers_404__site_sync_queued_for_that_tenant_once(
    acme, globex, fake_sites, django_capture_on_commit_callbacks
):
    fake_sites.set("acme.localhost", "notfound")

    with django_capture_on_commit_callbacks() as queued:
        report = health_cycle_run()
        health_cycle_run()  # the next cycle: a heal is already in flight

    [action] = HealingAction.objects.all()
    assert report.heals == 1
    assert action.tenant == acme
    assert action.status == "queued"
    assert action.url == monitor_url_for("acme.localhost")
    assert action.trigger == "no_snapshot"  # acme never published its site
    assert "answered 404" in action.detail
    assert len(queued) == 1  # site sync + re-check, queued after commit


def test_cycle__404_inside_maintenance__no_self_heal(acme, fake_sites):
    from apps.monitoring.models import MaintenanceWindow

    now = timezone.now()
    MaintenanceWindow.objects.create(
        tenant=acme, starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1)
    )
    fake_sites.set("acme.localhost", "notfound")

    health_cycle_run()

    assert not HealingAction.objects.exists()


def test_heal_verify__site_back__healed_and_partner_and_owner_told_what_was_done(acme, owner, partner, fake_sites):
    fake_sites.set("acme.localhost", "notfound")
    health_cycle_run()
    action = HealingAction.objects.get()
    fake_sites.set("acme.localhost", "ok")  # what site sync does on the worker

    outcome = heal_verify(action_id=action.pk, attempt=0)

    action.refresh_from_db()
    assert outcome == "healed"
    assert (action.status, action.recheck_status_code, action.rechecks) == ("healed", 200, 1)
    [alert] = Alert.objects.filter(event_type="site_healed")
    assert alert.title == "Acme: site was not found (404) — republished automatically"
    assert "What happened:" in alert.body
    assert "answered 404" in alert.body
    assert "What we did: re-triggered site sync for Acme" in alert.body
    assert "answers 200 again" in alert.body
    assert set(alert.deliveries.values_list("user__email", flat=True)) == {owner.email, partner.email}
    assert DomainHealth.objects.get(domain__domain="acme.localhost").state == "up"
    assert heal_verify(action_id=action.pk, attempt=1) == "done"  # a repeated task changes nothing


def test_heal_verify__still_404__retried_then_failed_alert(acme, owner, fake_sites, settings):
    settings.MONITOR_HEAL_RECHECK_DELAYS = [1.0, 2.0]
    fake_sites.set("acme.localhost", "notfound")
    health_cycle_run()
    action = HealingAction.objects.get()

    assert heal_verify(action_id=action.pk, attempt=0) == "retry"
    assert heal_verify(action_id=action.pk, attempt=1) == "failed"

    action.refresh_from_db()
    assert (action.status, action.rechecks) == ("failed", 2)
    [alert] = Alert.objects.filter(event_type="site_heal_failed")
    assert alert.severity == "critical"
    assert "still answers 404" in alert.body


def test_cycle__certificate_expiring__one_warning_per_certificate(acme, owner):
    domain = Domain.objects.get(domain="acme.localhost")
    expires = timezone.now() + timedelta(days=5)
    result = CheckResult(
        key=domain.pk,
        url="https://acme.localhost/",
        outcome="ok",
        status_code=200,
        latency_ms=12,
        tls_expires_at=expires,
    )

    health_results_record(results=[result])
    health_results_record(results=[result])

    [alert] = Alert.objects.filter(event_type="tls_expiring")
    assert "expires in" in alert.title
    assert DomainHealth.objects.get(domain=domain).tls_expires_at == expires


def test_cycle_task__one_tenant_panicked__every_tenant_still_monitored(acme, globex, fake_sites):
    from apps.governance.services import panic_engage
    from apps.monitoring.tasks import health_cycle_task

    panic_engage(tenant=acme, reason="drill")
    fake_sites.set("acme.localhost", "notfound")

    result = health_cycle_task.apply()  # through the GuardedTask, as on a worker

    assert result.result["checked"] == 2
    assert set(DomainHealth.objects.values_list("domain__domain", flat=True)) == {"acme.localhost", "globex.localhost"}
    action = HealingAction.objects.get(tenant=acme)
    assert "emergency stop" in action.detail


def test_history_prune__older_than_retention__deleted_recent_kept(acme, settings):
    settings.MONITOR_HISTORY_DAYS = 7
    domain = Domain.objects.get(domain="acme.localhost")
    now = timezone.now()
    DomainCheck.objects.bulk_create(
        [
            DomainCheck(domain=domain, checked_at=now - timedelta(days=d), outcome="ok", status_code=200, latency_ms=5)
            for d in (1, 6, 8, 30)
        ]
    )

    deleted = history_prune(batch=1)

    assert deleted == 2
    assert sorted((now - c).days for c in DomainCheck.objects.values_list("checked_at", flat=True)) == [1, 6]


def test_uptime__mixed_history__share_of_successful_checks(acme):
    from apps.monitoring.selectors import uptime_for_domains

    domain = Domain.objects.get(domain="acme.localhost")
    now = timezone.now()
    outcomes = ["ok"] * 9 + ["timeout"]
    DomainCheck.objects.bulk_create(
        [
            DomainCheck(domain=domain, checked_at=now - dt.timedelta(minutes=5 * i), outcome=o, latency_ms=10)
            for i, o in enumerate(outcomes)
        ]
    )

    stats = uptime_for_domains(domain_ids=[domain.pk], since=now - timedelta(days=1))[domain.pk]

    assert (stats["total"], stats["ok"], stats["uptime"]) == (10, 9, 90.0)


def test_cycle_task__previous_cycle_still_running__skipped(acme, fake_sites):
    from django.core.cache import cache

    from apps.monitoring.tasks import health_cycle_task

    cache.add("monitoring:health-cycle:running", 1, timeout=60)

    result = health_cycle_task.apply()

    assert result.result == {"skipped": "a cycle is already running"}
    assert not DomainHealth.objects.exists()


def test_health_check_command__one_tenant__checks_only_its_domains_and_prints_them(acme, globex, fake_sites, capsys):
    from django.core.management import call_command

    fake_sites.set("acme.localhost", "ok")

    call_command("health_check", "--tenant", "acme")

    out = capsys.readouterr().out
    assert "acme.localhost: up — HTTP 200" in out
    assert "globex" not in out
    assert "1 checked" in out
