"""`manage.py create_user` and `manage.py create_api_key`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.accounts.models import ApiKey, Membership, User
from apps.accounts.services import api_key_authenticate

PASSWORD = "correct-horse-battery-9"


def run(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


# --------------------------------------------------------------------------- create_user


def test_create_user__defaults__tenant_user_with_usable_password(db):
    output = run("create_user", "--email", "Ada@Example.test", "--password", PASSWORD)

    user = User.objects.get(email="ada@example.test")
    assert user.tier == 0
    assert user.check_password(PASSWORD)
    assert "ada@example.test" in output


def test_create_user__tier_4__super_admin(db):
    output = run("create_user", "--email", "root@example.test", "--password", PASSWORD, "--tier", "4")

    user = User.objects.get(email="root@example.test")
    assert (user.tier, user.is_superuser, user.is_staff) == (4, True, True)
    assert "MFA is required" in output


def test_create_user__tenant_and_role__membership_created(acme):
    run("create_user", "--email", "owner@acme.test", "--password", PASSWORD, "--tenant", "acme", "--role", "owner")

    assert Membership.objects.get(user__email="owner@acme.test", tenant=acme).role == "owner"


def test_create_user__tenant_without_role__member(acme):
    run("create_user", "--email", "bob@acme.test", "--password", PASSWORD, "--tenant", "acme")

    assert Membership.objects.get(user__email="bob@acme.test").role == "member"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tier", "7"], "Unknown tier 7"),
        (["--tier", "-1"], "Unknown tier -1"),
        (["--tier", "two"], "invalid int value"),
        (["--email", "not-an-email"], "not a valid email"),
        (["--password", "short"], "password:"),
        (["--tenant", "nowhere"], "No tenant with the slug “nowhere”"),
        (["--tenant", "acme", "--role", "emperor"], "Unknown role “emperor”"),
        (["--role", "owner"], "--role needs --tenant"),
    ],
)
def test_create_user__bad_input__command_error_and_nothing_created(acme, args, message):
    base = {"--email": "new@example.test", "--password": PASSWORD}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = [part for pair in base.items() for part in pair]

    with pytest.raises(CommandError, match=message):
        run("create_user", *argv)

    assert not User.objects.filter(email__in=["new@example.test", "not-an-email"]).exists()
    assert not Membership.objects.exists()


def test_create_user__duplicate_email__command_error_existing_user_untouched(db, user_factory):
    existing = user_factory("ada@example.test")
    password_hash = existing.password

    with pytest.raises(CommandError, match="already exists"):
        run("create_user", "--email", "ADA@example.test", "--password", "another-password-42", "--tier", "4")

    existing.refresh_from_db()
    assert (existing.tier, existing.password) == (0, password_hash)


# --------------------------------------------------------------------------- create_api_key


def test_create_api_key__partner__key_printed_once_and_works(partner):
    output = run("create_api_key", "--email", "PARTNER@example.test", "--name", "ci")

    raw = next(line for line in output.splitlines() if line.startswith("bz_"))
    key = api_key_authenticate(raw)
    assert key is not None
    assert (key.user, key.name) == (partner, "ci")
    assert raw not in {key.digest, key.prefix}


@pytest.mark.parametrize(
    ("email", "name", "message"),
    [
        ("nobody@example.test", "ci", "No user with the email nobody@example.test"),
        ("owner@example.test", "ci", "tenant user"),
        ("partner@example.test", "k" * 81, "name: At most 80"),
    ],
)
def test_create_api_key__bad_input__command_error_and_no_key(partner, user_factory, email, name, message):
    user_factory("owner@example.test")

    with pytest.raises(CommandError, match=message):
        run("create_api_key", "--email", email, "--name", name)

    assert not ApiKey.objects.exists()


def test_create_api_key__inactive_user__command_error(partner):
    partner.is_active = False
    partner.save(update_fields=["is_active"])

    with pytest.raises(CommandError, match="Inactive"):
        run("create_api_key", "--email", "partner@example.test")
