"""WSGI entry point: `flask --app wsgi ...` and `gunicorn wsgi:app`.

REVIEW_ENV selects the configuration (development, production); it defaults
to development so that `make run` works on a fresh machine."""
import os

from review import create_app

app = create_app(os.environ.get("REVIEW_ENV", "development"))
