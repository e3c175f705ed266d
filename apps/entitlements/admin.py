"""Admin for the entitlement engine: features with stage badges, promote / kill / unkill / retire
behind a confirmation page (audited by the services), grants inline, a "who sees this?" preview,
a stale report, tenant overrides, and the QuantTrade beta whitelist (super admins only).

Every write goes through apps.entitlements.services, so the admin, the API and the CLI audit
and publish changes the same way.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget

from apps.accounts.models import Tier, User
from apps.audit.services import client_ip
from apps.core.admin_site import TierPermissionsMixin, add_service_errors, render_confirmation, user_tier
from apps.entitlements import selectors, services
from apps.entitlements.context import entitlements_for
from apps.entitlements.models import Feature, Grant, QuantTradeWhitelistEntry, TenantOverride
from apps.tenancy.models import Tenant

STAGE_BADGES = {
    Feature.Stage.ALPHA: "danger",
    Feature.Stage.BETA: "warning",
    Feature.Stage.GA: "success",
    Feature.Stage.RETIRED: "info",
}

# What each verb is called on buttons, messages and its confirmation page.
VERBS = {
    "promote": {"verb": "Promote", "variant": "primary", "icon": "upgrade"},
    "kill": {"verb": "Kill", "variant": "danger", "icon": "power_settings_new"},
    "unkill": {"verb": "Unkill", "variant": "primary", "icon": "restart_alt"},
    "retire": {"verb": "Retire", "variant": "danger", "icon": "archive"},
}


def _text(**attrs):
    return UnfoldAdminTextInputWidget(attrs=attrs)


def _grant_target_fields(form) -> None:
    """Partners are tier-1 users; the platform's own tenant cannot hold grants."""
    if "partner" in form.fields:
        form.fields["partner"].queryset = User.objects.filter(tier=Tier.PARTNER, is_active=True)
    if "tenant" in form.fields:
        form.fields["tenant"].queryset = Tenant.objects.exclude(schema_name="public")
    if "user" in form.fields:
        form.fields["user"].queryset = User.objects.filter(is_active=True)


# --------------------------------------------------------------------------- forms


class FeatureCreateForm(forms.ModelForm):
    """Validated and saved by `feature_create` (the only validator), like the API and CLI."""

    stage = forms.ChoiceField(
        choices=[c for c in Feature.Stage.choices if c[0] != Feature.Stage.RETIRED],
        initial=Feature.Stage.ALPHA,
        widget=UnfoldAdminSelectWidget,
    )

    class Meta:
        model = Feature
        fields = (
            "key",
            "name",
            "description",
            "stage",
            "owner",
            "rollout_percentage",
            "prerequisites",
            "super_admin_only",
        )

    request = None  # set by FeatureAdmin.get_form

    def _post_clean(self):
        if self._errors:
            return
        data = self.cleaned_data
        try:
            self.instance = services.feature_create(
                key=data["key"],
                name=data.get("name") or "",
                description=data.get("description") or "",
                stage=data["stage"],
                owner=data.get("owner"),
                rollout_percentage=data.get("rollout_percentage") or 0,
                prerequisites=list(data.get("prerequisites") or ()),
                super_admin_only=bool(data.get("super_admin_only")),
                actor=self.request.user if self.request else None,
                ip=client_ip(self.request),
            )
        except ValidationError as exc:
            add_service_errors(self, exc)


class FeatureChangeForm(forms.ModelForm):
    class Meta:
        model = Feature
        fields = ("name", "description", "owner", "rollout_percentage", "prerequisites", "super_admin_only")

    def clean(self):
        data = super().clean()
        if "prerequisites" in data:
            try:
                services._resolve_prerequisites(self.instance, list(data["prerequisites"]))
            except ValidationError as exc:
                add_service_errors(self, exc)
        return data

    def _post_clean(self):
        # No construct_instance: the service compares the feature as stored with the new
        # values (for the audit's before/after) and saves them itself (save_model).
        pass


class VerbForm(forms.Form):
    reason = forms.CharField(
        max_length=255,
        required=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text="Kept in the audit log.",
    )

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required


class PreviewForm(forms.Form):
    user = forms.EmailField(required=False, label="User email", widget=_text())
    tenant = forms.SlugField(required=False, label="Tenant slug", widget=_text())

    def clean(self):
        data = super().clean()
        email, slug = data.get("user"), data.get("tenant")
        data["user_obj"] = data["tenant_obj"] = None
        if email:
            data["user_obj"] = User.objects.filter(email__iexact=email).first()
            if data["user_obj"] is None:
                self.add_error("user", f"No user with the email {email}.")
        if slug:
            data["tenant_obj"] = (
                Tenant.objects.exclude(schema_name="public").select_related("plan").filter(slug=slug).first()
            )
            if data["tenant_obj"] is None:
                self.add_error("tenant", f"No tenant “{slug}”.")
        return data


class GrantInlineForm(forms.ModelForm):
    class Meta:
        model = Grant
        fields = ("target_type", "user", "tenant", "partner", "plan", "expires_at", "reason")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _grant_target_fields(self)

    def clean_expires_at(self):
        value = self.cleaned_data.get("expires_at")
        if value is not None and value <= timezone.now():
            raise ValidationError("The expiry must be in the future.")
        return value


class WhitelistAddForm(forms.ModelForm):
    """One whitelist entry: exactly one of user, tenant, partner or plan tier."""

    class Meta:
        model = QuantTradeWhitelistEntry
        fields = ("target_type", "user", "tenant", "partner", "plan", "expires_at", "reason")

    request = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _grant_target_fields(self)

    def _post_clean(self):
        if self._errors:
            return
        data = self.cleaned_data
        kind = data.get("target_type")
        target = {"tier": data.get("plan")} if kind == Grant.Target.TIER else {kind: data.get(kind)}
        try:
            self.instance = services.grant_add(
                feature=services.quanttrade_feature_ensure(),
                expires_at=data.get("expires_at"),
                reason=data.get("reason") or "",
                actor=self.request.user if self.request else None,
                ip=client_ip(self.request),
                **target,
            )
        except ValidationError as exc:
            add_service_errors(self, exc, {"target": kind if kind != Grant.Target.TIER else "plan", "tier": "plan"})
        except PermissionDenied as exc:
            self.add_error(None, str(exc))


class OverrideForm(forms.ModelForm):
    class Meta:
        model = TenantOverride
        fields = ("feature", "tenant", "enabled", "reason")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "tenant" in self.fields:
            self.fields["tenant"].queryset = Tenant.objects.exclude(schema_name="public")

    def clean(self):
        data = super().clean()
        feature = data.get("feature") or (self.instance.feature if self.instance.pk else None)
        if feature is not None and data.get("enabled") and feature.stage == Feature.Stage.ALPHA:
            self.add_error(
                "enabled", f"{feature.key} is in alpha: only internal staff see it. Promote it to beta first."
            )
        return data


# --------------------------------------------------------------------------- grants inline


class GrantInline(TierPermissionsMixin, TabularInline):
    """Grants are added and removed (through the services), never edited in place."""

    model = Grant
    form = GrantInlineForm
    fields = ("target_type", "user", "tenant", "partner", "plan", "expires_at", "reason", "granted_by", "created_at")
    readonly_fields = ("granted_by", "created_at")
    extra = 0
    change_tier = None
    view_tier = Tier.SUPPORT

    def _feature_allows(self, request, obj) -> bool:
        return not (obj is not None and obj.super_admin_only and user_tier(request.user) < Tier.SUPER_ADMIN)

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and self._feature_allows(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._feature_allows(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "tenant", "partner", "plan", "granted_by")


# --------------------------------------------------------------------------- features


@admin.register(Feature)
class FeatureAdmin(TierPermissionsMixin, ModelAdmin):
    # Features are retired, never deleted: the audit log and the grants keep their history.
    delete_tier = None

    form = FeatureChangeForm
    add_form = FeatureCreateForm
    list_display = ("key", "name", "stage_badge", "kill_badge", "rollout_percentage", "owner", "stage_changed_at")
    list_filter = ("stage", "killed")
    list_filter_submit = False
    search_fields = ("key", "name", "description")
    list_select_related = ("owner",)
    ordering = ("key",)
    filter_horizontal = ()
    inlines = (GrantInline,)
    add_fieldsets = (
        (None, {"fields": ("key", "name", "description", "stage", "owner")}),
        ("Rollout", {"fields": ("rollout_percentage", "prerequisites", "super_admin_only")}),
    )
    fieldsets = (
        (None, {"fields": ("key", "name", "description", "owner")}),
        ("State", {"fields": ("stage", "killed", "kill_reason", "stage_changed_at")}),
        ("Rollout", {"fields": ("rollout_percentage", "prerequisites", "super_admin_only")}),
        ("Technical", {"fields": ("created_at", "updated_at")}),
    )
    change_readonly_fields = ("key", "stage", "killed", "kill_reason", "stage_changed_at", "created_at", "updated_at")
    change_form_outer_before_template = "admin/entitlements/feature/state_panel.html"
    actions_list = ("stale_report",)
    actions_detail = ("promote_detail", "kill_detail", "unkill_detail", "retire_detail", "preview_detail")

    # ----------------------------------------------------------------- forms and saving

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        form = super().get_form(request, obj, **kwargs)
        form.request = request
        return form

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.change_readonly_fields

    def get_inline_instances(self, request, obj=None):
        # The add form creates the feature through the service; grants come afterwards.
        return [] if obj is None else super().get_inline_instances(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            return  # created by feature_create in FeatureCreateForm
        data = form.cleaned_data
        services.feature_update(
            feature=obj,
            name=data["name"],
            description=data.get("description") or "",
            owner=data.get("owner"),
            rollout_percentage=data.get("rollout_percentage") or 0,
            prerequisites=list(data.get("prerequisites") or ()),
            super_admin_only=data.get("super_admin_only"),
            actor=request.user,
            ip=client_ip(request),
        )

    def save_related(self, request, form, formsets, change):
        # Prerequisites were set by the service; only the grants inline remains.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Grant:
            return super().save_formset(request, form, formset, change)
        new_grants = formset.save(commit=False)
        feature = form.instance
        for grant in formset.deleted_objects:
            self._service(request, services.grant_remove, grant=grant, actor=request.user, ip=client_ip(request))
        for grant in new_grants:
            if grant.pk:
                continue  # grants are never edited in place
            target = (
                {"tier": grant.plan}
                if grant.target_type == Grant.Target.TIER
                else {grant.target_type: getattr(grant, grant.target_type)}
            )
            self._service(
                request,
                services.grant_add,
                feature=feature,
                expires_at=grant.expires_at,
                reason=grant.reason,
                actor=request.user,
                ip=client_ip(request),
                **target,
            )
        return None

    def _service(self, request, func, **kwargs):
        try:
            return func(**kwargs)
        except (ValidationError, PermissionDenied) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            self.message_user(request, text, messages.ERROR)
            return None

    # ----------------------------------------------------------------- list

    @display(description="Stage", ordering="stage", label=STAGE_BADGES)
    def stage_badge(self, obj):
        return obj.stage, obj.get_stage_display()

    @display(description="Kill switch", ordering="killed", label={"killed": "danger", "live": None})
    def kill_badge(self, obj):
        return ("killed", "Killed") if obj.killed else ("live", "—")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        feature = self.get_object(request, object_id)
        if feature is not None:
            extra_context = {
                **(extra_context or {}),
                "feature_panel": {"badge": STAGE_BADGES.get(feature.stage, "info")},
            }
        return super().change_view(request, object_id, form_url, extra_context)

    # ----------------------------------------------------------------- verbs

    def _feature(self, request, obj) -> Feature | None:
        if obj is None or isinstance(obj, Feature):
            return obj
        return self.get_queryset(request).filter(pk=obj).first()

    def _may(self, request, obj, check) -> bool:
        if not self._allows(request, Tier.PLATFORM_ADMIN):
            return False
        feature = self._feature(request, obj)
        return obj is None or (feature is not None and check(feature))

    def has_promote_permission(self, request, obj=None) -> bool:
        return self._may(request, obj, lambda f: f.stage in services.NEXT_STAGE)

    def has_kill_permission(self, request, obj=None) -> bool:
        return self._may(request, obj, lambda f: not f.killed)

    def has_unkill_permission(self, request, obj=None) -> bool:
        return self._may(request, obj, lambda f: f.killed)

    def has_retire_permission(self, request, obj=None) -> bool:
        return self._may(request, obj, lambda f: f.stage != Feature.Stage.RETIRED)

    def _question(self, name: str, feature: Feature) -> tuple[str, str]:
        if name == "promote":
            target = services.NEXT_STAGE[feature.stage]
            effect = {
                Feature.Stage.BETA: "It becomes visible to granted users, tenants, partners and plan tiers, and to the "
                "rollout percentage of tenants.",
                Feature.Stage.GA: "It turns ON for every tenant (except tenants with an OFF override).",
            }[target]
            return f"Promote {feature.key} to {Feature.Stage(target).label}?", f"{effect}"
        if name == "kill":
            return f"Kill {feature.key}?", "It turns OFF for everyone, internal staff included, within a second."
        if name == "unkill":
            return f"Unkill {feature.key}?", f"It follows its stage ({feature.get_stage_display()}) and grants again."
        return f"Retire {feature.key}?", "It turns OFF for good; its grants stop mattering. This cannot be undone."

    def _verb(self, request, object_id, name: str, service):
        feature = self.get_object(request, object_id)
        if feature is None:
            raise Http404("No such feature.")
        change_url = reverse("admin:entitlements_feature_change", args=(feature.pk,), current_app=self.admin_site.name)
        form = VerbForm(request.POST if request.method == "POST" else None, reason_required=name == "kill")
        if request.method == "POST" and form.is_valid():
            try:
                service(feature=feature, actor=request.user, reason=form.cleaned_data["reason"], ip=client_ip(request))
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.log_change(request, feature, f"{VERBS[name]['verb']}: {form.cleaned_data['reason']}".strip(": "))
                self.message_user(
                    request,
                    f"{feature.key}: {VERBS[name]['verb'].lower()} done (stage {feature.stage}"
                    f"{', killed' if feature.killed else ''}).",
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(change_url)
        title, question = self._question(name, feature)
        return render_confirmation(
            request,
            self,
            title=title,
            question=f"{title} {question}",
            objects=[
                f"{feature.key} — {feature.name} ({feature.get_stage_display()}{', killed' if feature.killed else ''})"
            ],
            form=form,
            hidden=[],
            submit_label=f"Yes, {VERBS[name]['verb'].lower()}",
            cancel_url=change_url,
            variant=VERBS[name]["variant"],
            status=400 if form.errors else 200,
        )

    @action(
        description="Promote",
        url_path="promote",
        permissions=["promote"],
        icon=VERBS["promote"]["icon"],
        variant=ActionVariant.PRIMARY,
    )
    def promote_detail(self, request, object_id):
        return self._verb(request, object_id, "promote", services.feature_promote)

    @action(
        description="Kill switch",
        url_path="kill",
        permissions=["kill"],
        icon=VERBS["kill"]["icon"],
        variant=ActionVariant.DANGER,
    )
    def kill_detail(self, request, object_id):
        return self._verb(request, object_id, "kill", services.feature_kill)

    @action(
        description="Unkill",
        url_path="unkill",
        permissions=["unkill"],
        icon=VERBS["unkill"]["icon"],
        variant=ActionVariant.SUCCESS,
    )
    def unkill_detail(self, request, object_id):
        return self._verb(request, object_id, "unkill", services.feature_unkill)

    @action(
        description="Retire",
        url_path="retire",
        permissions=["retire"],
        icon=VERBS["retire"]["icon"],
        variant=ActionVariant.WARNING,
    )
    def retire_detail(self, request, object_id):
        return self._verb(request, object_id, "retire", services.feature_retire)

    # ----------------------------------------------------------------- who sees this?

    def has_preview_permission(self, request, obj=None) -> bool:
        return self._allows(request, self.view_tier)

    @action(description="Who sees this?", url_path="preview", permissions=["preview"], icon="visibility")
    def preview_detail(self, request, object_id):
        feature = self.get_object(request, object_id)
        if feature is None:
            raise Http404("No such feature.")
        form = PreviewForm(request.GET if request.GET else None)
        decision = None
        if form.is_bound and form.is_valid():
            decision = entitlements_for(
                user=form.cleaned_data["user_obj"], tenant=form.cleaned_data["tenant_obj"]
            ).explain(feature.key)
        tenants = list(Tenant.objects.exclude(schema_name="public").order_by("slug"))
        on = [t for t in tenants if entitlements_for(tenant=t, refresh=False).is_on(feature.key)]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Who sees {feature.key}?",
            "opts": self.opts,
            "original": feature,
            "feature": feature,
            "badge": STAGE_BADGES.get(feature.stage, "info"),
            "form": form,
            "decision": decision,
            "tenants_on": on[:50],
            "tenants_on_count": len(on),
            "tenants_count": len(tenants),
            "change_url": reverse(
                "admin:entitlements_feature_change", args=(feature.pk,), current_app=self.admin_site.name
            ),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/entitlements/feature/preview.html", context)

    # ----------------------------------------------------------------- stale report

    def has_stale_permission(self, request, obj=None) -> bool:
        return self._allows(request, self.view_tier)

    @action(description="Stale report", url_path="stale", permissions=["stale"], icon="history")
    def stale_report(self, request):
        report = selectors.stale_report()
        context = {
            **self.admin_site.each_context(request),
            "title": "Stale feature report",
            "opts": self.opts,
            "report": report,
            "changelist_url": reverse("admin:entitlements_feature_changelist", current_app=self.admin_site.name),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/entitlements/feature/stale.html", context)


# --------------------------------------------------------------------------- grants (all features)


class ExpiredFilter(admin.SimpleListFilter):
    title = "expiry"
    parameter_name = "expired"

    def lookups(self, request, model_admin):
        return [("yes", "Expired"), ("no", "Live")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(expires_at__lte=now)
        if self.value() == "no":
            return queryset.exclude(expires_at__lte=now)
        return queryset


class GrantRemovalMixin:
    """Grants leave through grant_remove (audited, published), one by one."""

    def delete_model(self, request, obj):
        services.grant_remove(grant=obj, actor=request.user, ip=client_ip(request))

    def delete_queryset(self, request, queryset):
        for grant in queryset.select_related("feature", "tenant"):
            services.grant_remove(grant=grant, actor=request.user, ip=client_ip(request))

    @display(description="Target")
    def target(self, obj):
        return obj.target_label

    @display(description="Expiry", label={"expired": "danger", "live": "success", "never": None})
    def expiry_badge(self, obj):
        if obj.expires_at is None:
            return "never", "no expiry"
        if obj.expires_at <= timezone.now():
            return "expired", f"expired {obj.expires_at:%Y-%m-%d}"
        return "live", f"until {obj.expires_at:%Y-%m-%d}"


@admin.register(Grant)
class GrantAdmin(GrantRemovalMixin, TierPermissionsMixin, ModelAdmin):
    # Added on the feature's page (inline); listed here across features, e.g. to clear expired ones.
    add_tier = None
    change_tier = None
    list_display = ("feature", "target_type", "target", "expiry_badge", "reason", "granted_by", "created_at")
    list_filter = ("target_type", ExpiredFilter, "feature")
    list_filter_submit = False
    search_fields = ("feature__key", "user__email", "tenant__slug", "partner__email", "plan__code", "reason")
    list_select_related = ("feature", "user", "tenant", "partner", "plan", "granted_by")
    readonly_fields = (
        "feature",
        "target_type",
        "user",
        "tenant",
        "partner",
        "plan",
        "expires_at",
        "reason",
        "granted_by",
        "created_at",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(feature__key=services.QUANTTRADE_KEY)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.feature.super_admin_only and user_tier(request.user) < Tier.SUPER_ADMIN:
            return False
        return super().has_delete_permission(request, obj)


# --------------------------------------------------------------------------- overrides


@admin.register(TenantOverride)
class TenantOverrideAdmin(TierPermissionsMixin, ModelAdmin):
    form = OverrideForm
    list_display = ("feature", "tenant", "enabled_badge", "reason", "set_by", "updated_at")
    list_filter = ("enabled", "feature")
    list_filter_submit = False
    search_fields = ("feature__key", "tenant__slug", "tenant__name", "reason")
    list_select_related = ("feature", "tenant", "set_by")
    autocomplete_fields = ("tenant",)

    @display(description="Override", label={True: "success", False: "danger"})
    def enabled_badge(self, obj):
        return obj.enabled, "ON" if obj.enabled else "OFF"

    def get_readonly_fields(self, request, obj=None):
        return ("feature", "tenant", "set_by", "updated_at") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        saved = services.override_set(
            feature=obj.feature,
            tenant=obj.tenant,
            enabled=form.cleaned_data["enabled"],
            reason=form.cleaned_data.get("reason") or "",
            actor=request.user,
            ip=client_ip(request),
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.override_set(
            feature=obj.feature, tenant=obj.tenant, enabled=None, actor=request.user, ip=client_ip(request)
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("feature", "tenant"):
            self.delete_model(request, obj)


# --------------------------------------------------------------------------- QuantTrade whitelist


@admin.register(QuantTradeWhitelistEntry)
class QuantTradeWhitelistAdmin(GrantRemovalMixin, TierPermissionsMixin, ModelAdmin):
    """Platform settings → QuantTrade beta whitelist: the grants of the beta feature `quanttrade`,
    managed by super admins only."""

    view_tier = Tier.SUPER_ADMIN
    add_tier = Tier.SUPER_ADMIN
    change_tier = None
    delete_tier = Tier.SUPER_ADMIN

    form = WhitelistAddForm
    list_display = ("target", "target_type", "expiry_badge", "reason", "granted_by", "created_at")
    list_filter = ("target_type", ExpiredFilter)
    list_filter_submit = False
    search_fields = ("user__email", "tenant__slug", "tenant__name", "partner__email", "plan__code", "reason")
    list_select_related = ("feature", "user", "tenant", "partner", "plan", "granted_by")
    readonly_fields = (
        "target_type",
        "user",
        "tenant",
        "partner",
        "plan",
        "expires_at",
        "reason",
        "granted_by",
        "created_at",
    )

    TITLE = "Platform settings → QuantTrade beta whitelist"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(feature__key=services.QUANTTRADE_KEY)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request = request
        return form

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def save_model(self, request, obj, form, change):
        return  # added by grant_add in WhitelistAddForm

    def save_related(self, request, form, formsets, change):
        return

    def changelist_view(self, request, extra_context=None):
        services.quanttrade_feature_ensure()
        return super().changelist_view(request, {**(extra_context or {}), "title": self.TITLE})

    def add_view(self, request, form_url="", extra_context=None):
        return super().add_view(request, form_url, {**(extra_context or {}), "title": f"{self.TITLE}: add an entry"})
