"""Writes and reads of secrets, and the fleet-wide rotation and check of every encrypted value.

Secrets live in the schema that is current on the connection: public for platform secrets, the
tenant's schema for its credentials (set the tenant first, e.g. `with tenant_context(t):`).
Setting and deleting a secret is audited (never with its value); reading is not, because
connectors read their own tokens on every call and a human never sees the value anywhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from apps.audit.services import audit_record
from apps.vault import crypto
from apps.vault.fields import EncryptedTextField, SecretStr, reveal
from apps.vault.models import Secret

BATCH_SIZE = 500
# Enough to act on; the counts stay exact beyond it.
MAX_LISTED_FAILURES = 1000

Progress = Callable[[int, int, str], None]


def _current_schema() -> str:
    return getattr(connection, "schema_name", None) or "public"


def _current_tenant_slug() -> str:
    if _current_schema() == "public":
        return ""
    return getattr(getattr(connection, "tenant", None), "slug", "") or ""


# --------------------------------------------------------------------------- secrets


def secret_set(*, provider: str, name: str, value: str | SecretStr, actor=None, reason: str = "") -> Secret:
    """Create or replace the secret `provider`/`name` in the current schema."""
    provider, name = (provider or "").strip(), (name or "").strip()
    plaintext = reveal(value)
    errors = {}
    if not provider:
        errors["provider"] = "A provider is required."
    if not name:
        errors["name"] = "A name is required."
    if not plaintext:
        errors["value"] = "A secret cannot be empty."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        secret = Secret.objects.select_for_update().defer("value").filter(provider=provider, name=name).first()
        created = secret is None
        if created:
            secret = Secret.objects.create(provider=provider, name=name, value=plaintext)
        else:
            secret.value = plaintext
            secret.save(update_fields=["value", "updated_at"])
        audit_record(
            action="vault.secret_create" if created else "vault.secret_replace",
            actor=actor,
            target=secret,
            tenant_slug=_current_tenant_slug(),
            after={"schema": _current_schema(), "key_id": crypto.key_ring().primary_id},
            reason=reason,
        )
    return secret


def secret_get(*, provider: str, name: str) -> str | None:
    """The plaintext of a secret in the current schema, or None if it is not set."""
    secret = Secret.objects.filter(provider=provider, name=name).only("value").first()
    return None if secret is None else reveal(secret.value)


def secret_delete(*, provider: str, name: str, actor=None, reason: str = "") -> bool:
    with transaction.atomic():
        secret = Secret.objects.defer("value").filter(provider=provider, name=name).first()
        if secret is None:
            return False
        audit_record(
            action="vault.secret_delete",
            actor=actor,
            target=secret,
            tenant_slug=_current_tenant_slug(),
            after={"schema": _current_schema()},
            reason=reason,
        )
        secret.delete()
    return True


# --------------------------------------------------------------------------- fleet-wide rotation


@dataclass(frozen=True)
class EncryptedColumn:
    schema: str
    table: str
    column: str
    pk: str
    pk_type: str

    @property
    def where(self) -> str:
        return f"{self.schema}.{self.table}.{self.column}"

    @property
    def aad(self) -> bytes:
        return crypto.aad_for(self.schema, self.table, self.column)

    def qualified(self) -> tuple[str, str, str]:
        q = connection.ops.quote_name
        return f"{q(self.schema)}.{q(self.table)}", q(self.column), q(self.pk)


@dataclass
class Failure:
    schema: str
    table: str
    column: str
    row_id: str
    reason: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.table} id={self.row_id} ({self.column}): {self.reason}"


@dataclass
class VaultReport:
    total: int = 0
    scanned: int = 0
    rotated: int = 0
    per_key: Counter = field(default_factory=Counter)
    failed: int = 0
    failures: list[Failure] = field(default_factory=list)

    def fail(self, column: EncryptedColumn, row_id, reason: str) -> None:
        self.failed += 1
        if len(self.failures) < MAX_LISTED_FAILURES:
            self.failures.append(Failure(column.schema, column.table, column.column, str(row_id), reason))


def vault_schemas() -> list[str]:
    """public, the template new tenants are cloned from, then every tenant schema."""
    from apps.tenancy.models import Tenant

    tenants = Tenant.objects.exclude(schema_name="public").order_by("schema_name").values_list("schema_name", flat=True)
    schemas = ["public", settings.TENANT_TEMPLATE_SCHEMA, *tenants]
    return list(dict.fromkeys(schemas))


def encrypted_columns() -> list[EncryptedColumn]:
    """Every EncryptedTextField column of every installed model, in every schema that has its table."""
    fields_by_table: dict[str, list] = {}
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, EncryptedTextField):
                fields_by_table.setdefault(model._meta.db_table, []).append((model, f))
    if not fields_by_table:
        return []
    schemas = vault_schemas()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = ANY(%s) AND c.relname = ANY(%s)",
            [schemas, list(fields_by_table)],
        )
        present = set(cursor.fetchall())
    columns = []
    for schema in schemas:
        for table, model_fields in sorted(fields_by_table.items()):
            if (schema, table) not in present:
                continue
            for model, f in model_fields:
                pk = model._meta.pk
                columns.append(EncryptedColumn(schema, table, f.column, pk.column, pk.rel_db_type(connection)))
    return columns


def _count(column: EncryptedColumn) -> int:
    table, col, _ = column.qualified()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE {col} IS NOT NULL")
        return cursor.fetchone()[0]


def _walk(
    column: EncryptedColumn,
    batch_size: int,
    handle: Callable[[EncryptedColumn, list[tuple]], None],
    after_batch: Callable[[EncryptedColumn], None],
) -> None:
    """Feed rows (pk, token) in primary-key order to `handle`, one batch per transaction (read
    and rewritten atomically); `after_batch` runs once the batch is committed."""
    table, col, pk = column.qualified()
    last = None
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            after = "" if last is None else f"AND {pk} > %s "
            cursor.execute(
                f"SELECT {pk}, {col} FROM {table} WHERE {col} IS NOT NULL {after}ORDER BY {pk} LIMIT %s",
                [batch_size] if last is None else [last, batch_size],
            )
            rows = cursor.fetchall()
            if rows:
                handle(column, rows)
        if not rows:
            return
        after_batch(column)
        if len(rows) < batch_size:
            return
        last = rows[-1][0]


def _report(progress: Progress | None, report: VaultReport, column: EncryptedColumn) -> None:
    if progress is not None:
        progress(report.scanned, report.total, column.where)


def rotate_all(*, progress: Progress | None = None, batch_size: int = BATCH_SIZE, actor=None) -> VaultReport:
    """Re-encrypt every encrypted value in every schema with the primary key.

    Batches go by primary key, each in its own transaction; rows already on the primary key are
    skipped, so an interrupted run is resumed by running it again. A row is rewritten only if it
    still holds the token that was read (a value replaced meanwhile is left as its writer set
    it), and a row that cannot be decrypted is left untouched and reported: nothing is lost.
    """
    ring = crypto.key_ring()
    primary = ring.primary_id
    columns = encrypted_columns()
    report = VaultReport(total=sum(_count(c) for c in columns))
    complete = False

    def rotate_batch(column: EncryptedColumn, rows: list[tuple]) -> None:
        aad = column.aad
        ids, olds, news = [], [], []
        for row_id, token in rows:
            report.scanned += 1
            try:
                key_id = crypto.token_key_id(token)
                if key_id == primary:
                    report.per_key[key_id] += 1
                    continue
                plaintext = crypto.decrypt(token, aad, ring=ring)
            except crypto.DecryptionError as exc:
                report.fail(column, row_id, str(exc))
                continue
            ids.append(row_id)
            olds.append(token)
            news.append(crypto.encrypt(plaintext, aad, ring=ring))
        if not ids:
            return
        table, col, pk = column.qualified()
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS t SET {col} = v.new "
                f"FROM unnest(%s::{column.pk_type}[], %s::text[], %s::text[]) AS v(id, old, new) "
                f"WHERE t.{pk} = v.id AND t.{col} = v.old",
                [ids, olds, news],
            )
            report.rotated += cursor.rowcount
            report.per_key[primary] += cursor.rowcount

    try:
        for column in columns:
            _walk(column, batch_size, rotate_batch, lambda column: _report(progress, report, column))
        complete = True
    finally:
        audit_record(
            action="vault.rotate",
            actor=actor,
            target_type="vault.keyring",
            target_id=primary,
            target_repr=f"all encrypted values → key {primary}",
            after={
                "primary": primary,
                "scanned": report.scanned,
                "rotated": report.rotated,
                "failed": report.failed,
                "complete": complete,
            },
        )
    return report


def check_all(*, progress: Progress | None = None, batch_size: int = BATCH_SIZE) -> VaultReport:
    """Decrypt every encrypted value in every schema; count them per key id and list failures."""
    ring = crypto.key_ring()
    columns = encrypted_columns()
    report = VaultReport(total=sum(_count(c) for c in columns))

    def check_batch(column: EncryptedColumn, rows: list[tuple]) -> None:
        aad = column.aad
        for row_id, token in rows:
            report.scanned += 1
            try:
                crypto.decrypt(token, aad, ring=ring)
            except crypto.DecryptionError as exc:
                report.fail(column, row_id, str(exc))
                continue
            report.per_key[crypto.token_key_id(token)] += 1

    for column in columns:
        _walk(column, batch_size, check_batch, lambda column: _report(progress, report, column))
    return report
