"""Locale selection and message catalogs.

Babel parses "zh_CN" as zh_Hans_CN and looks for catalogs under that name (then
"zh"), which is why the Chinese catalog lives in translations/zh_Hans_CN."""
from __future__ import annotations

import os

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, has_request_context, session
from flask_babel import get_locale
from flask_login import current_user

TRANSLATIONS_DIR = os.path.join(os.path.dirname(__file__), "translations")


def select_locale() -> str:
    """The user's explicit choice (session, then account), else the site default.

    The browser's Accept-Language is deliberately ignored: the platform speaks
    Chinese first, whatever language the machine's browser happens to be set to."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]  # CLI, background jobs
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def scoring_lang() -> str:
    """The language of the scoring engine's texts (review/scoring/messages.py) for this request."""
    locale = get_locale() if has_request_context() else None
    return "en" if locale is not None and locale.language == "en" else "zh"


def compile_catalogs(directory: str = TRANSLATIONS_DIR) -> list[str]:
    """Compile every .po whose .mo is missing or older. Returns the catalogs written.

    The Makefile compiles too; doing it here as well means a checkout started any
    other way never runs without its translations."""
    written = []
    if not os.path.isdir(directory):
        return written
    for lang in sorted(os.listdir(directory)):
        po_path = os.path.join(directory, lang, "LC_MESSAGES", "messages.po")
        mo_path = po_path[:-2] + "mo"
        if not os.path.exists(po_path):
            continue
        if os.path.exists(mo_path) and os.path.getmtime(mo_path) >= os.path.getmtime(po_path):
            continue
        if not os.access(os.path.dirname(mo_path), os.W_OK):
            continue
        with open(po_path, "rb") as f:
            catalog = read_po(f, locale=lang)
        tmp = mo_path + ".tmp"
        with open(tmp, "wb") as f:
            write_mo(f, catalog, use_fuzzy=False)
        os.replace(tmp, mo_path)
        written.append(lang)
    return written
