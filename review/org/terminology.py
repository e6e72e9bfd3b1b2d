"""The institution's own words: staff categories (三类人员) and leader-role names.

Codes are fixed; labels follow the kind of institution (检察院, 法院, 司法局) and
can be edited by an administrator. Presets fill them in one step."""
from __future__ import annotations

from flask import g, has_app_context
from flask_babel import get_locale
from sqlalchemy import select

from ..extensions import db
from .models import Category, LeaderRole, LeaderRoleLabel

CATEGORY_CODES = ("quota", "assistant", "admin")

PRESETS: dict[str, dict[str, dict[str, tuple[str, str]]]] = {
    "procuratorate": {
        "categories": {
            "quota": ("员额检察官", "Quota prosecutor"),
            "assistant": ("检察辅助人员", "Prosecutorial assistant"),
            "admin": ("司法行政人员", "Judicial administrative staff"),
        },
        "roles": {
            "chief": ("检察长", "Chief prosecutor"),
            "deputy": ("副检察长", "Deputy chief prosecutor"),
            "member": ("专职委员", "Full-time committee member"),
            "head": ("部门负责人", "Department head"),
        },
    },
    "court": {
        "categories": {
            "quota": ("员额法官", "Quota judge"),
            "assistant": ("审判辅助人员", "Judicial assistant"),
            "admin": ("司法行政人员", "Judicial administrative staff"),
        },
        "roles": {
            "chief": ("院长", "President"),
            "deputy": ("副院长", "Vice-president"),
            "member": ("专职委员", "Full-time committee member"),
            "head": ("部门负责人", "Division head"),
        },
    },
    "justice": {
        "categories": {
            "quota": ("领导干部", "Leading cadre"),
            "assistant": ("业务人员", "Operational staff"),
            "admin": ("综合行政人员", "Administrative staff"),
        },
        "roles": {
            "chief": ("局长", "Director"),
            "deputy": ("副局长", "Deputy director"),
            "member": ("党组成员", "Party group member"),
            "head": ("科室负责人", "Section head"),
        },
    },
}
DEFAULT_PRESET = "procuratorate"


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
    g.pop("_role_labels", None) if has_app_context() else None


def all_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.sort_order, Category.code)))


def all_role_labels() -> list[LeaderRoleLabel]:
    order = {r.value: i for i, r in enumerate(LeaderRole)}
    return sorted(db.session.scalars(select(LeaderRoleLabel)), key=lambda r: order.get(r.role, 99))


def role_labels() -> dict[str, tuple[str, str]]:
    """role → (zh, en), read once per request; the procuratorate words where none are stored."""
    cached = g.get("_role_labels") if has_app_context() else None
    if cached is None:
        cached = dict(PRESETS[DEFAULT_PRESET]["roles"])
        if has_app_context():
            cached.update({r.role: (r.label_zh, r.label_en) for r in db.session.scalars(select(LeaderRoleLabel))})
            g._role_labels = cached
    return cached


def role_label(role: LeaderRole, locale_language: str | None = None) -> str:
    zh, en = role_labels()[role.value]
    if locale_language is None:
        locale = get_locale() if has_app_context() else None
        locale_language = locale.language if locale is not None else "zh"
    return en if locale_language == "en" else zh
