from __future__ import annotations

from apps.audit.models import AuditEvent
from apps.tenancy.services import tenant_create, tenant_set_status, tenant_update


def test_tenant_lifecycle__create_suspend_update__each_audited_with_actor(platform, user_factory):
    admin = user_factory(tier=3)
    tenant = tenant_create(name="Acme", slug="acme", plan="pro", actor=admin, ip="10.0.0.9")
    tenant_set_status(tenant=tenant, status="suspended", reason="Unpaid", actor=admin)
    tenant_update(tenant=tenant, plan="enterprise", actor=admin)
    tenant_update(tenant=tenant, plan="enterprise", actor=admin)  # no change: no record

    events = list(AuditEvent.objects.filter(target_type="tenancy.tenant", target_id=str(tenant.pk)).order_by("id"))
    assert [e.action for e in events] == ["tenant.create", "tenant.suspend", "tenant.update"]
    assert {e.actor_email for e in events} == {admin.email}
    assert events[0].ip == "10.0.0.9"
    assert events[1].before == {"status": "active"}
    assert events[1].after == {"status": "suspended"}
    assert events[1].reason == "Unpaid"
    assert events[2].after == {"plan": "enterprise"}
    assert all(e.tenant_slug == "acme" for e in events)


def test_tenant_create__fails__no_audit_record_left(platform):
    import pytest
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        tenant_create(name="X", slug="admin")
    assert not AuditEvent.objects.filter(action="tenant.create").exists()
