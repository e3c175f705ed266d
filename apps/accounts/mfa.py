"""TOTP MFA with django-otp: enrolment, verification (replay refused by django-otp's
`last_t`), backup codes (single use)."""

from __future__ import annotations

import secrets

from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

BACKUP_CODE_COUNT = 10
# Set at password login when the user has a device: the session must pass the code step even
# for users to whom MFA is optional (tier 0), see UserPreferencesMiddleware.
MFA_PENDING_SESSION_KEY = "mfa_pending"


def user_has_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_start_enrolment(*, user) -> TOTPDevice:
    """An unconfirmed device; it becomes usable once the user proves they scanned it."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def totp_pending_device(*, user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def totp_qr_svg(device: TOTPDevice) -> str:
    import segno

    return segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#0f172a", light="#ffffff")


@transaction.atomic
def totp_confirm_enrolment(*, request, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the device with a first code; returns fresh backup codes, or None if wrong."""
    if not device.verify_token((token or "").strip().replace(" ", "")):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    codes = backup_codes_regenerate(user=device.user)
    verify_login(request=request, device=device)
    return codes


def backup_codes_regenerate(*, user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def verify_token(*, user, token: str):
    """Returns the device that accepted the token, or None. A TOTP code already used (or an
    older one) is refused; a backup code works once."""
    token = (token or "").strip().replace(" ", "").replace("-", "")
    if not token:
        return None
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_is_allowed()[0] and device.verify_token(token):
            return device
    for device in StaticDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(token):
            return device
    return None


def verify_login(*, request, device) -> None:
    """Mark the session OTP-verified and rotate its key (a second rotation after password login)."""
    otp_login(request, device)
    request.session.cycle_key()
