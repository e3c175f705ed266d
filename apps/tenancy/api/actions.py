"""Who may do what to a tenant through the partner API, on top of apps.tenancy.services.

The services know how to provision and change a tenant; these functions add the actor's rules
(partners act on their own tenants, support agents only read, archiving is for platform admins),
so the views stay parse–call–render. They raise Django's Http404 / PermissionDenied / ValidationError,
which the API's exception handler turns into JSON errors.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from apps.accounts.models import Membership, Tier, User
from apps.api.exceptions import Locked
from apps.tenancy import selectors, services
from apps.tenancy.models import Tenant


def tenant_get_for_actor(*, actor: User, slug: str) -> Tenant:
    """The tenant if the actor may see it; 404 otherwise, so others' tenants stay invisible."""
    tenant = selectors.tenant_get_visible(user=actor, slug=slug)
    if tenant is None:
        raise Http404(f"No tenant “{slug}” that you manage.")
    return tenant


def tenant_provision(
    *,
    actor: User,
    name: str,
    slug: str,
    tier: str,
    industry: str = "",
    domain: str | None = None,
    partner_email: str | None = None,
    ip: str | None = None,
) -> Tenant:
    """A partner provisions for itself; a platform admin (tier 3+) may name the managing
    partner; support agents cannot provision."""
    if actor.is_partner:
        if partner_email and partner_email.strip().lower() != actor.email.lower():
            raise PermissionDenied("Partners provision tenants for themselves only.")
        partner = actor
    elif actor.tier >= Tier.PLATFORM_ADMIN:
        partner = None
        if partner_email:
            partner = User.objects.filter(email__iexact=partner_email.strip()).first()
            if partner is None:
                raise ValidationError({"partner": f"No user with the email {partner_email}."})
    else:
        raise PermissionDenied("Support agents cannot provision tenants.")
    return services.tenant_create(
        name=name, slug=slug, plan=tier, partner=partner, domain=domain or None, industry=industry, actor=actor, ip=ip
    )


def tenant_change(
    *,
    actor: User,
    tenant: Tenant,
    name: str | None = None,
    status: str | None = None,
    reason: str = "",
    tier: str | None = None,
    industry: str | None = None,
    ip: str | None = None,
) -> Tenant:
    """Rename, re-plan, suspend, activate or archive — all or nothing."""
    if name is None and status is None and tier is None and industry is None:
        raise ValidationError({"non_field_errors": "Send at least one of: name, status, tier, industry."})
    if actor.tier == Tier.SUPPORT:
        raise PermissionDenied("Support agents have read-only access to tenants.")
    is_admin = actor.tier >= Tier.PLATFORM_ADMIN
    if not is_admin and status == Tenant.Status.ARCHIVED and tenant.status != Tenant.Status.ARCHIVED:
        raise PermissionDenied("Only platform admins can archive a tenant.")
    if not is_admin and tenant.status == Tenant.Status.ARCHIVED:
        raise PermissionDenied("This tenant is archived; only platform admins can change it.")
    with transaction.atomic():
        if status is not None:
            services.tenant_set_status(tenant=tenant, status=status, reason=reason, actor=actor, ip=ip)
        services.tenant_update(tenant=tenant, name=name, plan=tier, industry=industry, actor=actor, ip=ip)
    return tenant


def tenant_members(*, tenant: Tenant) -> QuerySet[Membership]:
    """A tenant's users and roles; refused (423) while the tenant is suspended."""
    if tenant.status == Tenant.Status.SUSPENDED:
        raise Locked(
            f"Tenant “{tenant.slug}” is suspended: its data is kept, but nothing can be done with it "
            "until it is reactivated."
        )
    return Membership.objects.filter(tenant=tenant).select_related("user").order_by("user__email")
