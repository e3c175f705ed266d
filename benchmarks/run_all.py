"""Run every benchmark and print a summary (`make bench`).

    .venv/bin/python benchmarks/run_all.py [--only NAME[,NAME]] [--json PATH]

Uses its own database (bizosaas_bench) and Redis logical databases 50/51, set here before
Django is imported, so development data is untouched. Steps:
1. prepare: `manage.py migrate_schemas --shared`, removal of bench tenants left by an
   interrupted run, `manage.py migrate` (public, tenant schemas that are behind, the template),
   then plans_ensure() and platform_tenant_ensure();
2. each benchmark module (benchmarks/bench_*.py) in a child process of its own, with a time
   limit; a module that overruns is stopped and reported, and its bench tenants are cleaned up;
3. a summary: p50/p95 per measurement and the ratios against the peers measured in the run.

The whole run is bounded (GLOBAL_BUDGET seconds, under 10 minutes) and takes about 3–4 minutes
on 2 cores.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

GLOBAL_BUDGET = 570.0  # seconds for the whole run (target: under ~10 minutes on 2 cores)
FINISH_RESERVE = 30.0  # kept for the final clean-up of bench tenants
# Per-module time limits in seconds. Every benchmarks/bench_*.py module is run (these first, in
# this order, then any other in name order with DEFAULT_LIMIT); modules adapt to the budget they
# are given (--budget), and the limit only stops one that overruns it.
# The short ones run first; provisioning hands its fleet of 500 to the fleet-migration
# benchmark (which removes it), so the fleet is built once per run.
FIRST = {"bench_request_path": 90.0}
LAST = {"bench_provisioning": 300.0, "bench_fleet_migrate": 240.0}
DEFAULT_LIMIT = 150.0


def discover() -> list[tuple[str, float]]:
    found = sorted(p.stem for p in c.BENCH_DIR.glob("bench_*.py"))
    middle = [m for m in found if m not in FIRST and m not in LAST]
    ordered = [m for m in FIRST if m in found] + middle + [m for m in LAST if m in found]
    return [(m, FIRST.get(m) or LAST.get(m) or DEFAULT_LIMIT) for m in ordered]


def machine_info() -> dict:
    info = {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    c.setup_django()
    import django
    import django_tenants
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        info["postgresql"] = cursor.fetchone()[0]
    info["django"] = django.get_version()
    info["django_tenants"] = getattr(django_tenants, "__version__", None) or _dist_version("django-tenants")
    info["psycopg"] = _dist_version("psycopg")
    connection.close()
    return info


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def run_module(name: str, limit: float, out: Path, extra: list[str]) -> tuple[str, float]:
    """Run one module in a child process of its own; returns (status, seconds)."""
    cmd = [sys.executable, str(c.BENCH_DIR / f"{name}.py"), "--no-prepare", "--json", str(out),
           "--budget", str(limit * 0.9), *extra]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=c.BASE_DIR, env=os.environ.copy(), start_new_session=True)
    try:
        rc = proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        return "timed out", time.perf_counter() - started
    return ("ok" if rc == 0 else f"failed (exit {rc})"), time.perf_counter() - started


def summary_table(results: dict) -> list[str]:
    """One row per headline measurement: ours, the peer, the ratio."""
    rows = []
    p = results.get("bench_provisioning")
    if p:
        for size, s in p["levels"].items():
            rows.append((f"provisioning p50, fleet {size}", c.ms(s["p50"]), c.ms(s["p95"]), "", ""))
        pm, pc, so = p.get("peer_migrate"), p.get("peer_clone"), p.get("ours_schema_only")
        if so:
            rows.append(("schema step (clone_template), fleet 0", c.ms(so["p50"]), c.ms(so["p95"]), "", ""))
        if pm:
            rows.append(("  vs CREATE SCHEMA + migrate_schemas", c.ms(so["p50"]), "", c.ms(pm["p50"]),
                         f"{p['ratio_peer_migrate_vs_ours_schema']:.1f}x"))
        if pc:
            rows.append(("  vs django-tenants CloneSchema + --fake", c.ms(so["p50"]), "", c.ms(pc["p50"]),
                         f"{p['ratio_peer_clone_vs_ours_schema']:.1f}x"))
    f = results.get("bench_fleet_migrate")
    if f:
        st = f["stock"]
        peer = c.secs(st["seconds"]) + (" (extrap.)" if st["extrapolated"] else "")
        rows.append((f"no-op fleet migrate, {f['fleet']} tenants (CLI)", c.secs(f["ours_cli"]["p50"]), c.secs(f["ours_cli"]["p95"]),
                     peer, f"{f['ratio_stock_vs_ours_cli']:.0f}x"))
        rows.append(("  in-process, first call", c.secs(f["ours_cold_in_process"]), "", peer,
                     f"{f['ratio_stock_vs_ours_cold']:.0f}x"))
    r = results.get("bench_request_path")
    if r:
        q = r["queries"]
        rows.append((f"GET {r['path']} server time", c.ms(r["server"]["p50"]), c.ms(r["server"]["p95"]), "", ""))
        rows.append(("  middleware self time", c.ms(r["middleware_total"]["p50"]), c.ms(r["middleware_total"]["p95"]), "", ""))
        rows.append(("  SQL queries / SET search_path per request",
                     f"{q['queries_per_request']['max']} / {q['set_search_path_per_request']['max']}", "", "", ""))
    m = results.get("bench_monitoring")
    if m:
        for cy in m["health_cycle"]["cycles"]:
            rows.append((f"health cycle, {m['health_cycle']['domains']} domains, {cy['label'].split(' ')[0]}", c.secs(cy["seconds"]), "", "", ""))
        for fo in m["fan_out"]:
            mode = "paced" if fo["client_pacing_per_second"] else "unpaced"
            rows.append((f"  {fo['alerts']} alerts via fake Telegram ({mode}), lost {fo['lost']}", c.secs(fo["total_seconds"]), "", "", ""))
    k = results.get("bench_crm")
    if k:
        a = k["api"]
        rows.append((f"CRM contacts list, {k['contacts']:,} contacts (API)", c.ms(a["list"]["p50"]), c.ms(a["list"]["p95"]), "", ""))
        rows.append(("  search ?q= (surname prefix)", c.ms(a["search_surname_prefix"]["p50"]), c.ms(a["search_surname_prefix"]["p95"]), "", ""))
        rows.append((f"  bulk add_tags, {k['contacts']:,} rows (vs ORM save loop per row)", c.secs(k["bulk_tag_all"]["p50"]), "", "",
                     f"{k['per_row_ratio']:.0f}x"))
        rows.append((f"  bulk price change, {k['products']:,} products", c.secs(k["bulk_price_all"]["p50"]), "", "", ""))
        g = k["global"]["global_search_surname"]
        rows.append((f"  global control center search, {k['tenants']} tenants", c.ms(g["p50"]), c.ms(g["p95"]), "", ""))
    w = [max(len(str(row[i])) for row in [("measurement", "ours p50", "ours p95", "peer p50", "peer/ours"), *rows]) for i in range(5)]
    head = ("measurement", "ours p50", "ours p95", "peer p50", "peer/ours")
    lines = ["  " + "  ".join(str(h).ljust(w[i]) if i == 0 else str(h).rjust(w[i]) for i, h in enumerate(head))]
    lines.append("  " + "  ".join("-" * x for x in w))
    for row in rows:
        lines.append("  " + "  ".join(str(v).ljust(w[i]) if i == 0 else str(v).rjust(w[i]) for i, v in enumerate(row)))
    return lines


def targets(results: dict) -> list[str]:
    out = []
    p = results.get("bench_provisioning")
    if p:
        out.append(f"  provisioning p50 <= 0.5 s at 0/100/500 tenants: {'met' if p['target_met'] else ('MISSED' if p['target_met'] is False else 'not fully measured')} "
                   f"(p50 at 500 / p50 at 0 = {p['flatness_p50_500_over_0']:.2f})")
    f = results.get("bench_fleet_migrate")
    if f:
        note = "" if f["fleet"] >= 500 else f" (fleet of {f['fleet']} only: building 500 did not fit the time budget)"
        out.append(f"  no-op fleet migration over 500 <= 15 s: {'met' if f['target_met_cli'] and f['target_met_in_process'] else 'MISSED'}{note}")
    r = results.get("bench_request_path")
    if r:
        out.append(f"  tenant + user resolved in <= 2 queries: {'met' if r['target_resolution_le_2'] else 'MISSED'}; "
                   f"exactly one SET search_path per request: {'met' if r['target_one_set_search_path'] else 'MISSED'}")
    m = results.get("bench_monitoring")
    if m:
        lost = sum(fo["lost"] for fo in m["fan_out"])
        out.append(f"  one health cycle over {m['health_cycle']['domains']} domains <= 60 s: {'met' if m['health_cycle']['target_met'] else 'MISSED'}; "
                   f"alert fan-out through the rate-limited fake Telegram: {'none lost' if lost == 0 else f'{lost} LOST'}")
    k = results.get("bench_crm")
    if k:
        ok = {True: "met", False: "MISSED"}
        out.append(f"  CRM: list p95 <= 100 ms {ok[k['target_list']]}; search p95 <= 150 ms {ok[k['target_search']]}; "
                   f"bulk tag 100,000 <= 2 s {ok[k['target_bulk_tag']]}; bulk price 100,000 <= 2 s {ok[k['target_bulk_price']]}; "
                   f"global search p95 <= 500 ms {ok[k['target_global']]}")
    return out


def main(argv: list[str]) -> int:
    c.use_bench_env()
    only = None
    if "--only" in argv:
        only = set(argv[argv.index("--only") + 1].split(","))
    json_out = Path(argv[argv.index("--json") + 1]) if "--json" in argv else None
    modules = [(m, lim) for m, lim in discover() if only is None or m in only or m.removeprefix("bench_") in only]

    c.acquire_run_lock()
    run_started = time.perf_counter()
    deadline = run_started + GLOBAL_BUDGET
    c.log(f"== BizOSaaS benchmarks (database {c.BENCH_DB}; budget {GLOBAL_BUDGET:.0f}s) ==")
    c.log("[prepare] migrate public, remove leftover bench tenants, migrate tenant schemas + template, plans, platform tenant")
    t0 = time.perf_counter()
    c.prepare_database(log=c.log)
    c.log(f"    done in {time.perf_counter() - t0:.1f}s")
    info = machine_info()
    info["load_average_at_start"] = os.getloadavg()
    c.log(f"[machine] {info.get('cpu_model', '?')}; {info['cpus_usable']} CPUs; {info.get('memory_gib', '?')} GiB; "
          f"Python {info['python']}; PostgreSQL {info['postgresql']}; Django {info['django']}; django-tenants {info['django_tenants']}")
    c.log(f"[machine] load average now {info['load_average_at_start'][0]:.2f} / {info['load_average_at_start'][1]:.2f} / "
          f"{info['load_average_at_start'][2]:.2f} (other work on the machine inflates every figure below)")

    results: dict = {"machine": info, "modules": {}}
    statuses = {}
    with tempfile.TemporaryDirectory(prefix="bzbench-") as tmp:
        for idx, (name, limit) in enumerate(modules):
            # Share what is left in proportion to the modules' own limits, so the last ones are
            # not starved; every module adapts to the --budget it is given.
            remaining = deadline - time.perf_counter() - FINISH_RESERVE
            weights = sum(lim for _, lim in modules[idx:])
            share = remaining * limit / weights if weights else remaining
            if share < 20:
                statuses[name] = "skipped (global time budget spent)"
                c.log(f"\n== {name}: skipped, global time budget spent ==")
                continue
            limit = min(limit, share)
            c.log(f"\n== {name} (limit {limit:.0f}s) ==")
            out = Path(tmp) / f"{name}.json"
            load_before = os.getloadavg()[0]
            extra = []
            names = [m for m, _ in modules]
            if name == "bench_provisioning" and "bench_fleet_migrate" in names:
                extra = ["--keep-fleet"]
            if name == "bench_fleet_migrate" and statuses.get("bench_provisioning", "").startswith("ok"):
                extra = ["--reuse-fleet"]
            status, took = run_module(name, limit, out, extra)
            load_after = os.getloadavg()[0]
            statuses[name] = f"{status} in {took:.1f}s (1-min load average {load_before:.2f} before, {load_after:.2f} after)"
            if status == "ok" and out.exists():
                results[name] = json.loads(out.read_text())
                results["modules"][name] = {"status": status, "seconds": took, "load": [load_before, load_after]}
            else:
                results["modules"][name] = {"status": status, "seconds": took}
                c.log(f"   {name}: {status}; cleaning up its bench tenants")
                c.cleanup_bench_tenants(log=c.log)

    c.log("\n[finish] removing every bench tenant")
    c.cleanup_bench_tenants(log=c.log)
    total = time.perf_counter() - run_started
    c.log("\n" + "=" * 100)
    c.log("SUMMARY")
    c.log("=" * 100)
    for name, _ in modules:
        c.log(f"  {name}: {statuses.get(name)}")
    c.log("")
    for line in summary_table(results):
        c.log(line)
    c.log("\nTargets:")
    for line in targets(results):
        c.log(line)
    for name, _ in modules:
        if name in results:
            mod = __import__(name)
            c.log("")
            for line in mod.report(results[name]):
                c.log(line)
    c.log(f"\nTotal run time: {total:.1f}s")
    results["total_seconds"] = total
    if json_out:
        json_out.write_text(json.dumps(results, indent=2, default=str))
        c.log(f"results written to {json_out}")
    return 0 if all(s.startswith("ok") for s in statuses.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
