from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from apps.accounts.api.views import MeView
from apps.tenancy.api import views as tenancy_views

v1 = [
    path("me/", MeView.as_view(), name="me"),
    path("tenants/", tenancy_views.TenantListCreateView.as_view(), name="tenant-list"),
    path("tenants/<slug:slug>/", tenancy_views.TenantDetailView.as_view(), name="tenant-detail"),
    path("tenants/<slug:slug>/members/", tenancy_views.TenantMembersView.as_view(), name="tenant-members"),
]

urlpatterns = [
    path("v1/", include((v1, "api"), namespace="v1")),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[AllowAny], authentication_classes=[]), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema", permission_classes=[AllowAny], authentication_classes=[]), name="api-redoc"),
]
