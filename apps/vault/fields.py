"""EncryptedTextField: a text column stored as a vault token (see apps.vault.crypto).

The AAD of every value is (schema, table, column) of the row, so the database can hold only
tokens that make sense where they are: a token copied to another tenant's schema, another table
or another column fails to decrypt (DecryptionError) instead of leaking or impersonating.

In Python the value is a `SecretStr`: `str()` and `repr()` print a mask, so a secret that
reaches a log line, an exception, a template or a serializer shows up as `••••••`. Call
`.reveal()` where the plaintext is really needed (a connector building its request). Assigning a
plain `str` works and is wrapped on assignment.

Lookups other than `isnull` are refused: every encryption uses a fresh nonce, so equality in SQL
can never match. `dumpdata` writes the mask, never the secret.
"""

from __future__ import annotations

import hmac

from django import forms
from django.conf import settings
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from apps.vault import crypto

MASK = "••••••"


class SecretStr:
    """A decrypted secret that will not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        if not isinstance(value, str):
            raise TypeError("SecretStr holds text.")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return f"SecretStr({MASK!r})"

    def __format__(self, spec: str) -> str:
        return format(MASK, spec)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other) -> bool:
        if isinstance(other, SecretStr):
            return hmac.compare_digest(self._value.encode(), other._value.encode())
        return NotImplemented

    def __hash__(self) -> int:
        return hash((SecretStr, self._value))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        # Pickles (cache, sessions) would carry the plaintext: refuse rather than leak.
        raise TypeError("Secrets are not picklable; store the encrypted model, not the value.")


def reveal(value) -> str | None:
    """Plaintext of a SecretStr, a str or None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, SecretStr):
        return value.reveal()
    raise TypeError(f"Expected a secret string, got {type(value).__name__}.")


class SecretDescriptor(DeferredAttribute):
    """Wraps whatever is assigned in a SecretStr, so instances never hold a printable secret."""

    def __set__(self, instance, value):
        if isinstance(value, str):
            value = SecretStr(value)
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    descriptor_class = SecretDescriptor
    description = "Text encrypted with AES-256-GCM (vault token)"

    def row_schema(self, connection) -> str:
        """The schema the row lives in, the way django-tenants resolves the table: an app that
        lives in tenant schemas is read from the current tenant's schema, a shared-only app
        from public."""
        app_name = self.model._meta.app_config.name if self.model._meta.app_config else ""
        if app_name in getattr(settings, "TENANT_APPS", ()):
            return getattr(connection, "schema_name", None) or "public"
        return "public"

    def aad(self, schema: str) -> bytes:
        return crypto.aad_for(schema, self.model._meta.db_table, self.column)

    # ----------------------------------------------------------------- to and from the database

    def get_prep_value(self, value):
        # No super(): TextField would call str() on a SecretStr and store the mask.
        return reveal(value)

    def get_db_prep_value(self, value, connection, prepared=False):
        plaintext = reveal(value)
        if plaintext is None:
            return None
        return crypto.encrypt(plaintext.encode(), self.aad(self.row_schema(connection)))

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        schema = self.row_schema(connection)
        try:
            plaintext = crypto.decrypt(value, self.aad(schema))
        except crypto.DecryptionError as exc:
            raise type(exc)(f"{self.model._meta.db_table}.{self.column} in schema {schema!r}: {exc}") from None
        return SecretStr(plaintext.decode())

    def to_python(self, value):
        if value is None or isinstance(value, SecretStr):
            return value
        return SecretStr(str(value))

    def validate(self, value, model_instance):
        super().validate(reveal(value), model_instance)

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        return None

    def formfield(self, **kwargs):
        # Never render the stored value back into a page.
        defaults = {"form_class": forms.CharField, "widget": forms.PasswordInput(render_value=False)}
        return super().formfield(**{**defaults, **kwargs})
