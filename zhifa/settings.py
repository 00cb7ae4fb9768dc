"""The one settings module: everything that differs between installs comes from the environment.

Defaults give a working single-machine install (SQLite and a data folder beside the code).
With ZHIFA_ENV=production, a missing production setting stops start-up with a clear message.
"""

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(str(BASE_DIR / ".env"))

ZHIFA_ENV = env.str("ZHIFA_ENV", default="development")
PRODUCTION = ZHIFA_ENV == "production"

if PRODUCTION:
    _missing = [
        name
        for name in ("SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "ZHIFA_DATA_DIR")
        if not env.str(name, "")
    ]
    if _missing:
        raise ImproperlyConfigured(
            "生产环境缺少必需的设置：" + "、".join(_missing) + "。请在环境变量中提供后再启动。"
        )

DATA_DIR = Path(env.str("ZHIFA_DATA_DIR", default=str(BASE_DIR / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _development_secret_key() -> str:
    """A per-install key kept in the data folder, so sessions survive restarts on a laptop."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or _development_secret_key()
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

# Where the regulation texts live (seeds/ and law/); used by `zhifa policy lint` to check citations.
_default_regulations = BASE_DIR.parent / "shared"
ZHIFA_REGULATIONS_DIR = Path(env.str("ZHIFA_REGULATIONS_DIR", default=str(_default_regulations)))
# The ledger's checkpoints: who signs (the C2SP origin line and key name) and with which key.
ZHIFA_LEDGER_ORIGIN = env.str("ZHIFA_LEDGER_ORIGIN", default="zhifa.local/ledger")
ZHIFA_LEDGER_SIGNING_KEY = env.str("ZHIFA_LEDGER_SIGNING_KEY", default="")
# A running server signs a new checkpoint when events were added and the last one is this old.
ZHIFA_CHECKPOINT_INTERVAL = env.int("ZHIFA_CHECKPOINT_INTERVAL", default=3600)
# Witnesses that cosign each checkpoint (c2sp.org/tlog-witness): "URL VERIFIER_KEY" items, comma-separated.
ZHIFA_LEDGER_WITNESSES = env.list("ZHIFA_LEDGER_WITNESSES", default=[])
ZHIFA_LEDGER_WITNESS_TIMEOUT = env.float("ZHIFA_LEDGER_WITNESS_TIMEOUT", default=5.0)
# Who gives events their leaf numbers (ledger.sequencer): "commit" — each transaction that wrote an
# event, right after it commits (tests, the demo server); "worker" — only `zhifa ledger sequence
# --loop` or a scheduled integrate_pending() (production: writers then never wait for the ledger).
ZHIFA_LEDGER_INTEGRATE = env.str("ZHIFA_LEDGER_INTEGRATE", default="commit")
# The sequencer signs a checkpoint per batch, at most one per this many seconds (negative: never).
ZHIFA_LEDGER_CHECKPOINT_INTERVAL = env.float("ZHIFA_LEDGER_CHECKPOINT_INTERVAL", default=1.0)

# Write-once evidence storage: file:blobs (inside the data folder) or s3://bucket?endpoint=…
ZHIFA_BLOB_STORE = env.str("ZHIFA_BLOB_STORE", default="file:blobs")
ZHIFA_MAX_FILE_SIZE = env.int("ZHIFA_MAX_FILE_SIZE", default=16 * 2**30)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 2**20  # larger uploads are spooled to disk, never held in memory
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 2**20  # form fields and JSON bodies; files are bounded by ZHIFA_MAX_FILE_SIZE

# Requests the public may send without logging in (correction requests with evidence files):
# per client address per hour and per day, and evidence bytes per day from everyone together.
# These protect the write-once vault from flooding; they are product limits, not regulation.
ZHIFA_PUBLIC_REQUESTS_PER_HOUR = env.int("ZHIFA_PUBLIC_REQUESTS_PER_HOUR", default=5)
ZHIFA_PUBLIC_REQUESTS_PER_DAY = env.int("ZHIFA_PUBLIC_REQUESTS_PER_DAY", default=20)
ZHIFA_PUBLIC_EVIDENCE_BYTES_PER_DAY = env.int("ZHIFA_PUBLIC_EVIDENCE_BYTES_PER_DAY", default=2 * 2**30)
# How many reverse proxies in front of zhifa append to X-Forwarded-For (0: use the peer address).
ZHIFA_TRUSTED_PROXIES = env.int("ZHIFA_TRUSTED_PROXIES", default=0)

ZHIFA_POLICY_PACKS_DIR = Path(env.str("ZHIFA_POLICY_PACKS_DIR", default=str(BASE_DIR / "policy" / "packs")))

# 文书: an agency's replacement templates (default: <data folder>/instrument_templates) and the
# CJK font embedded in every PDF (default: Debian's fonts-noto-cjk, found in its usual places).
ZHIFA_INSTRUMENT_TEMPLATES_DIR = env.str("ZHIFA_INSTRUMENT_TEMPLATES_DIR", default="")
ZHIFA_PDF_FONT = env.str("ZHIFA_PDF_FONT", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "zhifa",
    "ledger",
    "org",
    "policy",
    "enterprises",
    "equipment",
    "records",
    "matters",
    "review",
    "publicity",
    "inspections",
    "access",
    "archive",
    "supervision",
    "field",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "zhifa.errors.RequestBoundsMiddleware",
    "utilities.memo.RequestMemoMiddleware",
]

ROOT_URLCONF = "zhifa.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "org.context_processors.staff_context",
                "supervision.context_processors.bell",
            ],
        },
    },
]

WSGI_APPLICATION = "zhifa.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'zhifa.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections under a production server (seconds; 0 = one per request, Django's default).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several writers (web, CLI, tests) share one file: wait for the lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
# A PostgreSQL streaming replica for the public portal's reads (utilities.dbrouter, README "Several
# machines"). Unset: no router, everything on the primary. A replica that does not answer within the
# connect timeout (seconds) is left alone for the retry time (seconds) while the primary answers.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
        "DATABASE_REPLICA_CONNECT_TIMEOUT", default=2
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # the test suite reads its own database
    DATABASE_ROUTERS = ["utilities.dbrouter.ReplicaRouter"]
ZHIFA_READ_REPLICA = "replica" in DATABASES
DATABASE_REPLICA_RETRY_SECONDS = env.int("DATABASE_REPLICA_RETRY_SECONDS", default=30)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.Staff"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True

CSRF_FAILURE_VIEW = "zhifa.errors.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
# Behind a trusted reverse proxy (bin/deploy's nginx, which sets it), whether the request came over HTTPS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if ZHIFA_TRUSTED_PROXIES else None

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["org.permissions.HasCapability"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "zhifa.api.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "zhifa 行政执法平台 API",
    "DESCRIPTION": "行政执法公示、执法全过程记录、重大执法决定法制审核。所有接口均校验角色与记录密级。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    # Offline: the documentation page's assets come from the sidecar package, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"MatterKindEnum": "matters.choices.MatterKind"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Supervision (issue 16): how often the running server repeats the compliance scan (seconds).
ZHIFA_SUPERVISION_SCAN_INTERVAL = env.int("ZHIFA_SUPERVISION_SCAN_INTERVAL", default=3600)
# Reminders: how many days before a deadline it is shown as due (a working habit, not a rule of law).
ZHIFA_REMINDER_HORIZON_DAYS = env.int("ZHIFA_REMINDER_HORIZON_DAYS", default=3)
# Reminder mail goes through Django's mail backends (SMTP on the agency's own server in production).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="zhifa@localhost")
# The SMTP backend's server (the agency's own), read from the environment like the rest; the timeout
# bounds how long an officer waits on a silent server when sending a 文书 (电子送达).
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS 与 EMAIL_USE_SSL 只能选一：STARTTLS（通常587端口）或 SSL（通常465端口）。")
# Reminder SMS: the class that sends them (default: written to the log; an agency's gateway is a
# subclass of supervision.sms.BaseBackend), and the longest message sent.
ZHIFA_SMS_BACKEND = env.str("ZHIFA_SMS_BACKEND", default="supervision.sms.LoggingBackend")
ZHIFA_SMS_MAX_CHARS = env.int("ZHIFA_SMS_MAX_CHARS", default=140)
# How often the running server brings reminders up to date (seconds): an item that becomes overdue
# is mailed (or texted) within this time.
ZHIFA_REMINDER_INTERVAL = env.int("ZHIFA_REMINDER_INTERVAL", default=300)
ZHIFA_REMINDER_DIGEST_HOUR = env.int("ZHIFA_REMINDER_DIGEST_HOUR", default=8)

# Background work (issue 17): Celery with Redis. Without ZHIFA_BROKER_URL every task runs in the
# process that asks for it (the demo's `bin/run` and the tests), and `zhifa serve` keeps its own
# periodic threads; with it, the web process only queues work and beat schedules the periodic tasks.
ZHIFA_BROKER_URL = env.str("ZHIFA_BROKER_URL", default="")
CELERY_BROKER_URL = ZHIFA_BROKER_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not ZHIFA_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies is delivered again, not lost
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# An unacknowledged task (its worker was killed) goes back to the queue after this many seconds;
# it must exceed the longest task (probing and storing the largest file).
_VISIBILITY_TIMEOUT = env.int("ZHIFA_BROKER_VISIBILITY_TIMEOUT", default=3600)
# The lock a worker holds while it puts such tasks back expires with them: a worker killed while
# holding it must not delay redelivery longer than the timeout itself (Redis transport: 300 s).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _VISIBILITY_TIMEOUT,
    "unacked_mutex_expire": min(300, _VISIBILITY_TIMEOUT),
}
CELERY_TIMEZONE = "Asia/Shanghai"
# How often beat runs the sequencer (seconds): it integrates the events committed since its last run.
ZHIFA_SEQUENCER_INTERVAL = env.float("ZHIFA_SEQUENCER_INTERVAL", default=1.0)
# Task results (an upload's filing outcome, for the client polling it) live beside the queue.
CELERY_RESULT_BACKEND = ZHIFA_BROKER_URL or None
CELERY_RESULT_EXPIRES = 7 * 24 * 3600
# With Redis down, queueing a task gives up after about 3 s (Celery's default: 20 retries, ~20 s)
# and the request answers 503 saying so (zhifa/outages.py); the worker and beat reconnect by themselves.
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 3}}

# The address the public reaches the portal at, printed in QR codes (文书 verification, 检查码).
ZHIFA_PUBLIC_URL = env.str("ZHIFA_PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")

# Date inputs render ISO first (zhifa/formats/zh_Hans): the browser's date fields accept nothing else.
FORMAT_MODULE_PATH = ["zhifa.formats"]
