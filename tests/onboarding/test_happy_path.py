"""The whole funnel in one process: lead form → Stripe Checkout on the fake → signed webhook →
provisioning → first sync, with the PostHog fake receiving the funnel events."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django_tenants.utils import schema_context

from apps.accounts.models import Membership, User
from apps.cms.models import Page, SiteSnapshot
from apps.dashboard.models import TenantSetting
from apps.onboarding.models import Onboarding, OnboardingAttempt, StripeEvent
from apps.tenancy.models import Tenant
from tests.onboarding.conftest import SIGNUP, latest, post_webhook


def test_onboarding__happy_path__tenant_site_owner_setting_and_events(web, stripe_on, posthog_on, run_commits):
    # Given a visitor fills in the lead form
    with run_commits():
        response = web.post("/signup/", SIGNUP)

    # Then they are sent to the Checkout page of the session we created on (fake) Stripe
    onboarding = latest()
    assert response.status_code == 302
    assert response["Location"] == onboarding.checkout_url
    assert response["Location"].startswith(f"{stripe_on.url}/c/pay/cs_test_")
    assert onboarding.state == Onboarding.State.PAYMENT_PENDING
    assert onboarding.slug == "joes-pizza"
    (create,) = stripe_on.api_requests("POST")
    form = create.form()
    assert form["mode"] == "subscription"
    assert form["customer_email"] == "joe@pizza.test"
    assert form["metadata[onboarding_id]"] == str(onboarding.public_id)
    assert form["line_items[0][price_data][unit_amount]"] == "9900"
    assert create.headers["idempotency-key"] == f"bizosaas-onboarding-{onboarding.public_id}-checkout-1"

    # When the customer pays and Stripe sends the signed checkout.session.completed event
    stripe_on.complete(onboarding.stripe_session_id)
    with run_commits():
        hook = post_webhook(web, stripe_on, stripe_on.event_for(onboarding.stripe_session_id))

    # Then the tenant is provisioned and its first sync is done
    assert hook.status_code == 200
    assert hook.json() == {"received": True, "result": "paid"}
    onboarding.refresh_from_db()
    assert onboarding.state == Onboarding.State.COMPLETED
    assert onboarding.failed_step == ""
    assert onboarding.amount_total == 9900
    for field in ("payment_pending_at", "paid_at", "provisioning_at", "provisioned_at", "syncing_at", "completed_at"):
        assert getattr(onboarding, field) is not None, field
    tenant = Tenant.objects.get(slug="joes-pizza")
    assert onboarding.tenant == tenant
    assert tenant.name == "Joe's Pizza"
    assert tenant.plan.code == "pro"
    assert tenant.industry == "restaurant"
    assert StripeEvent.objects.get().onboarding == onboarding

    # … with the industry in the tenant's settings, a starter site and its published snapshot
    with schema_context(tenant.schema_name):
        industry = TenantSetting.objects.get(key="industry").value
        assert industry["key"] == "restaurant"
        assert industry["label"] == "Restaurant"
        assert industry["onboarding_id"] == str(onboarding.public_id)
        assert set(Page.objects.values_list("slug", flat=True)) >= {"home", "about", "services", "contact"}
        snapshot = SiteSnapshot.objects.get(is_current=True)
        assert "Joe's Pizza" in str(snapshot.payload)

    # … the owner is invited: a new account without a usable password, and a set-password email
    owner = User.objects.get(email="joe@pizza.test")
    assert not owner.has_usable_password()
    assert Membership.objects.get(user=owner, tenant=tenant).role == "owner"
    invite = next(m for m in mail.outbox if "is ready" in m.subject)
    assert invite.to == ["joe@pizza.test"]
    link = re.search(r"http://localhost(/accounts/password/reset/[^/\s]+/[^/\s]+/)", invite.body).group(1)
    assert "http://joes-pizza.localhost/" in invite.body

    # … and PostHog got the funnel events with their properties
    for name in ("onboarding_started", "payment_success", "sync_completed"):
        (event,) = posthog_on.named(name)
        assert event["distinct_id"] == f"onboarding:{onboarding.public_id}"
        assert event["properties"]["onboarding_id"] == str(onboarding.public_id)
        assert event["properties"]["industry"] == "restaurant"
        assert event["properties"]["plan"] == "pro"
    assert posthog_on.named("payment_success")[0]["properties"]["amount_total"] == 9900
    assert posthog_on.named("sync_completed")[0]["properties"]["tenant"] == "joes-pizza"
    assert not [e for e in posthog_on.events if e["event"].endswith("_failed")]

    # … every step ran once and succeeded
    runs = list(OnboardingAttempt.objects.filter(onboarding=onboarding).values_list("step", "outcome"))
    assert ("provisioning", "succeeded") in runs
    assert ("sync", "succeeded") in runs
    assert not [r for r in runs if r[1] != "succeeded"]

    # When the owner opens the invitation, they can set a password and sign in
    visitor = Client(HTTP_HOST="localhost")
    form_page = visitor.get(link, follow=True)
    assert form_page.status_code == 200
    done = visitor.post(
        form_page.redirect_chain[-1][0], {"new_password1": "pizza-oven-2026!", "new_password2": "pizza-oven-2026!"}
    )
    assert done.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("pizza-oven-2026!")


def test_return_page__after_completion__shows_live_site_and_json_status(web, stripe_on, posthog_on, run_commits):
    with run_commits():
        web.post("/signup/", SIGNUP)
    onboarding = latest()
    stripe_on.complete(onboarding.stripe_session_id)
    with run_commits():
        post_webhook(web, stripe_on, stripe_on.event_for(onboarding.stripe_session_id))

    page = web.get(f"/signup/return/?session_id={onboarding.stripe_session_id}")
    status = web.get(f"/signup/return/status/?session_id={onboarding.stripe_session_id}&format=json")

    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="onboarding-done"' in html
    assert "http://joes-pizza.localhost/" in html
    assert "hx-trigger" not in html  # finished: no more polling
    body = status.json()
    assert body["state"] == "completed"
    assert [s["status"] for s in body["steps"]] == ["done", "done", "done", "done"]
    assert body["analytics"] == {"provider": "posthog", "enabled": True, "host": posthog_on.url}
    assert body["email"] == "j•••@pizza.test"
