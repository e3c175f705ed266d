"""Public-schema alerting: who wants which alerts where (AlertPreference), what happened (Alert),
and every attempt to tell someone about it (Delivery).

A Delivery is never deleted by the sending path: it ends `sent`, or stays `retrying` with its
next attempt scheduled, or ends `failed` with the last error — visible on the user's alert
settings page and in the admin, and retryable by hand from both.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.vault.fields import EncryptedTextField


class Channel(models.TextChoices):
    TELEGRAM = "telegram", "Telegram"
    DISCORD = "discord", "Discord"
    EMAIL = "email", "Email"


class Frequency(models.TextChoices):
    INSTANT = "instant", "Instantly"
    HOURLY = "hourly", "Hourly digest"
    DAILY = "daily", "Daily digest"


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class EventType(models.TextChoices):
    SITE_DOWN = "site_down", "Site down"
    SITE_RECOVERED = "site_recovered", "Site recovered"
    SITE_HEALED = "site_healed", "Site repaired automatically"
    SITE_HEAL_FAILED = "site_heal_failed", "Automatic repair failed"
    TLS_EXPIRING = "tls_expiring", "Certificate expiring"
    # Sent by the "send test alert" button; always delivered, whatever the subscriptions say.
    TEST = "test", "Test alert"


SUBSCRIBABLE_EVENTS = [e for e in EventType.values if e != EventType.TEST]


def _all_events() -> list[str]:
    return list(SUBSCRIBABLE_EVENTS)


class AlertPreference(models.Model):
    """One per user: channels, destinations (encrypted), frequency and subscribed events. A user
    without a row gets the defaults (email, instantly, every event)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_preference")
    email_enabled = models.BooleanField(default=True)
    telegram_enabled = models.BooleanField(default=False)
    # A chat id is not a credential, but it identifies a person's private chat: stored encrypted.
    telegram_chat_id = EncryptedTextField(null=True, blank=True)
    discord_enabled = models.BooleanField(default=False)
    # Anyone holding a webhook URL can post to that channel: a secret.
    discord_webhook_url = EncryptedTextField(null=True, blank=True)
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.INSTANT)
    event_types = models.JSONField(default=_all_events, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Alert preferences of {self.user}"

    def channels(self) -> list[str]:
        enabled = {
            Channel.TELEGRAM: self.telegram_enabled,
            Channel.DISCORD: self.discord_enabled,
            Channel.EMAIL: self.email_enabled,
        }
        return [c for c in Channel.values if enabled[c]]

    def wants(self, event_type: str) -> bool:
        return event_type == EventType.TEST or event_type in (self.event_types or [])


class Alert(models.Model):
    event_type = models.CharField(max_length=32, choices=EventType.choices, db_index=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.INFO)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, null=True, blank=True, related_name="alerts")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Delivery(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        RETRYING = "retrying", "Retrying"
        FAILED = "failed", "Failed"

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # "" = sent on its own as soon as possible; hourly/daily = waits for that digest.
    digest = models.CharField(max_length=8, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_status_next"),
            models.Index(fields=["user", "-created_at"], name="delivery_user_created"),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.user} ({self.status})"
