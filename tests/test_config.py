"""Configuration: production refuses unsafe settings; URLs are normalised."""
import pytest

from config import ProductionConfig, database_url
from review import create_app


def test_production_refuses_the_default_secret_key(monkeypatch):
    class Prod(ProductionConfig):
        SECRET_KEY = "dev-insecure-change-me"
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Prod)


def test_production_starts_with_a_real_key_and_secure_cookies():
    class Prod(ProductionConfig):
        SECRET_KEY = "x" * 64
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    app = create_app(Prod)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.debug is False


def test_database_url_goes_through_psycopg3():
    assert database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url(None) == "sqlite:///review.db"
