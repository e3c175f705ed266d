"""The public sign-up pages: clear validation errors, never a 500 on bad input, the honest
offline fallback when payments are not configured, and the DEBUG-only simulated payment."""

from __future__ import annotations

import pytest
from django.core import mail

from apps.onboarding.models import Onboarding
from apps.tenancy.models import Tenant
from tests.onboarding.conftest import SIGNUP, WEBHOOK, latest, resume_token_from_mail


def test_signup_page__get__lists_industries_and_paid_plans(web, stripe_on):
    html = web.get("/signup/").content.decode()

    assert 'data-testid="signup-form"' in html
    for industry in ("dental", "restaurant", "retail", "consulting", "generic"):
        assert f'value="{industry}"' in html
    for plan in ("starter", "pro", "enterprise"):
        assert f'value="{plan}"' in html
    assert 'value="free"' not in html
    assert 'data-testid="payments-off"' not in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"business_name": ""}, "business_name", "Tell us the name of your business."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address"),
        ({"industry": "space-mining"}, "industry", "Select a valid choice"),
        ({"plan": "free"}, "plan", "Select a valid choice"),
        ({"slug": "Bad Slug!"}, "slug", "lowercase letters, digits and hyphens"),
        ({"slug": "admin"}, "slug", "is taken"),
        ({"business_name": "x" * 500}, "business_name", "at most 120 characters"),
    ],
)
def test_signup__bad_input__400_with_the_field_error_and_nothing_recorded(web, stripe_on, changes, field, message):
    response = web.post("/signup/", {**SIGNUP, **changes})

    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in html
    assert message in html
    assert 'data-testid="form-errors"' in html
    assert not Onboarding.objects.exists()
    assert stripe_on.requests == []


def test_signup__slug_of_an_existing_tenant__field_error(web, stripe_on, tenant_factory):
    tenant_factory("joes-pizza")

    response = web.post("/signup/", {**SIGNUP, "slug": "joes-pizza"})

    assert response.status_code == 400
    assert "“joes-pizza” is taken" in response.content.decode()


def test_signup__no_slug_and_name_taken__suggests_next_free_slug(web, stripe_on, tenant_factory):
    tenant_factory("joes-pizza")

    web.post("/signup/", SIGNUP)

    assert latest().slug == "joes-pizza-2"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"business_name": ["a", "b"], "industry": ["x"]},
        {"plan": "\x00", "email": "@", "industry": "<script>"},
    ],
)
def test_signup__garbage_posts__400_never_500(web, stripe_on, body):
    assert web.post("/signup/", body).status_code == 400


def test_signup__valid__lead_recorded_and_resume_link_emailed(web, stripe_on, posthog_on, run_commits):
    with run_commits():
        web.post("/signup/", SIGNUP)

    onboarding = latest()
    assert (onboarding.business_name, onboarding.email, onboarding.industry, onboarding.plan) == (
        "Joe's Pizza",
        "joe@pizza.test",
        "restaurant",
        "pro",
    )
    token = resume_token_from_mail("joe@pizza.test")
    assert token not in onboarding.resume_token_digest  # only the digest is stored
    (started,) = posthog_on.named("onboarding_started")
    assert started["properties"] == {**started["properties"], "industry": "restaurant", "plan": "pro"}
    assert "joe@pizza.test" not in str(started)  # no personal data in analytics


def test_public_pages__unknown_links__friendly_404(web):
    for url in (
        "/signup/resume/not-a-real-token-but-long-enough/",
        "/signup/resume/%00%01/",
        "/signup/return/?session_id=cs_test_nope",
        "/signup/return/?session_id=' OR 1=1",
        "/signup/return/",
    ):
        response = web.get(url)
        assert response.status_code == 404, url
        assert 'data-testid="onboarding-not-found"' in response.content.decode()


def test_webhook__get_or_garbage__405_or_400(web, stripe_on):
    assert web.get(WEBHOOK).status_code == 405
    garbage = web.post(WEBHOOK, data=b"\xff\xfe", content_type="application/json", HTTP_STRIPE_SIGNATURE="t=x,v1=y")
    assert garbage.status_code == 400
    assert "error" in garbage.json()


# ---------------------------------------------------------------------- payments not configured


def test_signup_page__no_stripe_key__says_payment_not_configured(web, stripe_off, settings):
    settings.DEBUG = False

    html = web.get("/signup/").content.decode()

    assert 'data-testid="payments-off"' in html
    assert "Payment is not configured on this server." in html


def test_signup__no_stripe_key__lead_saved_and_flow_stops_at_payment(
    web, stripe_off, settings, fake_stripe, run_commits
):
    settings.DEBUG = False
    settings.STRIPE_API_BASE = fake_stripe.url

    with run_commits():
        response = web.post("/signup/", SIGNUP)
    page = web.get(response["Location"])

    onboarding = latest()
    html = page.content.decode()
    assert response["Location"].startswith("/signup/resume/")
    assert onboarding.state == Onboarding.State.LEAD
    assert "Payment is not configured on this server." in html
    assert 'data-testid="simulate-payment"' not in html  # production: no way around payment
    assert fake_stripe.requests == []
    token = response["Location"].split("/")[3]
    assert web.post(f"/signup/resume/{token}/simulate-payment/").status_code == 404
    onboarding.refresh_from_db()
    assert onboarding.state == Onboarding.State.LEAD


def test_simulate_payment__debug_without_stripe__provisions_through_same_path(
    web, stripe_off, settings, posthog_on, run_commits
):
    settings.DEBUG = True
    with run_commits():
        response = web.post("/signup/", SIGNUP)
    token = response["Location"].split("/")[3]
    assert 'data-testid="simulate-payment"' in web.get(response["Location"]).content.decode()

    with run_commits():
        web.post(f"/signup/resume/{token}/simulate-payment/")

    onboarding = latest()
    assert onboarding.state == Onboarding.State.COMPLETED
    assert onboarding.payment_source == "simulated"
    assert Tenant.objects.filter(slug="joes-pizza").exists()
    assert posthog_on.named("payment_success")[0]["properties"]["source"] == "simulated"
    assert any("is ready" in m.subject for m in mail.outbox)
