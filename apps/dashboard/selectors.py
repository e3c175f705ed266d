"""Reads for the dashboard shell."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.tenancy.models import Tenant

ROLE_LABELS: dict[str, str | Promise] = {
    "owner": _("Owner"),
    "admin": _("Admin"),
    "member": _("Member"),
    "viewer": _("Viewer"),
    "partner": _("Partner"),
    "staff": _("BizOSaaS support"),
}

STATUS_LABELS: dict[str, tuple[str | Promise, str]] = {
    Tenant.Status.ACTIVE: (_("Active"), "success"),
    Tenant.Status.SUSPENDED: (_("Suspended"), "danger"),
    Tenant.Status.ARCHIVED: (_("Archived (read-only)"), "warning"),
}


@dataclass(frozen=True)
class TenantFacts:
    name: str
    plan: str
    status_label: str
    status_tone: str
    partner: str
    role_label: str


def tenant_facts(*, tenant: Tenant, role: str) -> TenantFacts:
    """What the overview shows about the business the user is looking at."""
    label, tone = STATUS_LABELS.get(tenant.status, (tenant.status, "neutral"))
    partner = ""
    if tenant.partner_id:
        row = Tenant.objects.filter(pk=tenant.pk).values_list("partner__full_name", "partner__email").first()
        partner = (row[0] or row[1]) if row else ""
    return TenantFacts(
        name=tenant.name,
        plan=tenant.plan.name if tenant.plan_id else "",
        status_label=str(label),
        status_tone=tone,
        partner=partner,
        role_label=str(ROLE_LABELS.get(role, role)),
    )


def user_mfa_enabled(*, user) -> bool:
    from apps.accounts.mfa import user_has_device

    return user_has_device(user)
