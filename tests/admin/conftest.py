"""Fixtures for the admin portal: signed-in staff clients on the platform host."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.accounts.models import Tier

PLATFORM_HOST = "localhost"


@pytest.fixture
def staff_client(platform, user_factory, login_verified):
    """A test client on the platform host, signed in with an OTP-verified session as a new user
    of the given tier. Returns (client, user)."""

    def make(tier: int, email: str | None = None, verified: bool = True):
        user = user_factory(email=email, tier=tier)
        client = Client(HTTP_HOST=PLATFORM_HOST)
        if verified:
            login_verified(client, user)
        else:
            client.force_login(user)
        return client, user

    return make


@pytest.fixture
def support_client(staff_client):
    return staff_client(Tier.SUPPORT, email="agent@bizosaas.test")[0]


@pytest.fixture
def platform_admin_client(staff_client):
    return staff_client(Tier.PLATFORM_ADMIN, email="ops@bizosaas.test")[0]


@pytest.fixture
def super_admin_client(staff_client):
    return staff_client(Tier.SUPER_ADMIN, email="root@bizosaas.test")[0]
