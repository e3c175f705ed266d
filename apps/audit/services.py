"""The one way to write to the audit log. Call it from the service that performs the
privileged action, inside the same transaction, so the action and its record commit together."""

from __future__ import annotations

from typing import Any

from apps.audit.models import AuditEvent


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    action: str,
    actor=None,
    target: Any = None,
    target_type: str = "",
    target_id: str = "",
    target_repr: str = "",
    tenant_slug: str = "",
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    ip: str | None = None,
) -> AuditEvent:
    if target is not None:
        target_type = target_type or f"{target._meta.app_label}.{target._meta.model_name}"
        target_id = target_id or str(target.pk)
        target_repr = target_repr or str(target)[:255]
        tenant_slug = tenant_slug or getattr(target, "slug", "") if target_type == "tenancy.tenant" else tenant_slug
    actor_ok = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        action=action,
        actor=actor if actor_ok else None,
        actor_email=actor.email if actor_ok else "",
        target_type=target_type,
        target_id=str(target_id)[:120],
        target_repr=target_repr[:255],
        tenant_slug=tenant_slug,
        before=before,
        after=after,
        reason=(reason or "")[:255],
        ip=ip,
    )
