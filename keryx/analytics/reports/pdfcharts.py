"""The report's charts drawn with fpdf2's vector shapes (lines, rectangles, text), in the
report's own font so Greek labels render. The same pictures as keryx.analytics.charts draws
as SVG for the page: follower growth, engagement over time, the best-time heatmap, top posts.

Every function draws inside the box (x, y, w, h) in millimetres and leaves the cursor alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from django.utils import formats
from fpdf import FPDF

from keryx.analytics.maths import Heatmap

Colour = tuple[int, int, int]
COLOURS: tuple[Colour, ...] = ((50, 87, 214), (31, 122, 58), (180, 35, 24), (138, 75, 0),
                               (107, 63, 160), (14, 116, 144))
AXIS: Colour = (205, 210, 222)
TEXT: Colour = (60, 64, 72)
MUTED: Colour = (120, 124, 134)
LABEL_W = 14.0  # mm left of the plot, for the value labels
END_LABELS = 6  # up to this many series are named at their ends; more get a legend below
AXIS_H = 6.0  # mm below the plot, for the dates


def number(value: float) -> str:
    """In the current language's format (1.234 in Greek, 1,234 in English)."""
    digits = 0 if abs(value) >= 10 or value == int(value) else 1
    return formats.number_format(value, decimal_pos=digits, use_l10n=True, force_grouping=True)


def _text(pdf: FPDF, x: float, y: float, text: str, *, size: float = 7,
          colour: Colour = TEXT, align: str = "L") -> None:
    """Text with its baseline at y; align L (starts at x), R (ends at x) or C."""
    pdf.set_font(size=size)
    pdf.set_text_color(*colour)
    width = pdf.get_string_width(text)
    left = x - width if align == "R" else x - width / 2 if align == "C" else x
    pdf.text(left, y, text)


def _empty(pdf: FPDF, x: float, y: float, w: float, h: float, message: str) -> None:
    pdf.set_draw_color(*AXIS)
    pdf.set_line_width(0.2)
    pdf.rect(x, y, w, h)
    _text(pdf, x + w / 2, y + h / 2, message, size=9, colour=MUTED, align="C")


def _axes(pdf: FPDF, x: float, y: float, w: float, h: float, lo: float, hi: float,
          first: date | None, last: date | None) -> None:
    pdf.set_draw_color(*AXIS)
    pdf.set_line_width(0.2)
    bottom = y + h - AXIS_H
    pdf.line(x + LABEL_W, bottom, x + w, bottom)
    pdf.line(x + LABEL_W, y, x + LABEL_W, bottom)
    _text(pdf, x + LABEL_W - 1.5, y + 2.5, number(hi), align="R")
    _text(pdf, x + LABEL_W - 1.5, bottom, number(lo), align="R")
    if first is not None and last is not None:
        _text(pdf, x + LABEL_W, y + h - 1, f"{first:%d/%m}")
        _text(pdf, x + w, y + h - 1, f"{last:%d/%m}", align="R")


def legend(pdf: FPDF, x: float, y: float, w: float, names: Sequence[str]) -> float:
    """Colour swatches with the series' names, in rows; returns the height used."""
    column = 36.0
    per_row = max(int(w // column), 1)
    for index, name in enumerate(names):
        row, col = divmod(index, per_row)
        cx, cy = x + col * column, y + row * 4.2
        pdf.set_fill_color(*COLOURS[index % len(COLOURS)])
        pdf.rect(cx, cy + 0.8, 3, 2.2, style="F")
        _text(pdf, cx + 4, cy + 2.9, name, size=6.5)
    return ((len(names) + per_row - 1) // per_row) * 4.2


def line_chart(pdf: FPDF, x: float, y: float, w: float, h: float,
               series: dict[str, list[tuple[date, int]]], empty: str) -> float:
    """One line per named series (a channel's followers per day), each labelled at its end,
    or with a legend below when there are many. Returns the height used."""
    points = [p for values in series.values() for p in values]
    if not points:
        _empty(pdf, x, y, w, h, empty)
        return h
    days = sorted({d for d, _v in points})
    first, last = days[0], days[-1]
    lo, hi = min(v for _d, v in points), max(v for _d, v in points)
    span = (hi - lo) or 1
    span_days = max((last - first).days, 1)
    plot_x, plot_w, plot_h = x + LABEL_W + 1, w - LABEL_W - 2, h - AXIS_H - 4
    bottom = y + h - AXIS_H

    def px(day: date) -> float:
        return plot_x + (day - first).days / span_days * plot_w

    def py(value: float) -> float:
        return bottom - (value - lo) / span * plot_h

    _axes(pdf, x, y, w, h, lo, hi, first, last)
    for index, (name, values) in enumerate(series.items()):
        colour = COLOURS[index % len(COLOURS)]
        pdf.set_draw_color(*colour)
        pdf.set_fill_color(*colour)
        pdf.set_line_width(0.6)
        coords = [(px(d), py(v)) for d, v in values]
        if len(coords) > 1:
            pdf.polyline(coords)
        for cx, cy in coords if len(coords) <= 40 else coords[-1:]:
            pdf.circle(cx, cy, 0.7, style="F")
        if coords and len(series) <= END_LABELS:
            cx, cy = coords[-1]
            _text(pdf, min(cx, x + w), cy - 1.5, name, colour=colour, align="R")
    if len(series) > END_LABELS:
        return h + 1 + legend(pdf, x + LABEL_W, y + h + 1, w - LABEL_W, list(series))
    return h


def bar_chart(pdf: FPDF, x: float, y: float, w: float, h: float,
              values: Sequence[tuple[date, int]], empty: str) -> None:
    """One bar per day (engagements gained that day)."""
    if not values or not any(v for _d, v in values):
        _empty(pdf, x, y, w, h, empty)
        return
    top = max(v for _d, v in values) or 1
    plot_x, plot_w, plot_h = x + LABEL_W + 0.5, w - LABEL_W - 0.5, h - AXIS_H - 4
    bottom = y + h - AXIS_H
    _axes(pdf, x, y, w, h, 0, top, values[0][0], values[-1][0])
    width = plot_w / len(values)
    pdf.set_fill_color(*COLOURS[0])
    for index, (_day, value) in enumerate(values):
        height = value / top * plot_h
        if height > 0:
            pdf.rect(plot_x + index * width + width * 0.1, bottom - height,
                     max(width * 0.8, 0.2), height, style="F")


def _shade(alpha: float, colour: Colour = COLOURS[0]) -> Colour:
    r, g, b = colour
    return (round(255 - (255 - r) * alpha), round(255 - (255 - g) * alpha),
            round(255 - (255 - b) * alpha))


def heatmap(pdf: FPDF, x: float, y: float, w: float, heat: Heatmap,
            weekday_names: Sequence[str]) -> float:
    """Weekday rows × 24 hour columns, each cell shaded by its average rate and showing how
    many posts stand behind it (thin cells hatched with a dotted border). Returns the height."""
    label_w = 14.0
    cell_w = (w - label_w) / 24
    cell_h = 6.0
    top = max((c.average for c in heat.cells.values()), default=0) or 1
    for hour in range(0, 24, 3):
        _text(pdf, x + label_w + hour * cell_w + cell_w / 2, y + 3, f"{hour:02d}", size=6,
              colour=MUTED, align="C")
    grid_y = y + 4.5
    pdf.set_line_width(0.15)
    for weekday, name in enumerate(weekday_names):
        row_y = grid_y + weekday * cell_h
        _text(pdf, x, row_y + cell_h * 0.7, name, size=7)
        for hour in range(24):
            cell = heat.cells.get((weekday, hour))
            cx = x + label_w + hour * cell_w
            pdf.set_draw_color(*AXIS)
            if cell is None:
                pdf.rect(cx, row_y, cell_w, cell_h, style="D")
                continue
            alpha = 0.12 + 0.88 * cell.average / top
            pdf.set_fill_color(*_shade(alpha))
            pdf.rect(cx, row_y, cell_w, cell_h, style="DF")
            _text(pdf, cx + cell_w / 2, row_y + cell_h * 0.68, str(cell.posts), size=5.5,
                  colour=(255, 255, 255) if alpha > 0.55 else TEXT, align="C")
            if cell.thin:
                pdf.set_draw_color(*MUTED)
                pdf.set_dash_pattern(dash=0.4, gap=0.4)
                pdf.rect(cx + 0.4, row_y + 0.4, cell_w - 0.8, cell_h - 0.8, style="D")
                pdf.set_dash_pattern()
    return 4.5 + 7 * cell_h


def ranked_bars(pdf: FPDF, x: float, y: float, w: float,
                items: Sequence[tuple[str, float, str]], fit: Callable[[str, float], str],
                empty: str) -> float:
    """Horizontal bars, best first: (label, value, the value as shown). `fit` shortens a label
    to a width. Returns the height used."""
    if not items:
        _empty(pdf, x, y, w, 12, empty)
        return 12
    label_w, value_w, bar_h, gap = 70.0, 16.0, 5.0, 2.0
    top = max(v for _l, v, _s in items) or 1
    pdf.set_fill_color(*COLOURS[0])
    for index, (label, value, shown) in enumerate(items):
        row_y = y + index * (bar_h + gap)
        _text(pdf, x, row_y + bar_h * 0.75, fit(label, label_w - 2), size=7)
        length = max(value / top * (w - label_w - value_w), 0.3)
        pdf.set_fill_color(*COLOURS[index % len(COLOURS)])
        pdf.rect(x + label_w, row_y, length, bar_h, style="F")
        _text(pdf, x + label_w + length + 1.5, row_y + bar_h * 0.75, shown, size=7)
    return len(items) * (bar_h + gap)
