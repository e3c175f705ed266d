"""Fixtures for the CRM and catalogue tests: the features on, a tenant to work in, members."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context
from rest_framework.test import APIClient

from apps.accounts.models import Tier
from apps.accounts.services import api_key_create
from apps.crm.services import features_ensure
from apps.entitlements import snapshot


@pytest.fixture(autouse=True)
def crm_features(platform):
    """`crm` and `catalog` exist at GA (a flushed database has lost the migration's rows)."""
    features_ensure()
    snapshot.reset()
    yield
    snapshot.reset()


@pytest.fixture
def in_acme(acme):
    """Run the test body inside acme's schema."""
    with tenant_context(acme):
        yield acme


@pytest.fixture
def owner(user_factory, acme):
    return user_factory("owner@acme.test", tenant=acme, role="owner")


@pytest.fixture
def api(platform):
    return APIClient(HTTP_HOST="localhost")


@pytest.fixture
def as_key(api):
    def do(user) -> APIClient:
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_create(user=user, name='test')[1]}")
        return api

    return do


@pytest.fixture
def other_partner(user_factory):
    return user_factory("other-partner@example.test", tier=Tier.PARTNER)
