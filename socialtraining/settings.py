"""One settings module; every deployment difference comes from the environment."""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# A known key would let anyone forge invitation and password-reset links: production must set one.
if DEBUG:
    SECRET_KEY = env.str(
        "SECRET_KEY", default="insecure-development-key-set-SECRET_KEY-in-production" * 2
    )
else:
    SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "accounts",
    "notifications",
    "sso",
    "cohorts",
    "discussions",
    "surveys",
    "sparks",
    "coaching",
    "insights",
    "xapi",
    "lti",
    "portal",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "socialtraining.urls"
WSGI_APPLICATION = "socialtraining.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "socialtraining.context_processors.site",
                "portal.context_processors.navigation",
            ],
            # `timesince` and `timeuntil` that read the project clock, in every template.
            "builtins": ["socialtraining.template_clock"],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A demo runs web, worker and beat against one SQLite file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # SQLite ignores SELECT ... FOR UPDATE; IMMEDIATE transactions take the write lock at BEGIN,
    # so two workers processing the same due row run one after the other.
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: email is the login; people join by invitation unless OPEN_SIGNUP is set.
OPEN_SIGNUP = env.bool("OPEN_SIGNUP", default=False)
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Social training] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not DEBUG else "http"
# The proxies in front of web that set X-Forwarded-For (docker-compose's TLS proxy: 1): the
# sign-in limits count per client IP, and behind an untrusted proxy every client is its address.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
# allauth's defaults, stated so they are visibly on; counted in the cache (Redis in production).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "request_login_code": "20/m/ip,3/m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}

# Single sign-on (sso app): each organisation's OpenID Connect or SAML connection is an allauth
# app built from its `sso.SsoConnection` row by the adapter, never listed on the sign-in page.
SOCIALACCOUNT_ADAPTER = "sso.adapter.SocialAccountAdapter"
# The organisation's identity provider vouches for addresses of the domains it verified.
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
# Password and emailed-code sign-in refuse addresses whose organisation requires SSO.
ACCOUNT_FORMS = {
    "login": "sso.forms.LoginForm",
    "request_login_code": "sso.forms.RequestLoginCodeForm",
}
# Fernet keys for secrets stored in the database (socialtraining/encryption.py): comma-separated,
# the first encrypts, all decrypt. Empty derives one key from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
# How long the "test it" fetch of an identity provider's discovery document or metadata may take.
SSO_FETCH_TIMEOUT_SECONDS = env.int("SSO_FETCH_TIMEOUT_SECONDS", default=10)

INVITATION_MAX_AGE_DAYS = env.int("INVITATION_MAX_AGE_DAYS", default=14)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/pico", BASE_DIR / "node_modules" / "@picocss" / "pico" / "css"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Content Security Policy (Django's built-in): no inline scripts or styles, nothing third-party.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Preloading binds the whole domain to HTTPS for good: the domain's owner opts in by setting it.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Email: SMTP in production (EMAIL_URL=smtp+tls://user:password@host:587), files under var/mail in
# development (consolemail:// prints them instead). Tests get Django's locmem backend.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    _email = environ.Env.email_url_config(EMAIL_URL)
    _backend = _email["EMAIL_BACKEND"]
    _options = {}
    if _backend.endswith("smtp.EmailBackend"):
        _options = {
            "host": _email.get("EMAIL_HOST", "localhost"),
            "port": _email.get("EMAIL_PORT", 25),
            "username": _email.get("EMAIL_HOST_USER", ""),
            "password": _email.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": _email.get("EMAIL_USE_TLS", False),
            "use_ssl": _email.get("EMAIL_USE_SSL", False),
            "timeout": 30,
        }
    elif _backend.endswith("filebased.EmailBackend"):
        _options = {"file_path": _email.get("EMAIL_FILE_PATH") or str(VAR_DIR / "mail")}
    MAILERS = {"default": {"BACKEND": _backend, "OPTIONS": _options}}
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Social training <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis when REDIS_URL is set, otherwise the filesystem broker (no server needed), in
# CELERY_BROKER_DIR (var/ by default).
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
_broker_dir = Path(env.str("CELERY_BROKER_DIR", default=str(VAR_DIR)))
CELERY_BROKER_FOLDER = _broker_dir / "celery-broker"
if not REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER),
        "data_folder_out": str(CELERY_BROKER_FOLDER),
        "processed_folder": str(_broker_dir / "celery-processed"),
        "control_folder": str(_broker_dir / "celery-control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The dispatcher has a queue of its own (a worker with `-Q dispatch`), so a backlog of work on the
# default queue never delays the minute's sweep or a kick.
CELERY_TASK_ROUTES = {"notifications.tasks.dispatch_due": {"queue": "dispatch"}}
# A broker outage of minutes must not end a worker: retry the connection for ever, at startup too,
# and give back unacknowledged messages when it is lost (the due rows make a redelivery harmless).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CHANNEL_ERROR_RETRY = True
# A running batch finishes on its own; a redelivered copy takes nothing (see scheduling.take_rows).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-rows": {
        "task": "notifications.tasks.dispatch_due",
        # Each minute; the end-to-end worker test shortens it to a second.
        "schedule": env.float("DUE_DISPATCH_EVERY_SECONDS", default=60.0),
    },
    # The daily digest at 07:00 UTC (CELERY_TIMEZONE): before the working day in Europe, the
    # evening before in the Americas' west. One email per person and date, so a rerun is harmless.
    "send-daily-digests": {
        "task": "notifications.tasks.send_daily_digests",
        "schedule": crontab(hour=7, minute=0),
    },
    # Late enrolments get the spark asks still ahead of them.
    "plan-sparks": {"task": "sparks.tasks.plan_sparks", "schedule": crontab(minute=17)},
    # The insights dashboards read rollups: every 10 minutes keeps them well within an hour.
    "refresh-insights-rollups": {
        "task": "insights.tasks.refresh_rollups",
        "schedule": crontab(minute="*/10"),
    },
    "scan-confident-wrong": {
        "task": "insights.tasks.scan_confident_wrong",
        "schedule": crontab(minute="5-55/10"),
    },
}

# The shared due-row mechanism (notifications.scheduling): batch size and lease length.
DUE_BATCH_SIZE = env.int("DUE_BATCH_SIZE", default=500)
DUE_LEASE_SECONDS = env.int("DUE_LEASE_SECONDS", default=300)
# A failed row is tried again after this, doubling with each attempt (2, 4, 8 … 64 minutes).
DUE_RETRY_BASE_SECONDS = env.int("DUE_RETRY_BASE_SECONDS", default=120)
# Batches per kind claimed ahead of the workers; more wait as rows in the database, not the broker.
DUE_DISPATCH_BATCHES = env.int("DUE_DISPATCH_BATCHES", default=4)
# Bundled emails: the first waits this long for more to gather, the next comes an hour later.
EMAIL_BUNDLE_DELAY_MINUTES = env.int("EMAIL_BUNDLE_DELAY_MINUTES", default=10)
EMAIL_BUNDLE_EVERY_MINUTES = env.int("EMAIL_BUNDLE_EVERY_MINUTES", default=60)
# Test-only: a file holding an ISO 8601 moment that the project clock (socialtraining.clock) of
# worker and beat processes reads. Unset in production, where the clock is the real time.
CLOCK_FILE = env.str("CLOCK_FILE", default="")

# Discussions: how long authors may edit a post, and how many posts a person may make in a window.
POST_EDIT_WINDOW_MINUTES = env.int("POST_EDIT_WINDOW_MINUTES", default=30)
POST_RATE_LIMIT = env.str("POST_RATE_LIMIT", default="30/10m")

# Surveys: how long the one-click link in a round's email stays valid (seconds; the form itself
# closes with its round).
SURVEY_LINK_MAX_AGE = env.int("SURVEY_LINK_MAX_AGE", default=120 * 24 * 3600)

# Sparks: the reminder after sending, the expiry after sending, and how long an email link works.
SPARK_REMIND_AFTER_HOURS = env.int("SPARK_REMIND_AFTER_HOURS", default=48)
SPARK_EXPIRE_AFTER_DAYS = env.int("SPARK_EXPIRE_AFTER_DAYS", default=5)
SPARK_LINK_MAX_AGE = env.int("SPARK_LINK_MAX_AGE", default=14 * 24 * 3600)

# Confident and wrong: instructors are alerted when at least this share of a cohort's answers to
# a knowledge spark or question are wrong and sure ("fairly sure" or "certain"), once at least
# CONFIDENT_WRONG_MIN_ANSWERS answers are in.
CONFIDENT_WRONG_SHARE = env.float("CONFIDENT_WRONG_SHARE", default=0.30)
CONFIDENT_WRONG_MIN_ANSWERS = env.int("CONFIDENT_WRONG_MIN_ANSWERS", default=5)

# The daily digest's one-click unsubscribe link works this long (seconds); after that the page
# points to the notification preferences.
UNSUBSCRIBE_LINK_MAX_AGE = env.int("UNSUBSCRIBE_LINK_MAX_AGE", default=180 * 24 * 3600)

# Roster uploads larger than this run as a Celery task with a progress page.
ROSTER_INLINE_MAX_ROWS = env.int("ROSTER_INLINE_MAX_ROWS", default=200)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- xapi: statements and the Learning Record Store push (owned by the xapi app) ---
# Names people in statements without their email: a keyed hash of their id. Set it once and never
# change it, or the same person gets a new name at the LRS; empty falls back to SECRET_KEY.
XAPI_ACTOR_SECRET = env.str("XAPI_ACTOR_SECRET", default="")
XAPI_PUSH_BATCH_SIZE = env.int("XAPI_PUSH_BATCH_SIZE", default=200)
# Batches per organisation per run; the next run goes on from the cursor.
XAPI_PUSH_MAX_BATCHES = env.int("XAPI_PUSH_MAX_BATCHES", default=50)
# Rows younger than this wait for the next run, so a transaction still open cannot be skipped.
XAPI_PUSH_SETTLE_SECONDS = env.int("XAPI_PUSH_SETTLE_SECONDS", default=120)
XAPI_LRS_TIMEOUT_SECONDS = env.int("XAPI_LRS_TIMEOUT_SECONDS", default=30)
# Each organisation's push is a job (notifications.jobs) that comes due again this often.
XAPI_PUSH_EVERY_SECONDS = env.int("XAPI_PUSH_EVERY_SECONDS", default=300)
# --- end xapi ---

# --- lti: the LTI 1.3 tool (owned by the lti app) ---
# How often each linked course's roster is synced through Names and Role Provisioning Services.
LTI_ROSTER_SYNC_HOURS = env.int("LTI_ROSTER_SYNC_HOURS", default=24)
# How often survey scores of placed rounds go back to the LMS gradebook (when it allows it).
LTI_GRADE_SYNC_MINUTES = env.int("LTI_GRADE_SYNC_MINUTES", default=30)
# A deep-linking choice must be made within this many seconds of the launch.
LTI_LAUNCH_MAX_AGE = env.int("LTI_LAUNCH_MAX_AGE", default=3600)
# --- end lti ---
