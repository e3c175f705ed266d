"""Secrets: platform credentials in the public schema, a tenant's credentials in its own schema
(apps.vault is in SHARED_APPS and TENANT_APPS). The value is an EncryptedTextField; connectors
read it through `apps.vault.services.secret_get`."""

from __future__ import annotations

from django.db import models

from apps.vault.fields import EncryptedTextField


class Secret(models.Model):
    provider = models.CharField(max_length=60, help_text="Who issued it, e.g. plaid, telegram, openai.")
    name = models.CharField(max_length=120, help_text="What it is, e.g. api_key, access_token:item-42.")
    value = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider", "name"]
        constraints = [models.UniqueConstraint(fields=["provider", "name"], name="vault_secret_provider_name")]

    def __str__(self) -> str:
        return f"{self.provider}/{self.name}"
