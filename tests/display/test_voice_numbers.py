"""Vietnamese number, digit and letter reading (Hà Nội usage)."""
from __future__ import annotations

import unicodedata

import pytest

from kiosk.display.numbers_vi import (
    LETTER_NAMES,
    MAX_NUMBER,
    ReadingError,
    letter_name,
    number_words,
    read_digits,
    read_number,
)

NUMBERS = [
    (0, "không"),
    (1, "một"),
    (4, "bốn"),
    (5, "năm"),
    (7, "bảy"),
    (9, "chín"),
    (10, "mười"),
    (11, "mười một"),
    (14, "mười bốn"),
    (15, "mười lăm"),
    (19, "mười chín"),
    (20, "hai mươi"),
    (21, "hai mươi mốt"),
    (24, "hai mươi tư"),
    (25, "hai mươi lăm"),
    (30, "ba mươi"),
    (31, "ba mươi mốt"),
    (44, "bốn mươi tư"),
    (45, "bốn mươi lăm"),
    (55, "năm mươi lăm"),
    (71, "bảy mươi mốt"),
    (99, "chín mươi chín"),
    (100, "một trăm"),
    (101, "một trăm linh một"),
    (104, "một trăm linh bốn"),
    (105, "một trăm linh năm"),
    (110, "một trăm mười"),
    (111, "một trăm mười một"),
    (114, "một trăm mười bốn"),
    (115, "một trăm mười lăm"),
    (121, "một trăm hai mươi mốt"),
    (124, "một trăm hai mươi tư"),
    (200, "hai trăm"),
    (305, "ba trăm linh năm"),
    (999, "chín trăm chín mươi chín"),
    (1000, "một nghìn"),
    (1001, "một nghìn không trăm linh một"),
    (1005, "một nghìn không trăm linh năm"),
    (1010, "một nghìn không trăm mười"),
    (1015, "một nghìn không trăm mười lăm"),
    (1100, "một nghìn một trăm"),
    (1234, "một nghìn hai trăm ba mươi tư"),
    (2024, "hai nghìn không trăm hai mươi tư"),
    (10000, "mười nghìn"),
    (15000, "mười lăm nghìn"),
    (21000, "hai mươi mốt nghìn"),
    (100000, "một trăm nghìn"),
    (105000, "một trăm linh năm nghìn"),
    (1000000, "một triệu"),
    (1000005, "một triệu không trăm linh năm"),
    (2000100, "hai triệu một trăm"),  # the zero thousands group is skipped
    (1234567, "một triệu hai trăm ba mươi tư nghìn năm trăm sáu mươi bảy"),
    (1000000000, "một tỷ"),
    (5000000001, "năm tỷ không trăm linh một"),
]


@pytest.mark.parametrize(("n", "expected"), NUMBERS)
def test_read_number(n: int, expected: str) -> None:
    assert read_number(n) == expected
    assert unicodedata.is_normalized("NFC", read_number(n))


def test_number_words_are_the_split_reading() -> None:
    assert number_words(105) == ["một", "trăm", "linh", "năm"]


@pytest.mark.parametrize("bad", [-1, 1.5, "15", None, True, MAX_NUMBER + 1])
def test_read_number_rejects_bad_input(bad: object) -> None:
    with pytest.raises(ReadingError):
        read_number(bad)  # type: ignore[arg-type]


def test_largest_number_reads() -> None:
    assert read_number(MAX_NUMBER).startswith("chín trăm chín mươi chín tỷ")


@pytest.mark.parametrize(
    ("digits", "expected"),
    [("015", "không một năm"), ("0", "không"), ("1005", "một không không năm"), ("24", "hai bốn"),
     ("9876543210", "chín tám bảy sáu năm bốn ba hai một không")],
)
def test_read_digits(digits: str, expected: str) -> None:
    # Digit by digit there is no lăm/mốt/tư: each digit has its plain name.
    assert read_digits(digits) == expected


@pytest.mark.parametrize("bad", ["", "01a", "١٢", "1 2", 12])
def test_read_digits_rejects_bad_input(bad: object) -> None:
    with pytest.raises(ReadingError):
        read_digits(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("letter", "name"),
    [("A", "a"), ("a", "a"), ("Ă", "á"), ("Â", "ớ"), ("B", "bê"), ("C", "xê"), ("c", "xê"), ("D", "dê"),
     ("Đ", "đê"), ("đ", "đê"), ("E", "e"), ("Ê", "ê"), ("G", "giê"), ("H", "hát"), ("I", "i"), ("K", "ca"),
     ("L", "e lờ"), ("M", "em mờ"), ("N", "en nờ"), ("O", "o"), ("Ô", "ô"), ("Ơ", "ơ"), ("P", "pê"),
     ("Q", "quy"), ("R", "e rờ"), ("S", "ét xì"), ("T", "tê"), ("U", "u"), ("Ư", "ư"), ("V", "vê"),
     ("X", "ích xì"), ("Y", "i dài"), ("F", "ép"), ("J", "gi"), ("W", "vê kép"), ("Z", "dét")],
)
def test_letter_names(letter: str, name: str) -> None:
    assert letter_name(letter) == name


def test_letter_name_accepts_nfd_input() -> None:
    decomposed = unicodedata.normalize("NFD", "Ơ")
    assert len(decomposed) == 2
    assert letter_name(decomposed) == "ơ"


def test_letter_table_is_nfc_and_complete() -> None:
    vietnamese_alphabet = "AĂÂBCDĐEÊGHIKLMNOÔƠPQRSTUƯVXY"
    assert set(vietnamese_alphabet) <= set(LETTER_NAMES)
    for letter, name in LETTER_NAMES.items():
        assert unicodedata.is_normalized("NFC", letter) and unicodedata.is_normalized("NFC", name)


@pytest.mark.parametrize("bad", ["", "AB", "1", "ß", None])
def test_letter_name_rejects_bad_input(bad: object) -> None:
    with pytest.raises(ReadingError):
        letter_name(bad)  # type: ignore[arg-type]
