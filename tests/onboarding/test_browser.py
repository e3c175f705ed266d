"""The sign-up in real Chromium: the lead form, the fake Stripe's hosted page, back to our
return page, which follows the setup with HTMX polling until the site is live."""

from __future__ import annotations

import pytest

from apps.onboarding.models import Onboarding
from apps.tenancy.models import Tenant
from tests.dashboard.test_e2e_browser import CHROMIUM, CHROMIUM_ARGS, SCREENS
from tests.onboarding.conftest import WEBHOOK

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest.fixture
def committed_platform(transactional_db):
    from django.db import connection

    from apps.tenancy.services import plans_ensure, platform_tenant_ensure

    plans_ensure()
    platform_tenant_ensure()
    yield
    connection.set_schema_to_public()
    schemas = list(Tenant.objects.exclude(schema_name="public").values_list("schema_name", flat=True))
    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_signup_in_browser__form_fake_checkout_return__site_live(
    committed_platform, live_server, stripe_on, posthog_on, settings
):
    from playwright.sync_api import expect, sync_playwright

    port = live_server.url.rsplit(":", 1)[1]
    settings.PUBLIC_PORT = port  # Stripe's return URL must lead back to this server
    stripe_on.webhook_url = live_server.url + WEBHOOK
    base = f"http://localhost:{port}"
    SCREENS.mkdir(parents=True, exist_ok=True)

    # No ORM calls inside this block: Playwright's sync API runs an event loop in this thread.
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(color_scheme="light", viewport={"width": 1280, "height": 1000})
        context.set_default_timeout(20_000)
        page = context.new_page()
        try:
            # A visitor with a typo gets a clear error, and their input back
            page.goto(f"{base}/signup/")
            page.fill("#id_business_name", "Bright Smile Dental")
            page.select_option("#id_industry", "dental")
            page.fill("#id_email", "not-an-email")
            page.check("input[name=plan][value=starter]")
            page.click("button[type=submit]")
            expect(page.locator("#id_email_error")).to_contain_text("valid email")
            expect(page.locator("#id_business_name")).to_have_value("Bright Smile Dental")
            page.screenshot(path=str(SCREENS / "onboarding-signup-error.png"), full_page=True)

            # Fixed, they continue to the (fake) Stripe Checkout and pay
            page.fill("#id_email", "owner@brightsmile.test")
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("Fake Stripe Checkout (test mode)")
            page.click("button[type=submit]")

            # Back on our return page, which follows the setup until the site is live
            expect(page).to_have_url(f"{base}/signup/return/?session_id=" + page.url.rsplit("=", 1)[-1])
            expect(page.locator("[data-testid=onboarding-done]")).to_contain_text(
                "http://bright-smile-dental.localhost:", timeout=60_000
            )
            page.screenshot(path=str(SCREENS / "onboarding-done.png"), full_page=True)
        finally:
            context.close()
            browser.close()

    onboarding = Onboarding.objects.get(email="owner@brightsmile.test")
    assert onboarding.state == Onboarding.State.COMPLETED
    assert onboarding.plan == "starter"
    assert Tenant.objects.filter(slug="bright-smile-dental").exists()


def test_funnel_admin_in_browser__staff__counts_and_posthog_status(
    committed_platform, live_server, user_factory, login_verified, settings
):
    from django.test import Client
    from django.utils import timezone
    from playwright.sync_api import expect, sync_playwright

    from apps.accounts.models import Tier
    from apps.onboarding import services

    settings.POSTHOG_API_KEY = ""
    for name in ("Alpha Dental", "Beta Bistro", "Gamma Goods"):
        services.onboarding_start(business_name=name, industry="dental", email="a@b.test", plan="pro")
    now = timezone.now()
    Onboarding.objects.filter(business_name="Beta Bistro").update(
        state=Onboarding.State.PROVISIONING,
        payment_pending_at=now,
        paid_at=now,
        provisioning_at=now,
        failed_step="provisioning",
        error="slug: A tenant with the slug “beta-bistro” already exists.",
    )
    staff = Client(HTTP_HOST="localhost")
    login_verified(staff, user_factory(email="ops@bizosaas.test", tier=Tier.PLATFORM_ADMIN))
    session = staff.cookies[settings.SESSION_COOKIE_NAME].value
    port = live_server.url.rsplit(":", 1)[1]
    SCREENS.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(color_scheme="dark", viewport={"width": 1360, "height": 900})
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
        page = context.new_page()
        try:
            page.goto(f"http://localhost:{port}/admin/onboarding/onboarding/funnel/")
            expect(page.locator("[data-testid=analytics-status]")).to_contain_text("PostHog disabled")
            expect(page.locator("[data-stage=lead]")).to_have_attribute("data-count", "3")
            expect(page.locator("[data-stage=paid]")).to_have_attribute("data-count", "1")
            expect(page.locator("[data-stage=provisioned]")).to_have_attribute("data-count", "0")
            expect(page.locator("[data-failed=provisioning]")).to_contain_text("1")
            page.screenshot(path=str(SCREENS / "onboarding-funnel-admin.png"), full_page=True)
            page.goto(f"http://localhost:{port}/admin/onboarding/onboarding/")
            expect(page.locator("#result_list")).to_contain_text("Beta Bistro")
            page.screenshot(path=str(SCREENS / "onboarding-admin-list.png"), full_page=True)
        finally:
            context.close()
            browser.close()
