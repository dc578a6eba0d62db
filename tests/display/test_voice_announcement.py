"""The sentence said for a call, its words and clip names."""
from __future__ import annotations

import unicodedata

import pytest

from kiosk.display.announcement import (
    AnnouncementError,
    Call,
    all_clip_names,
    build_announcement,
    parse_ticket,
)


@pytest.mark.parametrize(
    ("number", "counter", "digits", "display", "spoken"),
    [
        ("A015", 3, False, "Xin mời công dân có số thứ tự A015 đến quầy số 3",
         "Xin mời công dân có số thứ tự, a, mười lăm, đến quầy số ba"),
        ("A015", 3, True, "Xin mời công dân có số thứ tự A015 đến quầy số 3",
         "Xin mời công dân có số thứ tự, a, không một năm, đến quầy số ba"),
        ("b021", "14", False, "Xin mời công dân có số thứ tự B021 đến quầy số 14",
         "Xin mời công dân có số thứ tự, bê, hai mươi mốt, đến quầy số mười bốn"),
        ("C105", 24, False, "Xin mời công dân có số thứ tự C105 đến quầy số 24",
         "Xin mời công dân có số thứ tự, xê, một trăm linh năm, đến quầy số hai mươi tư"),
        ("Đ1000", 10, False, "Xin mời công dân có số thứ tự Đ1000 đến quầy số 10",
         "Xin mời công dân có số thứ tự, đê, một nghìn, đến quầy số mười"),
        ("7", 1, False, "Xin mời công dân có số thứ tự 7 đến quầy số 1",
         "Xin mời công dân có số thứ tự, bảy, đến quầy số một"),
        ("LX025", 5, False, "Xin mời công dân có số thứ tự LX025 đến quầy số 5",
         "Xin mời công dân có số thứ tự, e lờ ích xì, hai mươi lăm, đến quầy số năm"),
    ],
)
def test_sentence(number: str, counter: object, digits: bool, display: str, spoken: str) -> None:
    announcement = build_announcement(Call(number, counter), digits=digits)  # type: ignore[arg-type]
    assert announcement.display_text == display
    assert announcement.spoken_text == spoken
    assert unicodedata.is_normalized("NFC", announcement.display_text)
    assert unicodedata.is_normalized("NFC", announcement.spoken_text)


def test_clip_names_follow_the_words() -> None:
    announcement = build_announcement(Call("Đ015", 21))
    assert announcement.clip_names == (
        "phrase_intro", "letter_dd", "word_muoi_ten", "word_lam", "phrase_counter",
        "digit_2", "word_muoi_tens", "word_mot",
    )
    known = all_clip_names()
    assert set(announcement.clip_names) <= set(known)


def test_clip_names_are_ascii_and_unique() -> None:
    names = all_clip_names()
    assert all(name.isascii() and name.replace("_", "").isalnum() for name in names)
    assert names["letter_dd"] == "đê" and names["word_muoi_ten"] == "mười" and names["word_muoi_tens"] == "mươi"
    assert len(names) == len(set(names))


def test_nfd_ticket_is_normalised() -> None:
    decomposed = unicodedata.normalize("NFD", "Ơ12")
    call = Call(decomposed, 2)
    assert call.number == "Ơ12"
    assert build_announcement(call).spoken_text.endswith("ơ, mười hai, đến quầy số hai")


def test_call_from_ticket_called_event() -> None:
    event = {"number": "A015", "counter": 3, "service": "HT", "priority": "normal",
             "called_at": "2026-11-21T08:00:00+07:00", "recall": True}
    call = Call.from_event(event)
    assert call == Call("A015", 3, recall=True, service="HT")


def test_a_recall_says_the_same_sentence() -> None:
    first = build_announcement(Call("A015", 3))
    again = build_announcement(Call("A015", 3, recall=True))
    assert again.spoken_text == first.spoken_text


@pytest.mark.parametrize("number", ["", "A", "015A", "A-15", "ABCD1", "A1234567", "A 15", "Ж15", None, 15])
def test_bad_ticket_numbers(number: object) -> None:
    with pytest.raises(AnnouncementError, match="ticket number"):
        Call(number, 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("counter", [0, -1, 1000, "3A", "", None, True, 2.0, "٣"])
def test_bad_counters(counter: object) -> None:
    with pytest.raises(AnnouncementError, match="counter"):
        Call("A015", counter)  # type: ignore[arg-type]


@pytest.mark.parametrize("event", [{}, {"number": "A015"}, ["A015", 3], {"number": "A015", "counter": "x"}])
def test_bad_events(event: object) -> None:
    with pytest.raises(AnnouncementError):
        Call.from_event(event)  # type: ignore[arg-type]


def test_parse_ticket_splits_prefix() -> None:
    assert parse_ticket(" a015 ") == ("A", "015")
    assert parse_ticket("123") == ("", "123")
