"""Read numbers, digits and letters aloud in Vietnamese (Hà Nội / northern usage).

Every function returns NFC text made of space-separated words, so a caller can map each word to a
recorded clip. Rules (northern usage, as heard at Hanoi one-stop counters):

- 10 "mười", 11..19 "mười một" .. "mười chín"; 15 "mười lăm" (năm becomes lăm after mười/mươi);
- 20..90 "hai mươi" .. "chín mươi"; after mươi, 1 is "mốt" and 4 is "tư" (21 "hai mươi mốt",
  24 "hai mươi tư"); in the teens 1 and 4 keep "một"/"bốn" (11 "mười một", 14 "mười bốn");
- a zero tens digit inside a number is "linh" (105 "một trăm linh năm"; the south says "lẻ");
- groups of three digits with "nghìn", "triệu", "tỷ"; a group after the first is read in full
  with "không trăm" (1005 "một nghìn không trăm linh năm"); an all-zero group is skipped
  (1000000 "một triệu", 2000005 "hai triệu không trăm linh năm").
"""
from __future__ import annotations

import unicodedata

DIGIT_WORDS: tuple[str, ...] = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")

# Scale words for groups of three digits, lowest first.
_SCALES: tuple[str, ...] = ("", "nghìn", "triệu", "tỷ")

MAX_NUMBER = 10 ** (3 * len(_SCALES)) - 1

# Vietnamese names of the letters, as read aloud (school names: bê, xê, dê ...). Multi-syllable
# names are spaced words ("e lờ") so each syllable can be a clip and espeak-ng reads them right.
# F, J, W, Z are not in the Vietnamese alphabet but can appear as ticket prefixes.
LETTER_NAMES: dict[str, str] = {
    "A": "a", "Ă": "á", "Â": "ớ", "B": "bê", "C": "xê", "D": "dê", "Đ": "đê", "E": "e", "Ê": "ê",
    "F": "ép", "G": "giê", "H": "hát", "I": "i", "J": "gi", "K": "ca", "L": "e lờ", "M": "em mờ",
    "N": "en nờ", "O": "o", "Ô": "ô", "Ơ": "ơ", "P": "pê", "Q": "quy", "R": "e rờ", "S": "ét xì",
    "T": "tê", "U": "u", "Ư": "ư", "V": "vê", "W": "vê kép", "X": "ích xì", "Y": "i dài", "Z": "dét",
}


class ReadingError(ValueError):
    """A number, digit string or letter that cannot be read aloud."""


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC (the form used for all Vietnamese text in the project)."""
    return unicodedata.normalize("NFC", text)


def _check_int(n: object) -> int:
    # bool is an int subclass; reading True as "một" would hide a caller's bug.
    if isinstance(n, bool) or not isinstance(n, int):
        raise ReadingError(f"expected a whole number, got {type(n).__name__} {n!r}")
    if n < 0:
        raise ReadingError(f"cannot read a negative number: {n}")
    if n > MAX_NUMBER:
        raise ReadingError(f"number too large to read: {n} (at most {MAX_NUMBER})")
    return n


def _read_tens_units(tens: int, units: int, *, after_hundreds: bool) -> list[str]:
    """Words for the last two digits of a group; ``after_hundreds`` makes a zero tens digit 'linh'."""
    words: list[str] = []
    if tens == 0:
        if units == 0:
            return words
        if after_hundreds:
            words.append("linh")
        words.append(DIGIT_WORDS[units])
        return words
    if tens == 1:
        words.append("mười")
    else:
        words.extend((DIGIT_WORDS[tens], "mươi"))
    if units == 0:
        return words
    if units == 5:
        words.append("lăm")
    elif units == 1 and tens >= 2:
        words.append("mốt")
    elif units == 4 and tens >= 2:
        words.append("tư")
    else:
        words.append(DIGIT_WORDS[units])
    return words


def _read_group(value: int, *, full: bool) -> list[str]:
    """Words for a group 0..999; ``full`` reads a leading zero hundred ("không trăm")."""
    hundreds, rest = divmod(value, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or full:
        words.extend((DIGIT_WORDS[hundreds], "trăm"))
    words.extend(_read_tens_units(tens, units, after_hundreds=bool(words)))
    return words


def number_words(n: int) -> list[str]:
    """The words of ``n`` read as a number, e.g. ``105 -> ["một", "trăm", "linh", "năm"]``.

    Raises ReadingError for anything but a whole number 0..MAX_NUMBER.
    """
    n = _check_int(n)
    if n == 0:
        return [DIGIT_WORDS[0]]
    groups: list[int] = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        words.extend(_read_group(group, full=bool(words)))
        if _SCALES[index]:
            words.append(_SCALES[index])
    return words


def read_number(n: int) -> str:
    """``n`` read as a Vietnamese number (Hà Nội usage), e.g. ``21 -> "hai mươi mốt"``."""
    return " ".join(number_words(n))


def digit_words(digits: str) -> list[str]:
    """The words of a digit string read one digit at a time, e.g. ``"015" -> ["không", "một", "năm"]``."""
    if not isinstance(digits, str):
        raise ReadingError(f"expected a string of digits, got {type(digits).__name__}")
    if not digits or not all("0" <= ch <= "9" for ch in digits):
        raise ReadingError(f"expected a non-empty string of ASCII digits, got {digits!r}")
    return [DIGIT_WORDS[int(ch)] for ch in digits]


def read_digits(digits: str) -> str:
    """A digit string read digit by digit, e.g. ``"015" -> "không một năm"``."""
    return " ".join(digit_words(digits))


def letter_name(letter: str) -> str:
    """The Vietnamese name of one letter (any case, NFC or NFD), e.g. ``"c" -> "xê"``, ``"Đ" -> "đê"``."""
    if not isinstance(letter, str):
        raise ReadingError(f"expected a letter, got {type(letter).__name__}")
    key = nfc(letter).upper()
    try:
        return LETTER_NAMES[key]
    except KeyError:
        raise ReadingError(f"no Vietnamese letter name for {letter!r}") from None
