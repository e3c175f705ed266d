"""Settings shared by every environment. Every value comes from the environment (12-factor);
`.env` at the repo root is read for local use."""

from __future__ import annotations

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parents[2]
env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-only-not-secret-change-me-" + "x" * 20)
DEBUG = env.bool("DEBUG", default=False)
BASE_DOMAIN = env("BASE_DOMAIN", default="localhost")
PLATFORM_HOST = env("PLATFORM_HOST", default=BASE_DOMAIN)
# Port shown in links to tenant hosts ("" behind a proxy on 80/443; dev serves on 8000).
PUBLIC_PORT = env("PUBLIC_PORT", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[BASE_DOMAIN, f".{BASE_DOMAIN}", "127.0.0.1", "testserver"])

# --------------------------------------------------------------------------- apps
SHARED_APPS = [
    "django_tenants",
    "apps.tenancy",  # before django_tenants' commands would win: our migrate_schemas is faster
    "apps.accounts",
    "apps.core",
    "apps.api",
    "apps.workers",
    "apps.audit",
    "apps.entitlements",
    "apps.governance",
    "apps.vault",
    "apps.onboarding",
    "apps.monitoring",
    "apps.alerts",
    "unfold.apps.BasicAppConfig",
    "unfold.contrib.filters",
    "apps.core.admin_config.PlatformAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "hijack",
    "hijack.contrib.admin",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "apps.dashboard",
    "apps.vault",  # tenant credentials live in the tenant's schema; platform secrets in public
    "apps.crm",
    "apps.catalog",
    "apps.cms",
]
INSTALLED_APPS = list(SHARED_APPS) + [a for a in TENANT_APPS if a not in SHARED_APPS]
# Our tenancy app must come before django_tenants so its migrate_schemas command wins.
INSTALLED_APPS.remove("apps.tenancy")
INSTALLED_APPS.insert(0, "apps.tenancy")

TENANT_MODEL = "tenancy.Tenant"
TENANT_DOMAIN_MODEL = "tenancy.Domain"
TENANT_LIMIT_SET_CALLS = True
TENANT_MULTIPROCESSING_MAX_PROCESSES = env.int("TENANT_MIGRATION_PROCESSES", default=2)
TENANT_TEMPLATE_SCHEMA = "_tenant_template"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

MIDDLEWARE = [
    "apps.core.middleware.HealthCheckMiddleware",
    "apps.tenancy.middleware.TenantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "apps.accounts.middleware.UserPreferencesMiddleware",
    "hijack.middleware.HijackUserMiddleware",
    "apps.entitlements.middleware.EntitlementMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.tenancy.middleware.TenantStatusMiddleware",
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "apps.core.context_processors.platform",
                "apps.governance.context_processors.banners",
            ],
        },
    }
]
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# --------------------------------------------------------------------------- data stores
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    EMBEDDED_POSTGRES = False
else:
    from config import embedded

    DATABASES = {"default": embedded.postgres_settings()}
    EMBEDDED_POSTGRES = True
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})["NAME"] = "test_bizosaas" + env("TEST_DB_SUFFIX", default="")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if env("REDIS_URL", default=""):
    REDIS_URL = env("REDIS_URL")
    EMBEDDED_REDIS = False
else:
    from config import embedded

    REDIS_URL = embedded.redis_url()
    EMBEDDED_REDIS = True

# Redis logical databases: 0 cache+sessions, 1 broker, 2 results. Tests pick others (see test.py).
REDIS_DB_CACHE = env.int("REDIS_DB_CACHE", default=0)
REDIS_DB_BROKER = env.int("REDIS_DB_BROKER", default=1)


def redis_db_url(db: int) -> str:
    base = REDIS_URL.split("?")[0] if REDIS_URL.startswith("unix://") else REDIS_URL.rstrip("/").rsplit("/", 1)[0]
    if REDIS_URL.startswith("unix://"):
        return f"{base}?db={db}"
    return f"{base}/{db}"


def broker_url(db: int) -> str:
    """Kombu spells a Redis Unix socket `redis+socket://PATH?virtual_host=DB`."""
    if REDIS_URL.startswith("unix://"):
        return f"redis+socket://{REDIS_URL[len('unix://') :].split('?')[0]}?virtual_host={db}"
    return redis_db_url(db)


CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_db_url(REDIS_DB_CACHE),
        "KEY_PREFIX": env("CACHE_PREFIX", default="bz"),
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_COOKIE_AGE = 60 * 60 * 12
# One login across subdomains: the session cookie belongs to the base domain.
# Except on "localhost": browsers treat it as a top-level domain and silently drop a cookie
# with Domain=.localhost (checked in Chromium 156: the Set-Cookie is rejected, so no one can
# sign in on acme.localhost). There the cookies stay host-only (None), so local development
# signs in per host. Any real base domain (or an explicit SESSION_COOKIE_DOMAIN) shares them.
SESSION_COOKIE_DOMAIN = (
    env("SESSION_COOKIE_DOMAIN", default=None if BASE_DOMAIN == "localhost" else f".{BASE_DOMAIN}") or None
)
CSRF_COOKIE_DOMAIN = SESSION_COOKIE_DOMAIN
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --------------------------------------------------------------------------- auth
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
OTP_TOTP_ISSUER = "BizOSaaS"

# Lockout: a (username, IP) pair is slowed for a while after 5 failures; the victim logging in
# from another address is not locked out, and the lock lifts by itself.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "apps.accounts.views.lockout_response"
AXES_VERBOSE = False

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="BizOSaaS <no-reply@bizosaas.local>")

# --------------------------------------------------------------------------- i18n / static
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".data" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --------------------------------------------------------------------------- API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.api.authentication.ApiKeyAuthentication",
        "apps.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.api.permissions.IsPlatformUser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "apps.api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "BizOSaaS Partner API",
    "DESCRIPTION": "Provision and manage the client businesses (tenants) a partner runs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The API lives on the platform host; `manage.py spectacular` must read its URL conf.
    "SERVE_URLCONF": "config.urls_public",
}

# --------------------------------------------------------------------------- Celery
CELERY_BROKER_URL = broker_url(REDIS_DB_BROKER)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"apps.workers.tasks.*": {"queue": "ops"}}
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / ".data" / "celerybeat-schedule")
CELERY_HEARTBEAT_SECONDS = env.int("CELERY_HEARTBEAT_SECONDS", default=30)

# --------------------------------------------------------------------------- "view as" (django-hijack)
# Who may impersonate whom (support tier >= 2, MFA-verified, tenant users only): ADR 0004.
HIJACK_PERMISSION_CHECK = "apps.governance.impersonation.may_impersonate"
# The dashboard shows its own "viewing as" bar (templates/governance/partials/banners.html).
HIJACK_INSERT_BEFORE = None

# --------------------------------------------------------------------------- platform
SUPPORT_EMAIL = env("SUPPORT_EMAIL", default="support@bizosaas.local")
DEMO_PASSWORD = env("DEMO_PASSWORD", default="demo-pass-2026")
# Entitlement engine alpha guard: internal staff who see alpha and beta features (plus super admins).
UEE_ALPHA_EMAILS = env.list("UEE_ALPHA_EMAILS", default=[])
VAULT_KEYS = env("VAULT_KEYS", default="")  # key ring for apps.vault; format in .env.example

# --------------------------------------------------------------------------- health monitoring (M23)
# Every active tenant's domains are checked every MONITOR_INTERVAL_SECONDS (apps.monitoring).
# The URL checked: MONITOR_URL_TEMPLATE with {domain} and {port} (":{port}" is dropped when the
# port is empty). On a localhost base domain (development) sites are plain HTTP on the dev port;
# *.localhost names are connected to 127.0.0.1 (RFC 6761), MONITOR_CONNECT_ADDRESS pins every
# domain to one address (a load balancer, a test server).
_LOCAL = BASE_DOMAIN == "localhost"
MONITOR_URL_TEMPLATE = env("MONITOR_URL_TEMPLATE", default="http://{domain}:{port}/" if _LOCAL else "https://{domain}/")
MONITOR_PORT = env("MONITOR_PORT", default=env("PORT", default="8000") if _LOCAL else "")
MONITOR_CONNECT_ADDRESS = env("MONITOR_CONNECT_ADDRESS", default="")
MONITOR_CA_BUNDLE = env("MONITOR_CA_BUNDLE", default="")  # extra CA file (tests); system CAs otherwise
MONITOR_INTERVAL_SECONDS = env.int("MONITOR_INTERVAL_SECONDS", default=300)
MONITOR_CONCURRENCY = env.int("MONITOR_CONCURRENCY", default=200)
MONITOR_TIMEOUT_SECONDS = env.float("MONITOR_TIMEOUT_SECONDS", default=10.0)
MONITOR_MAX_REDIRECTS = env.int("MONITOR_MAX_REDIRECTS", default=3)
MONITOR_SLOW_MS = env.int("MONITOR_SLOW_MS", default=3000)  # slower than this = DEGRADED
MONITOR_FAILURES_BEFORE_DOWN = env.int("MONITOR_FAILURES_BEFORE_DOWN", default=3)
MONITOR_HISTORY_DAYS = env.int("MONITOR_HISTORY_DAYS", default=30)
MONITOR_TLS_WARN_DAYS = env.int("MONITOR_TLS_WARN_DAYS", default=14)
MONITOR_HEAL_COOLDOWN_SECONDS = env.int("MONITOR_HEAL_COOLDOWN_SECONDS", default=1800)
# Seconds between the re-checks after a self-heal's site sync was queued (then it counts as failed).
MONITOR_HEAL_RECHECK_DELAYS = [
    float(x) for x in env.list("MONITOR_HEAL_RECHECK_DELAYS", default=["2", "3", "5", "10", "20", "30"])
]
MONITOR_QUEUE = env("MONITOR_QUEUE", default="default")

# --------------------------------------------------------------------------- alerts (M24)
TELEGRAM_API_BASE = env("TELEGRAM_API_BASE", default="https://api.telegram.org")
TELEGRAM_BOT_TOKEN = env("TELEGRAM_BOT_TOKEN", default="")
# Client-side pacing per sender, below Telegram's ~30 messages per second per bot.
TELEGRAM_MAX_PER_SECOND = env.float("TELEGRAM_MAX_PER_SECOND", default=28.0)
DISCORD_API_BASE = env("DISCORD_API_BASE", default="https://discord.com/api")  # webhook URLs must live under it
ALERTS_QUEUE = env("ALERTS_QUEUE", default="default")
ALERTS_HTTP_TIMEOUT_SECONDS = env.float("ALERTS_HTTP_TIMEOUT_SECONDS", default=10.0)
ALERTS_SEND_TRIES = env.int("ALERTS_SEND_TRIES", default=4)  # per send, on 429 / transient errors
ALERTS_MAX_INLINE_WAIT_SECONDS = env.float("ALERTS_MAX_INLINE_WAIT_SECONDS", default=30.0)
ALERTS_INLINE_BACKOFF_SECONDS = env.float("ALERTS_INLINE_BACKOFF_SECONDS", default=0.5)
ALERTS_MAX_ATTEMPTS = env.int("ALERTS_MAX_ATTEMPTS", default=8)  # then `failed` (visible, retryable by hand)
ALERTS_RETRY_BASE_SECONDS = env.int("ALERTS_RETRY_BASE_SECONDS", default=60)
ALERTS_RETRY_MAX_SECONDS = env.int("ALERTS_RETRY_MAX_SECONDS", default=3600)
ALERTS_STALE_SECONDS = env.int("ALERTS_STALE_SECONDS", default=600)
ALERTS_BATCH_SIZE = env.int("ALERTS_BATCH_SIZE", default=500)
ALERTS_DAILY_DIGEST_HOUR = env.int("ALERTS_DAILY_DIGEST_HOUR", default=8)  # UTC

# Onboarding payments: Stripe Checkout (apps.onboarding.stripe_client). No secret key = payment
# not configured (the sign-up page says so and stops at the payment step).
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300)
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=10.0)
STRIPE_MAX_RETRIES = env.int("STRIPE_MAX_RETRIES", default=2)
STRIPE_RETRY_BACKOFF_SECONDS = env.float("STRIPE_RETRY_BACKOFF_SECONDS", default=0.5)
STRIPE_CURRENCY = env("STRIPE_CURRENCY", default="usd")
# Product analytics (apps.core.analytics): no key = disabled, nothing is sent.
POSTHOG_API_KEY = env("POSTHOG_API_KEY", default="")
POSTHOG_HOST = env("POSTHOG_HOST", default="https://us.i.posthog.com")
POSTHOG_SYNC_MODE = env.bool("POSTHOG_SYNC_MODE", default=False)  # send inline instead of a background thread

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
    "loggers": {"axes": {"level": "WARNING"}},
}

UNFOLD = {
    "SITE_TITLE": "BizOSaaS admin",
    "SITE_HEADER": "BizOSaaS",
    "SITE_SYMBOL": "hub",
    "SHOW_HISTORY": True,
    "THEME": None,
    "DASHBOARD_CALLBACK": "apps.core.admin_site.dashboard_callback",
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": "apps.core.admin_site.sidebar_super_admin",
        "navigation": [
            {
                "title": "Fleet",
                "items": [
                    {"title": "Dashboard", "icon": "dashboard", "link": "/admin/"},
                    {"title": "Tenants", "icon": "apartment", "link": "/admin/tenancy/tenant/"},
                    {"title": "Domains", "icon": "language", "link": "/admin/tenancy/domain/"},
                    {"title": "Plans", "icon": "sell", "link": "/admin/tenancy/plan/"},
                    {"title": "Sign-ups", "icon": "how_to_reg", "link": "/admin/onboarding/onboarding/"},
                    {"title": "Sign-up funnel", "icon": "filter_alt", "link": "/admin/onboarding/onboarding/funnel/"},
                ],
            },
            {
                "title": "Identity",
                "items": [
                    {"title": "Users", "icon": "person", "link": "/admin/accounts/user/"},
                    {"title": "Memberships", "icon": "group", "link": "/admin/accounts/membership/"},
                    {"title": "API keys", "icon": "key", "link": "/admin/accounts/apikey/"},
                ],
            },
            {
                "title": "Operations",
                "items": [
                    {"title": "Worker heartbeats", "icon": "monitor_heart", "link": "/admin/workers/workerheartbeat/"},
                    {"title": "Emergency stops", "icon": "emergency", "link": "/admin/governance/panicstate/"},
                    {"title": "Held tasks", "icon": "pending_actions", "link": "/admin/governance/skippedtask/"},
                    {"title": "Domain health", "icon": "health_and_safety", "link": "/admin/monitoring/domainhealth/"},
                    {"title": "Alert deliveries", "icon": "notifications", "link": "/admin/alerts/delivery/"},
                ],
            },
            {
                "title": "Rollout",
                "items": [
                    {"title": "Features", "icon": "toggle_on", "link": "/admin/entitlements/feature/"},
                    {"title": "Beta grants", "icon": "verified", "link": "/admin/entitlements/grant/"},
                    {"title": "Tenant overrides", "icon": "tune", "link": "/admin/entitlements/tenantoverride/"},
                    {
                        "title": "QuantTrade beta whitelist",
                        "icon": "candlestick_chart",
                        "link": "/admin/entitlements/quanttradewhitelistentry/",
                        "permission": "apps.core.admin_site.sidebar_super_admin",
                    },
                ],
            },
            {
                "title": "Governance",
                "items": [
                    {"title": "System banners", "icon": "campaign", "link": "/admin/governance/systembanner/"},
                    {"title": "Audit log", "icon": "history", "link": "/admin/audit/auditevent/"},
                    {
                        "title": "Secrets",
                        "icon": "vpn_key",
                        "link": "/admin/vault/secret/",
                        "permission": "apps.core.admin_site.sidebar_platform_admin",
                    },
                ],
            },
            {
                "title": "Security",
                "items": [
                    {
                        "title": "Authenticator devices",
                        "icon": "phonelink_lock",
                        "link": "/admin/otp_totp/totpdevice/",
                        "permission": "apps.core.admin_site.sidebar_super_admin",
                    },
                    {
                        "title": "Sign-in lockouts",
                        "icon": "lock_clock",
                        "link": "/admin/axes/accessattempt/",
                        "permission": "apps.core.admin_site.sidebar_super_admin",
                    },
                ],
            },
        ],
    },
    "COLORS": {
        # Neutral base in slate too: base-50 is the light background #f8fafc, base-900 the dark #0f172a.
        "base": {
            "50": "248 250 252",
            "100": "241 245 249",
            "200": "226 232 240",
            "300": "203 213 225",
            "400": "148 163 184",
            "500": "100 116 139",
            "600": "71 85 105",
            "700": "51 65 85",
            "800": "30 41 59",
            "900": "15 23 42",
            "950": "2 6 23",
        },
        # Slate: admin primary #334155 is the 700 shade.
        "primary": {
            "50": "248 250 252",
            "100": "241 245 249",
            "200": "226 232 240",
            "300": "203 213 225",
            "400": "148 163 184",
            "500": "100 116 139",
            "600": "71 85 105",
            "700": "51 65 85",
            "800": "30 41 59",
            "900": "15 23 42",
            "950": "2 6 23",
        },
    },
    "STYLES": [lambda request: "/static/admin-theme.css"],
}
