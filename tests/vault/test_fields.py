"""EncryptedTextField and the Secret model against the real database, in public and tenant schemas."""

from __future__ import annotations

import copy
import logging
import pickle
import re

import pytest
from django.core.exceptions import FieldError
from django.db import connection, models
from django.test.utils import isolate_apps
from django_tenants.utils import schema_context, tenant_context

from apps.audit.models import AuditEvent
from apps.vault import crypto
from apps.vault.fields import EncryptedTextField, SecretStr
from apps.vault.models import Secret
from apps.vault.services import secret_delete, secret_get, secret_set

PLAINTEXT = "sk-live-0123456789abcdef"


def _stored(schema: str, secret_id: int, column: str = "value") -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{schema}".vault_secret WHERE id = %s', [secret_id])
        return cursor.fetchone()[0]


def _copy_value(src_schema: str, src_id: int, dst_schema: str, dst_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{dst_schema}".vault_secret SET value = (SELECT value FROM "{src_schema}".vault_secret WHERE id = %s) '
            "WHERE id = %s",
            [src_id, dst_id],
        )


def test_secret__saved_and_read_back__same_plaintext_and_only_a_token_in_the_table(platform):
    secret = secret_set(provider="openai", name="api_key", value=PLAINTEXT)

    stored = _stored("public", secret.pk)
    assert stored.startswith("vault:v1:")
    assert PLAINTEXT not in stored
    assert secret_get(provider="openai", name="api_key") == PLAINTEXT
    assert Secret.objects.get(pk=secret.pk).value.reveal() == PLAINTEXT


def test_secret__same_name_in_two_tenants__each_reads_its_own(acme, globex):
    with tenant_context(acme):
        secret_set(provider="plaid", name="access_token", value="acme-token")
    with tenant_context(globex):
        secret_set(provider="plaid", name="access_token", value="globex-token")

    with tenant_context(acme):
        assert secret_get(provider="plaid", name="access_token") == "acme-token"
    with tenant_context(globex):
        assert secret_get(provider="plaid", name="access_token") == "globex-token"
    assert secret_get(provider="plaid", name="access_token") is None  # public has none


def test_secret__ciphertext_copied_to_another_tenant_row__refused_on_read(acme, globex):
    with tenant_context(acme):
        source = secret_set(provider="plaid", name="access_token", value="acme-token")
    with tenant_context(globex):
        target = secret_set(provider="plaid", name="access_token", value="globex-token")

    _copy_value(acme.schema_name, source.pk, globex.schema_name, target.pk)

    with tenant_context(globex), pytest.raises(crypto.DecryptionError, match="t_globex"):
        Secret.objects.get(pk=target.pk)
    with tenant_context(acme):
        assert secret_get(provider="plaid", name="access_token") == "acme-token"


def test_secret__tenant_ciphertext_copied_into_public__refused_on_read(acme, platform):
    with tenant_context(acme):
        source = secret_set(provider="plaid", name="access_token", value="acme-token")
    target = secret_set(provider="plaid", name="access_token", value="platform-token")

    _copy_value(acme.schema_name, source.pk, "public", target.pk)

    with pytest.raises(crypto.DecryptionError):
        secret_get(provider="plaid", name="access_token")


@isolate_apps("apps.vault")
def test_encrypted_field__ciphertext_copied_to_another_column__refused_on_read(acme):
    class Credential(models.Model):
        client_id = EncryptedTextField()
        client_secret = EncryptedTextField()

        class Meta:
            app_label = "vault"
            db_table = "vault_test_credential"

        def __str__(self) -> str:
            return f"credential {self.pk}"

    with tenant_context(acme):
        with connection.schema_editor() as editor:
            editor.create_model(Credential)
        row = Credential.objects.create(client_id="id-123", client_secret="secret-456")
        assert Credential.objects.get(pk=row.pk).client_secret.reveal() == "secret-456"
        with connection.cursor() as cursor:
            cursor.execute("UPDATE vault_test_credential SET client_secret = client_id WHERE id = %s", [row.pk])

        with pytest.raises(crypto.DecryptionError, match="client_secret"):
            Credential.objects.get(pk=row.pk)


def test_secret__one_character_of_stored_token_changed__refused_on_read(platform):
    secret = secret_set(provider="telegram", name="bot_token", value=PLAINTEXT)
    stored = _stored("public", secret.pk)
    tampered = stored[:-5] + ("A" if stored[-5] != "A" else "B") + stored[-4:]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE public.vault_secret SET value = %s WHERE id = %s", [tampered, secret.pk])

    with pytest.raises(crypto.DecryptionError, match=re.escape("vault_secret.value in schema 'public'")):
        secret_get(provider="telegram", name="bot_token")


def test_secret__same_value_saved_twice__different_ciphertexts(platform):
    first = secret_set(provider="a", name="one", value=PLAINTEXT)
    second = secret_set(provider="a", name="two", value=PLAINTEXT)

    assert _stored("public", first.pk) != _stored("public", second.pk)


def test_secret__filtered_by_value__refused_because_ciphertexts_never_match(platform):
    with pytest.raises(FieldError):
        list(Secret.objects.filter(value=PLAINTEXT))

    assert not Secret.objects.filter(value__isnull=True).exists()


def test_secret_set__no_key_ring__fails_clearly_and_stores_nothing(platform, settings):
    settings.VAULT_KEYS = ""

    with pytest.raises(crypto.KeyRingError, match="VAULT_KEYS"):
        secret_set(provider="openai", name="api_key", value=PLAINTEXT)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM public.vault_secret")
        assert cursor.fetchone()[0] == 0


def test_secret__repr_str_format_and_instance_dict__never_show_the_value(platform):
    secret_set(provider="openai", name="api_key", value=PLAINTEXT)
    secret = Secret.objects.get(provider="openai", name="api_key")

    shown = [
        repr(secret),
        str(secret),
        repr(secret.value),
        str(secret.value),
        f"{secret.value}",
        f"{secret.value} {secret.value!r}",
        repr(vars(secret)),
        repr(Secret.objects.values_list("value", flat=True)),
        repr(copy.deepcopy(secret).value),
    ]

    for text in shown:
        assert PLAINTEXT not in text
    assert secret.value.reveal() == PLAINTEXT


def test_secret__assigned_a_plain_string__held_as_a_masked_secret():
    secret = Secret(provider="openai", name="api_key", value=PLAINTEXT)

    assert isinstance(secret.value, SecretStr)
    assert PLAINTEXT not in repr(vars(secret))


def test_secret_value__pickled__refused_rather_than_leaked(platform):
    secret_set(provider="openai", name="api_key", value=PLAINTEXT)
    secret = Secret.objects.get()

    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(secret)


def test_secret__set_and_read_with_sql_logging_on__value_never_logged(platform, caplog):
    connection.force_debug_cursor = True
    try:
        with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="django.db.backends"):
            secret_set(provider="openai", name="api_key", value=PLAINTEXT)
            secret_set(provider="openai", name="api_key", value=PLAINTEXT + "-2")
            assert secret_get(provider="openai", name="api_key") == PLAINTEXT + "-2"
            secret_delete(provider="openai", name="api_key")
    finally:
        connection.force_debug_cursor = False

    assert "vault_secret" in caplog.text  # the SQL was logged…
    assert PLAINTEXT not in caplog.text  # …with ciphertexts only


def test_secret_set__in_a_tenant__audited_without_the_value(acme, user_factory):
    actor = user_factory(email="ops@bizosaas.test", tier=3)

    with tenant_context(acme):
        secret = secret_set(provider="plaid", name="access_token", value=PLAINTEXT, actor=actor)
        secret_set(provider="plaid", name="access_token", value=PLAINTEXT + "-new", actor=actor)
        secret_delete(provider="plaid", name="access_token", actor=actor)

    events = list(AuditEvent.objects.filter(target_type="vault.secret").order_by("id"))
    assert [e.action for e in events] == ["vault.secret_create", "vault.secret_replace", "vault.secret_delete"]
    assert all(e.tenant_slug == "acme" and e.actor_email == "ops@bizosaas.test" for e in events)
    assert events[0].target_repr == "plaid/access_token"
    assert events[0].target_id == str(secret.pk)
    for event in events:
        assert PLAINTEXT not in repr(vars(event))
    with tenant_context(acme):
        assert not Secret.objects.exists()


def test_secret_set__existing_name__replaces_value_keeps_row(platform):
    first = secret_set(provider="openai", name="api_key", value="one")

    second = secret_set(provider="openai", name="api_key", value="two")

    assert first.pk == second.pk
    assert Secret.objects.count() == 1
    assert secret_get(provider="openai", name="api_key") == "two"


@pytest.mark.parametrize(("provider", "name", "value"), [("", "n", "v"), ("p", " ", "v"), ("p", "n", "")])
def test_secret_set__missing_provider_name_or_value__refused(platform, provider, name, value):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        secret_set(provider=provider, name=name, value=value)

    assert not Secret.objects.exists()


def test_secret_table__in_the_template_schema__exists_and_holds_nothing(platform):
    with schema_context("_tenant_template"):
        assert Secret.objects.count() == 0


def test_secret__serialized_by_a_careless_api_serializer__only_the_mask_goes_out(platform):
    from rest_framework import serializers

    class EverythingSerializer(serializers.ModelSerializer):
        class Meta:
            model = Secret
            fields = "__all__"

    secret_set(provider="openai", name="api_key", value=PLAINTEXT)

    data = EverythingSerializer(Secret.objects.get()).data

    assert data["value"] == "••••••"
    assert PLAINTEXT not in repr(data)
