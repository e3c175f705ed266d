from io import StringIO

import pytest
from django.core.management import call_command


def test_makemigrations__models_and_migrations__in_sync(db):
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:
        pytest.fail(f"models have changes without migrations:\n{out.getvalue()}\n(exit {exc.code})")


def test_migrate__fleet_up_to_date__skips_every_schema(tenant_factory):
    tenant_factory("acme")
    tenant_factory("globex")
    out = StringIO()
    call_command("migrate_schemas", tenant=True, interactive=False, verbosity=1, stdout=out)
    assert "to migrate: 0" in out.getvalue()


def test_migrate__one_schema_behind__only_that_schema_is_migrated(tenant_factory):
    from django.db import connection

    from apps.tenancy.schema_template import pending_schemas

    acme = tenant_factory("acme")
    globex = tenant_factory("globex")
    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{acme.schema_name}".django_migrations WHERE app = %s', ["dashboard"])
    assert pending_schemas([acme.schema_name, globex.schema_name]) == [acme.schema_name]
    out = StringIO()
    # --fake records the missing migrations (the tables exist); only acme is handed to the executor.
    call_command(
        "migrate_schemas", tenant=True, fake=True, interactive=False, verbosity=1, stdout=out, executor="standard"
    )
    assert "to migrate: 1" in out.getvalue()
    assert pending_schemas([acme.schema_name, globex.schema_name]) == []


def test_pending_schemas__public_only_app_migration_missing__schema_not_behind(tenant_factory):
    # A shared (public-only) app's migration changes nothing in a tenant schema.
    from django.db import connection

    from apps.tenancy.schema_template import pending_schemas

    acme = tenant_factory("acme")
    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{acme.schema_name}".django_migrations WHERE app = %s', ["workers"])
    assert pending_schemas([acme.schema_name]) == []
