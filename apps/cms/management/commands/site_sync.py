"""`manage.py site_sync --tenant SLUG` (repeatable) or `--all`: republish tenants' public sites
from their current content. Idempotent: a tenant whose content did not change keeps its
snapshot. `--queue` hands the work to the Celery workers instead of doing it here."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django_tenants.utils import tenant_context

from apps.cms.services import site_sync, site_sync_queue
from apps.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Turn the current content of tenants' sites into the published snapshot visitors see."

    def add_arguments(self, parser):
        parser.add_argument(
            "--tenant", action="append", default=[], metavar="SLUG", help="A tenant's slug (repeatable)."
        )
        parser.add_argument("--all", action="store_true", help="Every tenant that is not suspended.")
        parser.add_argument("--reason", default="", help="Recorded with the snapshot and in the audit log.")
        parser.add_argument("--queue", action="store_true", help="Queue site_sync_task on the workers instead.")

    def handle(self, *args, **options):
        slugs = [s.strip().lower() for s in options["tenant"] if s.strip()]
        if bool(slugs) == bool(options["all"]):
            raise CommandError("Name tenants with --tenant SLUG, or use --all.")
        connection.set_schema_to_public()
        tenants = Tenant.objects.exclude(schema_name="public").order_by("slug")
        if options["all"]:
            tenants = list(tenants.exclude(status=Tenant.Status.SUSPENDED))
        else:
            found = {t.slug: t for t in tenants.filter(slug__in=slugs)}
            missing = [s for s in slugs if s not in found]
            if missing:
                raise CommandError(f"Unknown tenant(s): {', '.join(missing)}.")
            tenants = [found[s] for s in dict.fromkeys(slugs)]
        reason = options["reason"] or "manage.py site_sync"
        for tenant in tenants:
            with tenant_context(tenant):
                if options["queue"]:
                    site_sync_queue(reason=reason)
                    self.stdout.write(f"{tenant.slug}: site sync queued")
                    continue
                before = type(self)._current_id()
                snap = site_sync(reason=reason)
                counts = f"{snap.page_count} pages, {snap.faq_count} FAQs, {snap.article_count} articles"
                if snap.pk == before:
                    self.stdout.write(f"{tenant.slug}: up to date (snapshot {snap.content_hash[:12]}, {counts})")
                else:
                    self.stdout.write(
                        self.style.SUCCESS(f"{tenant.slug}: published snapshot {snap.content_hash[:12]} ({counts})")
                    )
        connection.set_schema_to_public()

    @staticmethod
    def _current_id():
        from apps.cms.selectors import site_snapshot_current

        current = site_snapshot_current()
        return current.pk if current else None
