"""The tenant's public website, mounted at the root of tenant hosts (config/urls_tenant.py,
last, so `/<slug>/` never shadows /app/, /accounts/ or other routes)."""

from django.urls import path, re_path

from apps.cms import views_public as views

app_name = "website"

urlpatterns = [
    path("", views.home, name="home"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
    path("robots.txt", views.robots, name="robots"),
    path("faq/", views.faq, name="faq"),
    path("articles/", views.articles, name="articles"),
    path("articles/<slug:slug>/", views.article, name="article"),
    re_path(r"^site-assets/(?P<sha256>[0-9a-f]{64})/$", views.asset, name="asset"),
    path("<slug:slug>/", views.page, name="page"),
]
