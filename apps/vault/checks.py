"""System checks: a malformed key ring stops startup; a missing one is flagged by `check --deploy`
(development without keys still starts, and fails clearly at the first encryption)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register

from apps.vault import crypto


@register("vault")
def key_ring_valid(app_configs=None, **kwargs):
    if not getattr(settings, "VAULT_KEYS", ""):
        return []
    try:
        crypto.KeyRing.parse(settings.VAULT_KEYS)
    except crypto.KeyRingError as exc:
        return [Error(str(exc), hint=crypto.HOW_TO_CONFIGURE, id="vault.E001")]
    return []


@register("vault", deploy=True)
def key_ring_present(app_configs=None, **kwargs):
    if getattr(settings, "VAULT_KEYS", ""):
        return []
    return [
        Warning(
            "VAULT_KEYS is not set: secrets cannot be stored or read.", hint=crypto.HOW_TO_CONFIGURE, id="vault.W001"
        )
    ]
