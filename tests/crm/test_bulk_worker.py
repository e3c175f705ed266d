"""A selection over 5,000 rows runs in a real Celery worker process, chunk by chunk, with
progress readable while it runs and the same result as the inline path."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEvent
from apps.core import bulk
from apps.crm.models import Contact
from tests.crm.factories import contacts_sql
from tests.workers.conftest import celery_worker_process, wait_for  # noqa: F401

pytestmark = pytest.mark.worker


def test_bulk_run__5001_contacts_by_filter__worker_job_tags_all_and_reports_progress(
    celery_worker_process,  # noqa: F811
    committed_tenant,
):
    acme = committed_tenant("acme")
    with tenant_context(acme):
        contacts_sql(5_001)
        result = bulk.bulk_run(
            kind="contacts", action="add_tags", filters={"industry": "retail"}, params={"tags": ["vip"]}
        )
    assert (result.state, result.count) == ("queued", 5_001)

    def finished():
        with tenant_context(acme):
            progress = bulk.bulk_job_progress(job_id=result.job_id)
        return progress if progress is not None and progress.finished else None

    progress = wait_for(finished, timeout=90)
    assert progress is not None, "the job did not finish"
    assert (progress.state, progress.done, progress.total, progress.changed) == ("done", 5_001, 5_001, 5_001)
    with tenant_context(acme):
        assert Contact.objects.filter(tags__contains=["vip"]).count() == 5_001
    assert AuditEvent.objects.filter(action="crm.bulk_add_tags", tenant_slug="acme", reason="finished").count() == 1


def test_bulk_delete__5001_ids__worker_job_then_undo_restores_all(celery_worker_process, committed_tenant):  # noqa: F811
    acme = committed_tenant("acme")
    with tenant_context(acme):
        contacts_sql(5_001)
        ids = list(Contact.objects.values_list("pk", flat=True))
        result = bulk.bulk_run(kind="contacts", action="delete", ids=ids)

    def finished():
        with tenant_context(acme):
            progress = bulk.bulk_job_progress(job_id=result.job_id)
        return progress if progress is not None and progress.finished else None

    assert wait_for(finished, timeout=90).state == "done"
    with tenant_context(acme):
        assert Contact.objects.alive().count() == 0
        assert bulk.bulk_undo(token=result.undo_token).count == 5_001
        assert Contact.objects.alive().count() == 5_001
