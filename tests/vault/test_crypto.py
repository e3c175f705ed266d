"""AES-256-GCM tokens and the key ring, without the database."""

from __future__ import annotations

import base64

import pytest

from apps.vault import crypto
from tests.vault.conftest import fixed_key, ring_spec

AAD = crypto.aad_for("t_acme", "vault_secret", "value")


def _raw(token: str) -> bytes:
    body = token.removeprefix(crypto.PREFIX)
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def _nonce(token: str) -> bytes:
    raw = _raw(token)
    start = 2 + raw[1]
    return raw[start : start + crypto.NONCE_BYTES]


@pytest.mark.parametrize("plaintext", [b"sk-live-123", "naïve ☃ token".encode(), b"", b"x" * 100_000])
def test_encrypt__then_decrypt_same_aad__returns_plaintext(use_ring, plaintext):
    use_ring("k1")

    token = crypto.encrypt(plaintext, AAD)

    assert crypto.decrypt(token, AAD) == plaintext


def test_token__fresh__carries_prefix_version_and_primary_key_id(use_ring):
    use_ring("k2", "k1")

    token = crypto.encrypt(b"secret", AAD)

    assert token.startswith("vault:v1:")
    assert _raw(token)[0] == crypto.VERSION
    assert crypto.token_key_id(token) == "k2"
    assert "secret" not in token


def test_token__any_character_flipped__refused(use_ring):
    use_ring("k1")
    token = crypto.encrypt(b"plaid-access-token", AAD)

    for i in range(len(token)):
        tampered = token[:i] + chr(ord(token[i]) ^ 0x01) + token[i + 1 :]
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(tampered, AAD)


def test_token__any_decoded_byte_flipped__refused(use_ring):
    use_ring("k1", "k2")
    token = crypto.encrypt(b"plaid-access-token", AAD)
    raw = bytearray(_raw(token))

    for i in range(len(raw)):
        for mask in (0x01, 0x80):
            tampered = raw.copy()
            tampered[i] ^= mask
            respelled = crypto.PREFIX + base64.urlsafe_b64encode(bytes(tampered)).decode().rstrip("=")
            with pytest.raises(crypto.DecryptionError):
                crypto.decrypt(respelled, AAD)


def test_token__truncated_or_extended__refused(use_ring):
    use_ring("k1")
    token = crypto.encrypt(b"value", AAD)

    for bad in (token[:-1], token[:-4], token + "A", crypto.PREFIX, "", "plain text", token.replace("v1", "v2", 1)):
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(bad, AAD)


@pytest.mark.parametrize(
    "other",
    [
        ("t_globex", "vault_secret", "value"),
        ("public", "vault_secret", "value"),
        ("t_acme", "plaid_item", "value"),
        ("t_acme", "vault_secret", "name"),
    ],
)
def test_decrypt__aad_of_another_schema_table_or_column__refused(use_ring, other):
    use_ring("k1")
    token = crypto.encrypt(b"value", AAD)

    with pytest.raises(crypto.DecryptionError, match="another schema, table or column"):
        crypto.decrypt(token, crypto.aad_for(*other))


def test_encrypt__same_value_1000_times__every_nonce_and_token_unique(use_ring):
    use_ring("k1")

    tokens = [crypto.encrypt(b"same value", AAD) for _ in range(1000)]

    assert len({_nonce(t) for t in tokens}) == 1000
    assert len(set(tokens)) == 1000
    assert all(len(_nonce(t)) == 12 for t in tokens)


def test_decrypt__written_with_an_older_key_still_in_the_ring__reads(use_ring):
    use_ring("k1")
    token = crypto.encrypt(b"old", AAD)
    use_ring("k2", "k1")

    assert crypto.decrypt(token, AAD) == b"old"
    assert crypto.token_key_id(crypto.encrypt(b"new", AAD)) == "k2"


def test_decrypt__key_removed_from_ring__unknown_key_error_names_it(use_ring):
    use_ring("k1")
    token = crypto.encrypt(b"old", AAD)
    use_ring("k2")

    with pytest.raises(crypto.UnknownKeyError, match="'k1'"):
        crypto.decrypt(token, AAD)


def test_decrypt__same_key_id_different_key_material__refused(use_ring, settings):
    use_ring("k1")
    token = crypto.encrypt(b"value", AAD)
    settings.VAULT_KEYS = "k1:" + base64.b64encode(fixed_key("other")).decode()

    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, AAD)


@pytest.mark.parametrize("spec", ["", "   ", ",", None])
def test_encrypt__no_key_ring__fails_saying_how_to_configure(settings, spec):
    settings.VAULT_KEYS = spec

    with pytest.raises(crypto.KeyRingError) as excinfo:
        crypto.encrypt(b"value", AAD)

    message = str(excinfo.value)
    assert "VAULT_KEYS" in message
    assert "init_env" in message
    assert "genkey" in message


GOOD = base64.b64encode(fixed_key("good")).decode()


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("k1", "is not `<key id>:<base64 key>`"),
        (f"k1{GOOD}", "is not `<key id>:<base64 key>`"),
        ("k1:not base64 at all!", "not valid base64"),
        ("k1:" + base64.b64encode(b"x" * 16).decode(), "is 16 bytes"),
        ("k1:" + base64.b64encode(b"x" * 33).decode(), "is 33 bytes"),
        (f"k1:{GOOD},k1:{GOOD}", "twice"),
        (f"bad id:{GOOD}", "must be 1–32 letters"),
        (f"{'k' * 33}:{GOOD}", "must be 1–32 letters"),
        (f":{GOOD}", "must be 1–32 letters"),
        (f"k1:{GOOD},primary=k9", "no key has that id"),
        (f"k1:{GOOD},primary=k1,primary=k1", "more than once"),
        ("primary=k1", "holds no keys"),
    ],
)
def test_key_ring_parse__malformed__clear_error_without_key_material(spec, complaint):
    with pytest.raises(crypto.KeyRingError, match=complaint) as excinfo:
        crypto.KeyRing.parse(spec)

    assert GOOD not in str(excinfo.value)


def test_key_ring_parse__first_entry__is_primary():
    ring = crypto.KeyRing.parse(ring_spec("k3", "k2", "k1"))

    assert ring.primary_id == "k3"
    assert list(ring.keys) == ["k3", "k2", "k1"]
    assert ring.keys["k2"] == fixed_key("k2")


def test_key_ring_parse__primary_marker__wins_over_order():
    ring = crypto.KeyRing.parse(ring_spec("k1", "k2", primary="k2"))

    assert ring.primary_id == "k2"


def test_key_ring_parse__standard_or_urlsafe_base64_with_or_without_padding__same_key():
    key = bytes(range(200, 232))
    spellings = [
        base64.b64encode(key).decode(),
        base64.urlsafe_b64encode(key).decode(),
        base64.urlsafe_b64encode(key).decode().rstrip("="),
    ]

    rings = [crypto.KeyRing.parse(f" k1 : {s} , ") for s in spellings]

    assert all(r.keys["k1"] == key for r in rings)


def test_key_ring_repr__never_shows_key_material():
    ring = crypto.KeyRing.parse(ring_spec("k1"))

    assert base64.b64encode(fixed_key("k1")).decode()[:10] not in repr(ring)
    assert repr(ring) == "KeyRing(primary='k1', ids=['k1'])"


def test_new_key_entry__parsed_as_a_ring__one_fresh_32_byte_key():
    first, second = crypto.new_key_entry("k9"), crypto.new_key_entry("k9")

    ring = crypto.KeyRing.parse(first)

    assert ring.primary_id == "k9"
    assert len(ring.keys["k9"]) == 32
    assert first != second
