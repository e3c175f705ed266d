"""Unified Entitlement Engine: cost of a check, of evaluating every feature for a request, of the
middleware, and SQL per request — against django-waffle measured in the same run.

    .venv/bin/python benchmarks/bench_entitlements.py [--json PATH] [--no-prepare]

Fixture: 100 features `bench.f000`…`bench.f099` (alpha, beta with grants and a 30 % rollout,
GA, a few killed, retired, or with prerequisites), a bench tenant on the pro plan managed by a
bench partner, and a tier-0 member. Feature rows are bulk-inserted (a fixture, not audited
privileged actions) and removed afterwards; the tenant goes with the shared bench clean-up.

Measurements (p50 over batches; per-call time = batch time / calls in the batch):
1. one check: engine.decide() on each decision path; the headline is the slowest common path
   (beta, no grant, rollout lookup), plus `request.entitlements.is_on()` first and memoised ask;
2. all 100 features evaluated for one request (a fresh Entitlements, every key asked once);
3. the middleware's own time per request (RequestFactory request with user and tenant, a no-op
   view): steady state, and with the Redis version check forced on every call (worst case);
4. SQL queries per request (CaptureQueriesContext), steady state and with version checks;
5. django-waffle 5 in a child process (benchmarks/settings_waffle.py adds it to INSTALLED_APPS;
   its tables are created inside a transaction that is rolled back): `flag_is_active` for a
   user-targeted flag with a warm cache (the project's default cache, Redis, and an in-process
   LocMemCache) and for a group-targeted flag.

Targets: one check <= 1 µs p50 and >= 10x faster than waffle's warm check; 100 features
<= 30 µs; 0 queries.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

N_FEATURES = 100
KEY_PREFIX = "bench.f"
SLUG = "bench-uee"
MEMBER_EMAIL = "bench-uee-member@example.test"
PARTNER_EMAIL = "bench-uee-partner@example.test"
BATCHES = 300
INNER = 1000


def _key(i: int) -> str:
    return f"{KEY_PREFIX}{i:03d}"


# --------------------------------------------------------------------------- fixture


def _fixture():
    from django.db import transaction

    from apps.accounts.models import Tier, User
    from apps.accounts.services import membership_set
    from apps.entitlements import snapshot
    from apps.entitlements.models import Feature, Grant, TenantOverride
    from apps.tenancy.models import Plan, Tenant
    from apps.tenancy.services import tenant_create

    _remove_features()
    partner = User.objects.filter(email=PARTNER_EMAIL).first() or User.objects.create_user(PARTNER_EMAIL, None)
    partner.tier = Tier.PARTNER
    partner.save()
    member = User.objects.filter(email=MEMBER_EMAIL).first() or User.objects.create_user(MEMBER_EMAIL, None)
    tenant = Tenant.objects.filter(slug=SLUG).first() or tenant_create(
        name="Bench UEE", slug=SLUG, plan="pro", partner=partner
    )
    membership_set(user=member, tenant=tenant, role="member")
    pro = Plan.objects.get(code="pro")

    stages = ["alpha"] * 25 + ["beta"] * 35 + ["ga"] * 35 + ["retired"] * 5
    with transaction.atomic():
        Feature.objects.bulk_create(
            [
                Feature(
                    key=_key(i),
                    name=f"Bench feature {i}",
                    stage=stages[i],
                    killed=i % 17 == 0,
                    rollout_percentage=30 if stages[i] == "beta" else 0,
                )
                for i in range(N_FEATURES)
            ]
        )
        by_key = {f.key: f for f in Feature.objects.filter(key__startswith=KEY_PREFIX)}
        grants = []
        for n, i in enumerate(range(25, 60)):  # the beta features
            f = by_key[_key(i)]
            kind = n % 5
            if kind == 0:
                grants.append(Grant(feature=f, target_type="tenant", tenant=tenant))
            elif kind == 1:
                grants.append(Grant(feature=f, target_type="partner", partner=partner))
            elif kind == 2:
                grants.append(Grant(feature=f, target_type="tier", plan=pro))
            elif kind == 3:
                grants.append(Grant(feature=f, target_type="user", user=member))
            # kind 4: no grant — decided by the rollout percentage
        Grant.objects.bulk_create(grants)
        TenantOverride.objects.create(feature=by_key[_key(70)], tenant=tenant, enabled=False)
        through = Feature.prerequisites.through
        through.objects.bulk_create(
            [through(from_feature=by_key[_key(i)], to_feature=by_key[_key(i - 1)]) for i in range(61, 71)]
        )
    snapshot.bump_version()
    return tenant, member


def _remove_features():
    from apps.entitlements.models import Feature

    Feature.objects.filter(key__startswith=KEY_PREFIX).delete()


def _teardown():
    """Remove the bench features. The bench tenant (slug `bench-…`) is left to the shared
    clean-up of bench tenants (run before every `make bench`), and the two bench users are
    reused by the next run: deleting them would cascade into every app's tables."""
    from django.db import connection

    from apps.entitlements import snapshot

    connection.set_schema_to_public()
    _remove_features()
    snapshot.bump_version()


# --------------------------------------------------------------------------- timing helpers


def _per_call(loop, inner: int = INNER, batches: int = BATCHES) -> dict:
    """`loop(inner)` runs the measured call `inner` times; returns per-call statistics."""
    loop(inner)  # warm
    samples = []
    for _ in range(batches):
        t0 = time.perf_counter()
        loop(inner)
        samples.append((time.perf_counter() - t0) / inner)
    return c.summarize(samples)


def _decide_loop(feature, ctx, features, now):
    from apps.entitlements.engine import decide

    def loop(n):
        for _ in range(n):
            decide(feature, ctx, features, now)

    return loop


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.3f} µs"


# --------------------------------------------------------------------------- our measurements


def _ours(tenant, member) -> dict:
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from apps.entitlements import snapshot
    from apps.entitlements.context import Entitlements, context_for
    from apps.entitlements.engine import decide
    from apps.entitlements.middleware import EntitlementMiddleware
    from apps.tenancy.models import Tenant

    result: dict = {"n_features": N_FEATURES}
    snapshot.reset()
    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as ctx_q:
        snap = snapshot.load()
    result["snapshot_load"] = {"seconds": time.perf_counter() - t0, "queries": len(ctx_q.captured_queries)}
    loads = []
    for _ in range(20):
        t0 = time.perf_counter()
        snapshot.load()
        loads.append(time.perf_counter() - t0)
    result["snapshot_load"]["p50"] = c.summarize(loads)["p50"]

    tenant = Tenant.objects.get(pk=tenant.pk)  # as the tenancy middleware loads it (no plan joined)
    ctx = context_for(user=member, tenant=tenant)
    features = snap.features
    now = time.time()
    keys = sorted(k for k in features if k.startswith(KEY_PREFIX))
    if len(keys) != N_FEATURES:
        raise RuntimeError(f"expected {N_FEATURES} bench features in the snapshot, found {len(keys)}")

    # 1. one check, per decision path
    def first_with(rule: str) -> str:
        for k in keys:
            if decide(features[k], ctx, features, now)[1] == rule:
                return k
        raise RuntimeError(f"no bench feature decided by {rule}")

    paths = {
        "killed": "killed",
        "ga": "ga",
        "alpha (not staff)": "alpha_only",
        "beta, tenant grant": "grant_tenant",
        "beta, tier grant": "grant_tier",
        "beta, no grant → rollout lookup": "beta_not_granted",
        "prerequisite off": "prerequisite_off",
        "override off": "override_off",
    }
    path_keys = {}
    for label, rule in paths.items():
        try:
            path_keys[label] = first_with(rule)
        except RuntimeError:
            if rule == "beta_not_granted":  # every no-grant tenant fell inside the rollout
                path_keys[label] = first_with("rollout")
            else:
                raise
    c.log("[entitlements] one check, per decision path")
    result["check_paths"] = {}
    for label, key in path_keys.items():
        s = _per_call(_decide_loop(features[key], ctx, features, now))
        result["check_paths"][label] = {"key": key, **s}
        c.log(f"    {label:<36} p50 {us(s['p50'])}")
    headline = "beta, no grant → rollout lookup"
    result["check"] = result["check_paths"][headline] | {"path": headline}
    every = [_per_call(_decide_loop(features[k], ctx, features, now), batches=30)["p50"] for k in keys]
    result["check_median_over_all_features"] = c.summarize(every)["p50"]

    key = path_keys[headline]

    def first_ask(n):
        for _ in range(n):
            snap.memo = {}  # no shared answers: the first request of a context after a change
            Entitlements(ctx, snap, now).is_on(key)

    ents = Entitlements(ctx, snap, now)

    def memoised(n):
        is_on = ents.is_on
        for _ in range(n):
            is_on(key)

    result["check_first_ask"] = _per_call(first_ask)
    result["check_memoised"] = _per_call(memoised)
    c.log(
        f"    request.entitlements.is_on: first ask p50 {us(result['check_first_ask']['p50'])}, "
        f"memoised p50 {us(result['check_memoised']['p50'])}"
    )

    # 2. every feature for one request: cold (nothing decided yet for this context in this
    # snapshot), cold in one bulk call, and warm (a later request of the same user and tenant)
    def all_cold(n):
        for _ in range(n):
            snap.memo = {}
            e = Entitlements(ctx, snap, now)
            for k in keys:
                e.is_on(k)

    def all_cold_bulk(n):
        for _ in range(n):
            snap.memo = {}
            Entitlements(ctx, snap, now).all()

    def all_warm(n):
        for _ in range(n):
            e = Entitlements(ctx, snap, now)
            for k in keys:
                e.is_on(k)

    result["all_features"] = _per_call(all_cold, inner=100, batches=300)
    result["all_features_bulk"] = _per_call(all_cold_bulk, inner=100, batches=300)
    result["all_features_warm"] = _per_call(all_warm, inner=100, batches=300)
    c.log(
        f"[entitlements] all {N_FEATURES} features for one request p50: cold {us(result['all_features']['p50'])}, "
        f"cold bulk {us(result['all_features_bulk']['p50'])}, warm {us(result['all_features_warm']['p50'])}"
    )

    # 3. the middleware's own time
    request = RequestFactory().get("/app/", HTTP_HOST=f"{SLUG}.localhost")
    request.user, request.tenant = member, tenant
    middleware = EntitlementMiddleware(lambda r: None)
    snapshot.refresh_if_stale()

    def mw(n):
        for _ in range(n):
            middleware(request)

    def mw_checked(n):
        state = snapshot._state
        for _ in range(n):
            state.last_check = 0.0
            middleware(request)

    result["middleware"] = _per_call(mw, inner=200, batches=300)
    result["middleware_with_version_check"] = _per_call(mw_checked, inner=20, batches=100)
    result["refresh_interval"] = snapshot._interval()
    c.log(
        f"[entitlements] middleware p50 {us(result['middleware']['p50'])} "
        f"(with a Redis version check on every call: {us(result['middleware_with_version_check']['p50'])})"
    )

    # 4. SQL per request
    def view(req):
        for k in keys:
            req.entitlements.is_on(k)

    evaluating = EntitlementMiddleware(view)
    with CaptureQueriesContext(connection) as steady:
        for _ in range(500):
            evaluating(request)
    with CaptureQueriesContext(connection) as checked:
        for _ in range(50):
            snapshot._state.last_check = 0.0
            evaluating(request)
    result["queries"] = {
        "steady_requests": 500,
        "steady_queries": len(steady.captured_queries),
        "version_checked_requests": 50,
        "version_checked_queries": len(checked.captured_queries),
    }
    c.log(
        f"[entitlements] SQL: {result['queries']['steady_queries']} queries over 500 requests "
        f"(every feature evaluated), {result['queries']['version_checked_queries']} over 50 with a version check"
    )

    # propagation inside this process after a bump elsewhere: next check after the interval
    return result


# --------------------------------------------------------------------------- waffle peer


def _waffle_peer() -> dict:
    """Runs in the child process with benchmarks.settings_waffle."""
    import django
    from django.conf import settings

    django.setup()
    if settings.DATABASES["default"]["NAME"] != c.BENCH_DB:
        raise SystemExit("refusing to run the waffle peer outside the bench database")
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from waffle import flag_is_active
    from waffle.models import Flag, Sample, Switch

    from apps.accounts.models import User

    out: dict = {"waffle": _dist_version("django-waffle")}
    suffix = os.getpid()
    with transaction.atomic():
        existing = set(connection.introspection.table_names())
        with connection.schema_editor() as editor:
            for model in (Flag, Switch, Sample):
                if model._meta.db_table not in existing:
                    editor.create_model(model)
        user = User.objects.create_user(f"bench-waffle-{suffix}@example.test", None)
        group = Group.objects.create(name=f"bench-waffle-{suffix}")
        user.groups.add(group)
        user_flag = Flag.objects.create(name=f"bench_user_{suffix}", everyone=None)
        user_flag.users.add(user)
        group_flag = Flag.objects.create(name=f"bench_group_{suffix}", everyone=None)
        group_flag.groups.add(group)
        user = User.objects.get(pk=user.pk)  # fresh: no cached groups
        request = RequestFactory().get("/")
        request.user = user

        def loop_for(name):
            def loop(n):
                for _ in range(n):
                    flag_is_active(request, name)

            return loop

        for cache_name in ("default", "waffle_local"):
            settings.WAFFLE_CACHE_NAME = cache_name
            for name, label in ((user_flag.name, "user"), (group_flag.name, "group")):
                if not flag_is_active(request, name):
                    raise RuntimeError(f"waffle flag {label} is not active for the bench user")
                inner, batches = (200, 60) if label == "user" else (50, 40)
                s = _per_call(loop_for(name), inner=inner, batches=batches)
                with CaptureQueriesContext(connection) as q:
                    for _ in range(20):
                        flag_is_active(request, name)
                s["queries_per_check"] = len(q.captured_queries) / 20
                out[f"{label}_{cache_name}"] = s
        settings.WAFFLE_CACHE_NAME = "default"
        user_flag.flush()
        group_flag.flush()
        transaction.set_rollback(True)
    return out


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _run_waffle_peer(timeout: float = 120.0) -> dict:
    with tempfile.TemporaryDirectory(prefix="bzbench-waffle-") as tmp:
        out = Path(tmp) / "waffle.json"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.settings_waffle"}
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(c.BASE_DIR), str(c.BENCH_DIR), env.get("PYTHONPATH", "")) if p
        )
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--waffle-peer", "--json", str(out)],
            cwd=c.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if proc.returncode != 0 or not out.exists():
            return {"error": f"waffle peer failed (exit {proc.returncode}): {proc.stderr[-2000:]}"}
        return json.loads(out.read_text())


# --------------------------------------------------------------------------- entry points


def run() -> dict:
    c.setup_django()
    from django.db import connection

    started = time.perf_counter()
    c.log(f"[entitlements] fixture: {N_FEATURES} features, tenant {SLUG}, a member and a partner")
    tenant, member = _fixture()
    try:
        result = _ours(tenant, member)
    finally:
        connection.set_schema_to_public()
        _teardown()

    c.log("[entitlements] django-waffle peer (child process, benchmarks.settings_waffle)")
    result["peer"] = peer = _run_waffle_peer()
    ours = result["check"]["p50"]
    if "error" in peer:
        c.log(f"    {peer['error']}")
    else:
        result["ratio_waffle_warm_vs_ours"] = c.ratio(peer["user_default"]["p50"], ours)
        result["ratio_waffle_locmem_vs_ours"] = c.ratio(peer["user_waffle_local"]["p50"], ours)
        result["ratio_waffle_group_vs_ours"] = c.ratio(peer["group_default"]["p50"], ours)
        c.log(
            f"    waffle user flag, warm Redis cache p50 {us(peer['user_default']['p50'])}; "
            f"warm LocMemCache p50 {us(peer['user_waffle_local']['p50'])}; "
            f"group flag p50 {us(peer['group_default']['p50'])}"
        )
        c.log(
            f"    ratio waffle warm check / our check: {result['ratio_waffle_warm_vs_ours']:.0f}x "
            f"(LocMemCache: {result['ratio_waffle_locmem_vs_ours']:.0f}x)"
        )
    result["targets"] = {
        "check_le_1us": ours <= 1e-6,
        "check_10x_faster_than_waffle_warm": bool(result.get("ratio_waffle_warm_vs_ours", 0) >= 10),
        "check_10x_faster_than_waffle_locmem": bool(result.get("ratio_waffle_locmem_vs_ours", 0) >= 10),
        "all_features_le_30us": result["all_features"]["p50"] <= 30e-6,
        "all_features_warm_le_30us": result["all_features_warm"]["p50"] <= 30e-6,
        "zero_queries": result["queries"]["steady_queries"] == 0 and result["queries"]["version_checked_queries"] == 0,
    }
    result["seconds"] = time.perf_counter() - started
    return result


def report(r: dict) -> list[str]:
    t = r["targets"]
    lines = [
        f"Entitlements: {r['n_features']} features; p50 per call",
        f"  one check (engine, {r['check']['path']}): {us(r['check']['p50'])} (p95 {us(r['check']['p95'])})",
    ]
    for label, s in r["check_paths"].items():
        lines.append(f"    {label:<36} {us(s['p50']):>12}")
    lines += [
        f"  median single check over all {r['n_features']} features: {us(r['check_median_over_all_features'])}",
        f"  request.entitlements.is_on: first ask {us(r['check_first_ask']['p50'])}, memoised {us(r['check_memoised']['p50'])}",
        f"  all {r['n_features']} features for one request, cold (first request of a context after a change): "
        f"{us(r['all_features']['p50'])} (p95 {us(r['all_features']['p95'])}); in one bulk call "
        f"{us(r['all_features_bulk']['p50'])}; warm (later requests of that user on that tenant) "
        f"{us(r['all_features_warm']['p50'])}",
        f"  middleware per request: {us(r['middleware']['p50'])} (p95 {us(r['middleware']['p95'])}); "
        f"with a Redis version check: {us(r['middleware_with_version_check']['p50'])} "
        f"(at most one per {r['refresh_interval'] * 1000:.0f} ms per process)",
        f"  SQL: {r['queries']['steady_queries']} queries over {r['queries']['steady_requests']} requests; "
        f"{r['queries']['version_checked_queries']} over {r['queries']['version_checked_requests']} with a version check",
        f"  snapshot load (after a change): {r['snapshot_load']['queries']} queries, p50 {c.ms(r['snapshot_load']['p50'])}",
    ]
    peer = r.get("peer", {})
    if "error" in peer:
        lines.append(f"  django-waffle peer: {peer['error'][:300]}")
    elif peer:
        lines += [
            f"  django-waffle {peer.get('waffle')}: flag_is_active, user-targeted flag, warm cache",
            f"    default cache (Redis): {us(peer['user_default']['p50'])}  -> ours is {r['ratio_waffle_warm_vs_ours']:.0f}x faster",
            f"    LocMemCache:           {us(peer['user_waffle_local']['p50'])}  -> ours is {r['ratio_waffle_locmem_vs_ours']:.0f}x faster",
            f"    group-targeted flag:   {us(peer['group_default']['p50'])} ({peer['group_default']['queries_per_check']:.0f} SQL query per check)"
            f"  -> ours is {r['ratio_waffle_group_vs_ours']:.0f}x faster",
        ]
    lines.append(
        "  targets: check <= 1 µs {}; >= 10x waffle warm {} (LocMemCache {}); 100 features <= 30 µs cold {}, "
        "warm {}; 0 queries {}".format(
            *(
                "met" if t[k] else "MISSED"
                for k in (
                    "check_le_1us",
                    "check_10x_faster_than_waffle_warm",
                    "check_10x_faster_than_waffle_locmem",
                    "all_features_le_30us",
                    "all_features_warm_le_30us",
                    "zero_queries",
                )
            )
        )
    )
    return lines


if __name__ == "__main__":
    if "--waffle-peer" in sys.argv:
        c.use_bench_env()
        os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings_waffle"
        peer_result = _waffle_peer()
        out_path = sys.argv[sys.argv.index("--json") + 1]
        Path(out_path).write_text(json.dumps(peer_result, indent=2, default=str))
        sys.exit(0)
    c.use_bench_env()
    res = c.main_standalone(run)
    print("\n".join(report(res)))
