"""The command palette endpoint (records of this tenant only, pages, actions by role) and the
Kanban moves (one request; persisted; Won records the conversion; stale cards refused)."""

from __future__ import annotations

import json
import re

from django_tenants.utils import tenant_context

from apps.catalog import services as catalog_services
from apps.crm import selectors, services
from apps.crm.models import ConversionEvent, Deal
from tests.crm_ui.conftest import ACME, HX


def _options(html: str) -> list[tuple[str, str]]:
    return re.findall(r'data-href="([^"]+)"[^>]*>.*?palette__option-title">([^<]+)<', html, re.S)


def test_palette__query__records_of_this_tenant_only_with_links(as_member, acme, globex, in_tenant):
    def build_acme():
        contact = services.contact_create(name="Jane Doe", email="jane@acme.test")
        deal = services.deal_create(title="Jane's renewal", value="1200")
        product = catalog_services.product_create(name="Jane's jam", sku="JAM-1", price="3")
        return contact, deal, product

    contact, deal, product = in_tenant(acme, build_acme)
    in_tenant(globex, lambda: services.contact_create(name="Jane Globex", email="jane@globex.test"))

    html = as_member.get("/app/palette/?q=jane", **ACME).content.decode()

    assert _options(html)[:3] == [
        (f"/app/crm/contacts/{contact.pk}/", "Jane Doe"),
        (f"/app/crm/deals/{deal.pk}/", "Jane&#x27;s renewal"),
        (f"/app/catalog/products/{product.pk}/", "Jane&#x27;s jam"),
    ]
    assert "Jane Globex" not in html
    assert 'role="option"' in html
    assert 'id="po-contact-' in html


def test_palette__empty_query__actions_and_pages(as_member, acme):
    html = as_member.get("/app/palette/", **ACME).content.decode()

    assert ("/app/crm/contacts/new/", "Create contact") in _options(html)
    assert ("/app/crm/pipeline/", "Open pipeline") in _options(html)
    assert 'data-testid="palette-page"' in html


def test_palette__page_name__matching_pages(as_member, acme):
    html = as_member.get("/app/palette/?q=sett", **ACME).content.decode()

    assert ("/app/settings/", "Settings") in _options(html)
    assert "Create contact" not in html


def test_palette__viewer__no_create_actions_but_pipeline(client, viewer, acme):
    client.force_login(viewer)

    html = client.get("/app/palette/", **ACME).content.decode()

    assert "Create contact" not in html
    assert "Create product" not in html
    assert "Open pipeline" in html


def test_palette__no_match__says_so(as_member, acme):
    html = as_member.get("/app/palette/?q=zzzxq", **ACME).content.decode()

    assert 'data-testid="palette-empty"' in html


def test_dashboard_shell__every_page__palette_dialog_and_shortcut_button(as_member, acme):
    html = as_member.get("/app/", **ACME).content.decode()

    assert 'role="dialog" aria-modal="true"' in html
    assert 'role="combobox"' in html
    assert 'aria-controls="palette-list"' in html
    assert 'data-url="/app/palette/"' in html
    assert 'aria-keyshortcuts="Control+K Meta+K"' in html
    assert "js/palette.js" in html


def _stages(tenant):
    with tenant_context(tenant):
        return {s.name: s for s in selectors.pipeline_stages()}


def test_deal_move__drop_on_won__one_request_board_back_toast_and_conversion_recorded(as_member, acme, in_tenant):
    stages = _stages(acme)
    deal = in_tenant(acme, lambda: services.deal_create(title="Big one", value="5000", stage=stages["Proposal"]))

    response = as_member.post(
        f"/app/crm/deals/{deal.pk}/move/",
        {"stage": stages["Won"].pk, "position": 0, "version": 1, "filters": ""},
        **ACME,
        **HX,
    )

    html = response.content.decode()
    trigger = json.loads(response["HX-Trigger"])
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="board"')
    won_column = html.split('data-testid="stage-won"')[1].split("</section>")[0]
    assert 'data-title="Big one"' in won_column
    assert 'data-version="2"' in won_column
    assert trigger["toast"]["tone"] == "success"
    assert trigger["toast"]["message"] == "Won: Big one (5000.00 USD). The conversion is recorded."
    with tenant_context(acme):
        assert Deal.objects.get(pk=deal.pk).stage_id == stages["Won"].pk
        assert list(ConversionEvent.objects.values_list("deal_id", "value")) == [(deal.pk, 5000)]


def test_deal_move__reorder_within_a_stage__positions_persist(as_member, acme, in_tenant):
    stages = _stages(acme)

    def build():
        return [services.deal_create(title=t, stage=stages["New"]) for t in ("A", "B", "C")]

    _a, _b, c = in_tenant(acme, build)

    as_member.post(
        f"/app/crm/deals/{c.pk}/move/", {"stage": stages["New"].pk, "position": 0, "version": 1}, **ACME, **HX
    )
    html = as_member.get("/app/crm/pipeline/", **ACME).content.decode()

    new_column = html.split('data-testid="stage-new"')[1].split("</section>")[0]
    assert re.findall(r'data-title="([A-C])"', new_column) == ["C", "A", "B"]


def test_deal_move__stale_card__409_board_shows_the_truth_and_nothing_moved(as_member, acme, in_tenant):
    stages = _stages(acme)

    def build():
        deal = services.deal_create(title="Big one", stage=stages["New"])
        services.deal_update(deal=deal, version=1, title="Big one (edited)")
        return deal

    deal = in_tenant(acme, build)

    response = as_member.post(
        f"/app/crm/deals/{deal.pk}/move/", {"stage": stages["Lost"].pk, "position": 0, "version": 1}, **ACME, **HX
    )

    assert response.status_code == 409
    assert json.loads(response["HX-Trigger"])["toast"]["tone"] == "danger"
    assert 'data-title="Big one (edited)"' in response.content.decode()
    with tenant_context(acme):
        assert Deal.objects.get(pk=deal.pk).stage_id == stages["New"].pk


def test_deal_move__keyboard_menu_without_javascript__redirect_back_and_persisted(as_member, acme, in_tenant):
    stages = _stages(acme)
    deal = in_tenant(acme, lambda: services.deal_create(title="Big one", stage=stages["New"]))
    board = as_member.get("/app/crm/pipeline/", **ACME).content.decode()

    response = as_member.post(
        f"/app/crm/deals/{deal.pk}/move/",
        {"stage": stages["Qualified"].pk, "position": "1000000", "version": "1", "filters": "kind=deal"},
        **ACME,
    )

    assert 'data-testid="move-to-qualified"' in board
    assert 'data-testid="move-to-new"' not in board
    assert response.status_code == 302
    assert response["Location"] == "/app/crm/pipeline/?kind=deal"
    with tenant_context(acme):
        assert Deal.objects.get(pk=deal.pk).stage_id == stages["Qualified"].pk


def test_deal_move__viewer__no_menu_and_403(client, viewer, acme, in_tenant):
    stages = _stages(acme)
    deal = in_tenant(acme, lambda: services.deal_create(title="Big one", stage=stages["New"]))
    client.force_login(viewer)

    board = client.get("/app/crm/pipeline/", **ACME).content.decode()
    response = client.post(
        f"/app/crm/deals/{deal.pk}/move/", {"stage": stages["Won"].pk, "position": 0, "version": 1}, **ACME, **HX
    )

    assert 'data-can-edit=""' in board
    assert "data-move-menu" not in board
    assert response.status_code == 403


def test_vendor__sortablejs__pinned_with_its_licence_and_version():
    from pathlib import Path

    from django.conf import settings

    folder = Path(settings.BASE_DIR) / "static" / "vendor" / "sortablejs"
    assert "MIT" in (folder / "LICENSE").read_text()
    assert re.match(r"SortableJS 1\.\d+\.\d+\n", (folder / "VERSION").read_text())
    assert (folder / "Sortable.min.js").read_text().startswith("/*! Sortable 1.")
