"""No-op fleet migration: `migrate_schemas --tenant` over 500 up-to-date tenant schemas.

Ours (apps/tenancy/management/commands/migrate_schemas.py) reads the applied migrations of
every schema in one query and runs nothing when all are current. Timed in-process with
call_command: the first call in the process (cold: builds the migration graph once) and the
median of further calls (warm). Also timed as a fresh `manage.py migrate_schemas --tenant`
process, which is what an operator or a deploy actually runs (Django start-up included).

Peer, same run, same fleet: django-tenants' stock MigrateSchemasCommand (standard executor),
which runs Django's migrate once per schema. If a full stock run would not fit the time
budget, it is run over a sample of the fleet and the per-tenant cost is extrapolated to the
fleet (reported as extrapolated).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

FLEET = 500
OURS_WARM_RUNS = 5
CLI_RUNS = 3
STOCK_PROBE = 20  # tenants timed first to estimate the stock per-tenant cost
STOCK_FALLBACK = 100  # tenants to time if the full stock run would not fit


def _tenant_schemas() -> list[str]:
    from apps.tenancy.models import Tenant

    return list(Tenant.objects.exclude(schema_name="public").values_list("schema_name", flat=True))


def _stock_run(only: list[str] | None = None) -> tuple[float, int]:
    """Run django-tenants' stock command over the whole fleet, or over `only` (by restricting
    the tenant queryset the stock command iterates)."""
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

    from apps.tenancy.models import Tenant

    connection.set_schema_to_public()
    if only is None:
        n = Tenant.objects.exclude(schema_name="public").count()
        t0 = time.perf_counter()
        call_command(MigrateSchemasCommand(), tenant=True, interactive=False, verbosity=0)
        took = time.perf_counter() - t0
    else:
        # One stock run over a sample: the command reads get_tenant_model().objects, so hand it a
        # filtered queryset (calling it once per schema would add per-call overhead).
        from django_tenants.management.commands import migrate_schemas as stock_module

        real = stock_module.get_tenant_model

        class _Sample:
            objects = Tenant.objects.filter(schema_name__in=only)

        stock_module.get_tenant_model = lambda: _Sample
        try:
            n = len(only)
            t0 = time.perf_counter()
            call_command(MigrateSchemasCommand(), tenant=True, interactive=False, verbosity=0)
            took = time.perf_counter() - t0
        finally:
            stock_module.get_tenant_model = real
    connection.set_schema_to_public()
    return took, n


def run(time_budget: float = 360.0, reuse_fleet: bool = False) -> dict:
    c.setup_django()
    from django.core.management import call_command
    from django.db import connection

    from apps.tenancy.models import Tenant
    from apps.tenancy.schema_template import pending_schemas, template_schema
    from apps.tenancy.services import tenant_create

    started = time.perf_counter()
    if not reuse_fleet:
        c.log("[fleet] clean-up of earlier bench tenants")
        c.cleanup_bench_tenants(log=c.log)
    result: dict = {"target_seconds": 15.0, "reused_provisioning_fleet": reuse_fleet}
    try:
        connection.set_schema_to_public()
        if pending_schemas([template_schema()]):
            raise SystemExit(
                "the template schema is behind the migrations on disk (a migration was added after "
                "`migrate`?): run the benchmark again (run_all.py migrates first)"
            )
        present = Tenant.objects.exclude(schema_name="public").count()
        need = FLEET - present
        if need < 0:  # more than FLEET (e.g. the provisioning fleet plus others): trim bench ones
            rows = list(Tenant.objects.filter(slug__startswith=c.SLUG_PREFIX).order_by("-slug").values_list("id", "schema_name")[:-need])
            c.log(f"[fleet] {present} tenants present; removing {len(rows)} bench tenants to leave {FLEET}")
            c.delete_tenants([r[0] for r in rows], log=c.log)
            c.drop_schemas([r[1] for r in rows])
            need = 0
        c.log(f"[fleet] fleet of {FLEET} tenants: {min(present, FLEET)} present"
              f"{' (kept from bench_provisioning)' if reuse_fleet else ''}, creating {max(need, 0)} with tenant_create")
        t0 = time.perf_counter()
        deadline = started + time_budget * 0.4  # the rest: ours, the stock peer, the clean-up
        for i in range(max(need, 0)):
            if time.perf_counter() > deadline:
                c.log(f"    stopped at {present + i} tenants: building the fleet did not fit the time budget")
                break
            tenant_create(name=f"Fleet {i}", slug=f"{c.SLUG_PREFIX}f{i:04d}", plan="free")
            if (i + 1) % 100 == 0:
                c.log(f"    {i + 1}/{need}")
        result["build_seconds"] = time.perf_counter() - t0
        connection.set_schema_to_public()
        schemas = _tenant_schemas()
        result["fleet"] = len(schemas)
        behind = pending_schemas(schemas)
        result["schemas_behind_before"] = len(behind)
        if behind:
            # Migrating them here would take minutes and is not what is measured.
            raise SystemExit(
                f"{len(behind)} of {len(schemas)} tenant schemas are behind before the benchmark "
                "(migrations added during the run?); run the benchmark again"
            )

        # ---- ours, in-process
        c.log(f"[fleet] ours: migrate_schemas --tenant over {len(schemas)} up-to-date tenants (in-process)")
        from apps.tenancy.schema_template import expected_leaf_migrations

        expected_leaf_migrations.cache_clear()  # the first call builds the migration graph, as a new process would
        runs = []
        for _ in range(1 + OURS_WARM_RUNS):
            t0 = time.perf_counter()
            call_command("migrate_schemas", tenant=True, interactive=False, verbosity=0)
            runs.append(time.perf_counter() - t0)
            connection.set_schema_to_public()
        result["ours_cold_in_process"] = runs[0]
        result["ours_warm"] = c.summarize(runs[1:])
        c.log(f"    first call {c.ms(runs[0])}, then p50 {c.ms(result['ours_warm']['p50'])}")

        # ---- ours, as a fresh process (what `manage.py migrate_schemas --tenant` costs)
        c.log(f"[fleet] ours: `manage.py migrate_schemas --tenant` as a new process x {CLI_RUNS}")
        env = os.environ.copy()
        cli = []
        for _ in range(CLI_RUNS):
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, str(c.BASE_DIR / "manage.py"), "migrate_schemas", "--tenant", "--noinput", "-v", "0"],
                check=True, cwd=c.BASE_DIR, env=env,
            )
            cli.append(time.perf_counter() - t0)
        # The floor of any manage.py process: Django start-up alone.
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(c.BASE_DIR / "manage.py"), "help"], check=True, cwd=c.BASE_DIR, env=env,
                       stdout=subprocess.DEVNULL)
        result["process_startup_floor"] = time.perf_counter() - t0
        result["ours_cli"] = c.summarize(cli)
        c.log(f"    p50 {c.secs(result['ours_cli']['p50'])} (a bare `manage.py help` takes {c.secs(result['process_startup_floor'])})")

        # ---- peer: django-tenants' stock command
        c.log(f"[fleet] peer: django-tenants MigrateSchemasCommand, probe over {STOCK_PROBE} tenants")
        probe_took, probe_n = _stock_run(only=schemas[:STOCK_PROBE])
        per = probe_took / probe_n
        result["stock_probe"] = {"tenants": probe_n, "seconds": probe_took, "per_tenant": per}
        c.log(f"    {c.secs(probe_took)} for {probe_n} -> {c.ms(per)} per tenant")
        remaining = time_budget - (time.perf_counter() - started)
        estimate = per * len(schemas)
        if estimate < remaining * 0.7:
            c.log(f"[fleet] peer: stock command over the whole fleet ({len(schemas)}; estimated {estimate:.0f}s)")
            took, n = _stock_run()
            result["stock"] = {"tenants": n, "seconds": took, "per_tenant": took / n, "extrapolated": False}
            c.log(f"    {c.secs(took)} ({c.ms(took / n)} per tenant)")
        else:
            size = min(STOCK_FALLBACK, int(max(0.0, remaining * 0.6) / per))
            if size > STOCK_PROBE:
                sample = schemas[:size]
                c.log(f"[fleet] peer: full stock run estimated {estimate:.0f}s, over budget; timing {len(sample)} tenants")
                took, n = _stock_run(only=sample)
            else:
                c.log(f"[fleet] peer: full stock run estimated {estimate:.0f}s, over budget; using the probe")
                took, n = probe_took, probe_n
            result["stock"] = {
                "tenants": n,
                "seconds_measured": took,
                "per_tenant": took / n,
                "seconds": took / n * len(schemas),
                "extrapolated": True,
            }
            c.log(f"    {c.secs(took)} for {n}; extrapolated to {len(schemas)}: {c.secs(result['stock']['seconds'])}")
        still_current = not pending_schemas(_tenant_schemas())
        result["fleet_still_current_after"] = still_current
    finally:
        connection.set_schema_to_public()
        c.log("[fleet] clean-up")
        result["cleanup"] = c.cleanup_bench_tenants(log=c.log)

    ours = result["ours_warm"]["p50"]
    result["target_met_in_process"] = max(result["ours_cold_in_process"], ours) <= 15.0
    result["target_met_cli"] = result["ours_cli"]["p50"] <= 15.0
    result["ratio_stock_vs_ours_warm"] = c.ratio(result["stock"]["seconds"], ours)
    result["ratio_stock_vs_ours_cold"] = c.ratio(result["stock"]["seconds"], result["ours_cold_in_process"])
    result["ratio_stock_vs_ours_cli"] = c.ratio(result["stock"]["seconds"], result["ours_cli"]["p50"])
    result["seconds"] = time.perf_counter() - started
    return result


def report(r: dict) -> list[str]:
    st = r["stock"]
    label = f"extrapolated from {st['tenants']}" if st["extrapolated"] else "measured"
    return [
        f"No-op fleet migration over {r['fleet']} up-to-date tenant schemas",
        f"  ours, in-process, first call (cold):       {c.secs(r['ours_cold_in_process']):>9}",
        f"  ours, in-process, warm (p50 of {r['ours_warm']['n']}):       {c.secs(r['ours_warm']['p50']):>9}",
        f"  ours, `manage.py migrate_schemas --tenant`: {c.secs(r['ours_cli']['p50']):>8}  (p50 of {r['ours_cli']['n']}; bare manage.py start-up {c.secs(r['process_startup_floor'])})",
        f"  peer: django-tenants stock command:        {c.secs(st['seconds']):>9}  ({label}; {c.ms(st['per_tenant'])} per tenant)",
        f"  ratio stock / ours: {r['ratio_stock_vs_ours_cli']:.0f}x vs the CLI process, {r['ratio_stock_vs_ours_cold']:.0f}x vs cold in-process, "
        f"{r['ratio_stock_vs_ours_warm']:.0f}x vs warm in-process",
        f"  target <= 15 s: {'met' if r['target_met_cli'] and r['target_met_in_process'] else 'MISSED'}",
    ]


if __name__ == "__main__":
    c.use_bench_env()
    res = c.main_standalone(run)
    print("\n".join(report(res)))
