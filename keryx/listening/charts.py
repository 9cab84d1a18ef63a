"""The listening page's charts that keryx.analytics.charts does not draw: bars per hour, and
labelled horizontal bars (top authors, words, share of voice, sentiment). Inline SVG drawn on
the server; every text part escaped; each bar has a <title> and its figure written beside it,
so the chart reads without colour."""

from __future__ import annotations

from datetime import datetime

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from keryx.analytics.charts import COLOURS, HEIGHT, WIDTH, bar_chart

__all__ = ["bar_chart", "hour_chart", "horizontal_bars"]

LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28
ROW, LABEL_W = 22, 200
SENTIMENT_COLOURS = {"positive": "#1f7a3a", "neutral": "#5b6477", "negative": "#b42318"}


def _svg(label: str, width: int, height: int, body: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 - every text part is escaped by the callers
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(body) + "</svg>")


def hour_chart(values: list[tuple[datetime, int]], label: str) -> SafeString:
    """One bar per local hour; the first hour of each day is labelled."""
    if not values:
        return bar_chart([], label)
    top = max(v for _, v in values) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    width = plot_w / len(values)
    body = [f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" '
            f'y2="{HEIGHT - BOTTOM}" stroke="#cdd2de"/>',
            f'<text x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end" font-size="11">{top}</text>']
    for index, (moment, v) in enumerate(values):
        h = v / top * plot_h
        x = LEFT + index * width
        body.append(f'<rect x="{x + 0.5:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" '
                    f'width="{max(width - 1, 0.5):.1f}" height="{h:.1f}" fill="{COLOURS[0]}">'
                    f'<title>{moment:%d/%m %H:00}: {v}</title></rect>')
        if moment.hour == 0 or index == 0:
            body.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" font-size="11">'
                        f'{moment:%d/%m}</text>')
    return _svg(label, WIDTH, HEIGHT, body)


def horizontal_bars(rows: list[tuple[str, float, str]], label: str, *,
                    colours: dict[str, str] | None = None) -> SafeString:
    """One labelled bar per (name, value, shown text); `colours` by name, else the palette."""
    height = max(ROW * len(rows) + 8, ROW + 8)
    if not rows:
        return _svg(label, WIDTH, height, [f'<text x="{WIDTH / 2}" y="{ROW}" '
                                           'text-anchor="middle" font-size="13">—</text>'])
    top = max(v for _, v, _t in rows) or 1
    plot_w = WIDTH - LABEL_W - 80
    body = []
    for index, (name, value, shown) in enumerate(rows):
        y = 4 + index * ROW
        w = value / top * plot_w
        colour = (colours or {}).get(name, COLOURS[index % len(COLOURS)] if colours is None
                                     else COLOURS[0])
        body.append(f'<text x="{LABEL_W - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
                    f'{escape(name[:32])}</text>')
        body.append(f'<rect x="{LABEL_W}" y="{y + 3}" width="{max(w, 1):.1f}" height="{ROW - 6}" '
                    f'fill="{colour}"><title>{escape(name)}: {escape(shown)}</title></rect>')
        body.append(f'<text x="{LABEL_W + w + 6:.1f}" y="{y + 15}" font-size="12">'
                    f'{escape(shown)}</text>')
    return _svg(label, WIDTH, height, body)
