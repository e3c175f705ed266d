"""Product analytics through PostHog (the `posthog` client), sent to `POSTHOG_HOST`.

No `POSTHOG_API_KEY` = disabled: nothing is queued, no request is made, and `analytics_status()`
says so (the admin funnel view and the sign-up status JSON show it). Analytics never breaks the
caller: a capture that fails is logged and dropped.

One client per process, made lazily (after a worker forks). By default it sends from a
background thread in batches; `POSTHOG_SYNC_MODE` sends each event inline (tests use it to
assert what reached the server).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

log = logging.getLogger(__name__)

_lock = threading.Lock()
_client = None


def analytics_enabled() -> bool:
    return bool(getattr(settings, "POSTHOG_API_KEY", ""))


def analytics_status() -> dict[str, Any]:
    """What the UI and JSON status report about analytics."""
    if analytics_enabled():
        return {"provider": "posthog", "enabled": True, "host": settings.POSTHOG_HOST}
    return {
        "provider": "posthog",
        "enabled": False,
        "host": settings.POSTHOG_HOST,
        "reason": "POSTHOG_API_KEY is not set: analytics is disabled and no events are sent.",
    }


def _get_client():
    global _client
    if not analytics_enabled():
        return None
    with _lock:
        if _client is None:
            from posthog import Posthog

            _client = Posthog(
                project_api_key=settings.POSTHOG_API_KEY,
                host=settings.POSTHOG_HOST,
                sync_mode=settings.POSTHOG_SYNC_MODE,
                timeout=5,
                max_retries=3,
                disable_geoip=True,
                enable_exception_autocapture=False,
            )
        return _client


def capture(event: str, *, distinct_id: str, properties: dict[str, Any] | None = None) -> bool:
    """Queue (or, in sync mode, send) one event. True if the client accepted it."""
    client = _get_client()
    if client is None:
        return False
    try:
        return client.capture(event, distinct_id=str(distinct_id), properties=dict(properties or {})) is not None
    except Exception:  # analytics must never break the flow that reports to it
        log.warning("PostHog capture of %s failed", event, exc_info=True)
        return False


def flush() -> None:
    client = _client
    if client is not None:
        try:
            client.flush()
        except Exception:
            log.warning("PostHog flush failed", exc_info=True)


def reset() -> None:
    """Drop the client (after a settings change); pending events are flushed first."""
    global _client
    with _lock:
        client, _client = _client, None
    if client is not None:
        try:
            client.shutdown()
        except Exception:
            log.warning("PostHog shutdown failed", exc_info=True)


@receiver(setting_changed, dispatch_uid="core_analytics_setting_changed")
def _settings_changed(setting: str, **kwargs) -> None:
    if setting.startswith("POSTHOG_"):
        reset()
