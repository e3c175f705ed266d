"""Reads of the managed site, in the current tenant schema.

The public site reads only `site_public_current()`: the current snapshot, cached per content
hash. Its cost per request is one cache GET (a pointer: schema -> content hash) plus a lookup in
this process's memory; the database is read only when the snapshot changed or the process has
not seen it yet. `site_sync` repoints the cache when its transaction commits, so every process
serves the new snapshot at once.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet

from apps.cms.models import (
    BRAND_COLOUR_RE,
    DEFAULT_BRAND_COLOUR,
    Article,
    Faq,
    Page,
    PageVersion,
    PublishStatus,
    SiteSettings,
    SiteSnapshot,
)
from apps.cms.rendering import sanitize_html

log = logging.getLogger(__name__)

POINTER_TTL = 300  # seconds; a repointing lost in a cache outage heals by itself after this
NO_SITE_TTL = 5  # "no snapshot" is remembered briefly only, so a first sync shows at once
_NO_SITE = "-"
_MEMORY_MAX = 512
_memory: OrderedDict[tuple[str, str], PublicSite] = OrderedDict()
_memory_lock = threading.Lock()


# --------------------------------------------------------------------------- editor reads


def site_snapshot_current() -> SiteSnapshot | None:
    """The snapshot visitors see now, or None if the site was never synced."""
    return SiteSnapshot.objects.filter(is_current=True).first()


def site_settings_current() -> SiteSettings:
    """The tenant's settings, or unsaved defaults when none were saved yet (no write here)."""
    row = SiteSettings.objects.select_related("logo_asset").filter(pk=1).first()
    return row or SiteSettings(pk=1, site_title=(getattr(connection.tenant, "name", "") or "")[:120])


def pages_list() -> QuerySet[Page]:
    return Page.objects.select_related("published_version").order_by("nav_order", "title", "id")


def page_get(*, pk: int) -> Page | None:
    return Page.objects.select_related("published_version").filter(pk=pk).first()


def page_versions(*, page: Page) -> QuerySet[PageVersion]:
    return page.versions.order_by("-number")


def page_has_unpublished_changes(page: Page) -> bool:
    version = page.published_version
    if version is None:
        return False
    return any(
        getattr(version, f) != getattr(page, f) for f in ("title", "slug", "body_html", "seo_title", "seo_description")
    )


def faqs_list() -> QuerySet[Faq]:
    return Faq.objects.order_by("category", "position", "id")


def faq_get(*, pk: int) -> Faq | None:
    return Faq.objects.filter(pk=pk).first()


def articles_list() -> QuerySet[Article]:
    return Article.objects.order_by("-published_at", "-created_at", "-id")


def article_get(*, pk: int) -> Article | None:
    return Article.objects.filter(pk=pk).first()


# --------------------------------------------------------------------------- the snapshot's content


def site_content_payload() -> dict:
    """Everything visitors would see if the site were synced now: the site's identity, the
    published version of every published page, the published FAQs and articles. Bodies are
    sanitised again here (they were on save) so a snapshot never holds unsafe HTML."""
    row = site_settings_current()
    pages, seen = [], set()
    published = (
        Page.objects.filter(status=PublishStatus.PUBLISHED, published_version__isnull=False)
        .select_related("published_version")
        .order_by("nav_order", "title", "id")
    )
    for page in published:
        version = page.published_version
        if version.slug in seen:  # a renamed draft may have freed the address for another page
            continue
        seen.add(version.slug)
        pages.append(
            {
                "slug": version.slug,
                "title": version.title,
                "html": sanitize_html(version.body_html),
                "seo_title": version.seo_title,
                "seo_description": version.seo_description,
                "show_in_nav": page.show_in_nav,
                "updated": version.created_at.date().isoformat(),
            }
        )
    faqs = [
        {"question": f.question, "html": sanitize_html(f.answer_html), "category": f.category}
        for f in Faq.objects.filter(is_published=True).order_by("category", "position", "id")
    ]
    articles = [
        {
            "slug": a.slug,
            "title": a.title,
            "summary": a.summary,
            "html": sanitize_html(a.body_html),
            "seo_title": a.seo_title,
            "seo_description": a.seo_description,
            "published": a.published_at.date().isoformat() if a.published_at else "",
        }
        for a in Article.objects.filter(status=PublishStatus.PUBLISHED).order_by("-published_at", "-id")
    ]
    return {
        "site": {
            "title": row.site_title or (getattr(connection.tenant, "name", "") or ""),
            "tagline": row.tagline,
            "brand_colour": row.brand_colour or DEFAULT_BRAND_COLOUR,
            "logo": row.logo_src,
            "logo_asset": row.logo_asset.sha256 if row.logo_asset_id else "",
            "industry": row.industry,
        },
        "pages": pages,
        "faqs": faqs,
        "articles": articles,
    }


def site_has_unsynced_changes() -> bool:
    """True when the published content differs from what visitors see."""
    from apps.cms.services import content_hash

    current = SiteSnapshot.objects.filter(is_current=True).values_list("content_hash", flat=True).first()
    return current != content_hash(site_content_payload())


# --------------------------------------------------------------------------- the public site


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _mix(hex_colour: str, target: str, share: float) -> str:
    a = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(target[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b, strict=True))


def _readable_on(colour: str, background: str, toward: str) -> str:
    """`colour`, moved toward black or white in small steps until it reads on `background`
    (WCAG AA, 4.5:1): a pale brand colour still gives legible links."""
    for step in range(11):
        candidate = _mix(colour, toward, step / 10)
        if _contrast(candidate, background) >= 4.5:
            return candidate
    return toward


@dataclass(frozen=True)
class BrandColours:
    brand: str
    on_brand: str  # text on a brand-coloured background
    ink_light: str  # brand-coloured text on the light background
    ink_dark: str  # brand-coloured text on the dark background

    @classmethod
    def of(cls, colour: str) -> BrandColours:
        on_brand = "#ffffff" if _contrast("#ffffff", colour) >= _contrast("#0f172a", colour) else "#0f172a"
        return cls(
            brand=colour,
            on_brand=on_brand,
            ink_light=_readable_on(colour, "#ffffff", "#000000"),
            ink_dark=_readable_on(colour, "#0f172a", "#ffffff"),
        )


@dataclass(frozen=True)
class PublicSite:
    """A snapshot, ready to render (immutable, shared by the requests of a process)."""

    content_hash: str
    title: str
    tagline: str
    logo: str
    logo_asset: str
    colours: BrandColours
    pages: dict[str, dict]
    nav: list[dict]
    faqs: list[dict]
    faq_groups: list[tuple[str, list[dict]]]
    articles: list[dict]
    articles_by_slug: dict[str, dict] = field(default_factory=dict)

    @property
    def home(self) -> dict | None:
        return self.pages.get("home")

    @classmethod
    def from_payload(cls, content_hash: str, payload: dict) -> PublicSite:
        site = payload.get("site", {})
        colour = str(site.get("brand_colour") or "")
        pages = {p["slug"]: p for p in payload.get("pages", [])}
        groups: dict[str, list[dict]] = {}
        for faq in payload.get("faqs", []):
            groups.setdefault(faq.get("category") or "", []).append(faq)
        articles = list(payload.get("articles", []))
        return cls(
            content_hash=content_hash,
            title=site.get("title", ""),
            tagline=site.get("tagline", ""),
            logo=site.get("logo", ""),
            logo_asset=site.get("logo_asset", ""),
            colours=BrandColours.of(colour if re.match(BRAND_COLOUR_RE, colour) else DEFAULT_BRAND_COLOUR),
            pages=pages,
            nav=[p for p in payload.get("pages", []) if p["slug"] != "home" and p.get("show_in_nav", True)],
            faqs=list(payload.get("faqs", [])),
            faq_groups=list(groups.items()),
            articles=articles,
            articles_by_slug={a["slug"]: a for a in articles},
        )


def _pointer_key(schema: str) -> str:
    return f"cms:site:{schema}"


def site_cache_forget(*, schema: str) -> None:
    try:
        cache.delete(_pointer_key(schema))
    except Exception:  # the cache is an accelerator: never fail a write because of it
        log.warning("cms: cannot clear the site pointer of %s", schema, exc_info=True)


def site_cache_point(*, schema: str, content_hash: str) -> None:
    try:
        cache.set(_pointer_key(schema), content_hash, POINTER_TTL)
    except Exception:
        log.warning("cms: cannot set the site pointer of %s", schema, exc_info=True)


def _remember(schema: str, site: PublicSite) -> None:
    with _memory_lock:
        _memory[(schema, site.content_hash)] = site
        _memory.move_to_end((schema, site.content_hash))
        while len(_memory) > _MEMORY_MAX:
            _memory.popitem(last=False)


def site_public_current() -> PublicSite | None:
    """The current snapshot of this tenant, ready to render; None when it has none."""
    schema = connection.schema_name
    key = _pointer_key(schema)
    try:
        pointer = cache.get(key)
    except Exception:
        log.warning("cms: cannot read the site pointer of %s", schema, exc_info=True)
        pointer = None
    if pointer == _NO_SITE:
        return None
    if pointer:
        site = _memory.get((schema, pointer))
        if site is not None:
            return site
    row = SiteSnapshot.objects.filter(is_current=True).values_list("content_hash", "payload").first()
    # `add`, never `set`: a sync that commits meanwhile repoints the key, and what this request
    # read before that commit must not overwrite it. A stale pointer heals after its TTL.
    if row is None:
        _cache_add(key, _NO_SITE, NO_SITE_TTL)
        return None
    digest, payload = row
    site = _memory.get((schema, digest)) or PublicSite.from_payload(digest, payload)
    _remember(schema, site)
    if pointer is None:
        _cache_add(key, digest, POINTER_TTL)
    return site


def _cache_add(key: str, value: str, timeout: int) -> None:
    try:
        cache.add(key, value, timeout)
    except Exception:
        log.warning("cms: cannot set %s", key, exc_info=True)


def site_asset_get(*, sha256: str):
    from apps.cms.models import SiteAsset

    return SiteAsset.objects.filter(sha256=sha256).values_list("content_type", "data").first()
