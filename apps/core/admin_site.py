"""The platform admin site: Django admin themed by unfold, open only to support tiers 2–4 with
an OTP-verified session, signing in through /accounts/login/ (never the admin's own form).

Who may change what is decided per ModelAdmin from the user's tier (`TierPermissionsMixin`),
not from Django's permission tables: tiers are the one source of truth for platform roles.

It is the default admin site through `apps.core.admin_config.PlatformAdminConfig` (listed in
INSTALLED_APPS instead of `django.contrib.admin`, with unfold's `BasicAppConfig`, which leaves
the default site alone), so every `admin.register` call lands here.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from unfold.sites import UnfoldAdminSite

from apps.accounts.models import Tier

LOGIN_PATH = "/accounts/login/"
VERIFY_PATH = "/accounts/verify/"


def user_tier(user) -> int:
    if user is None or not user.is_authenticated or not user.is_active:
        return -1
    return int(getattr(user, "tier", Tier.NONE))


def is_admin_user(user) -> bool:
    """Support tiers 2–4 on an OTP-verified session."""
    if user_tier(user) < Tier.SUPPORT:
        return False
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def add_service_errors(form, exc: ValidationError, field_map: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form: each key on the matching field (renamed
    through field_map), anything else above the form."""
    field_map = field_map or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.message_dict.items():
        target = field_map.get(key, key)
        form.add_error(target if target in form.fields else None, errors)


class TierPermissionsMixin:
    """Per-tier permissions for a ModelAdmin. Each `*_tier` is the lowest tier allowed;
    None means nobody (not even a super admin) may do it through the admin."""

    view_tier: int | None = Tier.SUPPORT
    add_tier: int | None = Tier.PLATFORM_ADMIN
    change_tier: int | None = Tier.PLATFORM_ADMIN
    delete_tier: int | None = Tier.PLATFORM_ADMIN

    @staticmethod
    def _allows(request, minimum: int | None) -> bool:
        return minimum is not None and is_admin_user(request.user) and user_tier(request.user) >= minimum

    def has_module_permission(self, request) -> bool:
        return self._allows(request, self.view_tier)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allows(request, self.view_tier) or self.has_change_permission(request, obj)

    def has_add_permission(self, request, *args) -> bool:
        return self._allows(request, self.add_tier)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._allows(request, self.change_tier)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._allows(request, self.delete_tier)


class PlatformAdminSite(UnfoldAdminSite):
    site_header = "BizOSaaS"
    site_title = "BizOSaaS admin"
    index_title = "Platform"

    # Platform roles are tiers; Django groups would be a second, unused source of truth.
    excluded_models = {("auth", "group")}

    def register(self, model_or_iterable, admin_class=None, **options):
        models = [model_or_iterable] if isinstance(model_or_iterable, type) else list(model_or_iterable)
        models = [m for m in models if (m._meta.app_label, m._meta.model_name) not in self.excluded_models]
        if models:
            super().register(models, admin_class, **options)

    def has_permission(self, request) -> bool:
        return is_admin_user(request.user)

    def login(self, request, extra_context=None):
        """Where the admin sends people it refuses: anonymous users to the sign-in page, staff
        without a verified session to the OTP step, everyone else gets a 403."""
        target = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("admin:index", current_app=self.name)
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{LOGIN_PATH}?{urlencode({'next': target})}")
        if user_tier(user) >= Tier.SUPPORT:
            if not is_admin_user(user):
                return redirect(f"{VERIFY_PATH}?{urlencode({'next': target})}")
            return redirect(target)
        raise PermissionDenied("The admin is for platform staff only.")

    def logout(self, request, extra_context=None):
        from apps.accounts.views import logout_view

        return logout_view(request)


def fleet_summary() -> dict:
    """Tenant counts per status and user counts per tier, for the admin index."""
    from apps.accounts.models import User
    from apps.tenancy.models import Tenant
    from apps.workers.selectors import workers_alive

    by_status = dict(
        Tenant.objects.exclude(schema_name="public").values_list("status").annotate(n=Count("id")).order_by()
    )
    by_tier = dict(User.objects.values_list("tier").annotate(n=Count("id")).order_by())
    badge = {
        Tenant.Status.ACTIVE: "success",
        Tenant.Status.SUSPENDED: "warning",
        Tenant.Status.ARCHIVED: "danger",
    }
    return {
        "tenants_total": sum(by_status.values()),
        "tenant_statuses": [
            {"value": value, "label": label, "count": by_status.get(value, 0), "badge": badge[value]}
            for value, label in Tenant.Status.choices
        ],
        "users_total": sum(by_tier.values()),
        "user_tiers": [
            {"value": value, "label": label, "count": by_tier.get(value, 0)} for value, label in Tier.choices
        ],
        "workers_alive": len(workers_alive()),
        "tenants_url": reverse("admin:tenancy_tenant_changelist"),
    }


def dashboard_callback(request, context: dict) -> dict:
    context["fleet"] = fleet_summary()
    return context


def render_confirmation(
    request,
    model_admin,
    *,
    title: str,
    question: str,
    objects: list,
    form,
    hidden: list[tuple[str, str]],
    submit_label: str,
    cancel_url: str,
    variant: str = "primary",
    status: int = 200,
):
    """The intermediate 'are you sure?' page shared by the admin's confirmed actions."""
    from django.template.response import TemplateResponse

    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "question": question,
        "objects": objects,
        "form": form,
        "hidden": hidden,
        "submit_label": submit_label,
        "cancel_url": cancel_url,
        "variant": variant,
        "opts": model_admin.opts,
        "app_label": model_admin.opts.app_label,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/confirm_action.html", context, status=status)


def sidebar_super_admin(request) -> bool:
    """Sidebar entries for models only super admins reach (OTP devices, lockouts)."""
    return is_admin_user(request.user) and user_tier(request.user) >= Tier.SUPER_ADMIN


def sidebar_platform_admin(request) -> bool:
    """Sidebar entries for tier 3 and up (the vault's secrets)."""
    return is_admin_user(request.user) and user_tier(request.user) >= Tier.PLATFORM_ADMIN
