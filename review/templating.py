"""Template globals and filters: localised dates and numbers, navigation."""
from __future__ import annotations

from flask import current_app, request
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user

from .core.access import AUDIT_READERS, DIRECTORY_EDITORS, DIRECTORY_READERS, Role


def register_template_helpers(app) -> None:
    app.jinja_env.filters["date"] = lambda v, fmt="medium": format_date(v, fmt) if v else ""
    app.jinja_env.filters["datetime"] = lambda v, fmt="medium": format_datetime(v, fmt) if v else ""
    app.jinja_env.filters["number"] = lambda v: format_decimal(v) if v is not None else ""
    # A number as a form value: 10.0 → "10", 2.5 → "2.5" (what float() reads back).
    app.jinja_env.filters["plain"] = lambda v: f"{v:g}"
    # Numbers in printed files: at most two decimals, no trailing zeros (as the explanations write them).
    # Text inside a CSS string (print headers): backslashes, quotes and line breaks escaped, so typed
    # text cannot end the string or the rule.
    app.jinja_env.filters["cssstr"] = lambda v: "".join(
        f"\\{ord(c):x} " if c in '\\"\'<>&' or ord(c) < 32 else c for c in str(v or ""))
    app.jinja_env.filters["pdfnum"] = lambda v: f"{round(v, 2):g}" if v is not None else "—"
    # Imported macros see globals, not the context: a stored result's lines, in the reader's language.
    app.jinja_env.globals["result_lines"] = _result_lines

    @app.context_processor
    def inject():
        def can(what: str) -> bool:
            if not current_user.is_authenticated:
                return False
            allowed = {
                "directory": DIRECTORY_READERS,
                "edit_directory": DIRECTORY_EDITORS,
                "audit": AUDIT_READERS,
                "users": (Role.ADMIN,),
                "team": (Role.LEADER, Role.ADMIN, Role.OFFICE),
                "api_keys": (Role.ADMIN, Role.OFFICE),
                "results_edit": (Role.ADMIN, Role.OFFICE),
                "archive": DIRECTORY_READERS,
            }[what]
            return current_user.role in allowed

        locale = get_locale()
        return {
            "can": can,
            "languages": current_app.config["LANGUAGES"],
            "current_locale": "en" if locale is not None and locale.language == "en" else "zh_CN",
            "html_lang": "en" if locale is not None and locale.language == "en" else "zh-CN",
            "current_path": request.full_path if request else "/",
        }


def _result_lines(result, plan):
    from .results.breakdown import result_lines
    return result_lines(result, plan)
