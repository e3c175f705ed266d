"""Email through Django's mail (EMAIL_BACKEND: SMTP in production, console in development)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email

from apps.alerts.channels.base import OutgoingMessage, PermanentError, TransientError


class EmailSender:
    def __init__(self, *, sleep=time.sleep, **kwargs):
        self.sleep = sleep
        self.rate_limited = 0

    def send(self, destination: str, message: OutgoingMessage) -> None:
        try:
            validate_email(destination)
        except ValidationError as exc:
            raise PermanentError(f"Not an email address: {destination!r}") from exc
        try:
            send_mail(
                subject=f"[BizOSaaS] {message.subject}"[:200],
                message=message.text + "\n",
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[destination],
            )
        except Exception as exc:  # SMTP errors come in many types; each one is worth a retry
            raise TransientError(f"email: {type(exc).__name__}: {exc}"[:300]) from exc
