"""Vault fixtures: deterministic key rings (keys derived from their ids, test-only)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from tests.admin.conftest import PLATFORM_HOST, staff_client  # noqa: F401  (the admin's signed-in clients)


def fixed_key(key_id: str) -> bytes:
    return hashlib.sha256(f"vault-test-key:{key_id}".encode()).digest()


def ring_spec(*key_ids: str, primary: str | None = None) -> str:
    entries = [f"{key_id}:{base64.urlsafe_b64encode(fixed_key(key_id)).decode()}" for key_id in key_ids]
    if primary:
        entries.append(f"primary={primary}")
    return ",".join(entries)


@pytest.fixture
def use_ring(settings):
    """Switch VAULT_KEYS to a ring of the given key ids (first = primary)."""

    def switch(*key_ids: str, primary: str | None = None) -> str:
        settings.VAULT_KEYS = ring_spec(*key_ids, primary=primary)
        return settings.VAULT_KEYS

    return switch
