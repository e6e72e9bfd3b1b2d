"""The institution's own words: staff categories (三类人员) and leader-role names.

Codes are fixed; labels follow the kind of institution (检察院, 法院, 司法局) and
can be edited by an administrator. Presets (review/org/presets.py) fill them in one step;
LeaderRole.label reads the stored role names (review/org/models.py)."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from .models import Category, LeaderRole, LeaderRoleLabel, forget_role_labels
from .presets import CATEGORY_CODES, DEFAULT_PRESET, PRESETS


def ensure_terminology(preset: str = DEFAULT_PRESET, *, relabel: bool = False) -> None:
    """Create missing categories and role labels; with ``relabel`` apply the preset to existing ones too."""
    words = PRESETS[preset]
    cats = {c.code: c for c in db.session.scalars(select(Category))}
    for order, code in enumerate(CATEGORY_CODES):
        zh, en = words["categories"][code]
        if code not in cats:
            db.session.add(Category(code=code, label_zh=zh, label_en=en, sort_order=order))
        elif relabel:
            cats[code].label_zh, cats[code].label_en = zh, en
    roles = {r.role: r for r in db.session.scalars(select(LeaderRoleLabel))}
    for role in LeaderRole:
        zh, en = words["roles"][role.value]
        if role.value not in roles:
            db.session.add(LeaderRoleLabel(role=role.value, label_zh=zh, label_en=en))
        elif relabel:
            roles[role.value].label_zh, roles[role.value].label_en = zh, en
    db.session.flush()
    forget_role_labels()


def all_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.sort_order, Category.code)))


def all_role_labels() -> list[LeaderRoleLabel]:
    order = {r.value: i for i, r in enumerate(LeaderRole)}
    return sorted(db.session.scalars(select(LeaderRoleLabel)), key=lambda r: order.get(r.role, 99))
