"""Cache coherence, and the audit trail of impersonation.

The style guide keeps business flow out of signals; these receivers do no business work. The
first group keeps the two Redis mirrors (banner snapshot version, panic map) in step with their
tables whatever wrote to them — a service, the admin, a fixture or a shell — and does it twice
inside a transaction: at once (so this process sees its own write) and after commit (so other
processes never cache a state that was not committed yet). The second group turns
django-hijack's own signals into audit events, because hijack's views are the ones that switch
the session back.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from hijack.signals import hijack_ended, hijack_started

from apps.governance.models import PanicState, SystemBanner


def _now_and_after_commit(func) -> None:
    func()
    if connection.in_atomic_block:
        transaction.on_commit(func)


@receiver(post_save, sender=SystemBanner, dispatch_uid="governance_banner_saved")
@receiver(post_delete, sender=SystemBanner, dispatch_uid="governance_banner_deleted")
def _banner_written(sender, **kwargs):
    from apps.governance.banners import version_bump

    _now_and_after_commit(version_bump)


@receiver(m2m_changed, sender=SystemBanner.tenants.through, dispatch_uid="governance_banner_tenants")
@receiver(m2m_changed, sender=SystemBanner.partners.through, dispatch_uid="governance_banner_partners")
def _banner_audience_changed(sender, action, **kwargs):
    if action.startswith("post_"):
        from apps.governance.banners import version_bump

        _now_and_after_commit(version_bump)


@receiver(post_save, sender=PanicState, dispatch_uid="governance_panic_saved")
@receiver(post_delete, sender=PanicState, dispatch_uid="governance_panic_deleted")
def _panic_written(sender, **kwargs):
    from apps.governance.panic import mirror_sync

    _now_and_after_commit(mirror_sync)


@receiver(hijack_started, dispatch_uid="governance_hijack_started")
def _impersonation_started(sender, request, hijacker, hijacked, **kwargs):
    from apps.governance.impersonation import impersonation_audit

    impersonation_audit(request=request, hijacker=hijacker, hijacked=hijacked, started=True)


@receiver(hijack_ended, dispatch_uid="governance_hijack_ended")
def _impersonation_ended(sender, request, hijacker, hijacked, **kwargs):
    from apps.governance.impersonation import impersonation_audit

    impersonation_audit(request=request, hijacker=hijacker, hijacked=hijacked, started=False)
