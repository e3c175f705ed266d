"""Request path of a logged-in dashboard page on a tenant host: GET /app/ on acme.localhost by a
tier-0 member (no MFA step), through the full middleware stack, with django.test.Client.

Passes, N requests each after a warm-up:
1. timing: wall time of client.get and the server time inside the handler (get_response);
2. middleware: every middleware class's __call__ and the handler's view step are wrapped with a
   timer; a middleware's self time is its inclusive time minus the time of what it wraps;
3. queries: CaptureQueriesContext per request, cross-checked by a connection.execute_wrapper
   counter (django-tenants runs SET search_path on the wrapped cursor, so both see it);
4. comparison: `/__bench__/noop/` on the same host (a view returning "ok", added by
   benchmarks/request_urls.py for this benchmark only: full middleware chain, no view work) and
   `/healthz` (answered by the first middleware, before tenant routing): the handler floor;
5. production-like: the test client disconnects close_old_connections from request_started /
   request_finished; a real server does not. Calling it around each request reproduces that,
   including the CONN_HEALTH_CHECKS probe (a SELECT 1 on the raw driver connection, invisible to
   Django's query capture; counted by wrapping connection.is_usable).

Settings are the dev settings with DEBUG=False, CONN_MAX_AGE=60, sessions in Redis.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

N = 200
WARMUP = 30
HOST = "acme.localhost"
PATH = "/app/"
EMAIL = "bench-member@example.test"
NOOP = "/__bench__/noop/"


def _fixture():
    from django.conf import settings

    from apps.accounts.models import Tier, User
    from apps.accounts.services import membership_set
    from apps.tenancy.models import Tenant
    from apps.tenancy.services import tenant_create

    slug = HOST.split(".")[0]
    if f"{slug}.{settings.BASE_DOMAIN}" != HOST:
        raise SystemExit(f"BASE_DOMAIN is {settings.BASE_DOMAIN!r}; the bench host {HOST} must be a tenant subdomain")
    tenant = Tenant.objects.filter(slug=slug).first() or tenant_create(name="Acme", slug=slug, plan="pro")
    user = User.objects.filter(email=EMAIL).first()
    if user is None:
        user = User.objects.create_user(email=EMAIL, password=None)
    user.tier = Tier.NONE
    user.save()
    membership_set(user=user, tenant=tenant, role="member")
    return tenant, user


def _teardown(tenant, user):
    from django.db import connection, transaction
    from django.db.utils import ProgrammingError

    connection.set_schema_to_public()
    schema = tenant.schema_name
    for obj in (user, tenant):  # the tenant row: auto_drop_schema is off, the schema is dropped below
        try:
            with transaction.atomic():
                obj.delete()
        except ProgrammingError:  # a referencing table is missing (an app without its migration)
            c.delete_rows_sql(obj._meta.db_table, [obj.pk])
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(schema)} CASCADE")


def _client(user):
    from django.test import Client

    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    return client


def _check(resp, path):
    if resp.status_code != 200:
        raise RuntimeError(f"{path}: unexpected status {resp.status_code}")


def _timing_pass(client, path, n):
    """Wall time of client.get, and server time (the handler's get_response) per request."""
    handler = client.handler
    server = []
    real = handler.get_response

    def timed(request):
        t0 = time.perf_counter()
        try:
            return real(request)
        finally:
            server.append(time.perf_counter() - t0)

    handler.get_response = timed
    wall = []
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            resp = client.get(path)
            wall.append(time.perf_counter() - t0)
            _check(resp, path)
    finally:
        del handler.get_response
    return c.summarize(wall), c.summarize(server)


def _middleware_pass(user, n):
    """Self time of every middleware class and of the view step, per request."""
    from django.conf import settings
    from django.test.client import ClientHandler
    from django.utils.module_loading import import_string

    totals: dict[str, list[float]] = defaultdict(list)
    current: dict[str, float] = defaultdict(float)
    stack: list[float] = []

    def wrap(func, name):
        def wrapped(*args, **kwargs):
            t0 = time.perf_counter()
            stack.append(0.0)
            try:
                return func(*args, **kwargs)
            finally:
                dt = time.perf_counter() - t0
                child = stack.pop()
                current[name] += dt - child
                if stack:
                    stack[-1] += dt

        wrapped.__wrapped__ = func
        return wrapped

    patched = []
    for dotted in settings.MIDDLEWARE:
        cls = import_string(dotted)
        orig = cls.__dict__.get("__call__")
        patched.append((cls, orig))
        resolved = getattr(cls.__call__, "__wrapped__", cls.__call__)
        cls.__call__ = wrap(resolved, dotted.rsplit(".", 1)[-1])
    orig_view = ClientHandler.__dict__.get("_get_response")
    ClientHandler._get_response = wrap(ClientHandler._get_response, "(view: resolve + view + template)")
    try:
        client = _client(user)  # new handler: loads the middleware chain with the wrappers in place
        for _ in range(10):
            client.get(PATH)
        current.clear()
        for _ in range(n):
            client.get(PATH)
            for name, v in current.items():
                totals[name].append(v)
            current.clear()
    finally:
        for cls, orig in patched:
            if orig is None:
                del cls.__call__
            else:
                cls.__call__ = orig
        if orig_view is None:
            del ClientHandler._get_response
        else:
            ClientHandler._get_response = orig_view
    order = [d.rsplit(".", 1)[-1] for d in settings.MIDDLEWARE] + ["(view: resolve + view + template)"]
    per = {name: c.summarize(totals[name]) for name in order if name in totals}
    mw_total = [sum(totals[name][i] for name in order[:-1] if name in totals) for i in range(n)]
    return per, c.summarize(mw_total)


def _origin():
    """Where a query comes from: the innermost project frame (apps/, config/, templates) or,
    failing that, the innermost library frame outside the database layer; and the phase
    ("view" when the handler's view step is on the stack, else "middleware")."""
    base = str(c.BASE_DIR)
    project = library = None
    phase = "middleware"
    f = sys._getframe(2)
    while f is not None:
        fn = f.f_code.co_filename
        if fn.endswith("django/core/handlers/base.py") and f.f_code.co_name == "_get_response":
            phase = "view"
        if project is None and fn.startswith(base) and "/.venv/" not in fn and "/benchmarks/" not in fn:
            project = f"{fn[len(base) + 1:]}:{f.f_lineno} {f.f_code.co_name}"
        if library is None and "/site-packages/" in fn and "/django/db/" not in fn and "/postgresql_backend/" not in fn:
            library = f"{fn.split('/site-packages/', 1)[1]}:{f.f_lineno} {f.f_code.co_name}"
        f = f.f_back
    return project or library or "?", phase


def _is_set(sql: str) -> bool:
    return sql.lstrip().upper().startswith("SET SEARCH_PATH")


def _query_pass(client, n):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts, sets, wrapper_counts, wrapper_sets, resolution = [], [], [], [], []
    example = None
    seen: list[tuple[str, str, str]] = []

    def counter(execute, sql, params, many, context):
        origin, phase = _origin()
        seen.append((sql, origin, phase))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        for _ in range(n):
            seen.clear()
            with CaptureQueriesContext(connection) as ctx:
                resp = client.get(PATH)
            _check(resp, PATH)
            q = ctx.captured_queries
            counts.append(len(q))
            sets.append(sum(1 for x in q if _is_set(x["sql"])))
            wrapper_counts.append(len(seen))
            wrapper_sets.append(sum(1 for sql, _, _ in seen if _is_set(sql)))
            resolution.append(sum(1 for sql, _, phase in seen if phase == "middleware" and not _is_set(sql)))
            if example is None:
                example = [
                    {"sql": x["sql"], "origin": o, "phase": ph, "ms": float(x["time"]) * 1000}
                    for x, (_, o, ph) in zip(q, seen, strict=False)
                ]
    return {
        "queries_per_request": {"min": min(counts), "max": max(counts)},
        "set_search_path_per_request": {"min": min(sets), "max": max(sets)},
        "execute_wrapper_queries": {"min": min(wrapper_counts), "max": max(wrapper_counts)},
        "execute_wrapper_set_search_path": {"min": min(wrapper_sets), "max": max(wrapper_sets)},
        "middleware_queries_per_request": {"min": min(resolution), "max": max(resolution)},
        "example_request_queries": example,
    }


def _production_like_pass(client, n):
    """close_old_connections around each request, as request_started / request_finished do in a
    real server; counts CONN_HEALTH_CHECKS probes and checks the SET count still holds."""
    from django.db import close_old_connections, connection
    from django.test.utils import CaptureQueriesContext

    probes = {"n": 0}
    real = connection.is_usable

    def counted():
        probes["n"] += 1
        return real()

    connection.is_usable = counted
    wall, counts, sets = [], [], []
    try:
        for _ in range(10):
            close_old_connections()
            client.get(PATH)
            close_old_connections()
        probes["n"] = 0
        for _ in range(n):
            t0 = time.perf_counter()
            close_old_connections()
            resp = client.get(PATH)
            close_old_connections()
            wall.append(time.perf_counter() - t0)
            _check(resp, PATH)
        probes_per_request = probes["n"] / n
        for _ in range(20):
            close_old_connections()
            with CaptureQueriesContext(connection) as ctx:
                client.get(PATH)
            close_old_connections()
            counts.append(len(ctx.captured_queries))
            sets.append(sum(1 for x in ctx.captured_queries if _is_set(x["sql"])))
    finally:
        del connection.is_usable
    return {
        "wall": c.summarize(wall),
        "health_check_probes_per_request": probes_per_request,
        "queries_per_request": {"min": min(counts), "max": max(counts)},
        "set_search_path_per_request": {"min": min(sets), "max": max(sets)},
    }


def _fresh_connection_request(client):
    """The first request after the connection was closed (a new process, or CONN_MAX_AGE expiry)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.close()
    with CaptureQueriesContext(connection) as ctx:
        client.get(PATH)
    q = [x["sql"] for x in ctx.captured_queries]
    return {"queries": len(q), "set_search_path": sum(1 for s in q if _is_set(s)), "sql": q}


def run() -> dict:
    c.setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.ROOT_URLCONF = "request_urls"  # tenant URLs + the no-op view (benchmarks/request_urls.py)

    started = time.perf_counter()
    c.log(f"[request] fixture: tenant {HOST}, tier-0 member {EMAIL}")
    tenant, user = _fixture()
    result: dict = {
        "n": N,
        "warmup": WARMUP,
        "host": HOST,
        "path": PATH,
        "debug": settings.DEBUG,
        "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
        "session_engine": settings.SESSION_ENGINE,
        "middleware": [m.rsplit(".", 1)[-1] for m in settings.MIDDLEWARE],
    }
    try:
        client = _client(user)
        resp = client.get(PATH)
        if resp.status_code != 200:
            raise RuntimeError(f"GET {PATH} on {HOST} answered {resp.status_code}, expected 200")
        for _ in range(WARMUP):
            client.get(PATH)

        c.log(f"[request] timing {N} x GET {PATH}")
        result["wall"], result["server"] = _timing_pass(client, PATH, N)
        c.log(f"    server p50 {c.ms(result['server']['p50'])}  p95 {c.ms(result['server']['p95'])}")

        c.log(f"[request] timing {N} x GET {NOOP} (no-op view, full middleware) and /healthz (first middleware only)")
        for _ in range(WARMUP):
            client.get(NOOP)
            client.get("/healthz")
        result["noop_wall"], result["noop_server"] = _timing_pass(client, NOOP, N)
        result["healthz_wall"], result["healthz_server"] = _timing_pass(client, "/healthz", N)
        c.log(f"    {NOOP} p50 {c.ms(result['noop_server']['p50'])}, /healthz p50 {c.ms(result['healthz_server']['p50'])}")
        with CaptureQueriesContext(connection) as ctx:
            client.get(NOOP)
        result["noop_queries"] = len(ctx.captured_queries)

        c.log(f"[request] per-middleware timers over {N} requests")
        result["middleware_self"], result["middleware_total"] = _middleware_pass(user, N)
        c.log(f"    middleware total p50 {c.ms(result['middleware_total']['p50'])}")

        c.log(f"[request] query capture over {N} requests")
        result["queries"] = _query_pass(client, N)
        q = result["queries"]
        c.log(f"    {q['queries_per_request']} queries, SET search_path {q['set_search_path_per_request']}")

        c.log(f"[request] production-like: close_old_connections around {N} requests")
        result["production_like"] = _production_like_pass(client, N)
        c.log(f"    p50 {c.ms(result['production_like']['wall']['p50'])}, "
              f"{result['production_like']['health_check_probes_per_request']:.2f} health-check probes per request")

        result["fresh_connection"] = _fresh_connection_request(client)
    finally:
        connection.set_schema_to_public()
        _teardown(tenant, user)
    q = result["queries"]
    result["target_resolution_le_2"] = q["middleware_queries_per_request"]["max"] <= 2
    result["target_one_set_search_path"] = q["set_search_path_per_request"] == {"min": 1, "max": 1}
    result["seconds"] = time.perf_counter() - started
    return result


def report(r: dict) -> list[str]:
    q = r["queries"]
    pl = r["production_like"]
    lines = [
        f"Request path: GET {r['path']} on {r['host']} (tier-0 member; N={r['n']}; DEBUG={r['debug']})",
        f"  {'':<44} {'p50':>9} {'p95':>9}",
        f"  {'server time (handler get_response)':<44} {c.ms(r['server']['p50']):>9} {c.ms(r['server']['p95']):>9}",
        f"  {'client wall time':<44} {c.ms(r['wall']['p50']):>9} {c.ms(r['wall']['p95']):>9}",
        f"  {'middleware self time (sum of all classes)':<44} {c.ms(r['middleware_total']['p50']):>9} {c.ms(r['middleware_total']['p95']):>9}",
        f"  {'GET ' + NOOP + ' (no-op view), server':<44} {c.ms(r['noop_server']['p50']):>9} {c.ms(r['noop_server']['p95']):>9}"
        f"   ({r['noop_queries']} SQL incl. SET)",
        f"  {'GET /healthz (no tenant routing), server':<44} {c.ms(r['healthz_server']['p50']):>9} {c.ms(r['healthz_server']['p95']):>9}",
        f"  {'production-like (close_old_connections)':<44} {c.ms(pl['wall']['p50']):>9} {c.ms(pl['wall']['p95']):>9}",
        f"  SQL per request: {q['queries_per_request']['min']}–{q['queries_per_request']['max']} "
        f"(execute_wrapper agrees: {q['execute_wrapper_queries']['min']}–{q['execute_wrapper_queries']['max']}); "
        f"SET search_path: {q['set_search_path_per_request']['min']}–{q['set_search_path_per_request']['max']}; "
        f"queries before the view (tenant + user resolution): {q['middleware_queries_per_request']['max']}",
        f"  production-like adds {pl['health_check_probes_per_request']:.2f} CONN_HEALTH_CHECKS probe (raw SELECT 1) per request",
        f"  targets: resolution <= 2 queries {'met' if r['target_resolution_le_2'] else 'MISSED'}; "
        f"exactly one SET search_path {'met' if r['target_one_set_search_path'] else 'MISSED'}",
        "  middleware self time p50:",
    ]
    for name, s in r["middleware_self"].items():
        lines.append(f"    {name:<40} {c.ms(s['p50']):>9}")
    lines.append("  queries of one request:")
    for i, x in enumerate(q["example_request_queries"], 1):
        sql = x["sql"]
        lines.append(f"    {i}. [{x['phase']}] {x['origin']}")
        lines.append(f"       {sql[:140]}{'…' if len(sql) > 140 else ''}")
    return lines


if __name__ == "__main__":
    c.use_bench_env()
    res = c.main_standalone(run)
    print("\n".join(report(res)))
