"""Tenant-schema models of the managed site (M11): the content tenants edit (pages with their
version history, FAQs, articles, site settings) and the published snapshot visitors see.

Visitors never read the content tables: the public site is rendered from the current
SiteSnapshot only, which `apps.cms.services.site_sync` builds from the published content.
Writes go through apps.cms.services (which renders and sanitises Markdown/HTML on save).
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

BRAND_COLOUR_RE = r"^#[0-9a-f]{6}$"
DEFAULT_BRAND_COLOUR = "#2563eb"
brand_colour_validator = RegexValidator(BRAND_COLOUR_RE, "A colour as #rrggbb, e.g. #2563eb.")


class BodyFormat(models.TextChoices):
    MARKDOWN = "markdown", "Markdown"
    HTML = "html", "Rich text (HTML)"


class PublishStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Page(models.Model):
    """A page of the site. The fields here are the working copy (what editors see); what
    visitors get after the next sync is `published_version`, frozen when the page was published,
    so a draft edit of a published page stays a draft until it is published again."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=80, unique=True, help_text="The page's address: /<slug>/. “home” is the home page."
    )
    body_format = models.CharField(max_length=10, choices=BodyFormat.choices, default=BodyFormat.MARKDOWN)
    body = models.TextField(blank=True, help_text="As written by the editor (Markdown or HTML).")
    body_html = models.TextField(blank=True, help_text="Rendered and sanitised on save.")
    seo_title = models.CharField(max_length=70, blank=True)
    seo_description = models.CharField(max_length=160, blank=True)
    status = models.CharField(max_length=10, choices=PublishStatus.choices, default=PublishStatus.DRAFT, db_index=True)
    show_in_nav = models.BooleanField(default=True)
    nav_order = models.PositiveSmallIntegerField(default=100)
    published_version = models.ForeignKey(
        "cms.PageVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["nav_order", "title", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == PublishStatus.PUBLISHED and self.published_version_id is not None


class PageVersion(models.Model):
    """One saved state of a page (append-only history); restoring one makes a new version."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    body_format = models.CharField(max_length=10, choices=BodyFormat.choices, default=BodyFormat.MARKDOWN)
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    seo_title = models.CharField(max_length=70, blank=True)
    seo_description = models.CharField(max_length=160, blank=True)
    note = models.CharField(max_length=200, blank=True)
    author_id = models.BigIntegerField(null=True, blank=True)  # a public-schema user id
    author_email = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["page_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["page", "number"], name="cms_pageversion_unique_number")]

    def __str__(self) -> str:
        return f"{self.page_id} v{self.number}"


class Faq(models.Model):
    question = models.CharField(max_length=300)
    answer = models.TextField(help_text="Markdown.")
    answer_html = models.TextField(blank=True, help_text="Rendered and sanitised on save.")
    category = models.CharField(max_length=80, blank=True)
    position = models.PositiveSmallIntegerField(default=100)
    is_published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "position", "id"]
        verbose_name = "FAQ"

    def __str__(self) -> str:
        return self.question


class Article(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    summary = models.CharField(max_length=300, blank=True)
    body_format = models.CharField(max_length=10, choices=BodyFormat.choices, default=BodyFormat.MARKDOWN)
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True, help_text="Rendered and sanitised on save.")
    seo_title = models.CharField(max_length=70, blank=True)
    seo_description = models.CharField(max_length=160, blank=True)
    status = models.CharField(max_length=10, choices=PublishStatus.choices, default=PublishStatus.DRAFT, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    author_email = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class SiteAsset(models.Model):
    """An uploaded file (the logo), content-addressed and immutable, kept in the tenant's schema
    so a site needs no shared media storage. Served at /site-assets/<sha256>/."""

    sha256 = models.CharField(max_length=64, unique=True)
    content_type = models.CharField(max_length=40)
    data = models.BinaryField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.sha256[:12]


class SiteSettings(models.Model):
    """The site's identity: one row per tenant (id 1)."""

    site_title = models.CharField(max_length=120, blank=True)
    tagline = models.CharField(max_length=200, blank=True)
    brand_colour = models.CharField(max_length=7, default=DEFAULT_BRAND_COLOUR, validators=[brand_colour_validator])
    logo_url = models.URLField(max_length=500, blank=True, help_text="An https address of the logo, or upload one.")
    logo_asset = models.ForeignKey(SiteAsset, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    industry = models.CharField(max_length=80, blank=True)
    starter_template = models.CharField(max_length=40, blank=True, help_text="The industry template it started from.")
    starter_created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "site settings"
        verbose_name_plural = "site settings"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="cms_sitesettings_singleton")]

    def __str__(self) -> str:
        return self.site_title or "Site settings"

    @property
    def logo_src(self) -> str:
        if self.logo_asset_id:
            return f"/site-assets/{self.logo_asset.sha256}/"
        return self.logo_url


class SiteSnapshot(models.Model):
    """What visitors see: every published page, FAQ and article (sanitised HTML) and the site's
    identity, frozen at sync time. Exactly one is current; the same content hash is never
    snapshotted twice in a row (site_sync is idempotent)."""

    content_hash = models.CharField(max_length=64, db_index=True)
    payload = models.JSONField()
    is_current = models.BooleanField(default=False)
    reason = models.CharField(max_length=200, blank=True)
    page_count = models.PositiveIntegerField(default=0)
    faq_count = models.PositiveIntegerField(default=0)
    article_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="cms_one_current_snapshot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.content_hash[:12]}{' (current)' if self.is_current else ''}"
