"""A report as a PDF (fpdf2): the workspace's name and logo, the period and channels, the
summary figures each with its formula, the charts, the tables of posts, "page X of Y" on
every page. Strings in the current language (callers pass the language to use); Greek needs
the TrueType font keryx.analytics.reports.fonts finds.

1. render(content, language) opens a translation context, so the footer (drawn when the
   document closes) is in the same language as the body.
2. Every text goes through `clean`: letters the font lacks (emoji, mostly) are dropped rather
   than drawn as empty boxes, and line breaks in a post become spaces.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from keryx.analytics.reports import pdfcharts, sections
from keryx.analytics.reports.content import POSTS_LISTED, ReportContent
from keryx.analytics.reports.fonts import ReportFont, report_font
from keryx.analytics.reports.labels import benchmark_rows, formula_label, reason_label

FAMILY = "report"
WIDTH = 180.0  # A4 minus 15 mm margins
HEAD_FILL = (236, 239, 245)
TOP_POSTS_CHARTED = 5


def _codepoints(font: ReportFont) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(font.regular), lazy=True, fontNumber=0) as ttf:
        return frozenset((ttf.getBestCmap() or {}).keys())


_GLYPHS: dict[str, frozenset[int]] = {}


class ReportPDF(FPDF):
    def __init__(self, font: ReportFont, footer_left: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.add_font(FAMILY, "", str(font.regular))
        self.add_font(FAMILY, "B", str(font.bold or font.regular))
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=18)
        self.footer_left = footer_left
        self.page_label = _("page %(page)s of %(pages)s")
        key = str(font.regular)
        if key not in _GLYPHS:
            _GLYPHS[key] = _codepoints(font)
        self.glyphs = _GLYPHS[key]
        self.set_font(FAMILY, "", 10)

    def clean(self, text: str) -> str:
        flat = " ".join(str(text).split())
        return "".join(ch for ch in flat if ord(ch) in self.glyphs)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(120, 124, 134)
        self.cell(WIDTH / 2, 5, self.clean(self.footer_left), align="L")
        self.cell(WIDTH / 2, 5, self.page_label % {"page": self.page_no(), "pages": "{nb}"},
                  align="R")

    def fit(self, text: str, width: float) -> str:
        """The text, shortened with an ellipsis to fit `width` mm at the current font. Cut
        where the average letter width says, then a letter at a time: few measurements."""
        text = self.clean(text)
        full = self.get_string_width(text)
        if full <= width:
            return text
        keep = max(int(len(text) * (width - self.get_string_width("…")) / full), 0)
        text = text[:keep]
        while text and self.get_string_width(text + "…") > width:
            text = text[:-1]
        return text + "…"

    # Building blocks -------------------------------------------------------------------------

    def heading(self, text: str, size: float = 13) -> None:
        if self.will_page_break(size + 20):
            self.add_page()
        self.ln(3)
        self.set_font(FAMILY, "B", size)
        self.set_text_color(20, 24, 32)
        self.cell(WIDTH, size * 0.55, self.clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def paragraph(self, text: str, size: float = 9, muted: bool = False) -> None:
        self.set_font(FAMILY, "", size)
        if muted:
            self.set_text_color(120, 124, 134)
        else:
            self.set_text_color(40, 44, 52)
        self.multi_cell(WIDTH, size * 0.5, self.clean(text), new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT)

    def rows_of(self, headings: Sequence[str], rows: Sequence[Sequence[str]],
                widths: Sequence[float], align: Sequence[str], size: float = 7) -> None:
        """A table of one line per row (long text shortened with an ellipsis), its headings
        repeated on each page. Much faster than fpdf2's wrapping table for hundreds of rows."""
        total = sum(widths)
        mm = [WIDTH * w / total for w in widths]
        line = size * 0.62
        aligns = ["R" if a == "RIGHT" else "L" for a in align]

        def head() -> None:
            self.set_font(FAMILY, "B", size)
            self.set_text_color(40, 44, 52)
            self.set_fill_color(*HEAD_FILL)
            for text, w, a in zip(headings, mm, aligns, strict=True):
                self.cell(w, line + 1, self.fit(text, w - 1.5), align=a, fill=True)
            self.ln(line + 1)
            self.set_font(FAMILY, "", size)

        head()
        self.set_draw_color(205, 210, 222)
        self.set_line_width(0.1)
        for values in rows:
            if self.will_page_break(line):
                self.add_page()
                head()
            for text, w, a in zip(values, mm, aligns, strict=True):
                self.cell(w, line, self.fit(text, w - 1.5), align=a, border="B")
            self.ln(line)
        self.ln(2)

    def table_of(self, headings: Sequence[str], rows: Sequence[Sequence[str]],
                 widths: Sequence[float], align: Sequence[str], size: float = 8) -> None:
        self.set_font(FAMILY, "", size)
        self.set_text_color(40, 44, 52)
        self.set_fill_color(255, 255, 255)
        self.set_draw_color(205, 210, 222)
        with self.table(col_widths=tuple(widths), text_align=tuple(align), width=WIDTH,
                        line_height=size * 0.5, borders_layout="HORIZONTAL_LINES",
                        headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL),
                        padding=1.2, v_align="TOP") as table:
            head = table.row()
            for text in headings:
                head.cell(self.clean(text))
            for values in rows:
                row = table.row()
                for text in values:
                    row.cell(self.clean(text))
        self.ln(2)


# Formatting ------------------------------------------------------------------------------------


def num(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return formats.number_format(value, decimal_pos=digits, use_l10n=True, force_grouping=True)


def _pct(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{num(value, digits)} %"


def _avg(avg: dict[str, Any]) -> str:
    """An average rate, or "—" with the reason there is none (mixed formulas, no rates)."""
    if avg["value"] is not None:
        return _pct(avg["value"])
    return "— " + reason_label(avg["reason"] or "")


def _day(value: date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def _when(value: datetime, zone: ZoneInfo) -> str:
    return f"{value.astimezone(zone):%Y-%m-%d %H:%M}"


def weekday_names() -> list[str]:
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


# The report ------------------------------------------------------------------------------------


def _header(pdf: ReportPDF, c: ReportContent) -> None:
    top = pdf.get_y()
    text_w = WIDTH
    if c.logo:
        from PIL import Image

        with Image.open(io.BytesIO(c.logo)) as image:
            ratio = image.width / max(image.height, 1)
        height = 18.0
        width = min(height * ratio, 50.0)
        height = width / ratio
        pdf.image(io.BytesIO(c.logo), x=15 + WIDTH - width, y=top, w=width, h=height)
        text_w = WIDTH - width - 4
    pdf.set_font(FAMILY, "B", 18)
    pdf.set_text_color(20, 24, 32)
    pdf.multi_cell(text_w, 8, pdf.clean(c.workspace_name), new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 13)
    pdf.set_text_color(60, 64, 72)
    pdf.cell(text_w, 7, _("Analytics report"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    lines = [
        _("Period: %(from)s – %(until)s (%(days)s days, times in %(tz)s)") % {
            "from": _day(c.period.first_day), "until": _day(c.period.last_day),
            "days": c.period.days, "tz": c.timezone},
        _("Channels: %(names)s") % {
            "names": ", ".join(c.channel_names) if c.channel_names else
            _("all channels") + (f" ({', '.join(c.summary['channels'])})"
                                 if c.summary["channels"] else "")},
    ]
    if c.campaign:
        lines.append(_("Campaign: %(name)s") % {"name": c.campaign})
    if c.labels:
        lines.append(_("Labels: %(names)s") % {"names": ", ".join(c.labels)})
    lines.append(_("Made on %(when)s") % {"when": _when(c.generated_at, ZoneInfo(c.timezone))})
    for line in lines:
        pdf.paragraph(line, size=9)
    pdf.set_y(max(pdf.get_y(), top + 20))


def _figures(pdf: ReportPDF, c: ReportContent) -> None:
    s = c.summary
    pdf.heading(_("Summary"))
    rows: list[list[str]] = [
        [_("Posts"), num(s["posts"]),
         _("%(n)s a week") % {"n": num(s["posts_per_week"], 2)}],
    ]
    for key, label in (("by_followers", _("Engagement rate by followers")),
                       ("by_reach", _("Engagement rate by reach")),
                       ("by_impressions", _("Engagement rate by impressions"))):
        avg = s["engagement_rate"][key]
        how = formula_label(avg["formula"]) or reason_label(avg["reason"]) or ""
        if avg["posts_without_rate"] and avg["formula"]:
            how += " · " + ngettext("%(n)d post without a rate",
                                    "%(n)d posts without a rate",
                                    avg["posts_without_rate"]) % {"n": avg["posts_without_rate"]}
        rows.append([label, _pct(avg["value"]), how])
        if len(avg["by_formula"]) > 1:
            for part in avg["by_formula"]:
                rows.append(["", _pct(part["value"]), ngettext(
                    "%(formula)s (%(n)d post)", "%(formula)s (%(n)d posts)",
                    part["posts"]) % {"formula": formula_label(part["formula"]),
                                      "n": part["posts"]}])
    growth = num(s["follower_growth"])
    if s["follower_growth_percent"] is not None:
        growth += f" ({_pct(s['follower_growth_percent'], 1)})"
    rows += [
        [_("Followers"), f"{num(s['followers_start'])} → {num(s['followers_end'])}",
         _("start: the last reading before the period (or the first in it); end: the last")],
        [_("Follower growth"), growth,
         formula_label("end − start; (end − start) / start × 100")
         + (f" · {reason_label(s['follower_growth_reason'])}"
            if s["follower_growth_reason"] else "")],
        [_("Engagements"), num(s["engagements"]), formula_label(s["engagements_formula"])],
    ]
    if s["follower_channels_missing"]:
        rows.append(["", "", _("No follower readings at both ends: %(names)s") % {
            "names": ", ".join(s["follower_channels_missing"])}])
    pdf.table_of([_("Figure"), _("Value"), _("Formula")], rows, (30, 20, 50),
                 ("LEFT", "RIGHT", "LEFT"))


def _charts(pdf: ReportPDF, c: ReportContent) -> None:
    none_yet = _("No data in this period")
    pdf.heading(_("Follower growth"))
    legend_h = 0 if len(c.followers) <= pdfcharts.END_LABELS else \
        5 + 4.2 * ((len(c.followers) + 4) // 5)
    if pdf.will_page_break(58 + legend_h):
        pdf.add_page()
    y = pdf.get_y()
    used = pdfcharts.line_chart(pdf, 15, y, WIDTH, 55, c.followers, none_yet)
    pdf.set_y(y + used + 3)
    pdf.paragraph(_("Followers per day (the last reading of each day), per channel."),
                  size=8, muted=True)

    pdf.heading(_("Engagement over time"))
    if pdf.will_page_break(58):
        pdf.add_page()
    y = pdf.get_y()
    pdfcharts.bar_chart(pdf, 15, y, WIDTH, 50, c.engagements, none_yet)
    pdf.set_y(y + 53)
    pdf.paragraph(formula_label(c.engagement_series_formula), size=8, muted=True)

    heat = c.heatmap
    pdf.heading(_("Best time to post"))
    if heat.warning:
        pdf.paragraph(reason_label(heat.warning), size=9)
    if pdf.will_page_break(55):
        pdf.add_page()
    y = pdf.get_y() + 1
    used = pdfcharts.heatmap(pdf, 15, y, WIDTH, heat, weekday_names())
    pdf.set_y(y + used + 2)
    note = _("Times in %(tz)s; the number in a cell is how many posts stand behind it; "
             "dotted: fewer than 3 posts.") % {"tz": c.timezone}
    pdf.paragraph((formula_label(heat.formula) + " · " if heat.formula else "") + note,
                  size=8, muted=True)

    pdf.heading(_("Top posts"))
    top = [(f"{r['channel']}: {r['text'] or r['remote_id']}",
            float(r["engagement_rate"]["by_followers"]),
            _pct(r["engagement_rate"]["by_followers"]))
           for r in c.summary["top_posts"][:TOP_POSTS_CHARTED]]
    pdf.set_font(FAMILY, "", 7)
    if pdf.will_page_break(len(top) * 7 + 12):
        pdf.add_page()
    y = pdf.get_y()
    used = pdfcharts.ranked_bars(pdf, 15, y, WIDTH, top, pdf.fit,
                                 _("No post has an engagement rate in this period yet."))
    pdf.set_y(y + used + 2)
    if top:
        pdf.paragraph(_("Engagement rate by followers") + ": "
                      + formula_label(
                          c.summary["top_posts"][0]["engagement_rate_formula"]["by_followers"]),
                      size=8, muted=True)


def _post_table(pdf: ReportPDF, c: ReportContent, rows: Sequence[dict[str, Any]]) -> None:
    zone = ZoneInfo(c.timezone)
    lines = []
    for r in rows:
        text = r["text"] or r["remote_id"]
        if r["gone"]:
            text += " · " + _("Deleted on the network")
        lines.append([_when(r["published_at"], zone), r["channel"], text,
                      num(r["engagements"]), num(r["followers"]),
                      _pct(r["engagement_rate"]["by_followers"])])
    pdf.rows_of([_("Published"), _("Channel"), _("Post"), _("Engagements"),
                 _("Followers"), _("Rate")],
                lines, (25, 18, 70, 24, 18, 25),
                ("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"), size=7)


def _side(side: str | None, gap: float | None) -> str:
    if side == "above":
        return _("above by %(d)s") % {"d": num(gap, 2)}
    if side == "below":
        return _("below by %(d)s") % {"d": num(gap, 2)}
    if side == "equal":
        return _("the same")
    return ""


def _benchmark_lines(rows: Sequence[dict[str, Any]]) -> list[list[str]]:
    out = []
    for f in rows:
        target = _("no target") if f["target"] is None else \
            f"{num(f['target'], 2)} {_side(f['against_target'], f['target_gap'])}".strip()
        trailing = "—" if f["trailing"] is None else \
            f"{num(f['trailing'], 2)} {_side(f['against_trailing'], f['trailing_gap'])}".strip()
        out.append([f["name"], num(f["value"], 2), target, trailing, f["formula"]])
    return out


def _benchmarks(pdf: ReportPDF, c: ReportContent) -> None:
    """The page's benchmarks: the period against the targets and the trailing average."""
    b = c.benchmarks
    if not b:
        return
    pdf.heading(_("Against targets and your own average"))
    trailing = b["trailing"]
    if trailing["from"]:
        pdf.paragraph(_("Trailing average: the 90 days before the period (%(from)s – "
                        "%(until)s, %(n)s posts).") % {
            "from": _day(trailing["from"]), "until": _day(trailing["until"]),
            "n": trailing["posts"]}, size=8, muted=True)
    heads = [_("Figure"), _("This period"), _("Target"), _("Trailing 90 days"), _("Formula")]
    widths, align = (26, 14, 22, 22, 40), ("LEFT", "RIGHT", "LEFT", "LEFT", "LEFT")
    pdf.table_of(heads, _benchmark_lines(benchmark_rows(b["figures"])), widths, align, size=7.5)
    for channel in b["channels"]:
        pdf.heading(channel["channel"], size=10)
        pdf.table_of(heads, _benchmark_lines(benchmark_rows(channel["figures"])), widths,
                     align, size=7.5)
    if b["note"]:
        pdf.paragraph(b["note"], size=8, muted=True)


def _tables(pdf: ReportPDF, c: ReportContent) -> None:
    s = c.summary
    if len(s["by_network"]) > 1 or len(s["by_channel"]) > 1:
        pdf.heading(_("Per network and channel"))
        rows = []
        for key, groups in (("network", s["by_network"]), ("channel", s["by_channel"])):
            for g in groups:
                avg = g["engagement_rate_by_followers"]
                rows.append([str(g[key]).capitalize() if key == "network" else g[key],
                             num(g["posts"]), num(g["engagements"]),
                             _avg(avg)])
        pdf.rows_of([_("Network or channel"), _("Posts"), _("Engagements"),
                     _("Engagement rate by followers")], rows, (32, 12, 18, 38),
                    ("LEFT", "RIGHT", "RIGHT", "LEFT"), size=8)
    if s["top_posts"]:
        pdf.heading(_("Top posts"), size=11)
        _post_table(pdf, c, s["top_posts"])
        pdf.heading(_("Bottom posts"), size=11)
        _post_table(pdf, c, s["bottom_posts"])
    if s["hashtags"]:
        pdf.heading(_("Hashtags"), size=11)
        pdf.rows_of([_("Hashtag"), _("Posts"), _("Engagements"),
                     _("Engagement rate by followers")],
                    [["#" + h["hashtag"], num(h["posts"]), num(h["engagements"]),
                      _avg(h["engagement_rate_by_followers"])]
                     for h in s["hashtags"]], (32, 12, 18, 38),
                    ("LEFT", "RIGHT", "RIGHT", "LEFT"), size=8)
    pdf.heading(_("All posts"))
    listed = c.rows[:POSTS_LISTED]
    pdf.paragraph(_("Followers: at publish time. Rate: engagement rate by followers (the "
                    "formula is in the summary)."), size=8, muted=True)
    _post_table(pdf, c, listed)
    if len(c.rows) > len(listed):
        pdf.paragraph(_("%(more)s more posts are in the CSV export, which lists them all.")
                      % {"more": num(len(c.rows) - len(listed))}, size=8, muted=True)


def render(content: ReportContent, language: str | None = None) -> bytes:
    """The report as PDF bytes. FontMissing (from fonts) when no usable font is installed."""
    with translation.override(language or translation.get_language()):
        font = report_font()
        pdf = ReportPDF(font, f"Keryx · {content.workspace_name}")
        pdf.set_title(f"{content.workspace_name} · {_('Analytics report')} "
                      f"{content.period.first_day} – {content.period.last_day}")
        pdf.set_creator("Keryx")
        pdf.set_lang(translation.get_language() or "en")
        pdf.add_page()
        _header(pdf, content)
        if content.empty:
            pdf.ln(2)
            pdf.set_fill_color(255, 244, 229)
            pdf.set_font(FAMILY, "B", 11)
            pdf.set_text_color(138, 75, 0)
            pdf.multi_cell(WIDTH, 8, _("No posts were published in this period."), fill=True,
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT, padding=2)
        _figures(pdf, content)
        _benchmarks(pdf, content)
        for section in sections.PDF:
            section(pdf, content)
        _charts(pdf, content)
        if not content.empty:
            _tables(pdf, content)
        return bytes(pdf.output())
