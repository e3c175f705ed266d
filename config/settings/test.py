from .base import *  # noqa: F403
from .base import CACHES, DATABASES, broker_url, env, redis_db_url

DEBUG = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Fast hashing in tests except where a test checks Argon2 explicitly.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
# Separate Redis databases from `make run`, so a test run never touches dev sessions or queues.
_suffix = env.int("TEST_REDIS_OFFSET", default=8)
CACHES["default"]["LOCATION"] = redis_db_url(_suffix)
CACHES["default"]["KEY_PREFIX"] = "bztest"
CELERY_BROKER_URL = broker_url(_suffix + 1)
DATABASES["default"]["CONN_MAX_AGE"] = 0
# A fixed vault key ring, so tests never depend on a developer's .env (not a secret: test only).
VAULT_KEYS = "test1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
