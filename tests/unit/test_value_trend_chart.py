"""The stock value trend chart: a well-formed SVG with one point per month, exact values in
the tooltips, text escaped, and the empty, negative and huge cases drawn inside the frame."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from delivery import charts

NS = {"s": "http://www.w3.org/2000/svg"}


def _points(values):
    return [{"month": f"2026-{i + 1:02d}", "value": Decimal(v)} for i, v in enumerate(values)]


def _circles(svg: str):
    return ET.fromstring(svg).findall("s:circle", NS)


def test_one_point_per_month_with_its_exact_value():
    svg = charts.value_trend_svg("Stock value", _points(["0", "1234.50", "99999999.99"]))
    circles = _circles(svg)
    assert len(circles) == 3
    tips = [c.find("s:title", NS).text for c in circles]
    assert tips == ["2026-01: 0.00", "2026-02: 1,234.50", "2026-03: 99,999,999.99"]
    ys = [float(c.get("cy")) for c in circles]
    assert all(charts.TOP <= y <= charts.TOP + charts.PLOT_H for y in ys)
    assert ys[0] >= ys[1] > ys[2]  # larger values sit higher (1,234.50 is a hair above 0)


def test_empty_and_all_zero_say_so():
    for points in ([], _points(["0", "0"])):
        root = ET.fromstring(charts.value_trend_svg("t", points))
        assert root.find("s:text[@class='empty']", NS).text == charts.NO_STOCK


def test_negative_values_stay_inside_the_plot():
    circles = _circles(charts.value_trend_svg("t", _points(["-50", "100"])))
    ys = [float(c.get("cy")) for c in circles]
    assert all(charts.TOP <= y <= charts.TOP + charts.PLOT_H for y in ys)


def test_text_is_escaped():
    svg = charts.value_trend_svg("<b>&", [{"month": "<x>", "value": Decimal(1)}])
    root = ET.fromstring(svg)  # parses: nothing leaked as markup
    assert root.find("s:title", NS).text == "<b>&"
