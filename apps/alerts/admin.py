"""Admin for alerts: every alert with its deliveries, every delivery with its status and last
error (failed ones retried from here), and users' preferences (destinations never shown)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import display

from apps.accounts.models import Tier
from apps.alerts.models import Alert, AlertPreference, Delivery
from apps.alerts.services import delivery_retry_now
from apps.audit.services import client_ip
from apps.core.admin_site import TierPermissionsMixin

DELIVERY_BADGES = {"sent": "success", "failed": "danger", "retrying": "warning", "queued": None, "sending": "info"}
SEVERITY_BADGES = {"info": "info", "warning": "warning", "critical": "danger"}


class DeliveryInline(TierPermissionsMixin, TabularInline):
    model = Delivery
    add_tier = None
    change_tier = None
    delete_tier = None
    fields = ("user", "channel", "digest", "status", "attempts", "last_error", "next_attempt_at", "sent_at")
    readonly_fields = fields
    extra = 0


@admin.register(Alert)
class AlertAdmin(TierPermissionsMixin, ModelAdmin):
    add_tier = None
    change_tier = None
    delete_tier = None

    list_display = ("created_at", "title", "event_type", "severity_badge", "tenant", "delivery_summary")
    list_filter = ("event_type", "severity")
    search_fields = ("title", "body", "tenant__slug", "tenant__name")
    list_select_related = ("tenant",)
    readonly_fields = ("event_type", "severity", "title", "body", "tenant", "created_at")
    fields = readonly_fields
    inlines = (DeliveryInline,)

    @display(description="Severity", ordering="severity", label=SEVERITY_BADGES)
    def severity_badge(self, obj):
        return obj.severity, obj.get_severity_display()

    @display(description="Deliveries")
    def delivery_summary(self, obj):
        statuses = [d.status for d in obj.deliveries.all()]
        if not statuses:
            return "none"
        return ", ".join(f"{statuses.count(s)} {s}" for s in dict.fromkeys(statuses))

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("deliveries")


@admin.register(Delivery)
class DeliveryAdmin(TierPermissionsMixin, ModelAdmin):
    add_tier = None
    change_tier = None
    delete_tier = None

    list_display = (
        "created_at",
        "alert_title",
        "user",
        "channel",
        "digest",
        "status_badge",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "channel", "digest", "alert__event_type")
    search_fields = ("user__email", "alert__title", "last_error")
    list_select_related = ("alert", "user")
    readonly_fields = (
        "alert",
        "user",
        "channel",
        "digest",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "created_at",
    )
    fields = readonly_fields
    actions = ("retry_selected",)

    @display(description="Alert", ordering="alert__title")
    def alert_title(self, obj):
        return obj.alert.title

    @display(description="Status", ordering="status", label=DELIVERY_BADGES)
    def status_badge(self, obj):
        return obj.status, obj.get_status_display()

    def has_retry_permission(self, request, obj=None) -> bool:
        return self._allows(request, Tier.SUPPORT)

    @admin.action(description="Retry selected deliveries now", permissions=["retry"])
    def retry_selected(self, request, queryset):
        done = 0
        for delivery in queryset.select_related("alert__tenant").exclude(status=Delivery.Status.SENT):
            try:
                delivery_retry_now(delivery=delivery, actor=request.user, ip=client_ip(request))
            except ValidationError:
                continue
            done += 1
        if done:
            self.message_user(request, f"{done} deliver{'y' if done == 1 else 'ies'} queued again.", messages.SUCCESS)
        else:
            self.message_user(
                request, "Nothing to retry: the selected alerts were already delivered.", messages.WARNING
            )


@admin.register(AlertPreference)
class AlertPreferenceAdmin(TierPermissionsMixin, ModelAdmin):
    add_tier = None
    change_tier = None
    delete_tier = None

    list_display = ("user", "frequency", "email_enabled", "telegram_display", "discord_display", "updated_at")
    list_filter = ("frequency", "email_enabled", "telegram_enabled", "discord_enabled")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    fields = (
        "user",
        "frequency",
        "event_types",
        "email_enabled",
        "telegram_enabled",
        "telegram_display",
        "discord_enabled",
        "discord_display",
        "updated_at",
    )
    readonly_fields = fields

    @display(description="Telegram")
    def telegram_display(self, obj):
        if not obj.telegram_enabled:
            return "off"
        return "on (chat id saved)" if obj.telegram_chat_id is not None else "on (no chat id)"

    @display(description="Discord")
    def discord_display(self, obj):
        if not obj.discord_enabled:
            return "off"
        return "on (webhook saved)" if obj.discord_webhook_url is not None else "on (no webhook)"
