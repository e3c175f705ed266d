"""Fixtures for the onboarding funnel: the local fakes of Stripe and PostHog, settings that point
our connectors at them, Celery tasks run inline (except in the real-worker tests), and helpers
that walk a sign-up through its steps."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from apps.accounts.models import Tier
from apps.onboarding.models import Onboarding
from config.celery import app as celery_app
from tests.fakes.posthog import API_KEY as POSTHOG_KEY
from tests.fakes.posthog import FakePostHog
from tests.fakes.stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe
from tests.workers.conftest import celery_worker_process  # noqa: F401  (the real worker, reused)

PLATFORM_HOST = "localhost"
WEBHOOK = "/signup/webhook/stripe/"
SIGNUP = {"business_name": "Joe's Pizza", "industry": "restaurant", "email": "joe@pizza.test", "plan": "pro"}


@pytest.fixture
def fake_stripe():
    server = FakeStripe()
    yield server
    server.stop()


@pytest.fixture
def fake_posthog():
    server = FakePostHog()
    yield server
    server.stop()


@pytest.fixture
def stripe_on(settings, fake_stripe):
    settings.STRIPE_API_BASE = fake_stripe.url
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_RETRY_BACKOFF_SECONDS = 0.01
    return fake_stripe


@pytest.fixture
def stripe_off(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""


@pytest.fixture
def posthog_on(settings, fake_posthog):
    settings.POSTHOG_API_KEY = POSTHOG_KEY
    settings.POSTHOG_HOST = fake_posthog.url
    settings.POSTHOG_SYNC_MODE = True  # each event is sent before capture() returns
    return fake_posthog


@pytest.fixture
def posthog_off(settings):
    settings.POSTHOG_API_KEY = ""


@pytest.fixture(autouse=True)
def eager_tasks():
    """Tasks run inline where they are queued (tests of the real worker override this)."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def web(platform) -> Client:
    return Client(HTTP_HOST=PLATFORM_HOST)


@pytest.fixture
def run_commits(django_capture_on_commit_callbacks):
    """Run what services queue for after the commit (events, tasks), as a real commit would."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def staff(platform, user_factory, login_verified):
    def make(tier: int = Tier.PLATFORM_ADMIN, email: str = "ops@bizosaas.test") -> Client:
        user = user_factory(email=email, tier=tier)
        client = Client(HTTP_HOST=PLATFORM_HOST)
        login_verified(client, user)
        return client

    return make


def post_webhook(client: Client, fake: FakeStripe, event: dict, **sign):
    payload, header = fake.sign(event, **sign)
    return client.post(WEBHOOK, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


def resume_token_from_mail(email: str) -> str:
    for message in reversed(mail.outbox):
        if email in message.to:
            found = re.search(r"/signup/resume/([A-Za-z0-9_-]+)/", message.body)
            if found:
                return found.group(1)
    raise AssertionError(f"no resume link was mailed to {email}")


def latest() -> Onboarding:
    return Onboarding.objects.order_by("-id").first()
