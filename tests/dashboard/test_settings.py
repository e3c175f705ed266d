"""The settings page: profile, theme, language, two-factor link."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.dashboard.conftest import TENANT_HOST

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_set_theme__htmx_post__persisted_and_next_page_renders_it(client, member):
    client.force_login(member)

    response = client.post("/app/settings/theme/", {"theme": "dark"}, **TENANT_HOST, **HTMX)

    assert response.status_code == 204
    assert response["HX-Trigger"] == '{"theme-changed": "dark"}'
    member.refresh_from_db()
    assert member.theme == "dark"
    page = client.get("/app/", **TENANT_HOST).content.decode()
    assert '<html lang="en" data-theme="dark">' in page
    assert 'data-theme-choice="dark" aria-pressed="true"' in page


def test_set_theme__unknown_value__400_and_theme_unchanged(client, member):
    client.force_login(member)

    response = client.post("/app/settings/theme/", {"theme": "neon"}, **TENANT_HOST, **HTMX)

    assert response.status_code == 400
    member.refresh_from_db()
    assert member.theme == "system"


def test_set_theme__plain_form_post_without_js__redirects_back(client, member):
    client.force_login(member)

    response = client.post("/app/settings/theme/", {"theme": "light", "next": "/app/"}, **TENANT_HOST)

    assert response.status_code == 302
    assert response["Location"] == "/app/"
    member.refresh_from_db()
    assert member.theme == "light"


def test_set_theme__next_on_another_site__redirects_to_settings_instead(client, member):
    client.force_login(member)

    response = client.post("/app/settings/theme/", {"theme": "light", "next": "https://evil.test/"}, **TENANT_HOST)

    assert response["Location"] == "/app/settings/"


def test_set_theme__get__405(client, member):
    client.force_login(member)

    assert client.get("/app/settings/theme/", **TENANT_HOST).status_code == 405


def test_set_theme__anonymous__redirected_to_sign_in_and_nothing_saved(client, acme):
    response = client.post("/app/settings/theme/", {"theme": "dark"}, **TENANT_HOST, **HTMX)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_set_language__spanish__persisted_and_shell_speaks_spanish(client, member, compiled_locale):
    client.force_login(member)

    response = client.post("/app/settings/language/", {"language": "es"}, **TENANT_HOST, follow=True)

    assert response.status_code == 200
    member.refresh_from_db()
    assert member.language == "es"
    html = response.content.decode()
    assert '<html lang="es"' in html
    for label in ("Resumen", "Ajustes", "Bandeja de entrada", "Finanzas", "Cerrar sesión", "Idioma guardado."):
        assert label in html, label
    assert ">Overview<" not in html
    overview = client.get("/app/", **TENANT_HOST).content.decode()
    assert "Te damos la bienvenida, Mia" in overview


def test_set_language__unsupported__400_and_language_unchanged(client, member):
    client.force_login(member)

    response = client.post("/app/settings/language/", {"language": "xx"}, **TENANT_HOST)

    assert response.status_code == 400
    assert b'data-testid="form-errors"' in response.content
    member.refresh_from_db()
    assert member.language == "en"


def test_update_profile__new_name__saved_and_shown(client, member):
    client.force_login(member)

    response = client.post("/app/settings/profile/", {"full_name": "  Mia   Q.  Member "}, **TENANT_HOST, follow=True)

    member.refresh_from_db()
    assert member.full_name == "Mia Q. Member"
    assert "Your profile is saved." in response.content.decode()


def test_update_profile__name_too_long__400_inline_error_and_unchanged(client, member):
    client.force_login(member)

    response = client.post("/app/settings/profile/", {"full_name": "x" * 151}, **TENANT_HOST)

    assert response.status_code == 400
    html = response.content.decode()
    assert "field--invalid" in html
    assert 'aria-invalid="true"' in html
    member.refresh_from_db()
    assert member.full_name == "Mia Member"


@pytest.mark.parametrize(("has_device", "expect_link"), [(False, True), (True, False)])
def test_settings_page__two_factor__link_only_while_off(client, member, has_device, expect_link):
    if has_device:
        TOTPDevice.objects.create(user=member, name="phone", confirmed=True)
    client.force_login(member)

    html = client.get("/app/settings/", **TENANT_HOST).content.decode()

    assert ('href="/accounts/mfa/setup/?next=/app/settings/"' in html) is expect_link
    assert ('data-testid="mfa-status"' in html) is has_device
