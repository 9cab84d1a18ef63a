"""Switch the UI to Ελληνικά with the language switcher, then walk the main pages: Greek headings
and navigation, and no English UI word left in the visible text or in placeholders, titles and
ARIA labels (the user's own content, brand names and format codes aside)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.fixtures.people import PASSWORD
from tests.ui_helpers import mastodon_channel, scheduled_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (url name, the Greek <h1> starts with)
PAGES = [
    ("dashboard", "Πίνακας ελέγχου"),
    ("planner:month", "Ημερολόγιο"),
    ("planner:week", "Ημερολόγιο"),
    ("planner:list", "Ημερολόγιο"),
    ("posts:new", "Νέα ανάρτηση"),
    ("posts:list", "Αναρτήσεις"),
    ("channels:list", "Κανάλια"),
    ("library:index", "Βιβλιοθήκη πολυμέσων"),
    ("members", "Μέλη"),
    ("queues:list", "Ουρές"),
    ("bulk:upload", "Εισαγωγή από CSV"),
    ("feeds:list", "Ροές"),
    ("approvals:inbox", "Εγκρίσεις"),
    ("approvals:notifications", "Ειδοποιήσεις"),
    ("approvals:audit", "Αρχείο καταγραφής ενεργειών"),
    ("approvals:settings", "Ροή έγκρισης"),
    ("planner:tags", "Καμπάνιες και ετικέτες"),
    ("links:page", "Σύνδεσμοι"),
    ("bulk:export", "Εξαγωγή αναρτήσεων σε CSV"),
    ("tokens", "Διακριτικά API"),
    ("workspaces", "Χώροι εργασίας"),
]
NAV = ["Πίνακας ελέγχου", "Αναρτήσεις", "Ημερολόγιο", "Εισερχόμενα", "Πολυμέσα", "Κανάλια",
       "Εγκρίσεις"]
# In the navigation's "More" menu (one row of navigation at 1400 px).
NAV_MORE = ["Αναλυτικά στοιχεία", "Ουρές", "Εισαγωγή", "Ροές", "Σύνδεσμοι", "Επαφές", "Μέλη",
            "Διακριτικά API"]
# Words that, seen on a Greek page, mean a string escaped translation (named in the brief).
ENGLISH_UI = {"Dashboard", "Schedule", "Scheduled", "Channels", "Channel", "Save", "Cancel",
              "Posts", "Post", "Calendar", "Media", "Members", "Queues", "Import", "Feeds",
              "Approvals", "Draft", "Drafts", "Upload", "Search", "Filter", "Edit", "Delete",
              "Today", "Week", "Month", "Next", "Previous", "Settings", "Library", "Campaign",
              "Labels", "Tags", "New", "Sign", "Connect", "Preview", "Text", "Time", "Date"}
# Not English UI: brands, formats and protocol names, the syntax users type, and the e-mail label
# the Greek catalogue keeps as Greek interfaces do.
ALLOWED = {"Keryx", "Mastodon", "mastodon", "Bluesky", "Hootsuite", "API", "CSV", "RSS", "Atom",
           "URL", "UTM", "https", "hashtag", "E", "mail", "MAIL", "dd", "mm", "yyyy"}
# Syntax the user types, kept as is in every language: UTM parameter names, the API's header, and
# the contact syntax @{Name} (msgfmt's brace-format check keeps it ASCII).
SYNTAX = re.compile(r"utm_[a-z]+|Authorization: Bearer|@\{Name\}")
# This test's own data: the user's content is not the UI's to translate.
USER_CONTENT = ["alice@example.com", "charlie@example.com", "Europe/Athens", "Acme",
                "acme"]
WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
ATTRIBUTES_JS = """els => els.map(e => [e.getAttribute('placeholder'), e.getAttribute('title'),
    e.getAttribute('aria-label'), e.tagName === 'OPTION' ? e.textContent : ''].join(' '))"""


def english_left(text: str) -> list[str]:
    text = SYNTAX.sub(" ", text)
    for content in USER_CONTENT:
        text = text.replace(content, " ")
    return sorted({w for w in WORD.findall(text) if w not in ALLOWED and len(w) > 1}
                  | {w for w in WORD.findall(text) if w in ENGLISH_UI})


def visible_and_labels(page) -> str:
    labels = page.eval_on_selector_all("[placeholder],[title],[aria-label],option",
                                       ATTRIBUTES_JS)
    return page.locator("body").inner_text() + "\n" + "\n".join(labels)


def switch_to_greek(page, base: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail").fill("alice@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator("details.menu summary", has_text="alice@example.com").click()
    page.get_by_role("button", name="Ελληνικά").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "el")


def test_main_pages_in_greek_leave_no_english_ui(live_server, people, page):
    base = live_server.url
    channel = mastodon_channel(people.acme, name="Ακμή στο Mastodon")
    scheduled_post(people.acme, people.alice, channel, "Καλημέρα από την Ακμή")
    switch_to_greek(page, base)

    nav = page.get_by_role("navigation", name="Κύριο μενού")
    for label in NAV:
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    nav.locator(".nav-more summary").click()
    for label in NAV_MORE:
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()

    leftovers = {}
    for url_name, heading in PAGES:
        page.goto(base + reverse(url_name))
        expect(page.locator("html")).to_have_attribute("lang", "el")
        expect(page.locator("h1").first).to_have_text(re.compile("^" + re.escape(heading)))
        assert page.title().startswith(heading)
        english = english_left(visible_and_labels(page))
        if english:
            leftovers[url_name] = english
        screenshot(page, f"el_{url_name.replace(':', '_')}")
    assert not leftovers, (
        f"English left on Greek pages: {leftovers}. Wrap the strings for translation, then run "
        "makemessages/compilemessages and translate (see tests/test_i18n_catalogue.py)."
    )


def test_composer_live_validation_speaks_greek(live_server, people, page):
    base = live_server.url
    mastodon_channel(people.acme, name="Ακμή στο Mastodon")
    switch_to_greek(page, base)
    page.goto(base + reverse("posts:new"))
    page.get_by_role("checkbox", name=re.compile("^Ακμή στο Mastodon")).check()
    page.get_by_label("Κείμενο", exact=True).fill("α" * 520)
    # The live verdict comes from POST /api/v1/validate, worded by the catalogue.
    expect(page.get_by_text(re.compile(r"Υπέρβαση κατά 20 χαρακτήρες"))).to_be_visible()
    expect(page.locator("#composer-live .preview-list")).not_to_be_empty()
    english = english_left(visible_and_labels(page))
    assert not english, f"English left in the composer's live validation: {english}"
    screenshot(page, "el_composer_over")
