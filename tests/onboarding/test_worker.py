"""The funnel across real processes: the web app on a live server, the fake Stripe's hosted page
and its HTTP webhook, a real `celery worker` running provisioning and the sync on the real
broker and database, and the fake PostHog receiving events from both processes."""

from __future__ import annotations

import re

import pytest
import requests
from django.db import connection
from django_tenants.utils import schema_context

from apps.cms.models import SiteSnapshot
from apps.dashboard.models import TenantSetting
from apps.onboarding.models import Onboarding
from apps.tenancy.models import Tenant
from apps.tenancy.services import plans_ensure, platform_tenant_ensure
from tests.fakes.posthog import API_KEY as POSTHOG_KEY
from tests.onboarding.conftest import SIGNUP, WEBHOOK
from tests.workers.conftest import wait_for

pytestmark = pytest.mark.worker


@pytest.fixture
def eager_tasks():
    """Here tasks go through the broker to the real worker."""
    return


@pytest.fixture
def worker_posthog(monkeypatch, fake_posthog):
    """The worker process reads its settings from the environment: point it at the fake."""
    monkeypatch.setenv("POSTHOG_API_KEY", POSTHOG_KEY)
    monkeypatch.setenv("POSTHOG_HOST", fake_posthog.url)
    monkeypatch.setenv("POSTHOG_SYNC_MODE", "true")
    return fake_posthog


@pytest.fixture
def committed_platform(transactional_db):
    plans_ensure()
    platform_tenant_ensure()
    yield
    connection.set_schema_to_public()
    schemas = list(Tenant.objects.exclude(schema_name="public").values_list("schema_name", flat=True))
    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_onboarding__live_server_fake_checkout_and_real_worker__site_provisioned_and_synced(
    worker_posthog, celery_worker_process, committed_platform, live_server, stripe_on, posthog_on
):
    stripe_on.webhook_url = live_server.url + WEBHOOK
    browser = requests.Session()

    # The visitor fills in the sign-up form on the platform host
    form = browser.get(f"{live_server.url}/signup/", timeout=30)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    sent = browser.post(
        f"{live_server.url}/signup/",
        data={**SIGNUP, "csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{live_server.url}/signup/"},
        allow_redirects=False,
        timeout=30,
    )
    assert sent.status_code == 302, sent.text[:2000]
    checkout_url = sent.headers["Location"]
    assert checkout_url.startswith(f"{stripe_on.url}/c/pay/")

    # … pays on the (fake) Stripe page, which redirects back and sends the signed webhook
    assert "Fake Stripe Checkout" in browser.get(checkout_url, timeout=30).text
    paid = browser.post(checkout_url, allow_redirects=False, timeout=30)
    assert paid.status_code == 303
    session_id = checkout_url.rsplit("/", 1)[-1]
    assert paid.headers["Location"].endswith(f"/signup/return/?session_id={session_id}")

    # Then the worker provisions the tenant and runs the first sync
    onboarding = wait_for(
        lambda: Onboarding.objects.filter(stripe_session_id=session_id, state=Onboarding.State.COMPLETED).first(),
        timeout=90,
    )
    assert onboarding is not None, Onboarding.objects.values("state", "failed_step", "error").first()
    assert [r.status_code for r in stripe_on.webhook_deliveries] == [200]
    tenant = Tenant.objects.get(slug="joes-pizza")
    assert onboarding.tenant_id == tenant.pk
    assert onboarding.invited_at is not None
    assert set(onboarding.step_attempts.values_list("step", "outcome")) == {
        ("payment", "succeeded"),
        ("provisioning", "succeeded"),
        ("sync", "succeeded"),
    }
    with schema_context(tenant.schema_name):
        assert TenantSetting.objects.get(key="industry").value["key"] == "restaurant"
        assert SiteSnapshot.objects.filter(is_current=True).exists()

    # … PostHog heard the web process and the worker
    assert posthog_on.named("onboarding_started")
    assert posthog_on.named("payment_success")
    (synced,) = posthog_on.wait_for("sync_completed", timeout=10)
    assert synced["properties"]["onboarding_id"] == str(onboarding.public_id)
    assert synced["properties"]["industry"] == "restaurant"

    # … and the return page shows the live site
    page = browser.get(f"{live_server.url}/signup/return/?session_id={session_id}", timeout=30)
    assert 'data-testid="onboarding-done"' in page.text
    assert "joes-pizza.localhost" in page.text
