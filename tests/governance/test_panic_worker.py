"""The emergency stop against a real `celery worker` process, real Redis broker and real
PostgreSQL: held tasks do not run, are recorded, and run after release and re-run."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command
from django_tenants.utils import schema_context, tenant_context

from apps.audit.models import AuditEvent
from apps.dashboard.models import TenantSetting
from apps.dashboard.tasks import tenant_setting_set_task
from apps.governance.models import SkippedTask
from apps.governance.tasks import DRILL_SETTING, panic_drill
from apps.workers.models import WorkerHeartbeat
from apps.workers.tasks import fleet_heartbeat
from tests.workers.conftest import wait_for

pytestmark = pytest.mark.worker


def setting(tenant, key: str):
    with schema_context(tenant.schema_name):
        row = TenantSetting.objects.filter(key=key).first()
        return row.value if row else None


def queue_setting(tenant, key: str, value: dict) -> str:
    with tenant_context(tenant):
        return tenant_setting_set_task.delay(key, value).id


def test_panic__one_tenant__only_the_other_tenants_tasks_run_then_rerun_recovers(
    celery_worker_process, committed_tenant
):
    acme = committed_tenant("acme")
    globex = committed_tenant("globex")
    # Given the (single) worker busy with a slow task, so the next tasks wait in the queue
    with tenant_context(globex):
        panic_drill.delay(steps=5, step_seconds=0.4)
    assert wait_for(lambda: (setting(globex, DRILL_SETTING) or {}).get("step", 0) >= 1)
    queued_before = queue_setting(acme, "industry", {"name": "Retail"})
    queue_setting(globex, "industry", {"name": "Logistics"})

    # When acme is panicked while its task waits, and one more acme task is queued after
    call_command("panic", "--tenant", "acme", "--reason", "drill")
    queued_after = queue_setting(acme, "region", {"name": "EU"})

    # Then globex's work runs, acme's two tasks are skipped and recorded, not run
    assert wait_for(lambda: setting(globex, "industry")) == {"name": "Logistics"}
    assert wait_for(lambda: SkippedTask.objects.filter(schema_name=acme.schema_name).count() == 2)
    assert setting(acme, "industry") is None
    assert setting(acme, "region") is None
    skipped = {s.task_id: s for s in SkippedTask.objects.all()}
    assert set(skipped) == {queued_before, queued_after}
    assert skipped[queued_before].args == ["industry", {"name": "Retail"}]
    assert skipped[queued_before].queued_at is not None
    assert skipped[queued_before].queue == "default"

    # When acme is released and its skipped tasks are re-run
    call_command("panic", "--release", "--tenant", "acme")
    call_command("panic", "--rerun", "--tenant", "acme")

    # Then they run in acme's schema, and every step is in the audit log
    assert wait_for(lambda: setting(acme, "industry")) == {"name": "Retail"}
    assert wait_for(lambda: setting(acme, "region")) == {"name": "EU"}
    assert not SkippedTask.objects.filter(rerun_at__isnull=True).exists()
    actions = list(
        AuditEvent.objects.filter(tenant_slug="acme", action__startswith="panic.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["panic.engage", "panic.release", "panic.rerun"]


def test_panic__long_task__stops_between_steps_and_a_rerun_finishes_it(celery_worker_process, committed_tenant):
    acme = committed_tenant("acme")
    with tenant_context(acme):
        panic_drill.delay(steps=40, step_seconds=0.15)
    assert wait_for(lambda: (setting(acme, DRILL_SETTING) or {}).get("step", 0) >= 2)

    # When the tenant is panicked mid-run
    call_command("panic", "--tenant", "acme")

    # Then the task stops at its next step and is recorded as cancelled
    cancelled = wait_for(lambda: SkippedTask.objects.filter(kind="cancelled").first())
    assert cancelled is not None
    stopped_at = setting(acme, DRILL_SETTING)["step"]
    time.sleep(1.0)
    assert setting(acme, DRILL_SETTING)["step"] == stopped_at < 40
    assert cancelled.kwargs == {"steps": 40, "step_seconds": 0.15}

    # When released and re-run, the drill runs to its end
    call_command("panic", "--release", "--tenant", "acme")
    call_command("panic", "--rerun", "--tenant", "acme")
    assert wait_for(lambda: (setting(acme, DRILL_SETTING) or {}).get("done"), timeout=40)


def test_panic_all__every_tenant_held_heartbeat_kept_then_rerun_all(celery_worker_process, committed_tenant):
    acme = committed_tenant("acme")
    globex = committed_tenant("globex")

    # When the global switch is on and both tenants queue work (and the heartbeat beats)
    call_command("panic", "--all", "--reason", "incident")
    queue_setting(acme, "industry", {"name": "Retail"})
    queue_setting(globex, "industry", {"name": "Logistics"})
    fleet_heartbeat.apply_async(queue="ops")

    # Then nothing of either tenant runs, but operators still see the worker alive
    assert wait_for(lambda: SkippedTask.objects.count() == 2)
    assert wait_for(lambda: WorkerHeartbeat.objects.filter(hostname__startswith="testworker").exists())
    assert setting(acme, "industry") is None
    assert setting(globex, "industry") is None

    # When released and re-run fleet-wide
    call_command("panic", "--release", "--all")
    call_command("panic", "--rerun", "--all")

    # Then both land
    assert wait_for(lambda: setting(acme, "industry")) == {"name": "Retail"}
    assert wait_for(lambda: setting(globex, "industry")) == {"name": "Logistics"}
