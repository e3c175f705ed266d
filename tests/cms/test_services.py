"""The managed site's services: sanitising on save, version history, settings, starter sites,
and site sync (idempotent, drafts never in the snapshot)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django_tenants.utils import schema_context, tenant_context

from apps.audit.models import AuditEvent
from apps.cms import selectors, services
from apps.cms.models import Faq, Page, PageVersion, SiteSnapshot
from apps.entitlements.context import entitlements_for
from apps.entitlements.models import Feature

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


# --------------------------------------------------------------------------- sanitising


def test_page_save__markdown_with_script__script_and_handlers_stripped(acme, in_tenant):
    body = (
        "# Welcome\n\nHello **there**.\n\n<script>alert('x')</script>\n\n"
        '<img src="/logo.png" onerror="alert(1)">\n\n[click](javascript:alert(1))'
    )

    page = in_tenant(acme, services.page_save, title="Home", slug="home", body=body)

    html = page.body_html
    assert "<strong>there</strong>" in html
    assert "<h2>Welcome</h2>" in html  # h1 belongs to the page title
    assert "<script" not in html
    assert "alert('x')" not in html
    assert "onerror" not in html
    assert "javascript:" not in html
    assert '<img src="/logo.png">' in html


def test_page_save__rich_text_html__unsafe_parts_removed_safe_parts_kept(acme, in_tenant):
    body = (
        '<p style="color:red" onclick="steal()">Hi <a href="https://example.com">us</a></p>'
        '<iframe src="https://evil.test"></iframe><form action="/x"><input name="q"></form>'
    )

    page = in_tenant(acme, services.page_save, title="Rich", body=body, body_format="html")

    assert page.body_html == '<p>Hi <a href="https://example.com" rel="noopener noreferrer">us</a></p>'
    assert page.body == body  # the editor's source is kept as written


def test_faq_save__markdown_answer__rendered_and_sanitised(acme, in_tenant):
    faq = in_tenant(
        acme, services.faq_save, question="Open?", answer="Yes, *daily*.<script>x()</script>", category="Hours"
    )

    assert faq.answer_html == "<p>Yes, <em>daily</em>.</p>"


# --------------------------------------------------------------------------- versions


def test_page_save__saved_twice_unchanged__one_version(acme, in_tenant):
    page = in_tenant(acme, services.page_save, title="About", body="v1")
    in_tenant(acme, services.page_save, page=page, title="About", body="v1")

    with tenant_context(acme):
        assert list(page.versions.values_list("number", flat=True)) == [1]


def test_page_restore_version__earlier_version__working_copy_back_and_recorded_as_new_version(acme, in_tenant, owner):
    page = in_tenant(acme, services.page_save, title="About", body="First words", actor=owner)
    page = in_tenant(acme, services.page_save, page=page, title="About us", body="Second words", actor=owner)

    page = in_tenant(acme, services.page_restore_version, page=page, version=1, actor=owner)

    assert (page.title, page.body) == ("About", "First words")
    assert page.body_html == "<p>First words</p>"
    with tenant_context(acme):
        versions = list(page.versions.order_by("number").values_list("number", "title", "note", "author_email"))
    assert versions == [
        (1, "About", "", "owner@acme.test"),
        (2, "About us", "", "owner@acme.test"),
        (3, "About", "Restored version 1", "owner@acme.test"),
    ]
    assert AuditEvent.objects.filter(action="cms.page.restore", tenant_slug="acme").exists()


def test_page_restore_version__version_of_another_page__refused(acme, in_tenant):
    one = in_tenant(acme, services.page_save, title="One")
    two = in_tenant(acme, services.page_save, title="Two")
    with tenant_context(acme):
        foreign = PageVersion.objects.get(page=two)

    with pytest.raises(ValidationError, match="does not belong"):
        in_tenant(acme, services.page_restore_version, page=one, version=foreign)


@pytest.mark.parametrize(
    ("slug", "message"),
    [("app", "used by the site itself"), ("faq", "used by the site itself"), ("Not A Slug", "lowercase letters")],
)
def test_page_save__reserved_or_malformed_slug__refused(acme, in_tenant, slug, message):
    with pytest.raises(ValidationError, match=message):
        in_tenant(acme, services.page_save, title="X", slug=slug)


def test_page_save__slug_of_another_page__refused(acme, in_tenant):
    in_tenant(acme, services.page_save, title="Team", slug="team")

    with pytest.raises(ValidationError, match="already uses"):
        in_tenant(acme, services.page_save, title="Other", slug="team")


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize("colour", ["red", "#fff", "#12345g", "2563eb", "#2563eb0"])
def test_site_settings_update__brand_colour_not_rrggbb__refused(acme, in_tenant, colour):
    with pytest.raises(ValidationError) as caught:
        in_tenant(acme, services.site_settings_update, brand_colour=colour)

    assert "brand_colour" in caught.value.message_dict


def test_site_settings_update__uppercase_colour_and_png_logo__stored_normalised(acme, in_tenant):
    row = in_tenant(acme, services.site_settings_update, brand_colour="#0E7490", logo_file=PNG)

    assert row.brand_colour == "#0e7490"
    assert row.logo_src.startswith("/site-assets/")
    assert len(row.logo_src) == len("/site-assets//") + 64


def test_site_settings_update__svg_logo__refused(acme, in_tenant):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

    with pytest.raises(ValidationError, match="PNG, JPEG, GIF or WebP"):
        in_tenant(acme, services.site_settings_update, logo_file=svg)


# --------------------------------------------------------------------------- starter site


def test_starter_site_create__dental__published_pages_faqs_and_identity_then_idempotent(acme, in_tenant):
    first = in_tenant(acme, services.starter_site_create, industry="Dental clinic", business_name="Bright Smiles")
    second = in_tenant(acme, services.starter_site_create, industry="Dental clinic", business_name="Bright Smiles")

    assert first.created
    assert first.template == "dental"
    assert first.pages == ["home", "about", "services", "contact"]
    assert not second.created
    assert second.template == "dental"
    with tenant_context(acme):
        assert Page.objects.count() == 4
        assert all(p.is_published for p in Page.objects.all())
        assert Page.objects.get(slug="services").title == "Treatments"
        assert Page.objects.get(slug="home").title == "Bright Smiles"
        assert Faq.objects.count() == first.faqs >= 3
        row = selectors.site_settings_current()
    assert (row.site_title, row.brand_colour, row.industry) == ("Bright Smiles", "#0e7490", "Dental clinic")


@pytest.mark.parametrize(
    ("industry", "template"),
    [
        ("Restaurant", "restaurant"),
        ("Gift shop", "retail"),
        ("Management consulting", "consulting"),
        ("Energy", "generic"),
        ("", "generic"),
    ],
)
def test_starter_site_create__industry__matching_template(acme, in_tenant, industry, template):
    assert in_tenant(acme, services.starter_site_create, industry=industry, business_name="Acme").template == template


def test_starter_site_create__owner_deleted_a_page__not_brought_back(acme, in_tenant):
    in_tenant(acme, services.starter_site_create, industry="retail", business_name="Acme")
    with tenant_context(acme):
        services.page_delete(page=Page.objects.get(slug="about"))

    in_tenant(acme, services.starter_site_create, industry="retail", business_name="Acme")

    with tenant_context(acme):
        assert not Page.objects.filter(slug="about").exists()


# --------------------------------------------------------------------------- site sync


def test_site_sync__unchanged_content__same_snapshot_and_no_new_row(acme, in_tenant, published_page):
    published_page()

    first = in_tenant(acme, services.site_sync, reason="first")
    second = in_tenant(acme, services.site_sync, reason="again")

    assert second.pk == first.pk
    with tenant_context(acme):
        assert SiteSnapshot.objects.count() == 1
    assert AuditEvent.objects.filter(action="cms.site.sync", tenant_slug="acme").count() == 1


def test_site_sync__content_changed__new_current_snapshot_and_old_one_kept(acme, in_tenant, published_page):
    published_page()
    first = in_tenant(acme, services.site_sync)
    in_tenant(acme, services.faq_save, question="Parking?", answer="Yes.")

    second = in_tenant(acme, services.site_sync, reason="faq added")

    assert second.pk != first.pk
    assert second.content_hash != first.content_hash
    with tenant_context(acme):
        assert list(SiteSnapshot.objects.filter(is_current=True).values_list("pk", flat=True)) == [second.pk]
        assert SiteSnapshot.objects.count() == 2
        assert selectors.site_snapshot_current().pk == second.pk
    assert (second.page_count, second.faq_count, second.reason) == (1, 1, "faq added")


def test_site_sync__draft_edit_of_published_page__snapshot_keeps_published_version(acme, in_tenant, published_page):
    page = published_page(body="Published words")
    in_tenant(acme, services.page_save, page=page, title="About us", slug="about", body="Unfinished draft")
    in_tenant(acme, services.page_save, title="Secret plans", slug="plans", body="Not yet")  # never published

    snap = in_tenant(acme, services.site_sync)

    pages = {p["slug"]: p for p in snap.payload["pages"]}
    assert set(pages) == {"about"}
    assert pages["about"]["html"] == "<p>Published words</p>"
    assert "Unfinished draft" not in str(snap.payload)


def test_site_sync__unpublished_page__removed_at_next_sync(acme, in_tenant, published_page):
    page = published_page()
    in_tenant(acme, services.site_sync)
    in_tenant(acme, services.page_unpublish, page=page)

    snap = in_tenant(acme, services.site_sync)

    assert snap.payload["pages"] == []


def test_site_sync__public_schema__refused(platform):
    connection.set_schema_to_public()

    with pytest.raises(RuntimeError, match="tenant schema"):
        services.site_sync(reason="wrong place")


# --------------------------------------------------------------------------- the "site" feature


def test_post_migrate__public_schema__site_feature_created_at_ga(platform, acme):
    Feature.objects.filter(key="site").delete()
    connection.set_schema_to_public()

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    feature = Feature.objects.get(key="site")
    assert feature.stage == Feature.Stage.GA
    assert entitlements_for(tenant=acme).is_on("site")


def test_post_migrate__tenant_schema__does_nothing(platform, acme):
    Feature.objects.filter(key="site").delete()

    with schema_context(acme.schema_name):
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert not Feature.objects.filter(key="site").exists()


def test_features_ensure__called_twice__one_feature(platform):
    services.features_ensure()
    services.features_ensure()

    assert Feature.objects.filter(key="site").count() == 1
