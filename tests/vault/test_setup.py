"""Getting a key ring in place: `init_env` writes one, system checks flag a bad one."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from apps.vault import checks, crypto


@pytest.fixture
def project_dir(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    return tmp_path


def _env(path) -> dict:
    values = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def test_init_env__no_env_file__writes_one_with_a_usable_vault_ring(project_dir):
    call_command("init_env", stdout=io.StringIO())

    values = _env(project_dir / ".env")
    ring = crypto.KeyRing.parse(values["VAULT_KEYS"])
    assert len(ring.keys[ring.primary_id]) == 32
    assert values["SECRET_KEY"]
    assert (project_dir / ".env").stat().st_mode & 0o077 == 0


def test_init_env__existing_env_without_vault_keys__ring_appended_rest_kept(project_dir):
    original = "SECRET_KEY=mine\nDEBUG=true\n# VAULT_KEYS=k1:commented-out-example"
    (project_dir / ".env").write_text(original)

    call_command("init_env", stdout=io.StringIO())

    text = (project_dir / ".env").read_text()
    assert text.startswith(original + "\n")
    values = _env(project_dir / ".env")
    assert values["SECRET_KEY"] == "mine"
    crypto.KeyRing.parse(values["VAULT_KEYS"])


def test_init_env__existing_env_with_vault_keys__left_byte_for_byte(project_dir):
    original = "SECRET_KEY=mine\nVAULT_KEYS=k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n"
    (project_dir / ".env").write_text(original)

    call_command("init_env", stdout=io.StringIO())

    assert (project_dir / ".env").read_text() == original


def test_init_env__two_fresh_projects__different_keys(settings, tmp_path):
    rings = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        settings.BASE_DIR = tmp_path / name
        call_command("init_env", stdout=io.StringIO())
        rings.append(_env(tmp_path / name / ".env")["VAULT_KEYS"])

    assert rings[0] != rings[1]


def test_system_check__malformed_key_ring__error_at_startup(settings):
    settings.VAULT_KEYS = "k1:short"

    problems = checks.key_ring_valid()

    assert [p.id for p in problems] == ["vault.E001"]


def test_system_check__deploy_without_key_ring__warned(settings):
    settings.VAULT_KEYS = ""

    assert [p.id for p in checks.key_ring_present()] == ["vault.W001"]
    assert checks.key_ring_valid() == []


def test_system_checks__test_ring__no_problems():
    assert checks.key_ring_valid() == []
    assert checks.key_ring_present() == []
