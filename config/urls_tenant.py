"""URLs of a tenant host. `/` is reserved for the tenant's public website (a later module);
until it exists it sends visitors to the dashboard under `/app/`."""

from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/app/", permanent=False)),
    path("", include("apps.governance.urls_tenant")),  # "view as", banner dismissal (before app/)
    path("app/", include("apps.dashboard.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
