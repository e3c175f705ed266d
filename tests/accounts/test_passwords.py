"""Passwords are hashed with Argon2; sign-in is by email."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password
from django.test import override_settings

from apps.accounts.services import user_create
from config.settings import base


def test_password_hashers__base_settings__argon2_first():
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_user_create__base_hashers__password_stored_as_argon2(db):
    # Test settings put MD5 first for speed; this checks what production stores.
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        user = user_create(email="Ada@Example.test", password="correct-horse-battery-9")

        assert user.password.startswith("argon2$")
        assert check_password("correct-horse-battery-9", user.password)
        assert "correct-horse-battery-9" not in user.password
    assert user.email == "ada@example.test"


def test_login__email_and_password_on_platform_host__signed_in(web, sign_in, user_factory):
    user = user_factory("ada@example.test")

    response = sign_in(web, "Ada@Example.test")

    assert response.status_code == 302
    assert web.session["_auth_user_id"] == str(user.pk)


def test_login__wrong_password__form_error_not_signed_in(web, sign_in, user_factory):
    user_factory("ada@example.test")

    response = sign_in(web, "ada@example.test", "wrong-password-123")

    assert response.status_code == 200
    assert "do not match" in response.content.decode()
    assert "_auth_user_id" not in web.session


def test_login__session_key__changes_at_login(web, sign_in, user_factory):
    from tests.accounts.helpers import session_key, start_session

    user_factory("ada@example.test")
    before = start_session(web)

    sign_in(web, "ada@example.test")

    assert session_key(web) not in (None, before)
