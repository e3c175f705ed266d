"""Fixtures for governance: signed-in clients on the platform host and on tenant hosts."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.accounts.models import Tier
from tests.workers.conftest import celery_worker_process  # noqa: F401  (the real worker, reused)

PLATFORM_HOST = "localhost"


def tenant_host(tenant) -> str:
    return f"{tenant.slug}.localhost"


@pytest.fixture
def signed_in(platform, login_verified):
    """A test client on `host`, signed in as `user` (OTP-verified unless verified=False)."""

    def make(user, host: str = PLATFORM_HOST, verified: bool = True) -> Client:
        client = Client(HTTP_HOST=host)
        if verified:
            login_verified(client, user)
        else:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def member(acme, user_factory):
    return user_factory(email="mia@acme.test", tenant=acme, role="member", full_name="Mia Member")


@pytest.fixture
def agent(user_factory):
    return user_factory(email="agent@bizosaas.test", tier=Tier.SUPPORT, full_name="Sam Support")


@pytest.fixture
def ops(user_factory):
    return user_factory(email="ops@bizosaas.test", tier=Tier.PLATFORM_ADMIN)


@pytest.fixture
def root(user_factory):
    return user_factory(email="root@bizosaas.test", tier=Tier.SUPER_ADMIN)
