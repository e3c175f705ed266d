"""Channel connectors: Telegram (Bot API sendMessage), Discord (webhooks), email (Django mail)."""

from __future__ import annotations

from apps.alerts.channels.base import DeliveryError, OutgoingMessage, PermanentError, RateLimited, TransientError

__all__ = ["DeliveryError", "OutgoingMessage", "PermanentError", "RateLimited", "TransientError", "sender_for"]


def sender_for(channel: str, **kwargs):
    from apps.alerts.channels.discord import DiscordSender
    from apps.alerts.channels.email import EmailSender
    from apps.alerts.channels.telegram import TelegramSender

    senders = {"telegram": TelegramSender, "discord": DiscordSender, "email": EmailSender}
    return senders[channel](**kwargs)
