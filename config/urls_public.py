"""URLs of the platform host (public schema): admin, partner API, sign-in."""

from django.contrib import admin
from django.urls import include, path

from apps.core import views as core_views

urlpatterns = [
    path("", core_views.platform_home, name="platform-home"),
    path("admin/", admin.site.urls),
    path("api/", include("apps.api.urls")),
    path("", include("apps.governance.urls")),  # banner dismissal, stop "view as"
    path("accounts/", include("apps.accounts.urls")),
    path("signup/", include("apps.onboarding.urls")),  # public sign-up (onboarding funnel)
    path("i18n/", include("django.conf.urls.i18n")),
]
