"""Writes of the managed site (M11). The dashboard editor, the CLI, the Celery task, onboarding
and the health monitor all call these; every function is keyword-only and runs in the current
tenant schema (a request on the tenant's host, `tenant_context`, or a tenant-aware task).

Content is rendered and sanitised on save (apps.cms.rendering). Visitors only ever see a
SiteSnapshot: `site_sync` freezes the published content into one, idempotently (same content
hash -> the current snapshot is returned, nothing new is written).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from apps.audit.services import audit_record
from apps.cms.models import (
    BRAND_COLOUR_RE,
    Article,
    BodyFormat,
    Faq,
    Page,
    PageVersion,
    PublishStatus,
    SiteAsset,
    SiteSettings,
    SiteSnapshot,
)
from apps.cms.rendering import render_body
from apps.cms.starter import COMMON_FAQS, template_for

SITE_FEATURE = "site"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Addresses the tenant host already uses, or the public site's own routes.
RESERVED_SLUGS = frozenset(
    {
        "app",
        "accounts",
        "admin",
        "api",
        "i18n",
        "static",
        "media",
        "faq",
        "articles",
        "site-assets",
        "healthz",
        "readyz",
    }
)
HOME_SLUG = "home"
KEEP_SNAPSHOTS = 20
LOGO_MAX_BYTES = 512 * 1024
LOGO_TYPES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_SYNC_LOCK_CLASS = 7311  # first key of the advisory lock that serialises site_sync per schema
_url_validator = URLValidator(schemes=["http", "https"])


# --------------------------------------------------------------------------- helpers


def _schema() -> str:
    return connection.schema_name


def _require_tenant_schema() -> None:
    if _schema() == "public":
        raise RuntimeError("The managed site lives in a tenant schema: use tenant_context(tenant) first.")


def _tenant_slug() -> str:
    return getattr(connection.tenant, "slug", "") or _schema()


def _actor_email(actor) -> str:
    return actor.email if actor is not None and getattr(actor, "is_authenticated", False) else ""


def _audit(action: str, *, actor, target, before=None, after=None, reason: str = "") -> None:
    audit_record(
        action=action,
        actor=actor,
        target=target,
        target_repr=str(target)[:255],
        tenant_slug=_tenant_slug(),
        before=before,
        after=after,
        reason=reason,
    )


def _clean_text(value, *, max_length: int, name: str, errors: dict, required: bool = False, label: str = "") -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        errors[name] = f"{label or name.title()} is required."
    elif len(text) > max_length:
        errors[name] = f"Use at most {max_length} characters."
    return text


def _clean_slug(slug: str, *, title: str, model, instance_pk, errors: dict) -> str:
    slug = (slug or "").strip().lower() or slugify(title)[:80].strip("-")
    if not slug:
        errors["slug"] = "An address is required: lowercase letters, digits and hyphens."
    elif len(slug) > 80 or not SLUG_RE.match(slug):
        errors["slug"] = "Use lowercase letters, digits and single hyphens (at most 80), e.g. our-team."
    elif slug in RESERVED_SLUGS:
        errors["slug"] = f"“{slug}” is used by the site itself; choose another address."
    elif model.objects.filter(slug=slug).exclude(pk=instance_pk).exists():
        errors["slug"] = f"Another {model._meta.verbose_name} already uses the address “{slug}”."
    return slug


def _check_format(body_format: str, errors: dict) -> str:
    if body_format not in BodyFormat.values:
        errors["body_format"] = f"Choose one of: {', '.join(BodyFormat.values)}."
    return body_format


# --------------------------------------------------------------------------- pages

_VERSION_FIELDS = ("title", "slug", "body_format", "body", "body_html", "seo_title", "seo_description")


def _page_version_add(page: Page, *, note: str, actor) -> PageVersion:
    """Record the page's working copy as a new version, unless it equals the latest one."""
    latest = page.versions.order_by("-number").first()
    if latest is not None and all(getattr(latest, f) == getattr(page, f) for f in _VERSION_FIELDS):
        return latest
    return PageVersion.objects.create(
        page=page,
        number=(latest.number + 1) if latest else 1,
        note=(note or "")[:200],
        author_id=actor.pk if _actor_email(actor) else None,
        author_email=_actor_email(actor),
        **{f: getattr(page, f) for f in _VERSION_FIELDS},
    )


def page_save(
    *,
    page: Page | None = None,
    title: str,
    slug: str = "",
    body: str = "",
    body_format: str = BodyFormat.MARKDOWN,
    seo_title: str = "",
    seo_description: str = "",
    show_in_nav: bool | None = None,
    nav_order: int | None = None,
    note: str = "",
    actor=None,
) -> Page:
    """Create (page=None) or update a page's working copy; the body is rendered and sanitised
    here, and the result is recorded as a new version when anything changed. A published page
    keeps showing its published version until `page_publish` is called again."""
    errors: dict[str, str] = {}
    title = _clean_text(title, max_length=200, name="title", errors=errors, required=True)
    slug = _clean_slug(slug, title=title, model=Page, instance_pk=page.pk if page else None, errors=errors)
    body_format = _check_format(body_format, errors)
    seo_title = _clean_text(seo_title, max_length=70, name="seo_title", errors=errors)
    seo_description = _clean_text(seo_description, max_length=160, name="seo_description", errors=errors)
    if nav_order is not None and not 0 <= int(nav_order) <= 32767:
        errors["nav_order"] = "A number from 0 to 32767."
    if errors:
        raise ValidationError(errors)
    body = body or ""
    body_html = render_body(body, body_format)
    with transaction.atomic():
        page = Page() if page is None else Page.objects.select_for_update().get(pk=page.pk)
        page.title, page.slug, page.body_format, page.body, page.body_html = title, slug, body_format, body, body_html
        page.seo_title, page.seo_description = seo_title, seo_description
        if show_in_nav is not None:
            page.show_in_nav = bool(show_in_nav)
        if nav_order is not None:
            page.nav_order = int(nav_order)
        page.save()
        _page_version_add(page, note=note, actor=actor)
    return page


def page_publish(*, page: Page, actor=None) -> Page:
    """Mark the page's latest version as the one visitors get at the next site sync."""
    with transaction.atomic():
        page = Page.objects.select_for_update().get(pk=page.pk)
        version = _page_version_add(page, note="", actor=actor)
        already = page.status == PublishStatus.PUBLISHED and page.published_version_id == version.pk
        if not already:
            page.status = PublishStatus.PUBLISHED
            page.published_version = version
            page.published_at = timezone.now()
            page.save(update_fields=["status", "published_version", "published_at", "updated_at"])
            _audit("cms.page.publish", actor=actor, target=page, after={"slug": page.slug, "version": version.number})
    return page


def page_unpublish(*, page: Page, actor=None) -> Page:
    """Take the page off the site (at the next site sync); its content and history stay."""
    with transaction.atomic():
        page = Page.objects.select_for_update().get(pk=page.pk)
        if page.status != PublishStatus.DRAFT or page.published_version_id is not None:
            page.status = PublishStatus.DRAFT
            page.published_version = None
            page.save(update_fields=["status", "published_version", "updated_at"])
            _audit("cms.page.unpublish", actor=actor, target=page, after={"slug": page.slug})
    return page


def page_restore_version(*, page: Page, version: PageVersion | int, actor=None) -> Page:
    """Bring an earlier version back as the working copy. History is never rewritten: the
    restore is recorded as a new version. Publish it to put it on the site."""
    number = version.number if isinstance(version, PageVersion) else int(version)
    old = PageVersion.objects.filter(page_id=page.pk, number=number).first()
    if old is None or (isinstance(version, PageVersion) and version.page_id != page.pk):
        raise ValidationError({"version": f"Version {number} does not belong to this page."})
    if Page.objects.filter(slug=old.slug).exclude(pk=page.pk).exists():
        raise ValidationError({"slug": f"Another page now uses the address “{old.slug}”; change it first."})
    with transaction.atomic():
        page = Page.objects.select_for_update().get(pk=page.pk)
        for f in _VERSION_FIELDS:
            setattr(page, f, getattr(old, f))
        page.body_html = render_body(old.body, old.body_format)  # re-sanitised with today's rules
        page.save()
        new = _page_version_add(page, note=f"Restored version {old.number}", actor=actor)
        _audit("cms.page.restore", actor=actor, target=page, after={"restored": old.number, "version": new.number})
    return page


def page_delete(*, page: Page, actor=None) -> None:
    with transaction.atomic():
        _audit("cms.page.delete", actor=actor, target=page, before={"slug": page.slug, "title": page.title})
        Page.objects.filter(pk=page.pk).delete()


# --------------------------------------------------------------------------- FAQs


def faq_save(
    *,
    faq: Faq | None = None,
    question: str,
    answer: str,
    category: str = "",
    position: int | None = None,
    is_published: bool = True,
    actor=None,
) -> Faq:
    """Create or update an FAQ; the answer (Markdown) is rendered and sanitised here."""
    errors: dict[str, str] = {}
    question = _clean_text(question, max_length=300, name="question", errors=errors, required=True)
    category = _clean_text(category, max_length=80, name="category", errors=errors)
    if not (answer or "").strip():
        errors["answer"] = "An answer is required."
    if position is not None and not 0 <= int(position) <= 32767:
        errors["position"] = "A number from 0 to 32767."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        faq = Faq() if faq is None else Faq.objects.select_for_update().get(pk=faq.pk)
        faq.question, faq.answer, faq.category = question, answer.strip(), category
        faq.answer_html = render_body(faq.answer, BodyFormat.MARKDOWN)
        faq.is_published = bool(is_published)
        if position is not None:
            faq.position = int(position)
        faq.save()
    return faq


def faq_delete(*, faq: Faq, actor=None) -> None:
    with transaction.atomic():
        _audit("cms.faq.delete", actor=actor, target=faq, before={"question": faq.question})
        Faq.objects.filter(pk=faq.pk).delete()


# --------------------------------------------------------------------------- articles


def article_save(
    *,
    article: Article | None = None,
    title: str,
    slug: str = "",
    summary: str = "",
    body: str = "",
    body_format: str = BodyFormat.MARKDOWN,
    seo_title: str = "",
    seo_description: str = "",
    status: str | None = None,
    actor=None,
) -> Article:
    """Create or update an article (body rendered and sanitised here). `status` "published"
    puts it on the site at the next sync; None keeps the current status."""
    errors: dict[str, str] = {}
    title = _clean_text(title, max_length=200, name="title", errors=errors, required=True)
    slug = _clean_slug(slug, title=title, model=Article, instance_pk=article.pk if article else None, errors=errors)
    summary = _clean_text(summary, max_length=300, name="summary", errors=errors)
    body_format = _check_format(body_format, errors)
    seo_title = _clean_text(seo_title, max_length=70, name="seo_title", errors=errors)
    seo_description = _clean_text(seo_description, max_length=160, name="seo_description", errors=errors)
    if status is not None and status not in PublishStatus.values:
        errors["status"] = f"Choose one of: {', '.join(PublishStatus.values)}."
    if errors:
        raise ValidationError(errors)
    body = body or ""
    with transaction.atomic():
        article = Article() if article is None else Article.objects.select_for_update().get(pk=article.pk)
        article.title, article.slug, article.summary = title, slug, summary
        article.body_format, article.body, article.body_html = body_format, body, render_body(body, body_format)
        article.seo_title, article.seo_description = seo_title, seo_description
        if not article.author_email:
            article.author_email = _actor_email(actor)
        if status is not None:
            article.status = status
            if status == PublishStatus.PUBLISHED and article.published_at is None:
                article.published_at = timezone.now()
        article.save()
    return article


def article_publish(*, article: Article, actor=None) -> Article:
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        if article.status != PublishStatus.PUBLISHED:
            article.status = PublishStatus.PUBLISHED
            article.published_at = article.published_at or timezone.now()
            article.save(update_fields=["status", "published_at", "updated_at"])
            _audit("cms.article.publish", actor=actor, target=article, after={"slug": article.slug})
    return article


def article_unpublish(*, article: Article, actor=None) -> Article:
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        if article.status != PublishStatus.DRAFT:
            article.status = PublishStatus.DRAFT
            article.save(update_fields=["status", "updated_at"])
            _audit("cms.article.unpublish", actor=actor, target=article, after={"slug": article.slug})
    return article


def article_delete(*, article: Article, actor=None) -> None:
    with transaction.atomic():
        _audit("cms.article.delete", actor=actor, target=article, before={"slug": article.slug})
        Article.objects.filter(pk=article.pk).delete()


# --------------------------------------------------------------------------- site settings


def site_settings_ensure() -> SiteSettings:
    """The tenant's settings row (made on first use, titled after the business)."""
    _require_tenant_schema()
    settings_row, _ = SiteSettings.objects.get_or_create(
        pk=1, defaults={"site_title": (getattr(connection.tenant, "name", "") or "")[:120]}
    )
    return settings_row


def _logo_asset(data: bytes) -> SiteAsset:
    if not data:
        raise ValidationError({"logo_file": "The file is empty."})
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationError({"logo_file": f"The logo may be at most {LOGO_MAX_BYTES // 1024} KB."})
    content_type = next((ct for magic, ct in LOGO_TYPES if data.startswith(magic)), None)
    if content_type is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        content_type = "image/webp"
    if content_type is None:  # SVG is refused on purpose: it can carry scripts
        raise ValidationError({"logo_file": "Upload a PNG, JPEG, GIF or WebP image."})
    digest = hashlib.sha256(data).hexdigest()
    asset, _ = SiteAsset.objects.get_or_create(
        sha256=digest, defaults={"content_type": content_type, "data": data, "size": len(data)}
    )
    return asset


def site_settings_update(
    *,
    site_title: str | None = None,
    tagline: str | None = None,
    brand_colour: str | None = None,
    logo_url: str | None = None,
    logo_file=None,
    remove_logo: bool = False,
    industry: str | None = None,
    actor=None,
) -> SiteSettings:
    """Change the site's identity. `brand_colour` must be #rrggbb; `logo_file` (an uploaded
    file or bytes: PNG, JPEG, GIF or WebP up to 512 KB) wins over `logo_url` (http/https)."""
    errors: dict[str, str] = {}
    changes: dict[str, object] = {}
    if site_title is not None:
        changes["site_title"] = _clean_text(site_title, max_length=120, name="site_title", errors=errors)
    if tagline is not None:
        changes["tagline"] = _clean_text(tagline, max_length=200, name="tagline", errors=errors)
    if industry is not None:
        changes["industry"] = _clean_text(industry, max_length=80, name="industry", errors=errors)
    if brand_colour is not None:
        colour = brand_colour.strip().lower()
        if not re.match(BRAND_COLOUR_RE, colour):
            errors["brand_colour"] = "A colour as #rrggbb, e.g. #2563eb."
        changes["brand_colour"] = colour
    if logo_url is not None:
        url = logo_url.strip()
        if url:
            try:
                _url_validator(url)
            except ValidationError:
                errors["logo_url"] = "An http or https address of an image."
            if len(url) > 500:
                errors["logo_url"] = "Use at most 500 characters."
        changes["logo_url"] = url
    data = None
    if logo_file is not None:
        data = logo_file if isinstance(logo_file, bytes) else logo_file.read(LOGO_MAX_BYTES + 1)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = site_settings_ensure()
        row = SiteSettings.objects.select_for_update().get(pk=row.pk)
        before = {"site_title": row.site_title, "tagline": row.tagline, "brand_colour": row.brand_colour,
                  "logo": row.logo_src, "industry": row.industry}  # fmt: skip
        for name, value in changes.items():
            setattr(row, name, value)
        if remove_logo:
            row.logo_url, row.logo_asset = "", None
        if data is not None:
            row.logo_asset = _logo_asset(data)
        elif logo_url:
            row.logo_asset = None  # a new address replaces an uploaded logo
        row.save()
        after = {"site_title": row.site_title, "tagline": row.tagline, "brand_colour": row.brand_colour,
                 "logo": row.logo_src, "industry": row.industry}  # fmt: skip
        changed = [k for k in before if before[k] != after[k]]
        if changed:
            _audit(
                "cms.settings.update",
                actor=actor,
                target=row,
                before={k: before[k] for k in changed},
                after={k: after[k] for k in changed},
            )
    return row


# --------------------------------------------------------------------------- starter site


@dataclass
class StarterSite:
    template: str
    created: bool
    pages: list[str] = field(default_factory=list)
    faqs: int = 0


def starter_site_create(*, industry: str, business_name: str, actor=None) -> StarterSite:
    """Generate a starter site from the industry's template (dental, restaurant, retail,
    consulting, generic): home, about, services and contact pages (published) and a few FAQs,
    with the template's tagline and brand colour. Idempotent: once a tenant has a starter site,
    later calls change nothing (pages its owner deleted are not brought back)."""
    _require_tenant_schema()
    name = " ".join((business_name or "").split()) or getattr(connection.tenant, "name", "") or "Our business"
    template = template_for(industry)
    with transaction.atomic():
        site_settings_ensure()
        row = SiteSettings.objects.select_for_update().get(pk=1)
        if row.starter_created_at is not None:
            return StarterSite(template=row.starter_template, created=False)
        result = StarterSite(template=template.key, created=True)
        for starter in template.pages():
            if Page.objects.filter(slug=starter.slug).exists():
                continue
            page = page_save(
                title=starter.title.replace("{name}", name)[:200],
                slug=starter.slug,
                body=starter.body.replace("{name}", name),
                seo_description=starter.seo_description.replace("{name}", name)[:160],
                nav_order=starter.nav_order,
                note="Starter site",
                actor=actor,
            )
            page_publish(page=page, actor=actor)
            result.pages.append(page.slug)
        for position, faq in enumerate((*template.faqs, *COMMON_FAQS)):
            if not Faq.objects.filter(question=faq.question).exists():
                faq_save(
                    question=faq.question,
                    answer=faq.answer.replace("{name}", name),
                    category=faq.category,
                    position=position * 10,
                    actor=actor,
                )
                result.faqs += 1
        if not row.site_title or row.site_title == (getattr(connection.tenant, "name", "") or "")[:120]:
            row.site_title = name[:120]  # the default (the tenant's name) gives way to the business name
        row.tagline = row.tagline or template.tagline
        if row.brand_colour == SiteSettings._meta.get_field("brand_colour").default:
            row.brand_colour = template.brand_colour
        row.industry = row.industry or (industry or "").strip()[:80]
        row.starter_template = template.key
        row.starter_created_at = timezone.now()
        row.save()
        _audit(
            "cms.starter_site.create",
            actor=actor,
            target=row,
            after={"template": template.key, "pages": result.pages, "faqs": result.faqs},
        )
    return result


# --------------------------------------------------------------------------- site sync


def content_hash(payload: dict) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def site_sync(*, reason: str = "", actor=None) -> SiteSnapshot:
    """Turn the current published content into the snapshot visitors see. Idempotent: when the
    content hash equals the current snapshot's, that snapshot is returned and nothing is
    written. Concurrent syncs of one tenant are serialised by an advisory lock."""
    from apps.cms import selectors

    _require_tenant_schema()
    schema = _schema()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_SYNC_LOCK_CLASS, schema])
        payload = selectors.site_content_payload()
        digest = content_hash(payload)
        current = SiteSnapshot.objects.filter(is_current=True).first()
        if current is not None and current.content_hash == digest:
            return current
        SiteSnapshot.objects.filter(is_current=True).update(is_current=False)
        snap = SiteSnapshot.objects.create(
            content_hash=digest,
            payload=payload,
            is_current=True,
            reason=(reason or "")[:200],
            page_count=len(payload["pages"]),
            faq_count=len(payload["faqs"]),
            article_count=len(payload["articles"]),
        )
        stale = list(SiteSnapshot.objects.order_by("-created_at", "-id").values_list("pk", flat=True)[KEEP_SNAPSHOTS:])
        if stale:
            SiteSnapshot.objects.filter(pk__in=stale, is_current=False).delete()
        _audit(
            "cms.site.sync",
            actor=actor,
            target=snap,
            before={"hash": current.content_hash if current else None},
            after={"hash": digest, "pages": snap.page_count, "faqs": snap.faq_count, "articles": snap.article_count},
            reason=reason,
        )
        # Readers fall back to the database until the commit, then see the new snapshot at once.
        selectors.site_cache_forget(schema=schema)
        transaction.on_commit(lambda: selectors.site_cache_point(schema=schema, content_hash=digest))
    return snap


def site_sync_queue(*, reason: str = "") -> None:
    """Queue `site_sync_task` for the current tenant once the surrounding transaction commits."""
    from django_tenants.utils import tenant_context

    from apps.cms.tasks import site_sync_task

    _require_tenant_schema()
    tenant = connection.tenant

    def send():
        with tenant_context(tenant):
            site_sync_task.delay(reason)

    transaction.on_commit(send)


# --------------------------------------------------------------------------- the "site" feature


def features_ensure() -> None:
    """The entitlement `site` (the dashboard's Site module) exists, at GA. Idempotent; called
    after `migrate` of the public schema (apps.cms.apps) and by the demo seed. Like the
    `quanttrade` feature's data migration, a system default: not an audited staff action."""
    from django_tenants.utils import get_public_schema_name, schema_context

    from apps.entitlements import snapshot
    from apps.entitlements.models import Feature

    with schema_context(get_public_schema_name()):
        _feature, created = Feature.objects.get_or_create(
            key=SITE_FEATURE,
            defaults={
                "name": "Managed site",
                "description": "The tenant's website editor: pages, FAQs, articles, settings and site sync.",
                "stage": Feature.Stage.GA,
            },
        )
        if created:
            snapshot.changed()
