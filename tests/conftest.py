"""Shared fixtures. Everything runs against the real embedded PostgreSQL and Redis.

The test database is migrated once per run; our migrate command also builds the template
schema, so each tenant fixture is a ~20 ms schema clone inside the test's transaction and is
rolled back with it. Tests that need committed data (browser, worker) use `committed_tenant`,
which drops its schema afterwards.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import Tier
from apps.accounts.services import membership_set
from apps.tenancy.services import plans_ensure, platform_tenant_ensure, tenant_create
from tests.factories import DEFAULT_PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _reset_schema():
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _clear_cache(settings):
    from django.core.cache import cache

    cache.clear()
    return


@pytest.fixture
def platform(db):
    """The public tenant (platform host) and the four plans — flushed by transactional tests,
    so made per test."""
    plans_ensure()
    return platform_tenant_ensure()


@pytest.fixture
def tenant_factory(platform):
    def make(slug: str, name: str | None = None, plan: str = "pro", partner=None, **kw):
        return tenant_create(name=name or slug.title(), slug=slug, plan=plan, partner=partner, **kw)

    return make


@pytest.fixture
def partner(db):
    return UserFactory(email="partner@example.test", tier=Tier.PARTNER)


@pytest.fixture
def acme(tenant_factory, partner):
    return tenant_factory("acme", "Acme", partner=partner)


@pytest.fixture
def globex(tenant_factory, partner):
    return tenant_factory("globex", "Globex", partner=partner)


@pytest.fixture
def initech(tenant_factory):
    return tenant_factory("initech", "Initech")


@pytest.fixture
def user_factory(db):
    def make(email: str | None = None, tier: int = Tier.NONE, tenant=None, role: str = "member", **kw):
        kwargs = {"tier": tier, **kw}
        if email:
            kwargs["email"] = email
        user = UserFactory(**kwargs)
        if tenant is not None:
            membership_set(user=user, tenant=tenant, role=role)
        return user

    return make


@pytest.fixture
def password():
    return DEFAULT_PASSWORD


def host_of(tenant) -> str:
    return f"{tenant.slug}.localhost"


@pytest.fixture
def login_verified():
    """Log a test client in with an OTP-verified session (as after a real TOTP step)."""

    def do(client, user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="test", confirmed=True
        )
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return device

    return do


@pytest.fixture
def committed_tenant(transactional_db, django_db_blocker):
    """Tenants whose rows and schemas are committed (for live servers and worker processes);
    their schemas are dropped after the test (the rows go with pytest-django's flush)."""
    made: list[str] = []

    def make(slug: str, **kw):
        plans_ensure()
        platform_tenant_ensure()
        tenant = tenant_create(name=kw.pop("name", slug.title()), slug=slug, **kw)
        made.append(tenant.schema_name)
        return tenant

    yield make
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        for schema in made:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
