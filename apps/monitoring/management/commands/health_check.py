"""`manage.py health_check [--tenant SLUG ...] [--no-heal]`: run a health cycle now, here (the
beat task runs the same every MONITOR_INTERVAL_SECONDS), and print what each domain answered.
Self-heals and alerts it starts are queued to the workers as usual."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.monitoring.models import DomainHealth
from apps.monitoring.services import health_cycle_run, health_targets


class Command(BaseCommand):
    help = "Check tenant domains now (all active tenants, or the ones named)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", action="append", default=[], help="Tenant slug (repeatable).")
        parser.add_argument("--no-heal", action="store_true", help="Do not re-trigger site sync on a 404.")

    def handle(self, *args, **options):
        from apps.tenancy.models import Tenant

        tenant_ids = None
        if options["tenant"]:
            found = dict(Tenant.objects.filter(slug__in=options["tenant"]).values_list("slug", "pk"))
            missing = sorted(set(options["tenant"]) - set(found))
            if missing:
                raise CommandError(f"Unknown tenant(s): {', '.join(missing)}")
            tenant_ids = list(found.values())
        targets = health_targets(tenant_ids=tenant_ids)
        report = health_cycle_run(targets=targets, heal=not options["no_heal"])
        states = {h.domain_id: h for h in DomainHealth.objects.filter(domain_id__in=[t.key for t in targets])}
        for target in targets:
            h = states.get(target.key)
            if h is None:
                continue
            answer = f"HTTP {h.last_status_code}" if h.last_status_code else h.get_last_outcome_display()
            self.stdout.write(f"{target.domain}: {h.state} — {answer}, {h.last_latency_ms} ms ({target.url})")
        self.stdout.write(
            f"{report.checked} checked in {report.check_seconds + report.record_seconds:.1f}s; "
            f"{report.alerts} alert(s), {report.heals} self-heal(s) queued."
        )
