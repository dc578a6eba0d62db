"""Parse and check the text of a CCCD / căn cước card QR code.

The card's QR holds one line of UTF-8 text, ``|``-separated, no labels::

    ID12|old ID9 or empty|Full Name|DDMMYYYY|Nam or Nữ|address|DDMMYYYY issue date[|f8|f9|f10|f11]

A chip CCCD (2021) gives 7 fields, the 2024 căn cước card 11 (the last four are kept raw). The rules,
reason codes and warning codes follow ``../shared/testdata/cccd/README.md``: hard checks raise
:class:`CccdError` with a stable ``code``; soft checks add warning codes to the record.

Nothing here logs: a payload and the fields it holds are personal data.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from kiosk.citizens.masking import mask_id_number, mask_name

__all__ = [
    "CccdError",
    "CccdRecord",
    "PROVINCE_CODES",
    "REASON_CODES",
    "WARNING_CODES",
    "has_mojibake",
    "parse_cccd",
]

# Reason codes, in the order the checks run (the first failing one is reported).
REASON_CODES: tuple[str, ...] = (
    "payload_type",
    "not_utf8",
    "empty_payload",
    "vneid_token",
    "url",
    "field_count",
    "id_format",
    "old_id_format",
    "name_empty",
    "birth_date_format",
    "birth_date_invalid",
    "sex_invalid",
    "issue_date_format",
    "issue_date_invalid",
    "birth_in_future",
    "issue_date_in_future",
    "issue_date_too_early",
    "issue_before_birth",
    "mojibake",
)

WARNING_CODES: tuple[str, ...] = (
    "id_century_sex_mismatch",
    "id_birth_year_mismatch",
    "unknown_province_code",
    "old_id_12_digits",
)

# TT 07/2016/TT-BCA Annex I: the 63 birth-registration province codes (unchanged by the 2025 merger).
PROVINCE_CODES: frozenset[str] = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 "
    "037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 "
    "077 079 080 082 083 084 086 087 089 091 092 093 094 095 096".split()
)

SEXES: tuple[str, ...] = ("Nam", "Nữ")

# No QR-bearing card was issued before this date.
EARLIEST_ISSUE = datetime.date(2016, 1, 1)

# U+FEFF is not whitespace to str.strip(), but keyboard-wedge scanners and some decoders prepend it.
_STRIP_CHARS = " \t\r\n\ufeff"
_ID12 = re.compile(r"[0-9]{12}", re.ASCII)
_ID9 = re.compile(r"[0-9]{9}", re.ASCII)
_DATE8 = re.compile(r"[0-9]{8}", re.ASCII)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", re.ASCII)
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://|(mailto|tel|sms|smsto|geo|market|intent):)", re.ASCII)


def _vietnamese_letters() -> frozenset[str]:
    """Every Vietnamese letter with every tone mark, both cases, as NFC code points."""
    bases = ["a", "a\u0306", "a\u0302", "e", "e\u0302", "i", "o", "o\u0302", "o\u031b", "u", "u\u031b", "y"]
    tones = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]
    letters = {"đ", "Đ"}
    for base in bases:
        for tone in tones:
            for text in (base + tone, base.upper() + tone):
                letters.add(unicodedata.normalize("NFC", text))
    return frozenset(letter for letter in letters if len(letter) == 1)


_TEXT_ALPHABET: frozenset[str] = _vietnamese_letters() | frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,./-'()"
)


def has_mojibake(text: str) -> bool:
    """True when *text* holds a character outside the Vietnamese text alphabet.

    The alphabet is the Vietnamese letters with all tone marks (including đ Đ), ASCII letters,
    digits, space and ``, . / - ' ( )``. What a decoder that guessed Shift-JIS, Big5 or
    Windows-1252 makes of UTF-8 always falls outside it (CJK, kana, U+FFFD, ``á»…``, NBSP).
    """
    return any(ch not in _TEXT_ALPHABET for ch in text)


def _is_alien(ch: str) -> bool:
    """A character no genuine card field holds: CJK, kana, hangul, private use, U+FFFD, controls."""
    if ch == "\ufffd":
        return True
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf", "Co", "Cs", "Cn"):
        return True
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HALFWIDTH", "HANGUL", "BOPOMOFO"))


class CccdError(ValueError):
    """A payload that is not a valid CCCD QR text.

    ``code`` is one of :data:`REASON_CODES` (stable, for programs and tests); ``message`` says
    what is wrong in English without repeating the personal data of the payload.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, repr=False)
class CccdRecord:
    """The fields of a valid card QR. Dates are :class:`datetime.date`; text is NFC.

    ``old_id_number`` is None when the card leaves it empty. ``extra_fields`` holds fields 8-11 of
    a 2024 card raw (empty tuple for a 7-field card); ``warnings`` holds warning codes.
    """

    id_number: str
    old_id_number: str | None
    full_name: str
    date_of_birth: datetime.date
    sex: str
    address: str
    issue_date: datetime.date
    extra_fields: tuple[str, ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def __repr__(self) -> str:
        # Records end up in tracebacks and debug logs: never the number or the name in clear.
        return (
            f"CccdRecord(id_number={mask_id_number(self.id_number)!r}, "
            f"full_name={mask_name(self.full_name)!r}, fields={7 + len(self.extra_fields)}, "
            f"warnings={list(self.warnings)!r})"
        )

    __str__ = __repr__

    @property
    def field_count(self) -> int:
        """7 for a chip CCCD, 11 for a 2024 căn cước card."""
        return 7 + len(self.extra_fields)

    def age_on(self, day: datetime.date) -> int:
        """Age in whole years on *day* (for the elderly priority proposal)."""
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))

    def to_json(self) -> dict[str, Any]:
        """The record under the DESIGN.md field names, dates as YYYY-MM-DD, ready for ``json.dumps``."""
        return {
            "id_number": self.id_number,
            "old_id_number": self.old_id_number,
            "full_name": self.full_name,
            "date_of_birth": self.date_of_birth.isoformat(),
            "sex": self.sex,
            "address": self.address,
            "issue_date": self.issue_date.isoformat(),
            "extra_fields": list(self.extra_fields),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: Any) -> CccdRecord:
        """Inverse of :meth:`to_json` (the vision worker sends a confirmed card to the service this way).

        Raises ValueError for anything else, without quoting the data.
        """
        try:
            return cls(
                id_number=str(data["id_number"]),
                old_id_number=None if data["old_id_number"] is None else str(data["old_id_number"]),
                full_name=str(data["full_name"]),
                date_of_birth=datetime.date.fromisoformat(data["date_of_birth"]),
                sex=str(data["sex"]),
                address=str(data["address"]),
                issue_date=datetime.date.fromisoformat(data["issue_date"]),
                extra_fields=tuple(str(f) for f in data["extra_fields"]),
                warnings=tuple(str(w) for w in data["warnings"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a card record ({type(exc).__name__})") from None


def _normalise(payload: str | bytes) -> str:
    """Strict UTF-8, NFC, and strip the spaces, tabs, CR, LF and BOM around the text."""
    if isinstance(payload, (bytes, bytearray, memoryview)):
        try:
            payload = bytes(payload).decode("utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            raise CccdError("not_utf8", f"payload is not valid UTF-8 (byte {exc.start})") from None
    elif not isinstance(payload, str):
        raise CccdError("payload_type", f"payload must be str or bytes, not {type(payload).__name__}")
    return unicodedata.normalize("NFC", payload).strip(_STRIP_CHARS)


def _parse_date(text: str, what: str) -> datetime.date:
    """A DDMMYYYY field as a date; *what* is ``birth_date`` or ``issue_date`` (names the reason)."""
    if not _DATE8.fullmatch(text):
        raise CccdError(f"{what}_format", f"{what.replace('_', ' ')} is not 8 digits DDMMYYYY")
    try:
        return datetime.date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        raise CccdError(f"{what}_invalid", f"{what.replace('_', ' ')} is not a real calendar date") from None


def _warnings(id_number: str, old_id: str | None, dob: datetime.date, sex: str) -> tuple[str, ...]:
    """Soft checks: a genuine card can fail them, so they flag the read for an officer."""
    found: list[str] = []
    century_sex = 2 * (dob.year // 100 - 19) + (0 if sex == "Nam" else 1)
    if int(id_number[3]) != century_sex:
        found.append("id_century_sex_mismatch")
    if int(id_number[4:6]) != dob.year % 100:
        found.append("id_birth_year_mismatch")
    if id_number[:3] not in PROVINCE_CODES:
        found.append("unknown_province_code")
    if old_id is not None and len(old_id) == 12:
        found.append("old_id_12_digits")
    return tuple(found)


def parse_cccd(payload: str | bytes, today: datetime.date | None = None) -> CccdRecord:
    """Parse the text of a CCCD QR code into a :class:`CccdRecord`.

    *payload* is the decoded text, or the raw bytes (decoded here as strict UTF-8). *today* is the
    date the future-date checks use (default: the local date). Raises :class:`CccdError` with the
    first failing reason code; see ``docs/cccd.md`` for the rules.
    """
    text = _normalise(payload)
    today = today or datetime.date.today()
    if not text:
        raise CccdError("empty_payload", "the QR code holds no text")
    if _JWT.fullmatch(text):
        raise CccdError("vneid_token", "this is a VNeID app token, not the QR code of a card")
    if _URL.match(text):
        raise CccdError("url", "this QR code holds a web address, not the data of a card")
    fields = text.split("|")  # keeps empty fields: "ID||Name" has an empty old ID
    if len(fields) not in (7, 11):
        raise CccdError("field_count", f"expected 7 or 11 '|'-separated fields, got {len(fields)}")
    id_number, old_id, name, dob_text, sex, address, issue_text = fields[:7]
    extra = tuple(fields[7:])
    if not _ID12.fullmatch(id_number):
        raise CccdError("id_format", "the ID number is not exactly 12 digits")
    if old_id and not (_ID9.fullmatch(old_id) or _ID12.fullmatch(old_id)):
        raise CccdError("old_id_format", "the old ID number is not empty, 9 or 12 digits")
    if not name:
        raise CccdError("name_empty", "the name is empty")
    dob = _parse_date(dob_text, "birth_date")
    if sex not in SEXES:
        raise CccdError("sex_invalid", "sex is not exactly 'Nam' or 'Nữ'")
    issued = _parse_date(issue_text, "issue_date")
    if dob > today:
        raise CccdError("birth_in_future", "the date of birth is in the future")
    if issued > today:
        raise CccdError("issue_date_in_future", "the issue date is in the future")
    if issued < EARLIEST_ISSUE:
        raise CccdError("issue_date_too_early", "the issue date is before any QR-bearing card (2016)")
    if issued < dob:
        raise CccdError("issue_before_birth", "the card was issued before the date of birth")
    if has_mojibake(name) or has_mojibake(address) or any(_is_alien(ch) for f in extra for ch in f):
        raise CccdError("mojibake", "the text holds characters no card has (a wrong-charset decode)")
    return CccdRecord(
        id_number=id_number,
        old_id_number=old_id or None,
        full_name=name,
        date_of_birth=dob,
        sex=sex,
        address=address,
        issue_date=issued,
        extra_fields=extra,
        warnings=_warnings(id_number, old_id or None, dob, sex),
    )
