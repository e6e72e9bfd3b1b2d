"""Extension objects, created unbound and wired in create_app()."""
import logging

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names: Alembic batch migrations on SQLite need them, and
# PostgreSQL migrations can then drop constraints by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class _Forward(logging.Handler):
    """Hands each record to another logger, hence to its handlers and its ancestors'."""

    def __init__(self, target: logging.Logger):
        super().__init__()
        self.target = target

    def emit(self, record: logging.LogRecord) -> None:
        self.target.handle(record)


def log_limiter_to(logger: logging.Logger) -> None:
    """Flask-Limiter logs on a logger of its own that has only a NullHandler: unless the server sets
    up logging, its warnings (Redis unreachable, counting in this process instead) reach nobody.
    They go to the application's log instead (once, not twice when logging is set up)."""
    source = logging.getLogger("flask-limiter")
    if not any(isinstance(h, _Forward) for h in source.handlers):
        source.addHandler(_Forward(logger))
        source.propagate = False
