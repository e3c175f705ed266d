"""Governance URLs. Banner dismissal and “stop viewing as” live under /accounts/ on purpose:
they are the signed-in user's own session business (like sign-out), so they keep working on an
archived or panicked tenant and before a second factor is asked for."""

from django.urls import path

from apps.governance import views
from apps.governance.impersonation import ImpersonationStopView

app_name = "governance"

# Both hosts.
shared = [
    path("accounts/banners/<int:pk>/dismiss/", views.dismiss_banner, name="banner-dismiss"),
    path("accounts/view-as/stop/", ImpersonationStopView.as_view(), name="view-as-stop"),
]

# Tenant hosts only: impersonation starts on the tenant's own host (ADR 0004).
tenant = [
    *shared,
    path("app/support/view-as/<int:user_id>/", views.view_as, name="view-as"),
]

urlpatterns = shared
