"""The PDF report, opened and its pages rendered as images with pypdfium2: pages, "page X of
Y", Greek text, the charts drawn, the logo, an empty period; `keryx report --format pdf` and
the analytics page's download, end to end on data made through the real models."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from PIL import Image

from keryx.analytics import services
from keryx.analytics.reports import content, fonts, pdf
from keryx.analytics.reports.logo import save_logo
from keryx.channels.models import Channel
from tests.support.analytics_data import followers, measured
from tests.support.images import png_bytes

NOW = timezone.now().replace(microsecond=0)
BLUE = (50, 87, 214)  # the first series' colour, used only by the charts


def pages_of(data: bytes) -> list[tuple[str, Image.Image]]:
    doc = pdfium.PdfDocument(data)
    out = []
    for page in doc:
        text = page.get_textpage().get_text_range()
        out.append((text, page.render(scale=1).to_pil().convert("RGB")))
    return out


def chart_pixels(image: Image.Image) -> int:
    pixels = np.asarray(image, dtype=np.int16)
    return int((np.abs(pixels - np.array(BLUE)).max(axis=2) < 12).sum())


@pytest.fixture
def toot(people):
    toot = Channel.objects.create(workspace=people.acme, network="mastodon", name="Toot")
    followers(toot, NOW - timedelta(days=20), 100)
    followers(toot, NOW - timedelta(days=10), 110)
    followers(toot, NOW - timedelta(days=1), 120)
    for n in range(40):
        measured(toot, str(n), NOW - timedelta(days=25, hours=-n * 14), 100 + n // 4,
                 text=f"Καλημέρα Ελλάδα, ανάρτηση {n} #καφές", likes=n % 7, comments=n % 3,
                 shares=n % 2)
    measured(toot, "emoji", NOW - timedelta(days=3), 120, text="Γεια σου κόσμε 🎉 ώρα",
             likes=1, comments=0, shares=0)
    # Another workspace's post never shows in Acme's report.
    other = Channel.objects.create(workspace=people.globex, network="mastodon", name="Other")
    measured(other, "x", NOW - timedelta(days=2), 10, text="Globex secret", likes=9)
    return toot


def report(people, days: int = 30, language: str = "el") -> bytes:
    when = services.period(people.acme, (NOW - timedelta(days=days - 1)).date(), NOW.date())
    return pdf.render(content.gather(people.acme, when), language)


def test_pages_numbers_greek_text_and_charts(people, toot):
    pages = pages_of(report(people))
    total = len(pages)
    assert total >= 3
    for number, (text, _image) in enumerate(pages, start=1):
        assert f"σελίδα {number} από {total}" in text
    everything = "\n".join(text for text, _image in pages)
    # The post's Greek text and the Greek labels, extracted back as they were written.
    assert "Καλημέρα Ελλάδα, ανάρτηση 0 #καφές" in everything
    assert "Έκθεση αναλυτικών στοιχείων" in everything
    assert "Ποσοστό αλληλεπίδρασης ως προς" in everything
    assert "Καλύτερη ώρα δημοσίευσης" in everything
    # An emoji the font lacks is left out, the Greek around it kept.
    assert "Γεια σου κόσμε ώρα" in everything
    assert "Globex secret" not in everything
    # The formula beside the figure, in Greek in a Greek report.
    assert "(«Μου αρέσει»+σχόλια+κοινοποιήσεις) / ακόλουθοι κατά τη δημοσίευση × 100" \
        in " ".join(everything.split())
    # The first two pages draw the follower and engagement charts (after the summary and
    # the benchmarks): not blank where they are.
    assert chart_pixels(pages[0][1]) + chart_pixels(pages[1][1]) > 500


def test_english_report(people, toot):
    text = "\n".join(t for t, _i in pages_of(report(people, language="en")))
    assert "Analytics report" in text and "page 1 of" in text
    assert "Engagement rate by followers" in text
    assert "(likes+comments+shares) / followers at publish time × 100" in " ".join(text.split())


def test_an_empty_period_gives_a_report_that_says_so(people, toot):
    when = services.period(people.acme, (NOW - timedelta(days=400)).date(),
                           (NOW - timedelta(days=390)).date())
    pages = pages_of(pdf.render(content.gather(people.acme, when), "en"))
    text = "\n".join(t for t, _i in pages)
    assert "No posts were published in this period." in text
    assert "page 1 of" in text


def test_the_workspace_logo_is_drawn(people, toot):
    red = png_bytes(120, 60, (220, 20, 20))
    save_logo(people.acme, io.BytesIO(red))
    image = pages_of(report(people, language="en"))[0][1]
    top = image.crop((0, 0, image.width, image.height // 8))
    pixels = np.asarray(top, dtype=np.int16)
    reds = int(((pixels[..., 0] > 200) & (pixels[..., 1] < 60) & (pixels[..., 2] < 60)).sum())
    assert reds > 200


def test_a_missing_font_is_a_clear_error(people, toot, settings, tmp_path):
    settings.KERYX_PDF_FONT = str(tmp_path / "nowhere.ttf")
    with pytest.raises(fonts.FontMissing, match="nowhere.ttf, which is not a file"):
        report(people, language="en")
    not_greek = tmp_path / "empty.ttf"
    not_greek.write_bytes(b"not a font")
    settings.KERYX_PDF_FONT = str(not_greek)
    with pytest.raises(fonts.FontMissing, match="not a TrueType font with Greek letters"):
        report(people, language="en")
    # In Greek for a Greek report, naming the package to install all the same.
    with pytest.raises(fonts.FontMissing, match="ελληνικά γράμματα.*fonts-dejavu-core"):
        report(people, language="el")


def test_no_font_anywhere_names_the_package(settings, monkeypatch):
    settings.KERYX_PDF_FONT = ""
    monkeypatch.setattr(fonts, "SEARCH", ("/nonexistent/DejaVuSans.ttf",))
    fonts._find.cache_clear()
    try:
        with pytest.raises(fonts.FontMissing, match="apt install fonts-dejavu-core"):
            fonts.report_font()
    finally:
        fonts._find.cache_clear()


def test_keryx_report_pdf_end_to_end(people, toot, tmp_path):
    out = tmp_path / "report.pdf"
    first = (NOW - timedelta(days=29)).date().isoformat()
    call_command("report", "--user", "alice@example.com", "--from", first, "--until",
                 NOW.date().isoformat(), "--channel", "Toot", "--format", "pdf", "--output",
                 str(out), "--language", "el", stdout=io.StringIO())
    pages = pages_of(out.read_bytes())
    text = "\n".join(t for t, _i in pages)
    assert "Κανάλια: Toot" in text
    assert f"σελίδα 1 από {len(pages)}" in text
    with pytest.raises(CommandError, match="Unknown channel"):
        call_command("report", "--user", "alice@example.com", "--from", first, "--until",
                     NOW.date().isoformat(), "--channel", "Nope", "--format", "pdf",
                     "--output", str(tmp_path / "x.pdf"))
    assert not Path(tmp_path / "x.pdf").exists()


def test_the_page_links_the_pdf_with_the_same_filters(people, toot, client):
    client.force_login(people.charlie)  # a viewer may read and download
    html = client.get("/analytics/", {"from": "2026-01-01", "until": "2026-01-31"}).content
    assert b'href="/analytics/report.pdf?from=2026-01-01&amp;until=2026-01-31"' in html
    assert b'id="reports-link"' not in html  # a viewer does not manage reports
    response = client.get("/analytics/report.pdf", {"channel": str(toot.pk)},
                          HTTP_ACCEPT_LANGUAGE="el")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = "\n".join(t for t, _i in pages_of(response.content))
    assert "Κανάλια: Toot" in text
    client.force_login(people.alice)
    assert b'id="reports-link"' in client.get("/analytics/").content


def test_the_logo_is_uploaded_checked_and_removed_on_the_reports_page(people, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from keryx.analytics.reports.models import ReportLogo

    client.force_login(people.charlie)  # a viewer may not
    upload = SimpleUploadedFile("logo.png", png_bytes(40, 20), content_type="image/png")
    assert client.post("/analytics/reports/logo/", {"logo": upload}).status_code == 403
    client.force_login(people.alice)
    bad = SimpleUploadedFile("logo.png", b"not an image", content_type="image/png")
    page = client.post("/analytics/reports/logo/", {"logo": bad}, follow=True)
    assert "The file is not an image Keryx can read." in page.content.decode()
    assert not ReportLogo.objects.exists()
    upload = SimpleUploadedFile("logo.png", png_bytes(1200, 300), content_type="image/png")
    client.post("/analytics/reports/logo/", {"logo": upload})
    logo = ReportLogo.objects.get(workspace=people.acme)
    assert (logo.width, logo.height) == (600, 150)  # made smaller, kept in proportion
    assert bytes(logo.image).startswith(b"\x89PNG")
    client.post("/analytics/reports/logo/", {"action": "remove"})
    assert not ReportLogo.objects.exists()
