"""The site editor under /app/site/: owners and admins edit, members read only, other tenants'
users get 403, support staff reach it as the staff path, and the `site` feature gates it."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.models import Tier
from apps.cms import services, tasks
from apps.cms.models import Faq, Page, SiteSettings
from apps.entitlements import services as entitlement_services
from apps.entitlements.models import Feature
from tests.cms.conftest import ACME, GLOBEX


def _pages(tenant) -> list[tuple[str, str]]:
    with tenant_context(tenant):
        return list(Page.objects.order_by("slug").values_list("slug", "status"))


def test_editor__owner__creates_and_publishes_a_page(client, acme, owner):
    client.force_login(owner)

    response = client.post(
        "/app/site/pages/new/",
        {"title": "Our team", "slug": "", "body_format": "markdown", "body": "Meet **Ann**.", "nav_order": "5",
         "show_in_nav": "on", "action": "publish"},
        **ACME,
    )  # fmt: skip

    assert response.status_code == 302
    assert _pages(acme) == [("our-team", "published")]
    with tenant_context(acme):
        page = Page.objects.get()
        assert page.published_version.number == 1
        assert page.published_version.author_email == "owner@acme.test"
    assert response["Location"] == f"/app/site/pages/{page.pk}/"


def test_editor__owner__page_list_with_sync_status_and_nav_entry_live(client, acme, owner, in_tenant, published_page):
    published_page()
    client.force_login(owner)

    html = client.get("/app/site/", **ACME).content.decode()

    assert '<a class="nav__item" href="/app/site/" data-nav="site" aria-current="page">' in html
    assert 'data-page="about"' in html
    assert 'data-testid="sync-now"' in html
    assert 'data-state="unsynced"' in html  # published but not synced yet
    assert "Never synced" in html


def test_editor__invalid_page__400_with_the_field_error_and_nothing_saved(client, acme, owner):
    client.force_login(owner)

    response = client.post(
        "/app/site/pages/new/", {"title": "Apps", "slug": "app", "body_format": "markdown", "nav_order": "1"}, **ACME
    )

    assert response.status_code == 400
    assert "used by the site itself" in response.content.decode()
    assert _pages(acme) == []


def test_editor__member__reads_everything_but_every_write_is_403(client, acme, member, in_tenant, published_page):
    page = published_page()
    client.force_login(member)

    index = client.get("/app/site/", **ACME)
    editor = client.get(f"/app/site/pages/{page.pk}/", **ACME)
    writes = [
        client.post("/app/site/pages/new/", {"title": "Hack", "body_format": "markdown", "nav_order": "1"}, **ACME),
        client.post(f"/app/site/pages/{page.pk}/unpublish/", **ACME),
        client.post("/app/site/faqs/", {"question": "Q?", "answer": "A", "position": "1"}, **ACME),
        client.post("/app/site/settings/", {"brand_colour": "#000000"}, **ACME),
        client.post("/app/site/sync/", **ACME),
    ]

    assert index.status_code == 200
    assert 'data-testid="read-only-notice"' in index.content.decode()
    assert 'data-testid="sync-now"' not in index.content.decode()
    assert editor.status_code == 200
    assert re.search(r'<input type="text" name="title" value="About us"[^>]* disabled', editor.content.decode())
    assert 'data-testid="save-publish"' not in editor.content.decode()
    assert [w.status_code for w in writes] == [403] * 5
    assert 'data-testid="site-read-only"' in writes[0].content.decode()
    assert _pages(acme) == [("about", "published")]
    with tenant_context(acme):
        assert not Faq.objects.exists()
        assert not SiteSettings.objects.filter(brand_colour="#000000").exists()


def test_editor__acme_member_on_globex__403_without_globex_data(client, acme, globex, member):
    client.force_login(member)

    response = client.get("/app/site/", **GLOBEX)

    assert response.status_code == 403
    assert b'data-testid="no-access"' in response.content
    assert client.post("/app/site/sync/", **GLOBEX).status_code == 403


def test_editor__anonymous__sent_to_sign_in(client, acme):
    response = client.get("/app/site/", **ACME)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/app/site/"


def test_editor__support_staff_verified__edits_as_the_staff_path(client, acme, user_factory, login_verified):
    agent = user_factory(email="agent@bizosaas.test", tier=Tier.SUPPORT)
    login_verified(client, agent)

    response = client.post(
        "/app/site/faqs/", {"question": "Parking?", "answer": "Yes.", "position": "1", "is_published": "on"}, **ACME
    )

    assert response.status_code == 302
    with tenant_context(acme):
        assert list(Faq.objects.values_list("question", flat=True)) == ["Parking?"]


def test_editor__feature_killed__404_and_gone_from_the_menu(client, acme, owner, platform):
    entitlement_services.feature_kill(feature=Feature.objects.get(key="site"), reason="incident")
    client.force_login(owner)

    assert client.get("/app/site/", **ACME).status_code == 404
    assert 'data-nav="site"' not in client.get("/app/", **ACME).content.decode()


def test_editor__live_preview__htmx_returns_sanitised_html(client, acme, owner):
    client.force_login(owner)

    response = client.post(
        "/app/site/preview/",
        {"body": "**Bold** <script>alert(1)</script>", "body_format": "markdown"},
        HTTP_HX_REQUEST="true",
        **ACME,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>Bold</strong>" in html
    assert "<script" not in html
    assert "alert(1)" not in html


def test_editor__page_form__body_wired_to_the_live_preview(client, acme, owner):
    client.force_login(owner)

    html = client.get("/app/site/pages/new/", **ACME).content.decode()

    textarea = re.search(r"<textarea[^>]*name=\"body\"[^>]*>", html).group(0)
    assert 'hx-post="/app/site/preview/"' in textarea
    assert 'hx-target="#preview"' in textarea


def test_editor__history_restore__earlier_version_back_as_draft(client, acme, owner, in_tenant):
    page = in_tenant(acme, services.page_save, title="About", slug="about", body="First")
    in_tenant(acme, services.page_save, page=page, title="About", slug="about", body="Second")
    client.force_login(owner)

    history = client.get(f"/app/site/pages/{page.pk}/history/", **ACME).content.decode()
    response = client.post(f"/app/site/pages/{page.pk}/history/1/restore/", **ACME)

    assert 'data-version="2"' in history
    assert 'data-testid="restore-1"' in history
    assert response.status_code == 302
    with tenant_context(acme):
        page.refresh_from_db()
        assert page.body == "First"
        assert page.versions.count() == 3


def test_editor__settings_bad_colour__400_with_field_error(client, acme, owner):
    client.force_login(owner)

    response = client.post("/app/site/settings/", {"brand_colour": "blue", "site_title": "Acme"}, **ACME)

    assert response.status_code == 400
    assert "#rrggbb" in response.content.decode()


def test_editor__settings_saved__brand_colour_reaches_visitors_after_sync(
    client, acme, owner, in_tenant, published_page
):
    published_page()
    client.force_login(owner)

    saved = client.post(
        "/app/site/settings/", {"brand_colour": "#be123c", "site_title": "Acme Shop", "tagline": "Hi"}, **ACME
    )
    in_tenant(acme, services.site_sync)

    assert saved.status_code == 302
    client.logout()
    assert "--brand:#be123c;" in client.get("/", **ACME).content.decode()


def test_editor__sync_now__queues_the_task_after_commit_and_shows_pending(
    client, acme, owner, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.site_sync_task, "delay", lambda reason: queued.append((reason, _schema())))
    client.force_login(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/app/site/sync/", HTTP_HX_REQUEST="true", **ACME)

    assert response.status_code == 200
    assert 'data-state="pending"' in response.content.decode()
    assert 'hx-trigger="every 2s"' in response.content.decode()
    assert queued == [("dashboard: owner@acme.test", acme.schema_name)]


def test_editor__sync_status_after_worker_synced__polling_stops_with_last_sync_time(
    client, acme, owner, in_tenant, published_page
):
    published_page()
    client.force_login(owner)
    snap = in_tenant(acme, services.site_sync)

    html = client.get("/app/site/sync/status/?pending=1&since=0&polls=3", **ACME).content.decode()

    assert 'data-state="synced"' in html
    assert "every 2s" not in html
    assert "Last synced" in html
    assert "1 pages" in html
    assert snap.pk


@pytest.mark.parametrize(
    "path", ["/app/site/articles/", "/app/site/faqs/", "/app/site/settings/", "/app/site/articles/new/"]
)
def test_editor__every_section__renders_for_a_member(client, acme, member, path):
    client.force_login(member)

    assert client.get(path, **ACME).status_code == 200


def _schema() -> str:
    from django.db import connection

    return connection.schema_name


def test_editor__existing_items__edit_pages_render_with_their_content(client, acme, owner, in_tenant):
    article = in_tenant(acme, services.article_save, title="Launch day", body="We *opened*.")
    faq = in_tenant(acme, services.faq_save, question="Parking?", answer="Behind the shop.")
    client.force_login(owner)

    article_html = client.get(f"/app/site/articles/{article.pk}/", **ACME).content.decode()
    faq_html = client.get(f"/app/site/faqs/{faq.pk}/", **ACME).content.decode()

    assert 'value="Launch day"' in article_html
    assert "<em>opened</em>" in article_html  # the preview, rendered on load
    assert 'data-testid="article-publish"' in article_html
    assert "Behind the shop." in faq_html


def test_editor__article_publish_button__article_published_with_a_date(client, acme, owner, in_tenant):
    article = in_tenant(acme, services.article_save, title="Launch day", body="Hi")
    client.force_login(owner)

    response = client.post(
        f"/app/site/articles/{article.pk}/",
        {"title": "Launch day", "slug": "launch-day", "body_format": "markdown", "body": "Hi", "action": "publish"},
        **ACME,
    )

    assert response.status_code == 302
    with tenant_context(acme):
        article.refresh_from_db()
    assert article.status == "published"
    assert article.published_at is not None


def test_editor__uploaded_logo__previewed_in_settings_before_it_is_published(client, acme, owner):
    from django.core.files.uploadedfile import SimpleUploadedFile

    png = b"\x89PNG\r\n\x1a\n" + b"\x02" * 32
    client.force_login(owner)

    saved = client.post(
        "/app/site/settings/",
        {"brand_colour": "#2563eb", "logo_file": SimpleUploadedFile("logo.png", png, content_type="image/png")},
        **ACME,
    )
    html = client.get("/app/site/settings/", **ACME).content.decode()

    assert saved.status_code == 302
    preview = re.search(r'<img src="(/app/site/assets/[0-9a-f]{64}/)"', html).group(1)
    assert b"".join(client.get(preview, **ACME)) == png
    client.logout()
    assert client.get(preview, **ACME).status_code == 302  # the editor's copy is for signed-in users
