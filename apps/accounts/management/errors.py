"""Turn a service's ValidationError into one readable CommandError."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError


def command_error(exc: ValidationError) -> CommandError:
    if hasattr(exc, "error_dict"):
        lines = [f"{field}: {msg}" for field, msgs in exc.message_dict.items() for msg in msgs]
    else:
        lines = list(exc.messages)
    return CommandError("\n".join(lines))
