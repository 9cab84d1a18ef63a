"""Language detection: Greek and English and the other languages in use, and honest 'und'."""

from __future__ import annotations

import pytest

from keryx.classify import detect_language
from keryx.classify.text import clean


@pytest.mark.parametrize(("text", "code"), [
    ("Καλησπέρα, πότε θα έρθει η παραγγελία μου;", "el"),
    ("Ευχαριστώ!", "el"),
    ("ΤΕΛΕΙΟ ΠΡΟΪΟΝ", "el"),
    ("Το iPhone μου δεν φορτίζει με το καλώδιο USB-C", "el"),  # mixed scripts, Greek wins
    ("My order still hasn't arrived, can you help?", "en"),
    ("Love the new collection, well done!", "en"),
    ("Wann habt ihr am Samstag geöffnet?", "de"),
    ("Est-ce que vous livrez en France ?", "fr"),
    ("Вы доставляете в Россию?", "ru"),
])
def test_known_languages(text: str, code: str) -> None:
    assert detect_language(text).code == code


@pytest.mark.parametrize("text", [
    "kalimera, ti ores eiste anoixta simera?",
    "poli kalo to proion, euxaristw poli",
    "den irthe akoma h paraggelia mou",
])
def test_greeklish_is_undetermined_not_a_wrong_guess(text: str) -> None:
    guess = detect_language(text)
    assert guess.code == "und"
    assert guess.note == "greeklish"
    assert guess.confidence < 0.5


@pytest.mark.parametrize(("text", "note"), [
    ("", "no_letters"), ("😍😍😍", "no_letters"), ("!!! ???", "no_letters"),
    ("ok", "too_short"), ("\u200b\u200b\u200b", "no_letters"),
])
def test_too_little_text_is_undetermined(text: str, note: str) -> None:
    guess = detect_language(text)
    assert (guess.code, guess.note) == ("und", note)


def test_html_and_zero_width_characters_are_ignored() -> None:
    assert detect_language("<p>Πολύ <b>ωραίο</b> &amp; γρήγορο!</p>").code == "el"
    assert detect_language("Th\u200bis is a gr\u200beat pro\u200dduct, thank you").code == "en"
    assert clean("<p>a&nbsp;b<br>c</p>\u200b") == "a b c"


def test_ten_thousand_characters() -> None:
    assert detect_language("Πολύ καλή εξυπηρέτηση. " * 450).code == "el"
    assert detect_language("The service was great. " * 450).code == "en"
