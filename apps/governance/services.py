"""Writes for governance: banners and their dismissals, the kill switch and the tasks it held
back. Every privileged write is audited here, in the same transaction as the write."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import Tier
from apps.audit.services import audit_record
from apps.governance.models import BannerDismissal, PanicState, SkippedTask, SystemBanner
from apps.tenancy.models import Tenant

# --------------------------------------------------------------------------- banners


def _banner_snapshot(banner: SystemBanner, tenants, partners) -> dict:
    return {
        "message": banner.message,
        "severity": banner.severity,
        "audience": banner.audience,
        "tiers": list(banner.tiers or []),
        "tenants": sorted(t.slug for t in tenants),
        "partners": sorted(p.email for p in partners),
        "starts_at": banner.starts_at.isoformat() if banner.starts_at else None,
        "ends_at": banner.ends_at.isoformat() if banner.ends_at else None,
        "dismissible": banner.dismissible,
    }


def banner_validate(*, banner: SystemBanner, tenants: list, partners: list) -> None:
    errors: dict[str, str] = {}
    if not (banner.message or "").strip():
        errors["message"] = "A message is required."
    if banner.severity not in SystemBanner.Severity.values:
        errors["severity"] = f"Choose one of: {', '.join(SystemBanner.Severity.values)}."
    if banner.audience not in SystemBanner.Audience.values:
        errors["audience"] = f"Choose one of: {', '.join(SystemBanner.Audience.values)}."
    if banner.audience == SystemBanner.Audience.TIERS:
        tiers = banner.tiers or []
        if not tiers:
            errors["tiers"] = "Pick at least one tier for the audience “tiers”."
        elif any(int(t) not in Tier.values for t in tiers):
            errors["tiers"] = "Unknown tier."
    if banner.audience == SystemBanner.Audience.TENANTS and not tenants:
        errors["tenants"] = "Pick at least one tenant for the audience “tenants”."
    if any(getattr(t, "is_public", False) for t in tenants):
        errors["tenants"] = "The platform itself is not a tenant audience."
    if any(not p.is_partner for p in partners):
        errors["partners"] = "Only partner accounts can be picked."
    if banner.starts_at and banner.ends_at and banner.ends_at <= banner.starts_at:
        errors["ends_at"] = "The end must be after the start."
    if errors:
        raise ValidationError(errors)


def banner_save(
    *, banner: SystemBanner, actor, tenants: Iterable | None = None, partners: Iterable | None = None, ip=None
) -> SystemBanner:
    """Create or change a banner with its audience lists. The snapshot version is bumped by
    the model's signals (on save and on the audience changes)."""
    creating = banner.pk is None
    tenants = list(tenants if tenants is not None else ([] if creating else banner.tenants.all()))
    partners = list(partners if partners is not None else ([] if creating else banner.partners.all()))
    banner.message = (banner.message or "").strip()
    if banner.audience != SystemBanner.Audience.TIERS:
        banner.tiers = []
    else:
        banner.tiers = sorted({int(t) for t in banner.tiers or []})
    if banner.audience != SystemBanner.Audience.TENANTS:
        tenants = []
    if banner.audience != SystemBanner.Audience.PARTNERS:
        partners = []
    banner_validate(banner=banner, tenants=tenants, partners=partners)
    with transaction.atomic():
        before = None
        if not creating:
            old = SystemBanner.objects.get(pk=banner.pk)
            before = _banner_snapshot(old, old.tenants.all(), old.partners.all())
        if creating and actor is not None and getattr(actor, "is_authenticated", False):
            banner.created_by = actor
        banner.save()
        banner.tenants.set(tenants)
        banner.partners.set(partners)
        audit_record(
            action="banner.create" if creating else "banner.update",
            actor=actor,
            target=banner,
            before=before,
            after=_banner_snapshot(banner, tenants, partners),
            ip=ip,
        )
    return banner


def banner_delete(*, banner: SystemBanner, actor, ip=None) -> None:
    with transaction.atomic():
        audit_record(
            action="banner.delete",
            actor=actor,
            target=banner,
            before=_banner_snapshot(banner, banner.tenants.all(), banner.partners.all()),
            ip=ip,
        )
        banner.delete()


def banner_dismiss(*, user, banner_id: int) -> bool:
    """Hide a dismissible banner for this user, everywhere. False if there is no such banner
    or it cannot be dismissed."""
    from apps.governance.banners import dismissals_forget

    banner = SystemBanner.objects.filter(pk=banner_id, dismissible=True).first()
    if banner is None or not user.is_authenticated:
        return False
    BannerDismissal.objects.get_or_create(user=user, banner=banner)
    dismissals_forget(user_id=user.pk)
    return True


# --------------------------------------------------------------------------- kill switch


def _actor_email(actor) -> str:
    return actor.email if actor is not None and getattr(actor, "is_authenticated", False) else ""


def _check_scope(tenant: Tenant | None) -> None:
    if tenant is not None and tenant.is_public:
        raise ValidationError({"tenant": "The platform itself is not a tenant; use the global switch (--all)."})


def panic_active(*, tenant: Tenant | None) -> PanicState | None:
    """The active panic of exactly this scope (a tenant, or the global switch for None)."""
    return PanicState.objects.filter(tenant=tenant, active=True).first()


def panic_engage(*, tenant: Tenant | None, actor=None, reason: str = "", ip=None) -> tuple[PanicState, bool]:
    """Stop a tenant's (or, with tenant=None, every tenant's) background work now: its queued
    and newly queued tasks are skipped and recorded, long tasks stop at their next step, and its
    automation endpoints answer 423. Returns (state, engaged_now); engaging twice is a no-op."""
    _check_scope(tenant)
    existing = panic_active(tenant=tenant)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            state = PanicState.objects.create(
                tenant=tenant,
                reason=(reason or "").strip()[:255],
                by=actor if _actor_email(actor) else None,
                by_email=_actor_email(actor),
            )
            audit_record(
                action="panic.engage",
                actor=actor,
                target=tenant if tenant is not None else state,
                tenant_slug=tenant.slug if tenant is not None else "",
                reason=state.reason,
                after={"scope": state.scope, "active": True},
                ip=ip,
            )
    except IntegrityError:  # engaged concurrently by someone else
        return panic_active(tenant=tenant), False
    return state, True


def panic_release(*, tenant: Tenant | None, actor=None, reason: str = "", ip=None) -> PanicState | None:
    """Lift the panic of exactly this scope. Skipped tasks stay recorded until re-run. Returns
    the released state, or None if the scope was not panicked."""
    _check_scope(tenant)
    with transaction.atomic():
        state = PanicState.objects.select_for_update().filter(tenant=tenant, active=True).first()
        if state is None:
            return None
        state.active = False
        state.released_at = timezone.now()
        state.released_by = actor if _actor_email(actor) else None
        state.released_by_email = _actor_email(actor)
        state.save(update_fields=["active", "released_at", "released_by", "released_by_email"])
        pending = SkippedTask.objects.filter(rerun_at__isnull=True)
        if tenant is not None:
            pending = pending.filter(schema_name=tenant.schema_name)
        audit_record(
            action="panic.release",
            actor=actor,
            target=tenant if tenant is not None else state,
            tenant_slug=tenant.slug if tenant is not None else "",
            reason=(reason or "").strip()[:255],
            before={"scope": state.scope, "active": True, "since": state.at.isoformat()},
            after={"scope": state.scope, "active": False, "skipped_tasks_pending": pending.count()},
            ip=ip,
        )
    return state


def skipped_task_record(
    *,
    task_id: str,
    task_name: str,
    args: list,
    kwargs: dict,
    schema_name: str,
    queue: str = "",
    queued_at=None,
    kind: str = SkippedTask.Kind.SKIPPED,
    reason: str = "",
) -> SkippedTask:
    """Called by the worker instead of running a task; a redelivered message is recorded once."""
    tenant = None if schema_name == "public" else Tenant.objects.filter(schema_name=schema_name).first()
    row, _ = SkippedTask.objects.get_or_create(
        task_id=task_id,
        defaults={
            "task_name": task_name,
            "args": args,
            "kwargs": kwargs,
            "schema_name": schema_name,
            "tenant": tenant,
            "queue": queue[:80],
            "queued_at": queued_at,
            "kind": kind,
            "reason": reason[:255],
        },
    )
    return row


def skipped_tasks_rerun(
    *, actor=None, tenant: Tenant | None = None, every_tenant: bool = False, ids: Iterable[int] | None = None, ip=None
) -> int:
    """Queue again the tasks a panic held back: a tenant's, every one (every_tenant=True), or
    the chosen rows (ids). Tasks whose tenant, or the fleet, is still panicked are refused: they
    would only be skipped again. Returns how many were queued."""
    from apps.governance.panic import panic_for_schema

    if tenant is None and not every_tenant and ids is None:
        raise ValidationError({"tenant": "Name a tenant, every tenant, or the tasks to re-run."})
    if tenant is not None:
        _check_scope(tenant)
        panic = panic_for_schema(tenant.schema_name)
        if panic is not None:
            raise ValidationError(
                {"tenant": f"{tenant.slug} is still panicked ({panic.scope}); release it before re-running its tasks."}
            )
    queued: list[SkippedTask] = []
    with transaction.atomic():
        rows = SkippedTask.objects.select_for_update(skip_locked=True).filter(rerun_at__isnull=True)
        if tenant is not None:
            rows = rows.filter(schema_name=tenant.schema_name)
        if ids is not None:
            rows = rows.filter(pk__in=list(ids))
        now = timezone.now()
        for row in rows.order_by("skipped_at", "id"):
            if panic_for_schema(row.schema_name) is not None:
                continue
            row.rerun_at = now
            row.rerun_task_id = str(uuid.uuid4())
            row.rerun_by = actor if _actor_email(actor) else None
            row.save(update_fields=["rerun_at", "rerun_task_id", "rerun_by"])
            queued.append(row)
        per_tenant = Counter(row.tenant.slug if row.tenant_id else row.schema_name for row in queued)
        for slug, count in sorted(per_tenant.items()):
            audit_record(
                action="panic.rerun",
                actor=actor,
                target_type="governance.skippedtask",
                target_repr=f"{count} skipped task(s) of {slug}",
                tenant_slug=slug if slug != "public" else "",
                after={"requeued": count},
                ip=ip,
            )
        transaction.on_commit(lambda: _send(queued))
    return len(queued)


def _send(rows: list[SkippedTask]) -> None:
    from config.celery import app

    for row in rows:
        options = {"task_id": row.rerun_task_id, "headers": {"_schema_name": row.schema_name}}
        if row.queue:
            options["queue"] = row.queue
        app.send_task(row.task_name, args=row.args, kwargs=row.kwargs, **options)
