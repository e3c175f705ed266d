from __future__ import annotations

from apps.accounts.models import Membership, Tier, User
from apps.core.demo import demo_seed
from apps.tenancy.models import Tenant
from apps.tenancy.selectors import tenants_visible_to


def test_seed_demo__run_twice__same_users_tenants_and_memberships(db):
    first = demo_seed(password="demo-pass-2026")
    counts = (User.objects.count(), Tenant.objects.count(), Membership.objects.count())
    second = demo_seed(password="demo-pass-2026")
    assert (User.objects.count(), Tenant.objects.count(), Membership.objects.count()) == counts
    assert [login.email for login in first] == [login.email for login in second]


def test_seed_demo__partner__manages_acme_and_globex_not_initech(db):
    demo_seed(password="demo-pass-2026")
    partner = User.objects.get(email="partner@agency.demo")
    assert partner.tier == Tier.PARTNER
    assert sorted(tenants_visible_to(user=partner).values_list("slug", flat=True)) == ["acme", "globex"]
    for slug in ("acme", "globex", "initech"):
        roles = set(Membership.objects.filter(tenant__slug=slug).values_list("role", flat=True))
        assert roles == {"owner", "member"}
    assert {u.tier for u in User.objects.filter(email__endswith="@bizosaas.demo")} == {2, 3, 4}
