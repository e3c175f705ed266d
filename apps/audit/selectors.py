from __future__ import annotations

from django.db.models import Q, QuerySet

from apps.audit.models import AuditEvent


def audit_events(*, user, q: str = "", action: str = "", tenant_slug: str = "") -> QuerySet[AuditEvent]:
    """Platform staff (tier >= 2) read the log; nobody else does."""
    if not (user.is_authenticated and user.is_platform_staff):
        return AuditEvent.objects.none()
    qs = AuditEvent.objects.all()
    if q:
        qs = qs.filter(
            Q(actor_email__icontains=q) | Q(target_repr__icontains=q) | Q(action__icontains=q) | Q(reason__icontains=q)
        )
    if action:
        qs = qs.filter(action=action)
    if tenant_slug:
        qs = qs.filter(tenant_slug=tenant_slug)
    return qs
