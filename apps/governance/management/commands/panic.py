"""`manage.py panic`: the emergency stop (M21) from the server.

    panic --tenant SLUG [--reason R]        stop one tenant's workers and automation
    panic --all [--reason R]                stop every tenant (the global switch)
    panic --release --tenant SLUG | --all   lift that stop (skipped tasks stay recorded)
    panic --rerun --tenant SLUG | --all     queue the skipped tasks again (after release)
    panic --status                          what is stopped, and how many tasks wait

`--all` is the global switch's own scope: `--release --all` lifts the global switch and leaves
tenants stopped on their own stopped. `--actor EMAIL` names who acts, for the audit log.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from apps.accounts.management.errors import command_error
from apps.accounts.models import User
from apps.governance import services
from apps.governance.models import PanicState, SkippedTask
from apps.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Emergency stop: halt (or release) a tenant's or every tenant's background work; re-run what it skipped."

    def add_arguments(self, parser):
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--tenant", metavar="SLUG", help="The tenant to act on.")
        scope.add_argument("--all", action="store_true", help="Every tenant: the global switch.")
        what = parser.add_mutually_exclusive_group()
        what.add_argument("--release", action="store_true", help="Lift the stop instead of pulling it.")
        what.add_argument("--rerun", action="store_true", help="Queue the tasks skipped during a stop again.")
        what.add_argument("--status", action="store_true", help="Show what is stopped.")
        parser.add_argument("--reason", default="", help="Why (kept in the audit log).")
        parser.add_argument("--actor", metavar="EMAIL", help="Who acts (for the audit log).")

    def handle(self, *args, **options):
        if options["status"]:
            return self._status()
        if not options["tenant"] and not options["all"]:
            raise CommandError("Name a scope: --tenant SLUG or --all.")
        tenant = self._tenant(options["tenant"]) if options["tenant"] else None
        actor = self._actor(options["actor"])
        label = f"tenant {tenant.slug}" if tenant else "every tenant (global switch)"
        try:
            if options["rerun"]:
                count = services.skipped_tasks_rerun(actor=actor, tenant=tenant, every_tenant=tenant is None)
                self.stdout.write(self.style.SUCCESS(f"Re-queued {count} skipped task(s) of {label}."))
            elif options["release"]:
                state = services.panic_release(tenant=tenant, actor=actor, reason=options["reason"])
                if state is None:
                    self.stdout.write(f"Nothing to release: {label} is not stopped.")
                else:
                    waiting = self._pending(tenant)
                    self.stdout.write(self.style.SUCCESS(f"Released the stop of {label}."))
                    if waiting:
                        scope = f"--tenant {tenant.slug}" if tenant else "--all"
                        self.stdout.write(f"{waiting} skipped task(s) wait; re-run them with: panic --rerun {scope}")
            else:
                _state, engaged = services.panic_engage(tenant=tenant, actor=actor, reason=options["reason"])
                if engaged:
                    self.stdout.write(self.style.WARNING(f"STOPPED: background work of {label} is held."))
                else:
                    self.stdout.write(f"Already stopped: {label}.")
        except ValidationError as exc:
            raise command_error(exc) from exc
        return None

    def _tenant(self, slug: str) -> Tenant:
        tenant = Tenant.objects.exclude(schema_name="public").filter(slug=slug.strip().lower()).first()
        if tenant is None:
            raise CommandError(f"No tenant with the slug “{slug}”.")
        return tenant

    def _actor(self, email: str | None):
        if not email:
            return None
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with the email {email}.")
        return user

    def _pending(self, tenant: Tenant | None) -> int:
        rows = SkippedTask.objects.filter(rerun_at__isnull=True)
        return rows.filter(schema_name=tenant.schema_name).count() if tenant else rows.count()

    def _status(self) -> None:
        active = list(PanicState.objects.filter(active=True).select_related("tenant").order_by("at"))
        if not active:
            self.stdout.write("Nothing is stopped.")
        for state in active:
            scope = f"tenant {state.tenant.slug}" if state.tenant_id else "EVERY TENANT (global)"
            by = f" by {state.by_email}" if state.by_email else ""
            reason = f": {state.reason}" if state.reason else ""
            self.stdout.write(f"STOPPED {scope} since {state.at:%Y-%m-%d %H:%M:%S}{by}{reason}")
        pending = (
            SkippedTask.objects.filter(rerun_at__isnull=True).values("schema_name").annotate(n=Count("id")).order_by()
        )
        for row in pending:
            self.stdout.write(f"{row['n']} skipped task(s) waiting in {row['schema_name']}")
