from __future__ import annotations

import pytest

from apps.core import health


@pytest.mark.parametrize("host", ["localhost", "acme.localhost", "unknown.example"])
def test_healthz__any_host__ok_json(client, host):
    response = client.get("/healthz", HTTP_HOST=host)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz__all_up__ready_with_each_check(client, acme):
    health._ready_cache.update(at=0.0, result=None)
    response = client.get("/readyz", HTTP_HOST="acme.localhost")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "redis", "migrations"}
    assert body["checks"]["migrations"]["tenant_schemas"] >= 1


def test_readyz__tenant_schema_behind__503_names_the_schema(client, acme):
    # Given a tenant schema that is missing a migration
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{acme.schema_name}".django_migrations WHERE app = %s', ["dashboard"])
    health._ready_cache.update(at=0.0, result=None)
    # Then readiness fails (a deploy would be rolled back) and says which schema
    response = client.get("/readyz", HTTP_HOST="localhost")
    assert response.status_code == 503
    assert acme.schema_name in response.json()["checks"]["migrations"]["tenant_schemas_behind"]


def test_readyz__redis_down__503_with_reason(client, platform, monkeypatch):
    def down():
        raise ConnectionError("connection refused")

    monkeypatch.setattr(health, "check_redis", down)
    health._ready_cache.update(at=0.0, result=None)
    response = client.get("/readyz", HTTP_HOST="localhost")
    assert response.status_code == 503
    assert "connection refused" in response.json()["checks"]["redis"]["error"]
