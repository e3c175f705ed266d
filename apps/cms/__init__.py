"""Managed site and CMS (M11): each tenant's pages, FAQs and articles, and its public website.

Map (all models live in the tenant's schema):

* ``models.py``: Page + PageVersion (history; restore), Faq, Article, SiteSettings (title,
  tagline, brand colour #rrggbb, logo URL or upload kept as a SiteAsset), SiteSnapshot (what
  visitors see: the published content frozen at sync time, with its content hash).
* ``services.py`` (writes, keyword-only): page_save, page_publish, page_unpublish,
  page_restore_version, page_delete, faq_save, faq_delete, article_save, article_publish,
  article_unpublish, article_delete, site_settings_update, starter_site_create(industry,
  business_name), site_sync(reason) -> SiteSnapshot (idempotent), site_sync_queue(reason),
  features_ensure(). Markdown/HTML is rendered and sanitised on save (``rendering.py``:
  Python-Markdown + nh3).
* ``selectors.py`` (reads): site_snapshot_current() -> SiteSnapshot | None, and the cached
  site_public_current() that the public website renders from.
* ``tasks.py``: ``apps.cms.tasks.site_sync_task(reason)``; queue it inside
  ``tenant_context(tenant)``. Panic-aware like every task (GuardedTask).
* ``manage.py site_sync --tenant SLUG`` (repeatable) / ``--all`` [``--queue``] [``--reason``].
* Public website (``views_public.py``, ``urls_public.py``, templates/site/, static/css/site.css):
  ``/``, ``/<slug>/``, ``/faq/``, ``/articles/``, ``/articles/<slug>/``, ``/sitemap.xml``,
  ``/robots.txt`` at the root of every tenant domain, served only from the current snapshot.
  No snapshot: 404 with ``X-Site-Status: not-published`` (the health monitor's cue to sync).
  Suspended tenant: 423, neutral page (apps.tenancy.middleware).
* Site editor in the dashboard (``views.py``, ``urls.py``, templates/cms/) at ``/app/site/``,
  behind the entitlement ``site`` (GA; created by ``features_ensure`` after ``migrate`` of the
  public schema and by the demo seed).

Staff path (how platform staff edit a tenant's site): tenant-schema models cannot be ordinary
admin pages on the platform host (the admin runs in the public schema). Support staff (tier >= 2,
MFA-verified) open the tenant's own editor instead: ``http://<slug>.<BASE_DOMAIN>/app/site/``
(e.g. from the tenant's page in the admin, or after "view as"). apps.dashboard.access lets them
in with the role "staff", and apps.cms.access gives staff, the managing partner, owners and
admins the right to edit; members and viewers read only. Every publish, restore, settings
change and sync they make is in the audit log with their email and the tenant's slug. The CLI
``site_sync`` is the server-side path.
"""
