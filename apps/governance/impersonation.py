"""“View as tenant”: support staff look at a tenant's dashboard as one of its users.

django-hijack does the session switch; this module decides who may (HIJACK_PERMISSION_CHECK
points at `may_impersonate`), starts it on the tenant's own host (see ADR 0004), audits every
start and stop, and gives the support agent their verified session back when they stop.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model, login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.module_loading import import_string
from django_otp import DEVICE_ID_SESSION_KEY
from hijack import signals as hijack_signals
from hijack.conf import settings as hijack_settings
from hijack.views import ReleaseUserView, get_used_backend, keep_session_age

from apps.accounts.models import Tier
from apps.audit.services import audit_record, client_ip

# Who is impersonating (email, name, the OTP device that verified them): kept in the
# impersonated session for the banner, and to restore the agent's verified session on stop.
IMPERSONATOR_SESSION_KEY = "governance_impersonator"


def impersonation_refusal(*, hijacker, hijacked) -> str | None:
    """Why `hijacker` may not view as `hijacked` (None: they may).

    Support agents and up (tier >= 2), from an MFA-verified session, may view as an active tenant
    user (tier 0). Never as a platform or super admin (tier >= 3) or a superuser; never as a
    partner or another staff member either: those accounts sign in with their own second factor
    and reach the partner API and the admin, which a support session must not borrow."""
    if hijacker is None or not hijacker.is_authenticated or not hijacker.is_active:
        return "Sign in first."
    if getattr(hijacker, "is_hijacked", False):
        return "You are already viewing as someone; stop that first."
    if int(getattr(hijacker, "tier", Tier.NONE)) < Tier.SUPPORT:
        return "Only support staff (tier 2 and up) may view as a user."
    is_verified = getattr(hijacker, "is_verified", None)
    if not (is_verified and is_verified()):
        return "Verify your sign-in with your authenticator code first."
    if hijacked is None or not hijacked.is_active:
        return "That account does not exist or is deactivated."
    if hijacked.pk == hijacker.pk:
        return "You cannot view as yourself."
    if hijacked.is_superuser or hijacked.tier >= Tier.PLATFORM_ADMIN:
        return "Platform admins and super admins can never be impersonated."
    if hijacked.tier != Tier.NONE:
        return "Only tenant users can be viewed as; partners and staff use their own sign-in."
    return None


def may_impersonate(*, hijacker, hijacked) -> bool:
    """settings.HIJACK_PERMISSION_CHECK: the one rule every impersonation goes through."""
    return impersonation_refusal(hijacker=hijacker, hijacked=hijacked) is None


def impersonation_refusal_for_tenant(*, hijacker, hijacked, tenant) -> str | None:
    from apps.tenancy.selectors import tenant_access_role

    refusal = impersonation_refusal(hijacker=hijacker, hijacked=hijacked)
    if refusal:
        return refusal
    if tenant is None or tenant.is_public:
        return "Start viewing as a user from that user's business (its own host)."
    if tenant_access_role(user=hijacked, tenant=tenant) is None:
        return f"{hijacked.email} is not a member of {tenant.name}."
    return None


def impersonation_start(*, request, hijacked, tenant) -> None:
    """Switch this session to `hijacked`, as hijack's own acquire view does, after checking the
    configured permission function and that the user belongs to this tenant."""
    hijacker = request.user
    check = import_string(hijack_settings.HIJACK_PERMISSION_CHECK)
    refusal = impersonation_refusal_for_tenant(hijacker=hijacker, hijacked=hijacked, tenant=tenant)
    if refusal or not check(hijacker=hijacker, hijacked=hijacked):
        raise PermissionDenied(refusal or "You may not view as this user.")
    device = getattr(hijacker, "otp_device", None)
    impersonator = {
        "pk": hijacker.pk,
        "email": hijacker.email,
        "name": hijacker.get_full_name(),
        "device": device.persistent_id if device is not None else "",
        "tenant": tenant.slug,
    }
    history = [*request.session.get("hijack_history", []), str(hijacker.pk)]
    backend = get_used_backend(request)
    backend_path = f"{backend.__module__}.{backend.__class__.__name__}"
    with transaction.atomic():
        # As hijack does: lock the agent's row so two starts cannot interleave.
        get_user_model()._base_manager.select_for_update().get(pk=hijacker.pk)
        with hijack_signals.no_update_last_login(), keep_session_age(request.session):
            login(request, hijacked, backend=backend_path)
        request.session["hijack_history"] = history
        request.session[IMPERSONATOR_SESSION_KEY] = impersonator
        hijack_signals.hijack_started.send(sender=None, request=request, hijacker=hijacker, hijacked=hijacked)


def impersonation_audit(*, request, hijacker, hijacked, started: bool) -> None:
    tenant = getattr(request, "tenant", None)
    audit_record(
        action="impersonation.start" if started else "impersonation.stop",
        actor=hijacker,
        target=hijacked,
        tenant_slug="" if tenant is None or tenant.is_public else tenant.slug,
        after={"impersonator": hijacker.email, "impersonated": hijacked.email},
        ip=client_ip(request),
    )


def impersonation_for_request(request) -> dict | None:
    """For the banner: who is viewing as whom, from the session (no query)."""
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_hijacked", False):
        return None
    saved = request.session.get(IMPERSONATOR_SESSION_KEY) or {}
    return {"agent": saved.get("email") or "a support agent", "agent_name": saved.get("name", ""), "person": user.email}


class ImpersonationStopView(ReleaseUserView):
    """hijack's release view (it sends hijack_ended, which is audited), then the agent's
    OTP-verified state is put back: they proved their second factor on this very session before
    starting, so stopping should not ask for it again."""

    def post(self, request, *args, **kwargs):
        saved = request.session.get(IMPERSONATOR_SESSION_KEY) or {}
        response = super().post(request, *args, **kwargs)
        _restore_verification(request, saved)
        return response


def _restore_verification(request, saved: dict) -> None:
    from django_otp.models import Device

    persistent_id = saved.get("device")
    if not persistent_id or saved.get("pk") != request.user.pk:
        return
    device = Device.from_persistent_id(persistent_id)
    if device is not None and device.user_id == request.user.pk:
        request.session[DEVICE_ID_SESSION_KEY] = persistent_id
