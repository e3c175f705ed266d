"""TOTP MFA: enforced for tiers 1–4, optional for tenant users; enrolment, replay, backup codes."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import Tier
from tests.accounts.helpers import code_for, session_key, start_session

STAFF_TIERS = [Tier.PARTNER, Tier.SUPPORT, Tier.PLATFORM_ADMIN, Tier.SUPER_ADMIN]


def _enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _backup_codes(response) -> list[str]:
    return re.findall(r"<code>(\d{8})</code>", response.content.decode())


@pytest.mark.parametrize("tier", STAFF_TIERS)
def test_login__tier_1_to_4_without_device__sent_to_enrolment_and_held_there(web, sign_in, user_factory, tier):
    user_factory("staff@example.test", tier=tier)

    response = sign_in(web, "staff@example.test")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/mfa/setup/")
    # The admin and the API (with this session) stay closed until the second factor is set up
    admin = web.get("/admin/")
    assert admin.status_code == 302
    assert admin["Location"].startswith("/accounts/mfa/setup/")
    assert web.get("/api/v1/me/").status_code == 403


@pytest.mark.parametrize("tier", STAFF_TIERS)
def test_mfa_setup__valid_totp_code__session_verified_and_backup_codes_shown(web, sign_in, user_factory, tier):
    user = user_factory("staff@example.test", tier=tier)
    sign_in(web, "staff@example.test")
    key_after_login = session_key(web)

    # Given the enrolment page with its QR code
    page = web.get("/accounts/mfa/setup/")
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    # When the code from the authenticator app is confirmed
    response = web.post("/accounts/mfa/setup/", {"token": code_for(device)})
    # Then backup codes are shown, the device is confirmed and the session is verified
    assert response.status_code == 200
    assert len(_backup_codes(response)) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert session_key(web) != key_after_login
    assert web.get("/api/v1/me/").status_code == 200
    if tier >= Tier.SUPPORT:
        assert web.get("/admin/").status_code == 200


def test_mfa_setup__wrong_code__400_device_not_confirmed(web, sign_in, user_factory):
    user = user_factory("partner2@example.test", tier=Tier.PARTNER)
    sign_in(web, "partner2@example.test")
    web.get("/accounts/mfa/setup/")

    response = web.post("/accounts/mfa/setup/", {"token": "000000"})

    assert response.status_code == 400
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_verify__enrolled_user_valid_code__verified_and_session_key_rotated_twice(web, sign_in, user_factory):
    user = user_factory("staff@example.test", tier=Tier.SUPPORT)
    device = _enrolled(user)
    before_login = start_session(web)

    response = sign_in(web, "staff@example.test")
    assert response["Location"].startswith("/accounts/verify/")
    after_login = session_key(web)
    assert web.get("/admin/")["Location"].startswith("/accounts/verify/")

    response = web.post("/accounts/verify/?next=/admin/", {"token": code_for(device)})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert len({before_login, after_login, session_key(web)}) == 3
    assert web.get("/admin/").status_code == 200


def test_verify__code_already_used__refused_the_second_time(user_factory, sign_in, platform):
    user = user_factory("staff@example.test", tier=Tier.SUPPORT)
    device = _enrolled(user)
    code = code_for(device)
    first = Client(HTTP_HOST="localhost")
    sign_in(first, "staff@example.test")
    assert first.post("/accounts/verify/", {"token": code}).status_code == 302

    # An attacker who saw the code replays it in another session
    second = Client(HTTP_HOST="localhost")
    sign_in(second, "staff@example.test")
    response = second.post("/accounts/verify/", {"token": code})

    assert response.status_code == 400
    assert "already used" in response.content.decode()
    assert second.get("/admin/").status_code == 302


def test_verify__older_code_after_a_newer_one__refused(user_factory, sign_in, platform):
    user = user_factory("staff@example.test", tier=Tier.SUPPORT)
    device = _enrolled(user)
    older = code_for(device, drift=-1)  # still inside the accepted window on its own
    first = Client(HTTP_HOST="localhost")
    sign_in(first, "staff@example.test")
    assert first.post("/accounts/verify/", {"token": code_for(device)}).status_code == 302

    second = Client(HTTP_HOST="localhost")
    sign_in(second, "staff@example.test")

    assert second.post("/accounts/verify/", {"token": older}).status_code == 400


def test_verify__backup_code__works_once(user_factory, sign_in, platform):
    user = user_factory("partner2@example.test", tier=Tier.PARTNER)
    enrol = Client(HTTP_HOST="localhost")
    sign_in(enrol, "partner2@example.test")
    enrol.get("/accounts/mfa/setup/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    backup = _backup_codes(enrol.post("/accounts/mfa/setup/", {"token": code_for(device)}))[0]

    first = Client(HTTP_HOST="localhost")
    sign_in(first, "partner2@example.test")
    assert first.post("/accounts/verify/", {"token": backup}).status_code == 302
    assert first.get("/api/v1/me/").status_code == 200

    second = Client(HTTP_HOST="localhost")
    sign_in(second, "partner2@example.test")
    assert second.post("/accounts/verify/", {"token": backup}).status_code == 400
    assert second.get("/api/v1/me/").status_code == 403


def test_login__tenant_user_without_device__reaches_dashboard_without_mfa(acme, user_factory, sign_in):
    user_factory("owner@acme.test", tenant=acme, role="owner")
    client = Client(HTTP_HOST="acme.localhost")

    response = sign_in(client, "owner@acme.test")

    assert response.status_code == 302
    assert response["Location"] == "/app/"
    assert client.get("/app/").status_code == 200


def test_login__tenant_user_with_device__held_at_code_step_until_verified(acme, user_factory, sign_in):
    # MFA is optional for tier 0, but a user who enrolled must not be able to skip the code step.
    user = user_factory("owner@acme.test", tenant=acme, role="owner")
    device = _enrolled(user)
    client = Client(HTTP_HOST="acme.localhost")

    response = sign_in(client, "owner@acme.test")
    assert response["Location"].startswith("/accounts/verify/")
    skipped = client.get("/app/")
    assert skipped.status_code == 302
    assert skipped["Location"].startswith("/accounts/verify/")

    client.post("/accounts/verify/", {"token": code_for(device)})
    assert client.get("/app/").status_code == 200
