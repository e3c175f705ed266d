"""Writes for identity: users, memberships, API keys, preferences."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import ApiKey, Membership, Theme, Tier, User

API_KEY_PREFIX = "bz_"
API_KEY_NAME_MAX = 80


def user_create(
    *, email: str, password: str, tier: int = Tier.NONE, full_name: str = "", check_password: bool = True
) -> User:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": f"“{email}” is not a valid email address."}) from exc
    if tier not in Tier.values:
        raise ValidationError({"tier": "Tier must be 0–4."})
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": f"A user with the email {email} already exists."})
    user = User(email=email, full_name=full_name, tier=tier, is_superuser=tier >= Tier.SUPER_ADMIN)
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": list(exc.messages)}) from exc
    user.set_password(password)
    user.save()
    return user


def user_set_tier(*, user: User, tier: int) -> User:
    if tier not in Tier.values:
        raise ValidationError({"tier": "Tier must be 0–4."})
    user.tier = tier
    user.is_superuser = tier >= Tier.SUPER_ADMIN
    user.save(update_fields=["tier", "is_superuser"])
    return user


def user_set_preferences(*, user: User, theme: str | None = None, language: str | None = None) -> User:
    from django.conf import settings

    fields = []
    if theme is not None:
        if theme not in Theme.values:
            raise ValidationError({"theme": f"Theme must be one of {', '.join(Theme.values)}."})
        user.theme = theme
        fields.append("theme")
    if language is not None:
        if language not in dict(settings.LANGUAGES):
            raise ValidationError({"language": "Unsupported language."})
        user.language = language
        fields.append("language")
    if fields:
        user.save(update_fields=fields)
    return user


def membership_set(*, user: User, tenant, role: str) -> Membership:
    if role not in Membership.Role.values:
        raise ValidationError({"role": f"Role must be one of {', '.join(Membership.Role.values)}."})
    membership, _ = Membership.objects.update_or_create(user=user, tenant=tenant, defaults={"role": role})
    return membership


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_create(*, user: User, name: str = "default") -> tuple[ApiKey, str]:
    """Returns the stored key and the raw key; the raw key is never stored or shown again."""
    if not user.is_active:
        raise ValidationError({"user": "Inactive users cannot hold API keys."})
    if user.tier < Tier.PARTNER:
        raise ValidationError({"user": f"{user.email} is a tenant user; API keys are for partners and platform staff."})
    name = (name or "").strip() or "default"
    if len(name) > API_KEY_NAME_MAX:
        raise ValidationError({"name": f"At most {API_KEY_NAME_MAX} characters."})
    with transaction.atomic():
        while True:
            prefix = secrets.token_hex(4)
            if not ApiKey.objects.filter(prefix=prefix).exists():
                break
        raw = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        key = ApiKey.objects.create(user=user, name=name, prefix=prefix, digest=_digest(raw))
    return key, raw


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def api_key_authenticate(raw: str) -> ApiKey | None:
    if not raw.startswith(API_KEY_PREFIX):
        return None
    key = (
        ApiKey.objects.select_related("user")
        .filter(digest=_digest(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if key is not None and (key.last_used_at is None or (timezone.now() - key.last_used_at).total_seconds() > 60):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key


def login_lockout_clear(*, email: str) -> int:
    """Forget failed sign-ins for this email (every address), e.g. after a password reset."""
    from axes.utils import reset

    email = (email or "").strip().lower()
    if not email:  # axes would read "no username" as "every username"
        return 0
    return reset(username=email)
