"""URLs of a tenant host: the dashboard under `/app/`, sign-in under `/accounts/`, and the
tenant's public website (apps.cms, served from its published snapshot) at the root: `/`,
`/<slug>/`, `/faq/`, `/articles/`, `/sitemap.xml`, `/robots.txt`. The website comes last, so its
`/<slug>/` pages never shadow another route."""

from django.urls import include, path

from apps.core.views_palette import palette

urlpatterns = [
    path("", include("apps.governance.urls_tenant")),  # "view as", banner dismissal (before app/)
    path("app/site/", include("apps.cms.urls")),  # the site editor (namespace "site")
    path("app/health/", include("apps.monitoring.urls")),  # site health (namespace "monitoring")
    path("app/settings/alerts/", include("apps.alerts.urls")),  # alert preferences (namespace "alerts")
    path("app/crm/", include("apps.crm.urls")),  # CRM lists, pipeline, detail pages (namespace "crm")
    path("app/catalog/", include("apps.catalog.urls")),  # products (namespace "catalog")
    path("app/palette/", palette, name="palette"),  # Ctrl+K command palette results
    path("app/", include("apps.dashboard.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("apps.cms.urls_public")),  # the public website (namespace "website"); keep last
]
