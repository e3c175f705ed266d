"""The CRM in real Chromium: drag a deal to another stage and see it persist after a reload (and
the keyboard "Move to…" path to Won with its toast), bulk-tag three contacts with the toolbar,
and Ctrl+K to find a contact and open it. Real server, PostgreSQL and Redis. Screenshots go to
.data/screens/ (light and dark)."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.services import membership_set
from apps.crm import selectors, services
from apps.crm.models import Contact, ConversionEvent, Deal
from tests.dashboard.test_e2e_browser import CHROMIUM, CHROMIUM_ARGS, SCREENS
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest.fixture
def shop(committed_tenant, password):
    """A committed tenant with a plain member (tier 0: no second factor)."""
    acme = committed_tenant("acme", name="Acme Dental")
    member = UserFactory(email="mia@acme.test", full_name="Mia Member", password=password)
    membership_set(user=member, tenant=acme, role="member")
    return acme


def _browser(pw, live_server, *, scheme: str = "light"):
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    # Reduced motion: no colour transitions half-way through a screenshot after a theme switch.
    context = browser.new_context(color_scheme=scheme, reduced_motion="reduce", viewport={"width": 1440, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    port = live_server.url.rsplit(":", 1)[1]
    return browser, context, page, f"http://acme.localhost:{port}"


def _sign_in(page, base: str, password: str, next_path: str) -> None:
    page.goto(f"{base}{next_path}")
    page.fill("#id_username", "mia@acme.test")
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{next_path}")


def _drag(page, source, target) -> None:
    """Pointer drag (SortableJS runs in its pointer-event mode), in small steps like a hand."""
    a = source.bounding_box()
    b = target.bounding_box()
    x, y = a["x"] + a["width"] / 2, a["y"] + a["height"] - 12
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 8, y + 8, steps=4)
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + 30, steps=25)
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + 36, steps=4)
    page.mouse.up()


def test_pipeline_in_browser__drag_a_deal_to_another_stage__persists_after_reload(live_server, shop, password):
    from playwright.sync_api import expect, sync_playwright

    # Given a deal in New and another in Proposal
    with tenant_context(shop):
        stages = {s.name: s for s in selectors.pipeline_stages()}
        moving = services.deal_create(title="Kitchen refit", value="12000", stage=stages["New"])
        services.deal_create(title="Clinic fit-out", value="8000", stage=stages["Proposal"])
        winner = services.deal_create(title="Chairs order", value="2500", stage=stages["Negotiation"])
    SCREENS.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as pw:
        browser, context, page, base = _browser(pw, live_server)
        try:
            _sign_in(page, base, password, "/app/crm/pipeline/")
            card = page.locator("[data-testid=deal-card][data-title='Kitchen refit']")
            qualified = page.locator("[data-testid=stage-qualified] [data-board-cards]")
            expect(card).to_be_visible()
            page.screenshot(path=str(SCREENS / "crm-pipeline-light.png"), full_page=True)

            # When the card is dragged onto Qualified, one request saves stage and position
            with page.expect_response(lambda r: r.url.endswith(f"/deals/{moving.pk}/move/")) as moved:
                _drag(page, card, qualified)
            assert moved.value.status == 200
            expect(page.locator("[data-testid=stage-qualified] [data-testid=deal-card]")).to_have_count(1)
            expect(page.locator("[data-testid=stage-qualified] [data-testid=stage-count]")).to_have_text("1")
            expect(page.locator("[data-testid=toast]").first).to_contain_text("Kitchen refit moved to Qualified.")

            # Then a reload (a fresh render from the server) still shows it there
            page.reload()
            expect(page.locator("[data-testid=stage-qualified] [data-title='Kitchen refit']")).to_be_visible()
            expect(page.locator("[data-testid=stage-new] [data-testid=deal-card]")).to_have_count(0)

            # And the keyboard path: the card's "Move to…" menu, to Won, with a toast
            summary = page.locator("[data-title='Chairs order'] [data-testid=move-menu]")
            summary.focus()
            page.keyboard.press("Enter")
            won = page.locator("[data-title='Chairs order'] [data-testid=move-to-won]")
            won.focus()
            with page.expect_response(lambda r: r.url.endswith(f"/deals/{winner.pk}/move/")):
                page.keyboard.press("Enter")
            expect(page.locator("[data-testid=toast]").last).to_contain_text("Won: Chairs order")
            expect(page.locator("[data-testid=stage-won] [data-title='Chairs order']")).to_be_visible()
            focused = page.evaluate("document.activeElement.closest('[data-deal]')?.dataset.title")
            assert focused == "Chairs order"  # focus follows the moved card
            page.emulate_media(color_scheme="dark")
            page.screenshot(path=str(SCREENS / "crm-pipeline-dark.png"), full_page=True)
        finally:
            context.close()
            browser.close()

    with tenant_context(shop):
        assert Deal.objects.get(pk=moving.pk).stage_id == stages["Qualified"].pk
        assert Deal.objects.get(pk=winner.pk).stage_id == stages["Won"].pk
        assert list(ConversionEvent.objects.values_list("deal_id", flat=True)) == [winner.pk]


def test_contacts_in_browser__bulk_tag_three_contacts__tagged_and_shown_then_palette_tags_two_more(
    live_server, shop, password
):
    from playwright.sync_api import expect, sync_playwright

    with tenant_context(shop):
        people = [
            services.contact_create(name=n, email=f"{n.split()[0].lower()}@example.test", industry="Dental")
            for n in ("Ann Lee", "Bob Ray", "Cid Moe", "Dee Fox", "Eve Kim")
        ]
    picked = [p.pk for p in people[:3]]
    SCREENS.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as pw:
        browser, context, page, base = _browser(pw, live_server)
        try:
            _sign_in(page, base, password, "/app/crm/contacts/")
            toolbar = page.locator("[data-bulk-form]")
            expect(toolbar).to_be_hidden()

            # When three rows are ticked, the toolbar appears with the count
            for pk in picked:
                page.check(f"[data-bulk-row][value='{pk}']")
            expect(toolbar).to_be_visible()
            expect(page.locator("[data-testid=bulk-count]")).to_have_text("3 selected")
            expect(page.locator("[data-testid=bulk-select-all]")).to_have_text("Select all 5 matching this filter")

            # And "Add tags" with a tag is applied
            page.select_option("[data-testid=bulk-action]", "add_tags")
            page.fill("[data-testid=bulk-tags]", "VIP, spring")
            page.screenshot(path=str(SCREENS / "crm-contacts-toolbar-light.png"), full_page=True)
            page.click("[data-testid=bulk-apply]")

            # Then the result is reported, the list reloads with the tags, the selection is gone
            expect(page.locator("[data-testid=bulk-result]")).to_contain_text("Tags added: 3 of 3 contacts changed.")
            for pk in picked:
                expect(page.locator(f"tr[data-row-id='{pk}'] [data-testid=row-tags]")).to_have_text(
                    re.compile(r"spring\s*vip")
                )
            expect(page.locator(f"tr[data-row-id='{people[3].pk}'] [data-testid=row-tags]")).to_have_text("—")
            expect(toolbar).to_be_hidden()
            page.emulate_media(color_scheme="dark")
            page.screenshot(path=str(SCREENS / "crm-contacts-dark.png"), full_page=True)

            # And the command palette tags the current selection too (Ctrl+K → "Tag the 2 selected rows…")
            for person in people[3:]:
                page.check(f"[data-bulk-row][value='{person.pk}']")
            page.keyboard.press("Control+k")
            expect(page.locator("[data-testid=palette-tag-selection]")).to_have_text("Tag the 2 selected rows…")
            expect(page.locator("[data-testid=palette-input]")).to_have_attribute(
                "aria-activedescendant", "po-tag-selection"
            )
            page.keyboard.press("Enter")
            page.keyboard.type("gold")
            page.keyboard.press("Enter")
            expect(page.locator("[data-testid=bulk-result]")).to_contain_text("Tags added: 2 of 2 contacts changed.")
        finally:
            context.close()
            browser.close()

    with tenant_context(shop):
        tags = dict(Contact.objects.values_list("pk", "tags"))
    assert [tags[pk] for pk in picked] == [["spring", "vip"]] * 3
    assert [tags[p.pk] for p in people[3:]] == [["gold"], ["gold"]]


def test_palette_in_browser__ctrl_k_finds_a_contact__enter_opens_it(live_server, shop, password):
    from playwright.sync_api import expect, sync_playwright

    with tenant_context(shop):
        jane = services.contact_create(name="Jane Doe", email="jane@example.test", tags=["vip"])
        services.contact_create(name="John Smith", email="john@example.test")
    SCREENS.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as pw:
        browser, context, page, base = _browser(pw, live_server)
        try:
            _sign_in(page, base, password, "/app/")
            dialog = page.locator("[data-testid=palette]")
            expect(dialog).to_be_hidden()

            # When Ctrl+K is pressed anywhere, the palette opens with focus in its input
            page.keyboard.press("Control+k")
            expect(dialog).to_be_visible()
            expect(page.locator("[data-testid=palette-input]")).to_be_focused()
            expect(page.locator("[data-testid=palette-action-new-contact]")).to_be_visible()

            # And typing finds the contact, which becomes the active option
            page.keyboard.type("jane d")
            option = page.locator(f"#po-contact-{jane.pk}")
            expect(option).to_be_visible()
            expect(page.locator("[data-testid=palette-input]")).to_have_attribute(
                "aria-activedescendant", f"po-contact-{jane.pk}"
            )
            expect(option).to_have_attribute("aria-selected", "true")
            page.screenshot(path=str(SCREENS / "palette-light.png"))

            # Escape closes it; Ctrl+K again and Enter opens the contact
            page.keyboard.press("Escape")
            expect(dialog).to_be_hidden()
            page.keyboard.press("Control+k")
            page.keyboard.type("jane")
            expect(page.locator("[data-testid=palette-input]")).to_have_attribute(
                "aria-activedescendant", f"po-contact-{jane.pk}"
            )
            page.emulate_media(color_scheme="dark")
            page.screenshot(path=str(SCREENS / "palette-dark.png"))
            page.keyboard.press("Enter")
            page.wait_for_url(f"{base}/app/crm/contacts/{jane.pk}/")
            expect(page.locator("[data-testid=contact-name]")).to_have_text("Jane Doe")
            page.screenshot(path=str(SCREENS / "crm-contact-dark.png"), full_page=True)
        finally:
            context.close()
            browser.close()
