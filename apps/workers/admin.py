"""Worker heartbeats, read-only: what the fleet's Celery workers last reported."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.utils import timezone
from unfold.admin import ModelAdmin
from unfold.decorators import display

from apps.core.admin_site import TierPermissionsMixin
from apps.workers.models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(TierPermissionsMixin, ModelAdmin):
    # Written only by the workers' own heartbeat task.
    add_tier = None
    change_tier = None
    delete_tier = None

    list_display = ("hostname", "alive_badge", "last_seen", "beats", "pid", "queues")
    search_fields = ("hostname", "queues")
    ordering = ("-last_seen",)
    fields = ("hostname", "alive_badge", "last_seen", "beats", "pid", "queues")
    readonly_fields = fields

    @display(description="State", label={"alive": "success", "silent": "danger"})
    def alive_badge(self, obj):
        window = timedelta(seconds=settings.CELERY_HEARTBEAT_SECONDS * 3)
        return ("alive", "Alive") if obj.last_seen >= timezone.now() - window else ("silent", "Silent")
