"""Record ids taken from URLs: whole numbers from 1 to 2**31 - 1, the range of the id columns.

The ids are INTEGER columns: 32 bits on PostgreSQL, which refuses a larger number outright
("integer out of range"), and SQLite's driver cannot even bind one beyond 64 bits (OverflowError):
a 500 either way, where no row can have such an id. So ids are bounded where they enter:
:class:`IdConverter` replaces Werkzeug's ``int`` converter for every ``<int:...>`` route (a path
id out of range does not match: 404), and :func:`query_id` reads an id from a query string or
form (out of range: 404 with a message naming the parameter).
"""
from __future__ import annotations

import builtins

from flask import render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, ValidationError

MAX_ID = 2**31 - 1  # INTEGER on PostgreSQL; SQLite takes it too
_MAX_DIGITS = len(str(MAX_ID))


def whole_number(raw: str | None, lo: int, hi: int) -> int | None:
    """``raw`` as an int if it is ASCII digits for a number in lo..hi, else None.

    Long strings are refused before int() parses them (Python refuses above 4,300 digits with
    ValueError; below that it would still do the work for a number that cannot be in range)."""
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw.lstrip("0")) > len(str(hi)):
        return None
    value = int(raw)
    return value if lo <= value <= hi else None


class IdConverter(IntegerConverter):
    """``<int:name>``: ASCII digits for 1..MAX_ID, unless the rule gives its own min/max."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 1, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        # A rule's own max cannot lift the bound: the database could not take the number.
        bound = MAX_ID if max is None else builtins.min(max, MAX_ID)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bound, signed=signed)

    def to_python(self, value: str):
        if len(value.lstrip("0")) > _MAX_DIGITS:
            raise ValidationError()
        return super().to_python(value)


class IdOutOfRange(NotFound):
    """An id parameter that cannot name a record; its description says which parameter and why."""


def query_id(name: str, source=None) -> int | None:
    """The id in parameter ``name`` of the query string (or of ``source``, e.g. ``request.form``);
    None when it is absent or empty. Anything else that is not a whole number from 1 to MAX_ID
    aborts with 404: no record has such an id."""
    raw = (request.args if source is None else source).get(name)
    if raw is None or raw.strip() == "":
        return None
    value = whole_number(raw.strip(), 1, MAX_ID)
    if value is None:
        raise IdOutOfRange(_("%(name)s must be the id of a record: a whole number from 1 to %(max)s; "
                             "“%(value)s” is not.", name=name, max=MAX_ID, value=raw[:40]))
    return value


def _out_of_range(e: IdOutOfRange):
    from .api.errors import is_api_request, problem
    if is_api_request():
        return problem(404, "not_found", e.description)
    return render_template("errors/error.html", code=404, title=_("Page not found"), message=e.description), 404


def init_app(app) -> None:
    """Before any blueprint is registered: rules look their converter up when they are added."""
    app.url_map.converters["int"] = IdConverter
    app.register_error_handler(IdOutOfRange, _out_of_range)


MAX_PAGE = 10**9   # its offset still fits the database's 64-bit integers


def page_number(name: str = "page") -> int:
    """The page asked for in the query string; anything that is not a whole number from 1 to
    MAX_PAGE (a superscript digit, a negative, a number past 64 bits) is the first page."""
    return whole_number(request.args.get(name), 1, MAX_PAGE) or 1
