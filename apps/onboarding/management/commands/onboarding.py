"""`manage.py onboarding funnel [--days N] [--json]` and `manage.py onboarding retry <id|public id>`:
the admin's funnel and "retry failed step" for staff on the server (same selector and service)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.onboarding import selectors, services
from apps.onboarding.models import Onboarding


class Command(BaseCommand):
    help = "The onboarding funnel, and retrying a sign-up's failed step."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        funnel = sub.add_parser("funnel", help="Counts and drop-off per step, from our records.")
        funnel.add_argument("--days", type=int, default=None, help="Only sign-ups started in the last N days.")
        funnel.add_argument("--json", action="store_true")
        retry = sub.add_parser("retry", help="Run a sign-up's failed (or stuck) step again.")
        retry.add_argument("onboarding", help="The record's id or public id.")

    def handle(self, *args, action: str, **options):
        if action == "funnel":
            self._funnel(days=options["days"], as_json=options["json"])
        else:
            self._retry(options["onboarding"])

    def _funnel(self, *, days: int | None, as_json: bool) -> None:
        since = timezone.now() - timedelta(days=days) if days else None
        data = selectors.funnel(since=since)
        if as_json:
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        for stage in data["stages"]:
            drop = f"  -{stage['drop_off']}% ({stage['lost']} lost)" if stage["drop_off"] is not None else ""
            self.stdout.write(f"{stage['label']:<22}{stage['count']:>7}{drop}")
        failed = ", ".join(f"{f['label']}: {f['count']}" for f in data["failed"])
        self.stdout.write(f"Failed, waiting for a retry: {failed}")
        analytics = data["analytics"]
        self.stdout.write(
            f"PostHog: on ({analytics['host']})" if analytics["enabled"] else f"PostHog: off. {analytics['reason']}"
        )

    def _retry(self, ref: str) -> None:
        record = None
        if ref.isdigit():
            record = Onboarding.objects.filter(pk=int(ref)).first()
        else:
            try:
                record = Onboarding.objects.filter(public_id=uuid.UUID(ref)).first()
            except ValueError:
                record = None
        if record is None:
            raise CommandError(f"No onboarding {ref!r}.")
        try:
            self.stdout.write(services.onboarding_retry(onboarding=record))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
