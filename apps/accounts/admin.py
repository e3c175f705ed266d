"""Admin for users, tenant memberships and partner API keys.

Users are created through `user_create` and change tier through `user_set_tier`. A platform
admin (tier 3) manages users of tier 0–2 only and cannot raise anyone to tier 3 or 4; a super
admin (tier 4) may do everything; a support agent (tier 2) only looks. API keys are listed and
revoked, never created here, and their digest is never shown.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.forms import AdminPasswordChangeForm
from unfold.forms import UserChangeForm as UnfoldUserChangeForm
from unfold.widgets import (
    UnfoldAdminEmailInputWidget,
    UnfoldAdminPasswordWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
)

from apps.accounts.models import ApiKey, Membership, Tier, User
from apps.accounts.services import API_KEY_PREFIX, api_key_revoke, membership_set, user_create, user_set_tier
from apps.core.admin_site import TierPermissionsMixin, add_service_errors, render_confirmation, user_tier
from apps.governance.admin_buttons import MembershipViewAsAdminMixin, UserViewAsAdminMixin

TIER_BADGES = {
    Tier.NONE: None,
    Tier.PARTNER: "info",
    Tier.SUPPORT: "primary",
    Tier.PLATFORM_ADMIN: "warning",
    Tier.SUPER_ADMIN: "danger",
}


def grantable_tiers(actor) -> list[int]:
    """Tiers `actor` may give to someone: a super admin any; a platform admin up to support."""
    tier = user_tier(actor)
    if tier >= Tier.SUPER_ADMIN:
        return list(Tier.values)
    if tier >= Tier.PLATFORM_ADMIN:
        return [t for t in Tier.values if t <= Tier.SUPPORT]
    return []


def _limit_tier_choices(form: forms.BaseForm, actor) -> None:
    field = form.fields.get("tier")
    if field is None:
        return
    allowed = set(grantable_tiers(actor))
    current = getattr(form.instance, "tier", None) if form.instance.pk else None
    # Keep the user's current tier selectable so an unrelated edit still validates.
    field.choices = [(value, label) for value, label in Tier.choices if value in allowed or value == current]


class UserCreateForm(forms.ModelForm):
    """Collects what `user_create` needs and calls it; the service's errors land on the fields."""

    actor = None  # the signed-in admin, set by UserAdmin.get_form

    email = forms.EmailField(widget=UnfoldAdminEmailInputWidget)
    full_name = forms.CharField(max_length=150, required=False, widget=UnfoldAdminTextInputWidget)
    tier = forms.TypedChoiceField(coerce=int, choices=Tier.choices, initial=Tier.NONE, widget=UnfoldAdminSelectWidget)
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=UnfoldAdminPasswordWidget(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters, not a common password.",
    )
    password2 = forms.CharField(
        label="Password (again)",
        strip=False,
        widget=UnfoldAdminPasswordWidget(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = User
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _limit_tier_choices(self, self.actor)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password2") and cleaned["password1"] != cleaned["password2"]:
            self.add_error("password2", "The two passwords do not match.")
        return cleaned

    def _post_clean(self):
        if self._errors:
            return
        data = self.cleaned_data
        try:
            self.instance = user_create(
                email=data["email"],
                password=data["password1"],
                tier=data["tier"],
                full_name=data.get("full_name") or "",
            )
        except ValidationError as exc:
            add_service_errors(self, exc, {"password": "password1"})


class UserChangeForm(UnfoldUserChangeForm):
    actor = None  # the signed-in admin, set by UserAdmin.get_form

    class Meta:
        model = User
        fields = ("email", "full_name", "password", "tier", "is_active", "theme", "language")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _limit_tier_choices(self, self.actor)

    def clean_tier(self):
        tier = self.cleaned_data["tier"]
        if self.instance.pk and tier != self.instance.tier:
            if self.actor is not None and self.actor.pk == self.instance.pk:
                raise ValidationError("You cannot change your own tier.")
            if tier not in grantable_tiers(self.actor):
                raise ValidationError("You may not give this tier.")
        return tier

    def clean_is_active(self):
        is_active = self.cleaned_data.get("is_active")
        if not is_active and self.actor is not None and self.actor.pk == self.instance.pk:
            raise ValidationError("You cannot deactivate your own account.")
        return is_active

    def clean_email(self):
        return (self.cleaned_data.get("email") or "").strip().lower()


class MembershipInline(TierPermissionsMixin, TabularInline):
    model = Membership
    fk_name = "user"
    fields = ("tenant", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("tenant",)
    extra = 0

    def _parent_editable(self, request, obj) -> bool:
        # Memberships of a user the actor may not edit are read-only too.
        return obj is None or UserAdmin.may_edit_user(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and self._parent_editable(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._parent_editable(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._parent_editable(request, obj)


@admin.register(User)
class UserAdmin(UserViewAsAdminMixin, TierPermissionsMixin, DjangoUserAdmin, ModelAdmin):
    # Deleting an account takes its memberships and keys with it: super admins only, and never
    # through a bulk action a platform admin could aim at a super admin.
    delete_tier = Tier.SUPER_ADMIN

    form = UserChangeForm
    add_form = UserCreateForm
    change_password_form = AdminPasswordChangeForm
    list_display = (
        "email",
        "full_name",
        "tier_badge",
        "is_active",
        "mfa_enrolled",
        "date_joined",
        "last_login",
        "view_as_link",
    )
    actions_detail = ("view_as",)  # "View as" (apps.governance.admin_buttons)
    list_filter = ("tier", "is_active")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    filter_horizontal = ()
    readonly_fields = ("last_login", "date_joined")
    inlines = (MembershipInline,)
    fieldsets = (
        (None, {"fields": ("email", "full_name", "password")}),
        ("Platform role", {"fields": ("tier", "is_active")}),
        ("Preferences", {"fields": ("theme", "language")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "tier", "password1", "password2")}),
    )

    @staticmethod
    def may_edit_user(request, target) -> bool:
        """Super admins edit anyone; platform admins edit users of tier 0–2 only."""
        actor_tier = user_tier(request.user)
        if actor_tier >= Tier.SUPER_ADMIN:
            return True
        if actor_tier >= Tier.PLATFORM_ADMIN:
            if target is not None and not isinstance(target, User):
                target = User.objects.filter(pk=target).first()
            return target is None or target.tier <= Tier.SUPPORT
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self.may_edit_user(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        is_self = obj is not None and getattr(obj, "pk", obj) == request.user.pk
        return super().has_delete_permission(request, obj) and not is_self

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def get_inline_instances(self, request, obj=None):
        return [] if obj is None else super().get_inline_instances(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            return  # already created by user_create in UserCreateForm
        new_tier = obj.tier
        obj.tier = form.initial.get("tier", new_tier)
        super().save_model(request, obj, form, change)
        if new_tier != obj.tier:
            user_set_tier(user=obj, tier=new_tier)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        memberships = formset.save(commit=False)
        for membership in formset.deleted_objects:
            membership.delete()
        for membership in memberships:
            if membership.pk:
                previous = Membership.objects.filter(pk=membership.pk).values_list("tenant_id", flat=True).first()
                if previous != membership.tenant_id:
                    Membership.objects.filter(pk=membership.pk).delete()
            membership_set(user=membership.user, tenant=membership.tenant, role=membership.role)
        return None

    @display(description="Tier", ordering="tier", label=TIER_BADGES)
    def tier_badge(self, obj):
        return obj.tier, obj.get_tier_display()

    @display(description="MFA", boolean=True)
    def mfa_enrolled(self, obj):
        return getattr(obj, "has_mfa", False)

    def get_queryset(self, request):
        confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(has_mfa=Exists(confirmed))


@admin.register(Membership)
class MembershipAdmin(MembershipViewAsAdminMixin, TierPermissionsMixin, ModelAdmin):
    list_display = ("user", "tenant", "role_badge", "created_at", "view_as_link")
    actions_detail = ("view_as",)  # "View as" (apps.governance.admin_buttons)
    list_filter = ("role",)
    search_fields = ("user__email", "tenant__name", "tenant__slug")
    list_select_related = ("user", "tenant")
    autocomplete_fields = ("user", "tenant")
    fields = ("user", "tenant", "role", "created_at")
    readonly_fields = ("created_at",)

    @display(description="Role", ordering="role", label={"owner": "danger", "admin": "warning", "member": "info"})
    def role_badge(self, obj):
        return obj.role, obj.get_role_display()

    def get_readonly_fields(self, request, obj=None):
        # Moving a membership to another user or tenant is a delete and a new one.
        return ("created_at",) if obj is None else ("user", "tenant", "created_at")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "tenant":
            from apps.tenancy.models import Tenant

            kwargs["queryset"] = Tenant.objects.exclude(schema_name="public")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        saved = membership_set(user=obj.user, tenant=obj.tenant, role=obj.role)
        obj.pk = saved.pk
        obj.created_at = saved.created_at


class ApiKeyStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(TierPermissionsMixin, ModelAdmin):
    # Keys are issued to partners (the raw key is shown to them once); here they are only
    # listed and revoked. The digest never appears: not in the list, the form or the search.
    add_tier = None
    change_tier = None
    delete_tier = None

    list_display = ("prefix_display", "name", "user", "state_badge", "created_at", "last_used_at", "revoked_at")
    list_filter = (ApiKeyStateFilter,)
    search_fields = ("prefix", "name", "user__email")
    list_select_related = ("user",)
    fields = ("prefix_display", "name", "user", "state_badge", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke_selected",)
    actions_detail = ("revoke_detail",)

    @display(description="Key")
    def prefix_display(self, obj):
        return f"{API_KEY_PREFIX}{obj.prefix}_…"

    @display(description="State", label={"active": "success", "revoked": "danger"})
    def state_badge(self, obj):
        return ("active", "Active") if obj.is_active else ("revoked", "Revoked")

    def has_revoke_permission(self, request, obj=None) -> bool:
        if not self._allows(request, Tier.PLATFORM_ADMIN):
            return False
        if obj is None:
            return True
        key = obj if isinstance(obj, ApiKey) else ApiKey.objects.filter(pk=obj).first()
        return key is not None and key.is_active

    def _revoke(self, request, keys: list[ApiKey]) -> None:
        revoked = 0
        for key in keys:
            if key.is_active:
                api_key_revoke(key=key)
                self.log_change(request, key, "Revoked.")
                revoked += 1
        if revoked:
            noun = "API key" if revoked == 1 else "API keys"
            self.message_user(request, f"{revoked} {noun} revoked.", messages.SUCCESS)
        else:
            self.message_user(request, "No active key was selected.", messages.WARNING)

    def _confirm(self, request, keys, hidden, cancel_url):
        count = len(keys)
        return render_confirmation(
            request,
            self,
            title="Revoke API key?" if count == 1 else f"Revoke {count} API keys?",
            question="Requests signed with these keys are refused from now on. This cannot be undone.",
            objects=[f"{API_KEY_PREFIX}{k.prefix}_… “{k.name}” of {k.user}" for k in keys],
            form=forms.Form(),
            hidden=hidden,
            submit_label="Yes, revoke",
            cancel_url=cancel_url,
            variant="danger",
        )

    @admin.action(description="Revoke selected API keys…", permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        keys = list(queryset.select_related("user"))
        if request.POST.get("confirm") == "yes":
            self._revoke(request, keys)
            return None
        hidden = [
            ("action", request.POST.get("action", "")),
            ("select_across", request.POST.get("select_across", "0")),
            *[(helpers.ACTION_CHECKBOX_NAME, pk) for pk in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)],
        ]
        return self._confirm(request, keys, hidden, reverse("admin:accounts_apikey_changelist"))

    @action(
        description="Revoke", url_path="revoke", permissions=["revoke"], icon="key_off", variant=ActionVariant.DANGER
    )
    def revoke_detail(self, request, object_id):
        key = self.get_object(request, object_id)
        if key is None:
            raise Http404("No such API key.")
        change_url = reverse("admin:accounts_apikey_change", args=(key.pk,))
        if request.method == "POST":
            self._revoke(request, [key])
            return HttpResponseRedirect(change_url)
        return self._confirm(request, [key], [], change_url)
