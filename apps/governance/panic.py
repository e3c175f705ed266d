"""The cheap side of the kill switch: is a tenant (or the fleet) panicked right now?

The truth is the public table PanicState. Its active rows are mirrored into one Redis key (a
small dict: the global switch and the panicked schemas), so a worker about to run a task, or a
request about to write, pays one Redis GET and no SQL. If the key is missing (Redis restarted,
cache flushed) it is rebuilt from the table, so a lost key never silently lifts a panic.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache

MIRROR_KEY = "governance:panic:active"


@dataclass(frozen=True)
class PanicInfo:
    scope: str  # "all" or the tenant's slug
    reason: str
    by: str
    at: str  # ISO 8601

    @property
    def is_global(self) -> bool:
        return self.scope == "all"


def _as_info(state) -> dict:
    return {
        "scope": state.tenant.slug if state.tenant_id else "all",
        "reason": state.reason,
        "by": state.by_email,
        "at": state.at.isoformat(),
    }


def mirror_sync() -> dict:
    """Rebuild the Redis mirror from the table (one query) and return it."""
    from apps.governance.models import PanicState

    data: dict = {"all": None, "schemas": {}}
    for state in PanicState.objects.filter(active=True).select_related("tenant"):
        if state.tenant_id is None:
            data["all"] = _as_info(state)
        else:
            data["schemas"][state.tenant.schema_name] = _as_info(state)
    cache.set(MIRROR_KEY, data, timeout=None)
    return data


def _mirror() -> dict:
    data = cache.get(MIRROR_KEY)
    if data is None:
        data = mirror_sync()
    return data


def panic_for_schema(schema_name: str) -> PanicInfo | None:
    """The panic that holds this schema's work, if any: the global switch first (it is the
    broader one and usually the reason to look), else the tenant's own. The public schema is
    held only by the global switch."""
    data = _mirror()
    info = data.get("all") or data.get("schemas", {}).get(schema_name)
    return PanicInfo(**info) if info else None


def panic_for_tenant(tenant) -> PanicInfo | None:
    return panic_for_schema(tenant.schema_name)
