"""Writes for tenants. One provisioning path serves the admin, the API, the CLI and onboarding."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.tenancy.models import Domain, Plan, Tenant
from apps.tenancy.schema_template import clone_template

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
RESERVED_SLUGS = {
    "www",
    "admin",
    "api",
    "app",
    "public",
    "static",
    "media",
    "mail",
    "smtp",
    "help",
    "support",
    "status",
    "platform",
    "template",
    "tenant",
    "dashboard",
    "pg",
    "information",
}


def _schema_name_for(slug: str) -> str:
    return "t_" + slug.replace("-", "_")


def _validate_domain(domain: str) -> str:
    domain = domain.strip().lower().rstrip(".")
    if not DOMAIN_RE.match(domain) and not domain.endswith(".localhost"):
        raise ValidationError({"domain": f"“{domain}” is not a valid host name."})
    if Domain.objects.filter(domain=domain).exists():
        raise ValidationError({"domain": f"The domain “{domain}” is already in use."})
    return domain


def tenant_create(
    *,
    name: str,
    slug: str,
    plan: str | Plan = Plan.Code.FREE,
    partner=None,
    domain: str | None = None,
    industry: str = "",
    owner=None,
    actor=None,
    ip: str | None = None,
) -> Tenant:
    """Provision a tenant: row, schema (cloned from the template), primary domain and, optionally,
    extra domain and owner membership — all in one transaction, so a failure leaves nothing."""
    name = (name or "").strip()
    slug = (slug or "").strip().lower()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "A name is required."
    elif len(name) > 120:
        errors["name"] = "At most 120 characters."
    if not SLUG_RE.match(slug):
        errors["slug"] = "3–40 characters: lowercase letters, digits and hyphens, starting with a letter."
    elif slug in RESERVED_SLUGS:
        errors["slug"] = f"“{slug}” is reserved."
    elif Tenant.objects.filter(slug=slug).exists():
        errors["slug"] = f"A tenant with the slug “{slug}” already exists."
    if isinstance(plan, str):
        plan_obj = Plan.objects.filter(code=plan).first()
        if plan_obj is None:
            errors["tier"] = f"Unknown plan “{plan}”. Choose one of: {', '.join(Plan.Code.values)}."
    else:
        plan_obj = plan
    if partner is not None and not getattr(partner, "is_partner", False):
        errors["partner"] = f"{partner} is not a partner account."
    if errors:
        raise ValidationError(errors)

    primary = f"{slug}.{settings.BASE_DOMAIN}"
    with transaction.atomic():
        extra_domain = _validate_domain(domain) if domain else None
        if Domain.objects.filter(domain=primary).exists():
            raise ValidationError({"slug": f"The domain {primary} is already in use."})
        try:
            tenant = Tenant.objects.create(
                name=name,
                slug=slug,
                schema_name=_schema_name_for(slug),
                plan=plan_obj,
                partner=partner,
                industry=industry.strip(),
                status_changed_at=timezone.now(),
            )
        except IntegrityError as exc:  # lost a race with a concurrent create of the same slug
            raise ValidationError({"slug": f"A tenant with the slug “{slug}” already exists."}) from exc
        clone_template(tenant.schema_name)
        Domain.objects.create(tenant=tenant, domain=primary, is_primary=extra_domain is None)
        if extra_domain:
            Domain.objects.create(tenant=tenant, domain=extra_domain, is_primary=True)
        if owner is not None:
            from apps.accounts.services import membership_set

            membership_set(user=owner, tenant=tenant, role="owner")
        audit_record(
            action="tenant.create",
            actor=actor,
            target=tenant,
            after={
                "slug": slug,
                "plan": plan_obj.code if plan_obj else None,
                "partner": getattr(partner, "email", None),
            },
            ip=ip,
        )
    return tenant


def tenant_set_status(*, tenant: Tenant, status: str, reason: str = "", actor=None, ip: str | None = None) -> Tenant:
    if status not in Tenant.Status.values:
        raise ValidationError(
            {"status": f"Unknown status “{status}”. Choose one of: {', '.join(Tenant.Status.values)}."}
        )
    if tenant.is_public:
        raise ValidationError({"status": "The platform itself cannot change status."})
    if tenant.status == status:
        return tenant
    before = tenant.status
    with transaction.atomic():
        tenant.status = status
        tenant.status_reason = reason[:255]
        tenant.status_changed_at = timezone.now()
        tenant.save(update_fields=["status", "status_reason", "status_changed_at"])
        verb = {"active": "activate", "suspended": "suspend", "archived": "archive"}[status]
        audit_record(
            action=f"tenant.{verb}",
            actor=actor,
            target=tenant,
            before={"status": before},
            after={"status": status},
            reason=reason,
            ip=ip,
        )
    return tenant


def tenant_update(
    *,
    tenant: Tenant,
    name: str | None = None,
    plan: str | None = None,
    industry: str | None = None,
    actor=None,
    ip: str | None = None,
) -> Tenant:
    before = {"name": tenant.name, "plan": tenant.plan.code if tenant.plan_id else None, "industry": tenant.industry}
    fields = []
    if name is not None:
        if not name.strip():
            raise ValidationError({"name": "A name is required."})
        tenant.name = name.strip()[:120]
        fields.append("name")
    if plan is not None:
        plan_obj = Plan.objects.filter(code=plan).first()
        if plan_obj is None:
            raise ValidationError({"tier": f"Unknown plan “{plan}”. Choose one of: {', '.join(Plan.Code.values)}."})
        tenant.plan = plan_obj
        fields.append("plan")
    if industry is not None:
        tenant.industry = industry.strip()[:80]
        fields.append("industry")
    if fields:
        with transaction.atomic():
            tenant.save(update_fields=fields)
            after = {
                "name": tenant.name,
                "plan": tenant.plan.code if tenant.plan_id else None,
                "industry": tenant.industry,
            }
            changed = {k for k in before if before[k] != after[k]}
            if changed:
                audit_record(
                    action="tenant.update",
                    actor=actor,
                    target=tenant,
                    before={k: before[k] for k in changed},
                    after={k: after[k] for k in changed},
                    ip=ip,
                )
    return tenant


def plans_ensure() -> None:
    """The four subscription tiers exist (idempotent)."""
    defaults = [
        (Plan.Code.FREE, "Free", 0, 0),
        (Plan.Code.STARTER, "Starter", 1, 29),
        (Plan.Code.PRO, "Pro", 2, 99),
        (Plan.Code.ENTERPRISE, "Enterprise", 3, 499),
    ]
    for code, name, rank, price in defaults:
        Plan.objects.get_or_create(code=code, defaults={"name": name, "rank": rank, "monthly_price": price})


def platform_tenant_ensure() -> Tenant:
    """The public tenant that owns the platform host (django-tenants routes it to the public URLs)."""
    tenant = Tenant.objects.filter(schema_name="public").first()
    if tenant is None:
        tenant = Tenant.objects.create(schema_name="public", name="BizOSaaS platform", slug="platform")
    for host in {settings.PLATFORM_HOST, "127.0.0.1"}:
        Domain.objects.get_or_create(
            domain=host, defaults={"tenant": tenant, "is_primary": host == settings.PLATFORM_HOST}
        )
    return tenant
