"""Admin for health monitoring: the whole fleet's domains with state, uptime and latency
(read-only; "check now" for support staff), maintenance windows (created through the service, so
they are audited) and what the monitor repaired on its own."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.widgets import UnfoldAdminSplitDateTimeWidget, UnfoldAdminTextInputWidget

from apps.accounts.models import Tier, User
from apps.core.admin_site import TierPermissionsMixin, add_service_errors
from apps.monitoring.models import OK_OUTCOMES, DomainCheck, DomainHealth, HealingAction, HealthState, MaintenanceWindow
from apps.monitoring.selectors import fleet_state_counts, tenants_in_maintenance
from apps.monitoring.services import maintenance_window_create

STATE_BADGES = {
    HealthState.UP: "success",
    HealthState.DEGRADED: "warning",
    HealthState.DOWN: "danger",
    HealthState.UNKNOWN: None,
}


def _count_since(since, *, ok_only: bool):
    qs = DomainCheck.objects.filter(domain=OuterRef("domain"), checked_at__gte=since)
    if ok_only:
        qs = qs.filter(outcome__in=OK_OUTCOMES)
    return Coalesce(
        Subquery(qs.order_by().values("domain").annotate(n=Count("id")).values("n")[:1], output_field=IntegerField()), 0
    )


class TlsExpiringFilter(admin.SimpleListFilter):
    title = "certificate"
    parameter_name = "tls"

    def lookups(self, request, model_admin):
        return [("14", "Expires within 14 days"), ("30", "Expires within 30 days"), ("none", "No certificate seen")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(tls_expires_at__isnull=True)
        if value in {"14", "30"}:
            return queryset.filter(tls_expires_at__lt=timezone.now() + timedelta(days=int(value)))
        return queryset


class PartnerFilter(admin.SimpleListFilter):
    title = "partner"
    parameter_name = "partner"

    def lookups(self, request, model_admin):
        return [(str(pk), email) for pk, email in User.objects.filter(tier=Tier.PARTNER).values_list("pk", "email")]

    def queryset(self, request, queryset):
        return queryset.filter(tenant__partner_id=self.value()) if self.value() else queryset


class MaintenanceFilter(admin.SimpleListFilter):
    title = "maintenance"
    parameter_name = "maintenance"

    def lookups(self, request, model_admin):
        return [("now", "In a maintenance window now")]

    def queryset(self, request, queryset):
        if self.value() == "now":
            return queryset.filter(tenant_id__in=tenants_in_maintenance())
        return queryset


@admin.register(DomainHealth)
class DomainHealthAdmin(TierPermissionsMixin, ModelAdmin):
    """The fleet view: every monitored domain."""

    add_tier = None
    change_tier = None
    delete_tier = None

    list_display = (
        "domain_name",
        "tenant",
        "state_badge",
        "uptime_24h",
        "last_latency",
        "last_answer",
        "consecutive_failures",
        "tls_expires_at",
        "last_checked_at",
    )
    list_filter = ("state", "last_outcome", TlsExpiringFilter, MaintenanceFilter, PartnerFilter)
    list_filter_submit = False
    search_fields = ("domain__domain", "tenant__name", "tenant__slug")
    list_select_related = ("domain", "tenant")
    ordering = ("state", "domain__domain")
    list_per_page = 100
    readonly_fields = [f.name for f in DomainHealth._meta.fields]
    list_before_template = "monitoring/admin/fleet_summary.html"
    actions = ("check_now",)

    def get_queryset(self, request):
        since = timezone.now() - timedelta(hours=24)
        return (
            super()
            .get_queryset(request)
            .annotate(ok_24h=_count_since(since, ok_only=True), total_24h=_count_since(since, ok_only=False))
        )

    def changelist_view(self, request, extra_context=None):
        counts = fleet_state_counts()
        extra_context = {
            **(extra_context or {}),
            "fleet_states": [
                {"value": v, "label": label, "count": counts.get(v, 0), "badge": STATE_BADGES[v] or "info"}
                for v, label in HealthState.choices
            ],
            "fleet_total": sum(counts.values()),
        }
        return super().changelist_view(request, extra_context)

    @display(description="Domain", ordering="domain__domain")
    def domain_name(self, obj):
        return obj.domain.domain

    @display(description="State", ordering="state", label=STATE_BADGES)
    def state_badge(self, obj):
        return obj.state, obj.get_state_display()

    @display(description="Uptime 24 h")
    def uptime_24h(self, obj):
        if not obj.total_24h:
            return "—"
        return f"{100.0 * obj.ok_24h / obj.total_24h:.2f} %"

    @display(description="Latency", ordering="last_latency_ms")
    def last_latency(self, obj):
        return f"{obj.last_latency_ms} ms" if obj.last_latency_ms is not None else "—"

    @display(description="Last answer", ordering="last_outcome")
    def last_answer(self, obj):
        if obj.last_status_code:
            return f"HTTP {obj.last_status_code}"
        return obj.get_last_outcome_display() or "—"

    def has_check_permission(self, request, obj=None) -> bool:
        return self._allows(request, Tier.SUPPORT)

    @admin.action(description="Check selected domains now", permissions=["check"])
    def check_now(self, request, queryset):
        from django.conf import settings

        from apps.monitoring.tasks import health_check_domains_task

        ids = list(queryset.values_list("domain_id", flat=True))
        health_check_domains_task.apply_async(args=[ids], queue=settings.MONITOR_QUEUE)
        self.message_user(request, f"{len(ids)} domain(s) queued for a check.", messages.SUCCESS)


class MaintenanceWindowForm(forms.ModelForm):
    class Meta:
        model = MaintenanceWindow
        fields = ("tenant", "starts_at", "ends_at", "reason")
        widgets = {
            "starts_at": UnfoldAdminSplitDateTimeWidget,
            "ends_at": UnfoldAdminSplitDateTimeWidget,
            "reason": UnfoldAdminTextInputWidget,
        }
        field_classes = {"starts_at": forms.SplitDateTimeField, "ends_at": forms.SplitDateTimeField}

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def _post_clean(self):
        # The service validates and audits; its refusals become field errors.
        if self._errors:
            return
        data = self.cleaned_data
        try:
            self.instance = maintenance_window_create(
                tenant=data["tenant"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                reason=data.get("reason") or "",
                actor=getattr(self.request, "user", None),
            )
        except ValidationError as exc:
            add_service_errors(self, exc)


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(TierPermissionsMixin, ModelAdmin):
    add_tier = Tier.SUPPORT
    change_tier = None
    delete_tier = Tier.PLATFORM_ADMIN

    form = MaintenanceWindowForm
    list_display = ("tenant", "starts_at", "ends_at", "reason", "active_badge", "created_by")
    list_select_related = ("tenant", "created_by")
    search_fields = ("tenant__name", "tenant__slug", "reason")
    autocomplete_fields = ("tenant",)
    readonly_fields = ("created_by", "created_at")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class WithRequest(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, request=request, **kw)

        return WithRequest

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "tenant":
            from apps.tenancy.models import Tenant

            kwargs["queryset"] = Tenant.objects.exclude(schema_name="public")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        return  # saved (and audited) by maintenance_window_create in the form

    @display(description="Now", label={"active": "warning", "upcoming": "info", "past": None})
    def active_badge(self, obj):
        now = timezone.now()
        if obj.starts_at <= now < obj.ends_at:
            return "active", "In progress"
        return ("upcoming", "Upcoming") if obj.starts_at > now else ("past", "Over")


@admin.register(HealingAction)
class HealingActionAdmin(TierPermissionsMixin, ModelAdmin):
    add_tier = None
    change_tier = None
    delete_tier = None

    list_display = (
        "created_at",
        "tenant",
        "url",
        "trigger",
        "status_badge",
        "rechecks",
        "recheck_status_code",
        "finished_at",
    )
    list_filter = ("status", "trigger")
    search_fields = ("tenant__name", "tenant__slug", "url")
    list_select_related = ("tenant",)
    readonly_fields = [f.name for f in HealingAction._meta.fields]

    @display(
        description="Result", ordering="status", label={"queued": "warning", "healed": "success", "failed": "danger"}
    )
    def status_badge(self, obj):
        return obj.status, obj.get_status_display()
