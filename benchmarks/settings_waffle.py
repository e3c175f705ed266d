"""Benchmark-only settings: the dev settings plus django-waffle (a dev-only dependency), for
the entitlements benchmark's peer measurement. Never used by the application.

    DJANGO_SETTINGS_MODULE=benchmarks.settings_waffle

waffle's tables are created by the benchmark itself inside a transaction that it rolls back,
so the bench database is left as it was. Two caches for waffle: the project's default cache
(Redis, as waffle would run here) and an in-process LocMemCache (waffle at its fastest).
"""

from config.settings.dev import *  # noqa: F403
from config.settings.dev import CACHES, INSTALLED_APPS, SHARED_APPS

SHARED_APPS = [*SHARED_APPS, "waffle"]
INSTALLED_APPS = [*INSTALLED_APPS, "waffle"]
CACHES = {
    **CACHES,
    "waffle_local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bench-waffle"},
}
WAFFLE_CACHE_NAME = "default"
WAFFLE_CREATE_MISSING_FLAGS = False
WAFFLE_LOG_MISSING_FLAGS = None
