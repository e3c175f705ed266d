"""The kill switch in the DRF layer: tenant-scoped automation routes call this (through
apps.tenancy.api.views.tenant_for_request(require_active=True)) and answer 423 while the tenant,
or the fleet, is under an emergency stop. One Redis GET, no SQL."""

from __future__ import annotations

from apps.api.exceptions import Locked
from apps.governance.panic import panic_for_tenant


class PanicLocked(Locked):
    default_detail = "This tenant's automation is paused by an emergency stop."
    default_code = "locked"


def raise_if_panicked(tenant) -> None:
    panic = panic_for_tenant(tenant)
    if panic is None:
        return
    scope = "every tenant" if panic.is_global else f"tenant “{tenant.slug}”"
    raise PanicLocked(
        f"Automation for {scope} is paused by an emergency stop; nothing was done. Try again after it is released."
    )
