from django.urls import path

from apps.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/profile/", views.update_profile, name="set-profile"),
    path("settings/theme/", views.set_theme, name="set-theme"),
    path("settings/language/", views.set_language, name="set-language"),
]
