"""Configuration classes. Values come from environment variables so that one
build runs embedded (SQLite), on PostgreSQL, in tests and in production."""
from __future__ import annotations

import os

BASE_DIR = os.path.abspath(os.path.dirname(__file__))

# A well-known value: production refuses to start with it.
DEFAULT_SECRET_KEY = "dev-insecure-change-me"


def database_url(raw: str | None) -> str:
    """Normalise a DATABASE_URL so that PostgreSQL always goes through psycopg 3."""
    if not raw:
        # Flask-SQLAlchemy resolves a relative SQLite path inside the instance folder.
        return "sqlite:///review.db"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY") or DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # A pooled connection that sat unused this long is checked with a round trip before it is handed out
    # (a restarted database server leaves stale ones behind); one in constant use is not checked on every
    # request, which would add a round trip to each (review/database.py).
    DB_PING_IDLE_SECONDS = float(os.environ.get("REVIEW_DB_PING_IDLE_SECONDS", "5"))
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # Province-sized campaigns rescore in a background job (review/campaigns/rescoring.py); needs
    # REDIS_URL and a running `flask --app wsgi jobs worker`.
    RESCORE_IN_BACKGROUND = os.environ.get("REVIEW_RESCORE_IN_BACKGROUND", "") in ("1", "true", "yes")
    RESCORE_BACKGROUND_FROM = int(os.environ.get("REVIEW_RESCORE_BACKGROUND_FROM", "2000"))
    JOBS_QUEUE = os.environ.get("REVIEW_JOBS_QUEUE", "review")
    # The appraisal files' archive (content-addressed PDFs); default instance/archive.
    ARCHIVE_DIR = os.environ.get("REVIEW_ARCHIVE_DIR") or None
    # Checks of printed verification codes on the public /archive/verify page, per address.
    ARCHIVE_VERIFY_LIMIT = os.environ.get("REVIEW_ARCHIVE_VERIFY_LIMIT", "30 per 10 minutes")
    # Without REDIS_URL, builds started from the web run in a thread of the web process (one machine).
    ARCHIVE_BUILD_IN_THREAD = True
    # A running build that has issued no file for this long is taken as stopped (its process was
    # restarted or killed): its page says so, and starting the build again replaces it.
    ARCHIVE_BUILD_STALL_MINUTES = int(os.environ.get("REVIEW_ARCHIVE_BUILD_STALL_MINUTES", "10"))

    BABEL_DEFAULT_LOCALE = os.environ.get("REVIEW_LOCALE", "zh_CN")
    BABEL_DEFAULT_TIMEZONE = os.environ.get("REVIEW_TIMEZONE", "Asia/Shanghai")
    LANGUAGES = {"zh_CN": "中文", "en": "English"}

    # Uploads (rosters, score sheets) are small; anything larger is refused before parsing.
    MAX_CONTENT_LENGTH = int(os.environ.get("REVIEW_MAX_UPLOAD_MB", "16")) * 1024 * 1024
    ROSTER_MAX_ROWS = 50_000
    # Evidence files of claims and register entries (PDF, JPEG, PNG, .docx, .xlsx): the largest
    # accepted file. Evidence forms raise the request limit to fit several such files.
    EVIDENCE_MAX_MB = int(os.environ.get("REVIEW_EVIDENCE_MAX_MB", "20"))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # tie tokens to the session, not to a clock: long ballots must not expire

    # Number of reverse proxies in front of the app (nginx: 1). Their X-Forwarded-For
    # then gives the client's address for throttling and the audit log.
    PROXY_COUNT = int(os.environ.get("REVIEW_PROXY_COUNT", "0"))

    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = False
    # Redis unreachable: every limit goes on counting in each process's memory (Flask-Limiter logs a
    # warning, and tries Redis again now and then) instead of every limited route failing. The
    # timeouts keep a Redis that drops packets from holding requests for long.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    # Failed logins from one address, whatever the accounts (spraying); successful ones do not count.
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("REVIEW_LOGIN_LIMIT_ADDRESS", "20 per 15 minutes")
    # Failed logins of one account from one address (review/auth/throttle.py): the first few are free,
    # then the address waits BASE seconds, doubling after each failure up to MAX; never a lock-out of
    # the account, whose owner logs in from any other address. Counts are forgotten an hour after the
    # first failure, or at a successful login.
    LOGIN_BACKOFF_FREE = int(os.environ.get("REVIEW_LOGIN_BACKOFF_FREE", "3"))
    LOGIN_BACKOFF_BASE_SECONDS = 2
    LOGIN_BACKOFF_MAX_SECONDS = int(os.environ.get("REVIEW_LOGIN_BACKOFF_MAX_SECONDS", "60"))
    LOGIN_BACKOFF_MEMORY_SECONDS = 3600
    # Lookups of well-formed slip codes that match no slip (guessing). A meeting room may sit behind
    # one address; with 50-bit codes even thousands of guesses stand no chance.
    SLIP_LIMIT_PER_ADDRESS = os.environ.get("REVIEW_SLIP_LIMIT_ADDRESS", "100 per 10 minutes")
    # Public surveys: failed token lookups per address; open-link (kiosk) answers per address.
    SURVEY_LIMIT_PER_ADDRESS = os.environ.get("REVIEW_SURVEY_LIMIT_ADDRESS", "100 per 10 minutes")
    SURVEY_LIMIT_OPEN_LINK = os.environ.get("REVIEW_SURVEY_LIMIT_OPEN_LINK", "120 per hour")
    # JSON API (/api/v1): requests per key, and the most results one page may hold.
    API_RATE_LIMIT = os.environ.get("REVIEW_API_RATE_LIMIT", "600 per minute")
    API_PAGE_MAX = int(os.environ.get("REVIEW_API_PAGE_MAX", "1000"))
    # Per-person survey results need at least this many answers (a campaign's own k takes precedence).
    SURVEY_K_THRESHOLD = int(os.environ.get("REVIEW_SURVEY_K_THRESHOLD", "3"))
    # Reminders by e-mail, when the site has an SMTP relay; without one they are shown on the site only.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes")
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "").lower() in ("1", "true", "yes")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_FROM = os.environ.get("MAIL_FROM", "review@localhost")
    # The address phones reach this site on, printed in QR codes (else the address of the request).
    REVIEW_PUBLIC_URL = os.environ.get("REVIEW_PUBLIC_URL")

    MIN_PASSWORD_LENGTH = 8
    PAGE_SIZE = 50

    @classmethod
    def check(cls, app) -> None:
        """Configuration checks at start-up."""
        if app.config.get("RESCORE_IN_BACKGROUND") and not app.config.get("REDIS_URL"):
            raise RuntimeError("REVIEW_RESCORE_IN_BACKGROUND needs REDIS_URL (the job queue) and a running "
                               "`flask --app wsgi jobs worker`.")


class DevelopmentConfig(Config):
    DEBUG = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    # Fast hashes in tests; the production method is a standard KDF (scrypt).
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    ARCHIVE_BUILD_IN_THREAD = False   # tests run the build job themselves
    MAIL_SERVER = None


class ProductionConfig(Config):
    DEBUG = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    @classmethod
    def check(cls, app) -> None:
        super().check(app)
        key = app.config.get("SECRET_KEY")
        if not key or key == DEFAULT_SECRET_KEY or len(key) < 16:
            raise RuntimeError(
                "SECRET_KEY must be set to a long random value in production "
                "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        if app.debug:
            raise RuntimeError("Debug mode must be off in production.")
        if not app.config.get("REDIS_URL"):
            app.logger.warning("REDIS_URL is not set: each worker process counts failed logins on its own, "
                               "so the effective limit is multiplied by the number of workers.")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
