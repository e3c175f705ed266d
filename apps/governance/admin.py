"""Admin for governance: system banners (tier 3+ write, tier 2 read), the emergency stop's history
and fleet-wide switch (super admins), and the tasks it held back (re-run: tier 3+).

Writes go through apps.governance.services, which audit them."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from unfold.admin import ModelAdmin
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget, UnfoldAdminTextareaWidget

from apps.accounts.models import Tier
from apps.audit.services import client_ip
from apps.core.admin_site import TierPermissionsMixin, add_service_errors, is_admin_user, render_confirmation, user_tier
from apps.governance import services
from apps.governance.admin_buttons import PanicReasonForm
from apps.governance.models import PanicState, SkippedTask, SystemBanner

SEVERITY_BADGES = {"info": "info", "warning": "warning", "critical": "danger"}


# --------------------------------------------------------------------------- banners


class SystemBannerForm(forms.ModelForm):
    tiers = forms.TypedMultipleChoiceField(
        coerce=int,
        choices=Tier.choices,
        required=False,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text="For the audience “tiers”: who sees it (tenant users are tier 0).",
    )

    class Meta:
        model = SystemBanner
        fields = (
            "message",
            "severity",
            "audience",
            "tiers",
            "tenants",
            "partners",
            "starts_at",
            "ends_at",
            "dismissible",
        )
        widgets = {"message": UnfoldAdminTextareaWidget(attrs={"rows": 3})}

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        candidate = SystemBanner(
            pk=self.instance.pk,
            message=cleaned.get("message", ""),
            severity=cleaned.get("severity", ""),
            audience=cleaned.get("audience", ""),
            tiers=cleaned.get("tiers") or [],
            starts_at=cleaned.get("starts_at"),
            ends_at=cleaned.get("ends_at"),
        )
        audience = cleaned.get("audience")
        try:
            services.banner_validate(
                banner=candidate,
                tenants=list(cleaned.get("tenants") or []) if audience == SystemBanner.Audience.TENANTS else [],
                partners=list(cleaned.get("partners") or []) if audience == SystemBanner.Audience.PARTNERS else [],
            )
        except ValidationError as exc:
            add_service_errors(self, exc)
        return cleaned

    def _post_clean(self):
        # The model's CheckConstraint is checked by banner_validate with a readable message.
        if self._errors:
            return
        super()._post_clean()


class BannerStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("live", "Showing now"), ("scheduled", "Scheduled"), ("ended", "Ended")]

    def queryset(self, request, queryset):
        now = timezone.now()
        from django.db.models import Q

        not_ended = Q(ends_at__isnull=True) | Q(ends_at__gt=now)
        if self.value() == "live":
            return queryset.filter(not_ended, starts_at__lte=now)
        if self.value() == "scheduled":
            return queryset.filter(starts_at__gt=now)
        if self.value() == "ended":
            return queryset.filter(ends_at__lte=now)
        return queryset


@admin.register(SystemBanner)
class SystemBannerAdmin(TierPermissionsMixin, ModelAdmin):
    form = SystemBannerForm
    list_display = ("message_short", "severity_badge", "audience", "state_badge", "starts_at", "ends_at", "dismissible")
    list_filter = ("severity", "audience", BannerStateFilter)
    search_fields = ("message",)
    autocomplete_fields = ("tenants", "partners")
    readonly_fields = ("created_by", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("message", "severity", "dismissible")}),
        (
            "Audience",
            {
                "fields": ("audience", "tiers", "tenants", "partners"),
                "description": "Everyone signed in; users of some tiers; everyone on some tenants' dashboards; "
                "or partner accounts (none picked = every partner).",
            },
        ),
        ("When", {"fields": ("starts_at", "ends_at")}),
        ("History", {"fields": ("created_by", "created_at", "updated_at")}),
    )

    @display(description="Message")
    def message_short(self, obj):
        return obj.message if len(obj.message) <= 80 else obj.message[:79] + "…"

    @display(description="Severity", ordering="severity", label=SEVERITY_BADGES)
    def severity_badge(self, obj):
        return obj.severity, obj.get_severity_display()

    @display(description="State", label={"live": "success", "scheduled": "info", "ended": None})
    def state_badge(self, obj):
        now = timezone.now()
        if obj.ends_at is not None and obj.ends_at <= now:
            return "ended", "Ended"
        if obj.starts_at > now:
            return "scheduled", "Scheduled"
        return "live", "Showing"

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        for name, queryset in (
            ("tenants", lambda f: f.queryset.exclude(schema_name="public")),
            ("partners", lambda f: f.queryset.filter(tier=Tier.PARTNER)),
        ):
            if name in form.base_fields:
                form.base_fields[name].queryset = queryset(form.base_fields[name])
        return form

    def save_model(self, request, obj, form, change):
        services.banner_save(
            banner=obj,
            actor=request.user,
            tenants=form.cleaned_data.get("tenants") or [],
            partners=form.cleaned_data.get("partners") or [],
            ip=client_ip(request),
        )

    def save_related(self, request, form, formsets, change):
        # The audience lists were saved (and audited) by banner_save.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        services.banner_delete(banner=obj, actor=request.user, ip=client_ip(request))

    def delete_queryset(self, request, queryset):
        for banner in queryset:
            services.banner_delete(banner=banner, actor=request.user, ip=client_ip(request))


# --------------------------------------------------------------------------- emergency stop


@admin.register(PanicState)
class PanicStateAdmin(TierPermissionsMixin, ModelAdmin):
    """The history of emergency stops. Tenants are stopped from their own page; the fleet-wide
    switch is here, for super admins."""

    add_tier = None
    change_tier = None
    delete_tier = None

    list_display = ("scope_display", "active_badge", "reason", "by_email", "at", "released_at", "released_by_email")
    list_filter = ("active",)
    search_fields = ("tenant__slug", "tenant__name", "reason", "by_email")
    list_select_related = ("tenant",)
    fields = ("tenant", "active", "reason", "by_email", "at", "released_at", "released_by_email")
    readonly_fields = fields
    actions_list = ("panic_all", "release_all")

    @display(description="Scope")
    def scope_display(self, obj):
        return f"{obj.tenant.name} ({obj.tenant.slug})" if obj.tenant_id else "EVERY TENANT"

    @display(description="State", label={"active": "danger", "released": None})
    def active_badge(self, obj):
        return ("active", "Stopped") if obj.active else ("released", "Released")

    def _super_admin(self, request) -> bool:
        return is_admin_user(request.user) and user_tier(request.user) >= Tier.SUPER_ADMIN

    def has_panic_all_permission(self, request, obj=None) -> bool:
        return self._super_admin(request) and services.panic_active(tenant=None) is None

    def has_release_all_permission(self, request, obj=None) -> bool:
        return self._super_admin(request) and services.panic_active(tenant=None) is not None

    def _global(self, request, *, title, question, submit, variant, apply):
        changelist = reverse("admin:governance_panicstate_changelist", current_app=self.admin_site.name)
        form = PanicReasonForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            self.message_user(request, apply(form.cleaned_data["reason"]), messages.WARNING)
            return HttpResponseRedirect(changelist)
        return render_confirmation(
            request,
            self,
            title=title,
            question=question,
            objects=["Every tenant of the platform"],
            form=form,
            hidden=[],
            submit_label=submit,
            cancel_url=changelist,
            variant=variant,
        )

    @action(
        description="Stop every tenant",
        url_path="panic-all",
        permissions=["panic_all"],
        icon="emergency_home",
        variant=ActionVariant.DANGER,
    )
    def panic_all(self, request):
        def apply(reason):
            services.panic_engage(tenant=None, actor=request.user, reason=reason, ip=client_ip(request))
            return "Emergency stop on for EVERY tenant: background work held, automation refused (423)."

        return self._global(
            request,
            title="Emergency stop for every tenant?",
            question="Every tenant's queued and new background tasks are skipped and recorded, long tasks stop at "
            "their next step, and all automation endpoints and dashboard writes answer 423 until you release it.",
            submit="Yes, stop every tenant",
            variant="danger",
            apply=apply,
        )

    @action(
        description="Release the fleet-wide stop",
        url_path="release-all",
        permissions=["release_all"],
        icon="play_circle",
        variant=ActionVariant.SUCCESS,
    )
    def release_all(self, request):
        def apply(reason):
            services.panic_release(tenant=None, actor=request.user, reason=reason, ip=client_ip(request))
            return "Fleet-wide stop released (tenants stopped on their own stay stopped). Re-run skipped tasks from their list."

        return self._global(
            request,
            title="Release the fleet-wide emergency stop?",
            question="Background work runs again for every tenant that is not stopped on its own.",
            submit="Yes, release",
            variant="primary",
            apply=apply,
        )


class RerunStateFilter(admin.SimpleListFilter):
    title = "re-run"
    parameter_name = "rerun"

    def lookups(self, request, model_admin):
        return [("pending", "Waiting"), ("done", "Re-queued")]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(rerun_at__isnull=True)
        if self.value() == "done":
            return queryset.filter(rerun_at__isnull=False)
        return queryset


@admin.register(SkippedTask)
class SkippedTaskAdmin(TierPermissionsMixin, ModelAdmin):
    add_tier = None
    change_tier = None
    delete_tier = None

    list_display = ("task_name", "tenant", "kind_badge", "queue", "queued_at", "skipped_at", "rerun_badge")
    list_filter = ("kind", RerunStateFilter, "task_name")
    search_fields = ("task_name", "task_id", "schema_name", "tenant__slug")
    list_select_related = ("tenant",)
    fields = (
        "task_name",
        "task_id",
        "tenant",
        "schema_name",
        "args",
        "kwargs",
        "queue",
        "queued_at",
        "skipped_at",
        "kind",
        "reason",
        "rerun_at",
        "rerun_task_id",
    )
    readonly_fields = fields
    actions = ("rerun_selected",)

    @display(description="Kind", label={"skipped": "warning", "cancelled": "danger"})
    def kind_badge(self, obj):
        return obj.kind, obj.get_kind_display()

    @display(description="Re-run", label={"pending": "warning", "done": "success"})
    def rerun_badge(self, obj):
        return ("pending", "Waiting") if obj.is_pending else ("done", f"Re-queued {obj.rerun_at:%Y-%m-%d %H:%M}")

    def has_rerun_permission(self, request, obj=None) -> bool:
        return self._allows(request, Tier.PLATFORM_ADMIN)

    @admin.action(description="Re-run selected skipped tasks", permissions=["rerun"])
    def rerun_selected(self, request, queryset):
        ids = list(queryset.filter(rerun_at__isnull=True).values_list("pk", flat=True))
        count = services.skipped_tasks_rerun(actor=request.user, ids=ids, ip=client_ip(request))
        left = len(ids) - count
        if count:
            self.message_user(request, f"{count} task(s) queued again.", messages.SUCCESS)
        if left:
            self.message_user(
                request, f"{left} task(s) not queued: their tenant (or the fleet) is still stopped.", messages.WARNING
            )
        if not ids:
            self.message_user(request, "No waiting task was selected.", messages.WARNING)
