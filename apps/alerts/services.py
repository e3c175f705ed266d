"""Writes for alerts: preferences, emitting alerts, sending and retrying deliveries, digests.

The sending path (`deliveries_send`) claims deliveries (status `sending`, row locks skipped so two
workers never send the same one), sends them through the channel connectors, and records the
outcome on every row: `sent`; `retrying` with `next_attempt_at` (exponential back-off, or the
provider's retry_after when it asked for longer); `failed` when the error cannot heal by
retrying (wrong chat id, deleted webhook) or after ALERTS_MAX_ATTEMPTS. Nothing is deleted.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.alerts.channels import DeliveryError, OutgoingMessage, sender_for
from apps.alerts.channels.base import http_client
from apps.alerts.channels.discord import webhook_url_valid
from apps.alerts.channels.telegram import chat_id_valid
from apps.alerts.models import (
    SUBSCRIBABLE_EVENTS,
    Alert,
    AlertPreference,
    Channel,
    Delivery,
    EventType,
    Frequency,
    Severity,
)
from apps.audit.services import audit_record

log = logging.getLogger(__name__)

DIGEST_LINES = 40  # a digest lists this many alerts, then "… and N more"


# --------------------------------------------------------------------------- preferences


def alert_preference_update(
    *,
    user,
    email_enabled: bool,
    telegram_enabled: bool,
    discord_enabled: bool,
    frequency: str,
    event_types: list[str],
    telegram_chat_id: str = "",
    discord_webhook_url: str = "",
    clear_telegram: bool = False,
    clear_discord: bool = False,
) -> AlertPreference:
    """Save a user's alert preferences. A blank destination keeps the stored one (pages never
    show it back); `clear_*` removes it. A channel can be on only with a valid destination."""
    pref = AlertPreference.objects.filter(user=user).first() or AlertPreference(user=user)
    errors: dict[str, str] = {}
    telegram_chat_id = (telegram_chat_id or "").strip()
    discord_webhook_url = (discord_webhook_url or "").strip()

    if frequency not in Frequency.values:
        errors["frequency"] = "Choose instantly, hourly digest or daily digest."
    unknown = sorted(set(event_types) - set(SUBSCRIBABLE_EVENTS))
    if unknown:
        errors["event_types"] = f"Unknown event types: {', '.join(unknown)}."

    chat_id = None if clear_telegram else (telegram_chat_id or _reveal(pref.telegram_chat_id))
    if telegram_chat_id and not chat_id_valid(telegram_chat_id):
        errors["telegram_chat_id"] = "A Telegram chat id is a number (e.g. 123456789 or -100123…) or @channelname."
    elif telegram_enabled and not chat_id:
        errors["telegram_chat_id"] = "Enter your Telegram chat id to turn Telegram alerts on."

    webhook = None if clear_discord else (discord_webhook_url or _reveal(pref.discord_webhook_url))
    if discord_webhook_url and not webhook_url_valid(discord_webhook_url):
        base = settings.DISCORD_API_BASE.rstrip("/")
        errors["discord_webhook_url"] = f"Paste the webhook URL Discord gave you ({base}/webhooks/…)."
    elif discord_enabled and not webhook:
        errors["discord_webhook_url"] = "Enter a Discord webhook URL to turn Discord alerts on."
    if errors:
        raise ValidationError(errors)

    pref.email_enabled = bool(email_enabled)
    pref.telegram_enabled = bool(telegram_enabled)
    pref.discord_enabled = bool(discord_enabled)
    pref.telegram_chat_id = chat_id or None
    pref.discord_webhook_url = webhook or None
    pref.frequency = frequency
    pref.event_types = [e for e in SUBSCRIBABLE_EVENTS if e in set(event_types)]
    pref.save()
    return pref


def _reveal(value) -> str | None:
    return value.reveal() if value else None


# --------------------------------------------------------------------------- emitting


def alert_emit(
    *,
    event_type: str,
    title: str,
    body: str = "",
    severity: str = Severity.INFO,
    tenant=None,
    users,
    queue: bool = True,
) -> Alert:
    """Record an alert and one delivery per user and enabled channel, following each user's
    preferences (users without any get email, instantly, for every event). Instant deliveries
    are queued for sending when the transaction commits (`queue=False`: the caller sends them
    itself with deliveries_send); digest ones wait for their digest."""
    if event_type not in EventType.values:
        raise ValidationError({"event_type": f"Unknown event type “{event_type}”."})
    if severity not in Severity.values:
        raise ValidationError({"severity": f"Unknown severity “{severity}”."})
    recipients = {u.pk: u for u in users if u is not None and u.is_active}
    prefs = {p.user_id: p for p in AlertPreference.objects.filter(user_id__in=recipients)}
    with transaction.atomic():
        alert = Alert.objects.create(
            event_type=event_type, severity=severity, title=title[:200], body=body, tenant=tenant
        )
        deliveries = []
        for user_id in recipients:
            pref = prefs.get(user_id) or AlertPreference(user_id=user_id)
            if not pref.wants(event_type):
                continue
            instant = pref.frequency == Frequency.INSTANT or event_type == EventType.TEST
            for channel in pref.channels():
                deliveries.append(
                    Delivery(alert=alert, user_id=user_id, channel=channel, digest="" if instant else pref.frequency)
                )
        Delivery.objects.bulk_create(deliveries)
        instant_ids = [d.pk for d in deliveries if not d.digest]
        if instant_ids and queue:
            transaction.on_commit(lambda: queue_send(instant_ids))
    return alert


def alert_tenant_stakeholders(*, tenant, event_type: str, title: str, body: str, severity: str = Severity.INFO):
    """Alert the people answerable for a tenant: its managing partner and its owners."""
    from apps.accounts.models import Membership

    owners = [
        m.user for m in Membership.objects.filter(tenant=tenant, role=Membership.Role.OWNER).select_related("user")
    ]
    partner = tenant.partner if tenant.partner_id else None
    return alert_emit(
        event_type=event_type,
        title=title,
        body=body,
        severity=severity,
        tenant=tenant,
        users=[partner, *owners],
    )


TEST_ALERT_INTERVAL_SECONDS = 10


def alert_send_test(*, user, tenant=None) -> Alert:
    """A test alert to every channel the user has on (the "send test alert" button); one per
    user every few seconds, so the button cannot be turned into a message cannon."""
    from django.core.cache import cache

    if not cache.add(f"alerts:test-sent:{user.pk}", 1, timeout=TEST_ALERT_INTERVAL_SECONDS):
        raise ValidationError(f"A test alert was just sent; try again in {TEST_ALERT_INTERVAL_SECONDS} seconds.")
    where = f" from {tenant.name}" if tenant is not None else ""
    return alert_emit(
        event_type=EventType.TEST,
        title="Test alert",
        body=f"This is a test alert{where}. If you can read this, BizOSaaS alerts reach you here.",
        severity=Severity.INFO,
        tenant=tenant,
        users=[user],
    )


def queue_send(ids: list[int]) -> None:
    """Queue sending on the worker. Queued from the public schema, so a panic on the tenant the
    request came from does not hold platform alerts (only the fleet-wide switch does)."""
    from django_tenants.utils import schema_context

    from apps.alerts.tasks import deliveries_send_task

    with schema_context("public"):
        deliveries_send_task.apply_async(args=[list(ids)], queue=settings.ALERTS_QUEUE)


# --------------------------------------------------------------------------- sending


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    messages: int = 0
    rate_limited: int = 0
    errors: list[str] = field(default_factory=list)


def _claim(ids=None, *, where: Q | None = None) -> list[Delivery]:
    """Take deliveries for sending: locked rows (another worker's) are skipped, so each delivery
    is sent by one worker only."""
    now = timezone.now()
    with transaction.atomic():
        qs = Delivery.objects.select_for_update(skip_locked=True)
        if ids is not None:
            qs = qs.filter(pk__in=ids, status__in=[Delivery.Status.QUEUED, Delivery.Status.RETRYING])
        if where is not None:
            qs = qs.filter(where)
        claimed = list(qs.order_by("id")[: settings.ALERTS_BATCH_SIZE])
        if claimed:
            Delivery.objects.filter(pk__in=[d.pk for d in claimed]).update(
                status=Delivery.Status.SENDING, claimed_at=now
            )
    return claimed


def _destination(channel: str, user, pref: AlertPreference) -> str:
    if channel == Channel.EMAIL:
        return user.email
    if channel == Channel.TELEGRAM:
        return _reveal(pref.telegram_chat_id) or ""
    return _reveal(pref.discord_webhook_url) or ""


def _message_for(deliveries: list[Delivery]) -> OutgoingMessage:
    alerts = [d.alert for d in deliveries]
    if len(alerts) == 1:
        a = alerts[0]
        where = f"{a.tenant.name} · " if a.tenant_id else ""
        footer = f"{where}{a.get_event_type_display()} · {a.created_at:%Y-%m-%d %H:%M} UTC"
        return OutgoingMessage(subject=a.title, lines=[*a.body.splitlines(), "", footer], severity=a.severity)
    kind = {"hourly": "hourly digest", "daily": "daily digest"}.get(deliveries[0].digest, "alerts")
    worst = max(alerts, key=lambda x: [Severity.INFO, Severity.WARNING, Severity.CRITICAL].index(x.severity))
    lines = []
    for a in sorted(alerts, key=lambda x: x.created_at)[:DIGEST_LINES]:
        where = f"{a.tenant.name}: " if a.tenant_id else ""
        lines.append(f"• {a.created_at:%H:%M} [{a.severity}] {where}{a.title}")
    if len(alerts) > DIGEST_LINES:
        lines.append(f"… and {len(alerts) - DIGEST_LINES} more (see your alert settings).")
    return OutgoingMessage(subject=f"{len(alerts)} alerts — {kind}", lines=lines, severity=worst.severity)


def _backoff(attempts: int) -> timedelta:
    base = settings.ALERTS_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), settings.ALERTS_RETRY_MAX_SECONDS))


def _record_failure(group: list[Delivery], exc: DeliveryError, report: SendReport) -> None:
    now = timezone.now()
    error = str(exc)[:500]
    report.errors.append(error)
    for d in group:
        d.attempts += 1
        d.last_error = error
        d.claimed_at = None
        if exc.permanent or d.attempts >= settings.ALERTS_MAX_ATTEMPTS:
            d.status = Delivery.Status.FAILED
            d.next_attempt_at = None
            report.failed += 1
            log.warning("alert delivery %s failed for good: %s", d.pk, error)
        else:
            wait = _backoff(d.attempts)
            if exc.retry_after and exc.retry_after > wait.total_seconds():
                wait = timedelta(seconds=exc.retry_after)
            d.status = Delivery.Status.RETRYING
            d.next_attempt_at = now + wait
            report.retrying += 1
    Delivery.objects.bulk_update(group, ["attempts", "last_error", "claimed_at", "status", "next_attempt_at"])


def _send_claimed(claimed: list[Delivery], report: SendReport, *, sleep=None) -> None:
    if not claimed:
        return
    # Instant deliveries go one message each; digest ones one message per user, channel, digest.
    groups: dict[tuple, list[Delivery]] = defaultdict(list)
    for d in claimed:
        key = (d.user_id, d.channel, d.digest, d.pk if not d.digest else 0)
        groups[key].append(d)
    users = {d.user_id: d.user for d in claimed}
    prefs = {p.user_id: p for p in AlertPreference.objects.filter(user_id__in=users)}
    extra = {"sleep": sleep} if sleep else {}
    with http_client() as client:
        senders = {}
        for (user_id, channel, _digest, _), group in groups.items():
            sender = senders.get(channel)
            if sender is None:
                sender = senders[channel] = sender_for(channel, client=client, **extra)
            pref = prefs.get(user_id) or AlertPreference(user_id=user_id)
            try:
                sender.send(_destination(channel, users[user_id], pref), _message_for(group))
            except DeliveryError as exc:
                _record_failure(group, exc, report)
                continue
            now = timezone.now()
            for d in group:
                d.attempts += 1
                d.status = Delivery.Status.SENT
                d.sent_at = now
                d.claimed_at = None
                d.next_attempt_at = None
                d.last_error = ""
            Delivery.objects.bulk_update(
                group, ["attempts", "status", "sent_at", "claimed_at", "next_attempt_at", "last_error"]
            )
            report.sent += len(group)
            report.messages += 1
        report.rate_limited += sum(s.rate_limited for s in senders.values())


def deliveries_send(*, ids: list[int], sleep=None) -> SendReport:
    """Send these deliveries now (those still queued or retrying; others are left alone)."""
    report = SendReport()
    remaining = list(ids)
    while remaining:
        chunk, remaining = remaining[: settings.ALERTS_BATCH_SIZE], remaining[settings.ALERTS_BATCH_SIZE :]
        claimed = list(_claim(chunk))
        _load_related(claimed)
        _send_claimed(claimed, report, sleep=sleep)
    return report


def _load_related(claimed: list[Delivery]) -> None:
    if not claimed:
        return
    full = {
        d.pk: d for d in Delivery.objects.filter(pk__in=[d.pk for d in claimed]).select_related("alert__tenant", "user")
    }
    for d in claimed:
        d.alert = full[d.pk].alert
        d.user = full[d.pk].user


def deliveries_retry_due(*, now=None, sleep=None) -> SendReport:
    """The retry sweep (every minute): deliveries whose next attempt is due, instant ones whose
    send task was lost, and ones a dead worker left half-sent."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.ALERTS_STALE_SECONDS)
    where = (
        Q(status=Delivery.Status.RETRYING, next_attempt_at__lte=now)
        | Q(status=Delivery.Status.QUEUED, digest="", created_at__lte=stale)
        | Q(status=Delivery.Status.SENDING, claimed_at__lte=stale)
    )
    # Digest deliveries waiting for their retry are sent as a digest again, grouped per user.
    report = SendReport()
    while True:
        claimed = _claim(where=where)
        if not claimed:
            break
        _load_related(claimed)
        _send_claimed(claimed, report, sleep=sleep)
    return report


def digests_send(*, frequency: str, sleep=None) -> SendReport:
    """One message per user and channel with every alert waiting for this digest."""
    if frequency not in (Frequency.HOURLY, Frequency.DAILY):
        raise ValueError(f"Not a digest frequency: {frequency!r}")
    where = Q(status=Delivery.Status.QUEUED, digest=frequency)
    report = SendReport()
    while True:
        claimed = _claim(where=where)
        if not claimed:
            break
        _load_related(claimed)
        _send_claimed(claimed, report, sleep=sleep)
    return report


def delivery_retry_now(*, delivery: Delivery, actor=None, ip: str | None = None) -> Delivery:
    """Give a failed (or waiting) delivery a fresh round of attempts, starting now."""
    if delivery.status == Delivery.Status.SENT:
        raise ValidationError({"status": "This alert was already delivered."})
    with transaction.atomic():
        delivery.status = Delivery.Status.RETRYING
        delivery.attempts = 0
        delivery.next_attempt_at = timezone.now()
        delivery.claimed_at = None
        delivery.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_at"])
        if actor is not None and actor.pk != delivery.user_id:
            audit_record(
                action="alerts.delivery_retry",
                actor=actor,
                target=delivery,
                tenant_slug=delivery.alert.tenant.slug if delivery.alert.tenant_id else "",
                ip=ip,
            )
        transaction.on_commit(lambda: queue_send([delivery.pk]))
    return delivery
