"""The tenant's public website, at the root of its domain(s). Served only from the current
published snapshot (apps.cms.selectors.site_public_current), never from the content tables, so
visitors never see drafts. No login, no session, no SQL in the steady state.

Without a snapshot every page answers 404 with a "not published yet" page: the health monitor
(M23) treats that 404 as the signal to run site_sync."""

from __future__ import annotations

from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from apps.cms import selectors
from apps.cms.services import HOME_SLUG

PAGE_MAX_AGE = 60  # seconds browsers and proxies may keep a page; a sync shows within a minute


def _etag(site, request) -> str:
    return f'"{site.content_hash[:24]}-{get_language() or "en"}"'


def _site_page(request, template: str, context: dict, *, site, status: int = 200) -> HttpResponse:
    etag = _etag(site, request)
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified(headers={"ETag": etag})
    response = render(request, template, {"site": site, "brand": site.colours, **context}, status=status)
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={PAGE_MAX_AGE}"
    return response


def _not_published(request) -> HttpResponse:
    response = render(request, "site/not_published.html", {"tenant": request.tenant}, status=404)
    response["Cache-Control"] = "no-store"
    response["X-Site-Status"] = "not-published"
    return response


def _current(request):
    site = selectors.site_public_current()
    if site is None:
        return None, _not_published(request)
    return site, None


def _not_found(request, site) -> HttpResponse:
    response = render(request, "site/not_found.html", {"site": site, "brand": site.colours}, status=404)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def home(request):
    site, refusal = _current(request)
    if refusal:
        return refusal
    return _site_page(request, "site/home.html", {"page": site.home, "active": "home"}, site=site)


@require_safe
def page(request, slug: str):
    if slug == HOME_SLUG:
        return redirect("/", permanent=True)
    site, refusal = _current(request)
    if refusal:
        return refusal
    found = site.pages.get(slug)
    if found is None:
        return _not_found(request, site)
    return _site_page(request, "site/page.html", {"page": found, "active": slug}, site=site)


@require_safe
def faq(request):
    site, refusal = _current(request)
    if refusal:
        return refusal
    if not site.faqs:
        return _not_found(request, site)
    return _site_page(request, "site/faq.html", {"active": "faq"}, site=site)


@require_safe
def articles(request):
    site, refusal = _current(request)
    if refusal:
        return refusal
    if not site.articles:
        return _not_found(request, site)
    return _site_page(request, "site/articles.html", {"active": "articles"}, site=site)


@require_safe
def article(request, slug: str):
    site, refusal = _current(request)
    if refusal:
        return refusal
    found = site.articles_by_slug.get(slug)
    if found is None:
        return _not_found(request, site)
    return _site_page(request, "site/article.html", {"article": found, "active": "articles"}, site=site)


@require_safe
def sitemap(request):
    site, refusal = _current(request)
    if refusal:
        return refusal
    base = f"{request.scheme}://{request.get_host()}"
    entries = [(f"{base}/", (site.home or {}).get("updated", ""))]
    entries += [(f"{base}/{p['slug']}/", p["updated"]) for p in site.pages.values() if p["slug"] != HOME_SLUG]
    if site.faqs:
        entries.append((f"{base}/faq/", ""))
    if site.articles:
        entries.append((f"{base}/articles/", site.articles[0].get("published", "")))
        entries += [(f"{base}/articles/{a['slug']}/", a.get("published", "")) for a in site.articles]
    response = render(request, "site/sitemap.xml", {"entries": entries}, content_type="application/xml")
    response["Cache-Control"] = f"public, max-age={PAGE_MAX_AGE}"
    return response


@require_safe
def robots(request):
    site = selectors.site_public_current()
    sitemap_url = f"{request.scheme}://{request.get_host()}/sitemap.xml" if site is not None else ""
    return render(request, "site/robots.txt", {"sitemap_url": sitemap_url}, content_type="text/plain; charset=utf-8")


@require_safe
def asset(request, sha256: str):
    """An uploaded file of the site (its logo), only if the published snapshot uses it."""
    site = selectors.site_public_current()
    if site is None or site.logo_asset != sha256:
        raise Http404("No such file.")
    found = selectors.site_asset_get(sha256=sha256)
    if found is None:
        raise Http404("No such file.")
    content_type, data = found
    response = HttpResponse(bytes(data), content_type=content_type)
    response["Cache-Control"] = "public, max-age=31536000, immutable"  # content-addressed
    response["X-Content-Type-Options"] = "nosniff"
    return response
