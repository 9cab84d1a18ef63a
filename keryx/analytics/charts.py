"""Charts as inline SVG, drawn on the server: no JavaScript, no CDN, readable without colour
(each series is labelled, each point has a <title> for screen readers and hover)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28
MAX_DOTS = 400
COLOURS = ("#3257d6", "#1f7a3a", "#b42318", "#8a4b00", "#6b3fa0", "#0e7490")


def _scale(lo: float, hi: float, span: float) -> tuple[float, float]:
    if hi == lo:
        hi = lo + 1
    return lo, span / (hi - lo)


def _axis_labels(days: Sequence[date], lo: float, hi: float) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
        'stroke="#cdd2de"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end" font-size="11">'
        f'{escape(_number(hi))}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" font-size="11">'
        f'{escape(_number(lo))}</text>',
    ]
    if days:
        parts.append(f'<text x="{LEFT}" y="{HEIGHT - 8}" font-size="11">{days[0]:%d/%m}</text>')
        parts.append(f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end" '
                     f'font-size="11">{days[-1]:%d/%m}</text>')
    return parts


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"


def _frame(label: str, body: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 - every text part is escaped above
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(body) + "</svg>")


def line_chart(series: dict[str, list[tuple[date, int]]], label: str) -> SafeString:
    """One line per named series over the days they cover."""
    points = [p for values in series.values() for p in values]
    if not points:
        return _frame(label, [f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" '
                              'font-size="13">—</text>'])
    days = sorted({d for d, _ in points})
    first, last = days[0], days[-1]
    lo, k = _scale(min(v for _, v in points), max(v for _, v in points), HEIGHT - TOP - BOTTOM)
    span_days = max((last - first).days, 1)
    plot_w = WIDTH - LEFT - RIGHT

    def x(day: date) -> float:
        return LEFT + (day - first).days / span_days * plot_w

    def y(value: float) -> float:
        return HEIGHT - BOTTOM - (value - lo) * k

    body = _axis_labels(days, lo, max(v for _, v in points))
    # Many points (say 20 channels over 90 days): the lines alone; the figures are in the
    # table beside the chart.
    dots = len(points) <= MAX_DOTS
    for index, (name, values) in enumerate(series.items()):
        colour = COLOURS[index % len(COLOURS)]
        path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in values)
        body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        for d, v in values if dots else ():
            body.append(f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
                        f'<title>{escape(name)} {d:%d/%m}: {v}</title></circle>')
        if values:
            d, v = values[-1]
            body.append(f'<text x="{min(x(d) + 4, WIDTH - RIGHT):.1f}" y="{y(v) - 6:.1f}" '
                        f'font-size="11" fill="{colour}" text-anchor="end">{escape(name)}</text>')
    return _frame(label, body)


def bar_chart(values: list[tuple[date, int]], label: str) -> SafeString:
    if not values:
        return line_chart({}, label)
    top = max(v for _, v in values) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    width = plot_w / len(values)
    body = _axis_labels([d for d, _ in values], 0, top)
    for index, (d, v) in enumerate(values):
        h = v / top * plot_h
        body.append(
            f'<rect x="{LEFT + index * width + 1:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" '
            f'width="{max(width - 2, 1):.1f}" height="{h:.1f}" fill="{COLOURS[0]}">'
            f'<title>{d:%d/%m}: {v}</title></rect>')
    return _frame(label, body)
