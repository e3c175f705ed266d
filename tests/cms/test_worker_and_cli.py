"""Site sync from a real Celery worker process, and from `manage.py site_sync`."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context, tenant_context

from apps.cms import services
from apps.cms.models import SiteSnapshot
from apps.cms.tasks import site_sync_task
from apps.dashboard.models import TenantSetting
from apps.dashboard.tasks import tenant_setting_set_task
from apps.governance.models import SkippedTask
from tests.cms.conftest import ACME
from tests.workers.conftest import wait_for


def _snapshots(tenant) -> list[tuple[str, bool, str]]:
    with schema_context(tenant.schema_name):
        return list(SiteSnapshot.objects.order_by("id").values_list("content_hash", "is_current", "reason"))


def _setting(tenant, key: str):
    with schema_context(tenant.schema_name):
        return TenantSetting.objects.filter(key=key).exists()


@pytest.mark.worker
def test_site_sync_task__real_worker__snapshot_made_once_and_site_served(
    celery_worker_process, committed_tenant, client
):
    acme = committed_tenant("acme", name="Acme")
    with tenant_context(acme):
        services.starter_site_create(industry="restaurant", business_name="Acme Bistro")
    assert client.get("/", **ACME).status_code == 404  # not published yet

    # When the task is queued twice in acme's schema
    with tenant_context(acme):
        site_sync_task.delay("health monitor")
    assert wait_for(lambda: _snapshots(acme)), "the worker made no snapshot"
    with tenant_context(acme):
        site_sync_task.delay("again")
        tenant_setting_set_task.delay("cms_test_marker", {"done": True})  # the solo worker keeps the order

    # Then one snapshot exists (the second run found the same content) and visitors get the site
    assert wait_for(lambda: _setting(acme, "cms_test_marker")), "the worker did not reach the marker"
    assert not SkippedTask.objects.exists()
    snapshots = _snapshots(acme)
    assert len(snapshots) == 1
    assert snapshots[0][1:] == (True, "health monitor")
    response = wait_for(lambda: (r := client.get("/", **ACME)).status_code == 200 and r)
    assert response
    assert "Acme Bistro" in response.content.decode()


def test_cli__tenant__publishes_then_reports_up_to_date(acme, in_tenant, published_page, capsys):
    published_page()

    call_command("site_sync", "--tenant", "acme")
    call_command("site_sync", "--tenant", "acme", "--reason", "second")
    out = capsys.readouterr().out.splitlines()

    assert out[0].startswith("acme: published snapshot ")
    assert "(1 pages, 0 FAQs, 0 articles)" in out[0]
    assert out[1].startswith("acme: up to date (snapshot ")
    assert [(current, reason) for _, current, reason in _snapshots(acme)] == [(True, "manage.py site_sync")]


def test_cli__all__every_tenant_but_suspended(acme, globex, initech, in_tenant, capsys):
    from apps.tenancy.services import tenant_set_status

    tenant_set_status(tenant=initech, status="suspended", reason="test")

    call_command("site_sync", "--all")

    out = capsys.readouterr().out
    assert "acme: published snapshot" in out
    assert "globex: published snapshot" in out
    assert "initech" not in out
    assert len(_snapshots(acme)) == len(_snapshots(globex)) == 1
    assert _snapshots(initech) == []


def test_cli__unknown_tenant_or_no_target__clear_error(acme):
    with pytest.raises(CommandError, match="Unknown tenant"):
        call_command("site_sync", "--tenant", "nope")
    with pytest.raises(CommandError, match="--tenant SLUG, or use --all"):
        call_command("site_sync")
