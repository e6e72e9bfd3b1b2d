"""An appraisal file's PDF: the plain data of review/archive/document.py laid out by
templates/archive/file.html, with vector charts, rendered by WeasyPrint through the fetcher that
serves only the application's static files and data: URLs (review/pdf.py)."""
from __future__ import annotations

import base64
from datetime import datetime

from flask_babel import format_datetime
from markupsafe import Markup

from ..core.tokens import format_code
from ..pdf import render_pdf_template
from . import charts
from .document import AppraisalFile

SELF = "自评"


def render(f: AppraisalFile, *, code: str, version: int, generated_at: datetime) -> bytes:
    """PDF bytes of the file. ``code``: the canonical verification code printed on every page."""
    return render_pdf_template(
        "archive/file.html", f=f, code=format_code(code), version=version,
        generated=format_datetime(generated_at, "yyyy-MM-dd HH:mm"),
        header=" · ".join(p for p in (f.name, f.unit, f.department) if p), **figures(f))


def figures(f: AppraisalFile) -> dict:
    """The charts of the file, as SVG images."""
    titles = {"radar": "各维度得分率", "ballot_chart": "各评价主体平均分", "self_chart": "自评与他评",
              "kpi_chart": "业务数据与部门平均"}
    out = {"radar": charts.radar([(d.name, d.points, d.maximum) for d in f.dimensions], title=titles["radar"])}
    if f.ballots and f.ballots.rows:
        b = f.ballots
        out["ballot_chart"] = charts.bars([(r.indicator, r.means) for r in b.rows], b.groups, maximum=b.top,
                                          title=titles["ballot_chart"])
        if SELF in b.groups:
            at = b.groups.index(SELF)
            rows = []
            for r in b.rows:
                others = [(m * n, n) for i, (m, n) in enumerate(zip(r.means, r.counts)) if i != at and m is not None]
                total = sum(n for _s, n in others)
                rows.append((r.indicator, [r.means[at], sum(s for s, _n in others) / total if total else None]))
            out["self_chart"] = charts.bars(rows, ["自评", "他评"], maximum=b.top, title=titles["self_chart"])
    if f.kpis:
        out["kpi_chart"] = charts.compare([(k.name, k.value, k.department_mean) for k in f.kpis],
                                          labels=("本人", "部门平均"), title=titles["kpi_chart"])
    return {name: _image(svg, titles[name]) for name, svg in out.items() if svg}


def _image(svg: Markup, title: str) -> Markup:
    """The chart as an ``<img>`` of its SVG rather than inline: WeasyPrint then reads it with the
    XML parser instead of its HTML parser and gives its elements no CSS cascade, which takes about
    50 ms off each file (the page shows the same vector drawing and text)."""
    data = base64.b64encode(str(svg).encode()).decode("ascii")
    return Markup('<img alt="{}" src="data:image/svg+xml;base64,{}">').format(title, data)
