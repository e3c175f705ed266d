"""`vault rotate` and `vault check` over every schema: nothing lost, resumable, audited."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context, tenant_context

from apps.audit.models import AuditEvent
from apps.vault import crypto
from apps.vault.models import Secret
from apps.vault.services import check_all, encrypted_columns, rotate_all, secret_get, secret_set, vault_schemas


def _fill(tenant, count: int) -> dict[str, str]:
    """`count` secrets in the tenant's schema (one bulk insert); returns name → plaintext."""
    values = {f"token-{i:05d}": f"{tenant.slug}-secret-{i}" for i in range(count)}
    with tenant_context(tenant):
        Secret.objects.bulk_create(
            [Secret(provider="plaid", name=name, value=value) for name, value in values.items()], batch_size=2000
        )
    return values


def _read_all(tenant) -> dict[str, str]:
    with tenant_context(tenant):
        return {s.name: s.value.reveal() for s in Secret.objects.all()}


def _key_ids(schema: str) -> Counter:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT value FROM "{schema}".vault_secret')
        return Counter(crypto.token_key_id(token) for (token,) in cursor.fetchall())


@pytest.fixture
def three_tenants(acme, globex, initech):
    return [acme, globex, initech]


def test_vault_schemas__fleet__public_template_and_every_tenant(three_tenants):
    schemas = vault_schemas()

    assert schemas[:2] == ["public", "_tenant_template"]
    assert set(schemas[2:]) == {"t_acme", "t_globex", "t_initech"}
    assert {c.schema for c in encrypted_columns()} == set(schemas)


def test_rotate__10000_values_across_three_tenants__all_on_new_primary_none_lost(three_tenants, use_ring):
    use_ring("old")
    expected = {t.slug: _fill(t, n) for t, n in zip(three_tenants, (3334, 3333, 3333), strict=True)}
    secret_set(provider="openai", name="api_key", value="platform-secret")
    use_ring("new", "old")

    report = rotate_all()

    assert report.total == report.scanned == 10_001
    assert report.rotated == 10_001
    assert report.failed == 0
    use_ring("new")  # the old key is gone: only values rotated to the new one can be read
    for tenant in three_tenants:
        assert _read_all(tenant) == expected[tenant.slug]
        assert _key_ids(tenant.schema_name) == Counter({"new": len(expected[tenant.slug])})
    assert secret_get(provider="openai", name="api_key") == "platform-secret"
    checked = check_all()
    assert checked.per_key == Counter({"new": 10_001})
    assert checked.failed == 0


def test_vault_check_command__after_rotation__reports_every_value_on_the_new_key(three_tenants, use_ring):
    use_ring("old")
    for tenant in three_tenants:
        _fill(tenant, 40)
    use_ring("new", "old")
    call_command("vault", "rotate", stdout=io.StringIO())
    out = io.StringIO()

    call_command("vault", "check", stdout=out)

    lines = out.getvalue().splitlines()
    assert "new (primary)                     120" in lines
    assert "old                               0" in lines
    assert "undecryptable                     0" in lines
    assert "All 120 values decrypt." in out.getvalue()


def test_rotate__interrupted_partway_then_run_again__everything_rotated_nothing_lost(three_tenants, use_ring):
    use_ring("old")
    expected = {t.slug: _fill(t, 300) for t in three_tenants}
    use_ring("new", "old")
    batches = []

    def stop_after_four_batches(done, total, where):
        batches.append(done)
        if len(batches) == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate_all(progress=stop_after_four_batches, batch_size=100)

    halfway = check_all().per_key
    assert halfway == Counter({"new": 400, "old": 500})
    interrupted = AuditEvent.objects.get(action="vault.rotate")
    assert interrupted.after["complete"] is False
    assert interrupted.after["rotated"] == 400

    report = rotate_all(batch_size=100)

    assert report.rotated == 500  # only what the first run had not done
    assert check_all().per_key == Counter({"new": 900})
    use_ring("new")
    for tenant in three_tenants:
        assert _read_all(tenant) == expected[tenant.slug]
    assert [e.after["complete"] for e in AuditEvent.objects.filter(action="vault.rotate").order_by("id")] == [
        False,
        True,
    ]


def test_rotate__run_twice__second_run_rewrites_nothing(acme, use_ring):
    use_ring("old")
    _fill(acme, 50)
    use_ring("new", "old")
    rotate_all()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, value FROM t_acme.vault_secret ORDER BY id")
        before = cursor.fetchall()

    again = rotate_all()

    with connection.cursor() as cursor:
        cursor.execute("SELECT id, value FROM t_acme.vault_secret ORDER BY id")
        assert cursor.fetchall() == before
    assert again.rotated == 0
    assert again.scanned == 50


def test_rotate__one_row_undecryptable__left_untouched_reported_others_rotated(acme, globex, use_ring):
    use_ring("old")
    _fill(acme, 10)
    _fill(globex, 10)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM t_globex.vault_secret ORDER BY id LIMIT 1")
        bad_id = cursor.fetchone()[0]
        # A globex row holding an acme ciphertext: it must not be "repaired" into a readable value.
        cursor.execute(
            "UPDATE t_globex.vault_secret SET value = (SELECT value FROM t_acme.vault_secret ORDER BY id LIMIT 1) "
            "WHERE id = %s RETURNING value",
            [bad_id],
        )
        bad_token = cursor.fetchone()[0]
    use_ring("new", "old")
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 values cannot be decrypted"):
        call_command("vault", "rotate", stdout=io.StringIO(), stderr=err)

    assert f"t_globex.vault_secret id={bad_id} (value)" in err.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM t_globex.vault_secret WHERE id = %s", [bad_id])
        assert cursor.fetchone()[0] == bad_token
    assert _key_ids("t_acme") == Counter({"new": 10})
    assert _key_ids("t_globex") == Counter({"new": 9, "old": 1})


def test_vault_check_command__undecryptable_row__fails_naming_schema_table_and_id(acme, use_ring):
    use_ring("k1")
    _fill(acme, 3)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE t_acme.vault_secret SET value = 'not a token' WHERE name = 'token-00001' RETURNING id")
        bad_id = cursor.fetchone()[0]
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="1 values cannot be decrypted"):
        call_command("vault", "check", stdout=out, stderr=err)

    assert "k1 (primary)                      2" in out.getvalue().splitlines()
    assert "undecryptable                     1" in out.getvalue().splitlines()
    assert f"t_acme.vault_secret id={bad_id} (value): Not a vault token" in err.getvalue()


def test_vault_check__key_missing_from_ring__counted_as_undecryptable(acme, use_ring):
    use_ring("old")
    _fill(acme, 5)
    use_ring("new")

    report = check_all()

    assert report.failed == 5
    assert "'old' is not in VAULT_KEYS" in report.failures[0].reason


def test_vault_rotate_command__progress_bar_and_audit_record(three_tenants, use_ring):
    use_ring("old")
    for tenant in three_tenants:
        _fill(tenant, 30)
    use_ring("new", "old")
    out = io.StringIO()

    call_command("vault", "rotate", "--batch-size", "10", stdout=out)

    text = out.getvalue()
    assert "\rrotate [" in text  # redrawn in place
    assert "100% 90/90" in text
    assert "re-encrypted 90" in text
    event = AuditEvent.objects.get(action="vault.rotate")
    assert event.after == {"primary": "new", "scanned": 90, "rotated": 90, "failed": 0, "complete": True}
    assert event.actor is None


def test_rotate__template_schema_values__rotated_too(platform, use_ring):
    use_ring("old")
    with schema_context("_tenant_template"):
        Secret.objects.create(provider="p", name="n", value="template-value")
    use_ring("new", "old")

    rotate_all()

    assert _key_ids("_tenant_template") == Counter({"new": 1})


def test_vault_command__no_key_ring__command_error_says_how_to_configure(platform, settings):
    settings.VAULT_KEYS = ""

    with pytest.raises(CommandError, match="VAULT_KEYS is empty"):
        call_command("vault", "rotate", stdout=io.StringIO())


def test_vault_genkey_command__prints_an_entry_that_parses():
    out = io.StringIO()

    call_command("vault", "genkey", "--id", "k2027", stdout=out, stderr=io.StringIO())

    ring = crypto.KeyRing.parse(out.getvalue().strip())
    assert ring.primary_id == "k2027"
    assert len(ring.keys["k2027"]) == 32
