"""Liveness and readiness checks, used by the deploy pipeline as rollback triggers."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection

_ready_cache: dict = {"at": 0.0, "result": None}


def check_database() -> dict:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2)}


def check_redis() -> dict:
    started = time.perf_counter()
    client = cache._cache.get_client(write=True)  # the underlying redis-py client
    client.ping()
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2)}


def check_migrations() -> dict:
    from apps.tenancy.models import Tenant
    from apps.tenancy.schema_template import applied_migrations, expected_leaf_migrations, pending_schemas

    expected = expected_leaf_migrations()
    public_applied = applied_migrations(["public"])["public"]
    # Public applies every app's migrations; tenant schemas are checked against the same leaves.
    public_pending = sorted(f"{a}.{n}" for a, n in expected - public_applied)
    schemas = list(Tenant.objects.exclude(schema_name="public").values_list("schema_name", flat=True))
    behind = pending_schemas(schemas)
    return {
        "ok": not public_pending and not behind,
        "public_pending": public_pending,
        "tenant_schemas": len(schemas),
        "tenant_schemas_behind": behind[:20],
    }


def readiness(max_age: float = 5.0) -> dict:
    now = time.monotonic()
    if _ready_cache["result"] is not None and now - _ready_cache["at"] < max_age and _ready_cache["result"]["ok"]:
        return _ready_cache["result"]
    checks = {}
    for name, fn in (("database", check_database), ("redis", check_redis), ("migrations", check_migrations)):
        try:
            checks[name] = fn()
        except Exception as exc:  # a readiness probe reports failures, it does not raise them
            checks[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result = {
        "ok": all(c["ok"] for c in checks.values()),
        "checks": checks,
        "version": settings.SPECTACULAR_SETTINGS["VERSION"],
    }
    _ready_cache.update(at=now, result=result)
    return result
