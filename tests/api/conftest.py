from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import Tier
from apps.accounts.services import api_key_create


@pytest.fixture
def api(platform):
    """A DRF client on the platform host (the API lives on the public schema's URLs)."""
    return APIClient(HTTP_HOST="localhost")


@pytest.fixture
def support_agent(user_factory):
    return user_factory("support@example.test", tier=Tier.SUPPORT)


@pytest.fixture
def platform_admin(user_factory):
    return user_factory("admin@example.test", tier=Tier.PLATFORM_ADMIN)


@pytest.fixture
def key_for():
    """The raw API key of a fresh key for `user`."""

    def make(user, name: str = "test") -> str:
        return api_key_create(user=user, name=name)[1]

    return make


@pytest.fixture
def as_key(api, key_for):
    """`api` authenticated with a new API key of `user`."""

    def do(user) -> APIClient:
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {key_for(user)}")
        return api

    return do
