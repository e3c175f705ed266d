"""Demo data for `make run` (idempotent): platform staff, a partner managing acme and globex,
initech unmanaged, an owner and a member in each tenant, and for each tenant a starter website
(published and synced, so http://acme.localhost:8000/ shows a real site)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import tenant_context

from apps.accounts.models import Tier, User
from apps.accounts.services import membership_set, user_create, user_set_tier
from apps.cms.services import features_ensure, site_sync, starter_site_create
from apps.tenancy.models import Tenant
from apps.tenancy.services import plans_ensure, platform_tenant_ensure, tenant_create


@dataclass
class DemoLogin:
    email: str
    role: str
    where: str
    totp_secret: str = ""


STAFF = [
    ("super@bizosaas.demo", Tier.SUPER_ADMIN, "Super admin"),
    ("admin@bizosaas.demo", Tier.PLATFORM_ADMIN, "Platform admin"),
    ("support@bizosaas.demo", Tier.SUPPORT, "Support agent"),
    ("partner@agency.demo", Tier.PARTNER, "Partner (manages acme, globex)"),
]
TENANTS = [
    ("acme", "Acme Corporation", "pro", "Manufacturing", True),
    ("globex", "Globex", "starter", "Energy", True),
    ("initech", "Initech", "enterprise", "Software", False),
]


def _user(email: str, tier: int, password: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = user_create(email=email, password=password, tier=tier, check_password=False)
    elif user.tier != tier:
        user_set_tier(user=user, tier=tier)
    return user


def _totp_secret(user: User) -> str:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Demo authenticator", confirmed=True)
    return base64.b32encode(device.bin_key).decode().rstrip("=")


@transaction.atomic
def demo_seed(*, password: str | None = None) -> list[DemoLogin]:
    password = password or settings.DEMO_PASSWORD
    plans_ensure()
    platform_tenant_ensure()
    features_ensure()
    logins: list[DemoLogin] = []
    users = {}
    for email, tier, label in STAFF:
        users[email] = _user(email, tier, password)
        logins.append(DemoLogin(email, label, f"http://{settings.PLATFORM_HOST}", _totp_secret(users[email])))
    partner = users["partner@agency.demo"]
    for slug, name, plan, industry, managed in TENANTS:
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            tenant = tenant_create(
                name=name, slug=slug, plan=plan, industry=industry, partner=partner if managed else None
            )
        for role in ("owner", "member"):
            email = f"{role}@{slug}.demo"
            user = _user(email, Tier.NONE, password)
            membership_set(user=user, tenant=tenant, role=role)
            logins.append(DemoLogin(email, f"{role.title()} of {name}", f"http://{slug}.{settings.BASE_DOMAIN}"))
        with tenant_context(tenant):
            starter_site_create(industry=industry, business_name=name)
            site_sync(reason="demo seed")
    return logins
