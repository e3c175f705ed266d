"""Admin for tenants, their domains and plans.

Tenants are created only through `tenant_create` (the add form calls it and shows its
ValidationError on the form fields) and change status only through `tenant_set_status`, after a
confirmation page that asks for a reason. Who may do what follows the user's tier
(apps.core.admin_site.TierPermissionsMixin).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget

from apps.accounts.models import Tier, User
from apps.core.admin_site import TierPermissionsMixin, add_service_errors, render_confirmation
from apps.governance.admin_buttons import TenantPanicAdminMixin
from apps.tenancy.models import Domain, Plan, Tenant
from apps.tenancy.services import DOMAIN_RE, tenant_create, tenant_set_status, tenant_update

STATUS_BADGES = {
    Tenant.Status.ACTIVE: "success",
    Tenant.Status.SUSPENDED: "warning",
    Tenant.Status.ARCHIVED: "danger",
}

# What each status change is called on buttons, messages and the confirmation page.
STATUS_VERBS = {
    Tenant.Status.SUSPENDED: {"verb": "Suspend", "done": "suspended", "variant": "danger", "icon": "pause_circle"},
    Tenant.Status.ACTIVE: {"verb": "Activate", "done": "activated", "variant": "primary", "icon": "play_circle"},
    Tenant.Status.ARCHIVED: {"verb": "Archive", "done": "archived", "variant": "danger", "icon": "inventory_2"},
}

STATUS_CONSEQUENCES = {
    Tenant.Status.SUSPENDED: "Its dashboard and site stop answering (data is kept) until it is activated again.",
    Tenant.Status.ACTIVE: "Its dashboard and site work normally again.",
    Tenant.Status.ARCHIVED: "Its data stays readable, but every change is refused.",
}


def tenant_dashboard_url(request, tenant: Tenant) -> str:
    """http://<slug>.<BASE_DOMAIN>[:port]/app/ — the port is the one the admin is served on."""
    host = f"{tenant.slug}.{settings.BASE_DOMAIN}"
    port = request.get_port()
    if port and port not in {"80", "443"}:
        host = f"{host}:{port}"
    return f"{request.scheme}://{host}/app/"


def _text(**attrs):
    return UnfoldAdminTextInputWidget(attrs=attrs)


# --------------------------------------------------------------------------- tenants


class TenantCreateForm(forms.ModelForm):
    """Collects what `tenant_create` needs and calls it; the service is the only validator, so
    the admin, the API and the CLI refuse exactly the same input."""

    name = forms.CharField(max_length=120, widget=_text())
    slug = forms.CharField(
        max_length=60,
        widget=_text(),
        help_text=f"3–40 characters: lowercase letters, digits and hyphens. “acme” gets the dashboard at acme.{settings.BASE_DOMAIN}.",
    )
    plan = forms.ModelChoiceField(
        queryset=Plan.objects.all(),
        to_field_name="code",
        label="Plan (subscription tier)",
        widget=UnfoldAdminSelectWidget,
    )
    partner = forms.ModelChoiceField(
        queryset=User.objects.filter(tier=Tier.PARTNER, is_active=True),
        required=False,
        help_text="The agency that manages this business, if any.",
        widget=UnfoldAdminSelectWidget,
    )
    industry = forms.CharField(max_length=80, required=False, widget=_text())
    domain = forms.CharField(
        max_length=253,
        required=False,
        label="Extra domain",
        help_text="Optional custom domain (e.g. shop.example.com); it becomes the primary domain.",
        widget=_text(),
    )

    class Meta:
        model = Tenant
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and "plan" in self.fields:
            self.fields["plan"].initial = Plan.Code.FREE

    def _post_clean(self):
        # Instead of ModelForm's model validation: provision through the service, inside the
        # admin's transaction, and turn its refusals into field errors.
        if self._errors:
            return
        data = self.cleaned_data
        try:
            self.instance = tenant_create(
                name=data["name"],
                slug=data["slug"],
                plan=data["plan"],
                partner=data.get("partner"),
                industry=data.get("industry") or "",
                domain=(data.get("domain") or "").strip() or None,
            )
        except ValidationError as exc:
            add_service_errors(self, exc, {"tier": "plan"})


class TenantChangeForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = ("name", "plan", "industry")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "plan" in self.fields:
            self.fields["plan"].required = True


class StatusChangeForm(forms.Form):
    reason = forms.CharField(
        max_length=255,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text="Kept on the tenant and in the admin history.",
    )

    def __init__(self, *args, status: str, **kwargs):
        super().__init__(*args, **kwargs)
        # Taking a tenant offline needs a reason; bringing it back may have one.
        self.fields["reason"].required = status != Tenant.Status.ACTIVE


class DomainForm(forms.ModelForm):
    class Meta:
        model = Domain
        fields = ("domain", "tenant", "is_primary")

    def clean_domain(self):
        domain = (self.cleaned_data.get("domain") or "").strip().lower().rstrip(".")
        if not DOMAIN_RE.match(domain) and not domain.endswith(f".{settings.BASE_DOMAIN}"):
            raise ValidationError(f"“{domain}” is not a valid host name.")
        return domain


class DomainInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        remaining = [
            f
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("domain")
        ]
        deleted_primary = any(
            f.cleaned_data.get("DELETE") and f.instance.pk and f.instance.is_primary
            for f in self.forms
            if f.cleaned_data
        )
        if not remaining:
            raise ValidationError("A tenant needs at least one domain.")
        if deleted_primary and not any(f.cleaned_data.get("is_primary") for f in remaining):
            raise ValidationError("Mark another domain as primary before deleting the primary one.")


class DomainInline(TierPermissionsMixin, TabularInline):
    model = Domain
    form = DomainForm
    formset = DomainInlineFormSet
    fields = ("domain", "is_primary", "created_at")
    readonly_fields = ("created_at",)
    extra = 0


class PartnerFilter(admin.SimpleListFilter):
    title = "partner"
    parameter_name = "partner"

    def lookups(self, request, model_admin):
        partners = User.objects.filter(tier=Tier.PARTNER).order_by("email").values_list("pk", "email")
        return [("none", "No partner"), *[(str(pk), email) for pk, email in partners]]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(partner__isnull=True)
        if value:
            return queryset.filter(partner_id=value)
        return queryset


@admin.register(Tenant)
class TenantAdmin(TenantPanicAdminMixin, TierPermissionsMixin, ModelAdmin):
    # Deleting a row would orphan its schema; archiving is the way to retire a tenant.
    delete_tier = None

    form = TenantChangeForm
    add_form = TenantCreateForm
    list_display = ("name", "slug", "status_badge", "plan", "partner", "created_at")
    list_filter = ("status", "plan", PartnerFilter)
    list_filter_submit = False
    search_fields = ("name", "slug", "industry", "domains__domain", "partner__email")
    list_select_related = ("plan", "partner")
    ordering = ("name",)
    inlines = (DomainInline,)
    add_fieldsets = ((None, {"fields": ("name", "slug", "plan", "partner", "industry", "domain")}),)
    fieldsets = (
        (None, {"fields": ("name", "slug", "plan", "industry", "partner")}),
        ("Status", {"fields": ("status", "status_reason", "status_changed_at")}),
        ("Technical", {"fields": ("schema_name", "created_at")}),
    )
    change_readonly_fields = (
        "slug",
        "partner",
        "status",
        "status_reason",
        "status_changed_at",
        "schema_name",
        "created_at",
    )
    change_form_outer_before_template = "admin/tenancy/tenant/status_panel.html"
    actions = ("suspend_selected", "activate_selected", "archive_selected")
    actions_detail = (
        "suspend_detail",
        "activate_detail",
        "archive_detail",
        # emergency stop (apps.governance.admin_buttons)
        "panic_detail",
        "release_panic_detail",
        "rerun_skipped_detail",
    )

    # ----------------------------------------------------------------- queryset and forms

    def get_queryset(self, request):
        from apps.tenancy.selectors import tenants_visible_to

        return tenants_visible_to(user=request.user)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.change_readonly_fields

    def get_inline_instances(self, request, obj=None):
        # The add form provisions through the service; domains are edited afterwards.
        return [] if obj is None else super().get_inline_instances(request, obj)

    def get_list_display(self, request):
        @display(description="Dashboard")
        def dashboard_link(tenant):
            return format_html(
                '<a class="bz-link" href="{}" target="_blank" rel="noopener">open dashboard</a>',
                tenant_dashboard_url(request, tenant),
            )

        return [*super().get_list_display(request), dashboard_link]

    def save_model(self, request, obj, form, change):
        if not change:
            return  # already provisioned by tenant_create in TenantCreateForm
        tenant_update(
            tenant=obj,
            name=form.cleaned_data["name"],
            plan=form.cleaned_data["plan"].code,
            industry=form.cleaned_data.get("industry") or "",
        )

    def response_add(self, request, obj, post_url_continue=None):
        # After provisioning, land on the new tenant (its domains, status and dashboard link).
        if "_addanother" not in request.POST and "_popup" not in request.POST:
            request.POST = request.POST.copy()
            request.POST["_continue"] = "1"
        return super().response_add(request, obj, post_url_continue)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        tenant = self.get_object(request, object_id)
        if tenant is not None:
            extra_context = {
                **(extra_context or {}),
                "tenant_panel": {
                    "badge": STATUS_BADGES.get(tenant.status, "info"),
                    "dashboard_url": tenant_dashboard_url(request, tenant),
                },
            }
        return super().change_view(request, object_id, form_url, extra_context)

    @display(description="Status", ordering="status", label=STATUS_BADGES)
    def status_badge(self, obj):
        return obj.status, obj.get_status_display()

    # ----------------------------------------------------------------- status changes

    def _may_set_status(self, request, obj, status: str) -> bool:
        if not self._allows(request, Tier.PLATFORM_ADMIN):
            return False
        if obj is None:
            return True
        # unfold passes the object id for detail actions: offer only changes that do something.
        tenant = obj if isinstance(obj, Tenant) else self.get_queryset(request).filter(pk=obj).first()
        return tenant is not None and tenant.status != status

    def has_suspend_permission(self, request, obj=None) -> bool:
        return self._may_set_status(request, obj, Tenant.Status.SUSPENDED)

    def has_activate_permission(self, request, obj=None) -> bool:
        return self._may_set_status(request, obj, Tenant.Status.ACTIVE)

    def has_archive_permission(self, request, obj=None) -> bool:
        return self._may_set_status(request, obj, Tenant.Status.ARCHIVED)

    def _apply_status(self, request, tenants: list[Tenant], status: str, reason: str) -> int:
        words = STATUS_VERBS[status]
        changed = 0
        for tenant in tenants:
            if tenant.status == status:
                continue
            try:
                tenant_set_status(tenant=tenant, status=status, reason=reason)
            except ValidationError as exc:
                self.message_user(request, f"{tenant}: {' '.join(exc.messages)}", messages.ERROR)
                continue
            self.log_change(request, tenant, f"Status set to {status}." + (f" Reason: {reason}" if reason else ""))
            changed += 1
        unchanged = len(tenants) - changed
        if changed:
            noun = "tenant" if changed == 1 else "tenants"
            self.message_user(request, f"{changed} {noun} {words['done']}.", messages.SUCCESS)
        if unchanged and not changed:
            self.message_user(request, f"No tenant was {words['done']}.", messages.WARNING)
        return changed

    def _confirm(self, request, tenants, status, form, hidden, cancel_url, http_status=200):
        words = STATUS_VERBS[status]
        count = len(tenants)
        noun = "this tenant" if count == 1 else f"these {count} tenants"
        return render_confirmation(
            request,
            self,
            title=f"{words['verb']} {noun}?" if count > 1 else f"{words['verb']} {tenants[0]}?",
            question=f"{words['verb']} {noun}? {STATUS_CONSEQUENCES[status]}",
            objects=[f"{t.name} ({t.slug}) — {t.get_status_display()}" for t in tenants],
            form=form,
            hidden=hidden,
            submit_label=f"Yes, {words['verb'].lower()}",
            cancel_url=cancel_url,
            variant=words["variant"],
            status=http_status,
        )

    def _bulk_status(self, request, queryset, status: str):
        confirmed = request.POST.get("confirm") == "yes"
        form = StatusChangeForm(request.POST if confirmed else None, status=status)
        tenants = list(queryset)
        if confirmed and form.is_valid():
            self._apply_status(request, tenants, status, form.cleaned_data["reason"])
            return None  # back to the list
        hidden = [
            ("action", request.POST.get("action", "")),
            ("select_across", request.POST.get("select_across", "0")),
            *[(helpers.ACTION_CHECKBOX_NAME, pk) for pk in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)],
        ]
        cancel = reverse("admin:tenancy_tenant_changelist", current_app=self.admin_site.name)
        return self._confirm(request, tenants, status, form, hidden, cancel, 400 if form.errors else 200)

    @admin.action(description="Suspend selected tenants…", permissions=["suspend"])
    def suspend_selected(self, request, queryset):
        return self._bulk_status(request, queryset, Tenant.Status.SUSPENDED)

    @admin.action(description="Activate selected tenants…", permissions=["activate"])
    def activate_selected(self, request, queryset):
        return self._bulk_status(request, queryset, Tenant.Status.ACTIVE)

    @admin.action(description="Archive selected tenants…", permissions=["archive"])
    def archive_selected(self, request, queryset):
        return self._bulk_status(request, queryset, Tenant.Status.ARCHIVED)

    def _detail_status(self, request, object_id, status: str):
        tenant = self.get_object(request, object_id)
        if tenant is None:
            raise Http404("No such tenant.")
        change_url = reverse("admin:tenancy_tenant_change", args=(tenant.pk,), current_app=self.admin_site.name)
        form = StatusChangeForm(request.POST if request.method == "POST" else None, status=status)
        if request.method == "POST" and form.is_valid():
            self._apply_status(request, [tenant], status, form.cleaned_data["reason"])
            return HttpResponseRedirect(change_url)
        return self._confirm(request, [tenant], status, form, [], change_url, 400 if form.errors else 200)

    @action(
        description="Suspend",
        url_path="suspend",
        permissions=["suspend"],
        icon=STATUS_VERBS[Tenant.Status.SUSPENDED]["icon"],
        variant=ActionVariant.WARNING,
    )
    def suspend_detail(self, request, object_id):
        return self._detail_status(request, object_id, Tenant.Status.SUSPENDED)

    @action(
        description="Activate",
        url_path="activate",
        permissions=["activate"],
        icon=STATUS_VERBS[Tenant.Status.ACTIVE]["icon"],
        variant=ActionVariant.SUCCESS,
    )
    def activate_detail(self, request, object_id):
        return self._detail_status(request, object_id, Tenant.Status.ACTIVE)

    @action(
        description="Archive",
        url_path="archive",
        permissions=["archive"],
        icon=STATUS_VERBS[Tenant.Status.ARCHIVED]["icon"],
        variant=ActionVariant.DANGER,
    )
    def archive_detail(self, request, object_id):
        return self._detail_status(request, object_id, Tenant.Status.ARCHIVED)


# --------------------------------------------------------------------------- domains


@admin.register(Domain)
class DomainAdmin(TierPermissionsMixin, ModelAdmin):
    form = DomainForm
    list_display = ("domain", "tenant", "primary_badge", "created_at")
    list_filter = ("is_primary",)
    search_fields = ("domain", "tenant__name", "tenant__slug")
    list_select_related = ("tenant",)
    autocomplete_fields = ("tenant",)
    readonly_fields = ("created_at",)

    @display(description="Primary", label={True: "success", False: None}, ordering="is_primary")
    def primary_badge(self, obj):
        return (True, "primary") if obj.is_primary else (False, "alias")

    def _platform_domain(self, obj) -> bool:
        # The platform host's own domains (localhost, 127.0.0.1) route the admin itself.
        return obj is not None and obj.tenant.schema_name == "public"

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not self._platform_domain(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and (obj.is_primary or self._platform_domain(obj)):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # Bulk delete cannot check each row, and a primary domain must never go that way.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "tenant":
            kwargs["queryset"] = Tenant.objects.exclude(schema_name="public")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --------------------------------------------------------------------------- plans


@admin.register(Plan)
class PlanAdmin(TierPermissionsMixin, ModelAdmin):
    delete_tier = Tier.SUPER_ADMIN
    list_display = ("name", "code", "rank", "monthly_price", "tenant_count")
    ordering = ("rank",)

    @display(description="Tenants")
    def tenant_count(self, obj):
        return obj.tenants.count()
