"""Fixtures of the CRM and catalogue dashboard tests: the features on, acme with people in
every role, and small builders that write through the services inside a tenant's schema."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.crm import services
from apps.crm.services import features_ensure
from apps.entitlements import snapshot

ACME = {"HTTP_HOST": "acme.localhost"}
GLOBEX = {"HTTP_HOST": "globex.localhost"}
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def crm_features(platform):
    """`crm` and `catalog` exist at GA (a flushed database has lost the migration's rows)."""
    features_ensure()
    snapshot.reset()
    yield
    snapshot.reset()


@pytest.fixture
def member(user_factory, acme):
    return user_factory("member@acme.test", tenant=acme, role="member")


@pytest.fixture
def viewer(user_factory, acme):
    return user_factory("viewer@acme.test", tenant=acme, role="viewer")


@pytest.fixture
def as_member(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def in_tenant():
    """Run a builder inside a tenant's schema: in_tenant(acme, fn, *args, **kw)."""

    def run(tenant, fn, *args, **kwargs):
        with tenant_context(tenant):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def make_contacts(in_tenant):
    def make(tenant, n: int, prefix: str = "Person", **kw) -> list:
        def build():
            return [
                services.contact_create(name=f"{prefix} {i:03d}", email=f"{prefix.lower()}{i}@example.test", **kw)
                for i in range(n)
            ]

        return in_tenant(tenant, build)

    return make
