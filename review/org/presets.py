"""The words each kind of institution uses for its staff categories and leader roles: data only,
so that the models (a role's label) and the terminology operations (applying a preset) both read it."""
from __future__ import annotations

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
