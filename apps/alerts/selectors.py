"""Reads for alerts, scoped to the asking user."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.alerts.models import AlertPreference, Delivery


def alert_preference_for(*, user) -> AlertPreference:
    """The user's preferences, or the defaults (unsaved) when they never saved any."""
    return AlertPreference.objects.filter(user=user).first() or AlertPreference(user=user)


def deliveries_for(*, user) -> QuerySet[Delivery]:
    return Delivery.objects.filter(user=user).select_related("alert", "alert__tenant").order_by("-created_at", "-id")


def deliveries_recent_for(*, user, limit: int = 20) -> list[Delivery]:
    return list(deliveries_for(user=user)[:limit])


def delivery_get_for(*, user, delivery_id: int) -> Delivery | None:
    """A delivery of this user's own, or None (another user's is never revealed)."""
    return deliveries_for(user=user).filter(pk=delivery_id).first()


def deliveries_pending_count(*, user) -> int:
    return Delivery.objects.filter(
        user=user, status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING, Delivery.Status.RETRYING]
    ).count()
