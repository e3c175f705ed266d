"""Self-healing end to end, with a real Celery worker process, the real site served over HTTP
and the fake Telegram: a tenant that never published its site answers 404 → the health cycle
(on the worker) queues site sync in the tenant's schema → the worker republishes → the re-check
answers 200 → the partner and the owner get an alert on Telegram saying what happened and what
was done."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from apps.accounts.models import Tier
from apps.alerts.models import Delivery
from apps.monitoring.models import DomainHealth, HealingAction
from apps.monitoring.tasks import health_cycle_task
from tests.workers.conftest import wait_for

pytestmark = pytest.mark.worker

PARTNER_CHAT, OWNER_CHAT = "7001", "7002"


@pytest.fixture
def worker_env(monkeypatch, live_server, fake_telegram, settings):
    """The worker reads its settings from the environment: point it (and this process) at the
    live server for the sites and at the fake Telegram."""
    port = str(live_server.thread.port)
    env = {
        "MONITOR_URL_TEMPLATE": "http://{domain}:{port}/",
        "MONITOR_PORT": port,
        "MONITOR_HEAL_RECHECK_DELAYS": "1,1,2,3,5,8",
        "TELEGRAM_API_BASE": fake_telegram.url,
        "TELEGRAM_BOT_TOKEN": settings.TELEGRAM_BOT_TOKEN,
        "ALERTS_INLINE_BACKOFF_SECONDS": "0.05",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings.MONITOR_URL_TEMPLATE = env["MONITOR_URL_TEMPLATE"]
    settings.MONITOR_PORT = port
    return env


@pytest.fixture
def heal_worker(worker_env, celery_worker_process):
    return celery_worker_process


def test_self_heal__site_never_published__republished_by_worker_and_stakeholders_alerted(
    heal_worker, committed_tenant, user_factory, prefs, fake_telegram, client
):
    partner = user_factory(email="agency@example.test", tier=Tier.PARTNER)
    owner = user_factory(email="owner@heal.test")
    tenant = committed_tenant("heal", name="Heal Bakery", partner=partner, owner=owner)
    prefs(partner, telegram=PARTNER_CHAT)
    prefs(owner, telegram=OWNER_CHAT)
    with schema_context(tenant.schema_name):
        from apps.cms.selectors import site_snapshot_current

        assert site_snapshot_current() is None
    assert client.get("/", HTTP_HOST="heal.localhost").status_code == 404  # Given: the site is not published

    # When beat's health cycle runs on the worker
    health_cycle_task.apply_async(queue="default")

    # Then the partner and the owner are told, on Telegram, what happened and what was done
    assert wait_for(lambda: len(fake_telegram.messages) >= 2, timeout=90), (
        f"no alerts: {list(HealingAction.objects.values('status', 'detail'))} "
        f"{list(Delivery.objects.values('status', 'last_error'))}"
    )
    action = HealingAction.objects.get(tenant=tenant)
    assert (action.status, action.trigger, action.recheck_status_code) == ("healed", "no_snapshot", 200)
    for chat in (PARTNER_CHAT, OWNER_CHAT):
        [text] = fake_telegram.texts_for(chat)
        assert "Heal Bakery: site was not found (404) — republished automatically" in text
        assert "had no published snapshot" in text
        assert "re-triggered site sync for Heal Bakery" in text
        assert "answers 200 again" in text
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    # And the site is really back, and the monitor knows it
    assert client.get("/", HTTP_HOST="heal.localhost").status_code == 200
    with schema_context(tenant.schema_name):
        assert site_snapshot_current() is not None
    assert DomainHealth.objects.get(domain__domain="heal.localhost").state == "up"
