"""Repeating any step changes nothing twice, and a sign-up can be resumed at every step."""

from __future__ import annotations

import pytest
from django.core import mail

from apps.accounts.models import Membership
from apps.onboarding import services
from apps.onboarding.models import Onboarding, StripeEvent
from apps.tenancy.models import Tenant
from tests.onboarding.conftest import SIGNUP, latest, post_webhook, resume_token_from_mail

State = Onboarding.State


def test_webhook__same_event_delivered_twice__one_tenant_one_payment_event(web, stripe_on, posthog_on, run_commits):
    with run_commits():
        web.post("/signup/", SIGNUP)
    onboarding = latest()
    stripe_on.complete(onboarding.stripe_session_id)
    event = stripe_on.event_for(onboarding.stripe_session_id)

    with run_commits():
        first = post_webhook(web, stripe_on, event)
    with run_commits():
        second = post_webhook(web, stripe_on, event)

    assert first.json()["result"] == "paid"
    assert second.status_code == 200
    assert second.json()["result"] == "duplicate: already handled"
    assert Tenant.objects.filter(slug="joes-pizza").count() == 1
    assert StripeEvent.objects.count() == 1
    assert len(posthog_on.named("payment_success")) == 1
    assert len([m for m in mail.outbox if "is ready" in m.subject]) == 1


def test_webhook__completed_then_async_succeeded_for_same_session__one_tenant(web, stripe_on, posthog_on, run_commits):
    with run_commits():
        web.post("/signup/", SIGNUP)
    onboarding = latest()
    stripe_on.complete(onboarding.stripe_session_id)

    with run_commits():
        post_webhook(web, stripe_on, stripe_on.event_for(onboarding.stripe_session_id))
    with run_commits():
        late = post_webhook(
            web,
            stripe_on,
            stripe_on.event_for(onboarding.stripe_session_id, "checkout.session.async_payment_succeeded"),
        )

    assert late.json()["result"] == "no-op: already paid"
    assert Tenant.objects.filter(slug="joes-pizza").count() == 1
    assert len(posthog_on.named("payment_success")) == 1


def test_webhook__completed_but_unpaid__waits_for_async_payment(web, stripe_on, run_commits):
    with run_commits():
        web.post("/signup/", SIGNUP)
    onboarding = latest()
    stripe_on.complete(onboarding.stripe_session_id, payment_status="unpaid")

    with run_commits():
        waiting = post_webhook(web, stripe_on, stripe_on.event_for(onboarding.stripe_session_id))
    onboarding.refresh_from_db()
    assert waiting.json()["result"] == "waiting: payment not settled yet"
    assert onboarding.state == State.PAYMENT_PENDING

    stripe_on.complete(onboarding.stripe_session_id, payment_status="paid")
    with run_commits():
        post_webhook(
            web,
            stripe_on,
            stripe_on.event_for(onboarding.stripe_session_id, "checkout.session.async_payment_succeeded"),
        )
    onboarding.refresh_from_db()
    assert onboarding.state == State.COMPLETED


def test_webhook__unrelated_event__acknowledged_and_ignored(web, stripe_on):
    event = {"id": "evt_other", "type": "invoice.paid", "data": {"object": {"id": "in_1"}}}

    response = post_webhook(web, stripe_on, event)

    assert response.status_code == 200
    assert response.json()["result"] == "ignored: invoice.paid"


def test_steps__run_again_after_completion__no_second_tenant_mail_or_event(web, stripe_on, posthog_on, run_commits):
    with run_commits():
        web.post("/signup/", SIGNUP)
    onboarding = latest()
    stripe_on.complete(onboarding.stripe_session_id)
    with run_commits():
        post_webhook(web, stripe_on, stripe_on.event_for(onboarding.stripe_session_id))
    mails = len(mail.outbox)

    with run_commits():
        services.provision(onboarding_id=onboarding.pk)
        services.data_sync(onboarding_id=onboarding.pk)
        assert services.payment_confirm(onboarding=onboarding, session=None, source="stripe", trigger="t") is False
        assert services.checkout_create(onboarding=latest()) == ""

    onboarding.refresh_from_db()
    assert onboarding.state == State.COMPLETED
    assert Tenant.objects.filter(slug="joes-pizza").count() == 1
    assert Membership.objects.filter(tenant=onboarding.tenant).count() == 1
    assert len(mail.outbox) == mails
    assert len(posthog_on.named("sync_completed")) == 1
    assert onboarding.step_attempts.filter(step="provisioning").count() == 1


def test_provision__tenant_already_made_by_an_earlier_run__reused(web, stripe_on, run_commits, monkeypatch):
    """A run that created the tenant but failed later (here: the starter site) is resumed by the
    next run without a second tenant."""
    import apps.onboarding.services as onboarding_services

    with run_commits():
        web.post("/signup/", SIGNUP)
    onboarding = latest()
    services.payment_confirm(onboarding=onboarding, session=None, source="stripe", trigger="test")
    real = onboarding_services._starter_site
    with run_commits():
        services.provision(onboarding_id=onboarding.pk)  # succeeds: tenant made
    onboarding.refresh_from_db()
    tenant = onboarding.tenant

    def broken_starter(ob):
        raise ValueError("template missing")

    # Put it back to "provisioning" as if a worker died right after, and make the starter fail once
    Onboarding.objects.filter(pk=onboarding.pk).update(state=State.PROVISIONING)
    monkeypatch.setattr(onboarding_services, "_starter_site", broken_starter)
    with pytest.raises(services.StepFailed, match="template missing"):
        services.provision(onboarding_id=onboarding.pk)
    assert latest().failed_step == "provisioning"
    monkeypatch.setattr(onboarding_services, "_starter_site", real)
    with run_commits():
        services.provision(onboarding_id=onboarding.pk)

    onboarding.refresh_from_db()
    assert onboarding.tenant == tenant
    assert Tenant.objects.filter(slug="joes-pizza").count() == 1
    assert onboarding.state == State.COMPLETED


# ---------------------------------------------------------------------- resumability


def test_resume_link__before_payment__continues_to_the_same_checkout_session(web, stripe_on, run_commits):
    with run_commits():
        first = web.post("/signup/", SIGNUP)
    token = resume_token_from_mail("joe@pizza.test")
    onboarding = latest()

    # A new browser (no session) opens the emailed link
    from django.test import Client

    other = Client(HTTP_HOST="localhost")
    page = other.get(f"/signup/resume/{token}/")
    again = other.post(f"/signup/resume/{token}/checkout/")

    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-step="payment" data-status="running"' in html
    assert 'data-testid="continue-to-payment"' in html
    assert again["Location"] == first["Location"]
    assert len(stripe_on.sessions) == 1  # the open session is reused, not duplicated
    assert onboarding.checkout_sessions == 1


def test_resume_link__session_expired__new_session_with_a_new_idempotency_key(web, stripe_on, run_commits):
    with run_commits():
        web.post("/signup/", SIGNUP)
    token = resume_token_from_mail("joe@pizza.test")
    onboarding = latest()
    old = onboarding.stripe_session_id
    stripe_on.expire(old)
    expired = post_webhook(web, stripe_on, stripe_on.event_for(old, "checkout.session.expired"))
    assert expired.json()["result"] == "expired"

    response = web.post(f"/signup/resume/{token}/checkout/")

    onboarding.refresh_from_db()
    assert onboarding.stripe_session_id != old
    assert response["Location"] == onboarding.checkout_url
    assert onboarding.checkout_sessions == 2
    keys = [r.headers["idempotency-key"] for r in stripe_on.api_requests("POST")]
    assert keys == [
        f"bizosaas-onboarding-{onboarding.public_id}-checkout-1",
        f"bizosaas-onboarding-{onboarding.public_id}-checkout-2",
    ]


def test_return_page__paid_but_webhook_not_arrived__reconciles_with_stripe(web, stripe_on, posthog_on, run_commits):
    with run_commits():
        web.post("/signup/", SIGNUP)
    onboarding = latest()
    stripe_on.complete(onboarding.stripe_session_id)

    with run_commits():
        page = web.get(f"/signup/return/?session_id={onboarding.stripe_session_id}")

    onboarding.refresh_from_db()
    assert page.status_code == 200
    assert onboarding.paid_at is not None
    assert onboarding.state == State.COMPLETED
    assert stripe_on.api_requests("GET")  # it asked Stripe
    # and the webhook arriving afterwards is a no-op
    late = post_webhook(web, stripe_on, stripe_on.event_for(onboarding.stripe_session_id))
    assert late.json()["result"] == "no-op: already paid"
    assert len(posthog_on.named("payment_success")) == 1


def test_return_page__while_provisioning__polls_with_htmx(web, stripe_on):
    web.post("/signup/", SIGNUP)
    onboarding = latest()
    Onboarding.objects.filter(pk=onboarding.pk).update(state=State.PROVISIONING, paid_at=onboarding.created_at)

    page = web.get(f"/signup/return/?session_id={onboarding.stripe_session_id}").content.decode()
    partial = web.get(
        f"/signup/return/status/?session_id={onboarding.stripe_session_id}", HTTP_HX_REQUEST="true"
    ).content.decode()

    status_url = f"/signup/return/status/?session_id={onboarding.stripe_session_id}"
    for html in (page, partial):
        assert f'hx-get="{status_url}"' in html
        assert 'hx-trigger="every 2s"' in html
        assert 'data-step="provisioning" data-status="running"' in html
    assert "<html" not in partial


def test_return_page__cancelled_checkout__says_so_and_offers_to_continue(web, stripe_on):
    web.post("/signup/", SIGNUP)
    onboarding = latest()

    html = web.get(
        f"/signup/return/?session_id={onboarding.stripe_session_id}&cancelled=1", follow=True
    ).content.decode()

    assert "Payment was cancelled" in html
    assert 'data-testid="continue-to-payment"' in html  # the browser remembers its resume token


def test_return_page__back_from_stripe_before_payment_confirmed__polls_then_moves_on(web, stripe_on, run_commits):
    with run_commits():
        web.post("/signup/", SIGNUP)
    onboarding = latest()
    status_url = f"/signup/return/status/?session_id={onboarding.stripe_session_id}"

    page = web.get(f"/signup/return/?session_id={onboarding.stripe_session_id}").content.decode()
    assert 'data-testid="confirming-payment"' in page
    assert f'hx-get="{status_url}"' in page

    # When Stripe has the payment but the webhook is late, the next poll asks Stripe
    stripe_on.complete(onboarding.stripe_session_id)
    with run_commits():
        paid = web.get(status_url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-state="paid"' in paid  # confirmed; the setup runs in the worker
    assert 'hx-trigger="every 2s"' in paid

    # … and once the worker is done, the next poll shows the live site and stops polling
    done = web.get(status_url, HTTP_HX_REQUEST="true").content.decode()
    onboarding.refresh_from_db()
    assert onboarding.state == State.COMPLETED
    assert 'data-testid="onboarding-done"' in done
    assert "hx-trigger" not in done


def test_return_status__polled_while_unpaid__asks_stripe_at_most_every_few_seconds(web, stripe_on):
    web.post("/signup/", SIGNUP)
    onboarding = latest()
    status_url = f"/signup/return/status/?session_id={onboarding.stripe_session_id}"

    for _ in range(5):
        assert web.get(status_url, HTTP_HX_REQUEST="true").status_code == 200

    assert len(stripe_on.api_requests("GET")) == 1
    onboarding.refresh_from_db()
    assert onboarding.state == State.PAYMENT_PENDING
