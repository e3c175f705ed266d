"""The worker path with a real Celery worker process, real Redis broker and real PostgreSQL."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context, tenant_context

from apps.dashboard.models import TenantSetting
from apps.dashboard.tasks import tenant_setting_set_task
from apps.workers.models import WorkerHeartbeat
from apps.workers.selectors import workers_alive
from apps.workers.tasks import fleet_heartbeat
from config.celery import app
from tests.workers.conftest import wait_for

pytestmark = pytest.mark.worker


def test_fleet_heartbeat__real_worker__records_liveness_twice(celery_worker_process):
    # When the periodic heartbeat is queued twice on the ops queue
    fleet_heartbeat.apply_async(queue="ops")
    beat = wait_for(lambda: WorkerHeartbeat.objects.filter(hostname__startswith="testworker").first())
    assert beat is not None, "the worker did not record a heartbeat"
    fleet_heartbeat.apply_async(queue="ops")
    # Then the same worker's row is updated, not duplicated, and counts as alive
    assert wait_for(lambda: WorkerHeartbeat.objects.get(pk=beat.pk).beats >= 2)
    assert WorkerHeartbeat.objects.filter(hostname=beat.hostname).count() == 1
    assert beat.hostname in {w.hostname for w in workers_alive()}
    assert beat.queues == "ops"


def test_tenant_task__queued_in_a_tenant__runs_in_that_schema_only(celery_worker_process, committed_tenant):
    acme = committed_tenant("acme")
    globex = committed_tenant("globex")
    # When a task is queued while acme is the active tenant
    with tenant_context(acme):
        tenant_setting_set_task.delay("industry", {"name": "Manufacturing"})

    def landed():
        with schema_context(acme.schema_name):
            return TenantSetting.objects.filter(key="industry").first()

    # Then the worker writes into acme's schema, and globex sees nothing
    setting = wait_for(landed)
    assert setting is not None
    assert setting.value == {"name": "Manufacturing"}
    with schema_context(globex.schema_name):
        assert not TenantSetting.objects.filter(key="industry").exists()


def test_beat_schedule__has_fleet_heartbeat_on_ops_queue():
    app.finalize()
    entry = app.conf.beat_schedule["fleet-heartbeat"]
    assert entry["task"] == "apps.workers.tasks.fleet_heartbeat"
    assert entry["options"]["queue"] == "ops"
