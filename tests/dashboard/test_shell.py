"""The dashboard layout: navigation, user menu, theme control, assets."""

from __future__ import annotations

import re

from apps.dashboard import nav
from tests.dashboard.conftest import TENANT_HOST


def _nav_item(html: str, key: str) -> str:
    match = re.search(rf'<(a|span) class="nav__item[^"]*"[^>]*data-nav="{key}"[^>]*>', html)
    assert match, key
    return match.group(0)


def _module_keys(html: str) -> tuple[list[str], list[str]]:
    """Module entries (not overview/settings) that are live links, and those shown as "Soon"."""
    keys = [e.key for e in nav.NAV_ENTRIES if e.key not in {"overview", "settings"}]
    present = [k for k in keys if f'data-nav="{k}"' in html]
    built = [k for k in present if _nav_item(html, k).startswith("<a ")]
    return built, [k for k in present if k not in built]


def test_nav__built_and_unbuilt_modules__links_for_built_disabled_soon_for_rest(client, member):
    client.force_login(member)

    html = client.get("/app/", **TENANT_HOST).content.decode()

    assert _nav_item(html, "overview").startswith('<a class="nav__item" href="/app/"')
    assert 'aria-current="page"' in _nav_item(html, "overview")
    assert _nav_item(html, "settings").startswith('<a class="nav__item" href="/app/settings/"')
    built, unbuilt = _module_keys(html)
    for key in unbuilt:
        item = _nav_item(html, key)
        assert item.startswith("<span"), key
        assert 'aria-disabled="true"' in item, key
    for key in built:
        assert _nav_item(html, key).startswith('<a class="nav__item"'), key
    assert "finance" in unbuilt  # a module no issue has built yet
    assert html.count(">Soon<") == len(unbuilt)


def test_nav__module_url_appears__entry_lights_up_by_itself(client, member, monkeypatch):
    crm = nav.NavEntry("crm", "CRM", "dashboard:settings", "users", "Pipeline.")  # any resolvable URL
    monkeypatch.setattr(nav, "NAV_ENTRIES", tuple(crm if e.key == "crm" else e for e in nav.NAV_ENTRIES))
    client.force_login(member)

    html = client.get("/app/", **TENANT_HOST).content.decode()

    assert _nav_item(html, "crm").startswith("<a ")
    assert "crm" not in _module_keys(html)[1]
    assert '<section class="card" data-widget="crm">' in html  # its overview card is live too


def test_overview__module_placeholders__one_card_per_unbuilt_module(client, member):
    client.force_login(member)

    html = client.get("/app/", **TENANT_HOST).content.decode()

    cards = re.findall(r'<section class="card card--placeholder" data-widget="(\w+)">', html)
    assert cards == _module_keys(html)[1]
    assert "finance" in cards


def test_layout__user_menu__signs_out_with_a_post_form(client, member):
    client.force_login(member)

    html = client.get("/app/", **TENANT_HOST).content.decode()

    menu = html[html.index('data-testid="user-menu"') :]
    assert '<form method="post" action="/accounts/logout/">' in menu
    assert 'name="csrfmiddlewaretoken"' in menu
    assert "member@acme.test" in menu


def test_layout__theme_control__three_choices_posting_via_htmx(client, member):
    client.force_login(member)

    html = client.get("/app/", **TENANT_HOST).content.decode()

    assert 'hx-post="/app/settings/theme/"' in html
    assert re.findall(r'data-theme-choice="(\w+)"', html) == ["light", "dark", "system"]
    assert 'data-theme-choice="system" aria-pressed="true"' in html
    assert "/static/vendor/htmx/htmx.min.js" in html
    assert '"X-CSRFToken"' in html


def test_static__vendored_assets__served_offline(client, member):
    client.force_login(member)

    for path in ("/static/vendor/htmx/htmx.min.js", "/static/css/app.css", "/static/js/app.js"):
        response = client.get(path, **TENANT_HOST)
        assert response.status_code == 200, path
        assert b"".join(response.streaming_content), path


def test_sign_in__wrong_password__page_shows_the_error_clearly(client, acme, member):
    response = client.post("/accounts/login/", {"username": member.email, "password": "wrong-password"}, **TENANT_HOST)

    html = response.content.decode()
    assert 'role="alert" data-testid="form-errors"' in html
    assert "That email and password do not match an active account." in html
    assert 'value="member@acme.test"' in html  # what was typed is kept


def test_sign_in__empty_fields__inline_errors_on_each_field(client, acme):
    response = client.post("/accounts/login/", {"username": "", "password": ""}, **TENANT_HOST)

    html = response.content.decode()
    assert html.count('class="field-error"') == 2
    assert html.count('aria-invalid="true"') == 2
