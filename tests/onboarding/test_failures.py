"""Each step's failures: recorded on the record (step, reason, attempts), reported to PostHog,
and retried — by the customer for payment, automatically for transient errors, and from the
admin after a fix."""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.db import OperationalError

from apps.audit.models import AuditEvent
from apps.onboarding.models import Onboarding, OnboardingAttempt, StripeEvent
from apps.tenancy.models import Tenant
from tests.fakes.stripe import stripe_error
from tests.onboarding.conftest import SIGNUP, latest, post_webhook, resume_token_from_mail

State = Onboarding.State


def paid_webhook(web, fake, onboarding):
    fake.complete(onboarding.stripe_session_id)
    return post_webhook(web, fake, fake.event_for(onboarding.stripe_session_id))


# ---------------------------------------------------------------------- payment


def test_checkout__stripe_400__failure_recorded_reported_and_customer_can_retry(
    web, stripe_on, posthog_on, run_commits
):
    stripe_on.fail_next(stripe_error(400, "Invalid currency: xyz.", code="parameter_invalid_string", param="currency"))

    with run_commits():
        response = web.post("/signup/", SIGNUP)

    # Then the customer lands on their progress page with the reason, nothing half-made
    onboarding = latest()
    page = web.get(response["Location"])
    assert response["Location"].startswith("/signup/resume/")
    assert "We could not open the payment page" in page.content.decode()
    assert 'data-testid="continue-to-payment"' in page.content.decode()
    assert onboarding.failed_step == "payment"
    assert "HTTP 400" in onboarding.error
    assert "Invalid currency: xyz." in onboarding.error
    assert onboarding.attempts == 1
    assert onboarding.stripe_session_id == ""
    (failed,) = posthog_on.named("payment_failed")
    assert failed["properties"]["step"] == "payment"
    assert "Invalid currency" in failed["properties"]["error"]
    assert failed["properties"]["will_retry"] is False

    # When they try again and Stripe answers
    token = response["Location"].split("/")[3]
    again = web.post(f"/signup/resume/{token}/checkout/")

    onboarding.refresh_from_db()
    assert again.status_code == 302
    assert again["Location"] == onboarding.checkout_url
    assert onboarding.failed_step == ""
    assert onboarding.attempts == 2
    assert len(stripe_on.sessions) == 1


def test_checkout__rate_limited_once__retried_transparently(web, stripe_on, posthog_on, run_commits):
    stripe_on.rate_limit_next(1)

    with run_commits():
        response = web.post("/signup/", SIGNUP)

    onboarding = latest()
    assert response["Location"] == onboarding.checkout_url
    assert onboarding.failed_step == ""
    assert len(stripe_on.api_requests("POST")) == 2
    assert len(stripe_on.sessions) == 1
    assert posthog_on.named("payment_failed") == []


def test_checkout__rate_limited_past_retries__failure_recorded_as_rate_limit(
    web, stripe_on, posthog_on, settings, run_commits
):
    settings.STRIPE_MAX_RETRIES = 1
    stripe_on.rate_limit_next(2)

    with run_commits():
        web.post("/signup/", SIGNUP)

    onboarding = latest()
    assert onboarding.failed_step == "payment"
    assert "HTTP 429" in onboarding.error
    assert "rate_limit" in onboarding.error
    assert posthog_on.named("payment_failed")[0]["properties"]["error"].startswith("Stripe HTTP 429")


@pytest.mark.parametrize("problem", ["wrong secret", "tampered body", "stale timestamp", "no header"])
def test_webhook__bad_signature__400_and_nothing_changes(web, stripe_on, posthog_on, run_commits, problem):
    with run_commits():
        web.post("/signup/", SIGNUP)
    onboarding = latest()
    stripe_on.complete(onboarding.stripe_session_id)
    event = stripe_on.event_for(onboarding.stripe_session_id)
    payload, header = stripe_on.sign(
        event,
        secret="whsec_attacker" if problem == "wrong secret" else None,
        timestamp=int(time.time()) - 3600 if problem == "stale timestamp" else None,
    )
    if problem == "tampered body":
        payload = payload.replace(b'"paid"', b'"paid" ')
    headers = {} if problem == "no header" else {"HTTP_STRIPE_SIGNATURE": header}

    with run_commits():
        response = web.post("/signup/webhook/stripe/", data=payload, content_type="application/json", **headers)

    onboarding.refresh_from_db()
    assert response.status_code == 400
    assert onboarding.state == State.PAYMENT_PENDING
    assert onboarding.paid_at is None
    assert not StripeEvent.objects.exists()
    assert not Tenant.objects.filter(slug="joes-pizza").exists()
    assert posthog_on.named("payment_success") == []


# ---------------------------------------------------------------------- provisioning


def test_provisioning__slug_taken__failed_step_recorded_then_admin_fixes_and_retries(
    web, stripe_on, posthog_on, run_commits, tenant_factory, staff
):
    with run_commits():
        web.post("/signup/", SIGNUP)
    onboarding = latest()
    # Someone else takes the address between sign-up and payment
    tenant_factory("joes-pizza", "Another Joe")

    with run_commits():
        paid_webhook(web, stripe_on, onboarding)

    onboarding.refresh_from_db()
    assert onboarding.state == State.PROVISIONING
    assert onboarding.failed_step == "provisioning"
    assert "slug" in onboarding.error
    assert "already exists" in onboarding.error
    assert onboarding.tenant is None
    (failed,) = posthog_on.named("provisioning_failed")
    assert failed["properties"]["step"] == "provisioning"
    assert failed["properties"]["onboarding_id"] == str(onboarding.public_id)
    assert failed["properties"]["will_retry"] is False  # permanent: waits for a person
    assert posthog_on.named("sync_completed") == []

    # When a platform admin fixes the slug and retries from the admin
    admin = staff()
    change = f"/admin/onboarding/onboarding/{onboarding.pk}/change/"
    saved = admin.post(change, {"slug": "joes-pizza-nyc"})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    confirm = admin.get(f"/admin/onboarding/onboarding/{onboarding.pk}/retry/")
    assert confirm.status_code == 200
    assert "Retry failed step?" in confirm.content.decode()
    with run_commits():
        admin.post(f"/admin/onboarding/onboarding/{onboarding.pk}/retry/", {"confirm": "yes"})

    # Then provisioning and the sync complete
    onboarding.refresh_from_db()
    assert onboarding.state == State.COMPLETED
    assert onboarding.failed_step == ""
    assert onboarding.tenant.slug == "joes-pizza-nyc"
    assert posthog_on.named("sync_completed")
    runs = list(onboarding.step_attempts.filter(step="provisioning").values_list("outcome", "trigger"))
    assert runs == [("failed", "worker"), ("succeeded", "admin:ops@bizosaas.test")]
    audit = AuditEvent.objects.filter(target_type="onboarding.onboarding").order_by("id")
    actions = list(audit.values_list("action", flat=True))
    assert actions == ["onboarding.update", "onboarding.retry"]


def test_provisioning__slug_fix_to_taken_slug__refused_in_admin(web, stripe_on, run_commits, tenant_factory, staff):
    with run_commits():
        web.post("/signup/", SIGNUP)
    tenant_factory("taken-one")

    response = staff().post(f"/admin/onboarding/onboarding/{latest().pk}/change/", {"slug": "taken-one"})

    assert response.status_code == 200
    assert "is taken" in response.content.decode()
    assert latest().slug == "joes-pizza"


class FlakyEmailBackend:
    """Fails the first send like an unreachable mail server, then delivers (to Django's outbox)."""

    calls = 0

    def __init__(self, *args, **kwargs):
        from django.core.mail.backends.locmem import EmailBackend

        self._inner = EmailBackend(*args, **kwargs)

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls == 1:
            raise ConnectionRefusedError("mail server unreachable")
        return self._inner.send_messages(messages)


def test_provisioning__invite_mail_fails_once__retried_automatically_without_second_tenant(
    web, stripe_on, posthog_on, run_commits, settings
):
    with run_commits():
        web.post("/signup/", SIGNUP)
    onboarding = latest()
    mail.outbox.clear()
    FlakyEmailBackend.calls = 0
    settings.EMAIL_BACKEND = f"{__name__}.FlakyEmailBackend"

    with run_commits():
        paid_webhook(web, stripe_on, onboarding)

    onboarding.refresh_from_db()
    assert onboarding.state == State.COMPLETED
    assert Tenant.objects.filter(slug="joes-pizza").count() == 1
    assert [m.subject for m in mail.outbox] == ["Joe's Pizza is ready on BizOSaaS"]
    runs = list(onboarding.step_attempts.filter(step="provisioning").values_list("outcome", flat=True))
    assert runs == ["failed", "succeeded"]
    assert "mail server unreachable" in onboarding.step_attempts.filter(outcome="failed").get().error
    (failed,) = posthog_on.named("provisioning_failed")
    assert failed["properties"]["will_retry"] is True


# ---------------------------------------------------------------------- sync


def test_sync__permanent_failure__recorded_then_admin_retry_completes(
    web, stripe_on, posthog_on, run_commits, staff, monkeypatch
):
    import apps.cms.services as cms

    real_sync = cms.site_sync

    def broken(**kwargs):
        raise RuntimeError("snapshot renderer crashed")

    monkeypatch.setattr(cms, "site_sync", broken)
    with run_commits():
        web.post("/signup/", SIGNUP)
    onboarding = latest()
    with run_commits():
        paid_webhook(web, stripe_on, onboarding)

    onboarding.refresh_from_db()
    assert onboarding.state == State.SYNCING
    assert onboarding.failed_step == "sync"
    assert "RuntimeError: snapshot renderer crashed" in onboarding.error
    assert onboarding.tenant is not None  # provisioning stays done
    (failed,) = posthog_on.named("sync_failed")
    assert failed["properties"]["step"] == "sync"
    assert "snapshot renderer crashed" in failed["properties"]["error"]
    assert posthog_on.named("sync_completed") == []
    listing = staff().get("/admin/onboarding/onboarding/?failed=yes").content.decode()
    assert "Joe&#x27;s Pizza" in listing or "Joe's Pizza" in listing

    # When the cause is fixed and support retries from the admin list
    monkeypatch.setattr(cms, "site_sync", real_sync)
    agent = staff(tier=2, email="agent@bizosaas.test")
    with run_commits():
        agent.post(
            "/admin/onboarding/onboarding/",
            {"action": "retry_selected", "_selected_action": [onboarding.pk], "select_across": "0", "index": "0"},
        )

    onboarding.refresh_from_db()
    assert onboarding.state == State.COMPLETED
    assert onboarding.failed_step == ""
    assert list(onboarding.step_attempts.filter(step="sync").values_list("outcome", flat=True)) == [
        "failed",
        "succeeded",
    ]
    assert posthog_on.named("sync_completed")


def test_sync__database_blip__retried_by_the_task(web, stripe_on, posthog_on, run_commits, monkeypatch):
    import apps.cms.services as cms

    real_sync = cms.site_sync
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_sync(**kwargs)

    monkeypatch.setattr(cms, "site_sync", flaky)
    with run_commits():
        web.post("/signup/", SIGNUP)
    onboarding = latest()
    with run_commits():
        paid_webhook(web, stripe_on, onboarding)

    onboarding.refresh_from_db()
    assert onboarding.state == State.COMPLETED
    assert onboarding.attempts == 2
    assert list(onboarding.step_attempts.filter(step="sync").values_list("outcome", flat=True)) == [
        "failed",
        "succeeded",
    ]
    assert posthog_on.named("sync_failed")[0]["properties"]["will_retry"] is True


def test_retry__nothing_failed__refused_with_a_message(web, stripe_on, run_commits, staff):
    with run_commits():
        web.post("/signup/", SIGNUP)
    onboarding = latest()
    admin = staff()

    response = admin.post(
        "/admin/onboarding/onboarding/",
        {"action": "retry_selected", "_selected_action": [onboarding.pk], "select_across": "0", "index": "0"},
        follow=True,
    )

    assert "nothing to retry" in response.content.decode()
    assert OnboardingAttempt.objects.filter(onboarding=onboarding).count() == 1  # the checkout only
    assert resume_token_from_mail("joe@pizza.test")
