from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils.translation.reloader import translation_file_changed

TENANT_HOST = {"HTTP_HOST": "acme.localhost"}


@pytest.fixture(scope="session")
def compiled_locale():
    """The .mo catalogues are build output (`make setup`); compile them so a fresh checkout
    tests the real translations, then drop Django's cached catalogues."""
    call_command("compile_locale", verbosity=0)
    translation_file_changed(sender=None, file_path=Path("django.mo"))


@pytest.fixture
def member(acme, user_factory):
    return user_factory(email="member@acme.test", tenant=acme, role="member", full_name="Mia Member")
