from __future__ import annotations

from django.conf import settings
from django_otp.oath import totp


def code_for(device, drift: int = 0) -> str:
    """The device's TOTP code now (drift=-1: the code of the previous 30-second step)."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + drift):0{device.digits}d}"


def session_key(client) -> str | None:
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return cookie.value if cookie else None


def start_session(client) -> str:
    """Give the client a saved session, as for a visitor who browsed before signing in."""
    session = client.session
    session["visited"] = True
    session.save()
    return session.session_key
