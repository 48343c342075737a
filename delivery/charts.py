"""Charts drawn as SVG text: values in, a standalone SVG document out.

No Flask and no database here, so the pages in ``web/`` can draw the same charts. They live
beside the API rather than in ``inventory.domain`` because they are presentation, not rules.
Every piece of text goes through ``_text`` (XML-escaped, characters XML forbids replaced), and
only numbers we format ourselves go into attributes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 48, 56
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
GRID = (0, 25, 50, 75, 100)
# More month labels than this overlap; beyond it every n-th month is labelled.
MAX_LABELS = 12
NO_DELIVERIES = "No deliveries in the window"
# About as many characters of the bold heading as fit across the chart; <title> keeps all.
HEADING_CHARS = 72
FONT = 'font-family="system-ui, sans-serif"'

# XML 1.0 has no place for most control characters; a name may still hold one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return escape(_NOT_XML.sub("\ufffd", value))


def _x(index: int, count: int) -> float:
    # Each month is a band of the axis and its point sits in the middle, so one month still
    # has a place and the first and last points do not touch the frame.
    return LEFT + (index + 0.5) * PLOT_W / count


def _y(score: float) -> float:
    return TOP + (100 - max(0.0, min(100.0, score))) / 100 * PLOT_H


def score_title(code: str, name: str, score: float | None, grade: str | None) -> str:
    if score is None:
        return f"{code} {name}: no score"
    return f"{code} {name}: score {score:.2f}, grade {grade}"


def _opening(title: str, title_id: str = "chart-title") -> list[str]:
    """The SVG element, its accessible title, a white background and the heading (shortened to
    fit the width). ``title_id`` must be unique on a page that shows several charts."""
    heading = title if len(title) <= HEADING_CHARS else title[: HEADING_CHARS - 1] + "\u2026"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{title_id}" {FONT}>',
        f'<title id="{title_id}">{_text(title)}</title>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{WIDTH / 2:.1f}" y="24" text-anchor="middle" font-size="15" '
        f'font-weight="bold">{_text(heading)}</text>',
    ]


def score_trend_svg(title: str, months: Sequence[Mapping]) -> str:
    """A line chart of monthly scores (0-100): ``months`` are ``{"month": "YYYY-MM", "score":
    float or None, "deliveries": int}`` in order. Months without a score are gaps in the line;
    with no score at all the chart says there were no deliveries."""
    count = len(months)
    parts = _opening(title)
    parts += _axes(months)
    scored = [(i, m["score"]) for i, m in enumerate(months) if m.get("score") is not None]
    if not scored:
        parts.append(
            f'<text class="empty" x="{LEFT + PLOT_W / 2:.1f}" y="{TOP + PLOT_H / 2:.1f}" '
            f'text-anchor="middle" font-size="14" fill="#555555">'
            f"{_text(NO_DELIVERIES)}</text>"
        )
    else:
        parts.append(_line(scored, count))
        for i, score in scored:
            month = months[i]
            tip = f"{month['month']}: {score:.2f} ({month.get('deliveries', 0)} deliveries)"
            parts.append(
                f'<circle class="point" cx="{_x(i, count):.1f}" cy="{_y(score):.1f}" r="3.5" '
                f'fill="#1f77b4"><title>{_text(tip)}</title></circle>'
            )
    parts.append("</svg>")
    return "\n".join(parts)


def _axes(months: Sequence[Mapping]) -> list[str]:
    out = ['<g class="axes" font-size="10" fill="#333333">']
    for level in GRID:
        y = _y(level)
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + PLOT_W}" y2="{y:.1f}" '
            f'stroke="{"#888888" if level == 0 else "#e0e0e0"}" stroke-width="1"/>'
        )
        out.append(f'<text x="{LEFT - 6}" y="{y + 3.5:.1f}" text-anchor="end">{level}</text>')
    out.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + PLOT_H}" stroke="#888888"/>')
    step = max(1, math.ceil(len(months) / MAX_LABELS))
    for i in range(0, len(months), step):
        out.append(
            f'<text class="month" x="{_x(i, len(months)):.1f}" y="{TOP + PLOT_H + 16}" '
            f'text-anchor="middle">{_text(str(months[i]["month"]))}</text>'
        )
    out.append("</g>")
    return out


def _line(scored: list[tuple[int, float]], count: int) -> str:
    """One path through the scored months, lifted over months without a score: joining across
    them would draw a score nobody earned."""
    commands, previous = [], None
    for i, score in scored:
        move = "L" if previous is not None and i == previous + 1 else "M"
        commands.append(f"{move}{_x(i, count):.1f},{_y(score):.1f}")
        previous = i
    return (
        f'<path class="line" d="{" ".join(commands)}" fill="none" stroke="#1f77b4" '
        f'stroke-width="2"/>'
    )


NO_SPEND = "No spend in the window"
SERIES_COLOURS = ("#1f77b4", "#ff7f0e")


def monthly_bars_svg(title: str, months: Sequence[Mapping], series: Sequence[str]) -> str:
    """Grouped bars per month: ``months`` are ``{"month": "YYYY-MM", <series>: number}`` in
    order, ``series`` the keys drawn (at most two, e.g. ordered and received spend). The axis
    runs from 0 to the largest value, rounded up to a readable step."""
    count = max(len(months), 1)
    values = [float(m.get(s) or 0) for m in months for s in series]
    top = _nice_top(max([0.0, *values]))
    parts = [*_opening(title), '<g class="axes" font-size="10" fill="#333333">']
    for share in (0, 0.25, 0.5, 0.75, 1):
        y = TOP + (1 - share) * PLOT_H
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + PLOT_W}" y2="{y:.1f}" '
            f'stroke="{"#888888" if share == 0 else "#e0e0e0"}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 3.5:.1f}" text-anchor="end">{top * share:,.0f}</text>'
        )
    step = max(1, math.ceil(len(months) / MAX_LABELS))
    for i in range(0, len(months), step):
        parts.append(
            f'<text class="month" x="{_x(i, count):.1f}" y="{TOP + PLOT_H + 16}" '
            f'text-anchor="middle">{_text(str(months[i]["month"]))}</text>'
        )
    parts.append("</g>")
    if not any(values):
        parts.append(
            f'<text class="empty" x="{LEFT + PLOT_W / 2:.1f}" y="{TOP + PLOT_H / 2:.1f}" '
            f'text-anchor="middle" font-size="14" fill="#555555">{_text(NO_SPEND)}</text>'
        )
    band = PLOT_W / count
    bar = band * 0.8 / max(len(series), 1)
    for i, month in enumerate(months):
        for j, name in enumerate(series):
            value = float(month.get(name) or 0)
            height = 0.0 if top == 0 else max(0.0, value) / top * PLOT_H
            x = LEFT + i * band + band * 0.1 + j * bar
            tip = f"{month['month']} {name}: {value:,.2f}"
            parts.append(
                f'<rect class="bar {_text(name)}" x="{x:.1f}" y="{TOP + PLOT_H - height:.1f}" '
                f'width="{bar:.1f}" height="{height:.1f}" '
                f'fill="{SERIES_COLOURS[j % len(SERIES_COLOURS)]}">'
                f"<title>{_text(tip)}</title></rect>"
            )
    for j, name in enumerate(series):
        x = LEFT + j * 110
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 18}" width="10" height="10" '
            f'fill="{SERIES_COLOURS[j % len(SERIES_COLOURS)]}"/>'
            f'<text x="{x + 14}" y="{HEIGHT - 9}" font-size="11">{_text(name)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _nice_top(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above ``value`` (0 stays 0)."""
    if value <= 0:
        return 0.0
    power = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= value:
            return factor * power
    return 10 * power


NO_DEMAND = "No demand history and no forecast"
HISTORY_COLOUR, FORECAST_COLOUR, BAND_COLOUR = "#1f77b4", "#d62728", "#f4a3a3"
_SAFE_ID = re.compile(r"[^A-Za-z0-9_-]")


def forecast_band_svg(
    title: str,
    history: Sequence[Mapping],
    forecast: Sequence[Mapping],
    *,
    lower: str = "lo_80",
    upper: str = "hi_80",
    band_label: str = "80% interval",
    chart_id: str = "forecast",
) -> str:
    """Demand history as a line, then the forecast mean as a dashed line over a shaded band
    between two of its quantiles (``lower`` and ``upper`` keys of each forecast point, the 80%
    interval by default). ``history`` points are ``{"period", "qty"}``, ``forecast`` points
    ``{"period", "mean", lower, upper}``, each in period order; periods are dates or text. The
    axis runs from 0 to the largest value drawn, rounded up to a readable step."""
    chart_id = _SAFE_ID.sub("-", chart_id) or "forecast"
    periods = sorted({p["period"] for p in history} | {p["period"] for p in forecast})
    at = {period: i for i, period in enumerate(periods)}
    count = max(len(periods), 1)
    values = [float(p["qty"]) for p in history]
    values += [float(p[key] or 0) for p in forecast for key in ("mean", upper)]
    top = _nice_top(max([0.0, *values]))

    def y(value) -> float:
        value = max(0.0, float(value or 0))
        return TOP + PLOT_H - (0.0 if top == 0 else min(value, top) / top * PLOT_H)

    def x(period) -> float:
        return _x(at[period], count)

    parts = [*_opening(title, f"{chart_id}-title"), '<g class="axes" font-size="10" fill="#333">']
    for share in (0, 0.25, 0.5, 0.75, 1):
        level = top * share
        label = f"{level:,.2f}".rstrip("0").rstrip(".")  # 2.5, not a rounded 2
        parts.append(
            f'<line x1="{LEFT}" y1="{y(level):.1f}" x2="{LEFT + PLOT_W}" y2="{y(level):.1f}" '
            f'stroke="{"#888888" if share == 0 else "#e0e0e0"}" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y(level) + 3.5:.1f}" text-anchor="end">{label}</text>'
        )
    step = max(1, math.ceil(len(periods) / (MAX_LABELS - 4)))
    for i in range(0, len(periods), step):
        # A date is ~60px wide: the last one is kept inside the right edge.
        parts.append(
            f'<text class="period" x="{min(_x(i, count), WIDTH - 36):.1f}" '
            f'y="{TOP + PLOT_H + 16}" text-anchor="middle">{_text(str(periods[i]))}</text>'
        )
    parts.append("</g>")
    if not periods:
        parts.append(
            f'<text class="empty" x="{LEFT + PLOT_W / 2:.1f}" y="{TOP + PLOT_H / 2:.1f}" '
            f'text-anchor="middle" font-size="14" fill="#555555">{_text(NO_DEMAND)}</text>'
        )
    if forecast:
        upper_edge = [f"{x(p['period']):.1f},{y(p[upper]):.1f}" for p in forecast]
        lower_edge = [f"{x(p['period']):.1f},{y(p[lower]):.1f}" for p in reversed(forecast)]
        tip = f"{band_label}: {lower} to {upper}"
        parts.append(
            f'<polygon class="band" points="{" ".join(upper_edge + lower_edge)}" '
            f'fill="{BAND_COLOUR}" fill-opacity="0.55" stroke="none">'
            f"<title>{_text(tip)}</title></polygon>"
        )
    if history:
        path = _path((x(p["period"]), y(p["qty"])) for p in history)
        parts.append(
            f'<path class="history" d="{path}" fill="none" stroke="{HISTORY_COLOUR}" '
            f'stroke-width="2"/>'
        )
    if forecast:
        path = _path((x(p["period"]), y(p["mean"])) for p in forecast)
        parts.append(
            f'<path class="forecast" d="{path}" fill="none" stroke="{FORECAST_COLOUR}" '
            f'stroke-width="2" stroke-dasharray="6 4"/>'
        )
        for p in forecast:
            tip = (
                f"{p['period']}: mean {float(p['mean'] or 0):,.2f}, "
                f"{band_label} {float(p[lower] or 0):,.2f} to {float(p[upper] or 0):,.2f}"
            )
            parts.append(
                f'<circle class="point" cx="{x(p["period"]):.1f}" cy="{y(p["mean"]):.1f}" '
                f'r="3" fill="{FORECAST_COLOUR}"><title>{_text(tip)}</title></circle>'
            )
    legend = (
        ("History", HISTORY_COLOUR, "line"),
        ("Forecast mean", FORECAST_COLOUR, "line"),
        (band_label, BAND_COLOUR, "box"),
    )
    for j, (name, colour, shape) in enumerate(legend):
        lx = LEFT + j * 150
        mark = (
            f'<rect x="{lx}" y="{HEIGHT - 18}" width="14" height="10" fill="{colour}"/>'
            if shape == "box"
            else f'<line x1="{lx}" y1="{HEIGHT - 13}" x2="{lx + 14}" y2="{HEIGHT - 13}" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(
            f'{mark}<text x="{lx + 18}" y="{HEIGHT - 9}" font-size="11">{_text(name)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


NO_STOCK = "No stock value at these month-ends"


def value_trend_svg(title: str, points: Sequence[Mapping]) -> str:
    """A line of money values over months: ``points`` are ``{"month": "YYYY-MM", "value":
    number}`` in order (e.g. the stock value at each month-end). The axis runs from the
    smallest value (or 0) to the largest, each rounded out to a readable step; every point
    carries its exact value as a tooltip."""
    count = max(len(points), 1)
    values = [float(p.get("value") or 0) for p in points]
    top = _nice_top(max([0.0, *values]))
    bottom = -_nice_top(-min([0.0, *values]))
    span = (top - bottom) or 1.0

    def y(value: float) -> float:
        return TOP + (top - value) / span * PLOT_H

    parts = [*_opening(title), '<g class="axes" font-size="10" fill="#333333">']
    for share in (0, 0.25, 0.5, 0.75, 1):
        level = bottom + share * (top - bottom)
        parts.append(
            f'<line x1="{LEFT}" y1="{y(level):.1f}" x2="{LEFT + PLOT_W}" y2="{y(level):.1f}" '
            f'stroke="{"#888888" if level == 0 else "#e0e0e0"}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(level) + 3.5:.1f}" text-anchor="end">'
            f"{_short(level)}</text>"
        )
    step = max(1, math.ceil(len(points) / MAX_LABELS))
    for i in range(0, len(points), step):
        parts.append(
            f'<text class="month" x="{_x(i, count):.1f}" y="{TOP + PLOT_H + 16}" '
            f'text-anchor="middle">{_text(str(points[i]["month"]))}</text>'
        )
    parts.append("</g>")
    if not any(values):
        parts.append(
            f'<text class="empty" x="{LEFT + PLOT_W / 2:.1f}" y="{TOP + PLOT_H / 2:.1f}" '
            f'text-anchor="middle" font-size="14" fill="#555555">{_text(NO_STOCK)}</text>'
        )
    if points:
        path = _path((_x(i, count), y(v)) for i, v in enumerate(values))
        parts.append(
            f'<path class="line" d="{path}" fill="none" stroke="#1f77b4" stroke-width="2"/>'
        )
    for i, point in enumerate(points):
        tip = f"{point['month']}: {_money_text(point.get('value'))}"
        parts.append(
            f'<circle class="point" cx="{_x(i, count):.1f}" cy="{y(values[i]):.1f}" r="3.5" '
            f'fill="#1f77b4"><title>{_text(tip)}</title></circle>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _path(points: Iterable[tuple[float, float]]) -> str:
    """An SVG path's ``d`` through ``points``: a move to the first, lines to the rest."""
    return " ".join(f"{'L' if i else 'M'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points))


def _short(value: float) -> str:
    """An axis label that fits the left margin: 1,500 / 25k / 1.5M."""
    size = abs(value)
    if size >= 1_000_000:
        return f"{value / 1_000_000:,.4g}M"
    if size >= 10_000:
        return f"{value / 1_000:,.4g}k"
    return f"{value:,.0f}"


def _money_text(value) -> str:
    # A Decimal prints exactly with its cents; anything else to two places.
    return f"{value or 0:,.2f}"
