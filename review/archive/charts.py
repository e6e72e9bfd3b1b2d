"""Vector charts for the yearly appraisal PDF: plain numbers in, inline SVG out.

WeasyPrint draws inline SVG itself, so these charts stay sharp in print and need no
browser, no JavaScript and no image files. They use only what its SVG renderer
supports: lines, rects, polygons, circles and text, styled by presentation attributes
(no stylesheets, no ``foreignObject``). The few ``class`` attributes name the parts
(legend, rows, bars, the score polygon) for code that reads a chart, not for styling.

The appraisal file is printed, often in black and white, so a series is never told
apart by colour alone: each also has its own marker shape, and the palette steps in
lightness. Every label is text people typed (indicator, group and measure names) and is
escaped. Captions belong to the template; each chart carries its title for screen
readers only.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from review.pdf import CJK_FONT_STACK

__all__ = ["PALETTE", "MARKERS", "radar", "bars", "compare"]

SVG_NS = "http://www.w3.org/2000/svg"

# Okabe–Ito colours (readable with any common colour-vision deficiency), ordered so that
# neighbouring series differ most in greyscale lightness.
PALETTE = ("#0b4f8a", "#e69f00", "#009e73", "#f0e442", "#d55e00", "#56b4e9")
MARKERS = ("circle", "square", "triangle", "diamond", "cross", "bar")

INK = "#222222"
GRID = "#b0b0b0"
MUTED = "#666666"
MISSING = "—"

# Drawing units: 4 per millimetre, so a 640-unit-wide chart prints 160 mm wide, the text
# width of an A4 page with 25 mm margins.
UNITS_PER_MM = 4
FONT_SIZE = 11  # 2.75 mm, about 8 pt
SMALL_FONT_SIZE = 9

# Horizontal bar charts.
BAR_WIDTH = 640
LABEL_WIDTH = 150
BAR_X = 160
BAR_LENGTH = 400
BAR_HEIGHT = 12
BAR_GAP = 3
ROW_PADDING = 12
LEGEND_LINE = 18
AXIS_HEIGHT = 18
MARGIN = 6

# Radar charts: 120 × 90 mm.
RADAR_WIDTH = 480
RADAR_HEIGHT = 360
RADAR_RADIUS = 110
RADAR_RINGS = (0.25, 0.5, 0.75, 1.0)
RADAR_LABEL_WIDTH = 110
RADAR_MIN_AXES = 3


def fmt(value: float) -> str:
    """A number as people read it: at most two decimals, no trailing zeros, no ``-0``."""
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def radar(axes: Sequence[tuple[str, float, float]], *, title: str) -> Markup:
    """The person's score by dimension, each as its share of the dimension's maximum.

    ``axes`` are ``(label, points, maximum)``. Dimensions weigh differently, so the
    shape compares shares, and each vertex says ``points/maximum``. A maximum of zero
    (or less) draws a share of 0; points beyond the maximum stop at the outer ring but
    keep their value. With fewer than three dimensions there is no polygon to draw, so
    the same shares come out as horizontal bars.
    """
    if not axes:
        return Markup("")
    shares = [_share(points, maximum) for _, points, maximum in axes]
    texts = [_ratio(points, maximum) for _, points, maximum in axes]
    summary = "; ".join(f"{label}: {text}" for (label, _, _), text in zip(axes, texts))
    if len(axes) < RADAR_MIN_AXES:
        return _bar_chart(
            title=title,
            summary=summary,
            rows=[_BarRow(label, [share], [text]) for (label, _, _), share, text in zip(axes, shares, texts)],
            series=[],
            ticks=[(ring, f"{fmt(ring * 100)}%") for ring in (0.0, *RADAR_RINGS)],
        )
    return _radar(title, summary, [label for label, _, _ in axes], shares, texts)


def bars(
    rows: Sequence[tuple[str, Sequence[float | None]]],
    series: Sequence[str],
    *,
    maximum: float,
    title: str,
) -> Markup:
    """Grouped horizontal bars on one common scale from 0 to ``maximum``.

    Each row is ``(label, values)`` with one value per name in ``series`` (say, the mean
    score given by each rater group for an indicator). ``None`` is a figure withheld
    under the anonymity threshold: it gets a dash and no bar, so a reader cannot mistake
    it for a zero. Values outside 0…maximum are drawn clipped and printed as they are.
    """
    if not rows or not series:
        return Markup("")
    for label, values in rows:
        if len(values) != len(series):
            raise ValueError(f"row {label!r} has {len(values)} values for {len(series)} series")
    drawn = [
        _BarRow(label, [_fraction(value, maximum) for value in values], [_value_text(v) for v in values])
        for label, values in rows
    ]
    summary = "; ".join(
        f"{label}: " + ", ".join(f"{name} {_value_text(value)}" for name, value in zip(series, values))
        for label, values in rows
    )
    ticks = [(step / 4, fmt(maximum * step / 4)) for step in range(5)] if maximum > 0 else []
    return _bar_chart(title=title, summary=summary, rows=drawn, series=list(series), ticks=ticks)


def compare(
    rows: Sequence[tuple[str, float | None, float | None]],
    *,
    labels: tuple[str, str],
    title: str,
) -> Markup:
    """The person's value beside the department average, one KPI measure a row.

    Measures have different units (cases, days, percent), so each row is scaled to the
    larger of its own two values and there is no common axis; both numbers are printed.
    ``labels`` names the two series, e.g. ``("本人", "部门平均")``; ``None`` is a value
    that is missing or withheld and is shown as a dash without a bar.
    """
    if not rows:
        return Markup("")
    drawn = []
    for label, own, average in rows:
        present = [abs(v) for v in (own, average) if _finite(v)]
        scale = max(present, default=0.0)
        drawn.append(
            _BarRow(label, [_fraction(own, scale), _fraction(average, scale)], [_value_text(own), _value_text(average)])
        )
    summary = "; ".join(
        f"{label}: {labels[0]} {_value_text(own)}, {labels[1]} {_value_text(average)}" for label, own, average in rows
    )
    return _bar_chart(title=title, summary=summary, rows=drawn, series=list(labels), ticks=[])


# --- shared drawing -------------------------------------------------------------------


@dataclass(frozen=True)
class _BarRow:
    label: str
    lengths: list[float | None]  # 0…1 of the bar area, None for no bar
    texts: list[str]


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _share(points: float, maximum: float) -> float:
    if not (_finite(points) and _finite(maximum)) or maximum <= 0:
        return 0.0
    return min(max(points / maximum, 0.0), 1.0)


def _fraction(value: float | None, maximum: float) -> float | None:
    if not _finite(value):
        return None
    return _share(value, maximum)


def _ratio(points: float, maximum: float) -> str:
    return f"{_value_text(points)}/{_value_text(maximum)}"


def _value_text(value: float | None) -> str:
    return fmt(value) if _finite(value) else MISSING


def _c(value: float) -> str:
    """A coordinate: two decimals are far below what a printer resolves."""
    return fmt(value)


def _text_width(text: str, font_size: float = FONT_SIZE) -> float:
    """Estimated advance: CJK and full-width characters are square, Latin about half."""
    return sum(font_size if ord(ch) >= 0x2E80 else font_size * 0.56 for ch in text)


def _wrap(text: str, width: float, *, lines: int = 2, font_size: float = FONT_SIZE) -> list[str]:
    """Breaks a label into at most ``lines`` lines; the last one ends in … if cut.

    Chinese has no spaces to break at, so the break falls between any two characters.
    The full label stays in the chart's description for screen readers.
    """
    out: list[str] = []
    current = ""
    for ch in text:
        if _text_width(current + ch, font_size) > width and current:
            out.append(current)
            current = ""
            if len(out) == lines:
                break
        current += ch
    else:
        if current or not out:
            out.append(current)
        return out
    last = out[-1]
    while last and _text_width(last + "…", font_size) > width:
        last = last[:-1]
    out[-1] = last + "…"
    return out


def _text(x: float, y: float, content: str, *, anchor: str = "start", size: float = FONT_SIZE,
          fill: str = INK) -> str:
    return (
        f'<text x="{_c(x)}" y="{_c(y)}" font-family="{escape(CJK_FONT_STACK)}" font-size="{fmt(size)}" '
        f'fill="{fill}" text-anchor="{anchor}">{escape(content)}</text>'
    )


def _lines_text(x: float, y: float, lines: list[str], *, anchor: str, size: float = FONT_SIZE) -> str:
    """Several lines whose block is vertically centred on ``y`` (one <text> each)."""
    step = size * 1.2
    first = y - step * (len(lines) - 1) / 2 + size * 0.35
    return "".join(_text(x, first + i * step, line, anchor=anchor, size=size) for i, line in enumerate(lines))


def _svg(title: str, summary: str, width: float, height: float, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="{SVG_NS}" role="img" aria-label="{escape(title)}" viewBox="0 0 {_c(width)} {_c(height)}" '
        f'width="{_c(width / UNITS_PER_MM)}mm" height="{_c(height / UNITS_PER_MM)}mm">'
        f"<title>{escape(title)}</title><desc>{escape(summary)}</desc>" + "".join(body) + "</svg>"
    )


def _marker(kind: str, x: float, y: float, size: float = 4.0) -> str:
    """A black shape drawn on a bar's end and in the legend: it survives greyscale."""
    common = f'fill="{INK}" stroke="#ffffff" stroke-width="0.8"'
    if kind == "circle":
        return f'<circle cx="{_c(x)}" cy="{_c(y)}" r="{_c(size)}" {common}/>'
    if kind == "square":
        return f'<rect x="{_c(x - size)}" y="{_c(y - size)}" width="{_c(2 * size)}" height="{_c(2 * size)}" {common}/>'
    if kind == "triangle":
        points = [(x, y - size * 1.15), (x + size * 1.15, y + size), (x - size * 1.15, y + size)]
    elif kind == "diamond":
        points = [(x, y - size * 1.25), (x + size * 1.25, y), (x, y + size * 1.25), (x - size * 1.25, y)]
    elif kind == "cross":
        a, b = size * 1.2, size * 0.4
        points = [(x - a, y - b), (x - b, y - b), (x - b, y - a), (x + b, y - a), (x + b, y - b), (x + a, y - b),
                  (x + a, y + b), (x + b, y + b), (x + b, y + a), (x - b, y + a), (x - b, y + b), (x - a, y + b)]
    else:  # "bar": a short vertical stroke
        points = [(x - size * 0.45, y - size * 1.2), (x + size * 0.45, y - size * 1.2),
                  (x + size * 0.45, y + size * 1.2), (x - size * 0.45, y + size * 1.2)]
    return f'<polygon points="{_points(points)}" {common}/>'


def _points(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{_c(x)},{_c(y)}" for x, y in points)


def _legend(series: list[str], top: float) -> tuple[list[str], float]:
    """The series names laid out left to right, wrapping; returns (elements, height)."""
    if len(series) < 2:
        return [], 0.0
    parts: list[str] = []
    x, y = BAR_X, top + LEGEND_LINE / 2
    for index, name in enumerate(series):
        label = _wrap(name, LABEL_WIDTH, lines=1)[0]
        width = 34 + _text_width(label) + 16
        if x + width > BAR_WIDTH and x > BAR_X:
            x, y = BAR_X, y + LEGEND_LINE
        parts.append(
            f'<rect x="{_c(x)}" y="{_c(y - BAR_HEIGHT / 2)}" width="24" height="{BAR_HEIGHT}" '
            f'fill="{PALETTE[index % len(PALETTE)]}" stroke="{INK}" stroke-width="0.6"/>'
        )
        parts.append(_marker(MARKERS[index % len(MARKERS)], x + 24, y))
        parts.append(_text(x + 34, y + FONT_SIZE * 0.35, label))
        x += width
    return ['<g class="legend">', *parts, "</g>"], y + LEGEND_LINE / 2 - top


def _bar_chart(*, title: str, summary: str, rows: list[_BarRow], series: list[str],
               ticks: list[tuple[float, str]]) -> Markup:
    """Rows of one or more horizontal bars; the height grows with the number of rows."""
    per_row = len(rows[0].lengths)
    body, legend_height = _legend(series, MARGIN)
    top = MARGIN + legend_height + (MARGIN if legend_height else 0)
    row_height = per_row * BAR_HEIGHT + (per_row - 1) * BAR_GAP + ROW_PADDING
    plot_height = row_height * len(rows)
    height = top + plot_height + (AXIS_HEIGHT if ticks else 0) + MARGIN

    for fraction, text in ticks:
        x = BAR_X + fraction * BAR_LENGTH
        body.append(f'<line x1="{_c(x)}" y1="{_c(top)}" x2="{_c(x)}" y2="{_c(top + plot_height)}" '
                    f'stroke="{GRID}" stroke-width="0.6" stroke-dasharray="2 2"/>')
        body.append(_text(x, top + plot_height + SMALL_FONT_SIZE + 4, text, anchor="middle",
                          size=SMALL_FONT_SIZE, fill=MUTED))
    body.append(f'<line x1="{BAR_X}" y1="{_c(top)}" x2="{BAR_X}" y2="{_c(top + plot_height)}" '
                f'stroke="{INK}" stroke-width="0.8"/>')

    for index, row in enumerate(rows):
        row_top = top + index * row_height
        body.append('<g class="row">')
        body.append(_lines_text(BAR_X - 8, row_top + row_height / 2, _wrap(row.label, LABEL_WIDTH), anchor="end"))
        for k, (length, text) in enumerate(zip(row.lengths, row.texts)):
            y = row_top + ROW_PADDING / 2 + k * (BAR_HEIGHT + BAR_GAP)
            middle = y + BAR_HEIGHT / 2
            if length is None:
                body.append(_text(BAR_X + 6, middle + FONT_SIZE * 0.35, MISSING, fill=MUTED))
                continue
            width = length * BAR_LENGTH
            body.append(
                f'<rect class="bar" x="{BAR_X}" y="{_c(y)}" width="{_c(width)}" height="{BAR_HEIGHT}" '
                f'fill="{PALETTE[k % len(PALETTE)]}" stroke="{INK}" stroke-width="0.6"/>'
            )
            end = BAR_X + width
            if series:
                body.append(_marker(MARKERS[k % len(MARKERS)], end, middle))
            body.append(_text(end + 8, middle + FONT_SIZE * 0.35, text))
        body.append("</g>")
    return _svg(title, summary, BAR_WIDTH, height, body)


def _radar(title: str, summary: str, labels: list[str], shares: list[float], texts: list[str]) -> Markup:
    """The polygon of shares over rings at 25/50/75/100 %, first axis straight up."""
    cx, cy, radius = RADAR_WIDTH / 2, RADAR_HEIGHT / 2, RADAR_RADIUS
    count = len(labels)
    directions = [
        (math.cos(-math.pi / 2 + 2 * math.pi * i / count), math.sin(-math.pi / 2 + 2 * math.pi * i / count))
        for i in range(count)
    ]

    def at(i: int, r: float) -> tuple[float, float]:
        return cx + r * directions[i][0], cy + r * directions[i][1]

    body: list[str] = []
    for ring in RADAR_RINGS:
        body.append(
            f'<polygon points="{_points([at(i, ring * radius) for i in range(count)])}" fill="none" '
            f'stroke="{INK if ring == 1 else GRID}" stroke-width="{0.8 if ring == 1 else 0.6}"/>'
        )
        # On the left of the first axis; the first vertex's value sits on its right.
        body.append(_text(cx - 3, cy - ring * radius - 2, f"{fmt(ring * 100)}%", anchor="end",
                          size=SMALL_FONT_SIZE, fill=MUTED))
    for i in range(count):
        x, y = at(i, radius)
        body.append(f'<line x1="{_c(cx)}" y1="{_c(cy)}" x2="{_c(x)}" y2="{_c(y)}" stroke="{GRID}" stroke-width="0.6"/>')

    vertices = [at(i, share * radius) for i, share in enumerate(shares)]
    body.append(f'<polygon class="score" points="{_points(vertices)}" fill="#c6dbef" fill-opacity="0.75" '
                f'stroke="{PALETTE[0]}" stroke-width="1.6" stroke-linejoin="round"/>')
    for i, ((x, y), (dx, dy), text) in enumerate(zip(vertices, directions, texts)):
        body.append(_marker(MARKERS[0], x, y, size=2.6))
        # Beside the vertex, clockwise of its axis, so it crosses neither the axis nor
        # the ring labels; small shares keep some distance from the centre, where the
        # values of all axes would otherwise pile up.
        x, y = at(i, max(shares[i], 0.3) * radius)
        px, py = -dy, dx
        body.append(_text(x + 6 * px, y + 6 * py + _baseline_shift(py, FONT_SIZE), text,
                          anchor=_anchor(px), size=SMALL_FONT_SIZE + 1))

    for i, label in enumerate(labels):
        dx, dy = directions[i]
        x, y = at(i, radius + 12)
        lines = _wrap(label, RADAR_LABEL_WIDTH)
        step = FONT_SIZE * 1.2
        block = step * (len(lines) - 1)
        # Grow the label block away from the chart: upwards above it, downwards below.
        centre = y + (dy * (block / 2 + FONT_SIZE * 0.6))
        body.append(_lines_text(x, centre, lines, anchor=_anchor(dx)))
    return _svg(title, summary, RADAR_WIDTH, RADAR_HEIGHT, body)


def _anchor(dx: float) -> str:
    if dx > 0.2:
        return "start"
    if dx < -0.2:
        return "end"
    return "middle"


def _baseline_shift(dy: float, size: float) -> float:
    """Moves a text's baseline so that the text, not its baseline, sits at the point."""
    return size * (0.35 + 0.5 * dy)
