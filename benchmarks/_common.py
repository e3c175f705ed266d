"""Shared set-up for the benchmarks: environment, Django start-up, statistics, clean-up.

Every benchmark runs against a SEPARATE database (`bizosaas_bench`) and separate Redis logical
databases, so the development data is never touched. `use_bench_env()` must run before Django
is imported; `setup_django()` refuses to continue if settings do not point at the bench
database (for example because DATABASE_URL was set in the environment or in `.env`).
"""

from __future__ import annotations

import fcntl
import hashlib
import inspect
import json
import math
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent

BENCH_DB = "bizosaas_bench"
BENCH_ENV = {
    "BIZOSAAS_DB_NAME": BENCH_DB,
    "CACHE_PREFIX": "bzbench",
    "REDIS_DB_CACHE": "50",
    "REDIS_DB_BROKER": "51",
    "DJANGO_SETTINGS_MODULE": "config.settings.dev",
    "LOG_LEVEL": "ERROR",
    # Production-like request handling (no debug cursor, no debug pages). Query capture in the
    # request benchmark forces the debug cursor explicitly where it is needed.
    "DEBUG": "False",
    "PYTHONPATH": os.pathsep.join(p for p in (str(BASE_DIR), os.environ.get("PYTHONPATH", "")) if p),
}

# Every tenant and schema a benchmark makes starts with these, so clean-up never touches
# anything else (and the bench database holds nothing else of value anyway).
SLUG_PREFIX = "bench-"
SCHEMA_PREFIX = "t_bench"


def use_bench_env() -> None:
    """Force the bench environment (forced, not defaulted: a stray BIZOSAAS_DB_NAME must not
    point the clean-up at the development database)."""
    os.environ.update(BENCH_ENV)
    # An external server would not be the bench database; the embedded one is used instead.
    for var in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(var, None)
    for p in (str(BASE_DIR), str(BENCH_DIR)):
        if p not in sys.path:
            sys.path.insert(0, p)
    warnings.filterwarnings("ignore", message="No directory at")


_django_ready = False


def setup_django() -> None:
    global _django_ready
    if _django_ready:
        return
    use_bench_env()
    import django

    django.setup()
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["NAME"] != BENCH_DB or not getattr(settings, "EMBEDDED_POSTGRES", False):
        raise SystemExit(
            f"refusing to run: settings point at database {db['NAME']!r} "
            f"(embedded={getattr(settings, 'EMBEDDED_POSTGRES', None)}), not the embedded {BENCH_DB!r}. "
            "Is DATABASE_URL set in .env?"
        )
    _django_ready = True


def prepare_database(verbosity: int = 0, log=None) -> None:
    """Bring the bench database up to date, then the plans and the platform tenant.

    Order matters: bench tenants left by an interrupted run are removed BEFORE the tenant
    schemas are migrated (a new migration would otherwise be applied to every leftover schema,
    which takes minutes for a fleet of hundreds). Removing them needs the public schema to be
    current (the ORM cascades to every table that references a tenant), so: public first, then
    the clean-up, then `manage.py migrate` (tenant schemas that are behind + the template).
    Each step runs `manage.py` in a child process, as an operator would."""
    import subprocess

    use_bench_env()
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    env = os.environ.copy()
    subprocess.run([*manage, "migrate_schemas", "--shared", "--noinput", f"--verbosity={verbosity}"],
                   check=True, cwd=BASE_DIR, env=env)
    cleanup_bench_tenants(log=log or (lambda m: None))
    from django.db import connection

    connection.close()
    subprocess.run([*manage, "migrate", "--noinput", f"--verbosity={verbosity}"], check=True, cwd=BASE_DIR, env=env)
    from apps.tenancy.services import plans_ensure, platform_tenant_ensure

    plans_ensure()
    platform_tenant_ensure()


def ensure_ready() -> None:
    """For a module run on its own: migrate + plans + platform tenant."""
    prepare_database()


# --------------------------------------------------------------------------- clean-up


def cleanup_bench_tenants(log=print) -> dict:
    """Delete every bench tenant row (domains and memberships cascade) and drop every bench
    schema, including orphans left by an interrupted run."""
    setup_django()
    from django.db import connection

    from apps.tenancy.models import Tenant

    started = time.perf_counter()
    connection.set_schema_to_public()
    ids = list(
        Tenant.objects.filter(slug__startswith=SLUG_PREFIX).exclude(schema_name="public").values_list("id", flat=True)
    )
    delete_tenants(ids, log=log)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s ORDER BY nspname",
            [SCHEMA_PREFIX.replace("_", r"\_") + "%"],
        )
        schemas = [r[0] for r in cursor.fetchall()]
    drop_schemas(schemas)
    took = time.perf_counter() - started
    if ids or schemas:
        log(f"  clean-up: {len(ids)} bench tenant rows deleted, {len(schemas)} schemas dropped in {took:.1f}s")
    return {"rows": len(ids), "schemas": len(schemas), "seconds": took}


def delete_tenants(ids: list[int], log=print) -> None:
    """Delete tenant rows with the ORM cascade; if a referencing table is missing (an app whose
    migration does not exist yet), fall back to SQL over the tables that do exist."""
    from django.db import connection, transaction
    from django.db.utils import ProgrammingError

    from apps.tenancy.models import Tenant

    if not ids:
        return
    connection.set_schema_to_public()
    try:
        for i in range(0, len(ids), 200):
            with transaction.atomic():
                Tenant.objects.filter(id__in=ids[i : i + 200]).delete()
    except ProgrammingError as exc:
        log(f"  clean-up: ORM cascade failed ({str(exc).splitlines()[0]}); deleting with SQL")
        _delete_tenants_sql(ids)


def drop_schemas(names: list[str], per_transaction: int = 8) -> None:
    """DROP SCHEMA ... CASCADE, a few per transaction: a tenant schema holds dozens of relations
    and dropping many in one transaction exhausts max_locks_per_transaction, while one commit
    per schema is slow on a busy disk. A batch that runs out of lock slots is retried one by one."""
    from django.db import OperationalError, connection, transaction

    connection.set_schema_to_public()
    q = connection.ops.quote_name
    for i in range(0, len(names), per_transaction):
        batch = names[i : i + per_transaction]
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                for name in batch:
                    cursor.execute(f"DROP SCHEMA IF EXISTS {q(name)} CASCADE")
        except OperationalError:
            for name in batch:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(f"DROP SCHEMA IF EXISTS {q(name)} CASCADE")


def _delete_tenants_sql(ids: list[int]) -> None:
    from apps.tenancy.models import Tenant

    delete_rows_sql(Tenant._meta.db_table, ids)


def delete_rows_sql(table: str, ids: list[int]) -> None:
    """Delete rows of a public table by primary key, and what references them (three levels
    deep), with plain SQL: for when the ORM cascade cannot run because a model's table is
    missing (an app whose migration does not exist yet)."""
    from django.db import connection, transaction

    def referencing(target: str) -> list[tuple[str, str, str | None]]:
        """(table, fk column, table's primary-key column) of every FK pointing at `target`."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT con.conrelid::regclass::text, a.attname FROM pg_constraint con "
                "JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1] "
                "WHERE con.contype = 'f' AND con.confrelid = %s::regclass",
                [f"public.{connection.ops.quote_name(target)}"],
            )
            fks = cursor.fetchall()
            out = []
            for rel, col in fks:
                cursor.execute(
                    "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                    "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary",
                    [rel],
                )
                pk = cursor.fetchone()
                out.append((rel, col, pk[0] if pk else None))
            return out

    def delete(target: str, col: str, values: list, depth: int) -> None:
        if depth > 3 or not values:
            return
        for rel, fk_col, pk in referencing(target):
            with connection.cursor() as cursor:
                if pk:
                    cursor.execute(f"SELECT {connection.ops.quote_name(pk)} FROM {rel} WHERE "
                                   f"{connection.ops.quote_name(fk_col)} = ANY(%s)", [values])
                    child_ids = [r[0] for r in cursor.fetchall()]
                    delete(rel.split(".")[-1].strip('"'), pk, child_ids, depth + 1)
                cursor.execute(f"DELETE FROM {rel} WHERE {connection.ops.quote_name(fk_col)} = ANY(%s)", [values])
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM public.{connection.ops.quote_name(target)} WHERE "
                           f"{connection.ops.quote_name(col)} = ANY(%s)", [values])

    connection.set_schema_to_public()
    with transaction.atomic():
        delete(table, "id", ids, 0)


# --------------------------------------------------------------------------- one run at a time


LOCK_PATH = Path(tempfile.gettempdir()) / f"bizosaas-bench-{hashlib.sha1(str(BASE_DIR).encode()).hexdigest()[:10]}.lock"
_lock_fh = None


def acquire_run_lock(max_wait: float = 900.0) -> None:
    """Benchmarks share the bench database and each one removes every `bench-` tenant when it
    starts, so two runs at once would destroy each other's fixtures. The first run takes this
    lock (children it starts inherit it through BZBENCH_LOCK_HELD); a second one waits."""
    global _lock_fh
    if os.environ.get("BZBENCH_LOCK_HELD") or _lock_fh is not None:
        return
    fh = open(LOCK_PATH, "a+")  # noqa: SIM115 (held for the life of the process)
    started = time.monotonic()
    told = False
    while True:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if not told:
                log(f"waiting for another benchmark run to finish (lock {LOCK_PATH}) …")
                told = True
            if time.monotonic() - started > max_wait:
                raise SystemExit(f"another benchmark run still holds {LOCK_PATH} after {max_wait:.0f}s; giving up") from None
            time.sleep(2)
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    _lock_fh = fh
    os.environ["BZBENCH_LOCK_HELD"] = str(os.getpid())


# --------------------------------------------------------------------------- statistics


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); q in [0, 100]."""
    if not values:
        return math.nan
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summarize(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50": statistics.median(values) if values else math.nan,
        "p95": percentile(values, 95),
        "min": min(values) if values else math.nan,
        "max": max(values) if values else math.nan,
        "mean": statistics.fmean(values) if values else math.nan,
    }


def ms(seconds: float) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "n/a"
    if seconds < 0.001:
        return f"{seconds * 1000:.3f} ms"
    return f"{seconds * 1000:.1f} ms"


def secs(seconds: float) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "n/a"
    return f"{seconds:.2f} s"


def ratio(a: float, b: float) -> float:
    if not a or not b or math.isnan(a) or math.isnan(b):
        return math.nan
    return a / b


def log(msg: str) -> None:
    print(msg, flush=True)


def main_standalone(run, argv: list[str] | None = None) -> dict:
    """`python benchmarks/bench_x.py [--json PATH] [--no-prepare] [--budget SECONDS] [--keep-fleet|--reuse-fleet]`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    out = None
    if "--json" in argv:
        out = argv[argv.index("--json") + 1]
    kwargs = {}
    params = inspect.signature(run).parameters
    if "--budget" in argv and "time_budget" in params:
        kwargs["time_budget"] = float(argv[argv.index("--budget") + 1])
    # run_all.py hands the provisioning fleet over to the fleet-migration benchmark.
    for flag, name in (("--keep-fleet", "keep_fleet"), ("--reuse-fleet", "reuse_fleet")):
        if flag in argv and name in params:
            kwargs[name] = True
    acquire_run_lock()
    if "--no-prepare" not in argv:
        log("preparing the bench database (migrate, plans, platform tenant)…")
        ensure_ready()
    else:
        setup_django()
    result = run(**kwargs)
    text = json.dumps(result, indent=2, default=str)
    if out:
        Path(out).write_text(text)
    else:
        print(text)
    return result
