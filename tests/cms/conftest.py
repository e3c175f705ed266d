"""Fixtures of the managed-site tests. Content is written with the services inside
`tenant_context`; visitors are test clients on the tenant's host."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.cms import services
from tests.workers.conftest import celery_worker_process  # noqa: F401  (the real worker, reused)

ACME = {"HTTP_HOST": "acme.localhost"}
GLOBEX = {"HTTP_HOST": "globex.localhost"}


@pytest.fixture(autouse=True)
def site_feature(db):
    """The `site` entitlement (made after migrate; a flush by a transactional test drops it)."""
    services.features_ensure()


@pytest.fixture
def in_tenant():
    """Run a service in a tenant's schema: `in_tenant(acme, services.site_sync, reason="x")`."""

    def run(tenant, func, /, **kwargs):
        with tenant_context(tenant):
            return func(**kwargs)

    return run


@pytest.fixture
def owner(acme, user_factory):
    return user_factory(email="owner@acme.test", tenant=acme, role="owner")


@pytest.fixture
def member(acme, user_factory):
    return user_factory(email="member@acme.test", tenant=acme, role="member")


@pytest.fixture
def published_page(acme, in_tenant):
    """A published page “About us” at /about/ in acme (not synced yet)."""

    def make(title="About us", slug="about", body="We **make** things."):
        page = in_tenant(acme, services.page_save, title=title, slug=slug, body=body)
        return in_tenant(acme, services.page_publish, page=page)

    return make
