"""Staff categories (三类人员) and the label presets for each kind of institution."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from .models import Category

CATEGORY_CODES = ("quota", "assistant", "admin")

PRESETS: dict[str, dict[str, tuple[str, str]]] = {
    "procuratorate": {
        "quota": ("员额检察官", "Quota prosecutor"),
        "assistant": ("检察辅助人员", "Prosecutorial assistant"),
        "admin": ("司法行政人员", "Judicial administrative staff"),
    },
    "court": {
        "quota": ("员额法官", "Quota judge"),
        "assistant": ("审判辅助人员", "Judicial assistant"),
        "admin": ("司法行政人员", "Judicial administrative staff"),
    },
    "justice": {
        "quota": ("领导干部", "Leading cadre"),
        "assistant": ("业务人员", "Operational staff"),
        "admin": ("综合行政人员", "Administrative staff"),
    },
}


def ensure_categories(preset: str = "procuratorate", *, relabel: bool = False) -> list[Category]:
    """Create the three categories if missing; with ``relabel`` apply the preset's labels to existing ones."""
    labels = PRESETS[preset]
    existing = {c.code: c for c in db.session.scalars(select(Category))}
    for order, code in enumerate(CATEGORY_CODES):
        zh, en = labels[code]
        cat = existing.get(code)
        if cat is None:
            db.session.add(Category(code=code, label_zh=zh, label_en=en, sort_order=order))
        elif relabel:
            cat.label_zh, cat.label_en = zh, en
    db.session.flush()
    return list(db.session.scalars(select(Category).order_by(Category.sort_order)))


def all_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.sort_order, Category.code)))
