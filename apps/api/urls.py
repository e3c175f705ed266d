from django.conf import settings
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from apps.accounts.api import views as accounts_views
from apps.api.exceptions import not_found
from apps.entitlements.api import views as entitlements_views
from apps.governance.api import views as governance_views
from apps.tenancy.api import views as tenancy_views

v1 = [
    path("me/", accounts_views.MeView.as_view(), name="me"),
    path("api-keys/", accounts_views.ApiKeyListCreateView.as_view(), name="api-key-list"),
    path("api-keys/<slug:prefix>/", accounts_views.ApiKeyRevokeView.as_view(), name="api-key-detail"),
    path("tenants/", tenancy_views.TenantListCreateView.as_view(), name="tenant-list"),
    path("tenants/<slug:slug>/", tenancy_views.TenantDetailView.as_view(), name="tenant-detail"),
    path("tenants/<slug:slug>/members/", tenancy_views.TenantMembersView.as_view(), name="tenant-members"),
    path("tenants/<slug:slug>/panic/", governance_views.TenantPanicView.as_view(), name="tenant-panic"),
    path(
        "tenants/<slug:slug>/entitlements/",
        entitlements_views.TenantEntitlementsView.as_view(),
        name="tenant-entitlements",
    ),
    # CRM (M9) and catalogue (M10): contacts/, companies/, deals/, tasks/, products/ …
    path("tenants/<slug:slug>/", include("apps.crm.api.urls")),
    path("tenants/<slug:slug>/", include("apps.catalog.api.urls")),
    path("features/", entitlements_views.FeatureListCreateView.as_view(), name="feature-list"),
    path("features/<str:key>/", entitlements_views.FeatureDetailView.as_view(), name="feature-detail"),
    path("features/<str:key>/promote/", entitlements_views.FeaturePromoteView.as_view(), name="feature-promote"),
    path("features/<str:key>/kill/", entitlements_views.FeatureKillView.as_view(), name="feature-kill"),
    path("features/<str:key>/unkill/", entitlements_views.FeatureUnkillView.as_view(), name="feature-unkill"),
    path("features/<str:key>/grants/", entitlements_views.GrantListCreateView.as_view(), name="feature-grants"),
    path(
        "features/<str:key>/grants/<int:grant_id>/",
        entitlements_views.GrantDetailView.as_view(),
        name="feature-grant-detail",
    ),
    path("features/<str:key>/overrides/", entitlements_views.OverrideListSetView.as_view(), name="feature-overrides"),
]

# The schema and the docs are public (they describe the API, they hold no data); the docs'
# JavaScript and CSS come from drf-spectacular-sidecar's static files, so they work offline.
public = {"permission_classes": [AllowAny], "authentication_classes": []}

urlpatterns = [
    path("v1/", include((v1, "api"), namespace="v1")),
    # The schema is built from the platform host's URLs (ROOT_URLCONF is the tenant hosts' one).
    path("schema/", SpectacularAPIView.as_view(urlconf=settings.PUBLIC_SCHEMA_URLCONF, **public), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema", **public), name="api-docs"),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html", **public),
        name="api-redoc",
    ),
    # Paths ending in "/" that match nothing get a JSON 404; others keep APPEND_SLASH's redirect.
    re_path(r"^.*/$", not_found),
]
