"""Numbers typed by people (hand entries, occurrences, KPI values), read and bounded in one place.

``float()`` reads ``nan``, ``inf`` and ``1e999`` without complaint, and every comparison with nan
is false, so a range check written ``value < 0 or value > most`` lets it through to the scores;
``int(inf)`` then raises OverflowError (a 500). A number is accepted here only when it is finite
and inside a declared range, and refused otherwise with a message that names the field and the
range."""
from __future__ import annotations

import math

from flask_babel import gettext as _
from wtforms import Field
from wtforms.widgets import NumberInput

from .quoting import clip

COUNT_MAX = 10_000        # occurrences of one item in one year; nobody earns or loses more
VALUE_LIMIT = 1e12        # a KPI value without a declared range: far beyond any count or amount,
                          # and sums of a province's values stay exact in a float


class NumberInvalid(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _fmt(x: float) -> str:
    return f"{x:g}"


def _shown(raw) -> str:
    return clip(str(raw).strip(), 30)


def to_float(raw, *, field: str) -> float:
    """A finite number from what was typed or sent (text with optional thousands separators, or a
    JSON number); NumberInvalid otherwise."""
    if isinstance(raw, bool) or raw is None:
        raise NumberInvalid(_("%(field)s: %(value)s is not a number.", field=field, value=_shown(raw)))
    try:
        if isinstance(raw, (int, float)):
            value = float(raw)
        else:
            text = str(raw).strip().replace(",", "").replace("，", "")
            # float() also reads "1_000", full-width and Arabic-Indic digits: not what a sheet means.
            if not text.isascii() or "_" in text:
                raise ValueError(text)
            value = float(text) + 0.0   # -0 reads as 0
    except (ValueError, OverflowError):
        raise NumberInvalid(_("%(field)s: %(value)s is not a number.", field=field, value=_shown(raw))) from None
    if not math.isfinite(value):
        raise NumberInvalid(_("%(field)s: %(value)s is not a number.", field=field, value=_shown(raw)))
    return value


def parse_number(raw, *, field: str, minimum: float, maximum: float, whole: bool = False) -> float:
    """A finite number from ``minimum`` to ``maximum`` (a whole one when ``whole``)."""
    if whole:
        # Whatever is wrong with a count, the answer is the same: what a count may be.
        wrong = _("%(field)s must be a whole number from %(min)s to %(max)s, not %(value)s.",
                  field=field, min=_fmt(minimum), max=_fmt(maximum), value=_shown(raw))
        try:
            value = to_float(raw, field=field)
        except NumberInvalid:
            raise NumberInvalid(wrong) from None
        if not value.is_integer() or not minimum <= value <= maximum:
            raise NumberInvalid(wrong)
        return value
    value = to_float(raw, field=field)
    if not minimum <= value <= maximum:
        raise NumberInvalid(_("%(field)s must be from %(min)s to %(max)s, not %(value)s.", field=field,
                              min=_fmt(minimum), max=_fmt(maximum), value=_shown(raw)))
    return value


def parse_count(raw, *, field: str, minimum: int = 0, maximum: int = COUNT_MAX) -> int:
    """A whole number of occurrences from ``minimum`` to ``maximum``."""
    return int(parse_number(raw, field=field, minimum=minimum, maximum=maximum, whole=True))


class CountField(Field):
    """A form field for a number of occurrences, read by :func:`parse_count`: the message names
    the field and the range, and ``nan``, ``1e999`` or ``10**15`` never reach the operations."""

    widget = NumberInput(step=1)

    def __init__(self, label=None, validators=None, *, minimum: int = 0, maximum: int = COUNT_MAX, **kwargs):
        render_kw = {"inputmode": "numeric", "min": minimum, "max": maximum, **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            raise ValueError(_("%(field)s is required.", field=self.label.text))
        try:
            self.data = parse_count(valuelist[0], field=str(self.label.text), minimum=self.minimum,
                                    maximum=self.maximum)
        except NumberInvalid as e:
            self.data = None
            raise ValueError(e.message) from None

