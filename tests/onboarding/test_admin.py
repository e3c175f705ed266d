"""The onboarding admin: state badges, the funnel (counts and drop-off from our records, with
whether PostHog is on), who may see and retry."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.models import Tier
from apps.onboarding.models import Onboarding
from tests.fakes.posthog import API_KEY

State = Onboarding.State
FUNNEL = "/admin/onboarding/onboarding/funnel/"
LIST = "/admin/onboarding/onboarding/"


def make(n: int, state: str, *, failed: str = "", reached: tuple[str, ...] = ()) -> None:
    now = timezone.now()
    for i in range(n):
        Onboarding.objects.create(
            business_name=f"{state} {i}",
            slug=f"{state.replace('_', '-')}-{i}",
            industry="dental",
            email=f"{state}{i}@x.test",
            plan="pro",
            state=state,
            failed_step=failed,
            error="boom" if failed else "",
            resume_token_digest=f"{state}-{failed}-{i}".ljust(64, "0"),
            **{f"{field}_at": now for field in reached},
        )


@pytest.fixture
def records(platform):
    make(4, State.LEAD)
    make(2, State.PAYMENT_PENDING, reached=("payment_pending",))
    make(1, State.PAYMENT_PENDING, failed="payment", reached=("payment_pending",))
    make(1, State.PROVISIONING, failed="provisioning", reached=("payment_pending", "paid", "provisioning"))
    make(2, State.COMPLETED, reached=("payment_pending", "paid", "provisioning", "provisioned", "syncing", "completed"))


def test_funnel__records_in_each_state__counts_and_drop_off_per_step(records, staff, posthog_off):
    data = staff().get(FUNNEL + "?format=json&days=all").json()

    counts = {s["key"]: s["count"] for s in data["stages"]}
    drop = {s["key"]: s["drop_off"] for s in data["stages"]}
    assert counts == {"lead": 10, "checkout": 6, "paid": 3, "provisioned": 2, "completed": 2}
    assert drop == {"lead": None, "checkout": 40.0, "paid": 50.0, "provisioned": 33.3, "completed": 0.0}
    assert data["overall_conversion"] == 20.0
    assert {f["step"]: f["count"] for f in data["failed"]} == {"payment": 1, "provisioning": 1, "sync": 0}
    assert data["analytics"]["enabled"] is False


def test_funnel_page__posthog_off__says_disabled(records, staff, posthog_off):
    html = staff().get(FUNNEL).content.decode()

    assert 'data-stage="paid" data-count="3"' in html
    assert 'data-drop-off="50.0"' in html
    assert "PostHog disabled" in html
    assert "POSTHOG_API_KEY is not set" in html


def test_funnel_page__posthog_on__shows_host(records, staff, settings):
    settings.POSTHOG_API_KEY = API_KEY
    settings.POSTHOG_HOST = "http://127.0.0.1:9"

    html = staff().get(FUNNEL).content.decode()

    assert "PostHog on" in html
    assert "http://127.0.0.1:9" in html


def test_funnel__old_records__left_out_of_a_7_day_window(records, staff):
    Onboarding.objects.filter(state=State.LEAD).update(created_at=timezone.now() - timezone.timedelta(days=30))

    data = staff().get(FUNNEL + "?format=json&days=7").json()

    assert data["stages"][0]["count"] == 6


def test_changelist__state_and_failure_badges(records, staff):
    html = staff(tier=Tier.SUPPORT, email="agent@bizosaas.test").get(LIST).content.decode()

    assert "Payment pending" in html
    assert "Completed" in html
    assert "Site provisioning" in html  # the failed step's badge


@pytest.mark.parametrize("tier", [Tier.NONE, Tier.PARTNER])
def test_onboarding_admin__not_platform_staff__refused(records, user_factory, login_verified, tier):
    client = Client(HTTP_HOST="localhost")
    login_verified(client, user_factory(tier=tier))

    assert client.get(FUNNEL).status_code in (302, 403)
    assert client.get(LIST).status_code in (302, 403)


def test_onboarding_admin__anonymous__sent_to_sign_in(records):
    response = Client(HTTP_HOST="localhost").get(FUNNEL)

    assert response.status_code == 302
    assert "/login/" in response["Location"]  # the admin then sends them to /accounts/login/


def test_change_page__support_agent__cannot_edit_slug(records, staff):
    record = Onboarding.objects.filter(failed_step="provisioning").get()
    agent = staff(tier=Tier.SUPPORT, email="agent@bizosaas.test")

    agent.post(f"{LIST}{record.pk}/change/", {"slug": "new-slug"})

    record.refresh_from_db()
    assert record.slug != "new-slug"


def test_command_funnel__records__prints_counts_drop_off_and_posthog_state(records, posthog_off):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("onboarding", "funnel", stdout=out)

    text = out.getvalue()
    assert "Paid" in text
    assert "-50.0% (3 lost)" in text
    assert "Site provisioning: 1" in text
    assert "PostHog: off." in text


def test_command_retry__failed_record__queues_the_step_and_audits(records):
    from io import StringIO

    from django.core.management import call_command

    from apps.audit.models import AuditEvent

    record = Onboarding.objects.get(failed_step="provisioning")
    out = StringIO()
    call_command("onboarding", "retry", str(record.public_id), stdout=out)

    assert out.getvalue().strip() == f"{record}: provisioning queued."
    assert AuditEvent.objects.filter(action="onboarding.retry", target_id=str(record.pk)).exists()


def test_command_retry__unknown_record__error(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="No onboarding"):
        call_command("onboarding", "retry", "not-a-record")
