"""Tenant provisioning: apps.tenancy.services.tenant_create at fleet sizes 0, 100 and 500,
against django-tenants' own ways of making a tenant schema, measured in the same run.

Ours (`tenant_create`): one transaction holding the tenant row, the schema cloned from the
migrated template by `bizosaas_clone_schema`, and the primary domain. Timed end to end, as the
admin, the API and the CLI call it. Also timed on its own: the schema step alone
(`clone_template` in a transaction), so the peers below are compared like for like.

Peers (schema step only, as TenantMixin.create_schema does it, outside any transaction):
* migrate path (no template): CREATE SCHEMA, then
  call_command("migrate_schemas", schema_name=..., tenant=True, interactive=False, verbosity=0)
  (our migrate_schemas passes straight through to django-tenants when a schema is named);
* clone path (django-tenants' template mode): django_tenants.clone.CloneSchema().clone_schema(
  template, new), then migrate_schemas --fake for that schema.

Beyond the target range, when the time budget allows, the same is measured with 1000 and 2000
tenants present: the clone's catalogue queries scan pg_class / pg_constraint / pg_index of the
whole database, so their cost grows with the number of schemas.

Every bench tenant's slug starts with `bench-`; all of them (rows and schemas) are removed at
the start and at the end.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

SAMPLES = 20  # tenant_create timings per fleet size
PEER_SAMPLES = 5  # each peer (and our schema-only step)
FLEET_SIZES = (0, 100, 500)
EXTRA_SIZES = (1000, 2000)  # beyond the target range; measured only when the time budget allows
CLEANUP_PER_SCHEMA = 0.05  # seconds, for the budget estimate (DROP SCHEMA ... CASCADE)
SLUG = c.SLUG_PREFIX + "p"  # bench-p0000, bench-p0001, …
KEEP = 500  # with --keep-fleet (run_all.py), this many are left for bench_fleet_migrate


def _create(i: int):
    from apps.tenancy.services import tenant_create

    return tenant_create(name=f"Bench {i}", slug=f"{SLUG}{i:04d}", plan="free")


def _timed_creates(start: int, count: int) -> tuple[list[float], int]:
    times = []
    i = start
    for _ in range(count):
        t0 = time.perf_counter()
        _create(i)
        times.append(time.perf_counter() - t0)
        i += 1
    return times, i


def _grow(start: int, target_total: int, current_total: int, deadline: float) -> tuple[int, int, float]:
    """Create tenants with the same service until `target_total` bench tenants exist, or until
    `deadline` (perf_counter) passes."""
    n = target_total - current_total
    t0 = time.perf_counter()
    i = start
    made = 0
    for k in range(n):
        if time.perf_counter() > deadline:
            break
        _create(i)
        i += 1
        made += 1
        if (k + 1) % 100 == 0:
            c.log(f"    grown +{k + 1}/{n}")
    return i, made, time.perf_counter() - t0


def _trim_to(keep: int) -> int:
    """Leave the first `keep` provisioning tenants (bench-p0000…), remove the others."""
    from apps.tenancy.models import Tenant

    rows = list(Tenant.objects.filter(slug__startswith=SLUG).order_by("slug").values_list("id", "schema_name"))
    extra = rows[keep:]
    c.delete_tenants([r[0] for r in extra], log=c.log)
    c.drop_schemas([r[1] for r in extra])
    return min(keep, len(rows))


def _drop_schema(name: str) -> None:
    from django.db import connection

    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(name)} CASCADE")


def _count_tables(name: str) -> int:
    from django.db import connection

    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s", [name])
        return cursor.fetchone()[0]


def _ours_schema_only(n: int) -> list[float]:
    from django.db import connection, transaction

    from apps.tenancy.schema_template import clone_template

    times = []
    for k in range(n):
        name = f"{c.SCHEMA_PREFIX}_ours_{k}"
        _drop_schema(name)
        t0 = time.perf_counter()
        with transaction.atomic():
            clone_template(name)
        times.append(time.perf_counter() - t0)
        connection.set_schema_to_public()
    for k in range(n):  # not part of the fleet
        _drop_schema(f"{c.SCHEMA_PREFIX}_ours_{k}")
    return times


def _ours_schema_once(name: str) -> float:
    from django.db import connection, transaction

    from apps.tenancy.schema_template import clone_template

    _drop_schema(name)
    t0 = time.perf_counter()
    with transaction.atomic():
        clone_template(name)
    took = time.perf_counter() - t0
    connection.set_schema_to_public()
    return took


def _peer_migrate_once(name: str) -> tuple[float, float]:
    """CREATE SCHEMA, then django-tenants' migrate of that schema. Returns (total, migrate part)."""
    from django.core.management import call_command
    from django.db import connection

    _drop_schema(name)
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {connection.ops.quote_name(name)}")
    t1 = time.perf_counter()
    call_command("migrate_schemas", schema_name=name, tenant=True, interactive=False, verbosity=0)
    connection.set_schema_to_public()
    t2 = time.perf_counter()
    return t2 - t0, t2 - t1


def _peer_clone_once(name: str, template: str) -> tuple[float, float]:
    """django-tenants' CloneSchema from the template, then migrate --fake of that schema, as
    TenantMixin.create_schema does with TENANT_BASE_SCHEMA. Returns (total, clone part)."""
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.clone import CloneSchema

    _drop_schema(name)
    t0 = time.perf_counter()
    CloneSchema().clone_schema(template, name)
    t1 = time.perf_counter()
    call_command("migrate_schemas", tenant=True, fake=True, schema_name=name, interactive=False, verbosity=0)
    connection.set_schema_to_public()
    t2 = time.perf_counter()
    return t2 - t0, t1 - t0


def _peers(n: int, template: str, with_clone: bool) -> dict:
    """Ours (schema step), the migrate path and the clone path in rounds (A B C, A B C, …), so
    a passing disturbance on the machine lands on all three alike."""
    ours, mig, mig_part, clo, clo_part = [], [], [], [], []
    names = []
    for k in range(n):
        names += [f"{c.SCHEMA_PREFIX}_ours_{k}", f"{c.SCHEMA_PREFIX}_peer_mig_{k}", f"{c.SCHEMA_PREFIX}_peer_clone_{k}"]
        ours.append(_ours_schema_once(names[-3]))
        total, part = _peer_migrate_once(names[-2])
        mig.append(total)
        mig_part.append(part)
        if with_clone:
            total, part = _peer_clone_once(names[-1], template)
            clo.append(total)
            clo_part.append(part)
    tables = {"ours": _count_tables(names[0]), "peer_migrate": _count_tables(names[1]),
              "peer_clone": _count_tables(names[2]) if with_clone else None}
    c.drop_schemas(names)  # not part of the fleet
    out = {
        "ours_schema_only": c.summarize(ours) | {"tables": tables["ours"]},
        "peer_migrate": c.summarize(mig) | {"tables": tables["peer_migrate"], "migrate_part_p50": c.summarize(mig_part)["p50"]},
        "peer_clone": None,
    }
    if with_clone:
        out["peer_clone"] = c.summarize(clo) | {"tables": tables["peer_clone"], "clone_part_p50": c.summarize(clo_part)["p50"]}
    return out


def settle() -> None:
    """Let the previous module's clean-up (thousands of dropped relations) settle before timing:
    vacuum the catalogues of the bench database and checkpoint, so its I/O and catalogue bloat
    do not land on these timings."""
    from django.db import connection

    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        for t in ("pg_class", "pg_attribute", "pg_constraint", "pg_index", "pg_depend", "pg_type", "pg_attrdef", "pg_namespace"):
            cursor.execute(f"VACUUM (ANALYZE) pg_catalog.{t}")
        cursor.execute("CHECKPOINT")


def run(time_budget: float = 300.0, keep_fleet: bool = False) -> dict:
    c.setup_django()
    from django.db import connection

    from apps.tenancy.models import Tenant
    from apps.tenancy.schema_template import template_schema
    from apps.tenancy.services import tenant_create

    started = time.perf_counter()
    c.log("[provisioning] clean-up of earlier bench tenants")
    c.cleanup_bench_tenants(log=c.log)
    settle()
    others = Tenant.objects.exclude(schema_name="public").exclude(slug__startswith=c.SLUG_PREFIX).count()
    template = template_schema()
    template_tables = _count_tables(template)

    result: dict = {
        "samples": SAMPLES,
        "peer_samples": PEER_SAMPLES,
        "non_bench_tenants_present": others,
        "template_tables": template_tables,
        "levels": {},
        "extra_levels": [],
        "extra_levels_skipped": [],
    }
    try:
        # One untimed create + delete first: the first call in a process pays for imports and
        # caches that no later provisioning pays.
        warm = tenant_create(name="Bench warm-up", slug=f"{SLUG}warm", plan="free")
        c.delete_tenants([warm.id], log=c.log)
        c.drop_schemas([warm.schema_name])
        i = 0
        total = 0
        per_tenant = 0.05  # until measured
        for size in FLEET_SIZES + EXTRA_SIZES:
            if size in EXTRA_SIZES:
                # Beyond the target range: only if growing there and cleaning up fits the budget.
                elapsed = time.perf_counter() - started
                estimate = (size - total) * per_tenant + (size + SAMPLES - (KEEP if keep_fleet else 0)) * CLEANUP_PER_SCHEMA + 5
                if elapsed + estimate > time_budget * 0.85:
                    c.log(f"[provisioning] fleet {size}: skipped (estimated {estimate:.0f}s more; budget {time_budget:.0f}s)")
                    result["extra_levels_skipped"].append(size)
                    continue
                result["extra_levels"].append(size)
            if size > total:
                c.log(f"[provisioning] growing the fleet {total} -> {size} with tenant_create")
                cleanup_est = (0 if keep_fleet else size + SAMPLES) * CLEANUP_PER_SCHEMA
                deadline = started + time_budget * 0.8 - SAMPLES * per_tenant * 2 - cleanup_est
                i, n, took = _grow(i, size, total, deadline)
                total += n
                per_tenant = took / n if n else per_tenant
                result.setdefault("growth", []).append({"to": total, "created": n, "seconds": took, "per_tenant": per_tenant})
                if total < size:
                    c.log(f"[provisioning] fleet {size}: not reached ({total} after {took:.0f}s; time budget {time_budget:.0f}s)")
                    result.setdefault("levels_not_reached", []).append(size)
                    break
            c.log(f"[provisioning] {SAMPLES} x tenant_create with {total} bench tenants present")
            times, i = _timed_creates(i, SAMPLES)
            total += SAMPLES
            level = c.summarize(times) | {"fleet_before": size + others}
            # The schema step alone at this fleet size (its catalogue queries see every schema).
            level["schema_only"] = c.summarize(_ours_schema_only(PEER_SAMPLES))
            result["levels"][str(size)] = level
            c.log(f"    p50 {c.ms(level['p50'])}  p95 {c.ms(level['p95'])}  max {c.ms(level['max'])}; "
                  f"schema step alone p50 {c.ms(level['schema_only']['p50'])}")

            if size == 0:
                # Like-for-like: our schema step and the two peers, in rounds, at the small fleet.
                elapsed = time.perf_counter() - started
                with_clone = elapsed < time_budget * 0.2
                c.log(f"[provisioning] {PEER_SAMPLES} rounds of: ours (clone_template) | peer CREATE SCHEMA + "
                      f"migrate_schemas{' | peer CloneSchema + migrate --fake' if with_clone else ''}")
                result.update(_peers(PEER_SAMPLES, template, with_clone))
                pm, pc = result["peer_migrate"], result["peer_clone"]
                c.log(f"    ours p50 {c.ms(result['ours_schema_only']['p50'])}; migrate path p50 {c.ms(pm['p50'])} "
                      f"({pm['tables']} tables)" + (f"; clone path p50 {c.ms(pc['p50'])}" if pc else "; clone path skipped (time)"))

    except BaseException:
        keep_fleet = False
        raise
    finally:
        connection.set_schema_to_public()
        if keep_fleet:
            result["kept_for_fleet_benchmark"] = _trim_to(KEEP)
            c.log(f"[provisioning] {KEEP} bench tenants kept for bench_fleet_migrate (it removes them)")
        else:
            c.log("[provisioning] clean-up")
            result["cleanup"] = c.cleanup_bench_tenants(log=c.log)

    lv = result["levels"]
    p0 = lv.get("0", {}).get("p50")
    p500 = lv.get("500", {}).get("p50")
    result["flatness_p50_500_over_0"] = c.ratio(p500, p0)
    result["schema_only_p50_500_over_0"] = c.ratio(lv.get("500", {}).get("schema_only", {}).get("p50"),
                                                   lv.get("0", {}).get("schema_only", {}).get("p50"))
    result["target_p50_seconds"] = 0.5
    measured = [str(k) for k in FLEET_SIZES if str(k) in lv]
    met = all(lv[k]["p50"] <= 0.5 for k in measured)
    # None: not every fleet size was measured (and nothing measured missed the target).
    result["target_met"] = False if not met else (True if len(measured) == len(FLEET_SIZES) else None)
    ours_e2e = p0
    ours_schema = result.get("ours_schema_only", {}).get("p50")
    for peer in ("peer_migrate", "peer_clone"):
        if result.get(peer):
            result[f"ratio_{peer}_vs_ours_e2e"] = c.ratio(result[peer]["p50"], ours_e2e)
            result[f"ratio_{peer}_vs_ours_schema"] = c.ratio(result[peer]["p50"], ours_schema)
    result["seconds"] = time.perf_counter() - started
    return result


def _verdict(v) -> str:
    return "met" if v else ("MISSED" if v is False else "not fully measured")


def report(r: dict) -> list[str]:
    lines = ["Tenant provisioning (tenant_create: row + cloned schema + domain, one transaction)"]
    lines.append(f"  {'fleet before':>14} {'n':>4} {'p50':>10} {'p95':>10} {'max':>10}   {'schema step alone p50 (n=5)':>28}")
    for size, s in r["levels"].items():
        extra = " (beyond target range)" if int(size) in r.get("extra_levels", []) else ""
        lines.append(f"  {size:>14} {s['n']:>4} {c.ms(s['p50']):>10} {c.ms(s['p95']):>10} {c.ms(s['max']):>10}   "
                     f"{c.ms(s['schema_only']['p50']):>28}{extra}")
    if r.get("levels_not_reached"):
        lines.append(f"  NOT MEASURED: fleet {', '.join(map(str, r['levels_not_reached']))} (growing the fleet did not fit the time budget)")
    if r.get("extra_levels_skipped"):
        lines.append(f"  not measured (time budget): fleet {', '.join(map(str, r['extra_levels_skipped']))}")
    lines.append(f"  p50 at 500 / p50 at 0: {r['flatness_p50_500_over_0']:.2f}x (schema step alone: "
                 f"{r['schema_only_p50_500_over_0']:.2f}x)   target p50 <= 0.5 s at 0/100/500: "
                 f"{_verdict(r['target_met'])}")
    for g in r.get("growth", []):
        lines.append(f"  growing the fleet to {g['to']}: {g['created']} x tenant_create in {c.secs(g['seconds'])} "
                     f"(mean {c.ms(g['per_tenant'])} each)")
    lines.append(f"  schema step only, {r['peer_samples']} rounds interleaved at fleet 0 (tables per schema: "
                 f"{r.get('ours_schema_only', {}).get('tables')}):")
    s = r.get("ours_schema_only")
    if s:
        lines.append(f"    {'ours: clone_template':<44} p50 {c.ms(s['p50']):>10}  p95 {c.ms(s['p95']):>10}")
    for key, label, part in (("peer_migrate", "peer: CREATE SCHEMA + migrate_schemas", "migrate_part_p50"),
                             ("peer_clone", "peer: CloneSchema + migrate --fake", "clone_part_p50")):
        p = r.get(key)
        if p:
            lines.append(
                f"    {label:<44} p50 {c.ms(p['p50']):>10}  p95 {c.ms(p['p95']):>10}  "
                f"= {r[f'ratio_{key}_vs_ours_schema']:.1f}x ours schema step, {r[f'ratio_{key}_vs_ours_e2e']:.1f}x ours end-to-end"
                f"  ({part.split('_')[0]} part p50 {c.ms(p[part])})"
            )
        else:
            lines.append(f"    {label:<44} not measured (time budget)")
    return lines


if __name__ == "__main__":
    c.use_bench_env()
    res = c.main_standalone(run)
    print("\n".join(report(res)))
