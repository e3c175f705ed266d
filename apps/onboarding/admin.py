"""Admin of the onboarding funnel: the records with state badges, their step log, "retry failed
step" (the same service the automatic path runs), and the funnel view (counts and drop-off per
step from our records, and whether PostHog is on).

Support agents (tier 2) read and retry; platform admins (tier 3) may also fix a record's slug
and delete records. Records are made by the public sign-up only.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display

from apps.accounts.models import Tier
from apps.audit.services import client_ip
from apps.core.admin_site import TierPermissionsMixin, add_service_errors, render_confirmation
from apps.onboarding import selectors, services
from apps.onboarding.models import Onboarding, OnboardingAttempt, StripeEvent

STATE_BADGES = {
    Onboarding.State.LEAD: None,
    Onboarding.State.PAYMENT_PENDING: "warning",
    Onboarding.State.PAID: "info",
    Onboarding.State.PROVISIONING: "info",
    Onboarding.State.PROVISIONED: "info",
    Onboarding.State.SYNCING: "info",
    Onboarding.State.COMPLETED: "success",
}
OUTCOME_BADGES = {"running": "info", "succeeded": "success", "failed": "danger"}
FUNNEL_WINDOWS = {"7": 7, "30": 30, "90": 90, "all": None}


class OnboardingAttemptInline(TabularInline):
    model = OnboardingAttempt
    extra = 0
    can_delete = False
    fields = ("step", "trigger", "outcome_badge", "error", "started_at", "finished_at")
    readonly_fields = fields
    verbose_name = "step run"
    verbose_name_plural = "step runs"

    @display(description="Outcome", label=OUTCOME_BADGES)
    def outcome_badge(self, obj):
        return obj.outcome, obj.get_outcome_display()

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class StripeEventInline(TabularInline):
    model = StripeEvent
    extra = 0
    can_delete = False
    fields = ("event_id", "type", "result", "received_at")
    readonly_fields = fields
    verbose_name = "Stripe webhook event"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class OnboardingForm(forms.ModelForm):
    class Meta:
        model = Onboarding
        fields = ("slug",)

    def clean(self):
        cleaned = super().clean()
        if "slug" in cleaned and self.instance.pk:
            try:
                cleaned["slug"] = services.slug_validate(cleaned["slug"], onboarding=self.instance)
            except ValidationError as exc:
                add_service_errors(self, exc)
        return cleaned


class FailedFilter(admin.SimpleListFilter):
    title = "needs attention"
    parameter_name = "failed"

    def lookups(self, request, model_admin):
        return [("yes", "Failed step"), ("no", "No failure")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(failed_step="")
        if self.value() == "no":
            return queryset.filter(failed_step="")
        return queryset


@admin.register(Onboarding)
class OnboardingAdmin(TierPermissionsMixin, ModelAdmin):
    form = OnboardingForm
    add_tier = None
    list_display = (
        "business_name",
        "email",
        "industry",
        "plan",
        "state_badge",
        "failure_badge",
        "attempts",
        "tenant_link",
        "created_at",
    )
    list_filter = ("state", FailedFilter, "failed_step", "plan", "industry")
    search_fields = ("business_name", "email", "slug", "stripe_session_id", "tenant__slug")
    list_select_related = ("tenant",)
    date_hierarchy = "created_at"
    actions = ("retry_selected",)
    actions_detail = ("retry_detail",)
    actions_list = ("funnel_view",)
    inlines = (OnboardingAttemptInline, StripeEventInline)
    fieldsets = (
        (None, {"fields": ("business_name", "email", "industry", "plan", "slug", "state_badge", "failure_badge")}),
        ("Failure", {"fields": ("error", "attempts", "failed_at")}),
        (
            "Payment",
            {"fields": ("stripe_session_id", "payment_source", "amount_total", "currency", "checkout_sessions")},
        ),
        ("Result", {"fields": ("tenant_link", "owner", "invited_at", "sync_notes")}),
        (
            "Timeline",
            {
                "fields": (
                    "created_at",
                    "payment_pending_at",
                    "paid_at",
                    "provisioning_at",
                    "provisioned_at",
                    "syncing_at",
                    "completed_at",
                    "updated_at",
                )
            },
        ),
    )
    _readonly = (
        "business_name",
        "email",
        "industry",
        "plan",
        "state_badge",
        "failure_badge",
        "error",
        "attempts",
        "failed_at",
        "stripe_session_id",
        "payment_source",
        "amount_total",
        "currency",
        "checkout_sessions",
        "tenant_link",
        "owner",
        "invited_at",
        "sync_notes",
        "created_at",
        "payment_pending_at",
        "paid_at",
        "provisioning_at",
        "provisioned_at",
        "syncing_at",
        "completed_at",
        "updated_at",
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is None or obj.tenant_id or not self.has_change_permission(request, obj):
            return (*self._readonly, "slug")
        return self._readonly

    # ----------------------------------------------------------------- columns

    @display(description="State", ordering="state", label=STATE_BADGES)
    def state_badge(self, obj):
        return obj.state, obj.get_state_display()

    @display(description="Failed step", ordering="failed_step", label={"failed": "danger", "ok": None})
    def failure_badge(self, obj):
        if not obj.failed_step:
            return "ok", "—"
        return "failed", obj.get_failed_step_display()

    @display(description="Tenant")
    def tenant_link(self, obj):
        if not obj.tenant_id:
            return "—"
        url = reverse("admin:tenancy_tenant_change", args=(obj.tenant_id,))
        return format_html('<a class="bz-link" href="{}">{}</a>', url, obj.tenant.slug)

    # ----------------------------------------------------------------- writes through services

    def save_model(self, request, obj, form, change):
        if "slug" not in form.cleaned_data:
            return
        services.onboarding_slug_set(
            onboarding=Onboarding.objects.get(pk=obj.pk),
            slug=form.cleaned_data["slug"],
            actor=request.user,
            ip=client_ip(request),
        )

    def save_related(self, request, form, formsets, change):
        return

    # ----------------------------------------------------------------- retry

    def has_retry_permission(self, request, obj=None) -> bool:
        if not self._allows(request, Tier.SUPPORT):
            return False
        if obj is None:
            return True
        record = obj if isinstance(obj, Onboarding) else Onboarding.objects.filter(pk=obj).first()
        return record is not None and services.retryable_step(record) is not None

    def _retry(self, request, records) -> None:
        for record in records:
            try:
                note = services.onboarding_retry(onboarding=record, actor=request.user, ip=client_ip(request))
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.WARNING)
            else:
                self.message_user(request, note, messages.SUCCESS)

    @admin.action(description="Retry failed step", permissions=["retry"])
    def retry_selected(self, request, queryset):
        self._retry(request, list(queryset))

    @action(description="Retry failed step", url_path="retry", permissions=["retry"], icon="replay")
    def retry_detail(self, request, object_id):
        record = self.get_object(request, object_id)
        if record is None:
            raise Http404("No such onboarding.")
        change_url = reverse("admin:onboarding_onboarding_change", args=(record.pk,))
        if request.method != "POST":
            # The button is a link: a GET only asks; the retry itself is the confirmed POST.
            step = services.retryable_step(record)
            if step is None:
                self.message_user(request, f"{record}: nothing to retry.", messages.WARNING)
                return HttpResponseRedirect(change_url)
            return render_confirmation(
                request,
                self,
                title="Retry failed step?",
                question=f"Run the “{Onboarding.Step(step).label}” step again for this sign-up. Steps are "
                "idempotent: whatever is already done is kept, only what is missing is done.",
                objects=[f"{record} — {record.get_state_display()}: {record.error or 'no error recorded'}"],
                form=forms.Form(),
                hidden=[],
                submit_label="Yes, retry",
                cancel_url=change_url,
            )
        self._retry(request, [record])
        return HttpResponseRedirect(change_url)

    # ----------------------------------------------------------------- funnel

    def has_funnel_permission(self, request, obj=None) -> bool:
        return self._allows(request, self.view_tier)

    @action(description="Funnel", url_path="funnel", permissions=["funnel"], icon="filter_alt")
    def funnel_view(self, request):
        window = request.GET.get("days", "30")
        if window not in FUNNEL_WINDOWS:
            window = "30"
        days = FUNNEL_WINDOWS[window]
        since = timezone.now() - timedelta(days=days) if days else None
        data = selectors.funnel(since=since)
        if request.GET.get("format") == "json":
            return JsonResponse({"window_days": days, **data}, json_dumps_params={"ensure_ascii": False})
        context = {
            **self.admin_site.each_context(request),
            "title": "Onboarding funnel",
            "opts": self.opts,
            "funnel": data,
            "funnel_top": max((stage["count"] for stage in data["stages"]), default=0),
            "window": window,
            "windows": [("7", "7 days"), ("30", "30 days"), ("90", "90 days"), ("all", "All time")],
            "changelist_url": reverse("admin:onboarding_onboarding_changelist", current_app=self.admin_site.name),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "onboarding/admin/funnel.html", context)


@admin.register(StripeEvent)
class StripeEventAdmin(TierPermissionsMixin, ModelAdmin):
    add_tier = None
    change_tier = None
    list_display = ("event_id", "type", "onboarding", "result", "received_at")
    list_filter = ("type",)
    search_fields = ("event_id", "onboarding__email", "onboarding__business_name")
    list_select_related = ("onboarding",)
    fields = list_display
    readonly_fields = fields
