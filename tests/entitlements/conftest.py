"""Fixtures for the entitlement engine: a clean in-process snapshot per test, and writes whose
on-commit hooks run (as after a real commit), so the snapshot's steady state can be observed."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.accounts.models import Tier
from apps.entitlements import services, snapshot


@pytest.fixture(autouse=True)
def _fresh_snapshot():
    snapshot.reset()
    yield
    snapshot.reset()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a write and its on-commit hooks (the version bump), as if its transaction committed."""

    def run(func, /, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return run


@pytest.fixture
def feature(platform, committed):
    """feature("crm.kanban", stage="beta", rollout_percentage=20, …) through the service."""

    def make(key: str, stage: str = "alpha", **kwargs):
        if stage == "retired":  # features are created live and retired later
            made = committed(services.feature_create, key=key, stage="ga", **kwargs)
            return committed(services.feature_retire, feature=made)
        return committed(services.feature_create, key=key, stage=stage, **kwargs)

    return make


@pytest.fixture
def super_admin(user_factory):
    return user_factory("root@bizosaas.test", tier=Tier.SUPER_ADMIN)


@pytest.fixture
def tenant_client(login_verified):
    """A client on a tenant's host, signed in as `user` (verified session when MFA applies)."""

    def make(tenant, user) -> Client:
        client = Client(HTTP_HOST=f"{tenant.slug}.localhost")
        if user.tier >= Tier.PARTNER:
            login_verified(client, user)
        else:
            client.force_login(user)
        return client

    return make
