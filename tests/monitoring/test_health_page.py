"""The tenant's Health page (/app/health/) and the fleet view in the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.models import Tier
from apps.monitoring.models import DomainCheck, DomainHealth, HealingAction, MaintenanceWindow
from apps.tenancy.models import Domain
from tests.monitoring.conftest import TENANT_HOST

URL = "/app/health/"


@pytest.fixture
def member(acme, user_factory):
    return user_factory(email="mia@acme.test", tenant=acme, role="member")


@pytest.fixture
def owner(acme, user_factory):
    return user_factory(email="olga@acme.test", tenant=acme, role="owner")


def _history(domain_name: str, outcomes: list[str], latency: int = 120):
    domain = Domain.objects.get(domain=domain_name)
    now = timezone.now()
    DomainCheck.objects.bulk_create(
        [
            DomainCheck(
                domain=domain,
                checked_at=now - timedelta(minutes=5 * i),
                outcome=o,
                status_code=200 if o == "ok" else None,
                latency_ms=latency + i,
            )
            for i, o in enumerate(outcomes)
        ]
    )
    DomainHealth.objects.create(
        domain=domain,
        tenant=domain.tenant,
        state="up",
        last_status_code=200,
        last_latency_ms=latency,
        last_checked_at=now,
    )
    return domain


def test_health_page__history__uptime_and_latency_chart_of_own_domains_only(client, member, globex):
    _history("acme.localhost", ["ok"] * 19 + ["timeout"])
    _history("globex.localhost", ["ok"] * 3)
    client.force_login(member)

    page = client.get(URL, **TENANT_HOST).content.decode()

    assert 'data-domain="acme.localhost" data-state="up"' in page
    assert "95.00 %" in page  # 19 of 20 checks
    assert 'data-testid="latency-chart"' in page
    assert '<path class="chart__line" d="M' in page
    assert 'class="chart__fail"' in page  # the failed check is marked
    assert "globex.localhost" not in page


def test_health_page__nav__health_entry_active(client, member):
    client.force_login(member)

    page = client.get(URL, **TENANT_HOST).content.decode()

    assert 'data-nav="health" aria-current="page"' in page


def test_health_page__no_checks_yet__says_so(client, member):
    client.force_login(member)

    page = client.get(URL, **TENANT_HOST).content.decode()

    assert "Not checked yet" in page
    assert "No checks in this range yet." in page


def test_health_page__healing_actions__listed_with_result(client, member, acme):
    HealingAction.objects.create(
        tenant=acme,
        url="http://acme.localhost/",
        trigger="no_snapshot",
        status="healed",
        detail="http://acme.localhost/ answered 404 Not Found.",
        recheck_status_code=200,
    )
    client.force_login(member)

    page = client.get(URL, **TENANT_HOST).content.decode()

    assert "answered 404 Not Found." in page
    assert "Repaired" in page


def test_maintenance__owner_schedules__window_saved_audited_and_banner_shown(client, owner, acme):
    from apps.audit.models import AuditEvent

    client.force_login(owner)
    now = timezone.now()
    response = client.post(
        URL + "maintenance/",
        {
            "starts_at": (now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "Theme migration",
        },
        **TENANT_HOST,
    )

    assert response.status_code == 302
    window = MaintenanceWindow.objects.get(tenant=acme)
    assert window.reason == "Theme migration"
    assert AuditEvent.objects.filter(action="monitoring.maintenance_create", actor=owner).exists()
    page = client.get(URL, **TENANT_HOST).content.decode()
    assert 'data-testid="maintenance-banner"' in page


def test_maintenance__member__may_not_schedule(client, member, acme):
    client.force_login(member)
    now = timezone.now()

    response = client.post(
        URL + "maintenance/",
        {"starts_at": now.strftime("%Y-%m-%dT%H:%M"), "ends_at": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")},
        **TENANT_HOST,
    )

    assert response.status_code == 403
    assert not MaintenanceWindow.objects.exists()
    assert 'data-testid="maintenance-form"' not in client.get(URL, **TENANT_HOST).content.decode()


def test_maintenance__end_before_start__400_with_error(client, owner):
    client.force_login(owner)
    now = timezone.now()

    response = client.post(
        URL + "maintenance/",
        {
            "starts_at": (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        },
        **TENANT_HOST,
    )

    assert response.status_code == 400
    assert "The end must be after the start." in response.content.decode()


def test_maintenance__end_now__window_closed(client, owner, acme):
    now = timezone.now()
    window = MaintenanceWindow.objects.create(
        tenant=acme, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    client.force_login(owner)

    client.post(f"{URL}maintenance/{window.pk}/end/", **TENANT_HOST)

    window.refresh_from_db()
    assert window.ends_at <= timezone.now()


def test_maintenance__another_tenants_window__404(client, owner, globex):
    now = timezone.now()
    window = MaintenanceWindow.objects.create(tenant=globex, starts_at=now, ends_at=now + timedelta(hours=1))
    client.force_login(owner)

    assert client.post(f"{URL}maintenance/{window.pk}/end/", **TENANT_HOST).status_code == 404


# --------------------------------------------------------------------------- admin fleet view


@pytest.fixture
def support_client(platform, user_factory, login_verified):
    client = Client(HTTP_HOST="localhost")
    login_verified(client, user_factory(email="agent@bizosaas.test", tier=Tier.SUPPORT))
    return client


def test_admin_fleet__every_tenants_domains__state_uptime_latency_and_summary(support_client, acme, globex):
    _history("acme.localhost", ["ok"] * 3 + ["timeout"])
    globex_domain = _history("globex.localhost", ["ok"] * 2)
    DomainHealth.objects.filter(domain=globex_domain).update(state="down", consecutive_failures=4)

    page = support_client.get("/admin/monitoring/domainhealth/").content.decode()

    assert "acme.localhost" in page
    assert "globex.localhost" in page
    assert "75.00 %" in page
    assert 'data-testid="fleet-health"' in page
    assert 'data-state="down"' in page
    down_only = support_client.get("/admin/monitoring/domainhealth/?state__exact=down").content.decode()
    assert "globex.localhost" in down_only
    assert "acme.localhost" not in down_only


def test_admin_deliveries__failed_delivery__visible_and_retried_by_staff(support_client, user_factory):
    from apps.alerts.models import Delivery
    from apps.alerts.services import alert_emit
    from apps.audit.models import AuditEvent

    alert = alert_emit(event_type="site_down", title="Acme is down", users=[user_factory()])
    delivery = alert.deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(
        status="failed", attempts=8, last_error="Telegram 403: Forbidden: bot was blocked by the user"
    )

    page = support_client.get("/admin/alerts/delivery/?status__exact=failed").content.decode()
    assert "bot was blocked by the user" in page

    support_client.post("/admin/alerts/delivery/", {"action": "retry_selected", "_selected_action": [delivery.pk]})

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("retrying", 0)
    assert AuditEvent.objects.filter(action="alerts.delivery_retry").exists()


@pytest.mark.parametrize(
    "path",
    [
        "/admin/monitoring/domainhealth/",
        "/admin/monitoring/healingaction/",
        "/admin/monitoring/maintenancewindow/",
        "/admin/monitoring/maintenancewindow/add/",
        "/admin/alerts/alert/",
        "/admin/alerts/delivery/",
        "/admin/alerts/alertpreference/",
    ],
)
def test_admin_pages__support_staff__render(support_client, acme, path):
    assert support_client.get(path).status_code == 200


def test_admin_maintenance__support_adds_window__created_through_the_service_and_audited(support_client, acme):
    from apps.audit.models import AuditEvent

    now = timezone.now() + timedelta(hours=1)
    response = support_client.post(
        "/admin/monitoring/maintenancewindow/add/",
        {
            "tenant": acme.pk,
            "starts_at_0": now.strftime("%Y-%m-%d"),
            "starts_at_1": now.strftime("%H:%M:%S"),
            "ends_at_0": (now + timedelta(hours=2)).strftime("%Y-%m-%d"),
            "ends_at_1": (now + timedelta(hours=2)).strftime("%H:%M:%S"),
            "reason": "Database upgrade",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    window = MaintenanceWindow.objects.get(tenant=acme)
    assert window.reason == "Database upgrade"
    assert AuditEvent.objects.filter(action="monitoring.maintenance_create").exists()


def test_admin_alert_preferences__destinations__never_shown(support_client, user_factory):
    from apps.alerts.models import AlertPreference

    user = user_factory(email="p@acme.test")
    AlertPreference.objects.create(user=user, telegram_enabled=True, telegram_chat_id="31337000")
    pref = AlertPreference.objects.get(user=user)

    page = support_client.get(f"/admin/alerts/alertpreference/{pref.pk}/change/").content.decode()

    assert "on (chat id saved)" in page
    assert "31337000" not in page
