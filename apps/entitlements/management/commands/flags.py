"""`manage.py flags …` — the entitlement engine from the server's shell.

    flags list
    flags create KEY --stage alpha|beta|ga [--name NAME] [--rollout PCT]
    flags promote KEY
    flags kill KEY [--reason TEXT]
    flags unkill KEY
    flags retire KEY
    flags rollout KEY PCT
    flags grant KEY (--tenant SLUG | --user EMAIL | --partner EMAIL | --tier NAME) [--expires YYYY-MM-DD]
    flags revoke KEY (--tenant SLUG | --user EMAIL | --partner EMAIL | --tier NAME)
    flags explain KEY --user EMAIL [--tenant SLUG]

Writes go through apps.entitlements.services (audited, actor "system"); `explain` reads the
database afresh, so it answers for what is committed now.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.accounts.management.errors import command_error
from apps.entitlements import services, snapshot
from apps.entitlements.context import Entitlements, context_for
from apps.entitlements.models import Feature, Grant

STAGE_CHOICES = ("alpha", "beta", "ga")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--expires: “{value}” is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "Feature flags of the Unified Entitlement Engine: list, create, promote, kill, grant, explain."

    def add_arguments(self, parser: CommandParser):
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        sub.add_parser("list", help="Every feature with its stage, kill switch, rollout and grants.")

        p = sub.add_parser("create", help="Create a feature.")
        p.add_argument("key")
        p.add_argument("--stage", choices=STAGE_CHOICES, default="alpha")
        p.add_argument("--name", default="")
        p.add_argument("--description", default="")
        p.add_argument("--rollout", type=int, default=0, help="Beta rollout percentage (0–100).")
        p.add_argument("--requires", action="append", default=[], help="A prerequisite feature key (repeatable).")

        for name, text in (
            ("promote", "Alpha → Beta → GA."),
            ("kill", "Global kill switch ON: OFF for everyone, staff included."),
            ("unkill", "Global kill switch OFF."),
            ("retire", "Retire: OFF for good."),
        ):
            p = sub.add_parser(name, help=text)
            p.add_argument("key")
            p.add_argument("--reason", default="")

        p = sub.add_parser("rollout", help="Set the beta rollout percentage.")
        p.add_argument("key")
        p.add_argument("percentage", type=int)

        for name, text in (("grant", "Grant a beta feature."), ("revoke", "Remove a grant.")):
            p = sub.add_parser(name, help=text)
            p.add_argument("key")
            target = p.add_mutually_exclusive_group(required=True)
            target.add_argument("--tenant", metavar="SLUG")
            target.add_argument("--user", metavar="EMAIL")
            target.add_argument("--partner", metavar="EMAIL")
            target.add_argument("--tier", metavar="NAME", help="A plan tier: free, starter, pro, enterprise.")
            if name == "grant":
                p.add_argument("--expires", metavar="YYYY-MM-DD", type=_date, help="Last day of the grant (UTC).")
            p.add_argument("--reason", default="")

        p = sub.add_parser("explain", help="ON or OFF for a user (on a tenant), and the rule that decided.")
        p.add_argument("key")
        p.add_argument("--user", metavar="EMAIL", required=True)
        p.add_argument("--tenant", metavar="SLUG")

    def handle(self, *args, **options):
        action = options["action"]
        try:
            return getattr(self, f"do_{action}")(options)
        except ValidationError as exc:
            raise command_error(exc) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc

    # ----------------------------------------------------------------- lookups

    @staticmethod
    def _feature(key: str) -> Feature:
        feature = Feature.objects.filter(key=key.strip().lower()).first()
        if feature is None:
            raise CommandError(f"No feature “{key}”. See `manage.py flags list`.")
        return feature

    @staticmethod
    def _user(email: str, *, what: str = "user"):
        from apps.accounts.models import User

        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"{what}: no user with the email {email}.")
        return user

    @staticmethod
    def _tenant(slug: str):
        from apps.tenancy.models import Tenant

        tenant = (
            Tenant.objects.exclude(schema_name="public")
            .select_related("plan")
            .filter(slug=slug.strip().lower())
            .first()
        )
        if tenant is None:
            raise CommandError(f"tenant: no tenant “{slug}”.")
        return tenant

    def _target(self, options) -> dict:
        if options["tenant"]:
            return {"tenant": self._tenant(options["tenant"])}
        if options["user"]:
            return {"user": self._user(options["user"])}
        if options["partner"]:
            return {"partner": self._user(options["partner"], what="partner")}
        return {"tier": options["tier"]}

    # ----------------------------------------------------------------- actions

    def do_list(self, options):
        features = Feature.objects.prefetch_related("prerequisites", "grants").order_by("key")
        if not features:
            self.stdout.write("No features yet. `manage.py flags create KEY --stage alpha`.")
            return
        self.stdout.write(f"{'KEY':<32} {'STAGE':<8} {'KILLED':<6} {'ROLLOUT':>7} {'GRANTS':>6}  PREREQUISITES")
        for f in features:
            prereqs = ", ".join(sorted(p.key for p in f.prerequisites.all())) or "-"
            self.stdout.write(
                f"{f.key:<32} {f.stage:<8} {'yes' if f.killed else 'no':<6} {f.rollout_percentage:>6}% "
                f"{len(f.grants.all()):>6}  {prereqs}"
            )

    def do_create(self, options):
        feature = services.feature_create(
            key=options["key"],
            name=options["name"],
            description=options["description"],
            stage=options["stage"],
            rollout_percentage=options["rollout"],
            prerequisites=options["requires"],
        )
        self.stdout.write(self.style.SUCCESS(f"Created {feature.key} at {feature.stage}."))

    def do_promote(self, options):
        feature = services.feature_promote(feature=self._feature(options["key"]), reason=options["reason"])
        self.stdout.write(self.style.SUCCESS(f"{feature.key} is now {feature.stage}."))

    def do_kill(self, options):
        feature = services.feature_kill(feature=self._feature(options["key"]), reason=options["reason"])
        self.stdout.write(self.style.WARNING(f"{feature.key} is killed: OFF for everyone."))

    def do_unkill(self, options):
        feature = services.feature_unkill(feature=self._feature(options["key"]), reason=options["reason"])
        self.stdout.write(self.style.SUCCESS(f"{feature.key} is no longer killed (stage {feature.stage})."))

    def do_retire(self, options):
        feature = services.feature_retire(feature=self._feature(options["key"]), reason=options["reason"])
        self.stdout.write(self.style.SUCCESS(f"{feature.key} is retired."))

    def do_rollout(self, options):
        feature = services.feature_update(
            feature=self._feature(options["key"]), rollout_percentage=options["percentage"]
        )
        self.stdout.write(self.style.SUCCESS(f"{feature.key} rolls out to {feature.rollout_percentage}% of tenants."))

    def do_grant(self, options):
        feature = self._feature(options["key"])
        grant = services.grant_add(
            feature=feature, expires_at=options["expires"], reason=options["reason"], **self._target(options)
        )
        until = f" until {grant.expires_at:%Y-%m-%d %H:%M} UTC" if grant.expires_at else ""
        self.stdout.write(self.style.SUCCESS(f"Granted {feature.key} to {grant.target_label}{until}."))

    def do_revoke(self, options):
        feature = self._feature(options["key"])
        target = self._target(options)
        filters = {"feature": feature}
        if "tier" in target:
            filters.update(target_type="tier", plan__code=str(target["tier"]).strip().lower())
        else:
            ((kind, obj),) = target.items()
            filters.update(target_type=kind, **{kind: obj})
        grant = Grant.objects.select_related("feature", "user", "tenant", "partner", "plan").filter(**filters).first()
        if grant is None:
            raise CommandError(f"{feature.key} has no such grant.")
        label = grant.target_label
        services.grant_remove(grant=grant, reason=options["reason"])
        self.stdout.write(self.style.SUCCESS(f"Removed the grant of {feature.key} to {label}."))

    def do_explain(self, options):
        key = self._feature(options["key"]).key
        user = self._user(options["user"])
        tenant = self._tenant(options["tenant"]) if options["tenant"] else None
        # A fresh load, not this process's snapshot: the answer reflects what is committed now.
        decision = Entitlements(context_for(user=user, tenant=tenant), snapshot.load()).explain(key)
        style = self.style.SUCCESS if decision.on else self.style.WARNING
        self.stdout.write(style(decision.state))
        self.stdout.write(f"rule: {decision.rule} — {decision.reason}")
        self.stdout.write(f"context: {decision.context.describe()}")
