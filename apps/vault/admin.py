"""Platform secrets (public schema) in the admin: listed by provider and name with a masked value,
replaced but never shown. The value is not even loaded (the queryset defers it), so no page can
render it. Writes go through apps.vault.services, which audits them."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.widgets import UnfoldAdminPasswordWidget

from apps.accounts.models import Tier
from apps.core.admin_site import TierPermissionsMixin
from apps.vault.models import Secret
from apps.vault.services import secret_delete, secret_set


class SecretForm(forms.ModelForm):
    new_value = forms.CharField(
        label="Replace value",
        required=False,
        strip=False,
        widget=UnfoldAdminPasswordWidget(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the current value. The current value is never shown.",
    )

    class Meta:
        model = Secret
        fields = ("provider", "name")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["new_value"].required = True
            self.fields["new_value"].label = "Value"
            self.fields["new_value"].help_text = "Stored encrypted; it cannot be read back here."


@admin.register(Secret)
class SecretAdmin(TierPermissionsMixin, ModelAdmin):
    view_tier = Tier.PLATFORM_ADMIN
    add_tier = Tier.SUPER_ADMIN
    change_tier = Tier.SUPER_ADMIN
    delete_tier = Tier.SUPER_ADMIN

    form = SecretForm
    list_display = ("provider", "name", "masked_value", "updated_at")
    list_filter = ("provider",)
    search_fields = ("provider", "name")
    ordering = ("provider", "name")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("value")

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return ((None, {"fields": ("provider", "name", "new_value")}),)
        return ((None, {"fields": ("provider", "name", "masked_value", "new_value", "created_at", "updated_at")}),)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("provider", "name", "masked_value", "created_at", "updated_at")

    @display(description="Value")
    def masked_value(self, obj):
        return f"•••• set {obj.updated_at:%Y-%m-%d}" if obj.updated_at else "—"

    def save_model(self, request, obj, form, change):
        value = form.cleaned_data.get("new_value")
        if change:
            if value:  # empty keeps the current value
                secret_set(provider=obj.provider, name=obj.name, value=value, actor=request.user)
            return
        secret = secret_set(provider=obj.provider, name=obj.name, value=value, actor=request.user)
        # The admin logs and redirects with the saved row.
        obj.pk, obj.created_at, obj.updated_at = secret.pk, secret.created_at, secret.updated_at
        obj._state.adding = False

    def delete_model(self, request, obj):
        secret_delete(provider=obj.provider, name=obj.name, actor=request.user)

    def delete_queryset(self, request, queryset):
        for secret in queryset:
            secret_delete(provider=secret.provider, name=secret.name, actor=request.user)
