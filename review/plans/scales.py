"""The rating scales of the source documents (shared/domain.md), shipped as data."""
from __future__ import annotations

from .spec import Level, Scale


def _scale(code, zh, en, levels):
    return Scale(code, zh, en, tuple(Level(v, lz, le) for v, lz, le in levels))


SHIPPED: dict[str, Scale] = {s.code: s for s in (
    _scale("leader_eval", "领导评价（满意度）", "Leader evaluation", [
        (10, "满意", "Satisfied"), (8, "较满意", "Fairly satisfied"), (6, "基本满意", "Basically satisfied"),
        (4, "不太满意", "Not very satisfied"), (2, "不满意", "Dissatisfied")]),
    _scale("satisfaction", "满意度", "Satisfaction", [
        (5, "满意", "Satisfied"), (4, "较满意", "Fairly satisfied"), (3, "基本满意", "Basically satisfied"),
        (2, "不太满意", "Not very satisfied"), (1, "不满意", "Dissatisfied")]),
    _scale("grade_civil", "优秀／称职／基本称职／不称职", "Excellent / competent / basically competent / incompetent", [
        (100, "优秀", "Excellent"), (80, "称职", "Competent"), (60, "基本称职", "Basically competent"),
        (40, "不称职", "Incompetent")]),
    _scale("grade_four", "优秀／良好／合格／不合格", "Excellent / good / pass / fail", [
        (100, "优秀", "Excellent"), (80, "良好", "Good"), (60, "合格", "Pass"), (40, "不合格", "Fail")]),
    _scale("grade_five", "优秀／良好／一般／较差／差", "Five levels", [
        (100, "优秀", "Excellent"), (85, "良好", "Good"), (70, "一般", "Fair"), (55, "较差", "Poor"),
        (40, "差", "Bad")]),
)}
