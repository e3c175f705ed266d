from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.alerts.models import SUBSCRIBABLE_EVENTS, EventType, Frequency


class AlertPreferenceForm(forms.Form):
    """Input of alert_preference_update (the service validates destinations)."""

    email_enabled = forms.BooleanField(label=_("Email"), required=False)
    telegram_enabled = forms.BooleanField(label=_("Telegram"), required=False)
    telegram_chat_id = forms.CharField(
        label=_("Telegram chat id"),
        required=False,
        max_length=40,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "inputmode": "text"}),
        help_text=_("Start a chat with the BizOSaaS bot, then paste your chat id. Leave blank to keep the saved one."),
    )
    clear_telegram = forms.BooleanField(label=_("Remove the saved chat id"), required=False)
    discord_enabled = forms.BooleanField(label=_("Discord"), required=False)
    discord_webhook_url = forms.CharField(
        label=_("Discord webhook URL"),
        required=False,
        max_length=300,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Channel settings → Integrations → Webhooks → Copy Webhook URL. Leave blank to keep the saved one."
        ),
    )
    clear_discord = forms.BooleanField(label=_("Remove the saved webhook"), required=False)
    frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices, widget=forms.RadioSelect)
    event_types = forms.MultipleChoiceField(
        label=_("Alert me about"),
        required=False,
        choices=[(e, EventType(e).label) for e in SUBSCRIBABLE_EVENTS],
        widget=forms.CheckboxSelectMultiple,
    )

    @classmethod
    def for_preference(cls, pref) -> AlertPreferenceForm:
        return cls(
            initial={
                "email_enabled": pref.email_enabled,
                "telegram_enabled": pref.telegram_enabled,
                "discord_enabled": pref.discord_enabled,
                "frequency": pref.frequency,
                "event_types": list(pref.event_types or []),
            }
        )
