"""Charts for the appraisal file: valid SVG, right geometry, escaped labels, readable in print."""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from review.archive import charts
from review.archive.charts import bars, compare, fmt, radar
from review.pdf import CJK_FONT_STACK

NS = {"svg": charts.SVG_NS}
HOSTILE = '<script>&"'

SIX_AXES = [("司法办案", 40, 40), ("办案质量", 0, 20), ("廉洁自律", 5, 10), ("学习培训", 7.5, 10),
            ("群众满意度", 12, 0), ("加减分", 9, 5)]


def parse(svg: Markup) -> ET.Element:
    assert isinstance(svg, Markup)
    return ET.fromstring(str(svg))


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{{{charts.SVG_NS}}}text")]


def points(polygon: ET.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, pair.split(","))) for pair in polygon.get("points").split()]


def bar_rects(root: ET.Element) -> list[ET.Element]:
    return root.findall(".//svg:rect[@class='bar']", NS)


def rows(root: ET.Element) -> list[ET.Element]:
    return root.findall("svg:g[@class='row']", NS)


def every_chart(label: str = "指标") -> list[Markup]:
    return [
        radar([(label, 3, 4), ("乙", 1, 2), ("丙", 2, 2)], title=label),
        radar([(label, 3, 4)], title=label),
        bars([(label, [1.0, None])], [label, "领导"], maximum=5, title=label),
        compare([(label, 3, 4)], labels=(label, "部门平均"), title=label),
    ]


# --- numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize("value, text", [(3, "3"), (3.0, "3"), (2.5, "2.5"), (2.456, "2.46"), (0.1 + 0.2, "0.3"),
                                         (-0.001, "0"), (100.10, "100.1"), (-4.25, "-4.25")])
def test_numbers_have_at_most_two_decimals_and_no_trailing_zeros(value, text):
    assert fmt(value) == text


# --- radar -----------------------------------------------------------------------------


def test_radar_vertices_lie_at_each_share_of_the_radius():
    root = parse(radar(SIX_AXES, title="各维度得分"))
    [score] = root.findall(".//svg:polygon[@class='score']", NS)
    vertices = points(score)
    cx, cy, r = charts.RADAR_WIDTH / 2, charts.RADAR_HEIGHT / 2, charts.RADAR_RADIUS
    assert len(vertices) == 6
    # Full marks on axis 0: the top of the outer ring.
    assert vertices[0] == pytest.approx((cx, cy - r), abs=0.01)
    # Zero points, and a maximum of zero: the centre.
    assert vertices[1] == pytest.approx((cx, cy), abs=0.01)
    assert vertices[4] == pytest.approx((cx, cy), abs=0.01)
    # Half marks on axis 2 (120° clockwise from the top): half the radius out.
    angle = -math.pi / 2 + 2 * math.pi * 2 / 6
    assert vertices[2] == pytest.approx((cx + r / 2 * math.cos(angle), cy + r / 2 * math.sin(angle)), abs=0.01)
    assert math.dist(vertices[3], (cx, cy)) == pytest.approx(0.75 * r, abs=0.01)
    # Beyond the maximum (a bonus): stops at the outer ring.
    assert math.dist(vertices[5], (cx, cy)) == pytest.approx(r, abs=0.01)


def test_radar_draws_rings_at_quarters_and_labels_every_axis_with_its_value():
    root = parse(radar(SIX_AXES, title="各维度得分"))
    rings = [p for p in root.findall("svg:polygon", NS) if p.get("class") != "score"]
    cx, cy = charts.RADAR_WIDTH / 2, charts.RADAR_HEIGHT / 2
    radii = sorted(math.dist(points(ring)[0], (cx, cy)) / charts.RADAR_RADIUS for ring in rings)
    assert radii == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert len(root.findall("svg:line", NS)) == 6  # one axis each
    shown = texts(root)
    for label, _, _ in SIX_AXES:
        assert label in shown
    assert {"40/40", "0/20", "5/10", "7.5/10", "12/0", "9/5"} <= set(shown)
    assert {"25%", "50%", "75%", "100%"} <= set(shown)


def test_radar_takes_twelve_axes_inside_its_viewbox():
    axes = [(f"第{i}项考核指标的名称相当长，两行也放不下，只好截断", i, 11) for i in range(12)]
    root = parse(radar(axes, title="十二项"))
    [score] = root.findall(".//svg:polygon[@class='score']", NS)
    assert len(points(score)) == 12
    width, height = charts.RADAR_WIDTH, charts.RADAR_HEIGHT
    assert root.get("viewBox") == f"0 0 {width} {height}"
    for text in root.iter(f"{{{charts.SVG_NS}}}text"):
        x, y = float(text.get("x")), float(text.get("y"))
        estimate = charts._text_width(text.text, float(text.get("font-size")))
        left = {"start": x, "middle": x - estimate / 2, "end": x - estimate}[text.get("text-anchor")]
        assert 0 <= left and left + estimate <= width, text.text
        assert 0 < y <= height, text.text
    # Long labels were wrapped and cut, never lost from the description.
    assert any(t.endswith("…") for t in texts(root))
    assert axes[0][0] in root.find("svg:desc", NS).text


@pytest.mark.parametrize("count", [1, 2])
def test_radar_with_fewer_than_three_axes_falls_back_to_bars(count):
    axes = [("司法办案", 30, 40), ("廉洁自律", 5, 0)][:count]
    root = parse(radar(axes, title="两项"))
    assert root.find(".//svg:polygon[@class='score']", NS) is None
    assert len(rows(root)) == count
    rects = bar_rects(root)
    assert len(rects) == count
    assert float(rects[0].get("width")) == pytest.approx(0.75 * charts.BAR_LENGTH)
    if count == 2:
        assert float(rects[1].get("width")) == 0  # maximum 0 → share 0
    shown = texts(root)
    assert "30/40" in shown and "司法办案" in shown
    assert {"0%", "50%", "100%"} <= set(shown)
    assert root.find("svg:g[@class='legend']", NS) is None  # a single series needs none


# --- bars ------------------------------------------------------------------------------


def test_bar_lengths_are_proportional_to_values_on_the_common_maximum():
    root = parse(bars([("政治素质", [5, 2.5]), ("业务能力", [1, 6])], ["同事", "领导"], maximum=5, title="评分"))
    widths = [float(rect.get("width")) for rect in bar_rects(root)]
    full = charts.BAR_LENGTH
    assert widths == pytest.approx([full, full / 2, full / 5, full])  # 6 > maximum: clipped
    assert {"5", "2.5", "1", "6"} <= set(texts(root))  # …but printed as it is
    assert {"0", "1.25", "2.5", "3.75"} <= set(texts(root))  # the axis


def test_each_series_has_its_own_colour_and_marker_and_a_legend_entry():
    root = parse(bars([("政治素质", [4, 3, 2])], ["同事", "领导", "民主测评"], maximum=5, title="评分"))
    [row] = rows(root)
    fills = [rect.get("fill") for rect in bar_rects(root)]
    assert len(set(fills)) == 3
    # Greyscale: the marker after each bar differs in shape, not only in colour.
    markers = [el for el in row if el.tag != f"{{{charts.SVG_NS}}}text" and el.get("class") != "bar"]
    assert [m.tag.split("}")[1] for m in markers] == ["circle", "rect", "polygon"]
    legend = root.find("svg:g[@class='legend']", NS)
    assert [t.text for t in legend.findall("svg:text", NS)] == ["同事", "领导", "民主测评"]
    swatches = [r for r in legend.findall("svg:rect", NS) if r.get("width") == "24"]
    assert [r.get("fill") for r in swatches] == fills


def test_a_withheld_value_shows_a_dash_and_no_bar():
    root = parse(bars([("政治素质", [4.5, None]), ("业务能力", [None, None])], ["同事", "领导"], maximum=5,
                      title="评分"))
    first, second = rows(root)
    assert len(first.findall("svg:rect[@class='bar']", NS)) == 1
    assert texts(first).count("—") == 1
    assert second.findall("svg:rect", NS) == []
    assert texts(second).count("—") == 2


def test_bars_refuse_rows_that_do_not_match_the_series():
    with pytest.raises(ValueError):
        bars([("政治素质", [4.5])], ["同事", "领导"], maximum=5, title="评分")


def test_height_grows_with_the_number_of_rows():
    def height(n: int) -> float:
        root = parse(bars([(f"指标{i}", [1, 2]) for i in range(n)], ["甲", "乙"], maximum=5, title="评分"))
        _, _, _, view_height = map(float, root.get("viewBox").split())
        assert root.get("height") == f"{fmt(view_height / charts.UNITS_PER_MM)}mm"
        assert root.get("width") == "160mm"
        return view_height

    assert height(20) - height(10) == pytest.approx(2 * (height(10) - height(5)))
    assert height(10) > height(5)


# --- compare ---------------------------------------------------------------------------


def test_compare_scales_each_row_to_its_own_larger_value_and_prints_both():
    root = parse(compare([("结案数", 120, 80), ("平均审理天数", 30, 60), ("调解率", None, 40.5), ("零", 0, 0)],
                         labels=("本人", "部门平均"), title="对比"))
    full = charts.BAR_LENGTH
    per_row = [len(row.findall("svg:rect[@class='bar']", NS)) for row in rows(root)]
    assert per_row == [2, 2, 1, 2]
    widths = [float(r.get("width")) for r in bar_rects(root)]
    assert widths == pytest.approx([full, full * 2 / 3, full / 2, full, full, 0, 0], abs=0.01)
    assert texts(rows(root)[0])[-2:] == ["120", "80"]
    assert texts(rows(root)[2])[-2:] == ["—", "40.5"]
    legend = root.find("svg:g[@class='legend']", NS)
    assert [t.text for t in legend.findall("svg:text", NS)] == ["本人", "部门平均"]


# --- every chart -----------------------------------------------------------------------


def test_empty_input_gives_no_chart():
    assert radar([], title="空") == Markup("")
    assert bars([], ["同事"], maximum=5, title="空") == Markup("")
    assert bars([("指标", [])], [], maximum=5, title="空") == Markup("")
    assert compare([], labels=("本人", "部门平均"), title="空") == Markup("")


@pytest.mark.parametrize("index", range(4))
def test_labels_are_escaped_and_the_svg_still_parses(index):
    svg = every_chart(HOSTILE)[index]
    assert "<script>" not in svg
    assert "&lt;script&gt;&amp;" in svg
    root = parse(svg)  # also proves the escaped quote did not break an attribute
    assert root.find(".//svg:script", NS) is None
    assert HOSTILE in texts(root)
    assert root.get("aria-label") == HOSTILE
    assert root.find("svg:title", NS).text == HOSTILE


@pytest.mark.parametrize("index", range(4))
def test_every_chart_is_an_accessible_image_with_a_summary(index):
    root = parse(every_chart()[index])
    assert root.tag == f"{{{charts.SVG_NS}}}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "指标"
    assert root.find("svg:title", NS).text == "指标"
    assert "指标" in root.find("svg:desc", NS).text
    assert root.get("viewBox").startswith("0 0 ")
    assert root.get("width").endswith("mm") and float(root.get("width")[:-2]) <= 160


@pytest.mark.parametrize("index", range(4))
def test_every_text_carries_the_cjk_font_stack(index):
    root = parse(every_chart()[index])
    elements = list(root.iter(f"{{{charts.SVG_NS}}}text"))
    assert elements
    assert all(el.get("font-family") == CJK_FONT_STACK for el in elements)


def test_summaries_say_what_the_chart_shows():
    desc = parse(bars([("政治素质", [4.5, None])], ["同事", "领导"], maximum=5, title="评分")).find("svg:desc", NS)
    assert desc.text == "政治素质: 同事 4.5, 领导 —"
    desc = parse(radar(SIX_AXES[:3], title="得分")).find("svg:desc", NS)
    assert desc.text == "司法办案: 40/40; 办案质量: 0/20; 廉洁自律: 5/10"


def test_charts_use_nothing_weasyprint_cannot_draw():
    allowed = {"svg", "title", "desc", "g", "rect", "line", "polygon", "circle", "text"}
    for chart in every_chart() + [radar(SIX_AXES, title="六项")]:
        root = parse(chart)
        assert {el.tag.split("}")[1] for el in root.iter()} <= allowed
        assert all("style" not in el.attrib for el in root.iter())
