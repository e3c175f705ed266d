"""Lockout (django-axes): per email + address, with a cool-off, never a permanent lock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client

ATTACKER = "203.0.113.7"
VICTIM = "198.51.100.20"


@pytest.fixture
def locked_out(user_factory, sign_in, platform):
    """ada@example.test after AXES_FAILURE_LIMIT wrong passwords from ATTACKER."""
    user = user_factory("ada@example.test")
    client = Client(HTTP_HOST="localhost")
    for attempt in range(1, settings.AXES_FAILURE_LIMIT + 1):
        response = sign_in(client, "ada@example.test", "wrong-password-123", REMOTE_ADDR=ATTACKER)
        # The failure that reaches the limit is itself answered with the lockout page.
        assert response.status_code == (429 if attempt == settings.AXES_FAILURE_LIMIT else 200)
    return user


def test_login__after_failure_limit__429_lockout_page_even_with_right_password(locked_out, sign_in):
    client = Client(HTTP_HOST="localhost")

    response = sign_in(client, "ada@example.test", REMOTE_ADDR=ATTACKER)

    assert settings.AXES_FAILURE_LIMIT == 5
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_login__locked_email_from_another_address__still_signs_in(locked_out, sign_in):
    client = Client(HTTP_HOST="localhost")

    response = sign_in(client, "ADA@example.test", REMOTE_ADDR=VICTIM)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(locked_out.pk)


def test_login__other_email_from_locked_address__not_locked(locked_out, user_factory, sign_in):
    user_factory("bob@example.test")

    response = sign_in(Client(HTTP_HOST="localhost"), "bob@example.test", REMOTE_ADDR=ATTACKER)

    assert response.status_code == 302


def test_login__after_cool_off__lock_lifts(locked_out, sign_in):
    # Given the failures happened longer ago than the cool-off
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.first().attempt_time - timedelta(minutes=16))
    # When the user signs in with the right password from the same address
    response = sign_in(Client(HTTP_HOST="localhost"), "ada@example.test", REMOTE_ADDR=ATTACKER)
    # Then it works
    assert response.status_code == 302


def test_login__before_cool_off__still_locked(locked_out, sign_in):
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.first().attempt_time - timedelta(minutes=10))

    response = sign_in(Client(HTTP_HOST="localhost"), "ada@example.test", REMOTE_ADDR=ATTACKER)

    assert response.status_code == 429
