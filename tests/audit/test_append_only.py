"""The audit log cannot be changed or shortened: not by the model, not by raw SQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record


@pytest.fixture
def event(platform):
    return audit_record(action="tenant.suspend", target_type="tenancy.tenant", target_id="7", reason="unpaid")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE public.audit_auditevent SET reason = 'covered up' WHERE id = %s",
        "UPDATE public.audit_auditevent SET at = now() - interval '1 year' WHERE id = %s",
        "DELETE FROM public.audit_auditevent WHERE id = %s",
    ],
)
def test_audit_table__raw_sql_update_or_delete__refused_by_the_database(event, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])

    event.refresh_from_db()
    assert event.reason == "unpaid"


def test_audit_table__raw_sql_insert__accepted(event):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO public.audit_auditevent (at, actor_email, action, target_type, target_id, target_repr, "
            "tenant_slug, reason) VALUES (now(), '', 'x.y', '', '', '', '', '')"
        )

    assert AuditEvent.objects.count() == 2


def test_audit_event__saved_again_through_the_model__refused(event):
    event.reason = "covered up"

    with pytest.raises(ValueError, match="append-only"):
        event.save()

    event.refresh_from_db()
    assert event.reason == "unpaid"


def test_audit_event__deleted_through_the_model__refused(event):
    with pytest.raises(ValueError, match="append-only"):
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_queryset__bulk_update_or_delete__refused_by_the_database(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="covered up")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()

    assert AuditEvent.objects.get(pk=event.pk).reason == "unpaid"
