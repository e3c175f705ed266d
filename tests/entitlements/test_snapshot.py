"""The in-process snapshot: 3 queries to load, zero in the steady state, a Redis version check
at most once per interval, and changes seen by another process within a second."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from apps.entitlements import services, snapshot
from apps.entitlements.context import entitlements_for
from apps.entitlements.middleware import EntitlementMiddleware


@pytest.fixture
def many_features(feature, acme, partner, user_factory, committed):
    """20 features in every stage, with grants, an override and prerequisites."""
    ann = user_factory("ann@acme.test", tenant=acme)
    for i in range(20):
        stage = ("alpha", "beta", "ga", "beta")[i % 4]
        f = feature(f"mod{i}.thing", stage=stage, rollout_percentage=30 if stage == "beta" else 0)
        if i % 4 == 1:
            committed(services.grant_add, feature=f, tenant=acme)
        if i % 4 == 3:
            committed(services.grant_add, feature=f, user=ann)
    committed(
        services.feature_update, feature=services.Feature.objects.get(key="mod2.thing"), prerequisites=["mod1.thing"]
    )
    committed(services.override_set, feature=services.Feature.objects.get(key="mod6.thing"), tenant=acme, enabled=False)
    return ann


def test_load__features_grants_overrides_prerequisites__three_queries(many_features, acme):
    with CaptureQueriesContext(connection) as ctx:
        snap = snapshot.load()

    assert len(ctx.captured_queries) == 3
    assert len(snap.features) >= 20
    f2, f1, f6 = snap.features["mod2.thing"], snap.features["mod1.thing"], snap.features["mod6.thing"]
    assert f2.prerequisites == ("mod1.thing",)
    assert acme.pk in f1.tenants
    assert f6.overrides == {acme.pk: False}


def test_steady_state__checks_and_version_checks__zero_sql(many_features, acme):
    ann = many_features
    acme_tenant = type(acme).objects.get(pk=acme.pk)  # as the tenancy middleware loads it
    snapshot.refresh_if_stale()  # warm
    request = RequestFactory().get("/app/", HTTP_HOST="acme.localhost")
    request.user, request.tenant = ann, acme_tenant
    seen = []

    def view(req):
        seen.append(sorted(req.entitlements.enabled()))
        return None

    middleware = EntitlementMiddleware(view)
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(50):
            middleware(request)
        snapshot._state.last_check = 0.0  # interval elapsed: the Redis version is read again
        middleware(request)

    assert ctx.captured_queries == []
    assert "mod1.thing" in seen[0]  # tenant grant
    assert "mod3.thing" in seen[0]  # user grant
    assert "mod6.thing" not in seen[0]  # GA, but overridden off for acme
    assert "mod0.thing" not in seen[0]  # alpha


def test_refresh__many_requests_within_the_interval__one_redis_check(feature, monkeypatch, settings):
    settings.UEE_REFRESH_INTERVAL = 60
    feature("crm.kanban", stage="ga")
    snapshot.refresh_if_stale()
    calls = []
    real = snapshot.read_version
    monkeypatch.setattr(snapshot, "read_version", lambda: calls.append(1) or real())
    snapshot._state.last_check = 0.0

    for _ in range(100):
        snapshot.refresh_if_stale()

    assert len(calls) == 1


def test_refresh__version_bumped_elsewhere__reloaded_after_the_interval_only(feature, acme, settings):
    settings.UEE_REFRESH_INTERVAL = 60
    f = feature("crm.kanban", stage="beta")
    first = snapshot.refresh_if_stale()
    # Another process grants and bumps the version: this process did not see the write.
    services.Grant.objects.create(feature=f, target_type="tenant", tenant=acme)
    snapshot.bump_version()

    assert snapshot.refresh_if_stale() is first  # within the interval: no check yet
    snapshot._state.last_check -= 61

    fresh = snapshot.refresh_if_stale()
    assert fresh is not first
    assert acme.pk in fresh.features["crm.kanban"].tenants


def test_refresh__redis_unreadable__keeps_serving_the_snapshot(feature, monkeypatch):
    feature("crm.kanban", stage="ga")
    snap = snapshot.refresh_if_stale()

    def broken():
        raise ConnectionError("redis down")

    monkeypatch.setattr(snapshot, "read_version", broken)
    snapshot._state.last_check = 0.0

    assert snapshot.refresh_if_stale() is snap
    assert entitlements_for().is_on("crm.kanban") is True


# --------------------------------------------------------------------------- multi-process

POLLER = """
import sys, time
import django
django.setup()
from apps.entitlements import snapshot
from apps.entitlements.context import Entitlements
from apps.entitlements.engine import Context
key, last = sys.argv[1], None
deadline = time.monotonic() + 40
while time.monotonic() < deadline:
    on = Entitlements(Context(), snapshot.refresh_if_stale()).is_on(key)
    if on != last:
        print(("ON" if on else "OFF"), repr(time.time()), flush=True)
        last = on
    time.sleep(0.005)
"""


def _reader(proc) -> queue.Queue:
    lines: queue.Queue = queue.Queue()

    def pump():
        for line in proc.stdout:
            lines.put(line.strip())

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _next_state(lines: queue.Queue, timeout: float) -> tuple[str, float]:
    state, at = lines.get(timeout=timeout).split()
    return state, float(at)


def test_write_in_one_process__other_process__sees_it_within_one_second(transactional_db):
    from apps.tenancy.services import plans_ensure

    plans_ensure()
    f = services.feature_create(key="crm.kanban", stage="ga")  # autocommit: the version is bumped
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "BIZOSAAS_DB_NAME": connection.settings_dict["NAME"],
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", POLLER, "crm.kanban"],
        env=env,
        cwd=Path(settings.BASE_DIR),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = _reader(proc)
        try:
            assert _next_state(lines, 60)[0] == "ON"
        except queue.Empty:
            proc.kill()
            pytest.fail(f"poller did not start: {proc.stderr.read()[-3000:]}")

        killed_at = time.time()
        services.feature_kill(feature=f, reason="drill")
        state, seen_at = _next_state(lines, 5)
        assert state == "OFF"
        assert seen_at - killed_at < 1.0

        unkilled_at = time.time()
        services.feature_unkill(feature=f)
        state, seen_at = _next_state(lines, 5)
        assert state == "ON"
        assert seen_at - unkilled_at < 1.0
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_decision_memo__grant_expires_within_one_snapshot__next_request_sees_it_off(feature, acme, committed):
    import datetime as dt

    from django.utils import timezone

    from apps.entitlements.context import Entitlements, context_for

    f = feature("crm.kanban", stage="beta")
    expires = timezone.now() + dt.timedelta(minutes=5)
    committed(services.grant_add, feature=f, tenant=acme, expires_at=expires)
    snap = snapshot.refresh_if_stale()
    ctx = context_for(tenant=acme)

    before = Entitlements(ctx, snap, now=expires.timestamp() - 1)
    after = Entitlements(ctx, snap, now=expires.timestamp() + 1)

    assert before.is_on("crm.kanban") is True
    assert after.is_on("crm.kanban") is False
    assert after.explain("crm.kanban").rule == "beta_not_granted"


def test_decision_memo__same_context__answers_shared_between_requests(feature, acme):
    from apps.entitlements.context import Entitlements, context_for

    feature("crm.kanban", stage="ga")
    snap = snapshot.refresh_if_stale()
    first = Entitlements(context_for(tenant=acme), snap)
    first.is_on("crm.kanban")

    second = Entitlements(context_for(tenant=acme), snap)

    assert second._cache is first._cache
    assert second._cache["crm.kanban"] is True


def test_decision_memo__users_of_a_tenant__share_answers_unless_they_hold_a_user_grant(
    feature, acme, user_factory, committed
):
    from apps.entitlements.context import Entitlements, context_for

    f = feature("crm.kanban", stage="beta")
    ann, bob, cid = (user_factory(f"{n}@acme.test", tenant=acme) for n in ("ann", "bob", "cid"))
    committed(services.grant_add, feature=f, user=cid)
    snap = snapshot.refresh_if_stale()

    ann_ents, bob_ents, cid_ents = (Entitlements(context_for(user=u, tenant=acme), snap) for u in (ann, bob, cid))

    assert ann_ents.is_on("crm.kanban") is False
    assert bob_ents._cache is ann_ents._cache
    assert cid_ents.is_on("crm.kanban") is True
    assert bob_ents.is_on("crm.kanban") is False
