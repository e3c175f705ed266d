"""Input of the public sign-up form. Rules live in services.onboarding_start; this only parses."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from apps.onboarding import services

CSV_TYPES = {"text/csv", "application/vnd.ms-excel", "text/plain", "application/csv", "application/octet-stream"}


class SignupForm(forms.Form):
    business_name = forms.CharField(
        label=_("Business name"),
        max_length=services.BUSINESS_NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "organization", "autofocus": True}),
        error_messages={"required": _("Tell us the name of your business.")},
    )
    industry = forms.ChoiceField(
        label=_("Industry"),
        help_text=_("We start your site from a template for this industry; you can change everything later."),
        error_messages={"required": _("Choose the industry closest to yours.")},
    )
    email = forms.EmailField(
        label=_("Work email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("Your account is created with this address; we send the link to set your password there."),
        error_messages={"required": _("We need an email address to create your account.")},
    )
    plan = forms.ChoiceField(label=_("Plan"), widget=forms.RadioSelect)
    slug = forms.CharField(
        label=_("Site address (optional)"),
        required=False,
        max_length=40,
        help_text=_("Lowercase letters, digits and hyphens. Leave empty and we suggest one from your business name."),
    )
    contacts_csv = forms.FileField(
        label=_("Contacts to import (optional CSV)"),
        required=False,
        help_text=_("A CSV file of your customers, imported into your CRM once your site is ready. At most 1 MB."),
    )

    def __init__(self, *args, crm_import: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["industry"].choices = [("", _("Choose…")), *services.industry_choices()]
        currency = settings.STRIPE_CURRENCY.upper()
        self.fields["plan"].choices = [
            (code, f"{name} — {price:.0f} {currency} per month") for code, name, price in services.plan_choices()
        ]
        self.fields["plan"].initial = services.SIGNUP_PLANS[0]
        if not crm_import:
            del self.fields["contacts_csv"]

    def clean_contacts_csv(self) -> str:
        upload = self.cleaned_data.get("contacts_csv")
        if not upload:
            return ""
        if upload.size > services.CRM_CSV_MAX_BYTES:
            raise forms.ValidationError(_("The contacts file is larger than 1 MB."))
        if not upload.name.lower().endswith(".csv") and upload.content_type not in CSV_TYPES:
            raise forms.ValidationError(_("Upload a .csv file."))
        raw = upload.read()
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("Save the file as UTF-8 CSV and upload it again.")) from None
