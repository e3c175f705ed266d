"""Platform secrets in the admin: masked, replace-only, never rendered, writes audited."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from apps.accounts.models import Tier
from apps.audit.models import AuditEvent
from apps.vault.models import Secret
from apps.vault.services import secret_get, secret_set

CHANGELIST = "/admin/vault/secret/"
ADD = "/admin/vault/secret/add/"
PLAINTEXT = "sk-live-do-not-show-4242"


def _token(secret_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM public.vault_secret WHERE id = %s", [secret_id])
        return cursor.fetchone()[0]


def test_secret_pages__super_admin__masked_value_never_plaintext_or_ciphertext(staff_client):
    client, _ = staff_client(Tier.SUPER_ADMIN)
    secret = secret_set(provider="openai", name="api_key", value=PLAINTEXT)
    token = _token(secret.pk)

    listing = client.get(CHANGELIST)
    detail = client.get(f"{CHANGELIST}{secret.pk}/change/")

    assert listing.status_code == detail.status_code == 200
    for response in (listing, detail):
        html = response.content.decode()
        assert PLAINTEXT not in html
        assert token not in html
        assert token[9:30] not in html
        assert f"•••• set {timezone.now():%Y-%m-%d}" in html
    assert 'type="password"' in detail.content.decode()


def test_secret_add__super_admin__stored_encrypted_and_audited(staff_client):
    client, user = staff_client(Tier.SUPER_ADMIN)

    response = client.post(ADD, {"provider": "telegram", "name": "bot_token", "new_value": PLAINTEXT})

    secret = Secret.objects.get(provider="telegram", name="bot_token")
    assert response.status_code == 302
    assert secret_get(provider="telegram", name="bot_token") == PLAINTEXT
    assert PLAINTEXT not in _token(secret.pk)
    event = AuditEvent.objects.get(action="vault.secret_create")
    assert event.actor == user
    assert PLAINTEXT not in repr(vars(event))


def test_secret_add__empty_value__refused(staff_client):
    client, _ = staff_client(Tier.SUPER_ADMIN)

    response = client.post(ADD, {"provider": "telegram", "name": "bot_token", "new_value": ""})

    assert response.status_code == 200
    assert not Secret.objects.exists()


def test_secret_add__name_already_used__refused_not_overwritten(staff_client):
    client, _ = staff_client(Tier.SUPER_ADMIN)
    secret_set(provider="openai", name="api_key", value=PLAINTEXT)

    response = client.post(ADD, {"provider": "openai", "name": "api_key", "new_value": "replacement"})

    assert response.status_code == 200
    assert secret_get(provider="openai", name="api_key") == PLAINTEXT


def test_secret_change__replacement_left_empty__value_kept(staff_client):
    client, _ = staff_client(Tier.SUPER_ADMIN)
    secret = secret_set(provider="openai", name="api_key", value=PLAINTEXT)
    token = _token(secret.pk)

    response = client.post(f"{CHANGELIST}{secret.pk}/change/", {"new_value": ""})

    assert response.status_code == 302
    assert _token(secret.pk) == token
    assert secret_get(provider="openai", name="api_key") == PLAINTEXT


def test_secret_change__replacement_given__value_replaced_and_audited(staff_client):
    client, _ = staff_client(Tier.SUPER_ADMIN)
    secret = secret_set(provider="openai", name="api_key", value=PLAINTEXT)

    response = client.post(f"{CHANGELIST}{secret.pk}/change/", {"new_value": "sk-live-rotated"})

    assert response.status_code == 302
    assert secret_get(provider="openai", name="api_key") == "sk-live-rotated"
    assert AuditEvent.objects.filter(action="vault.secret_replace", target_id=str(secret.pk)).exists()


def test_secret_delete__super_admin__deleted_and_audited(staff_client):
    client, _ = staff_client(Tier.SUPER_ADMIN)
    secret = secret_set(provider="openai", name="api_key", value=PLAINTEXT)

    response = client.post(f"{CHANGELIST}{secret.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Secret.objects.exists()
    assert AuditEvent.objects.filter(action="vault.secret_delete").exists()


def test_secret_pages__platform_admin__may_list_but_not_add_or_replace(staff_client):
    client, _ = staff_client(Tier.PLATFORM_ADMIN)
    secret = secret_set(provider="openai", name="api_key", value=PLAINTEXT)

    assert client.get(CHANGELIST).status_code == 200
    assert client.get(ADD).status_code == 403
    client.post(f"{CHANGELIST}{secret.pk}/change/", {"new_value": "hijacked"})
    assert secret_get(provider="openai", name="api_key") == PLAINTEXT


@pytest.mark.parametrize("tier", [Tier.NONE, Tier.PARTNER, Tier.SUPPORT])
def test_secret_pages__below_platform_admin__refused(staff_client, tier):
    client, _ = staff_client(tier)
    secret_set(provider="openai", name="api_key", value=PLAINTEXT)

    assert client.get(CHANGELIST, follow=True).status_code == 403
