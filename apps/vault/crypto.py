"""AES-256-GCM with a key ring: the one place that touches key material.

Key ring (`settings.VAULT_KEYS`, from the environment)::

    VAULT_KEYS=k2:<base64 of 32 bytes>,k1:<base64 of 32 bytes>
    VAULT_KEYS=k1:<...>,k2:<...>,primary=k2

Each entry is `<key id>:<key>`; the key id is 1–32 letters, digits, `_` or `-`; the key is 32
random bytes in base64 (standard or URL-safe, padding optional). The primary key encrypts new
values: the first entry, unless a `primary=<key id>` entry names another. The other keys only
decrypt, until `manage.py vault rotate` has moved every value to the primary.

Token (what the database stores)::

    vault:v1:<base64url, no padding, of: version (1 byte) | key id length (1 byte) | key id |
              nonce (12 bytes) | ciphertext + GCM tag (16 bytes)>

The header (version and key id) and the caller's AAD are authenticated, so a value moved to
another schema, table or column, relabelled with another key id, or changed in any byte fails
to decrypt. Every encryption draws a fresh random 96-bit nonce.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = 1
PREFIX = f"vault:v{VERSION}:"
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

HOW_TO_CONFIGURE = (
    "Set VAULT_KEYS to a key ring: `<key id>:<base64 of 32 random bytes>`, comma-separated, "
    "primary first (or mark it with `primary=<key id>`). `python manage.py init_env` writes a "
    "development ring into .env; `python manage.py vault genkey` prints a new key entry."
)


class VaultError(Exception):
    """Base of every vault failure. Messages never carry plaintext or key material."""


class KeyRingError(VaultError, ImproperlyConfigured):
    """VAULT_KEYS is missing or malformed."""


class DecryptionError(VaultError):
    """A token is malformed, was altered, belongs to another place (AAD), or its key is gone."""


class UnknownKeyError(DecryptionError):
    """The token names a key id that is not in the ring."""


@dataclass(frozen=True)
class KeyRing:
    keys: dict[str, bytes]
    primary_id: str

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        entries = [part.strip() for part in (spec or "").split(",") if part.strip()]
        if not entries:
            raise KeyRingError(f"VAULT_KEYS is empty: encryption refuses to run without keys. {HOW_TO_CONFIGURE}")
        keys: dict[str, bytes] = {}
        marked: str | None = None
        for position, entry in enumerate(entries, start=1):
            if entry.startswith("primary="):
                if marked is not None:
                    raise KeyRingError("VAULT_KEYS names a primary key twice (`primary=` appears more than once).")
                marked = entry.removeprefix("primary=").strip()
                continue
            key_id, sep, encoded = entry.partition(":")
            key_id = key_id.strip()
            if not sep:
                raise KeyRingError(f"VAULT_KEYS entry {position} is not `<key id>:<base64 key>`. {HOW_TO_CONFIGURE}")
            if not KEY_ID_RE.match(key_id):
                raise KeyRingError(
                    f"VAULT_KEYS entry {position}: key id {key_id!r} must be 1–32 letters, digits, `_` or `-`."
                )
            if key_id in keys:
                raise KeyRingError(f"VAULT_KEYS lists key id {key_id!r} twice.")
            keys[key_id] = _decode_key(key_id, encoded.strip())
        if not keys:
            raise KeyRingError(f"VAULT_KEYS holds no keys. {HOW_TO_CONFIGURE}")
        primary = marked if marked is not None else next(iter(keys))
        if primary not in keys:
            raise KeyRingError(f"VAULT_KEYS marks {primary!r} as primary, but no key has that id.")
        return cls(keys=keys, primary_id=primary)

    def __repr__(self) -> str:  # never the key material
        return f"KeyRing(primary={self.primary_id!r}, ids={list(self.keys)!r})"

    def cipher(self, key_id: str) -> AESGCM:
        try:
            return _cipher(self.keys[key_id])
        except KeyError:
            raise UnknownKeyError(
                f"Key {key_id!r} is not in VAULT_KEYS; add it back to read values written with it."
            ) from None


def _decode_key(key_id: str, encoded: str) -> bytes:
    padded = encoded + "=" * (-len(encoded) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise KeyRingError(f"VAULT_KEYS key {key_id!r} is not valid base64.") from None
    if len(raw) != KEY_BYTES:
        raise KeyRingError(f"VAULT_KEYS key {key_id!r} is {len(raw)} bytes; AES-256 needs exactly {KEY_BYTES}.")
    return raw


@lru_cache(maxsize=64)
def _cipher(key: bytes) -> AESGCM:
    return AESGCM(key)


@lru_cache(maxsize=8)
def _parse_cached(spec: str) -> KeyRing:
    return KeyRing.parse(spec)


def key_ring() -> KeyRing:
    """The ring in settings (parsed once per distinct value, so settings overrides apply)."""
    return _parse_cached(getattr(settings, "VAULT_KEYS", "") or "")


def new_key_entry(key_id: str) -> str:
    """A fresh `<key id>:<base64 key>` entry for VAULT_KEYS."""
    if not KEY_ID_RE.match(key_id):
        raise KeyRingError(f"Key id {key_id!r} must be 1–32 letters, digits, `_` or `-`.")
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode().rstrip('=')}"


def aad_for(schema: str, table: str, column: str) -> bytes:
    """Where a value lives. NUL cannot occur in PostgreSQL identifiers, so the join is unambiguous."""
    return "\x00".join((schema, table, column)).encode()


def _header(key_id: str) -> bytes:
    kid = key_id.encode("ascii")
    return bytes((VERSION, len(kid))) + kid


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unpack(token: str) -> tuple[bytes, str, bytes, bytes]:
    """(header, key id, nonce, ciphertext+tag) of a well-formed token, or DecryptionError."""
    if not isinstance(token, str) or not token.startswith(PREFIX):
        raise DecryptionError("Not a vault token (missing the `vault:v1:` prefix).")
    body = token[len(PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError("Vault token is not valid base64url.") from None
    # Decoders ignore stray bits and characters; only the canonical spelling is accepted, so a
    # change to any character of the token is a change to the bytes that GCM authenticates.
    if _b64encode(raw) != body:
        raise DecryptionError("Vault token is not canonical base64url (it was altered).")
    if len(raw) < 2 or raw[0] != VERSION:
        raise DecryptionError("Vault token has an unknown format version.")
    kid_len = raw[1]
    header_len = 2 + kid_len
    if kid_len == 0 or len(raw) < header_len + NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("Vault token is truncated.")
    try:
        key_id = raw[2:header_len].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError("Vault token has a malformed key id.") from None
    if not KEY_ID_RE.match(key_id):
        raise DecryptionError("Vault token has a malformed key id.")
    nonce = raw[header_len : header_len + NONCE_BYTES]
    return raw[:header_len], key_id, nonce, raw[header_len + NONCE_BYTES :]


def token_key_id(token: str) -> str:
    """The key id a token was written with (no decryption; the header is checked on decrypt)."""
    return _unpack(token)[1]


def encrypt(plaintext: bytes, aad: bytes, *, ring: KeyRing | None = None) -> str:
    ring = ring or key_ring()
    header = _header(ring.primary_id)
    nonce = os.urandom(NONCE_BYTES)
    sealed = ring.cipher(ring.primary_id).encrypt(nonce, plaintext, header + aad)
    return PREFIX + _b64encode(header + nonce + sealed)


def decrypt(token: str, aad: bytes, *, ring: KeyRing | None = None) -> bytes:
    header, key_id, nonce, sealed = _unpack(token)
    ring = ring or key_ring()
    try:
        return ring.cipher(key_id).decrypt(nonce, sealed, header + aad)
    except InvalidTag:
        raise DecryptionError(
            "Vault token failed authentication: it was altered, or copied from another schema, table or column."
        ) from None
