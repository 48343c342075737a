"""The forecast chart: history, the forecast mean and the band between two quantiles, as SVG."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

from delivery import charts

NS = {"s": "http://www.w3.org/2000/svg"}


def _weeks(n: int, start: int = 0) -> list[date]:
    return [date(2026, 1, 5) + timedelta(weeks=start + i) for i in range(n)]


def _forecast(periods, mean=4.0):
    return [{"period": p, "mean": mean, "lo_80": mean / 2, "hi_80": mean * 1.5} for p in periods]


def test_history_forecast_and_band_are_drawn_and_parse_as_xml():
    history = [{"period": p, "qty": float(i)} for i, p in enumerate(_weeks(10))]
    svg = charts.forecast_band_svg("BOLT-1 in MAIN", history, _forecast(_weeks(4, 10)))
    root = ET.fromstring(svg)
    band = root.find("s:polygon[@class='band']", NS)
    points = band.get("points").split()
    assert len(points) == 8  # the upper edge out, the lower edge back
    assert root.find("s:path[@class='history']", NS).get("d").count("L") == 9
    assert root.find("s:path[@class='forecast']", NS).get("d").count("L") == 3
    assert len(root.findall("s:circle[@class='point']", NS)) == 4
    # The band's upper edge (6.0) lies above the mean (4.0): a smaller y on the page.
    upper_y = float(points[0].split(",")[1])
    mean_y = float(root.find("s:circle[@class='point']", NS).get("cy"))
    assert upper_y < mean_y


def test_nothing_to_draw_says_so():
    root = ET.fromstring(charts.forecast_band_svg("Empty", [], []))
    assert root.find("s:text[@class='empty']", NS).text == charts.NO_DEMAND
    assert root.find("s:polygon", NS) is None


def test_only_a_forecast_or_only_history():
    only_forecast = ET.fromstring(charts.forecast_band_svg("F", [], _forecast(_weeks(1))))
    assert only_forecast.find("s:polygon[@class='band']", NS) is not None
    assert only_forecast.find("s:path[@class='history']", NS) is None
    history = [{"period": p, "qty": 0.0} for p in _weeks(3)]
    only_history = ET.fromstring(charts.forecast_band_svg("H", history, []))
    assert only_history.find("s:polygon", NS) is None
    assert only_history.find("s:path[@class='history']", NS) is not None


def test_text_is_escaped_and_the_title_id_is_safe():
    svg = charts.forecast_band_svg(
        '<script>alert("x")</script>\x01', [], _forecast(_weeks(2)), chart_id='a" onload="x'
    )
    root = ET.fromstring(svg)
    assert "<script>" not in svg and "onload=" not in svg
    assert re.fullmatch(r"[A-Za-z0-9_-]+", root.get("aria-labelledby"))


def test_the_largest_values_stay_inside_the_frame():
    history = [{"period": p, "qty": 9.99e12} for p in _weeks(2)]
    svg = charts.forecast_band_svg("Big", history, _forecast(_weeks(2, 2), mean=1e13))
    root = ET.fromstring(svg)
    drawn = " ".join(
        [root.find("s:polygon", NS).get("points")]
        + [p.get("d") for p in root.findall("s:path", NS)]
    )
    ys = [float(y) for y in re.findall(r",(-?[\d.]+)", drawn)]
    ys += [float(c.get("cy")) for c in root.findall("s:circle", NS)]
    assert min(ys) >= charts.TOP and max(ys) <= charts.TOP + charts.PLOT_H
