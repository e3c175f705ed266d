"""The tenant's public website at the root of its host: served from the published snapshot
only, in the tenant's brand, with sitemap and robots; 404 "not published yet" without one."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from apps.cms import services
from apps.tenancy.services import tenant_set_status
from tests.cms.conftest import ACME, GLOBEX

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64


def test_home__no_snapshot__404_not_published_page(client, acme):
    response = client.get("/", **ACME)

    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-testid="site-not-published"' in html
    assert "not published yet" in html
    assert response["Cache-Control"] == "no-store"


def test_home__no_snapshot_but_content__still_404_until_synced(client, acme, published_page):
    published_page()

    assert client.get("/", **ACME).status_code == 404
    assert client.get("/about/", **ACME).status_code == 404


def test_publish_flow__draft_publish_sync__visitor_sees_page_only_after_sync(client, acme, in_tenant):
    # Given a draft page and a synced site
    page = in_tenant(acme, services.page_save, title="Our team", slug="team", body="Draft about **Ann**.")
    in_tenant(acme, services.site_sync)
    assert client.get("/team/", **ACME).status_code == 404

    # When the page is published but the site not synced yet
    in_tenant(acme, services.page_publish, page=page)
    assert client.get("/team/", **ACME).status_code == 404

    # Then after the sync visitors get it, with its menu entry
    in_tenant(acme, services.site_sync, reason="published team")
    response = client.get("/team/", **ACME)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>Ann</strong>" in html
    assert '<a href="/team/" aria-current="page">Our team</a>' in html


def test_public_page__draft_edit_after_publish__visitors_keep_the_published_text(
    client, acme, in_tenant, published_page
):
    page = published_page(body="Live text")
    in_tenant(acme, services.site_sync)

    in_tenant(acme, services.page_save, page=page, title="About us", slug="about", body="Half-written draft")
    in_tenant(acme, services.site_sync)

    html = client.get("/about/", **ACME).content.decode()
    assert "Live text" in html
    assert "Half-written" not in html


def test_public_site__script_in_body__never_reaches_visitors(client, acme, in_tenant):
    page = in_tenant(acme, services.page_save, title="X", slug="x", body="Hi<script>document.cookie</script>")
    in_tenant(acme, services.page_publish, page=page)
    in_tenant(acme, services.site_sync)

    html = client.get("/x/", **ACME).content.decode()

    assert "document.cookie" not in html
    assert "<script" not in html


def test_public_site__brand_colour_and_logo__css_variables_and_header(client, acme, in_tenant, published_page):
    published_page()
    in_tenant(acme, services.site_settings_update, site_title="Acme Tools", brand_colour="#b45309", logo_file=PNG)
    in_tenant(acme, services.site_sync)

    response = client.get("/", **ACME)

    assert response.status_code == 200
    html = response.content.decode()
    assert "--brand:#b45309;" in html
    assert re.search(r"--on-brand:#(ffffff|0f172a);", html)
    assert '/static/css/site.css"' in html
    assert "/static/css/app.css" not in html  # the site has its own small stylesheet
    assert 'data-testid="site-title">Acme Tools<' in html
    logo = re.search(r'src="(/site-assets/[0-9a-f]{64}/)"', html).group(1)
    image = client.get(logo, **ACME)
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert b"".join(image) == PNG


def test_public_site__logo_uploaded_after_sync__not_served_until_next_sync(client, acme, in_tenant, published_page):
    published_page()
    in_tenant(acme, services.site_sync)
    row = in_tenant(acme, services.site_settings_update, logo_file=PNG)

    assert client.get(row.logo_src, **ACME).status_code == 404
    in_tenant(acme, services.site_sync)
    assert client.get(row.logo_src, **ACME).status_code == 200


def test_public_site__two_tenants__each_host_serves_its_own_content(client, acme, globex, in_tenant):
    in_tenant(acme, services.starter_site_create, industry="dental", business_name="Acme Dental")
    in_tenant(acme, services.site_sync)
    in_tenant(globex, services.starter_site_create, industry="restaurant", business_name="Globex Bistro")
    in_tenant(globex, services.site_sync)

    acme_html = client.get("/", **ACME).content.decode()
    globex_html = client.get("/", **GLOBEX).content.decode()
    globex_menu = client.get("/services/", **GLOBEX).content.decode()

    assert "Acme Dental" in acme_html
    assert "Globex" not in acme_html
    assert "--brand:#0e7490;" in acme_html
    assert "Globex Bistro" in globex_html
    assert "Acme" not in globex_html
    assert "--brand:#b45309;" in globex_html
    assert "Wild mushroom risotto" in globex_menu


def test_public_faq_and_articles__published_only(client, acme, in_tenant, published_page):
    published_page()
    in_tenant(acme, services.faq_save, question="Do you deliver?", answer="Yes, *everywhere*.", category="Orders")
    in_tenant(acme, services.faq_save, question="Hidden one?", answer="No.", is_published=False)
    in_tenant(
        acme, services.article_save, title="We moved", body="New **address**.", summary="Big news", status="published"
    )
    in_tenant(acme, services.article_save, title="Draft idea", body="Secret")
    in_tenant(acme, services.site_sync)

    faq = client.get("/faq/", **ACME).content.decode()
    listing = client.get("/articles/", **ACME).content.decode()
    article = client.get("/articles/we-moved/", **ACME)

    assert "Do you deliver?" in faq
    assert "<em>everywhere</em>" in faq
    assert "Orders" in faq
    assert "Hidden one?" not in faq
    assert "We moved" in listing
    assert "Big news" in listing
    assert "Draft idea" not in listing
    assert article.status_code == 200
    assert "<strong>address</strong>" in article.content.decode()
    assert client.get("/articles/draft-idea/", **ACME).status_code == 404


def test_public_page__unknown_slug__404_in_the_site_layout(client, acme, published_page, in_tenant):
    published_page()
    in_tenant(acme, services.site_sync)

    response = client.get("/no-such-page/", **ACME)

    assert response.status_code == 404
    assert 'data-testid="site-not-found"' in response.content.decode()
    assert 'data-testid="public-site"' in response.content.decode()


def test_public_page__home_slug__redirects_to_root(client, acme, in_tenant):
    in_tenant(acme, services.starter_site_create, industry="", business_name="Acme")
    in_tenant(acme, services.site_sync)

    response = client.get("/home/", **ACME)

    assert response.status_code == 301
    assert response["Location"] == "/"


def test_sitemap__synced_site__every_public_url_with_the_host(client, acme, in_tenant):
    in_tenant(acme, services.starter_site_create, industry="consulting", business_name="Acme")
    in_tenant(acme, services.article_save, title="Hello world", body="Hi", status="published")
    in_tenant(acme, services.site_sync)

    response = client.get("/sitemap.xml", **ACME)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    locs = re.findall(r"<loc>([^<]+)</loc>", response.content.decode())
    assert locs == [
        "http://acme.localhost/",
        "http://acme.localhost/about/",
        "http://acme.localhost/services/",
        "http://acme.localhost/contact/",
        "http://acme.localhost/faq/",
        "http://acme.localhost/articles/",
        "http://acme.localhost/articles/hello-world/",
    ]


def test_robots__synced_site__points_to_sitemap_and_keeps_dashboard_out(client, acme, published_page, in_tenant):
    published_page()
    in_tenant(acme, services.site_sync)

    response = client.get("/robots.txt", **ACME)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "Disallow: /app/" in lines
    assert "Sitemap: http://acme.localhost/sitemap.xml" in lines


def test_robots_and_sitemap__no_snapshot__robots_without_sitemap_and_sitemap_404(client, acme):
    robots = client.get("/robots.txt", **ACME).content.decode()

    assert "Disallow: /app/" in robots
    assert "Sitemap:" not in robots
    assert client.get("/sitemap.xml", **ACME).status_code == 404


def test_public_site__anonymous_visitor__no_sign_in_while_dashboard_still_requires_it(
    client, acme, published_page, in_tenant
):
    published_page()
    in_tenant(acme, services.site_sync)

    assert client.get("/about/", **ACME).status_code == 200
    dashboard = client.get("/app/", **ACME)
    assert dashboard.status_code == 302
    assert dashboard["Location"].startswith("/accounts/login/")


def test_public_site__suspended_tenant__423_neutral_page_without_the_reason(client, acme, published_page, in_tenant):
    published_page()
    in_tenant(acme, services.site_sync)
    tenant_set_status(tenant=acme, status="suspended", reason="Unpaid invoice")

    response = client.get("/about/", **ACME)

    assert response.status_code == 423
    html = response.content.decode()
    assert 'data-testid="site-unavailable"' in html
    assert "Unpaid invoice" not in html
    assert "suspended" not in html.lower()
    assert client.get("/", **ACME).status_code == 423


def test_public_site__repeat_visit__served_from_cache_without_content_queries(client, acme, published_page, in_tenant):
    published_page()
    in_tenant(acme, services.site_sync)
    client.get("/about/", **ACME)  # warm: this process loads the snapshot once

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/about/", **ACME)

    assert response.status_code == 200
    # (Entitlement reloads are left out: inside a test's open transaction that snapshot is
    # provisional and reloads at every request; in production it costs no SQL.)
    sql = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith("SET search_path") and "entitlements_" not in q["sql"]
    ]
    assert not any("cms_" in s for s in sql), sql
    assert len(sql) == 1, sql  # only the host lookup
    assert "public.tenancy_domain" in sql[0], sql


def test_public_site__new_sync__visible_at_once_despite_the_cache(client, acme, published_page, in_tenant):
    published_page(body="Old text")
    in_tenant(acme, services.site_sync)
    assert "Old text" in client.get("/about/", **ACME).content.decode()

    with tenant_context(acme):
        page = services.page_save(
            page=services.Page.objects.get(slug="about"), title="About us", slug="about", body="New text"
        )
        services.page_publish(page=page)
        services.site_sync()

    assert "New text" in client.get("/about/", **ACME).content.decode()


def test_public_page__same_etag__304_not_modified(client, acme, published_page, in_tenant):
    published_page()
    in_tenant(acme, services.site_sync)
    first = client.get("/about/", **ACME)

    again = client.get("/about/", HTTP_IF_NONE_MATCH=first["ETag"], **ACME)

    assert again.status_code == 304


def test_demo_seed__acme__real_site_at_the_root(client, db):
    from apps.core.demo import demo_seed

    demo_seed(password="demo-pass-2026")

    response = client.get("/", **ACME)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="site-title">Acme Corporation<' in html
    assert client.get("/contact/", **ACME).status_code == 200
    assert client.get("/faq/", **ACME).status_code == 200
