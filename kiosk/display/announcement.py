"""The Vietnamese sentence said in the hall when a counter calls a ticket.

``build_announcement(Call("A015", 3))`` gives the text shown ("Xin mời công dân có số thứ tự A015
đến quầy số 3"), the text spoken ("xin mời công dân có số thứ tự, a, mười lăm, đến quầy số ba")
and the list of words with their clip names, from which tts.py assembles recorded clips.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from kiosk.display.numbers_vi import (
    LETTER_NAMES,
    ReadingError,
    digit_words,
    letter_name,
    nfc,
    number_words,
)

INTRO_PHRASE = "Xin mời công dân có số thứ tự"
COUNTER_PHRASE = "đến quầy số"

# Clip file stems (without .wav). ASCII only, so a centre can name files on any system; letters
# with diacritics use Telex-style doubles (Đ -> dd, Ă -> aw, Â -> aa, Ê -> ee, Ô -> oo, Ơ -> ow, Ư -> uw).
PHRASE_CLIPS: dict[str, str] = {INTRO_PHRASE: "phrase_intro", COUNTER_PHRASE: "phrase_counter"}
WORD_CLIPS: dict[str, str] = {
    "không": "digit_0", "một": "digit_1", "hai": "digit_2", "ba": "digit_3", "bốn": "digit_4",
    "năm": "digit_5", "sáu": "digit_6", "bảy": "digit_7", "tám": "digit_8", "chín": "digit_9",
    "mười": "word_muoi_ten", "mươi": "word_muoi_tens", "mốt": "word_mot", "tư": "word_tu",
    "lăm": "word_lam", "linh": "word_linh", "trăm": "word_tram", "nghìn": "word_nghin",
    "triệu": "word_trieu", "tỷ": "word_ty",
}
_TELEX = {"Đ": "dd", "Ă": "aw", "Â": "aa", "Ê": "ee", "Ô": "oo", "Ơ": "ow", "Ư": "uw"}
LETTER_CLIPS: dict[str, str] = {
    letter: "letter_" + _TELEX.get(letter, letter.lower()) for letter in LETTER_NAMES
}

_PREFIX_LETTERS = "".join(LETTER_NAMES)
_TICKET_RE = re.compile(rf"^([{_PREFIX_LETTERS}]{{0,3}})([0-9]{{1,6}})$")
MAX_COUNTER = 999


class AnnouncementError(ValueError):
    """A call that cannot be turned into an announcement (bad ticket number or counter)."""


@dataclass(frozen=True)
class Call:
    """One call of a ticket to a counter, as carried by the ``ticket_called`` event."""

    number: str
    counter: int
    recall: bool = False
    service: str | None = None

    def __post_init__(self) -> None:
        # A Call is always valid and normalised (NFC, upper case, int counter): bad input fails
        # where it enters, not later on the announcer's thread.
        prefix, numeral = parse_ticket(self.number)
        object.__setattr__(self, "number", prefix + numeral)
        object.__setattr__(self, "counter", parse_counter(self.counter))
        object.__setattr__(self, "recall", bool(self.recall))

    @classmethod
    def from_event(cls, event: Mapping[str, object]) -> Call:
        """Build a Call from a ``ticket_called`` payload (``{"number", "counter", "recall", ...}``)."""
        if not isinstance(event, Mapping):
            raise AnnouncementError(f"a call event must be a mapping, got {type(event).__name__}")
        if "number" not in event or "counter" not in event:
            raise AnnouncementError("a call event needs 'number' and 'counter'")
        service = event.get("service")
        return cls(
            number=event["number"],  # type: ignore[arg-type]
            counter=event["counter"],  # type: ignore[arg-type]  # validated in __post_init__
            recall=bool(event.get("recall", False)),
            service=None if service is None else str(service),
        )


@dataclass(frozen=True)
class Word:
    """One spoken unit: its text and the clip file stem that says it."""

    text: str
    clip: str


@dataclass(frozen=True)
class Announcement:
    """What is said for a call: display text, spoken text, and the words grouped into phrases."""

    display_text: str
    groups: tuple[tuple[Word, ...], ...] = field(default_factory=tuple)

    @property
    def words(self) -> tuple[Word, ...]:
        """All words in speaking order."""
        return tuple(word for group in self.groups for word in group)

    @property
    def spoken_text(self) -> str:
        """The sentence as read aloud; commas mark the pauses between phrases (espeak-ng honours them)."""
        return ", ".join(" ".join(word.text for word in group) for group in self.groups)

    @property
    def clip_names(self) -> tuple[str, ...]:
        """Clip file stems needed to assemble this announcement from recordings."""
        return tuple(word.clip for word in self.words)


def parse_ticket(number: str) -> tuple[str, str]:
    """Split a ticket number like ``"A015"`` into its prefix letters and digits (NFC, upper case)."""
    if not isinstance(number, str):
        raise AnnouncementError(f"a ticket number must be text, got {type(number).__name__}")
    text = nfc(number.strip()).upper()
    match = _TICKET_RE.match(text)
    if not match:
        raise AnnouncementError(
            f"not a ticket number: {number!r} (expected up to 3 letters then 1-6 digits, e.g. A015)"
        )
    return match.group(1), match.group(2)


def parse_counter(counter: object) -> int:
    """A counter number from an int or a digit string, 1..MAX_COUNTER."""
    if isinstance(counter, bool):
        raise AnnouncementError(f"not a counter number: {counter!r}")
    if isinstance(counter, str) and counter.strip().isascii() and counter.strip().isdigit():
        counter = int(counter.strip())
    if not isinstance(counter, int) or not 1 <= counter <= MAX_COUNTER:
        raise AnnouncementError(f"not a counter number: {counter!r} (expected 1..{MAX_COUNTER})")
    return counter


def _words(texts: list[str]) -> tuple[Word, ...]:
    return tuple(Word(text, WORD_CLIPS[text]) for text in texts)


def ticket_words(number: str, *, digits: bool = False) -> tuple[tuple[Word, ...], tuple[Word, ...]]:
    """Words for a ticket number: (prefix letters by name, the number or its digits)."""
    prefix, numeral = parse_ticket(number)
    letters = tuple(Word(letter_name(letter), LETTER_CLIPS[letter]) for letter in prefix)
    try:
        spoken = digit_words(numeral) if digits else number_words(int(numeral))
    except ReadingError as exc:  # unreachable for a matched ticket, kept for a clear error
        raise AnnouncementError(str(exc)) from exc
    return letters, _words(spoken)


def build_announcement(call: Call, *, digits: bool = False) -> Announcement:
    """The announcement for ``call``; ``digits`` reads the ticket digit by digit ("không một năm").

    A recall says the same sentence again: the hall hears it as a repeat of the call.
    """
    if not isinstance(call, Call):
        raise AnnouncementError(f"expected a Call, got {type(call).__name__}")
    prefix, numeral = parse_ticket(call.number)
    counter = call.counter
    display = f"{INTRO_PHRASE} {prefix}{numeral} {COUNTER_PHRASE} {counter}"
    letters, numeral_words = ticket_words(call.number, digits=digits)
    # The letters are a phrase of their own: a short pause keeps "a" from running into "mười lăm".
    groups = tuple(group for group in (
        (Word(INTRO_PHRASE, PHRASE_CLIPS[INTRO_PHRASE]),),
        letters,
        numeral_words,
        (Word(COUNTER_PHRASE, PHRASE_CLIPS[COUNTER_PHRASE]), *_words(number_words(counter))),
    ) if group)
    return Announcement(display_text=nfc(display), groups=groups)


def all_clip_names() -> dict[str, str]:
    """Every clip file stem a complete recorded-voice folder holds, mapped to the words it says."""
    names = {clip: phrase for phrase, clip in PHRASE_CLIPS.items()}
    names.update({clip: word for word, clip in WORD_CLIPS.items()})
    names.update({clip: LETTER_NAMES[letter] for letter, clip in LETTER_CLIPS.items()})
    return names
