"""Governance buttons that live on other apps' admin pages: the emergency stop on a tenant, and
“View as” on users and memberships. The other admins only list these names; the rules are here.

“View as” links point at the tenant's own host (…/app/support/view-as/<user id>/), where the
impersonation starts after the support agent is signed in there with MFA (ADR 0004)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from hijack.contrib.admin import HijackUserAdminMixin
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.widgets import UnfoldAdminTextareaWidget

from apps.accounts.models import Tier
from apps.audit.services import client_ip
from apps.core.admin_site import is_admin_user, render_confirmation, user_tier
from apps.governance import services
from apps.governance.models import SkippedTask
from apps.governance.panic import panic_for_tenant
from apps.tenancy.selectors import tenant_dashboard_url


def view_as_url(*, tenant, user) -> str:
    """Where “View as” starts: the tenant's host, so the switched session is that host's."""
    return f"{tenant_dashboard_url(tenant)}support/view-as/{user.pk}/"


def _may_view_as(request, target) -> bool:
    """Show the button only where it can work: staff (tier >= 2) in the admin, a tenant user."""
    return (
        is_admin_user(request.user)
        and user_tier(request.user) >= Tier.SUPPORT
        and target is not None
        and target.is_active
        and target.tier == Tier.NONE
        and not target.is_superuser
    )


# --------------------------------------------------------------------------- emergency stop on a tenant


class PanicReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=255,
        required=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text="Kept in the audit log.",
    )


class TenantPanicAdminMixin:
    """Detail buttons on a tenant: Emergency stop, Release stop, Re-run skipped tasks (tier >= 3)."""

    def _panic_tenant(self, request, obj):
        if obj is None:
            return None
        return obj if hasattr(obj, "schema_name") else self.get_queryset(request).filter(pk=obj).first()

    def _panic_allowed(self, request) -> bool:
        return is_admin_user(request.user) and user_tier(request.user) >= Tier.PLATFORM_ADMIN

    def has_panic_permission(self, request, obj=None) -> bool:
        if not self._panic_allowed(request):
            return False
        tenant = self._panic_tenant(request, obj)
        return obj is None or (tenant is not None and services.panic_active(tenant=tenant) is None)

    def has_release_panic_permission(self, request, obj=None) -> bool:
        if not self._panic_allowed(request):
            return False
        tenant = self._panic_tenant(request, obj)
        return obj is None or (tenant is not None and services.panic_active(tenant=tenant) is not None)

    def has_rerun_skipped_permission(self, request, obj=None) -> bool:
        if not self._panic_allowed(request):
            return False
        tenant = self._panic_tenant(request, obj)
        if obj is None:
            return True
        if tenant is None or panic_for_tenant(tenant) is not None:
            return False
        return SkippedTask.objects.filter(schema_name=tenant.schema_name, rerun_at__isnull=True).exists()

    def _panic_flow(self, request, object_id, *, title, question, submit, variant, apply):
        tenant = self._panic_tenant(request, object_id)
        if tenant is None:
            raise Http404("No such tenant.")
        change_url = reverse(
            f"admin:{tenant._meta.app_label}_{tenant._meta.model_name}_change",
            args=(tenant.pk,),
            current_app=self.admin_site.name,
        )
        form = PanicReasonForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                text = apply(tenant, form.cleaned_data["reason"])
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.log_change(request, tenant, text)
                self.message_user(request, f"{tenant.name}: {text}", messages.SUCCESS)
            return HttpResponseRedirect(change_url)
        return render_confirmation(
            request,
            self,
            title=title.format(name=tenant.name),
            question=question,
            objects=[f"{tenant.name} ({tenant.slug})"],
            form=form,
            hidden=[],
            submit_label=submit,
            cancel_url=change_url,
            variant=variant,
        )

    @action(
        description="Emergency stop",
        url_path="panic",
        permissions=["panic"],
        icon="emergency_home",
        variant=ActionVariant.DANGER,
    )
    def panic_detail(self, request, object_id):
        def apply(tenant, reason):
            services.panic_engage(tenant=tenant, actor=request.user, reason=reason, ip=client_ip(request))
            return "Emergency stop on: background work held, automation refused (423)."

        return self._panic_flow(
            request,
            object_id,
            title="Emergency stop for {name}?",
            question=(
                "Its queued and new background tasks are skipped and recorded (they can be re-run after "
                "release), long tasks stop at their next step, and its automation endpoints and dashboard "
                "writes answer 423 until you release it."
            ),
            submit="Yes, stop everything",
            variant="danger",
            apply=apply,
        )

    @action(
        description="Release stop",
        url_path="release-panic",
        permissions=["release_panic"],
        icon="play_circle",
        variant=ActionVariant.SUCCESS,
    )
    def release_panic_detail(self, request, object_id):
        def apply(tenant, reason):
            services.panic_release(tenant=tenant, actor=request.user, reason=reason, ip=client_ip(request))
            return "Emergency stop released. Skipped tasks wait for a re-run."

        return self._panic_flow(
            request,
            object_id,
            title="Release the emergency stop of {name}?",
            question="New background tasks run again and its automation answers normally. Skipped tasks stay recorded until re-run.",
            submit="Yes, release",
            variant="primary",
            apply=apply,
        )

    @action(
        description="Re-run skipped tasks",
        url_path="rerun-skipped",
        permissions=["rerun_skipped"],
        icon="replay",
        variant=ActionVariant.PRIMARY,
    )
    def rerun_skipped_detail(self, request, object_id):
        def apply(tenant, reason):
            count = services.skipped_tasks_rerun(actor=request.user, tenant=tenant, ip=client_ip(request))
            return f"{count} skipped task(s) queued again."

        return self._panic_flow(
            request,
            object_id,
            title="Re-run the tasks skipped for {name}?",
            question="Every task held back during the emergency stop is queued again, in the order it was skipped.",
            submit="Yes, re-run",
            variant="primary",
            apply=apply,
        )


# --------------------------------------------------------------------------- "View as" on users and memberships


class UserViewAsAdminMixin(HijackUserAdminMixin):
    """A “View as” column in the user list and a “View as” button on the user page.

    It is a HijackUserAdminMixin so that hijack.contrib.admin does not wrap the user admin with
    its own button, which would start the impersonation on the platform host (ADR 0004); the
    mixin's column and script are left out, ours link to the tenant's host instead."""

    @property
    def media(self):
        return super(HijackUserAdminMixin, self).media

    def get_changelist_instance(self, request):
        return super(HijackUserAdminMixin, self).get_changelist_instance(request)

    @display(description="View as")
    def view_as_link(self, obj):
        if obj.tier != Tier.NONE or not obj.is_active or obj.is_superuser:
            return "—"
        url = reverse("admin:accounts_user_view_as", args=(obj.pk,), current_app=self.admin_site.name)
        return format_html('<a class="bz-link" href="{}" data-testid="view-as-link">View as</a>', url)

    def has_view_as_permission(self, request, obj=None) -> bool:
        if obj is None:
            return is_admin_user(request.user)
        target = obj if hasattr(obj, "tier") else self.model._default_manager.filter(pk=obj).first()
        return _may_view_as(request, target)

    @action(description="View as", url_path="view-as", permissions=["view_as"], icon="visibility")
    def view_as(self, request, object_id):
        target = self.get_object(request, object_id)
        if target is None:
            raise Http404("No such user.")
        memberships = list(
            target.memberships.select_related("tenant").exclude(tenant__schema_name="public").order_by("tenant__name")
        )
        if not memberships:
            self.message_user(request, f"{target.email} belongs to no business to view.", messages.WARNING)
            return HttpResponseRedirect(
                reverse("admin:accounts_user_change", args=(target.pk,), current_app=self.admin_site.name)
            )
        if len(memberships) == 1:
            return HttpResponseRedirect(view_as_url(tenant=memberships[0].tenant, user=target))
        context = {
            **self.admin_site.each_context(request),
            "title": f"View as {target.email}",
            "target": target,
            "choices": [
                (m.tenant, m.get_role_display(), view_as_url(tenant=m.tenant, user=target)) for m in memberships
            ],
            "opts": self.opts,
            "cancel_url": reverse("admin:accounts_user_change", args=(target.pk,), current_app=self.admin_site.name),
        }
        request.current_app = self.admin_site.name
        return render(request, "governance/admin/view_as_choose.html", context)


class MembershipViewAsAdminMixin:
    """A “View as” link per membership (straight to that tenant's host) and on its page."""

    @display(description="View as")
    def view_as_link(self, obj):
        user = obj.user
        if user.tier != Tier.NONE or not user.is_active or user.is_superuser:
            return "—"
        return format_html(
            '<a class="bz-link" href="{}" target="_blank" rel="noopener" data-testid="view-as-link">View as</a>',
            view_as_url(tenant=obj.tenant, user=user),
        )

    def has_view_as_permission(self, request, obj=None) -> bool:
        if obj is None:
            return is_admin_user(request.user)
        membership = obj if hasattr(obj, "user_id") else self.get_queryset(request).filter(pk=obj).first()
        return membership is not None and _may_view_as(request, membership.user)

    @action(description="View as", url_path="view-as", permissions=["view_as"], icon="visibility")
    def view_as(self, request, object_id):
        membership = self.get_object(request, object_id)
        if membership is None:
            raise Http404("No such membership.")
        return HttpResponseRedirect(view_as_url(tenant=membership.tenant, user=membership.user))
