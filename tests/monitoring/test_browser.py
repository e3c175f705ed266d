"""A real-browser walk through the Health page and the Alert Preferences page: real Chromium,
real server, a real Celery worker delivering the test alert through the fake Telegram."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from apps.accounts.services import membership_set
from apps.monitoring.models import DomainCheck, DomainHealth
from apps.tenancy.models import Domain
from tests.factories import UserFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]
SCREENS = Path(settings.BASE_DIR) / ".data" / "screens"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest.fixture
def worker_telegram(monkeypatch, fake_telegram, settings):
    monkeypatch.setenv("TELEGRAM_API_BASE", fake_telegram.url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", settings.TELEGRAM_BOT_TOKEN)
    return fake_telegram


@pytest.fixture
def browser_worker(worker_telegram, celery_worker_process):
    return celery_worker_process


def _history(domain: Domain) -> None:
    now = timezone.now()
    checks = []
    for i in range(288):  # a day of checks every 5 minutes, one short outage
        failed = 100 <= i < 103
        checks.append(
            DomainCheck(
                domain=domain,
                checked_at=now - timedelta(minutes=5 * i),
                outcome="timeout" if failed else "ok",
                status_code=None if failed else 200,
                latency_ms=None if failed else 80 + (i * 37) % 90,
            )
        )
    DomainCheck.objects.bulk_create(checks)
    DomainHealth.objects.create(
        domain=domain, tenant=domain.tenant, state="up", last_status_code=200, last_latency_ms=95, last_checked_at=now
    )


def test_health_and_alerts_in_browser__chart_shown_test_alert_delivered_and_listed_sent(
    browser_worker, worker_telegram, live_server, committed_tenant, password
):
    from playwright.sync_api import expect, sync_playwright

    acme = committed_tenant("acme", name="Acme Dental")
    owner = UserFactory(email="olga@acme.test", full_name="Olga Owner", password=password)
    membership_set(user=owner, tenant=acme, role="owner")
    _history(Domain.objects.get(domain="acme.localhost"))
    base = f"http://acme.localhost:{live_server.url.rsplit(':', 1)[1]}"
    SCREENS.mkdir(parents=True, exist_ok=True)

    # No ORM calls inside this block: Playwright's sync API runs an event loop in this thread.
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(color_scheme="light", viewport={"width": 1360, "height": 900})
        context.set_default_timeout(20_000)
        page = context.new_page()
        try:
            page.goto(f"{base}/accounts/login/?next=/app/health/")
            page.fill("#id_username", "olga@acme.test")
            page.fill("#id_password", password)
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{base}/app/health/")

            # The health page: state, uptime of the day (285 of 288 checks), the latency chart
            row = page.locator('tr[data-domain="acme.localhost"]')
            expect(row.locator("[data-testid=state]")).to_have_text("Up")
            expect(row.locator("[data-testid=uptime-24h]")).to_have_text("98.96 %")
            line = page.locator("[data-testid=latency-chart] path.chart__line")
            expect(line).to_have_count(1)
            stroke = line.evaluate("el => getComputedStyle(el).stroke")
            assert stroke == "rgb(37, 99, 235)"  # --primary, a solid colour
            assert page.locator("[data-testid=latency-chart] rect.chart__fail").count() >= 1
            page.screenshot(path=str(SCREENS / "health-light.png"), full_page=True)
            page.emulate_media(color_scheme="dark")
            page.screenshot(path=str(SCREENS / "health-dark.png"), full_page=True)
            page.emulate_media(color_scheme="light")

            # Alert preferences: Telegram on with a chat id, then "send test alert"
            page.goto(f"{base}/app/settings/alerts/")
            page.check("input[name=telegram_enabled]")
            page.uncheck("input[name=email_enabled]")
            page.fill("#id_telegram_chat_id", "5550001")
            page.click("text=Save alert preferences")
            expect(page.locator("[data-testid=telegram-saved]")).to_be_visible()
            page.click("[data-testid=send-test-alert]")
            expect(page.locator("[data-testid=deliveries-note]")).to_contain_text("Test alert queued to: telegram.")
            # The worker sends it; the list refreshes itself until it says so
            expect(page.locator('#deliveries tr[data-status="sent"]')).to_have_count(1, timeout=40_000)
            page.screenshot(path=str(SCREENS / "alerts-light.png"), full_page=True)
        finally:
            context.close()
            browser.close()

    [text] = worker_telegram.texts_for("5550001")
    assert "Test alert" in text
    assert "from Acme Dental" in text
