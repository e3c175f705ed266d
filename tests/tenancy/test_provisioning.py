from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from apps.dashboard.models import TenantSetting
from apps.tenancy import schema_template
from apps.tenancy.models import Domain, Tenant
from apps.tenancy.services import tenant_create


def _tables(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])
        return {r[0] for r in cursor.fetchall()}


def _indexes(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s", [schema])
        return {r[0] for r in cursor.fetchall()}


def test_tenant_create__valid__schema_cloned_with_same_tables_indexes_and_migration_state(tenant_factory):
    tenant = tenant_factory("acme", plan="pro")

    assert schema_exists(tenant.schema_name)
    template = schema_template.template_schema()
    assert _tables(tenant.schema_name) == _tables(template)
    assert _indexes(tenant.schema_name) == _indexes(template)
    assert schema_template.pending_schemas([tenant.schema_name]) == []
    assert Domain.objects.get(tenant=tenant, is_primary=True).domain == "acme.localhost"
    assert tenant.plan.code == "pro"


def test_tenant_create__two_tenants__data_is_isolated_per_schema(tenant_factory):
    a = tenant_factory("acme")
    b = tenant_factory("globex")
    with schema_context(a.schema_name):
        TenantSetting.objects.create(key="brand", value={"colour": "#2563eb"})
    with schema_context(b.schema_name):
        assert TenantSetting.objects.count() == 0
        TenantSetting.objects.create(key="brand", value={"colour": "#000000"})  # unique per schema, not global
    with schema_context(a.schema_name):
        assert TenantSetting.objects.get(key="brand").value == {"colour": "#2563eb"}


@pytest.mark.parametrize(
    ("slug", "field"),
    [("A", "slug"), ("has space", "slug"), ("admin", "slug"), ("-bad", "slug"), ("x" * 60, "slug")],
)
def test_tenant_create__bad_slug__clear_error_and_nothing_created(platform, slug, field):
    with pytest.raises(ValidationError) as err:
        tenant_create(name="X", slug=slug)
    assert field in err.value.message_dict
    assert not Tenant.objects.filter(name="X").exists()


def test_tenant_create__duplicate_slug__refused(tenant_factory):
    tenant_factory("acme")
    with pytest.raises(ValidationError) as err:
        tenant_factory("acme")
    assert "already exists" in err.value.message_dict["slug"][0]


def test_tenant_create__failure_after_schema_clone__leaves_no_schema_or_rows(platform, monkeypatch):
    # Given a failure late in provisioning (after the schema was cloned, while adding the domain)
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Domain.objects, "create", boom)
    # When the tenant is created
    with pytest.raises(RuntimeError):
        tenant_create(name="Doomed", slug="doomed")
    # Then nothing of it remains
    assert not Tenant.objects.filter(slug="doomed").exists()
    assert not schema_exists("t_doomed")


def test_tenant_create__unknown_plan__refused(platform):
    with pytest.raises(ValidationError) as err:
        tenant_create(name="X", slug="xco", plan="platinum")
    assert "tier" in err.value.message_dict


def test_clone_plan__template_migration_state_changes__plan_rebuilt_before_next_clone(tenant_factory):
    # Given a plan cached by a first clone
    tenant_factory("acme")
    template = schema_template.template_schema()
    with connection.cursor() as cursor:
        cursor.execute("SELECT fingerprint FROM public.tenancy_cloneplan WHERE source_schema = %s", [template])
        (before,) = cursor.fetchone()
        # When the template's migration state changes (as after a new migration)
        cursor.execute(
            f'INSERT INTO "{template}".django_migrations (app, name, applied) VALUES (%s, %s, now())',
            ["dashboard", "9999_simulated"],
        )
    tenant = tenant_factory("globex")
    # Then the next clone rebuilt the plan and the new tenant carries the new state
    with connection.cursor() as cursor:
        cursor.execute("SELECT fingerprint FROM public.tenancy_cloneplan WHERE source_schema = %s", [template])
        (after,) = cursor.fetchone()
        cursor.execute(
            f'SELECT count(*) FROM "{tenant.schema_name}".django_migrations WHERE name = %s', ["9999_simulated"]
        )
        (copied,) = cursor.fetchone()
    assert after != before
    assert copied == 1
