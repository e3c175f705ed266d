"""One real-browser walk through the dashboard shell: sign in on a tenant host, switch to dark
mode, see it survive a reload, sign out. Real Chromium, real server, real PostgreSQL and Redis."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from apps.accounts.models import User
from apps.accounts.services import membership_set
from tests.factories import UserFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENS = Path(settings.BASE_DIR) / ".data" / "screens"


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium")
def test_dashboard_in_browser__sign_in_dark_mode_reload_sign_out__theme_persisted(
    live_server, committed_tenant, password
):
    from playwright.sync_api import expect, sync_playwright

    # Given a committed tenant and a plain member (tier 0: no second factor)
    acme = committed_tenant("acme", name="Acme Dental")
    member = UserFactory(email="mia@acme.test", full_name="Mia Member", password=password)
    membership_set(user=member, tenant=acme, role="member")
    port = live_server.url.rsplit(":", 1)[1]
    base = f"http://acme.localhost:{port}"
    SCREENS.mkdir(parents=True, exist_ok=True)

    # No ORM calls inside this block: Playwright's sync API runs an event loop in this thread.
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(color_scheme="light", viewport={"width": 1360, "height": 860})
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            # When an anonymous visitor opens the dashboard, they are sent to sign in
            page.goto(f"{base}/app/")
            expect(page).to_have_url(f"{base}/accounts/login/?next=/app/")

            # And after signing in they see the tenant's dashboard
            page.fill("#id_username", "mia@acme.test")
            page.fill("#id_password", password)
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{base}/app/")
            expect(page.locator("[data-testid=tenant-name]")).to_have_text("Acme Dental")
            expect(page.locator("[data-testid=welcome-card] h1")).to_have_text("Welcome, Mia")
            assert page.locator("html").get_attribute("data-theme") == "system"
            page.screenshot(path=str(SCREENS / "dashboard-light.png"), full_page=True)

            # When they pick dark, the page switches at once and the choice is saved
            with page.expect_response(lambda r: r.url.endswith("/app/settings/theme/")) as saved:
                page.click("[data-theme-choice=dark]")
            assert page.locator("html").get_attribute("data-theme") == "dark"
            assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(15, 23, 42)"
            assert saved.value.status == 204

            # Then a reload (a fresh render from the server) is still dark
            page.reload()
            assert page.locator("html").get_attribute("data-theme") == "dark"
            assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(15, 23, 42)"
            expect(page.locator("[data-theme-choice=dark]").first).to_have_attribute("aria-pressed", "true")
            page.screenshot(path=str(SCREENS / "dashboard-dark.png"), full_page=True)
            page.goto(f"{base}/app/settings/")
            page.screenshot(path=str(SCREENS / "settings-dark.png"), full_page=True)

            # And signing out from the user menu lands on the sign-in page
            page.click("[data-testid=user-menu] summary")
            page.click("[data-testid=sign-out]")
            expect(page).to_have_url(f"{base}/accounts/login/")
            expect(page.locator("[data-testid=login-form]")).to_be_visible()
            expect(page.locator(".messages")).to_contain_text("You are signed out.")
            page.screenshot(path=str(SCREENS / "sign-in-after-sign-out.png"), full_page=True)
            page.goto(f"{base}/app/")
            expect(page).to_have_url(f"{base}/accounts/login/?next=/app/")
        finally:
            context.close()
            browser.close()

    assert User.objects.get(pk=member.pk).theme == "dark"
