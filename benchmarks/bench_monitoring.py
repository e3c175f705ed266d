"""Health monitoring and alerts (issue 5 §5): one health cycle over 10,000 domains, and a fan-out
of 1,000 alerts through the fake Telegram with its rate limit.

    .venv/bin/python benchmarks/bench_monitoring.py [--json PATH] [--no-prepare]

1. Health cycle. 10,000 tenants with one domain each are inserted set-based (bulk_create of
   Tenant and Domain rows; no schemas are made — the cycle reads only public tables, and the
   bench tenants' slugs start with `bench-` so the usual clean-up removes them). The domains are
   served by tests/fakes/sites.py in a process of its own (the second core), with behaviour by
   name: 90 % ok, 3 % slow (1 s), 5 % 404, 1 % never answer (cut at MONITOR_TIMEOUT_SECONDS,
   10 s), 1 % a chain of 2 redirects. Measured: `apps.monitoring.services.health_cycle_run` end
   to end as the beat task runs it — the target query, the async checks (production settings:
   200 at a time, 10 s deadline, 3 redirects), the bulk insert of 10,000 history rows and the
   upsert of 10,000 states. Self-healing is off here (`heal=False`): the bench tenants have no
   schemas to re-sync; the heal path is covered by the worker test. A second cycle (states
   already present: the steady state) is measured too. Target: one cycle <= 60 s on 2 cores.
2. Fan-out. 100 users with Telegram on (chat ids stored encrypted, as in production), 1,000
   alerts (10 per user) recorded with `alert_emit`, then every delivery sent by
   `deliveries_send` — the worker's code path — through tests/fakes/telegram.py enforcing
   Telegram's documented limits: 30 messages per second per bot and 1 per second per chat, 429
   with `retry_after` beyond that. Reported: time, messages accepted by the fake, deliveries
   sent (none may be lost), 429s met and honoured, and requests sent before an advertised
   retry_after had passed (must be 0).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

# Chat ids are stored encrypted (apps.vault). A fixed, bench-only key ring, so the run does not
# depend on a developer's .env (the bench database holds nothing but bench data).
os.environ.setdefault("VAULT_KEYS", "bench1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")

DOMAINS = 10_000
SLUG = c.SLUG_PREFIX + "mon-"
USERS = 100
ALERTS = 1_000
TELEGRAM_RATE, TELEGRAM_PER_CHAT = 30, 1
USER_EMAIL = "bench-mon-{:03d}@bench.test"


def _kind(i: int) -> str:
    r = i % 100
    if r < 3:
        return "slow"
    if r < 8:
        return "notfound"
    if r < 9:
        return "hang"
    if r < 10:
        return "redirect2"
    return "ok"


def _fleet() -> list[int]:
    """10,000 tenants with one domain each, inserted set-based (no schemas)."""
    from django.db import transaction

    from apps.tenancy.models import Domain, Plan, Tenant

    plan = Plan.objects.get(code="free")
    with transaction.atomic():
        tenants = Tenant.objects.bulk_create(
            [
                Tenant(name=f"Bench monitor {i}", slug=f"{SLUG}{i:05d}", schema_name=f"t_bench_mon_{i:05d}", plan=plan)
                for i in range(DOMAINS)
            ],
            batch_size=2000,
        )
        Domain.objects.bulk_create(
            [
                Domain(tenant=t, domain=f"{_kind(i)}-{i:05d}.bench.localhost", is_primary=True)
                for i, t in enumerate(tenants)
            ],
            batch_size=2000,
        )
    return [t.pk for t in tenants]


def _remove_fleet() -> None:
    """Set-based clean-up (the ORM's cascade over 10,000 tenants would dominate the run)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_mon_t ON COMMIT DROP AS SELECT id FROM tenancy_tenant WHERE slug LIKE %s",
            [SLUG + "%"],
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_mon_d ON COMMIT DROP AS SELECT id FROM tenancy_domain WHERE tenant_id IN (SELECT id FROM bench_mon_t)"
        )
        cursor.execute("DELETE FROM monitoring_domaincheck WHERE domain_id IN (SELECT id FROM bench_mon_d)")
        cursor.execute("DELETE FROM monitoring_domainhealth WHERE domain_id IN (SELECT id FROM bench_mon_d)")
        cursor.execute("DELETE FROM tenancy_domain WHERE id IN (SELECT id FROM bench_mon_d)")
        cursor.execute("DELETE FROM tenancy_tenant WHERE id IN (SELECT id FROM bench_mon_t)")


def _start_sites() -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, str(c.BASE_DIR / "tests" / "fakes" / "sites.py"), "--slow", "1.0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=c.BASE_DIR,
        env={"PYTHONPATH": str(c.BASE_DIR)},
    )
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise SystemExit(f"the fake sites server did not start: {line!r}")
    return proc, int(line.split()[1])


def _stop_sites(proc: subprocess.Popen) -> str:
    try:
        out, _ = proc.communicate(input="", timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out = ""
    return out.strip()


def _health_cycle(*, second_if) -> dict:
    from django.conf import settings

    from apps.monitoring.models import DomainCheck, DomainHealth
    from apps.monitoring.services import health_cycle_run, health_targets

    _remove_fleet()
    t0 = time.perf_counter()
    _fleet()
    insert_seconds = time.perf_counter() - t0
    proc, port = _start_sites()
    settings.MONITOR_URL_TEMPLATE = "http://{domain}:{port}/"
    settings.MONITOR_PORT = str(port)
    cycles = []
    try:
        for label in ("first (states created)", "second (steady state)"):
            if cycles and not second_if(cycles[0]["seconds"]):
                c.log("  second cycle skipped: not enough time budget left")
                break
            t0 = time.perf_counter()
            cpu0 = time.process_time()
            # The whole beat task: target query, checks, records. Only the bench domains: other
            # modules' tenants may still be in the database.
            targets = [t for t in health_targets() if t.domain.endswith(".bench.localhost")]
            report = health_cycle_run(targets=targets, heal=False)
            cycles.append(
                {
                    "label": label,
                    "seconds": time.perf_counter() - t0,
                    "cpu_seconds_checker_process": time.process_time() - cpu0,
                    "check_seconds": report.check_seconds,
                    "record_seconds": report.record_seconds,
                    "checked": report.checked,
                    "outcomes": dict(report.outcomes),
                    "states": dict(report.states),
                }
            )
            c.log(
                f"  health cycle, {label}: {cycles[-1]['seconds']:.1f} s ({report.checked} domains; "
                f"checks {report.check_seconds:.1f} s, records {report.record_seconds:.1f} s) {dict(report.outcomes)}"
            )
        history_rows = DomainCheck.objects.filter(domain__domain__endswith=".bench.localhost").count()
        health_rows = DomainHealth.objects.filter(domain__domain__endswith=".bench.localhost").count()
    finally:
        server = _stop_sites(proc)
        _remove_fleet()
    expected = Counter({"ok": 0})
    for i in range(DOMAINS):
        expected[_kind(i)] += 1
    return {
        "domains": DOMAINS,
        "mix": dict(expected),
        "insert_seconds": insert_seconds,
        "concurrency": settings.MONITOR_CONCURRENCY,
        "timeout_seconds": settings.MONITOR_TIMEOUT_SECONDS,
        "cycles": cycles,
        "history_rows": history_rows,
        "health_rows": health_rows,
        "server": server,
        "target_seconds": 60.0,
        "target_met": all(cy["seconds"] <= 60.0 for cy in cycles),
    }


def _fan_out(*, paced: bool) -> dict:
    from django.conf import settings
    from django.db import connection

    from apps.accounts.models import User
    from apps.alerts.models import AlertPreference, Delivery
    from apps.alerts.services import alert_emit, deliveries_send
    from tests.fakes.telegram import TOKEN, FakeTelegram

    User.objects.filter(email__startswith="bench-mon-").delete()
    users = User.objects.bulk_create([User(email=USER_EMAIL.format(i)) for i in range(USERS)])
    for i, user in enumerate(users):  # one by one: each chat id is encrypted on save
        AlertPreference.objects.create(
            user=user, email_enabled=False, telegram_enabled=True, telegram_chat_id=str(900_000 + i)
        )
    fake = FakeTelegram(rate=TELEGRAM_RATE, per_chat_rate=TELEGRAM_PER_CHAT)
    settings.TELEGRAM_API_BASE = fake.url
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    pacing = settings.TELEGRAM_MAX_PER_SECOND if paced else 0
    settings.TELEGRAM_MAX_PER_SECOND = pacing
    try:
        t0 = time.perf_counter()
        ids: list[int] = []
        for n in range(ALERTS):
            user = users[n % USERS]
            alert = alert_emit(
                event_type="site_down",
                title=f"Bench site {n} is down",
                body="3 health checks in a row failed.",
                severity="critical",
                users=[user],
                queue=False,  # sent right below, as the worker would
            )
            ids.extend(d.pk for d in alert.deliveries.all())
        emit_seconds = time.perf_counter() - t0
        t1 = time.perf_counter()
        report = deliveries_send(ids=ids)
        send_seconds = time.perf_counter() - t1
        statuses = Counter(Delivery.objects.filter(pk__in=ids).values_list("status", flat=True))
        accepted = len(fake.messages)
        distinct = len({m["text"] for m in fake.messages})
        result = {
            "alerts": ALERTS,
            "users": USERS,
            "deliveries": len(ids),
            "emit_seconds": emit_seconds,
            "send_seconds": send_seconds,
            "total_seconds": emit_seconds + send_seconds,
            "messages_per_second": accepted / send_seconds if send_seconds else 0,
            "accepted_by_fake": accepted,
            "distinct_messages": distinct,
            "statuses": dict(statuses),
            "lost": len(ids) - statuses.get("sent", 0),
            "rejected_429": fake.rejected_429,
            "honoured_429": report.rate_limited,
            "violations": fake.violations,
            "rate_limit": f"{TELEGRAM_RATE}/s per bot, {TELEGRAM_PER_CHAT}/s per chat",
            "client_pacing_per_second": pacing,
            "database": connection.settings_dict["NAME"],
        }
    finally:
        fake.stop()
        User.objects.filter(email__startswith="bench-mon-").delete()
    mode = f"paced at {pacing:g}/s" if pacing else "no client pacing"
    c.log(
        f"  fan-out ({mode}): {result['deliveries']} alerts in {result['total_seconds']:.1f} s "
        f"(recorded {result['emit_seconds']:.1f} s, sent {result['send_seconds']:.1f} s = {result['messages_per_second']:.1f}/s); "
        f"accepted {result['accepted_by_fake']}, lost {result['lost']}, 429s {result['rejected_429']}, early retries {result['violations']}"
    )
    return result


def run(time_budget: float = 300.0) -> dict:
    """The first cycle and the paced fan-out always run; the steady-state cycle and the fan-out
    without client pacing (the 429 path under load) when the time budget allows."""
    c.setup_django()
    started = time.perf_counter()

    def left() -> float:
        return time_budget - (time.perf_counter() - started)

    c.log(f"[monitoring] one health cycle over {DOMAINS} domains (fake sites server in its own process)")
    # The steady-state cycle only when both fan-outs (~40 s each) still fit after it.
    cycle = _health_cycle(second_if=lambda first: left() > first + 100)
    c.log(
        f"[alerts] fan-out of {ALERTS} alerts through the fake Telegram ({TELEGRAM_RATE}/s per bot, {TELEGRAM_PER_CHAT}/s per chat)"
    )
    fan_outs = [_fan_out(paced=True)]
    if left() > 50:
        fan_outs.append(_fan_out(paced=False))
    else:
        c.log("  fan-out without client pacing skipped: not enough time budget left")
    lost = sum(f["lost"] for f in fan_outs)
    return {"health_cycle": cycle, "fan_out": fan_outs, "target_met": cycle["target_met"] and lost == 0}


def report(r: dict) -> list[str]:
    cy = r["health_cycle"]
    lines = [
        f"Monitoring and alerts — one health cycle over {cy['domains']} domains (mix {cy['mix']}; "
        f"{cy['concurrency']} at a time, {cy['timeout_seconds']:g} s deadline):"
    ]
    for run_ in cy["cycles"]:
        lines.append(
            f"  {run_['label']}: {run_['seconds']:.1f} s (checks {run_['check_seconds']:.1f} s, "
            f"records {run_['record_seconds']:.1f} s) — outcomes {run_['outcomes']}"
        )
    lines.append(f"  target <= {cy['target_seconds']:.0f} s: {'met' if cy['target_met'] else 'MISSED'}")
    for fo in r["fan_out"]:
        pacing = (
            f"client paced at {fo['client_pacing_per_second']:g}/s"
            if fo["client_pacing_per_second"]
            else "no client pacing"
        )
        lines.append(
            f"Fan-out of {fo['alerts']} alerts to {fo['users']} Telegram users through the fake ({fo['rate_limit']}; {pacing}): "
            f"{fo['total_seconds']:.1f} s (sending {fo['send_seconds']:.1f} s, {fo['messages_per_second']:.1f} messages/s); "
            f"accepted {fo['accepted_by_fake']}, lost {fo['lost']}, 429s met and honoured {fo['rejected_429']}, "
            f"sent before retry_after {fo['violations']}"
        )
    return lines


if __name__ == "__main__":
    c.main_standalone(run)
